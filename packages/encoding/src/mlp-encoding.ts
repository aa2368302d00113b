import { LfmError, linearSpecs, type Ops, type ParameterSpec, type Params } from '@lfm/core';
import { checkPoints } from './tpe.js';

/**
 * The learnable alternative to TPE (the paper's ablation, "learnable TPE"): a per-point GELU MLP of
 * the coordinates, Linear(2 → D) → GELU → Linear(D → D). Per point, so permutation-equivariant too.
 */

/** `fc1` [2, D] (He: followed by GELU), `fc2` [D, D] (Xavier); zero biases. */
export function mlpEncodingParameterSpecs(dModel: number): ParameterSpec[] {
  if (!Number.isInteger(dModel) || dModel < 1) {
    throw new LfmError('E_CONFIG', `the MLP encoding needs a model width dModel ≥ 1, got ${dModel}`);
  }
  return [...linearSpecs('fc1', 2, dModel, 'heNormal'), ...linearSpecs('fc2', dModel, dModel)];
}

/** points [B, N, 2] → tokens [B, N, D]. Reads `fc1.{w,b}`, `fc2.{w,b}`. */
export function encodeMlp<T>(ops: Ops<T>, params: Params<T>, points: T, dModel: number): T {
  checkPoints(ops, points, 'encodeMlp');
  const h = ops.gelu(ops.linear(points, params.get('fc1.w', [2, dModel]), params.get('fc1.b', [dModel])));
  return ops.linear(h, params.get('fc2.w', [dModel, dModel]), params.get('fc2.b', [dModel]));
}
