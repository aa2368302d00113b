import type { ParameterSpec } from '@lfm/core';
import { LfmError, type Ops, type Params, ShapeError } from '@lfm/core';

/**
 * Token positional encoding (3D-LFM Eq. 4): analytic random Fourier features of each 2D point,
 *
 *   TPE(w) = √(2/D) · [ sin(w ω + b), cos(w ω + b) ],   ω [2, D/2] ~ N(0, σ²),  b [D/2] ~ N(0, 1),
 *
 * sampled once (seeded) and kept fixed: both are non-trainable parameters `omega` and `phase`, stored
 * in checkpoints so a model is reproducible without its seed. The features approximate the Gaussian
 * kernel ⟨TPE(x), TPE(y)⟩ ≈ exp(−σ²‖x − y‖²/2) (Rahimi & Recht): σ sets the bandwidth relative to
 * the normalised coordinates in [−1, 1]; the paper only says "scaled appropriately". With both sin and
 * cos the phase b does not change that kernel (each sin/cos pair is rotated by b); it is kept, N(0, 1),
 * because the paper's formula has it. The encoding depends on a point's own coordinates only, so it
 * is permutation-equivariant, and ‖TPE(w)‖ = 1 for every w.
 */

/** The fixed TPE parameters: `omega` [2, D/2] ~ N(0, σ²), `phase` [D/2] ~ N(0, 1). */
export function tpeParameterSpecs(dModel: number, sigma: number): ParameterSpec[] {
  checkTpe(dModel, sigma);
  return [
    { name: 'omega', shape: [2, dModel / 2], trainable: false, init: { kind: 'normal', std: sigma } },
    { name: 'phase', shape: [dModel / 2], trainable: false, init: { kind: 'normal', std: 1 } },
  ];
}

/** points [B, N, 2] (normalised) → tokens [B, N, D]. Reads `omega`, `phase` from `params`. */
export function encodeTpe<T>(ops: Ops<T>, params: Params<T>, points: T, dModel: number): T {
  checkPoints(ops, points, 'encodeTpe');
  const half = dModel / 2;
  const z = ops.linear(points, params.get('omega', [2, half]), params.get('phase', [half]));
  return ops.mul(ops.concat([ops.sin(z), ops.cos(z)], -1), Math.sqrt(2 / dModel));
}

function checkTpe(dModel: number, sigma: number): void {
  if (!Number.isInteger(dModel) || dModel < 2 || dModel % 2 !== 0) {
    throw new LfmError('E_CONFIG', `TPE needs an even model width dModel ≥ 2, got ${dModel}`);
  }
  if (!(Number.isFinite(sigma) && sigma > 0)) {
    throw new LfmError('E_CONFIG', `TPE sigma must be a finite number > 0, got ${sigma}`);
  }
}

/** Throws unless `points` is [..., 2]. */
export function checkPoints<T>(ops: Ops<T>, points: T, where: string): void {
  const s = ops.shape(points);
  if (s.length < 2 || s[s.length - 1] !== 2) {
    throw new ShapeError(`${where}: points must be [B, N, 2], got [${s.join(', ')}]`);
  }
}
