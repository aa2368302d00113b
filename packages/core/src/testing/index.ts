export {
  createReferenceOps,
  createReferenceParams,
  erf64,
  type RefTensor,
  refTensor,
} from './reference-ops.js';
