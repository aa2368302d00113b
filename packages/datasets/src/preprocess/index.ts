/**
 * `@lfm/datasets/preprocess`: the browser-safe preprocessing shared by training and inference (no
 * `node:*` imports, directly or through anything it imports): projection, padding + masks, the
 * local-attention graph (bones or kNN), the 2D keypoint JSON parsers, the keypoint sequence
 * readers (OpenPose JSON, DeepLabCut CSV, our JSON / COCO / MediaPipe with frame ids) and the
 * DeepLabCut config.yaml reader.
 */

// A DeepLabCut project's config.yaml → rigs (the `yaml` parser is browser-safe).
export {
  type DlcConfig,
  type DlcRigOptions,
  dlcRigSpecs,
  mirrorPairs,
  parseDlcConfig,
} from '../dlc-config.js';
export {
  CAMERA_MODELS,
  type Camera,
  type CameraModel,
  cameraModelCode,
  type Intrinsics,
  orbitCamera,
  type Projection,
  projectPoints,
  type RigidTransform,
  transformPoints,
} from './camera.js';
export {
  DLC_MIN_LIKELIHOOD,
  type DlcColumnGroup,
  type DlcParseOptions,
  type DlcTable,
  isDlcCsv,
  parseCsv,
  parseDlcCsv,
  readDlcTable,
} from './dlc.js';
export {
  adjacencyFromBones,
  type BoneAdjacencyOptions,
  DEFAULT_KNN_K,
  type Edge,
  type KnnAdjacencyOptions,
  knnAdjacency,
} from './graph.js';
export {
  anatomicalCodeRig,
  anatomicalCodeTable,
  borrowedCodeTable,
  JOINT_CODE_SCHEME,
  type JointSide,
  jointCode,
  jointCodeTable,
  jointSides,
  SIDE_CODE_RIG,
  sideCodeTable,
  writeJointCodes,
} from './joint-codes.js';
export {
  detectKeypointFormat,
  detectRig,
  FORMAT_RIGS,
  type KeypointFormat,
  type KeypointItem,
  type KeypointParseOptions,
  type Keypoints2D,
  keypointItemPoints,
  parseKeypointJson,
  parseKeypoints,
} from './keypoints.js';
export { writeMirrorPairs } from './mirror-pairs.js';
export {
  addOpenPoseFrame,
  isOpenPose,
  OPENPOSE_BODY_RIGS,
  OPENPOSE_FACE_POINTS,
  type OpenPoseOptions,
  parseOpenPose,
} from './openpose.js';
export {
  type PaddedKeypoints,
  type PadOptions,
  type PreprocessedKeypoints,
  type PreprocessOptions,
  padKeypoints,
  preprocessKeypoints,
} from './pad.js';
export {
  addKeypointFrame,
  frameIdsFromNames,
  isKeypointSequenceValue,
  type KeypointSequence,
  type KeypointTrack,
  naturalCompare,
  retargetTrack,
  SequenceBuilder,
  type SequenceFormat,
  type SequenceFrame,
  type SequenceParseOptions,
  sequenceFromKeypointValue,
  type TrackFrameInput,
  type TrackPart,
  trackKey,
} from './sequence.js';
export { sequenceFromFrameValues } from './sequence-folder.js';
