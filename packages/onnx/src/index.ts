export type { ModelSummary, ModelValueSummary } from './check.js';
export { checkModel, readModelMetadata } from './check.js';
export { OnnxFormatError } from './errors.js';
export type { ExportLifterOptions, LifterSource } from './export.js';
export { exportLifter } from './export.js';
export type {
  JointCodeTableData,
  LifterIo,
  LifterModelInfo,
  LifterPreprocessContract,
  LifterTensorSpec,
} from './export-metadata.js';
export {
  LIFTER_FORMAT,
  LIFTER_FORMAT_VERSION,
  LIFTER_METADATA_KEYS,
  LifterFormatError,
  parseLifterMetadata,
} from './export-metadata.js';
export type { GradientRule, RuleContext, TrainingGraph, TrainingGraphOptions } from './grad/index.js';
export { buildTrainingGraph, GRADIENT_RULES, NON_DIFFERENTIABLE } from './grad/index.js';
export type { AddNodeOptions, Attribute, DType, EmitOptions, OutputSpec, ValueKind } from './graph.js';
export { Graph, GraphNode, GraphValue, ONNX_IR_VERSION, ONNX_OPSET } from './graph.js';
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
export type { OnnxRecorder, OnnxRecorderOptions, Sym, ToModelOptions } from './recorder.js';
export { createOnnxRecorder } from './recorder.js';
export { type LifterWeights, readLifterWeights } from './weights.js';
export type { Int64 } from './wire.js';
