/**
 * Tiny dense helpers for the solvers (n ≤ 12): symmetric Jacobi eigen-decomposition, Householder
 * least squares, Cholesky solve, and the left SO(3) update R ← Exp([ω]×)·R. Row-major, in place,
 * no allocation: callers own the buffers.
 */

import { hypot } from '@lfm/core';

/**
 * Eigen-decomposition of the symmetric n×n `a` (row-major; destroyed): a = V diag(values) Vᵀ with the
 * eigenvalues in ASCENDING order and eigenvector k in column k of V (`V[i * n + k]`). `e` is scratch of
 * length n. Householder tridiagonalisation then implicit QL with Wilkinson-like shifts (EISPACK
 * tred2/tql2, as in JAMA): ~9n³ flops, a fifth of cyclic Jacobi's at n = 12.
 */
export function eigenSymmetric(
  n: number,
  a: Float64Array,
  values: Float64Array,
  V: Float64Array,
  e: Float64Array,
): void {
  const d = values;
  for (let i = 0; i < n * n; i++) V[i] = a[i]!;
  // --- tred2: V ← Q, d ← diagonal, e ← sub-diagonal.
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j * n + i] = f;
        g = e[j]! + V[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j]! * d[k]!;
          e[k] = e[k]! + V[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k * n + j] = V[k * n + j]! - (f * e[k]! + g * d[k]!);
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]!;
    V[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1]! * V[k * n + j]!;
        for (let k = 0; k <= i; k++) V[k * n + j] = V[k * n + j]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]!;
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
  // --- tql2: diagonalise the tridiagonal (d, e), accumulating rotations into V.
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      for (let iter = 0; iter < 64; iter++) {
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.sqrt(p * p + 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.sqrt(p * p + e[i]! * e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          for (let k = 0; k < n; k++) {
            const vk1 = V[k * n + i + 1]!;
            const vk = V[k * n + i]!;
            V[k * n + i + 1] = s * vk + c * vk1;
            V[k * n + i] = c * vk - s * vk1;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(Math.abs(e[l]!) > eps * tst1)) break;
      }
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  // Ascending order (selection sort, swapping columns of V).
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i]!;
    for (let j = i + 1; j < n; j++) {
      if (d[j]! < p) {
        k = j;
        p = d[j]!;
      }
    }
    if (k !== i) {
      d[k] = d[i]!;
      d[i] = p;
      for (let r = 0; r < n; r++) {
        const t = V[r * n + i]!;
        V[r * n + i] = V[r * n + k]!;
        V[r * n + k] = t;
      }
    }
  }
}

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

/** Gram–Schmidt on the first two rows, third = first × second: a proper rotation near the input. */
export function orthonormalizeRows(r: Float64Array, o: number): void {
  let a0 = r[o]!;
  let a1 = r[o + 1]!;
  let a2 = r[o + 2]!;
  let n = hypot(a0, a1, a2);
  a0 /= n;
  a1 /= n;
  a2 /= n;
  let b0 = r[o + 3]!;
  let b1 = r[o + 4]!;
  let b2 = r[o + 5]!;
  const d = a0 * b0 + a1 * b1 + a2 * b2;
  b0 -= d * a0;
  b1 -= d * a1;
  b2 -= d * a2;
  n = hypot(b0, b1, b2);
  b0 /= n;
  b1 /= n;
  b2 /= n;
  r[o] = a0;
  r[o + 1] = a1;
  r[o + 2] = a2;
  r[o + 3] = b0;
  r[o + 4] = b1;
  r[o + 5] = b2;
  r[o + 6] = a1 * b2 - a2 * b1;
  r[o + 7] = a2 * b0 - a0 * b2;
  r[o + 8] = a0 * b1 - a1 * b0;
}
