export {
  type EncoderBlockConfig,
  encoderBlock,
  encoderBlockShapes,
  multiHeadAttention,
  permutationError,
  permutePoints,
  randomEncoderBlock,
  randomFloat32,
  worstRelativeError,
} from './encoder-block.js';
export { finiteDifferenceErrors, gradientError, maxAbs } from './gradients.js';
export { composeSvd3, diag3, maxAbsDiff, orthogonalityError } from './matrices.js';
export {
  createReferenceOps,
  createReferenceParams,
  erf64,
  type RefTensor,
  refTensor,
} from './reference-ops.js';
