export type { Tensor, TfCore } from './tfjs-ops.js';
export { assertTfjsGradients, createTfjsOps, createTfjsParams } from './tfjs-ops.js';
