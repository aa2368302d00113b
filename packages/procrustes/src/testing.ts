/**
 * Seeded random cases for tests and benchmarks (`@lfm/procrustes/testing`): apply a known random
 * transform to random points, so a solver can be asked to recover it.
 */

import { type NdArray, type NumArray, nd, type Rng, rotationFromQuaternion } from '@lfm/core';
import type { PinholeIntrinsics } from './pnp.js';

/**
 * A rotation uniform on SO(3): the unit quaternion of 4 standard normals (isotropic on S³). Writes
 * the row-major 3×3 at `out[o]`.
 */
export function randomRotation(rng: Rng, out: Float64Array = new Float64Array(9), o = 0): Float64Array {
  let w = 0;
  let x = 0;
  let y = 0;
  let z = 0;
  let n = 0;
  while (!(n > 1e-12)) {
    w = rng.normal();
    x = rng.normal();
    y = rng.normal();
    z = rng.normal();
    n = w * w + x * x + y * y + z * z;
  }
  return rotationFromQuaternion(out, w, x, y, z, o);
}

/**
 * Geodesic angle (radians) between rotations a and b, from the chordal distance
 * ‖a − b‖_F = 2√2·sin(θ/2): accurate for tiny angles, where arccos((tr(aᵀb) − 1)/2) resolves only ~1e-8.
 */
export function rotationAngle(a: ArrayLike<number>, b: ArrayLike<number>, ao = 0, bo = 0): number {
  let d2 = 0;
  for (let i = 0; i < 9; i++) d2 += (a[ao + i]! - b[bo + i]!) ** 2;
  return 2 * Math.asin(Math.min(1, Math.sqrt(d2 / 8)));
}

/** n random points, N(0, 1)³ (z squashed by `flatness`, 0 = exactly planar), written at out[o]. */
export function randomPoints(
  rng: Rng,
  n: number,
  flatness = 1,
  out = new Float64Array(3 * n),
  o = 0,
): Float64Array {
  for (let i = 0; i < n; i++) {
    out[o + 3 * i] = rng.normal();
    out[o + 3 * i + 1] = rng.normal();
    out[o + 3 * i + 2] = flatness * rng.normal();
  }
  return out;
}

/**
 * B samples of random points x [B, N, 3] and y = s·(R x)₀:D + t (+ noise) [B, N, D], with x mirrored
 * in z first when `options.reflect`. Per sample it draws the points, R, s = scale(), then t = shift() per
 * coordinate, then the noise.
 */
function makeScaledCase(
  rng: Rng,
  options: OnPCaseOptions & { reflect?: boolean },
  D: number,
  scale: () => number,
  shift: () => number,
): SimilarityCase {
  const { B, N, noise = 0, reflect = false, flatness = 1 } = options;
  const x = new Float64Array(B * N * 3);
  const y = new Float64Array(B * N * D);
  const R = new Float64Array(9 * B);
  const s = new Float64Array(B);
  const t = new Float64Array(D * B);
  for (let b = 0; b < B; b++) {
    randomPoints(rng, N, flatness, x, 3 * b * N);
    randomRotation(rng, R, 9 * b);
    s[b] = scale();
    for (let k = 0; k < D; k++) t[D * b + k] = shift();
    transformSample(rng, x, y, b, N, D, R, s[b]!, t, reflect ? -1 : 1, noise);
  }
  return { x: nd(x, [B, N, 3]), y: nd(y, [B, N, D]), R, s, t };
}

/**
 * Sample b of y [B, N, D] = s·(R·diag(1, 1, zSign)·x)₀:D + t, plus N(0, noise²) on every coordinate
 * (drawn point by point, coordinate by coordinate): x [B, N, 3], R at 9b, t [B, D].
 */
function transformSample(
  rng: Rng,
  x: Float64Array,
  y: Float64Array,
  b: number,
  N: number,
  D: number,
  R: Float64Array,
  s: number,
  t: Float64Array,
  zSign: number,
  noise: number,
): void {
  for (let i = 0; i < N; i++) {
    const p = 3 * (b * N + i);
    const a0 = x[p]!;
    const a1 = x[p + 1]!;
    const a2 = zSign * x[p + 2]!;
    for (let r = 0; r < D; r++) {
      const o = 9 * b + 3 * r;
      y[D * (b * N + i) + r] =
        s * (R[o]! * a0 + R[o + 1]! * a1 + R[o + 2]! * a2) + t[D * b + r]! + noise * rng.normal();
    }
  }
}

export interface SimilarityCaseOptions {
  B: number;
  N: number;
  /** Gaussian noise σ added to y (default 0). */
  noise?: number;
  /** Mirror x before transforming, so y is a reflection of x (default false). */
  reflect?: boolean;
  /** Squash x along z: 0 = planar (default 1). */
  flatness?: number;
  /** Scale s drawn from [lo, hi] (default [0.5, 2]); use [1, 1] for rigid cases. */
  scale?: readonly [number, number];
}

/** x [B,N,3] random; y = s R x + t (+ noise); the true R [B,3,3], s [B], t [B,3]. */
export interface SimilarityCase {
  x: NdArray<Float64Array>;
  y: NdArray<Float64Array>;
  R: Float64Array;
  s: Float64Array;
  t: Float64Array;
}

export function makeSimilarityCase(rng: Rng, options: SimilarityCaseOptions): SimilarityCase {
  const [lo, hi] = options.scale ?? [0.5, 2];
  return makeScaledCase(
    rng,
    options,
    3,
    () => rng.range(lo, hi),
    () => 5 * rng.normal(),
  );
}

export interface OnPCaseOptions {
  B: number;
  N: number;
  /** Gaussian noise σ on the 2D points (default 0). */
  noise?: number;
  /** Squash the 3D points along z: 0 = planar (default 1). */
  flatness?: number;
}

/** x3d [B,N,3]; y2d = s (R x)₀:₂ + t (+ noise) [B,N,2]; the true R, s, t. */
export interface OnPCase {
  x3d: NdArray<Float64Array>;
  y2d: NdArray<Float64Array>;
  R: Float64Array;
  s: Float64Array;
  t: Float64Array;
}

export function makeOnPCase(rng: Rng, options: OnPCaseOptions): OnPCase {
  const c = makeScaledCase(
    rng,
    { ...options, reflect: false },
    2,
    () => rng.range(50, 200),
    () => rng.range(200, 800),
  );
  return { x3d: c.x, y2d: c.y, R: c.R, s: c.s, t: c.t };
}

export interface PnPCaseOptions {
  B: number;
  N: number;
  /** Camera distance in units of the object's RMS radius (default 6, the evaluation protocol's). */
  distance?: number;
  /** Focal length in pixels (default 1000); principal point (640, 480). */
  focal?: number;
  /** Gaussian pixel noise σ (default 0). */
  noisePx?: number;
  /** Squash the object along z: 0 = planar (default 1). */
  flatness?: number;
}

/** x3d [B,N,3]; y2d [B,N,2] pixels = π(R x + t) (+ noise); the true R [B,3,3], t [B,3]; intrinsics. */
export interface PnPCase {
  x3d: NdArray<Float64Array>;
  y2d: NdArray<Float64Array>;
  R: Float64Array;
  t: Float64Array;
  intrinsics: PinholeIntrinsics;
}

export function makePnPCase(rng: Rng, options: PnPCaseOptions): PnPCase {
  const { B, N, distance = 6, focal = 1000, noisePx = 0, flatness = 1 } = options;
  const intrinsics = { fx: focal, fy: focal, cx: 640, cy: 480 };
  const x = new Float64Array(B * N * 3);
  const y = new Float64Array(B * N * 2);
  const R = new Float64Array(9 * B);
  const t = new Float64Array(3 * B);
  for (let b = 0; b < B; b++) {
    randomPoints(rng, N, flatness, x, 3 * b * N);
    // Centre the object and measure its RMS radius.
    let m0 = 0;
    let m1 = 0;
    let m2 = 0;
    for (let i = 0; i < N; i++) {
      m0 += x[3 * (b * N + i)]! / N;
      m1 += x[3 * (b * N + i) + 1]! / N;
      m2 += x[3 * (b * N + i) + 2]! / N;
    }
    let r2 = 0;
    for (let i = 0; i < N; i++) {
      const p = 3 * (b * N + i);
      x[p] = x[p]! - m0;
      x[p + 1] = x[p + 1]! - m1;
      x[p + 2] = x[p + 2]! - m2;
      r2 += (x[p]! ** 2 + x[p + 1]! ** 2 + x[p + 2]! ** 2) / N;
    }
    const radius = Math.sqrt(r2);
    randomRotation(rng, R, 9 * b);
    const depth = distance * radius;
    // Object centre somewhere in the middle of the view.
    t[3 * b] = rng.range(-0.2, 0.2) * depth;
    t[3 * b + 1] = rng.range(-0.2, 0.2) * depth;
    t[3 * b + 2] = depth;
    for (let i = 0; i < N; i++) {
      const p = 3 * (b * N + i);
      const o = 9 * b;
      const X = R[o]! * x[p]! + R[o + 1]! * x[p + 1]! + R[o + 2]! * x[p + 2]! + t[3 * b]!;
      const Y = R[o + 3]! * x[p]! + R[o + 4]! * x[p + 1]! + R[o + 5]! * x[p + 2]! + t[3 * b + 1]!;
      const Z = R[o + 6]! * x[p]! + R[o + 7]! * x[p + 1]! + R[o + 8]! * x[p + 2]! + t[3 * b + 2]!;
      y[2 * (b * N + i)] = (focal * X) / Z + intrinsics.cx + noisePx * rng.normal();
      y[2 * (b * N + i) + 1] = (focal * Y) / Z + intrinsics.cy + noisePx * rng.normal();
    }
  }
  return { x3d: nd(x, [B, N, 3]), y2d: nd(y, [B, N, 2]), R, t, intrinsics };
}

/**
 * A [B, N] 0/1 mask: the first `keep` points of every sample visible, each other one with
 * probability `p` (one uniform draw per point in order, whether or not it is needed).
 */
export function randomMask(rng: Rng, B: number, N: number, keep: number, p: number): Uint8Array {
  return new Uint8Array(B * N).map((_, i) => (i % N < keep || rng.uniform() < p ? 1 : 0));
}

/** A copy of points a [B, N, D] with every coordinate of a point whose mask is not > 0 set to `value`. */
export function poisonMasked(
  a: NdArray<NumArray>,
  mask: ArrayLike<number>,
  value: number,
): NdArray<Float64Array> {
  const D = a.shape[a.shape.length - 1]!;
  return nd(
    Float64Array.from(a.data, (v, i) => (mask[Math.floor(i / D)]! > 0 ? v : value)),
    a.shape,
  );
}

/** The points of sample b whose mask is > 0, as a batch of one: [1, n, D] from a [B, N, D]. */
export function pickVisible(a: NdArray<NumArray>, mask: ArrayLike<number>, b: number): NdArray<Float64Array> {
  const [, N, D] = a.shape as [number, number, number];
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    if (!(mask[b * N + i]! > 0)) continue;
    for (let k = 0; k < D; k++) out.push(a.data[D * (b * N + i) + k]!);
  }
  return nd(Float64Array.from(out), [1, out.length / D, D]);
}

/**
 * Σ wᵢ‖s·(R xᵢ)₀:D + t − yᵢ‖² of sample b for any (R, s, t): x [B, N, 3], y [B, N, D] with D = 3
 * (similarity) or 2 (scaled orthographic), t [D], weights [B, N] (default all 1; 0 skips a point).
 */
export function sampleCost(
  x: NdArray<NumArray>,
  y: NdArray<NumArray>,
  b: number,
  R: ArrayLike<number>,
  s: number,
  t: ArrayLike<number>,
  w?: ArrayLike<number>,
): number {
  const N = x.shape[1]!;
  const D = y.shape[2]!;
  let e = 0;
  for (let i = 0; i < N; i++) {
    const wi = w ? w[b * N + i]! : 1;
    if (wi === 0) continue;
    const p = 3 * (b * N + i);
    for (let r = 0; r < D; r++) {
      const v =
        s * (R[3 * r]! * x.data[p]! + R[3 * r + 1]! * x.data[p + 1]! + R[3 * r + 2]! * x.data[p + 2]!) +
        t[r]!;
      e += wi * (v - y.data[D * (b * N + i) + r]!) ** 2;
    }
  }
  return e;
}
