export type { ModelSummary, ModelValueSummary } from './check.js';
export { checkModel, readModelMetadata } from './check.js';
export {
  ARCHITECTURE_KEYS,
  DEFAULT_LIFTER_CONFIG,
  type HeadKind,
  type LifterConfig,
  resolveLifterConfig,
  validateLifterConfig,
} from './config.js';
export {
  type AttentionKind,
  type BranchWidth,
  DEFAULT_KNN_K,
  type EncodingKind,
  JOINT_CODE_SCHEME,
  type NormStyle,
  usesAdjacency,
} from './constants.js';
export { ConfigError, OnnxFormatError } from './errors.js';
export type {
  JointCodeTableData,
  LifterIo,
  LifterModelInfo,
  LifterPreprocessContract,
  LifterTensorSpec,
} from './metadata.js';
export {
  LIFTER_FORMAT,
  LIFTER_FORMAT_VERSION,
  LIFTER_METADATA_KEYS,
  LifterFormatError,
  parseLifterMetadata,
} from './metadata.js';
export { defaultDomainOpProblem, MAX_KNOWN_OPSET, minIrVersionForOpset } from './op-table.js';
export type {
  AttributeProto,
  DecodeOptions,
  GraphProto,
  ModelProto,
  NodeProto,
  OperatorSetIdProto,
  StringStringEntryProto,
  TensorProto,
  TensorShapeDimension,
  TypeProto,
  ValueInfoProto,
} from './proto.js';
export {
  AttributeType,
  DataType,
  decodeModel,
  encodeModel,
  float32Tensor,
  int64Tensor,
  tensorToBigInt64,
  tensorToFloat32,
} from './proto.js';
export {
  decodeUtf8,
  fixed32ToFloat,
  fixed64ToFloat,
  type Int64,
  ProtoReader,
  ProtoWriter,
  type RawField,
  WireType,
} from './wire.js';
