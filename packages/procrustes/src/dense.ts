/**
 * Small dense helpers for the solvers (n ≤ 12 in the pose solvers, 3K ≤ 96 in `nrsfm`): Householder least squares, the damped Cholesky solve
 * of Levenberg–Marquardt, and the left SO(3) update R ← Exp([ω]×)·R. Row-major, in place, no
 * allocation: callers own the buffers. (The symmetric eigensolver is `@lfm/core`'s `eigenSymmetric`.)
 */

import { orthonormalizeRows } from '@lfm/core';

/**
 * Least squares min ‖A x − b‖ for A m×n (m ≥ n, row-major, destroyed) by Householder QR; b (length m)
 * is destroyed. Directions with a negligible R diagonal get x = 0 (minimum-norm-ish on rank deficiency).
 */
export function leastSquares(m: number, n: number, A: Float64Array, b: Float64Array, x: Float64Array): void {
  let scale = 0;
  for (let i = 0; i < m * n; i++) scale = Math.max(scale, Math.abs(A[i]!));
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += A[i * n + k]! * A[i * n + k]!;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const akk = A[k * n + k]!;
    const alpha = akk > 0 ? -norm : norm;
    // v = a_k − alpha e_k stored in place below the diagonal; v_k kept in vk.
    const vk = akk - alpha;
    A[k * n + k] = vk;
    let vnorm2 = vk * vk;
    for (let i = k + 1; i < m; i++) vnorm2 += A[i * n + k]! * A[i * n + k]!;
    if (vnorm2 === 0) {
      A[k * n + k] = alpha;
      continue;
    }
    for (let j = k + 1; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += A[i * n + k]! * A[i * n + j]!;
      const f = (2 * dot) / vnorm2;
      for (let i = k; i < m; i++) A[i * n + j] = A[i * n + j]! - f * A[i * n + k]!;
    }
    let dot = 0;
    for (let i = k; i < m; i++) dot += A[i * n + k]! * b[i]!;
    const f = (2 * dot) / vnorm2;
    for (let i = k; i < m; i++) b[i] = b[i]! - f * A[i * n + k]!;
    A[k * n + k] = alpha;
  }
  const tol = 1e-13 * (scale || 1);
  for (let k = n - 1; k >= 0; k--) {
    const rkk = A[k * n + k]!;
    if (!(Math.abs(rkk) > tol)) {
      x[k] = 0;
      continue;
    }
    let acc = b[k]!;
    for (let j = k + 1; j < n; j++) acc -= A[k * n + j]! * x[j]!;
    x[k] = acc / rkk;
  }
}

/**
 * Solves the SPD system (H + μ·diag(H) + floor) δ = g for n×n H (row-major, read only) using `L` (n×n)
 * as scratch. Returns false when the damped matrix is not positive definite.
 */
export function solveDamped(
  n: number,
  H: Float64Array,
  g: Float64Array,
  mu: number,
  L: Float64Array,
  delta: Float64Array,
): boolean {
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, H[i * n + i]!);
  const floor = 1e-15 * maxDiag + 1e-300;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = H[i * n + j]!;
      if (i === j) s += mu * Math.max(H[i * n + i]!, 1e-9 * maxDiag) + floor;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) return false;
        L[i * n + i] = Math.sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j]!;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    let s = g[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * delta[k]!;
    delta[i] = s / L[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = delta[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * delta[k]!;
    delta[i] = s / L[i * n + i]!;
  }
  return true;
}

/** R ← Exp([ω]×)·R (Rodrigues), R a 3×3 at `r[o]`; the result is re-orthonormalised (Gram–Schmidt rows). */
export function rotateLeft(r: Float64Array, o: number, w0: number, w1: number, w2: number): void {
  const th2 = w0 * w0 + w1 * w1 + w2 * w2;
  const th = Math.sqrt(th2);
  // Exp = I + a [ω]× + b [ω]×², a = sin θ/θ, b = (1 − cos θ)/θ² (series near 0).
  const a = th < 1e-4 ? 1 - th2 / 6 : Math.sin(th) / th;
  const b = th < 1e-4 ? 0.5 - th2 / 24 : (1 - Math.cos(th)) / th2;
  const e00 = 1 - b * (w1 * w1 + w2 * w2);
  const e11 = 1 - b * (w0 * w0 + w2 * w2);
  const e22 = 1 - b * (w0 * w0 + w1 * w1);
  const e01 = -a * w2 + b * w0 * w1;
  const e10 = a * w2 + b * w0 * w1;
  const e02 = a * w1 + b * w0 * w2;
  const e20 = -a * w1 + b * w0 * w2;
  const e12 = -a * w0 + b * w1 * w2;
  const e21 = a * w0 + b * w1 * w2;
  for (let c = 0; c < 3; c++) {
    const r0 = r[o + c]!;
    const r1 = r[o + 3 + c]!;
    const r2 = r[o + 6 + c]!;
    r[o + c] = e00 * r0 + e01 * r1 + e02 * r2;
    r[o + 3 + c] = e10 * r0 + e11 * r1 + e12 * r2;
    r[o + 6 + c] = e20 * r0 + e21 * r1 + e22 * r2;
  }
  orthonormalizeRows(r, o);
}
