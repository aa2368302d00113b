import { ARM, bothSides, bySide, chain, humanBodyRig, LEG, leftRight, sided } from './build.js';

const EYE = ['eye_inner', 'eye', 'eye_outer'];
const joints = [
  'nose',
  ...bySide('left', EYE),
  'left_ear',
  'right_ear',
  'mouth_left',
  'mouth_right',
  ...leftRight([...ARM, 'pinky', 'index', 'thumb', ...LEG, 'heel', 'foot_index']),
];

/** The 33 landmarks of MediaPipe Pose / BlazePose. */
export const mediapipePose33 = humanBodyRig({
  id: 'mediapipe-pose-33',
  joints,
  bones: [
    ...chain(['nose', ...sided('left', EYE), 'left_ear']),
    ...chain(['nose', ...sided('right', EYE), 'right_ear']),
    ['mouth_left', 'mouth_right'],
    ['left_shoulder', 'right_shoulder'],
    ...(['left', 'right'] as const).flatMap((side) => {
      const [shoulder, elbow, wrist, pinky, index, thumb] = sided(side, [...ARM, 'pinky', 'index', 'thumb']);
      return [
        ...chain([shoulder!, elbow!, wrist!]),
        [wrist!, pinky!],
        [wrist!, index!],
        [wrist!, thumb!],
        [pinky!, index!],
      ] as const;
    }),
    ...bothSides('shoulder', 'hip'),
    ['left_hip', 'right_hip'],
    ...bothSides('hip', 'knee'),
    ...bothSides('knee', 'ankle'),
    ...bothSides('ankle', 'heel'),
    ...bothSides('heel', 'foot_index'),
    ...bothSides('ankle', 'foot_index'),
  ],
  citation:
    'Bazarevsky, Grishchenko, Raveendran, Zhu, Zhang, Grundmann. BlazePose: On-device Real-time Body Pose Tracking. CVPR Workshops 2020',
  description:
    "MediaPipe Pose landmark order; bones are MediaPipe POSE_CONNECTIONS (the face points link among themselves, not to the body). Left/right are the subject's.",
});
