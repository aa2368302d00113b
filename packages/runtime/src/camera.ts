import { InputError, nd } from '@lfm/core';
import { type PinholeIntrinsics, solveOnP, solvePnP } from '@lfm/procrustes';

/**
 * Camera recovery after lifting: the model's canonical shape X (normalised units) is posed so that it
 * explains the INPUT 2D points (input units, e.g. pixels).
 *
 * - ortho (OnP, the default): y ≈ s·(R X)₀:₂ + t — R camFromCanonical (det +1; its third row is the
 *   viewing direction), s pixels per canonical unit, t [2] pixels. Camera-frame points are
 *   s·R X + [t, 0]: x, y are the image coordinates, z the depth relative to the object's centre, in the
 *   same units (larger z = farther, image y down, right-handed).
 * - persp (PnP with intrinsics: EPnP, then Levenberg–Marquardt): y ≈ π(R X + t), π(P) = (fx Px/Pz + cx,
 *   fy Py/Pz + cy). Camera-frame points are R X + t, in canonical units: a single image cannot tell a
 *   small near object from a large far one, so multiply by a known size for metric units.
 */

/** What camera to recover: orthographic, or pinhole with intrinsics in pixels. */
export type CameraRequest =
  | { readonly kind: 'ortho' }
  | { readonly kind: 'persp'; readonly focal: number; readonly cx: number; readonly cy: number }
  | {
      readonly kind?: 'persp';
      readonly fx: number;
      readonly fy: number;
      readonly cx: number;
      readonly cy: number;
    };

/** 3 × 3 rotation, rows. */
export type Matrix3 = [[number, number, number], [number, number, number], [number, number, number]];

export interface OrthoCamera {
  readonly kind: 'ortho';
  /** camFromCanonical rotation (rows; det +1). */
  readonly R: Matrix3;
  /** Scale: input units (pixels) per canonical unit. */
  readonly s: number;
  /** Image translation [tx, ty], input units. */
  readonly t: [number, number];
  /** RMS reprojection error over the visible points, input units. */
  readonly rmse: number;
}

export interface PerspCamera {
  readonly kind: 'persp';
  /** camFromCanonical rotation (rows; det +1). */
  readonly R: Matrix3;
  /** Translation [tx, ty, tz]: the canonical origin in the camera frame, canonical units. */
  readonly t: [number, number, number];
  /** The intrinsics used, pixels. */
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
  /** RMS reprojection error over the visible points, pixels. */
  readonly rmse: number;
}

export type CameraResult = OrthoCamera | PerspCamera;

/** Validates a request into intrinsics (persp) or 'ortho'. InputError on anything unusable. */
export function resolveCamera(camera: CameraRequest): 'ortho' | PinholeIntrinsics {
  if (typeof camera !== 'object' || camera === null) {
    throw new InputError(
      `camera must be { kind: 'ortho' }, { kind: 'persp', focal, cx, cy } or { fx, fy, cx, cy }, got ${String(camera)}`,
    );
  }
  if (camera.kind === 'ortho') return 'ortho';
  if (camera.kind !== undefined && camera.kind !== 'persp') {
    throw new InputError(`camera.kind must be 'ortho' or 'persp', got ${JSON.stringify(camera.kind)}`);
  }
  const c = camera as Record<string, unknown>;
  const fx = 'focal' in c ? c.focal : c.fx;
  const fy = 'focal' in c ? c.focal : c.fy;
  const k = { fx, fy, cx: c.cx, cy: c.cy };
  for (const [name, v] of Object.entries(k)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InputError(
        `perspective camera: ${name === 'fx' || name === 'fy' ? ('focal' in c ? 'focal' : name) : name} must be a finite number, got ${JSON.stringify(v)}`,
      );
    }
  }
  if (!((k.fx as number) > 0 && (k.fy as number) > 0)) {
    throw new InputError(`perspective camera: the focal length must be > 0, got ${k.fx}, ${k.fy}`);
  }
  return k as unknown as PinholeIntrinsics;
}

/** Camera of every sample, and the canonical points in its frame. */
export interface RecoveredCameras {
  readonly cameras: CameraResult[];
  /** [B, N, 3] camera-frame points (NaN where masked). */
  readonly pointsCamera: Float64Array;
}

/**
 * Fits the camera of each sample: points3d [B, N, 3] canonical, xy [B, N, 2] input units, mask [B, N]
 * (0 = ignored). OnP for 'ortho', PnP for intrinsics. Errors name the sample (procrustes' messages).
 */
export function recoverCameras(
  points3d: Float32Array,
  xy: Float64Array,
  mask: Uint8Array,
  B: number,
  N: number,
  camera: 'ortho' | PinholeIntrinsics,
): RecoveredCameras {
  const x3d = nd(Float64Array.from(points3d), [B, N, 3]);
  const y2d = nd(xy, [B, N, 2]);
  const weights = nd(mask, [B, N]);
  const out = new Float64Array(B * N * 3).fill(Number.NaN);
  const X = x3d.data;
  const cameras: CameraResult[] = [];
  const rows = (R: Float64Array, b: number): Matrix3 => {
    const r = (i: number) => R[9 * b + i]!;
    return [
      [r(0), r(1), r(2)],
      [r(3), r(4), r(5)],
      [r(6), r(7), r(8)],
    ];
  };
  if (camera === 'ortho') {
    const cam = solveOnP(x3d, y2d, { weights });
    for (let b = 0; b < B; b++) {
      const s = cam.s.data[b]!;
      const t: [number, number] = [cam.t.data[2 * b]!, cam.t.data[2 * b + 1]!];
      const R = rows(cam.R.data, b);
      cameras.push({ kind: 'ortho', R, s, t, rmse: cam.rmse.data[b]! });
      transform(X, mask, out, b, N, R, s, [t[0], t[1], 0]);
    }
  } else {
    const pose = solvePnP(x3d, y2d, camera, { weights });
    for (let b = 0; b < B; b++) {
      const t: [number, number, number] = [
        pose.t.data[3 * b]!,
        pose.t.data[3 * b + 1]!,
        pose.t.data[3 * b + 2]!,
      ];
      const R = rows(pose.R.data, b);
      cameras.push({ kind: 'persp', R, t, ...camera, rmse: pose.rmse.data[b]! });
      transform(X, mask, out, b, N, R, 1, t);
    }
  }
  return { cameras, pointsCamera: out };
}

/** out[b, i] = s·R X[b, i] + t for the visible points of sample b. */
function transform(
  X: Float64Array,
  mask: Uint8Array,
  out: Float64Array,
  b: number,
  N: number,
  R: Matrix3,
  s: number,
  t: readonly [number, number, number],
): void {
  for (let i = 0; i < N; i++) {
    const k = b * N + i;
    if (mask[k] !== 1) continue;
    const x = X[3 * k]!;
    const y = X[3 * k + 1]!;
    const z = X[3 * k + 2]!;
    for (let r = 0; r < 3; r++) {
      const row = R[r]!;
      out[3 * k + r] = s * (row[0] * x + row[1] * y + row[2] * z) + t[r]!;
    }
  }
}
