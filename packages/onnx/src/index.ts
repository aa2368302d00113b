export type { ModelSummary, ModelValueSummary } from './check.js';
export { checkModel, readModelMetadata } from './check.js';
export { OnnxFormatError } from './errors.js';
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
export type { Int64 } from './wire.js';
