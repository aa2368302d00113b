export { composeSvd3, diag3, maxAbsDiff, orthogonalityError } from './matrices.js';
export {
  createReferenceOps,
  createReferenceParams,
  erf64,
  type RefTensor,
  refTensor,
} from './reference-ops.js';
