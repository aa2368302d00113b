// A third-party rig plugin: load it with `lfm train --rig-plugin ./my-rig.js` or
// `await loadRigPlugin('./my-rig.js')` from @lfm/rig. The file needs no import: a plain RigSpecV1
// object is validated by defineRig when loaded. A module may instead export a rig made with
// defineRig from '@lfm/rig', an array of rigs (`export const rigs = [...]`), or a function
// `(defineRig) => defineRig({...})`.
export default {
  specVersion: 1,
  id: 'example-lamp',
  category: 'rigid-lamp',
  joints: ['base', 'lower_arm', 'elbow', 'upper_arm', 'head', 'bulb'],
  bones: [
    ['base', 'lower_arm'],
    ['lower_arm', 'elbow'],
    ['elbow', 'upper_arm'],
    ['upper_arm', 'head'],
    ['head', 'bulb'],
  ],
  mirror: [],
  citation: 'LFM example plugin (packages/rig/examples/my-rig.js), no external source',
  description: 'An articulated desk lamp: a chain from the base to the bulb; shows the rig plugin format.',
  units: 'cm',
};
