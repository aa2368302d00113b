import { ARM, humanBodyRig, LEG, leftRight } from './build.js';

const joints = ['nose', ...leftRight(['eye', 'ear', ...ARM, ...LEG])];

/** COCO 17 body keypoints (COCO person keypoints; the output of most 2D detectors: MMPose/RTMPose, YOLO-pose, Detectron2). */
export const coco17 = humanBodyRig({
  id: 'coco-17',
  joints,
  bones: [
    ['left_ankle', 'left_knee'],
    ['left_knee', 'left_hip'],
    ['right_ankle', 'right_knee'],
    ['right_knee', 'right_hip'],
    ['left_hip', 'right_hip'],
    ['left_shoulder', 'left_hip'],
    ['right_shoulder', 'right_hip'],
    ['left_shoulder', 'right_shoulder'],
    ['left_shoulder', 'left_elbow'],
    ['right_shoulder', 'right_elbow'],
    ['left_elbow', 'left_wrist'],
    ['right_elbow', 'right_wrist'],
    ['left_eye', 'right_eye'],
    ['nose', 'left_eye'],
    ['nose', 'right_eye'],
    ['left_eye', 'left_ear'],
    ['right_eye', 'right_ear'],
    ['left_ear', 'left_shoulder'],
    ['right_ear', 'right_shoulder'],
  ],
  citation:
    'Lin, Maire, Belongie, Hays, Perona, Ramanan, Dollár, Zitnick. Microsoft COCO: Common Objects in Context. ECCV 2014',
  description:
    "The 17 COCO person keypoints in COCO order; bones are the 19 links of the COCO keypoint skeleton (with the face-to-shoulder links). Left/right are the subject's.",
});
