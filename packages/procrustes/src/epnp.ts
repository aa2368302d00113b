/**
 * EPnP (Lepetit, Moreno-Noguer, Fua, IJCV 2009), weighted, on normalised image coordinates
 * (un, vn) = ((u − cx)/fx, (v − cy)/fy). Used only to initialise `solvePnP`'s Gauss–Newton/LM.
 *
 * The points are written as barycentric combinations of 4 control points (3 for planar objects): the
 * centroid and the centroid + the principal axes scaled by their standard deviations. Projection
 * equations are linear in the 12 (9) camera-frame control coordinates: M c = 0. c lies near the span
 * of the eigenvectors of MᵀM with the smallest eigenvalues, c = Σ βₖ vₖ; the βs come from the
 * linearised distance constraints ‖c_a − c_b‖² = ‖w_a − w_b‖² (the paper's N = 1, 2, 3 cases, as in
 * OpenCV's reference), refined by Gauss–Newton. Each β gives a pose by absolute orientation.
 */

import { eigenSymmetric, eigSym3 } from '@lfm/core';
import { leastSquares } from './dense.js';
import { MOMENTS, rotationFromCrossCovariance, translationFromMeans, weightedMoments } from './qcp.js';
import { centredScatter } from './scatter.js';

const MAX_NC = 4;
const MAX_D = 3 * MAX_NC;
const MAX_PAIRS = 6;

let alphas = new Float64Array(0);
let pc = new Float64Array(0);
let centred = new Float64Array(0);
const sd = new Float64Array(3);
/**
 * β-product columns (OpenCV order) solved for by each linearisation: "N = 1" (β₀βₗ for every l),
 * "N = 2" (β₀², β₀β₁, β₁²) and, with 4 control points, "N = 3" (+ β₀β₂, β₁β₂).
 */
const SCHEMES_4: readonly (readonly number[])[] = [
  [0, 1, 3, 6],
  [0, 1, 2],
  [0, 1, 2, 3, 4],
];
const SCHEMES_3: readonly (readonly number[])[] = [
  [0, 1, 3],
  [0, 1, 2],
];
const cov = new Float64Array(9);
const eigVal = new Float64Array(3);
const eigVec = new Float64Array(9);
const ctrlW = new Float64Array(3 * MAX_NC);
const mtm = new Float64Array(MAX_D * MAX_D);
const vals = new Float64Array(MAX_D);
const vecs = new Float64Array(MAX_D * MAX_D);
const eigScratch = new Float64Array(MAX_D);
const kernel = new Float64Array(MAX_NC * MAX_D); // kernel[m * D + i]: i-th coordinate of v_m
const dv = new Float64Array(MAX_NC * MAX_PAIRS * 3); // dv[(m * P + p) * 3 + c]
const rho = new Float64Array(MAX_PAIRS);
const lsA = new Float64Array(MAX_PAIRS * 10);
const lsB = new Float64Array(MAX_PAIRS);
const lsX = new Float64Array(10);
const betas = new Float64Array(MAX_NC);
const gnStep = new Float64Array(MAX_NC);
const ctrlC = new Float64Array(3 * MAX_NC);
const mom = new Float64Array(MOMENTS.size);
const comb = new Float64Array(3);

/**
 * Up to 3 EPnP poses (camFromObject: Xc = R X + t) for n compact points xs [n,3], normalised image
 * points yn [n,2], weights ws [n]. Writes R to outR[9k], t to outT[3k]; returns the count.
 */
export function epnpCandidates(
  xs: Float64Array,
  yn: Float64Array,
  ws: Float64Array,
  n: number,
  outR: Float64Array,
  outT: Float64Array,
): number {
  if (alphas.length < MAX_NC * n) {
    alphas = new Float64Array(MAX_NC * n);
    pc = new Float64Array(3 * n);
    centred = new Float64Array(3 * n);
  }
  // Control points from the weighted centroid and covariance.
  centredScatter(xs, ws, n, true, ctrlW, centred, cov);
  eigSym3(cov, eigVal, eigVec);
  const nc = eigVal[2]! > 1e-12 * eigVal[0]! ? 4 : 3;
  const D = 3 * nc;
  for (let k = 0; k < 3; k++) sd[k] = Math.sqrt(Math.max(eigVal[k]!, 0));
  for (let k = 1; k < nc; k++) {
    for (let c = 0; c < 3; c++) ctrlW[3 * k + c] = ctrlW[c]! + sd[k - 1]! * eigVec[3 * c + k - 1]!;
  }
  // Barycentric coordinates α (principal axes are orthogonal, so no 3×3 inverse is needed).
  for (let i = 0; i < n; i++) {
    const a0 = centred[3 * i]!;
    const a1 = centred[3 * i + 1]!;
    const a2 = centred[3 * i + 2]!;
    let sum = 0;
    for (let k = 1; k < nc; k++) {
      const e = k - 1;
      const v = (a0 * eigVec[e]! + a1 * eigVec[3 + e]! + a2 * eigVec[6 + e]!) / sd[e]!;
      alphas[nc * i + k] = v;
      sum += v;
    }
    alphas[nc * i] = 1 - sum;
  }
  // MᵀM: for each point, MᵀM[3j+a][3k+b] += w αⱼ αₖ Q_ab, Q = [[1,0,−u],[0,1,−v],[−u,−v,u²+v²]].
  mtm.fill(0, 0, D * D);
  for (let i = 0; i < n; i++) {
    const w = ws[i]!;
    const u = yn[2 * i]!;
    const v = yn[2 * i + 1]!;
    const q22 = u * u + v * v;
    for (let j = 0; j < nc; j++) {
      const wj = w * alphas[nc * i + j]!;
      for (let k = 0; k < nc; k++) {
        const f = wj * alphas[nc * i + k]!;
        const o = 3 * j * D + 3 * k;
        mtm[o] = mtm[o]! + f;
        mtm[o + 2] = mtm[o + 2]! - f * u;
        mtm[o + D + 1] = mtm[o + D + 1]! + f;
        mtm[o + D + 2] = mtm[o + D + 2]! - f * v;
        mtm[o + 2 * D] = mtm[o + 2 * D]! - f * u;
        mtm[o + 2 * D + 1] = mtm[o + 2 * D + 1]! - f * v;
        mtm[o + 2 * D + 2] = mtm[o + 2 * D + 2]! + f * q22;
      }
    }
  }
  eigenSymmetric(D, mtm, vals, vecs, eigScratch);
  for (let m = 0; m < nc; m++) for (let i = 0; i < D; i++) kernel[m * D + i] = vecs[i * D + m]!;
  // Pairs of control points, their world distances and kernel differences.
  let P = 0;
  for (let a = 0; a < nc; a++) {
    for (let b = a + 1; b < nc; b++) {
      const d0 = ctrlW[3 * a]! - ctrlW[3 * b]!;
      const d1 = ctrlW[3 * a + 1]! - ctrlW[3 * b + 1]!;
      const d2 = ctrlW[3 * a + 2]! - ctrlW[3 * b + 2]!;
      rho[P] = d0 * d0 + d1 * d1 + d2 * d2;
      for (let m = 0; m < nc; m++) {
        for (let c = 0; c < 3; c++)
          dv[(m * MAX_PAIRS + P) * 3 + c] = kernel[m * D + 3 * a + c]! - kernel[m * D + 3 * b + c]!;
      }
      P++;
    }
  }
  let count = 0;
  const schemes = nc === 4 ? SCHEMES_4 : SCHEMES_3;
  for (let sIdx = 0; sIdx < schemes.length; sIdx++) {
    const cols = schemes[sIdx]!;
    const nu = cols.length;
    for (let p = 0; p < P; p++) {
      for (let c = 0; c < nu; c++) lsA[p * nu + c] = productCoefficient(p, cols[c]!);
      lsB[p] = rho[p]!;
    }
    leastSquares(P, nu, lsA, lsB, lsX);
    betas.fill(0);
    const b00 = lsX[0]!;
    if (sIdx === 0) {
      const b0 = Math.sqrt(Math.abs(b00));
      betas[0] = b0;
      const sgn = b00 < 0 ? -1 : 1;
      for (let l = 1; l < nc; l++) betas[l] = b0 > 0 ? (sgn * lsX[l]!) / b0 : 0;
    } else {
      const b11 = lsX[2]!;
      if (b00 < 0) {
        betas[0] = Math.sqrt(-b00);
        betas[1] = b11 < 0 ? Math.sqrt(-b11) : 0;
      } else {
        betas[0] = Math.sqrt(b00);
        betas[1] = b11 > 0 ? Math.sqrt(b11) : 0;
      }
      if (lsX[1]! < 0) betas[0] = -betas[0]!;
      if (sIdx === 2 && betas[0] !== 0) betas[2] = lsX[3]! / betas[0]!;
    }
    gaussNewtonBetas(nc, P);
    if (poseFromBetas(nc, D, xs, ws, n, outR, 9 * count, outT, 3 * count)) count++;
  }
  return count;
}

/**
 * out[oo..oo+3] = Σ_{m<k} c[co + m]·v[vo + m·vs ..+3]: a combination of k 3-vectors spaced `vs`
 * apart (the control points, or one pair's control-point differences).
 */
function combine3(
  out: Float64Array,
  c: Float64Array,
  co: number,
  v: Float64Array,
  vo: number,
  vs: number,
  k: number,
  oo = 0,
): Float64Array {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  for (let m = 0; m < k; m++) {
    const a = c[co + m]!;
    const o = vo + m * vs;
    s0 += a * v[o]!;
    s1 += a * v[o + 1]!;
    s2 += a * v[o + 2]!;
  }
  out[oo] = s0;
  out[oo + 1] = s1;
  out[oo + 2] = s2;
  return out;
}

/** Coefficient of product column `col` (OpenCV order: (k,l), k ≤ l, index l(l+1)/2 + k) for pair p. */
function productCoefficient(p: number, col: number): number {
  let l = 0;
  while (((l + 1) * (l + 2)) / 2 <= col) l++;
  const k = col - (l * (l + 1)) / 2;
  let d = 0;
  for (let c = 0; c < 3; c++) d += dv[(k * MAX_PAIRS + p) * 3 + c]! * dv[(l * MAX_PAIRS + p) * 3 + c]!;
  return k === l ? d : 2 * d;
}

/** Gauss–Newton on βs for Σ_p (‖Σₘ βₘ dvₘₚ‖² − ρₚ)². */
function gaussNewtonBetas(nc: number, P: number): void {
  for (let iter = 0; iter < 10; iter++) {
    let res = 0;
    for (let p = 0; p < P; p++) {
      // s = Σₘ βₘ dvₘₚ
      const sv = combine3(comb, betas, 0, dv, 3 * p, 3 * MAX_PAIRS, nc);
      const s0 = sv[0]!;
      const s1 = sv[1]!;
      const s2 = sv[2]!;
      const r = rho[p]! - (s0 * s0 + s1 * s1 + s2 * s2);
      res += r * r;
      lsB[p] = r;
      for (let m = 0; m < nc; m++) {
        const o = (m * MAX_PAIRS + p) * 3;
        lsA[p * nc + m] = 2 * (dv[o]! * s0 + dv[o + 1]! * s1 + dv[o + 2]! * s2);
      }
    }
    if (res === 0) break;
    leastSquares(P, nc, lsA, lsB, gnStep);
    let step = 0;
    let size = 0;
    for (let m = 0; m < nc; m++) {
      betas[m] = betas[m]! + gnStep[m]!;
      step += gnStep[m]! * gnStep[m]!;
      size += betas[m]! * betas[m]!;
    }
    if (step <= 1e-24 * size) break;
  }
}

/** Camera-frame points from βs, sign fixed so they are in front, then absolute orientation. */
function poseFromBetas(
  nc: number,
  D: number,
  xs: Float64Array,
  ws: Float64Array,
  n: number,
  outR: Float64Array,
  ro: number,
  outT: Float64Array,
  to: number,
): boolean {
  for (let i = 0; i < D; i++) {
    let acc = 0;
    for (let m = 0; m < nc; m++) acc += betas[m]! * kernel[m * D + i]!;
    ctrlC[i] = acc;
  }
  let zsum = 0;
  for (let i = 0; i < n; i++) {
    // Point i in the camera frame: Σⱼ αᵢⱼ cⱼ.
    combine3(pc, alphas, nc * i, ctrlC, 0, 3, nc, 3 * i);
    zsum += ws[i]! * pc[3 * i + 2]!;
  }
  if (!(Math.abs(zsum) > 0) || !Number.isFinite(zsum)) return false;
  if (zsum < 0) for (let i = 0; i < 3 * n; i++) pc[i] = -pc[i]!;
  weightedMoments(xs, 0, pc, 0, ws, 0, n, mom);
  rotationFromCrossCovariance(mom, MOMENTS.cov, mom[MOMENTS.gx]!, mom[MOMENTS.gy]!, false, outR, ro);
  translationFromMeans(outT, to, outR, ro, 1, mom, MOMENTS.meanX, mom, MOMENTS.meanY);
  return true;
}
