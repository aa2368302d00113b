// node examples/code/rig.mjs (from the repository root; after pnpm build)
import { convertJoints, defineRig, getRig, registerRig } from '@lfm/rig';

export const lamp = defineRig({
  specVersion: 1,
  id: 'acme-lamp',
  category: 'rigid-lamp',
  joints: ['base', 'elbow', 'head'],
  bones: [
    ['base', 'elbow'],
    ['elbow', 'head'],
  ],
  mirror: [], // [['left_x', 'right_x'], …]; a joint in no pair is its own mirror
  citation: 'https://example.com/acme-lamp',
}); // throws RigSpecError listing every problem (unknown/duplicate joint, bone to itself, …)

console.log(lamp.jointIndex.get('elbow')); // 1
console.log(lamp.boneIndices); // [[0, 1], [1, 2]]
console.log(lamp.mirrorIndex); // [0, 1, 2]  (partner or self)
console.log(lamp.neighbours); // [[1], [0, 2], [1]]
console.log(lamp.adjacency({ selfLoops: true, size: 8 })); // Uint8Array [8×8], symmetric, zero-padded

registerRig(lamp); // the same rig twice is harmless; a different one under a taken id throws RigConflictError
console.log(getRig('acme-lamp') === lamp); // true; an unknown id → UnknownRigError naming close ids

// Keypoints [F, J, D] in another rig's joints: each target joint ← a source joint, or the mean of several.
const stick = defineRig({
  specVersion: 1,
  id: 'acme-stick',
  category: 'rigid-lamp',
  joints: ['foot', 'tip'],
  citation: 'https://example.com/acme-stick',
});
const toStick = convertJoints(lamp, stick, { foot: 'base', tip: ['elbow', 'head'] });
console.log(toStick.apply(new Float32Array([0, 0, 1, 2, 3, 4]), 2)); // F = 1, D = 2: [0, 0, 2, 3]
