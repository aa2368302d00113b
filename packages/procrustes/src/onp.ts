import {
  checkShapes,
  crossRows3,
  eigSym3,
  hypot,
  mul3ABt,
  mul3AtB,
  mulVec3,
  type NdArray,
  nd,
  svd3,
} from '@lfm/core';
import { rotateLeft } from './dense.js';
import { levenbergMarquardt } from './lm.js';
import { rank2Measure3, scaleRotation, weightedMean } from './qcp.js';
import { addOuter3, centredScatter } from './scatter.js';
import {
  COLLINEAR,
  forEachVisibleSample,
  type Points,
  SOLVED,
  visibleBatch,
  type Weights,
} from './validate.js';

export interface OnPOptions {
  /** [B, N] weights ≥ 0; weight 0 ignores a point entirely (NaN there is harmless). Default: all 1. */
  weights?: Weights;
}

/** A batch of orthographic (scaled) cameras, y2d ≈ s·(R x)₀:₂ + t; anything `projectOrthographic` can use. */
export interface OrthographicLike {
  /** [B, 3, 3] camFromObject rotation, det +1; its third row is the viewing direction. */
  readonly R: NdArray<Float64Array>;
  /** [B] scale > 0 (image units per object unit). */
  readonly s: NdArray<Float64Array>;
  /** [B, 2] image translation. */
  readonly t: NdArray<Float64Array>;
}

/** The cameras `solveOnP` found, with their reprojection error. */
export interface OrthographicCamera extends OrthographicLike {
  /** [B] weighted RMS reprojection error √(Σ wᵢ‖s(R xᵢ)₀:₂ + t − yᵢ‖² / Σ wᵢ), in image units. */
  readonly rmse: NdArray<Float64Array>;
}

/**
 * Orthographic N-point (OnP): the scaled-orthographic camera that best maps 3D points to 2D,
 *   min over R ∈ SO(3), s > 0, t ∈ ℝ² of Σᵢ wᵢ ‖s·P R xᵢ + t − yᵢ‖²,   P = [I₂ 0] (first two rows).
 * x3d: [B, N, 3]; y2d: [B, N, 2]; weights: [B, N]. Returns R [B,3,3], s [B], t [B,2], rmse [B].
 *
 * Only the first two rows of R enter the objective, so this is Procrustes over the Stiefel manifold of
 * 2×3 matrices with orthonormal rows, which has no closed form unless the points are isotropic. We
 * eliminate t by weighted centring, start from (a) the unconstrained affine fit projected onto
 * s·(orthonormal rows) when the points span 3D, and (b) the two exact solutions of the fit restricted
 * to the points' principal plane — the two members of the orthographic depth-reversal ("Necker")
 * pair, which for planar objects are both global minima — then run Levenberg–Marquardt on
 * (rotation increment ω ∈ so(3), s) from each start and keep the lowest cost. The third row of R is
 * r₁ × r₂. A planar object has an exact twin solution; the one returned is then either.
 * Errors: ShapeError, InputError (< 3 visible points, NaN/Infinity, bad weights), DegenerateError
 * (all masked, collinear 3D points, all 2D points coincident), each naming the sample.
 */
export function solveOnP(x3d: Points, y2d: Points, options: OnPOptions = {}): OrthographicCamera {
  const batch = visibleBatch('solveOnP', x3d, y2d, options.weights);
  const { B } = batch;
  const R = new Float64Array(9 * B);
  const S = new Float64Array(B);
  const T = new Float64Array(2 * B);
  const rmse = new Float64Array(B);
  forEachVisibleSample(batch, 3, 'a scaled orthographic camera has 6 degrees of freedom', (b, n) => {
    const status = onpSample(batch.xs, batch.ys, batch.ws, n, batch.tol, onpOut);
    if (status === ONP_NO_IMAGE) {
      return 'the visible 2D points all coincide, so no rotation or scale is determined; check the 2D input';
    }
    if (status === ONP_COLLINEAR) return COLLINEAR;
    for (let k = 0; k < 9; k++) R[9 * b + k] = onpOut[k]!;
    S[b] = onpOut[9]!;
    T[2 * b] = onpOut[10]!;
    T[2 * b + 1] = onpOut[11]!;
    rmse[b] = Math.sqrt(onpOut[12]! / onpOut[13]!);
    return SOLVED;
  });
  return { R: nd(R, [B, 3, 3]), s: nd(S, [B]), t: nd(T, [B, 2]), rmse: nd(rmse, [B]) };
}

/** y2d = s·(R x)₀:₂ + t: camera R [B,3,3], s [B], t [B,2]; x3d [B,N,3]. Returns [B, N, 2] Float64. */
export function projectOrthographic(camera: OrthographicLike, x3d: Points): NdArray<Float64Array> {
  const dims = checkShapes({
    R: [camera.R.shape, ['B', 3, 3]],
    s: [camera.s.shape, ['B']],
    t: [camera.t.shape, ['B', 2]],
    x3d: [x3d.shape, ['B', 'N', 3]],
  });
  const B = dims.B!;
  const N = dims.N!;
  const out = new Float64Array(B * N * 2);
  const R = camera.R.data;
  const x = x3d.data;
  for (let b = 0; b < B; b++) {
    const s = camera.s.data[b]!;
    const t0 = camera.t.data[2 * b]!;
    const t1 = camera.t.data[2 * b + 1]!;
    const o = 9 * b;
    for (let i = 0; i < N; i++) {
      const p = 3 * (b * N + i);
      const q = 2 * (b * N + i);
      out[q] = s * (R[o]! * x[p]! + R[o + 1]! * x[p + 1]! + R[o + 2]! * x[p + 2]!) + t0;
      out[q + 1] = s * (R[o + 3]! * x[p]! + R[o + 4]! * x[p + 1]! + R[o + 5]! * x[p + 2]!) + t1;
    }
  }
  return nd(out, [B, N, 2]);
}

// ---------------------------------------------------------------------------------------------
// One sample (compact arrays). Module-level scratch, grown on demand; no allocation per sample.
// ---------------------------------------------------------------------------------------------

export const ONP_OK = SOLVED;
export const ONP_COLLINEAR = COLLINEAR;
export const ONP_NO_IMAGE = 2;

/** [R (9), s, t0, t1, cost = Σ w‖e‖², W = Σ w] written by onpSample. */
export const onpOut = new Float64Array(14);

let cx = new Float64Array(0);
let cy = new Float64Array(0);
const scat = new Float64Array(9);
const meanX = new Float64Array(3);
const meanY = new Float64Array(2);
const cross = new Float64Array(9);
const crossE = new Float64Array(9);
/** [K | a] of a principal-plane start: rows 0..1 set per start, row 2 stays zero. */
const plane = new Float64Array(9);
const eigVal = new Float64Array(3);
const eigVec = new Float64Array(9);
const aff = new Float64Array(9);
const svdU = new Float64Array(9);
const svdS = new Float64Array(3);
const svdV = new Float64Array(9);
const starts = new Float64Array(9 * 3);
const startS = new Float64Array(3);
const trial = new Float64Array(9);

/**
 * Solves OnP for n compact points (xs [n,3], ys [n,2], ws [n]); writes `onpOut`. `tol` is the rank
 * tolerance on the 3D spread (σ₂/σ₁). Returns ONP_OK, ONP_COLLINEAR or ONP_NO_IMAGE.
 */
export function onpSample(
  xs: Float64Array,
  ys: Float64Array,
  ws: Float64Array,
  n: number,
  tol: number,
  out: Float64Array,
): number {
  if (cx.length < 3 * n) {
    cx = new Float64Array(3 * n);
    cy = new Float64Array(2 * n);
  }
  // Centred copies, scatter S = Σ w X Xᵀ, cross term C = Σ w X Yᵀ (3×2, a 3×3 with column 2 zero),
  // gy = Σ w‖Y‖².
  const W = centredScatter(xs, ws, n, false, meanX, cx, scat);
  weightedMean(ys, 0, 2, ws, 0, n, meanY);
  const my0 = meanY[0]!;
  const my1 = meanY[1]!;
  cross.fill(0);
  let gy = 0;
  for (let i = 0; i < n; i++) {
    const w = ws[i]!;
    const b0 = ys[2 * i]! - my0;
    const b1 = ys[2 * i + 1]! - my1;
    cy[2 * i] = b0;
    cy[2 * i + 1] = b1;
    addOuter3(cross, 0, w * cx[3 * i]!, w * cx[3 * i + 1]!, w * cx[3 * i + 2]!, b0, b1, 0);
    gy += w * (b0 * b0 + b1 * b1);
  }
  // The scatter is quadratic in the spread: compare with tol², floored by its rounding level.
  if (rank2Measure3(scat) < Math.max(tol * tol, 1e-13)) return ONP_COLLINEAR;
  if (!(gy > 0)) return ONP_NO_IMAGE;
  eigSym3(scat, eigVal, eigVec);
  const l0 = eigVal[0]!;
  const l1 = eigVal[1]!;
  const l2 = eigVal[2]!;
  // CᵀE: the cross term in the principal frame E (rows 0..1; row 2 is zero).
  const ce = mul3AtB(crossE, cross, eigVec);
  let nStarts = 0;

  // (a) 3D affine fit y ≈ A x, A = Cᵀ S⁻¹ (2×3), projected onto s·(orthonormal rows) via the SVD.
  if (l2 > 1e-10 * l0) {
    // S⁻¹ = E diag(1/λ) Eᵀ; aff rows 0..1 = A = (CᵀE) diag(1/λ) Eᵀ, row 2 = 0.
    for (let c = 0; c < 2; c++) {
      for (let a = 0; a < 3; a++) {
        let acc = 0;
        for (let e = 0; e < 3; e++) acc += (ce[3 * c + e]! * eigVec[3 * a + e]!) / eigVal[e]!;
        aff[3 * c + a] = acc;
      }
    }
    aff[6] = aff[7] = aff[8] = 0;
    svd3(aff, svdU, svdS, svdV);
    mul3ABt(starts, svdU, svdV, 9 * nStarts);
    startS[nStarts] = 0.5 * (svdS[0]! + svdS[1]!);
    nStarts++;
  }

  // (b) Principal-plane fit: u = Eᵀx (first two axes), y ≈ B u with B = (EᵀC)ᵀ diag(1/λ₀, 1/λ₁).
  // B = s·K with K the top 2×2 of a rotation in the (e₀, e₁, e₂) frame: K = U diag(1, c) Vᵀ, s = σ₁.
  // Rows of P R are K Eᵀ + a e₂ᵀ with a a = I − K Kᵀ = (1 − c²) u₂u₂ᵀ: two solutions ±a.
  if (l1 > 0) {
    const b00 = ce[0]! / l0;
    const b01 = ce[1]! / l1;
    const b10 = ce[3]! / l0;
    const b11 = ce[4]! / l1;
    // B Bᵀ = [[p, r], [r, q]]: eigenvalues σ₁² ≥ σ₂², u₂ its eigenvector for σ₂².
    const p = b00 * b00 + b01 * b01;
    const q = b10 * b10 + b11 * b11;
    const r = b00 * b10 + b01 * b11;
    const mid = 0.5 * (p + q);
    const rad = hypot(0.5 * (p - q), r);
    const sig1 = Math.sqrt(mid + rad);
    const sig2 = Math.sqrt(Math.max(0, mid - rad));
    if (sig1 > 0) {
      const lam2 = mid - rad;
      // (r, λ₂ − p) and (λ₂ − q, r) both solve the eigen-equation; take the longer (one may be 0).
      let u0 = r;
      let u1 = lam2 - p;
      const v0 = lam2 - q;
      const v1 = r;
      if (u0 * u0 + u1 * u1 < v0 * v0 + v1 * v1) {
        u0 = v0;
        u1 = v1;
      }
      const un = hypot(u0, u1);
      if (un > 0) {
        u0 /= un;
        u1 /= un;
      } else {
        u0 = 0;
        u1 = 1;
      }
      const c = Math.min(1, sig2 / sig1);
      const amp = Math.sqrt(Math.max(0, 1 - c * c));
      // Rows 0..1 of the start: [K | ±a] Eᵀ; row 2 = row 0 × row 1.
      plane[0] = b00 / sig1;
      plane[1] = b01 / sig1;
      plane[3] = b10 / sig1;
      plane[4] = b11 / sig1;
      for (let sign = 1; sign >= -1; sign -= 2) {
        const o = 9 * nStarts;
        plane[2] = sign * amp * u0;
        plane[5] = sign * amp * u1;
        mul3ABt(starts, plane, eigVec, o);
        crossRows3(starts, o);
        startS[nStarts] = sig1;
        nStarts++;
      }
    }
  }
  if (nStarts === 0) {
    // Unreachable for non-collinear points with gy > 0; keep a valid start anyway.
    starts.fill(0, 0, 9);
    starts[0] = starts[4] = starts[8] = 1;
    startS[0] = Math.sqrt(gy / Math.max(scat[0]! + scat[4]! + scat[8]!, 1e-300));
    nStarts = 1;
  }

  let bestCost = Number.POSITIVE_INFINITY;
  let bestS = 0;
  for (let k = 0; k < nStarts; k++) {
    for (let i = 0; i < 9; i++) trial[i] = starts[9 * k + i]!;
    const s = refineOrthographic(cx, cy, ws, n, trial, startS[k]!);
    if (lmCost < bestCost) {
      bestCost = lmCost;
      bestS = s;
      for (let i = 0; i < 9; i++) out[i] = trial[i]!;
    }
  }
  // s < 0 with R equals s > 0 with Rz(π)·R (P·Rz(π) = −P).
  if (bestS < 0) {
    bestS = -bestS;
    for (let i = 0; i < 6; i++) out[i] = -out[i]!;
  }
  out[9] = bestS;
  const mx0 = meanX[0]!;
  const mx1 = meanX[1]!;
  const mx2 = meanX[2]!;
  out[10] = my0 - bestS * (out[0]! * mx0 + out[1]! * mx1 + out[2]! * mx2);
  out[11] = my1 - bestS * (out[3]! * mx0 + out[4]! * mx1 + out[5]! * mx2);
  out[12] = bestCost;
  out[13] = W;
  return ONP_OK;
}

let lmCost = 0;
const candR = new Float64Array(9);
const sR = new Float64Array(9);
const Rx = new Float64Array(3);

/**
 * Σ w‖s P R X − Y‖² over (ω, s) for centred X, Y, with R ← Exp(ω) R: the LM problem of one start.
 * `R` (the current rotation) is updated in place; `s` is the current scale.
 */
const ortho = {
  size: 4,
  X: new Float64Array(0) as Float64Array,
  Y: new Float64Array(0) as Float64Array,
  w: new Float64Array(0) as Float64Array,
  n: 0,
  R: new Float64Array(9) as Float64Array,
  s: 0,
  candS: 0,
  /** Σ w‖s P R X − Y‖² at rotation R and scale s. */
  cost(R: Float64Array, s: number): number {
    const { X, Y, w, n } = this;
    const q = scaleRotation(sR, R, 0, s);
    let cost = 0;
    for (let i = 0; i < n; i++) {
      const a0 = X[3 * i]!;
      const a1 = X[3 * i + 1]!;
      const a2 = X[3 * i + 2]!;
      const e0 = q[0]! * a0 + q[1]! * a1 + q[2]! * a2 - Y[2 * i]!;
      const e1 = q[3]! * a0 + q[4]! * a1 + q[5]! * a2 - Y[2 * i + 1]!;
      cost += w[i]! * (e0 * e0 + e1 * e1);
    }
    return cost;
  },
  linearize(H: Float64Array, g: Float64Array): void {
    const { X, Y, w, n, R, s } = this;
    for (let i = 0; i < n; i++) {
      const z = mulVec3(Rx, R, X, 0, 0, 3 * i);
      const z0 = z[0]!;
      const z1 = z[1]!;
      const z2 = z[2]!;
      const wi = w[i]!;
      const e0 = s * z0 - Y[2 * i]!;
      const e1 = s * z1 - Y[2 * i + 1]!;
      // d(e)/d(ω, s) for R ← Exp(ω)R: δz = ω × z.
      const j01 = s * z2;
      const j02 = -s * z1;
      const j03 = z0;
      const j10 = -s * z2;
      const j12 = s * z0;
      const j13 = z1;
      H[0] = H[0]! + wi * j10 * j10;
      H[2] = H[2]! + wi * j10 * j12;
      H[3] = H[3]! + wi * j10 * j13;
      H[5] = H[5]! + wi * j01 * j01;
      H[6] = H[6]! + wi * j01 * j02;
      H[7] = H[7]! + wi * j01 * j03;
      H[10] = H[10]! + wi * (j02 * j02 + j12 * j12);
      H[11] = H[11]! + wi * (j02 * j03 + j12 * j13);
      H[15] = H[15]! + wi * (j03 * j03 + j13 * j13);
      g[0] = g[0]! - wi * j10 * e1;
      g[1] = g[1]! - wi * j01 * e0;
      g[2] = g[2]! - wi * (j02 * e0 + j12 * e1);
      g[3] = g[3]! - wi * (j03 * e0 + j13 * e1);
    }
    H[4] = H[1]!;
    H[8] = H[2]!;
    H[9] = H[6]!;
    H[12] = H[3]!;
    H[13] = H[7]!;
    H[14] = H[11]!;
  },
  tryStep(step: Float64Array): number {
    for (let i = 0; i < 9; i++) candR[i] = this.R[i]!;
    rotateLeft(candR, 0, step[0]!, step[1]!, step[2]!);
    this.candS = this.s + step[3]!;
    return this.cost(candR, this.candS);
  },
  stepSize(step: Float64Array): number {
    return hypot(step[0]!, step[1]!, step[2]!) + Math.abs(step[3]!) / (Math.abs(this.s) + 1e-300);
  },
  accept(): void {
    for (let i = 0; i < 9; i++) this.R[i] = candR[i]!;
    this.s = this.candS;
  },
};

/**
 * Levenberg–Marquardt on (ω, s) for Σ w‖s P R X − Y‖² with centred X, Y, updating R ← Exp(ω) R.
 * R (in/out) at `R[0..9]`; returns s and leaves the cost in `lmCost`.
 */
function refineOrthographic(
  X: Float64Array,
  Y: Float64Array,
  w: Float64Array,
  n: number,
  R: Float64Array,
  s: number,
): number {
  ortho.X = X;
  ortho.Y = Y;
  ortho.w = w;
  ortho.n = n;
  ortho.R = R;
  ortho.s = s;
  lmCost = levenbergMarquardt(ortho, ortho.cost(R, s), 100);
  return ortho.s;
}
