import { ARM, bySide, chain, FOOT, humanBodyRig, LEG, limbs, sided } from './build.js';

const joints = [
  'nose',
  'neck',
  ...bySide('right', ARM),
  'mid_hip',
  ...bySide('right', LEG),
  'right_eye',
  'left_eye',
  'right_ear',
  'left_ear',
  ...bySide('left', FOOT),
];

/** The OpenPose BODY_25 keypoints. */
export const openposeBody25 = humanBodyRig({
  id: 'openpose-body-25',
  joints,
  bones: [
    ['neck', 'mid_hip'],
    ['neck', 'right_shoulder'],
    ['neck', 'left_shoulder'],
    ...chain(sided('right', ARM)),
    ...chain(sided('left', ARM)),
    ...limbs('mid_hip', 'right', LEG),
    ['neck', 'nose'],
    ...chain(['nose', 'right_eye', 'right_ear']),
    ...chain(['nose', 'left_eye', 'left_ear']),
    ...(['left', 'right'] as const).flatMap((side) => [
      ...chain([`${side}_ankle`, `${side}_big_toe`, `${side}_small_toe`]),
      [`${side}_ankle`, `${side}_heel`] as const,
    ]),
  ],
  citation:
    'Cao, Hidalgo, Simon, Wei, Sheikh. OpenPose: Realtime Multi-Person 2D Pose Estimation using Part Affinity Fields. IEEE TPAMI 2019',
  description:
    "OpenPose BODY_25 order (COCO-18 plus mid_hip and six foot points); bones are the BODY_25 render pairs. Left/right are the subject's.",
});
