// Moved to @lfm/format (the dependency-free ONNX reader every runtime shares).
export { checkModel, type ModelSummary, type ModelValueSummary, readModelMetadata } from '@lfm/format';
