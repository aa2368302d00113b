/**
 * Small matrix checks shared by the linear-algebra and solver tests of several packages
 * (`@lfm/core/testing`). Row-major 3×3 runs as in linalg3. They return numbers, so a test states
 * its own tolerance.
 */

import { det3, mul3, mul3ABt, mul3AtB } from '../linalg3.js';

/** max over i < n of |a[ao + i] − b[bo + i]|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, ao = 0, bo = 0, n = a.length): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[ao + i]! - b[bo + i]!));
  return m;
}

/** The 3×3 diagonal matrix diag(d₀, d₁, d₂). */
export function diag3(d: ArrayLike<number>): Float64Array {
  return new Float64Array([d[0]!, 0, 0, 0, d[1]!, 0, 0, 0, d[2]!]);
}

/** U·diag(S)·Vᵀ (3×3): rebuilds a matrix from its SVD or a symmetric one from its eigenpairs (V = U). */
export function composeSvd3(U: ArrayLike<number>, S: ArrayLike<number>, V: ArrayLike<number>): Float64Array {
  const out = new Float64Array(9);
  mul3(out, U, diag3(S));
  return mul3ABt(out, out, V);
}

/** How far R is from orthogonal with determinant `det`: max(‖RᵀR − I‖_max, |det R − det|). */
export function orthogonalityError(R: ArrayLike<number>, det = 1): number {
  const RtR = mul3AtB(new Float64Array(9), R, R);
  return Math.max(maxAbsDiff(RtR, diag3([1, 1, 1])), Math.abs(det3(R) - det));
}
