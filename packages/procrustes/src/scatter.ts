/** Weighted centring and scatter of compact 3D point sets: the first step of OnP, PnP and EPnP. */

import { weightedMean } from './qcp.js';

/**
 * For n compact points xs [n,3] with weights ws [n] (all > 0): writes the centroid
 * x̄ = Σ wᵢxᵢ / W to `mean` [3], the centred points xᵢ − x̄ to `centred` [n,3] and the symmetric
 * scatter Σ ŵᵢ (xᵢ − x̄)(xᵢ − x̄)ᵀ to `scatter` [3,3], with ŵᵢ = wᵢ, or wᵢ / W (the covariance)
 * when `normalise`. Returns W = Σ wᵢ. Two passes (centroid, then centred sums): no cancellation
 * for points far from the origin.
 */
export function centredScatter(
  xs: Float64Array,
  ws: Float64Array,
  n: number,
  normalise: boolean,
  mean: Float64Array,
  centred: Float64Array,
  scatter: Float64Array,
): number {
  const W = weightedMean(xs, 0, 3, ws, 0, n, mean);
  const m0 = mean[0]!;
  const m1 = mean[1]!;
  const m2 = mean[2]!;
  scatter.fill(0);
  for (let i = 0; i < n; i++) {
    const w = normalise ? ws[i]! / W : ws[i]!;
    const a0 = xs[3 * i]! - m0;
    const a1 = xs[3 * i + 1]! - m1;
    const a2 = xs[3 * i + 2]! - m2;
    centred[3 * i] = a0;
    centred[3 * i + 1] = a1;
    centred[3 * i + 2] = a2;
    scatter[0] = scatter[0]! + w * a0 * a0;
    scatter[1] = scatter[1]! + w * a0 * a1;
    scatter[2] = scatter[2]! + w * a0 * a2;
    scatter[4] = scatter[4]! + w * a1 * a1;
    scatter[5] = scatter[5]! + w * a1 * a2;
    scatter[8] = scatter[8]! + w * a2 * a2;
  }
  scatter[3] = scatter[1]!;
  scatter[6] = scatter[2]!;
  scatter[7] = scatter[5]!;
  return W;
}

/** m[mo + 3r + c] += u_r·v_c: adds the outer product u vᵀ of two 3-vectors to the 3×3 at `m[mo]`. */
export function addOuter3(
  m: Float64Array,
  mo: number,
  u0: number,
  u1: number,
  u2: number,
  v0: number,
  v1: number,
  v2: number,
): void {
  m[mo] = m[mo]! + u0 * v0;
  m[mo + 1] = m[mo + 1]! + u0 * v1;
  m[mo + 2] = m[mo + 2]! + u0 * v2;
  m[mo + 3] = m[mo + 3]! + u1 * v0;
  m[mo + 4] = m[mo + 4]! + u1 * v1;
  m[mo + 5] = m[mo + 5]! + u1 * v2;
  m[mo + 6] = m[mo + 6]! + u2 * v0;
  m[mo + 7] = m[mo + 7]! + u2 * v1;
  m[mo + 8] = m[mo + 8]! + u2 * v2;
}
