/**
 * Small dense linear algebra in Float64 for 3×3.
 *
 * Matrices are row-major runs of 9 numbers, `m[o + 3 * row + col]`, so a batch [B,3,3] is one
 * Float64Array and sample b starts at offset 9b. Every function reads its inputs into locals before
 * writing, so `out` may alias an input. Nothing here allocates per call: the solvers use module-level
 * scratch (JS is single-threaded and none of these functions re-enter).
 */

import { eigenSymmetric } from './eigen.js';

/** Read-only numeric input: any typed array or number[]. */
export type Numbers = ArrayLike<number>;

/** det(m) of the 3×3 at offset `o`. */
export function det3(m: Numbers, o = 0): number {
  const a = m[o]!;
  const b = m[o + 1]!;
  const c = m[o + 2]!;
  const d = m[o + 3]!;
  const e = m[o + 4]!;
  const f = m[o + 5]!;
  const g = m[o + 6]!;
  const h = m[o + 7]!;
  const i = m[o + 8]!;
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

/** out = aᵀ. */
export function transpose3(out: Float64Array, a: Numbers, oo = 0, ao = 0): Float64Array {
  const a1 = a[ao + 1]!;
  const a2 = a[ao + 2]!;
  const a5 = a[ao + 5]!;
  out[oo] = a[ao]!;
  out[oo + 4] = a[ao + 4]!;
  out[oo + 8] = a[ao + 8]!;
  out[oo + 1] = a[ao + 3]!;
  out[oo + 3] = a1;
  out[oo + 2] = a[ao + 6]!;
  out[oo + 6] = a2;
  out[oo + 5] = a[ao + 7]!;
  out[oo + 7] = a5;
  return out;
}

/** out = op(a)·op(b) with op = identity or transpose; the three public products below share it. */
function product3(
  out: Float64Array,
  a: Numbers,
  b: Numbers,
  oo: number,
  ao: number,
  bo: number,
  ta: boolean,
  tb: boolean,
): Float64Array {
  // Element (r, c) of op(a) is a[3r + c] or a[3c + r].
  const a00 = a[ao]!;
  const a11 = a[ao + 4]!;
  const a22 = a[ao + 8]!;
  const a01 = ta ? a[ao + 3]! : a[ao + 1]!;
  const a02 = ta ? a[ao + 6]! : a[ao + 2]!;
  const a10 = ta ? a[ao + 1]! : a[ao + 3]!;
  const a12 = ta ? a[ao + 7]! : a[ao + 5]!;
  const a20 = ta ? a[ao + 2]! : a[ao + 6]!;
  const a21 = ta ? a[ao + 5]! : a[ao + 7]!;
  const b00 = b[bo]!;
  const b11 = b[bo + 4]!;
  const b22 = b[bo + 8]!;
  const b01 = tb ? b[bo + 3]! : b[bo + 1]!;
  const b02 = tb ? b[bo + 6]! : b[bo + 2]!;
  const b10 = tb ? b[bo + 1]! : b[bo + 3]!;
  const b12 = tb ? b[bo + 7]! : b[bo + 5]!;
  const b20 = tb ? b[bo + 2]! : b[bo + 6]!;
  const b21 = tb ? b[bo + 5]! : b[bo + 7]!;
  out[oo] = a00 * b00 + a01 * b10 + a02 * b20;
  out[oo + 1] = a00 * b01 + a01 * b11 + a02 * b21;
  out[oo + 2] = a00 * b02 + a01 * b12 + a02 * b22;
  out[oo + 3] = a10 * b00 + a11 * b10 + a12 * b20;
  out[oo + 4] = a10 * b01 + a11 * b11 + a12 * b21;
  out[oo + 5] = a10 * b02 + a11 * b12 + a12 * b22;
  out[oo + 6] = a20 * b00 + a21 * b10 + a22 * b20;
  out[oo + 7] = a20 * b01 + a21 * b11 + a22 * b21;
  out[oo + 8] = a20 * b02 + a21 * b12 + a22 * b22;
  return out;
}

/** out = a·b (3×3). */
export function mul3(out: Float64Array, a: Numbers, b: Numbers, oo = 0, ao = 0, bo = 0): Float64Array {
  return product3(out, a, b, oo, ao, bo, false, false);
}

/** out = aᵀ·b (3×3). */
export function mul3AtB(out: Float64Array, a: Numbers, b: Numbers, oo = 0, ao = 0, bo = 0): Float64Array {
  return product3(out, a, b, oo, ao, bo, true, false);
}

/** out = a·bᵀ (3×3). */
export function mul3ABt(out: Float64Array, a: Numbers, b: Numbers, oo = 0, ao = 0, bo = 0): Float64Array {
  return product3(out, a, b, oo, ao, bo, false, true);
}

/** out = m·v for the 3×3 at `m[mo]` and the 3-vector at `v[vo]` (written at `out[oo]`). */
export function mulVec3(out: Float64Array, m: Numbers, v: Numbers, oo = 0, mo = 0, vo = 0): Float64Array {
  const v0 = v[vo]!;
  const v1 = v[vo + 1]!;
  const v2 = v[vo + 2]!;
  out[oo] = m[mo]! * v0 + m[mo + 1]! * v1 + m[mo + 2]! * v2;
  out[oo + 1] = m[mo + 3]! * v0 + m[mo + 4]! * v1 + m[mo + 5]! * v2;
  out[oo + 2] = m[mo + 6]! * v0 + m[mo + 7]! * v1 + m[mo + 8]! * v2;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Symmetric eigen-decomposition (the general solver at n = 3) and SVD (one-sided Jacobi)
// ---------------------------------------------------------------------------------------------

const eigA = new Float64Array(9);
const eigD = new Float64Array(3);
const eigV = new Float64Array(9);
const eigE = new Float64Array(3);

/**
 * Eigen-decomposition of a symmetric 3×3 `a` (its symmetric part is used): a = V diag(values) Vᵀ.
 * values: [3], descending. vectors: [3,3] row-major with the eigenvectors as COLUMNS
 * (`vectors[3i + k]` = component i of eigenvector k), orthonormal with det +1. Signs do not depend on
 * the algorithm: the largest-magnitude component of eigenvectors 0 and 1 is positive (the first one
 * on a tie) and eigenvector 2 is their cross product. `eigenSymmetric` (tridiagonal QL) at n = 3.
 */
export function eigSym3(
  a: Numbers,
  values: Float64Array,
  vectors: Float64Array,
  ao = 0,
  vo = 0,
  eo = 0,
): void {
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) eigA[3 * i + j] = 0.5 * (a[ao + 3 * i + j]! + a[ao + 3 * j + i]!);
  }
  eigenSymmetric(3, eigA, eigD, eigV, eigE);
  sortColumns3(eigD[0]!, eigD[1]!, eigD[2]!, eigV, values, vectors, eo, vo);
  for (let k = 0; k < 2; k++) {
    let big = vectors[vo + k]!;
    for (let r = 1; r < 3; r++) {
      const v = vectors[vo + 3 * r + k]!;
      if (Math.abs(v) > Math.abs(big)) big = v;
    }
    if (big < 0) for (let r = 0; r < 3; r++) vectors[vo + 3 * r + k] = -vectors[vo + 3 * r + k]!;
  }
  crossLast3(vectors, vo, 1, 3);
}

/**
 * Vector 2 := vector 0 × vector 1 of the 3×3 at `m[o]`, component i of vector k at `m[o + k·vs + i·cs]`:
 * rows (vs, cs) = (3, 1), columns (1, 3).
 */
function crossLast3(m: Float64Array, o: number, vs: number, cs: number): void {
  const a0 = m[o]!;
  const a1 = m[o + cs]!;
  const a2 = m[o + 2 * cs]!;
  const b0 = m[o + vs]!;
  const b1 = m[o + vs + cs]!;
  const b2 = m[o + vs + 2 * cs]!;
  m[o + 2 * vs] = a1 * b2 - a2 * b1;
  m[o + 2 * vs + cs] = a2 * b0 - a0 * b2;
  m[o + 2 * vs + 2 * cs] = a0 * b1 - a1 * b0;
}

/** Row 2 := row 0 × row 1 of the 3×3 at `r[o]`: two orthonormal rows completed to a rotation. */
export function crossRows3(r: Float64Array, o = 0): Float64Array {
  crossLast3(r, o, 3, 1);
  return r;
}

const sortKey = new Float64Array(3);

/** Writes (d, V) sorted by d descending into values/vectors, making det(vectors) = +1. */
function sortColumns3(
  d0: number,
  d1: number,
  d2: number,
  V: Float64Array,
  values: Float64Array,
  vectors: Float64Array,
  eo: number,
  vo: number,
): void {
  // Stable sorting network (0,1), (1,2), (0,1) on the column indices; no allocation.
  const d = sortKey;
  d[0] = d0;
  d[1] = d1;
  d[2] = d2;
  let i0 = 0;
  let i1 = 1;
  let i2 = 2;
  let t = 0;
  if (d[i1]! > d[i0]!) {
    t = i0;
    i0 = i1;
    i1 = t;
  }
  if (d[i2]! > d[i1]!) {
    t = i1;
    i1 = i2;
    i2 = t;
  }
  if (d[i1]! > d[i0]!) {
    t = i0;
    i0 = i1;
    i1 = t;
  }
  values[eo] = d[i0]!;
  values[eo + 1] = d[i1]!;
  values[eo + 2] = d[i2]!;
  for (let r = 0; r < 3; r++) {
    vectors[vo + 3 * r] = V[3 * r + i0]!;
    vectors[vo + 3 * r + 1] = V[3 * r + i1]!;
    vectors[vo + 3 * r + 2] = V[3 * r + i2]!;
  }
  if (det3(vectors, vo) < 0) {
    for (let r = 0; r < 3; r++) vectors[vo + 3 * r + 2] = -vectors[vo + 3 * r + 2]!;
  }
}

const svdA = new Float64Array(9);
const svdV = new Float64Array(9);
const svdS = new Float64Array(3);
const svdVs = new Float64Array(9);
const svdF = new Float64Array(9);

/**
 * Signed SVD of a 3×3: m = U diag(S) Vᵀ with U and V proper rotations (det +1),
 * S[0] ≥ S[1] ≥ |S[2]| ≥ 0 except that S[2] carries the sign of det(m).
 * So U·Vᵀ is the rotation nearest to m, and U·diag(1, 1, sign S[2])·Vᵀ the nearest orthogonal matrix.
 * One-sided (Hestenes) Jacobi on m's columns: relative accuracy of small singular values, no
 * squaring of the condition number. Rank-deficient m gets U completed by cross products.
 * U, V: [3,3] row-major (singular vectors are COLUMNS); S: [3].
 */
export function svd3(
  m: Numbers,
  U: Float64Array,
  S: Float64Array,
  V: Float64Array,
  mo = 0,
  uo = 0,
  so = 0,
  vo = 0,
): void {
  const A = svdA;
  const W = svdV;
  for (let i = 0; i < 9; i++) A[i] = m[mo + i]!;
  W.fill(0);
  W[0] = W[4] = W[8] = 1;
  let fro2 = 0;
  for (let i = 0; i < 9; i++) fro2 += A[i]! * A[i]!;
  // A column of norm ≤ 1e-14‖m‖ is rounding noise (rank deficiency): rotating it only reshuffles noise.
  const negligible = 1e-28 * fro2;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < 2; p++) {
      for (let q = p + 1; q < 3; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let k = 0; k < 3; k++) {
          const ap = A[3 * k + p]!;
          const aq = A[3 * k + q]!;
          alpha += ap * ap;
          beta += aq * aq;
          gamma += ap * aq;
        }
        // Columns orthogonal to rounding level (a few ulps): further rotations only shuffle noise.
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        if (alpha <= negligible || beta <= negligible) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let k = 0; k < 3; k++) {
          const ap = A[3 * k + p]!;
          const aq = A[3 * k + q]!;
          A[3 * k + p] = c * ap - s * aq;
          A[3 * k + q] = s * ap + c * aq;
          const vp = W[3 * k + p]!;
          const vq = W[3 * k + q]!;
          W[3 * k + p] = c * vp - s * vq;
          W[3 * k + q] = s * vp + c * vq;
        }
      }
    }
    if (!rotated) break;
  }
  // Column norms are the singular values; sort descending (columns of A move with those of W).
  const n0 = hypot(A[0]!, A[3]!, A[6]!);
  const n1 = hypot(A[1]!, A[4]!, A[7]!);
  const n2 = hypot(A[2]!, A[5]!, A[8]!);
  sortColumns3(n0, n1, n2, W, svdS, svdVs, 0, 0);
  // svdVs = sorted V with det +1. Recompute A columns as m·v (exact w.r.t. the final V).
  const Vs = svdVs;
  mul3(A, m, Vs, 0, mo, 0);
  const s0 = svdS[0]!;
  const s1 = svdS[1]!;
  // U's columns: a0 normalised, a1 orthogonalised against it (any unit vector ⟂ u0 when a1 is
  // numerically zero), and u2 = u0 × u1 so det U = +1 — Gram–Schmidt on the rows of Aᵀ.
  const F = transpose3(svdF, A);
  orthonormalizeRows(F, 0, s1 === 0 ? Number.POSITIVE_INFINITY : 1e-14 * s0);
  transpose3(U, F, uo, 0);
  // The third singular value is signed: σ2 = u2 · (m v2).
  const s2 = F[6]! * A[2]! + F[7]! * A[5]! + F[8]! * A[8]!;
  S[so] = s0;
  S[so + 1] = s1;
  S[so + 2] = s2;
  for (let i = 0; i < 9; i++) V[vo + i] = Vs[i]!;
}

/**
 * Gram–Schmidt on rows 0 and 1 of the 3×3 at `r[o]`, row 2 = row 0 × row 1: a proper rotation whose
 * first row is along the input's first. A zero row 0 becomes e₀; a row 1 whose part orthogonal to
 * row 0 has norm ≤ `tiny` (numerically parallel or zero) is replaced by the axis least aligned with
 * row 0, orthogonalised.
 */
export function orthonormalizeRows(r: Float64Array, o = 0, tiny = 0): void {
  let a0 = 1;
  let a1 = 0;
  let a2 = 0;
  const na = hypot(r[o]!, r[o + 1]!, r[o + 2]!);
  if (na > 0) {
    a0 = r[o]! / na;
    a1 = r[o + 1]! / na;
    a2 = r[o + 2]! / na;
  }
  let b0 = r[o + 3]!;
  let b1 = r[o + 4]!;
  let b2 = r[o + 5]!;
  let n = 0;
  for (let attempt = 0; ; attempt++) {
    const d = b0 * a0 + b1 * a1 + b2 * a2;
    b0 -= d * a0;
    b1 -= d * a1;
    b2 -= d * a2;
    n = hypot(b0, b1, b2);
    if (n > tiny || attempt > 0) break;
    // Once more from the axis least aligned with row 0.
    const ax = Math.abs(a0);
    const ay = Math.abs(a1);
    const az = Math.abs(a2);
    const axis = ax <= ay && ax <= az ? 0 : ay <= az ? 1 : 2;
    b0 = axis === 0 ? 1 : 0;
    b1 = axis === 1 ? 1 : 0;
    b2 = axis === 2 ? 1 : 0;
  }
  b0 /= n;
  b1 /= n;
  b2 /= n;
  r[o] = a0;
  r[o + 1] = a1;
  r[o + 2] = a2;
  r[o + 3] = b0;
  r[o + 4] = b1;
  r[o + 5] = b2;
  crossRows3(r, o);
}

const polU = new Float64Array(9);
const polS = new Float64Array(3);
const polV = new Float64Array(9);
const polVS = new Float64Array(9);

/**
 * Polar decomposition m = R·P: R the orthogonal factor, P = Rᵀm symmetric.
 * By default R is the nearest ROTATION (det +1; P is then indefinite when det m < 0);
 * with `allowReflection`, R is the nearest orthogonal matrix (det = sign det m) and P is PSD.
 * R, P: [3,3]; pass `P = undefined` to skip it.
 */
export function polar3(
  m: Numbers,
  R: Float64Array,
  P?: Float64Array,
  allowReflection = false,
  mo = 0,
  ro = 0,
  po = 0,
): void {
  svd3(m, polU, polS, polV, mo);
  const flip = allowReflection && polS[2]! < 0 ? -1 : 1;
  // R = U·diag(1, 1, flip)·Vᵀ: flip U's last column (exact), then one product.
  if (flip < 0) for (let r = 0; r < 3; r++) polU[3 * r + 2] = -polU[3 * r + 2]!;
  mul3ABt(R, polU, polV, ro);
  if (P) {
    // P = V·diag(s0, s1, flip·s2)·Vᵀ.
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++)
        polVS[3 * r + c] = (c === 2 ? flip * polS[2]! : polS[c]!) * polV[3 * r + c]!;
    }
    mul3ABt(P, polVS, polV, po);
  }
}

/**
 * √(a² + b² + c²) for 2 or 3 values. Unlike Math.hypot (a varargs builtin), this inlines and never
 * allocates; it has no overflow guard, so keep |values| below ~1e150.
 */
export function hypot(a: number, b: number, c = 0): number {
  return Math.sqrt(a * a + b * b + c * c);
}
