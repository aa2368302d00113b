export type { ParameterInit, ParameterSpec } from '@lfm/encoding';
export {
  type AdamState,
  type AnyCheckpoint,
  type AnyCheckpointOptions,
  CHECKPOINT_MAGIC,
  CHECKPOINT_VERSION,
  type Checkpoint,
  checkParameterRecord,
  type DecodeCheckpointOptions,
  decodeAnyCheckpoint,
  decodeCheckpoint,
  encodeAnyCheckpoint,
  encodeCheckpoint,
  type JsonValue,
  LIFTER_KIND,
  type TaggedConfig,
} from './checkpoint.js';
export * from './config.js';
export { CheckpointMismatchError, ConfigError } from './errors.js';
export {
  CAMERA_HEAD_ITERATIONS,
  CAMERA_HEAD_RIDGE,
  type CameraHeadFit,
  cameraHead,
  fitCameraHead,
  forwardLifter,
  forwardLifterParts,
  initParameters,
  type LifterInputs,
  type LifterParts,
  mirrorPairFeature,
  parameterShapes,
} from './lifter.js';
