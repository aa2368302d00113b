// The spec modules that moved to @lfm/format: each re-exported once, through its old module.
export * from './check.js';
export { OnnxFormatError } from './errors.js';
export type { ExportLifterOptions, LifterSource } from './export.js';
export { exportLifter } from './export.js';
export * from './export-metadata.js';
export type { GradientRule, RuleContext, TrainingGraph, TrainingGraphOptions } from './grad/index.js';
export { buildTrainingGraph, GRADIENT_RULES, NON_DIFFERENTIABLE } from './grad/index.js';
export type { AddNodeOptions, Attribute, DType, EmitOptions, OutputSpec, ValueKind } from './graph.js';
export { Graph, GraphNode, GraphValue, ONNX_IR_VERSION, ONNX_OPSET } from './graph.js';
export type { OnnxRecorder, OnnxRecorderOptions, Sym, ToModelOptions } from './recorder.js';
export { createOnnxRecorder } from './recorder.js';
export { type LifterWeights, readLifterWeights } from './weights.js';
export type { Int64 } from './wire.js';
