/**
 * `@lfm/runtime`: the runtime-agnostic core — preprocessing (the training code's), the model call
 * through a registered session factory, camera recovery. Import `loadLifter` from `@lfm/runtime/node`
 * or `@lfm/runtime/web` to run on onnxruntime-node or onnxruntime-web.
 */

export { DataFormatError, DegenerateError, InputError, LfmError, ShapeError } from '@lfm/core';
export { LifterFormatError, type LifterModelInfo, OnnxFormatError } from '@lfm/format';
export { UnknownRigError } from '@lfm/rig';
export {
  type CameraRequest,
  type CameraResult,
  type Matrix3,
  type OrthoCamera,
  type PerspCamera,
  type RecoveredCameras,
  recoverCameras,
  resolveCamera,
} from './camera.js';
export {
  fixMirrorFlips,
  MIRROR_NOISE_CORRELATION,
  MIRROR_PRIOR,
  MIRROR_TIE,
  type MirrorFixOptions,
  type MirrorFixResult,
  type MirrorTrackInput,
  mirrorEvidence,
} from './flips.js';
export {
  type BatchInput,
  type InputOptions,
  type MaskInput,
  type MaskValue,
  type Point2D,
  type RigInput,
  resolveRig,
  type SampleInput,
} from './input.js';
export {
  type ForwardInputs,
  Lifter,
  type LiftOptions,
  type LiftResult,
  type LoadLifterOptions,
  loadLifter,
  MIN_VISIBLE_POINTS,
  ModelOutputError,
  SMALL_BATCH_POINTS,
  type Vec3,
} from './lifter.js';
export {
  cameraJson,
  type LiftedSequence,
  type LiftedTrack,
  type LiftSequenceOptions,
  liftedSequenceArray,
  liftedSequenceCsv,
  liftedSequenceJson,
  liftSequence,
  SEQUENCE_FORMAT,
  type TemporalSettings,
  trackJointNames,
} from './sequence.js';
export {
  createOrtSessionFactory,
  type FloatTensor,
  getSessionFactory,
  listSessionFactories,
  type ModelSession,
  type OrtFactoryOptions,
  type OrtModule,
  RuntimeUnavailableError,
  registerSessionFactory,
  type SessionFactory,
  type SessionOptions,
} from './session.js';
export {
  type MissingPolicy,
  ONE_EURO_DEFAULTS,
  OneEuroFilter,
  type OneEuroOptions,
  resolveSmoothOptions,
  type SmoothOptions,
  smoothingFactor,
  smoothSequence,
  smoothTrack,
  UNIT_STEP_DEFAULT_FPS,
} from './smoothing.js';
