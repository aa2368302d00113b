import { checkShapes, InputError, type NdArray, type NumArray, ShapeError } from '@lfm/core';

/**
 * Cameras and projection.
 *
 * Frames: a rigid `camFromWorld = { R, t }` maps world (dataset) coordinates into the camera frame,
 * `pointsCam = R · pointsWorld + t` (R row-major, det +1). The camera frame is right-handed with x to
 * the right, y DOWN and z forward along the optical axis (OpenCV), so a point in front of the camera
 * has z > 0 and pixel coordinates grow right and down like an image's.
 *
 * Models, for a camera-frame point (x, y, z) and intrinsics (fx, fy, cx, cy) in pixels:
 * - `pinhole`:          u = fx·x/z + cx,  v = fy·y/z + cy; visible iff z > near (default 0);
 * - `weak-perspective`: u = fx·x/z̄ + cx,  v = fy·y/z̄ + cy with one reference depth z̄ per sample
 *                       (default: the mean z of its finite points) — scaled orthographic;
 * - `orthographic`:     u = fx·x + cx,     v = fy·y + cy (fx = pixels per world unit; depth ignored).
 * A point with a NaN coordinate is invisible; an invisible point's 2D is written as NaN.
 */
export type CameraModel = 'orthographic' | 'weak-perspective' | 'pinhole';

/** The models, in the order of their numeric codes (`cameraModelCode`). */
export const CAMERA_MODELS: readonly CameraModel[] = Object.freeze([
  'orthographic',
  'weak-perspective',
  'pinhole',
]);

/** Pinhole intrinsics in pixels: focal lengths fx, fy and principal point (cx, cy). */
export interface Intrinsics {
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
}

export interface Camera {
  readonly model: CameraModel;
  readonly intrinsics: Intrinsics;
  /** weak-perspective only: the reference depth z̄ (camera units, > 0); default the mean finite z. */
  readonly depth?: number;
  /** pinhole only: a point is visible iff z > near (camera units, default 0). */
  readonly near?: number;
}

/** A rigid transform y = R x + t. R: 9 numbers, row-major; t: 3 numbers. */
export interface RigidTransform {
  readonly R: ArrayLike<number>;
  readonly t: ArrayLike<number>;
}

/** Result of `projectPoints`: [..., N, 2] pixels (NaN where invisible) and [..., N] 0/1 visibility. */
export interface Projection {
  readonly points2d: NdArray<Float64Array>;
  readonly visible: NdArray<Uint8Array>;
}

/** Numeric code of a camera model (its index in CAMERA_MODELS). */
export function cameraModelCode(model: CameraModel): number {
  const c = CAMERA_MODELS.indexOf(model);
  if (c < 0) throw new InputError(`unknown camera model '${model}'; use one of ${CAMERA_MODELS.join(', ')}`);
  return c;
}

/**
 * The camera that looks at `center` from `distance` along its optical axis, oriented by R:
 * camFromWorld = { R, t = (0, 0, distance) − R·center }, so the centre lands at (0, 0, distance) in the
 * camera frame and `pointsCam = R (p − center) + (0, 0, distance)`.
 */
export function orbitCamera(
  R: ArrayLike<number>,
  center: ArrayLike<number>,
  distance: number,
): { R: Float64Array; t: Float64Array } {
  if (R.length !== 9) throw new ShapeError(`orbitCamera: R must have 9 elements, got ${R.length}`);
  if (center.length !== 3)
    throw new ShapeError(`orbitCamera: center must have 3 elements, got ${center.length}`);
  const r = Float64Array.from(R);
  const [x, y, z] = [center[0]!, center[1]!, center[2]!];
  const t = new Float64Array([
    -(r[0]! * x + r[1]! * y + r[2]! * z),
    -(r[3]! * x + r[4]! * y + r[5]! * z),
    distance - (r[6]! * x + r[7]! * y + r[8]! * z),
  ]);
  return { R: r, t };
}

/** pointsCam = R · pointsWorld + t for points [..., N, 3] (NaN stays NaN). Float64 out, may alias. */
export function transformPoints(
  camFromWorld: RigidTransform,
  points: NdArray<NumArray>,
  out: Float64Array = new Float64Array(points.data.length),
): NdArray<Float64Array> {
  const { R, t } = camFromWorld;
  if (R.length !== 9 || t.length !== 3) {
    throw new ShapeError(`transformPoints: R needs 9 and t 3 elements, got ${R.length} and ${t.length}`);
  }
  if (points.shape.at(-1) !== 3) {
    throw new ShapeError(`transformPoints: points must be [..., N, 3], got [${points.shape.join(', ')}]`);
  }
  if (out.length !== points.data.length) {
    throw new ShapeError(`transformPoints: out has ${out.length} elements, need ${points.data.length}`);
  }
  const p = points.data;
  for (let i = 0; i < p.length; i += 3) {
    const x = p[i]!;
    const y = p[i + 1]!;
    const z = p[i + 2]!;
    out[i] = R[0]! * x + R[1]! * y + R[2]! * z + t[0]!;
    out[i + 1] = R[3]! * x + R[4]! * y + R[5]! * z + t[1]!;
    out[i + 2] = R[6]! * x + R[7]! * y + R[8]! * z + t[2]!;
  }
  return { data: out, shape: [...points.shape] };
}

/**
 * Projects camera-frame points [N, 3] or [B, N, 3] with `camera` (see the models above). Returns pixels
 * [..., N, 2] (NaN where invisible) and visibility [..., N] (1 = visible). InputError for non-positive
 * focal lengths, a weak-perspective reference depth ≤ 0 or a sample with no finite point to take it from.
 */
export function projectPoints(
  pointsCam: NdArray<NumArray>,
  camera: Camera,
  out: { points2d?: Float64Array; visible?: Uint8Array } = {},
): Projection {
  const rank = pointsCam.shape.length;
  const dims =
    rank === 2
      ? checkShapes({ pointsCam: [pointsCam.shape, ['N', 3]] })
      : checkShapes({ pointsCam: [pointsCam.shape, ['B', 'N', 3]] });
  const B = rank === 2 ? 1 : dims.B!;
  const N = dims.N!;
  const model = cameraModelCode(camera.model);
  const { fx, fy, cx, cy } = camera.intrinsics;
  if (!(fx > 0 && fy > 0) || !Number.isFinite(cx) || !Number.isFinite(cy)) {
    throw new InputError(
      `projectPoints: intrinsics need fx, fy > 0 and finite cx, cy; got ${JSON.stringify(camera.intrinsics)}`,
    );
  }
  const near = camera.near ?? 0;
  const p = pointsCam.data;
  const uv = out.points2d ?? new Float64Array(B * N * 2);
  const vis = out.visible ?? new Uint8Array(B * N);
  if (uv.length !== B * N * 2 || vis.length !== B * N) {
    throw new ShapeError(
      `projectPoints: out.points2d / out.visible must have ${B * N * 2} / ${B * N} elements`,
    );
  }
  for (let b = 0; b < B; b++) {
    let zRef = 1;
    if (model === WEAK) {
      zRef = camera.depth ?? meanFiniteZ(p, b * N, N);
      if (!(zRef > 0)) {
        throw new InputError(
          `projectPoints: weak-perspective reference depth of sample ${b} is ${zRef}; it must be > 0 ` +
            '(points in front of the camera, or pass camera.depth)',
        );
      }
    }
    for (let i = b * N; i < (b + 1) * N; i++) {
      vis[i] = projectPoint(
        model,
        fx,
        fy,
        cx,
        cy,
        zRef,
        near,
        p[3 * i]!,
        p[3 * i + 1]!,
        p[3 * i + 2]!,
        uv,
        2 * i,
      )
        ? 1
        : 0;
    }
  }
  const lead = pointsCam.shape.slice(0, -1);
  return { points2d: { data: uv, shape: [...lead, 2] }, visible: { data: vis, shape: lead } };
}

// ---------------------------------------------------------------------------------------------
// Kernel shared by projectPoints, the training batcher and the evaluation generator.

export const ORTHO = 0;
export const WEAK = 1;
export const PINHOLE = 2;

/**
 * Projects one camera-frame point (x, y, z) with model code `model` into out[o], out[o + 1]; returns
 * visibility. `zRef` is the weak-perspective depth (ignored otherwise), `near` the pinhole clip depth.
 * Invisible points are written as NaN.
 */
export function projectPoint(
  model: number,
  fx: number,
  fy: number,
  cx: number,
  cy: number,
  zRef: number,
  near: number,
  x: number,
  y: number,
  z: number,
  out: Float32Array | Float64Array,
  o: number,
): boolean {
  let u: number;
  let v: number;
  if (model === PINHOLE) {
    if (!(z > near)) {
      out[o] = Number.NaN;
      out[o + 1] = Number.NaN;
      return false;
    }
    u = (fx * x) / z + cx;
    v = (fy * y) / z + cy;
  } else if (model === WEAK) {
    u = (fx * x) / zRef + cx;
    v = (fy * y) / zRef + cy;
  } else {
    u = fx * x + cx;
    v = fy * y + cy;
  }
  out[o] = u;
  out[o + 1] = v;
  return !(Number.isNaN(u) || Number.isNaN(v) || Number.isNaN(z));
}

function meanFiniteZ(p: ArrayLike<number>, first: number, N: number): number {
  let s = 0;
  let n = 0;
  for (let i = first; i < first + N; i++) {
    const x = p[3 * i]!;
    const z = p[3 * i + 2]!;
    if (Number.isFinite(z) && Number.isFinite(x)) {
      s += z;
      n++;
    }
  }
  return n === 0 ? Number.NaN : s / n;
}
