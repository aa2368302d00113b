import { pascal3dRig } from './pascal3d.js';

/** Rig of the `pascal3d-boat` dataset (7 joints; from its meta.json). */
export const pascal3dBoat = pascal3dRig('boat', 6, {
  joints: ['head', 'head_down', 'head_left', 'head_right', 'tail_left', 'tail_right', 'tail'],
  mirror: [
    ['head_left', 'head_right'],
    ['tail_left', 'tail_right'],
  ],
});
