import { checkShapes, hypot, InputError, mulVec3, type NdArray, nd } from '@lfm/core';
import { rotateLeft } from './dense.js';
import { epnpCandidates } from './epnp.js';
import { levenbergMarquardt } from './lm.js';
import { ONP_OK, type OnPOptions, onpOut, onpSample } from './onp.js';
import { rank2Measure3, translationFromMeans } from './qcp.js';
import { centredScatter } from './scatter.js';
import { COLLINEAR, forEachVisibleSample, type Points, SOLVED, visibleBatch } from './validate.js';

/** Pinhole intrinsics in pixels: u = fx·X/Z + cx, v = fy·Y/Z + cy (no skew, no distortion). */
export interface PinholeIntrinsics {
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
}

/** `weights` as for `solveOnP`. */
export interface PnPOptions extends OnPOptions {
  /** Levenberg–Marquardt iterations per start (default 50). */
  maxIterations?: number;
}

/** A batch of camera poses, camFromObject: x_cam = R x + t; anything `projectPinhole` can use. */
export interface PoseLike {
  /** [B, 3, 3] rotation, det +1. */
  readonly R: NdArray<Float64Array>;
  /** [B, 3] translation (object origin in the camera frame, object units). */
  readonly t: NdArray<Float64Array>;
}

/** The poses `solvePnP` found, with their reprojection error. */
export interface PinholePose extends PoseLike {
  /** [B] weighted RMS reprojection error √(Σ wᵢ‖π(R xᵢ + t) − yᵢ‖² / Σ wᵢ), in pixels. */
  readonly rmse: NdArray<Float64Array>;
}

/**
 * Perspective N-point with known intrinsics: the camera pose minimising the reprojection error,
 *   min over R ∈ SO(3), t ∈ ℝ³ of Σᵢ wᵢ ‖π(R xᵢ + t) − yᵢ‖²,   π(X) = (fx X/Z + cx, fy Y/Z + cy),
 * with every visible point in front of the camera (Z > 0).
 * x3d: [B, N, 3] object points; y2d: [B, N, 2] pixels; intrinsics: one for the batch or one per sample;
 * weights: [B, N]. Returns R [B,3,3], t [B,3] (camFromObject), rmse [B] (pixels).
 *
 * Starts: weighted EPnP (up to 3 solutions) plus the weak-perspective pose from `solveOnP` on the
 * normalised image points (robust for distant objects); each is refined by Levenberg–Marquardt on
 * (ω ∈ so(3), camera-frame centroid), and the lowest cost wins.
 * Errors: ShapeError, InputError (< 4 visible points — 3 give up to four P3P poses —, NaN/Infinity,
 * bad weights or intrinsics), DegenerateError (all masked, collinear 3D points, no pose with the
 * points in front of the camera), each naming the sample.
 */
export function solvePnP(
  x3d: Points,
  y2d: Points,
  intrinsics: PinholeIntrinsics | readonly PinholeIntrinsics[],
  options: PnPOptions = {},
): PinholePose {
  const batch = visibleBatch('solvePnP', x3d, y2d, options.weights);
  const { B, N } = batch;
  const maxIterations = options.maxIterations ?? 50;
  const K = intrinsicsPerSample('solvePnP', intrinsics, B);
  const R = new Float64Array(9 * B);
  const T = new Float64Array(3 * B);
  const rmse = new Float64Array(B);
  ensureCapacity(N);
  wsRef = batch.ws;
  forEachVisibleSample(batch, 4, 'three points give up to four poses', (b, n) => {
    const { fx, fy, cx, cy } = K[b]!;
    const status = pnpSample(batch.xs, batch.ys, batch.ws, n, fx, fy, cx, cy, batch.tol, maxIterations);
    if (status === PNP_BEHIND) {
      return (
        'found no pose with every visible point in front of the camera; ' +
        'check the intrinsics and the 2D–3D correspondences'
      );
    }
    if (status === PNP_COLLINEAR) return COLLINEAR;
    for (let i = 0; i < 9; i++) R[9 * b + i] = pnpOut[i]!;
    T[3 * b] = pnpOut[9]!;
    T[3 * b + 1] = pnpOut[10]!;
    T[3 * b + 2] = pnpOut[11]!;
    rmse[b] = Math.sqrt(pnpOut[12]! / pnpOut[13]!);
    return SOLVED;
  });
  return { R: nd(R, [B, 3, 3]), t: nd(T, [B, 3]), rmse: nd(rmse, [B]) };
}

/**
 * Pixels of object points: π(R x + t) with π(X) = (fx X/Z + cx, fy Y/Z + cy).
 * pose R [B,3,3], t [B,3]; x3d [B,N,3]. Returns [B, N, 2] Float64 (points at Z ≤ 0 project anyway).
 */
export function projectPinhole(
  pose: PoseLike,
  intrinsics: PinholeIntrinsics | readonly PinholeIntrinsics[],
  x3d: Points,
): NdArray<Float64Array> {
  const dims = checkShapes({
    R: [pose.R.shape, ['B', 3, 3]],
    t: [pose.t.shape, ['B', 3]],
    x3d: [x3d.shape, ['B', 'N', 3]],
  });
  const B = dims.B!;
  const N = dims.N!;
  const K = intrinsicsPerSample('projectPinhole', intrinsics, B);
  const out = new Float64Array(B * N * 2);
  const R = pose.R.data;
  const t = pose.t.data;
  const x = x3d.data;
  for (let b = 0; b < B; b++) {
    const { fx, fy, cx, cy } = K[b]!;
    const o = 9 * b;
    for (let i = 0; i < N; i++) {
      const p = 3 * (b * N + i);
      const X = R[o]! * x[p]! + R[o + 1]! * x[p + 1]! + R[o + 2]! * x[p + 2]! + t[3 * b]!;
      const Y = R[o + 3]! * x[p]! + R[o + 4]! * x[p + 1]! + R[o + 5]! * x[p + 2]! + t[3 * b + 1]!;
      const Z = R[o + 6]! * x[p]! + R[o + 7]! * x[p + 1]! + R[o + 8]! * x[p + 2]! + t[3 * b + 2]!;
      out[2 * (b * N + i)] = (fx * X) / Z + cx;
      out[2 * (b * N + i) + 1] = (fy * Y) / Z + cy;
    }
  }
  return nd(out, [B, N, 2]);
}

function intrinsicsPerSample(
  fn: string,
  intrinsics: PinholeIntrinsics | readonly PinholeIntrinsics[],
  B: number,
): readonly PinholeIntrinsics[] {
  const list = isList(intrinsics) ? intrinsics : new Array<PinholeIntrinsics>(B).fill(intrinsics);
  if (list.length !== B) {
    throw new InputError(
      `${fn}: got ${list.length} intrinsics for a batch of ${B}; pass one, or one per sample`,
    );
  }
  for (let b = 0; b < list.length; b++) {
    const k = list[b]!;
    if (!(k.fx > 0 && k.fy > 0 && Number.isFinite(k.fx) && Number.isFinite(k.fy))) {
      throw new InputError(
        `${fn}: intrinsics[${b}] focal lengths must be finite and > 0, got fx=${k.fx}, fy=${k.fy}`,
      );
    }
    if (!(Number.isFinite(k.cx) && Number.isFinite(k.cy))) {
      throw new InputError(
        `${fn}: intrinsics[${b}] principal point must be finite, got cx=${k.cx}, cy=${k.cy}`,
      );
    }
  }
  return list;
}

function isList(k: PinholeIntrinsics | readonly PinholeIntrinsics[]): k is readonly PinholeIntrinsics[] {
  return Array.isArray(k);
}

// ---------------------------------------------------------------------------------------------
// Levenberg–Marquardt on one sample. Module-level scratch; the visible points are compact.
// ---------------------------------------------------------------------------------------------

let xc = new Float64Array(0);
let yn = new Float64Array(0);
/** The caller's compact weights, for the cost loops. */
let wsRef: Float64Array = new Float64Array(0);
const scat = new Float64Array(9);
const meanX = new Float64Array(3);
const startR = new Float64Array(9 * 4);
const startT = new Float64Array(3 * 4);
const curR = new Float64Array(9);
const curT = new Float64Array(3);
const candR = new Float64Array(9);
const candT = new Float64Array(3);
const Rx = new Float64Array(3);
const j0 = new Float64Array(6);
const j1 = new Float64Array(6);

function ensureCapacity(N: number): void {
  if (xc.length < 3 * N) {
    xc = new Float64Array(3 * N);
    yn = new Float64Array(2 * N);
  }
}

const PNP_OK = SOLVED;
const PNP_COLLINEAR = COLLINEAR;
const PNP_BEHIND = 2;
/** [R (9), t (3), cost = Σ w‖e‖² (px²), W = Σ w] written by pnpSample. */
const pnpOut = new Float64Array(14);

/** Solves one compact sample (xs [n,3], ys [n,2] pixels, ws [n]); writes `pnpOut`, returns a status. */
function pnpSample(
  xs: Float64Array,
  ys: Float64Array,
  ws: Float64Array,
  n: number,
  fx: number,
  fy: number,
  cx: number,
  cy: number,
  tol: number,
  maxIterations: number,
): number {
  const W = centredScatter(xs, ws, n, false, meanX, xc, scat);
  const m0 = meanX[0]!;
  const m1 = meanX[1]!;
  const m2 = meanX[2]!;
  let radius2 = 0;
  for (let i = 0; i < n; i++) {
    yn[2 * i] = (ys[2 * i]! - cx) / fx;
    yn[2 * i + 1] = (ys[2 * i + 1]! - cy) / fy;
    const a0 = xc[3 * i]!;
    const a1 = xc[3 * i + 1]!;
    const a2 = xc[3 * i + 2]!;
    radius2 = Math.max(radius2, a0 * a0 + a1 * a1 + a2 * a2);
  }
  if (rank2Measure3(scat) < Math.max(tol * tol, 1e-13)) return PNP_COLLINEAR;
  const radius = Math.sqrt(radius2);

  // Starts, in the centred parametrisation x_cam = R (x − x̄) + τ (τ = R x̄ + t).
  let nStarts = epnpCandidates(xs, yn, ws, n, startR, startT);
  for (let k = 0; k < nStarts; k++) {
    const o = 9 * k;
    for (let r = 0; r < 3; r++) {
      startT[3 * k + r] =
        startT[3 * k + r]! +
        startR[o + 3 * r]! * m0 +
        startR[o + 3 * r + 1]! * m1 +
        startR[o + 3 * r + 2]! * m2;
    }
  }
  // Weak perspective: un ≈ s (R x)ₓ + t₂ with s = 1/Z̄ (depth of the centroid), t₂ = τ_xy / Z̄.
  if (onpSample(xc, yn, ws, n, 0, onpOut) === ONP_OK && onpOut[9]! > 0) {
    const o = 9 * nStarts;
    for (let k = 0; k < 9; k++) startR[o + k] = onpOut[k]!;
    const z = 1 / onpOut[9]!;
    startT[3 * nStarts] = onpOut[10]! * z;
    startT[3 * nStarts + 1] = onpOut[11]! * z;
    startT[3 * nStarts + 2] = z;
    pushInFront(startR, o, startT, 3 * nStarts, n, radius);
    nStarts++;
  }
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < nStarts; k++) {
    if (duplicateStart(k)) continue;
    for (let i = 0; i < 9; i++) curR[i] = startR[9 * k + i]!;
    curT[0] = startT[3 * k]!;
    curT[1] = startT[3 * k + 1]!;
    curT[2] = startT[3 * k + 2]!;
    const cost = refinePinhole(n, fx, fy, maxIterations);
    if (cost < best) {
      best = cost;
      for (let i = 0; i < 9; i++) pnpOut[i] = curR[i]!;
      // t = τ − R x̄
      translationFromMeans(pnpOut, 9, curR, 0, 1, meanX, 0, curT, 0);
    }
  }
  if (!Number.isFinite(best)) return PNP_BEHIND;
  pnpOut[12] = best;
  pnpOut[13] = W;
  return PNP_OK;
}

/** Start k is within 1e-4 (rotation, Frobenius; translation, relative) of an earlier one: same basin. */
function duplicateStart(k: number): boolean {
  for (let j = 0; j < k; j++) {
    let dr = 0;
    for (let i = 0; i < 9; i++) dr += (startR[9 * k + i]! - startR[9 * j + i]!) ** 2;
    let dt = 0;
    let tn = 0;
    for (let i = 0; i < 3; i++) {
      dt += (startT[3 * k + i]! - startT[3 * j + i]!) ** 2;
      tn += startT[3 * j + i]! ** 2;
    }
    if (dr < 1e-8 && dt < 1e-8 * tn) return true;
  }
  return false;
}

/** Moves τ back along its ray until every point is at depth ≥ 10% of the object's radius. */
function pushInFront(
  r: Float64Array,
  ro: number,
  t: Float64Array,
  to: number,
  n: number,
  radius: number,
): void {
  let minZ = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const z =
      r[ro + 6]! * xc[3 * i]! + r[ro + 7]! * xc[3 * i + 1]! + r[ro + 8]! * xc[3 * i + 2]! + t[to + 2]!;
    minZ = Math.min(minZ, z);
  }
  const want = 0.1 * radius;
  if (minZ >= want) return;
  const tz = t[to + 2]!;
  const newTz = tz + (want - minZ);
  const f = tz > 0 ? newTz / tz : 1;
  t[to] = t[to]! * f;
  t[to + 1] = t[to + 1]! * f;
  t[to + 2] = newTz;
}

/** Normalised-coordinate reprojection cost in pixels²: Σ w (fx² Δu² + fy² Δv²); ∞ if a point has Z ≤ 0. */
function pinholeCost(n: number, fx: number, fy: number, Rm: Float64Array, t: Float64Array): number {
  let cost = 0;
  for (let i = 0; i < n; i++) {
    const a0 = xc[3 * i]!;
    const a1 = xc[3 * i + 1]!;
    const a2 = xc[3 * i + 2]!;
    const z = Rm[6]! * a0 + Rm[7]! * a1 + Rm[8]! * a2 + t[2]!;
    if (!(z > 0)) return Number.POSITIVE_INFINITY;
    const e0 = fx * ((Rm[0]! * a0 + Rm[1]! * a1 + Rm[2]! * a2 + t[0]!) / z - yn[2 * i]!);
    const e1 = fy * ((Rm[3]! * a0 + Rm[4]! * a1 + Rm[5]! * a2 + t[1]!) / z - yn[2 * i + 1]!);
    cost += wsRef[i]! * (e0 * e0 + e1 * e1);
  }
  return cost;
}

/**
 * The pinhole reprojection cost over (ω, τ) (x_cam = Exp(ω) R x̄ᵢ + τ on the centred points), from
 * (curR, curT): the LM problem of one start. `fx`, `fy` are the current sample's focal lengths.
 */
const pinhole = {
  size: 6,
  n: 0,
  fx: 1,
  fy: 1,
  linearize(H: Float64Array, g: Float64Array): void {
    const { n, fx, fy } = this;
    for (let i = 0; i < n; i++) {
      const Y = mulVec3(Rx, curR, xc, 0, 0, 3 * i);
      const y0 = Y[0]!;
      const y1 = Y[1]!;
      const y2 = Y[2]!;
      const z0 = y0 + curT[0]!;
      const z1 = y1 + curT[1]!;
      const z2 = y2 + curT[2]!;
      const iz = 1 / z2;
      const e0 = fx * (z0 * iz - yn[2 * i]!);
      const e1 = fy * (z1 * iz - yn[2 * i + 1]!);
      // ∂e/∂Z rows: a = (fx/z, 0, −fx x/z²), b = (0, fy/z, −fy y/z²); ∂e/∂ω = Y × row (δZ = ω × Y).
      const ax = fx * iz;
      const az = -fx * z0 * iz * iz;
      const by = fy * iz;
      const bz = -fy * z1 * iz * iz;
      // Y × (ax, 0, az) and Y × (0, by, bz)
      j0[0] = y1 * az;
      j0[1] = y2 * ax - y0 * az;
      j0[2] = -y1 * ax;
      j0[3] = ax;
      j0[4] = 0;
      j0[5] = az;
      j1[0] = y1 * bz - y2 * by;
      j1[1] = -y0 * bz;
      j1[2] = y0 * by;
      j1[3] = 0;
      j1[4] = by;
      j1[5] = bz;
      const w = wsRef[i]!;
      for (let r = 0; r < 6; r++) {
        const jr0 = w * j0[r]!;
        const jr1 = w * j1[r]!;
        for (let c = r; c < 6; c++) H[6 * r + c] = H[6 * r + c]! + jr0 * j0[c]! + jr1 * j1[c]!;
        g[r] = g[r]! - (jr0 * e0 + jr1 * e1);
      }
    }
    for (let r = 1; r < 6; r++) for (let c = 0; c < r; c++) H[6 * r + c] = H[6 * c + r]!;
  },
  tryStep(step: Float64Array): number {
    for (let i = 0; i < 9; i++) candR[i] = curR[i]!;
    rotateLeft(candR, 0, step[0]!, step[1]!, step[2]!);
    candT[0] = curT[0]! + step[3]!;
    candT[1] = curT[1]! + step[4]!;
    candT[2] = curT[2]! + step[5]!;
    return pinholeCost(this.n, this.fx, this.fy, candR, candT);
  },
  stepSize(step: Float64Array): number {
    return (
      hypot(step[0]!, step[1]!, step[2]!) +
      hypot(step[3]!, step[4]!, step[5]!) / (hypot(curT[0]!, curT[1]!, curT[2]!) + 1e-300)
    );
  },
  accept(): void {
    for (let i = 0; i < 9; i++) curR[i] = candR[i]!;
    curT[0] = candT[0]!;
    curT[1] = candT[1]!;
    curT[2] = candT[2]!;
  },
};

/** LM from (curR, curT) on the compact sample; leaves the optimum there and returns its cost. */
function refinePinhole(n: number, fx: number, fy: number, maxIterations: number): number {
  const cost = pinholeCost(n, fx, fy, curR, curT);
  if (!Number.isFinite(cost)) return cost;
  pinhole.n = n;
  pinhole.fx = fx;
  pinhole.fy = fy;
  return levenbergMarquardt(pinhole, cost, maxIterations);
}
