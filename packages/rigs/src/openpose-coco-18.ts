import { defineRig } from '@lfm/rig';
import { bySide, FOOT, withoutJoints } from './build.js';
import { openposeBody25 } from './openpose-body-25.js';

/** The OpenPose COCO-18 keypoints (the `--model_pose COCO` output: COCO-17 plus a neck, in OpenPose order). */
export const openposeCoco18 = defineRig({
  specVersion: 1,
  id: 'openpose-coco-18',
  category: 'human-body',
  ...withoutJoints(openposeBody25, ['mid_hip', ...bySide('left', FOOT)], {
    mid_hip: 'neck',
  }),
  citation:
    'Cao, Hidalgo, Simon, Wei, Sheikh. OpenPose: Realtime Multi-Person 2D Pose Estimation using Part Affinity Fields. IEEE TPAMI 2019',
  description:
    "OpenPose COCO-18 order (BODY_25 without mid_hip and the six foot points; COCO-17's joints plus a neck, reordered); bones are OpenPose's COCO render pairs (the hips hang from the neck). Left/right are the subject's.",
});
