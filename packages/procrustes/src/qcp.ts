/**
 * The Procrustes kernel shared by the aligners, EPnP and the metrics: weighted moments of one sample,
 * then the optimal rotation of its cross-covariance (QCP). Row-major 3×3 runs as in `@lfm/core`'s
 * linalg3; module-level scratch, no allocation per call.
 */

import { mulVec3, type NumArray, type Numbers } from '@lfm/core';

/**
 * Layout of the record `weightedMoments` writes (offsets into `out`):
 * total weight, visible count, x̄ [3], ȳ [3], M = Σ wᵢ (xᵢ−x̄)(yᵢ−ȳ)ᵀ [3,3] row-major,
 * gx = Σ wᵢ‖xᵢ−x̄‖², gy = Σ wᵢ‖yᵢ−ȳ‖².
 */
export const MOMENTS = {
  weight: 0,
  count: 1,
  meanX: 2,
  meanY: 5,
  cov: 8,
  gx: 17,
  gy: 18,
  size: 19,
} as const;

/**
 * The weighted centroid of n points of `dim` = 2 or 3 coordinates — point i at `x[xo + dim·i]`,
 * weight `w[wo + i]` (all 1 when `w` is undefined) — over the points whose weight is > 0 (the others
 * are never read, so NaN there is harmless): writes Σ wᵢxᵢ / W to `mean[mo..mo+dim]` and returns
 * W = Σ wᵢ, 0 when no weight is > 0 (the mean is then NaN).
 */
export function weightedMean(
  x: Numbers,
  xo: number,
  dim: 2 | 3,
  w: NumArray | undefined,
  wo: number,
  n: number,
  mean: Float64Array,
  mo = 0,
): number {
  let W = 0;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const wi = w === undefined ? 1 : w[wo + i]!;
    if (!(wi > 0)) continue;
    const p = xo + dim * i;
    W += wi;
    s0 += wi * x[p]!;
    s1 += wi * x[p + 1]!;
    if (dim === 3) s2 += wi * x[p + 2]!;
  }
  mean[mo] = s0 / W;
  mean[mo + 1] = s1 / W;
  if (dim === 3) mean[mo + 2] = s2 / W;
  return W;
}

/**
 * Weighted centred moments of one sample of paired 3D points (stride 3): x at `x[xo + 3i]`, y at
 * `y[yo + 3i]`, weight `w[wo + i]` (all 1 when `w` is undefined), i < n. A point whose weight is not
 * > 0 is skipped entirely — its coordinates are never read, so NaN there is harmless. Two passes
 * (means, then centred sums): no cancellation for far-from-origin points.
 * Returns the number of points with weight > 0 (the record is all zeros when it is 0). Non-finite
 * visible values make the sums non-finite: check `Number.isFinite(out[MOMENTS.gx] + out[MOMENTS.gy])`.
 */
export function weightedMoments(
  x: Numbers,
  xo: number,
  y: Numbers,
  yo: number,
  w: NumArray | undefined,
  wo: number,
  n: number,
  out: Float64Array,
  oo = 0,
): number {
  const W = weightedMean(x, xo, 3, w, wo, n, out, oo + MOMENTS.meanX);
  if (W === 0) {
    out.fill(0, oo, oo + MOMENTS.size);
    return 0;
  }
  weightedMean(y, yo, 3, w, wo, n, out, oo + MOMENTS.meanY);
  const mx0 = out[oo + MOMENTS.meanX]!;
  const mx1 = out[oo + MOMENTS.meanX + 1]!;
  const mx2 = out[oo + MOMENTS.meanX + 2]!;
  const my0 = out[oo + MOMENTS.meanY]!;
  const my1 = out[oo + MOMENTS.meanY + 1]!;
  const my2 = out[oo + MOMENTS.meanY + 2]!;
  let count = 0;
  let m00 = 0;
  let m01 = 0;
  let m02 = 0;
  let m10 = 0;
  let m11 = 0;
  let m12 = 0;
  let m20 = 0;
  let m21 = 0;
  let m22 = 0;
  let gx = 0;
  let gy = 0;
  for (let i = 0; i < n; i++) {
    const wi = w === undefined ? 1 : w[wo + i]!;
    if (!(wi > 0)) continue;
    const xi = xo + 3 * i;
    const yi = yo + 3 * i;
    count++;
    const a0 = x[xi]! - mx0;
    const a1 = x[xi + 1]! - mx1;
    const a2 = x[xi + 2]! - mx2;
    const b0 = y[yi]! - my0;
    const b1 = y[yi + 1]! - my1;
    const b2 = y[yi + 2]! - my2;
    const wa0 = wi * a0;
    const wa1 = wi * a1;
    const wa2 = wi * a2;
    m00 += wa0 * b0;
    m01 += wa0 * b1;
    m02 += wa0 * b2;
    m10 += wa1 * b0;
    m11 += wa1 * b1;
    m12 += wa1 * b2;
    m20 += wa2 * b0;
    m21 += wa2 * b1;
    m22 += wa2 * b2;
    gx += wa0 * a0 + wa1 * a1 + wa2 * a2;
    gy += wi * (b0 * b0 + b1 * b1 + b2 * b2);
  }
  out[oo + MOMENTS.weight] = W;
  out[oo + MOMENTS.count] = count;
  out[oo + MOMENTS.cov] = m00;
  out[oo + MOMENTS.cov + 1] = m01;
  out[oo + MOMENTS.cov + 2] = m02;
  out[oo + MOMENTS.cov + 3] = m10;
  out[oo + MOMENTS.cov + 4] = m11;
  out[oo + MOMENTS.cov + 5] = m12;
  out[oo + MOMENTS.cov + 6] = m20;
  out[oo + MOMENTS.cov + 7] = m21;
  out[oo + MOMENTS.cov + 8] = m22;
  out[oo + MOMENTS.gx] = gx;
  out[oo + MOMENTS.gy] = gy;
  return count;
}

/**
 * `weightedMoments` of sample b of paired batches x, y [B, N, 3] with weights w [B, N], checked:
 * returns the visible count, or −1 when the visible coordinates are not all finite (or their sums
 * overflow), so a caller can name the error.
 */
export function sampleMoments(
  x: Numbers,
  y: Numbers,
  w: NumArray | undefined,
  b: number,
  N: number,
  out: Float64Array,
): number {
  const count = weightedMoments(x, 3 * b * N, y, 3 * b * N, w, b * N, N, out);
  if (count === 0) return 0;
  let sum = out[MOMENTS.gx]! + out[MOMENTS.gy]!;
  for (let k = 0; k < 6; k++) sum += out[MOMENTS.meanX + k]!;
  return Number.isFinite(sum) ? count : -1;
}

/**
 * σ₂/σ₁-like rank measure of a 3×3: ‖cof(m)‖_F / ‖m‖_F² (0 for the zero matrix). For singular values
 * σ₁ ≥ σ₂ ≥ σ₃ it lies in [σ₂/(3σ₁), √3·σ₂/σ₁], so it is ~0 exactly when rank(m) < 2 — when the
 * cross-covariance comes from collinear or coincident points and a rotation is not determined.
 */
export function rank2Measure3(m: Numbers, mo = 0): number {
  const a = m[mo]!;
  const b = m[mo + 1]!;
  const c = m[mo + 2]!;
  const d = m[mo + 3]!;
  const e = m[mo + 4]!;
  const f = m[mo + 5]!;
  const g = m[mo + 6]!;
  const h = m[mo + 7]!;
  const i = m[mo + 8]!;
  const fro2 = a * a + b * b + c * c + d * d + e * e + f * f + g * g + h * h + i * i;
  if (!(fro2 > 0)) return 0;
  const c0 = e * i - f * h;
  const c1 = d * i - f * g;
  const c2 = d * h - e * g;
  const c3 = b * i - c * h;
  const c4 = a * i - c * g;
  const c5 = a * h - b * g;
  const c6 = b * f - c * e;
  const c7 = a * f - c * d;
  const c8 = a * e - b * d;
  const cof2 = c0 * c0 + c1 * c1 + c2 * c2 + c3 * c3 + c4 * c4 + c5 * c5 + c6 * c6 + c7 * c7 + c8 * c8;
  return Math.sqrt(cof2) / fro2;
}

const qcpA = new Float64Array(16);
const qcpPerm = new Int32Array(4);
const qcpV = new Float64Array(4);

/**
 * THE Procrustes kernel. Given the centred, weighted cross-covariance M = Σ wᵢ xᵢ yᵢᵀ (3×3 at `m[mo]`,
 * row-major) and gx = Σ wᵢ‖xᵢ‖², gy = Σ wᵢ‖yᵢ‖², writes to `r[ro]` the rotation
 *   R = argmax over SO(3) of tr(R·M) = argmin Σ wᵢ ‖s·R xᵢ − yᵢ‖² (for any fixed s > 0),
 * or over O(3) when `allowReflection` (then det R = −1 exactly when det M < 0), and returns λ = tr(R·M).
 * Then: rotation-only SSE = gx + gy − 2λ; similarity scale s = λ / gx, SSE = gy − λ²/gx.
 *
 * QCP (Theobald 2005; Liu et al. 2010): λ is the largest eigenvalue of Horn's symmetric traceless
 * 4×4 quaternion matrix N(M), found by Newton on its characteristic quartic from the upper bound 1
 * (after scaling M by 1/√(gx·gy), Cauchy–Schwarz bounds λ by 1; Newton from the right of the largest
 * root of a real-rooted polynomial is monotone). The quaternion spans the null space of λI − N,
 * found by Gaussian elimination with diagonal pivoting (λI − N is PSD, so this is rank-revealing):
 * exact fits, double eigenvalues (reflections of planar sets) and M = 0 all give a valid rotation.
 * gx·gy = 0 gives R = I and λ = 0. Rank(M) < 2 (collinear data) leaves R non-unique: one optimum is
 * returned; callers that must refuse it check `rank2Measure3(M)`.
 */
export function rotationFromCrossCovariance(
  m: Numbers,
  mo: number,
  gx: number,
  gy: number,
  allowReflection: boolean,
  r: Float64Array,
  ro = 0,
): number {
  const norm = Math.sqrt(gx * gy);
  if (!(norm > 0) || !Number.isFinite(norm)) {
    r.fill(0, ro, ro + 9);
    r[ro] = r[ro + 4] = r[ro + 8] = 1;
    return 0;
  }
  let k = 1 / norm;
  let sxx = m[mo]! * k;
  let sxy = m[mo + 1]! * k;
  let sxz = m[mo + 2]! * k;
  let syx = m[mo + 3]! * k;
  let syy = m[mo + 4]! * k;
  let syz = m[mo + 5]! * k;
  let szx = m[mo + 6]! * k;
  let szy = m[mo + 7]! * k;
  let szz = m[mo + 8]! * k;
  let detM = sxx * (syy * szz - syz * szy) - sxy * (syx * szz - syz * szx) + sxz * (syx * szy - syy * szx);
  // Best improper Q for M is −(best rotation for −M): tr(Q M) = tr(R' (−M)).
  const sign = allowReflection && detM < 0 ? -1 : 1;
  if (sign < 0) {
    sxx = -sxx;
    sxy = -sxy;
    sxz = -sxz;
    syx = -syx;
    syy = -syy;
    syz = -syz;
    szx = -szx;
    szy = -szy;
    szz = -szz;
    detM = -detM;
  }
  // Horn's matrix N (quaternion q = (w, x, y, z) maximising qᵀNq rotates x onto y).
  const n00 = sxx + syy + szz;
  const n01 = syz - szy;
  const n02 = szx - sxz;
  const n03 = sxy - syx;
  const n11 = sxx - syy - szz;
  const n12 = sxy + syx;
  const n13 = szx + sxz;
  const n22 = -sxx + syy - szz;
  const n23 = syz + szy;
  const n33 = -sxx - syy + szz;
  // Characteristic polynomial λ⁴ + c2 λ² + c1 λ + c0 (N is traceless).
  const c2 =
    -2 *
    (sxx * sxx +
      sxy * sxy +
      sxz * sxz +
      syx * syx +
      syy * syy +
      syz * syz +
      szx * szx +
      szy * szy +
      szz * szz);
  const c1 = -8 * detM;
  // det N by Laplace expansion along rows (0, 1) × (2, 3).
  const s01 = n00 * n11 - n01 * n01;
  const s02 = n00 * n12 - n02 * n01;
  const s03 = n00 * n13 - n03 * n01;
  const s12 = n01 * n12 - n02 * n11;
  const s13 = n01 * n13 - n03 * n11;
  const s23 = n02 * n13 - n03 * n12;
  const u01 = n02 * n13 - n12 * n03;
  const u02 = n02 * n23 - n22 * n03;
  const u03 = n02 * n33 - n23 * n03;
  const u12 = n12 * n23 - n22 * n13;
  const u13 = n12 * n33 - n23 * n13;
  const u23 = n22 * n33 - n23 * n23;
  const c0 = s01 * u23 - s02 * u13 + s03 * u12 + s12 * u03 - s13 * u02 + s23 * u01;
  let lambda = 1;
  for (let it = 0; it < 100; it++) {
    const l2 = lambda * lambda;
    const p = (l2 + c2) * l2 + c1 * lambda + c0;
    const dp = (4 * l2 + 2 * c2) * lambda + c1;
    if (!(dp > 0) || p <= 0) break;
    const step = p / dp;
    lambda -= step;
    if (step <= 1e-15 * lambda + 1e-300) break;
  }
  // A = λI − N (PSD); eliminate with diagonal pivoting, stop at a negligible pivot.
  const A = qcpA;
  A[0] = lambda - n00;
  A[1] = A[4] = -n01;
  A[2] = A[8] = -n02;
  A[3] = A[12] = -n03;
  A[5] = lambda - n11;
  A[6] = A[9] = -n12;
  A[7] = A[13] = -n13;
  A[10] = lambda - n22;
  A[11] = A[14] = -n23;
  A[15] = lambda - n33;
  const p = qcpPerm;
  p[0] = 0;
  p[1] = 1;
  p[2] = 2;
  p[3] = 3;
  const tol = 1e-13 * (Math.abs(lambda) + 1e-300);
  let rank = 0;
  for (; rank < 3; rank++) {
    let best = rank;
    let bestVal = A[5 * p[rank]!]!;
    for (let j = rank + 1; j < 4; j++) {
      const v = A[5 * p[j]!]!;
      if (v > bestVal) {
        bestVal = v;
        best = j;
      }
    }
    if (!(bestVal > tol)) break;
    const pk = p[best]!;
    p[best] = p[rank]!;
    p[rank] = pk;
    const inv = 1 / bestVal;
    for (let i = rank + 1; i < 4; i++) {
      const pi = p[i]!;
      const f = A[4 * pi + pk]! * inv;
      if (f === 0) continue;
      for (let j = rank + 1; j < 4; j++) {
        const pj = p[j]!;
        A[4 * pi + pj] = A[4 * pi + pj]! - f * A[4 * pk + pj]!;
      }
    }
  }
  // Null vector: free coordinate p[rank] = 1, later ones 0, back-substitute the pivot rows.
  const v = qcpV;
  v[0] = v[1] = v[2] = v[3] = 0;
  v[p[rank]!] = 1;
  for (let i = rank - 1; i >= 0; i--) {
    const pi = p[i]!;
    let acc = 0;
    for (let j = i + 1; j <= rank; j++) {
      const pj = p[j]!;
      acc += A[4 * pi + pj]! * v[pj]!;
    }
    v[pi] = -acc / A[5 * pi]!;
  }
  const q0 = v[0]!;
  const q1 = v[1]!;
  const q2 = v[2]!;
  const q3 = v[3]!;
  const qq = q0 * q0 + q1 * q1 + q2 * q2 + q3 * q3;
  k = (2 * sign) / qq;
  const s = sign / qq;
  // R = sign · rotation(q / |q|).
  r[ro] = s * (q0 * q0 + q1 * q1 - q2 * q2 - q3 * q3);
  r[ro + 1] = k * (q1 * q2 - q0 * q3);
  r[ro + 2] = k * (q1 * q3 + q0 * q2);
  r[ro + 3] = k * (q1 * q2 + q0 * q3);
  r[ro + 4] = s * (q0 * q0 - q1 * q1 + q2 * q2 - q3 * q3);
  r[ro + 5] = k * (q2 * q3 - q0 * q1);
  r[ro + 6] = k * (q1 * q3 - q0 * q2);
  r[ro + 7] = k * (q2 * q3 + q0 * q1);
  r[ro + 8] = s * (q0 * q0 - q1 * q1 - q2 * q2 + q3 * q3);
  // λ = tr(R·M) for the returned R (exactly consistent with it, whatever the Newton residual).
  let tr = 0;
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) tr += r[ro + 3 * a + b]! * m[mo + 3 * b + a]!;
  }
  return tr;
}

/** out = s·R for the 3×3 R at `r[ro]`; returns out. */
export function scaleRotation(out: Float64Array, r: Numbers, ro: number, s: number): Float64Array {
  for (let k = 0; k < 9; k++) out[k] = s * r[ro + k]!;
  return out;
}

const sR = new Float64Array(9);

/**
 * Residual of the aligned sample b of paired batches x, y [B, N, 3] with weights w [B, N] (all 1
 * when undefined; points with weight not > 0 are skipped):
 * eᵢ = s·R (xᵢ − x̄) − (yᵢ − ȳ) with R the 3×3 at `r[ro]`, x̄ at `means[mo]` and ȳ at `means[mo + 3]`
 * (the MOMENTS layout from `meanX`). Returns Σ wᵢ‖eᵢ‖² when `squared`, else Σ ‖eᵢ‖ (unweighted: the
 * mean joint error's numerator). Summed directly, not as gx + gy − 2λ, which cancels for good fits.
 */
export function alignedResidual(
  x: Numbers,
  y: Numbers,
  w: NumArray | undefined,
  b: number,
  N: number,
  r: Numbers,
  ro: number,
  s: number,
  means: Numbers,
  mo: number,
  squared: boolean,
): number {
  const q = scaleRotation(sR, r, ro, s);
  const mx0 = means[mo]!;
  const mx1 = means[mo + 1]!;
  const mx2 = means[mo + 2]!;
  const my0 = means[mo + 3]!;
  const my1 = means[mo + 4]!;
  const my2 = means[mo + 5]!;
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const wi = w === undefined ? 1 : w[b * N + i]!;
    if (!(wi > 0)) continue;
    const p = 3 * (b * N + i);
    const a0 = x[p]! - mx0;
    const a1 = x[p + 1]! - mx1;
    const a2 = x[p + 2]! - mx2;
    const e0 = q[0]! * a0 + q[1]! * a1 + q[2]! * a2 - (y[p]! - my0);
    const e1 = q[3]! * a0 + q[4]! * a1 + q[5]! * a2 - (y[p + 1]! - my1);
    const e2 = q[6]! * a0 + q[7]! * a1 + q[8]! * a2 - (y[p + 2]! - my2);
    if (squared) sum += wi * (e0 * e0 + e1 * e1 + e2 * e2);
    else sum += Math.sqrt(e0 * e0 + e1 * e1 + e2 * e2);
  }
  return sum;
}

const sRx = new Float64Array(3);

/**
 * The translation t = ȳ − s·R x̄ of an alignment, written to `out[oo..oo+3]`: R the 3×3 at `r[ro]`,
 * x̄ at `x[xo]`, ȳ at `y[yo]`, with the products (s·Rᵢⱼ)·x̄ⱼ of `alignedResidual`.
 */
export function translationFromMeans(
  out: Float64Array,
  oo: number,
  r: Numbers,
  ro: number,
  s: number,
  x: Numbers,
  xo: number,
  y: Numbers,
  yo: number,
): void {
  const v = mulVec3(sRx, scaleRotation(sR, r, ro, s), x, 0, 0, xo);
  for (let k = 0; k < 3; k++) out[oo + k] = y[yo + k]! - v[k]!;
}
