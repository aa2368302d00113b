import { defineRig } from '@lfm/rig';
import { chain, handJoints } from '../build.js';

/** hand-21's joints with the dataset's finger names (index, middle, ring, little). */
const joints = handJoints(['index', 'middle', 'ring', 'little']);

/** Rig of the `realworld-hand` dataset (21 joints; from its meta.json). */
export const realworldHand = defineRig({
  specVersion: 1,
  id: 'realworld-hand',
  category: 'hand',
  joints: joints,
  bones: [0, 1, 2, 3, 4].flatMap((d) => chain(['wrist', ...joints.slice(1 + 4 * d, 5 + 4 * d)])),
  mirror: [],
  citation:
    'Ge, Ren, Li, Xue, Wang, Cai, Yuan. 3D Hand Shape and Pose Estimation from a Single RGB Image. CVPR 2019.',
  description:
    'Ge et al. (CVPR 2019) real-world hand test set: 3D joints for 583 real RGB frames (21 joints). Same joint order as hand-21 (MediaPipe: wrist, then thumb and four fingers from base to tip); the bones differ: every finger base connects to the wrist and there are no palm links between finger bases. No mirror pairs (one hand).',
  units: 'cm (camera coordinates; fx=fy~923.7, cx=640.0, cy=362.3 px per params.mat)',
});
