import { InputError, ShapeError } from './errors.js';
import type { NdArray } from './ndarray.js';
import type { Rng } from './rng.js';
import { assertShape } from './shape.js';

/**
 * Rotations in Float64. Conventions: column vectors (`y = R x`); a 3×3 matrix is 9 numbers in row-major
 * order (`R[3 * row + col]`); a quaternion is (w, x, y, z) with w the scalar part; an axis-angle is the
 * rotation vector θ·axis in radians. Inputs are any `ArrayLike<number>` (so `subarray` views of a
 * batch work without copies); outputs are new Float64Arrays unless an `out` is given.
 */
export type Mat3 = Float64Array;
/** Unit quaternion (w, x, y, z). */
export type Quat = Float64Array;
/** Rotation vector θ·axis, radians. */
export type RotVec = Float64Array;

/** Rodrigues: R = I + (sin θ/θ) K + ((1 − cos θ)/θ²) K², K = [ω]×, θ = ‖ω‖. */
export function axisAngleToMatrix(rotvec: ArrayLike<number>, out: Mat3 = new Float64Array(9)): Mat3 {
  checkLength('axisAngleToMatrix: rotvec', rotvec, 3);
  const x = rotvec[0]!;
  const y = rotvec[1]!;
  const z = rotvec[2]!;
  checkFinite('axisAngleToMatrix: rotvec', rotvec);
  const t2 = x * x + y * y + z * z;
  const t = Math.sqrt(t2);
  let a: number;
  let b: number;
  if (t < 1e-4) {
    // Taylor terms; the next ones are O(θ⁴) < 1e-17.
    a = 1 - t2 / 6;
    b = 0.5 - t2 / 24;
  } else {
    a = Math.sin(t) / t;
    const h = Math.sin(t / 2) / t;
    b = 2 * h * h; // (1 − cos θ)/θ², without cancellation
  }
  out[0] = 1 - b * (y * y + z * z);
  out[1] = b * x * y - a * z;
  out[2] = b * x * z + a * y;
  out[3] = b * x * y + a * z;
  out[4] = 1 - b * (x * x + z * z);
  out[5] = b * y * z - a * x;
  out[6] = b * x * z - a * y;
  out[7] = b * y * z + a * x;
  out[8] = 1 - b * (x * x + y * y);
  return out;
}

/**
 * The rotation vector of R, |θ| ≤ π, via the quaternion (stable near 0 and near π). At exactly π the
 * sign of the axis is arbitrary. R should be a rotation; a near-rotation gives a nearby answer.
 */
export function matrixToAxisAngle(R: ArrayLike<number>, out: RotVec = new Float64Array(3)): RotVec {
  const q = matrixToQuaternion(R);
  const w = q[0]!;
  const s = Math.hypot(q[1]!, q[2]!, q[3]!);
  // θ = 2·atan2(s, w) with w ≥ 0; ω = v·θ/s, and θ/s → 2/w as s → 0.
  const f = s < 1e-12 ? 2 / w : (2 * Math.atan2(s, w)) / s;
  out[0] = q[1]! * f;
  out[1] = q[2]! * f;
  out[2] = q[3]! * f;
  return out;
}

/** Rotation of the unit quaternion q/‖q‖ (w, x, y, z). InputError for a zero or non-finite q. */
export function quaternionToMatrix(q: ArrayLike<number>, out: Mat3 = new Float64Array(9)): Mat3 {
  checkLength('quaternionToMatrix: q', q, 4);
  checkFinite('quaternionToMatrix: q', q);
  const n = Math.hypot(q[0]!, q[1]!, q[2]!, q[3]!);
  if (!(n > 0))
    throw new InputError('quaternionToMatrix: q is zero; a rotation quaternion must have norm > 0');
  return rotationFromQuaternion(out, q[0]! / n, q[1]! / n, q[2]! / n, q[3]! / n, 0, 2);
}

/**
 * The rotation of q/‖q‖ for a quaternion q = (w, x, y, z) ≠ 0, written at `out[o]`:
 * R = I + s·(w·[v]× + [v]×²) with v = (x, y, z) and s = 2/‖q‖² (pass s = 2 for a q already
 * normalised; keep ‖q‖ below ~1e150 otherwise). No checks and no allocation — the kernel of
 * `quaternionToMatrix`, for samplers and solvers that build a quaternion themselves.
 */
export function rotationFromQuaternion(
  out: Float64Array,
  w: number,
  x: number,
  y: number,
  z: number,
  o = 0,
  s = 2 / (w * w + x * x + y * y + z * z),
): Float64Array {
  out[o] = 1 - s * (y * y + z * z);
  out[o + 1] = s * (x * y - w * z);
  out[o + 2] = s * (x * z + w * y);
  out[o + 3] = s * (x * y + w * z);
  out[o + 4] = 1 - s * (x * x + z * z);
  out[o + 5] = s * (y * z - w * x);
  out[o + 6] = s * (x * z - w * y);
  out[o + 7] = s * (y * z + w * x);
  out[o + 8] = 1 - s * (x * x + y * y);
  return out;
}

/**
 * Unit quaternion (w ≥ 0) of a rotation matrix, Shepperd's method: solve from the largest of
 * (trace, R00, R11, R22), so the square root never takes a tiny argument.
 */
export function matrixToQuaternion(R: ArrayLike<number>, out: Quat = new Float64Array(4)): Quat {
  checkLength('matrixToQuaternion: R', R, 9);
  checkFinite('matrixToQuaternion: R', R);
  const r00 = R[0]!;
  const r01 = R[1]!;
  const r02 = R[2]!;
  const r10 = R[3]!;
  const r11 = R[4]!;
  const r12 = R[5]!;
  const r20 = R[6]!;
  const r21 = R[7]!;
  const r22 = R[8]!;
  const tr = r00 + r11 + r22;
  let w: number;
  let x: number;
  let y: number;
  let z: number;
  if (tr >= r00 && tr >= r11 && tr >= r22) {
    const r = Math.sqrt(1 + tr);
    const s = 0.5 / r;
    w = 0.5 * r;
    x = (r21 - r12) * s;
    y = (r02 - r20) * s;
    z = (r10 - r01) * s;
  } else if (r00 >= r11 && r00 >= r22) {
    const r = Math.sqrt(1 + r00 - r11 - r22);
    const s = 0.5 / r;
    x = 0.5 * r;
    w = (r21 - r12) * s;
    y = (r01 + r10) * s;
    z = (r02 + r20) * s;
  } else if (r11 >= r22) {
    const r = Math.sqrt(1 - r00 + r11 - r22);
    const s = 0.5 / r;
    y = 0.5 * r;
    w = (r02 - r20) * s;
    x = (r01 + r10) * s;
    z = (r12 + r21) * s;
  } else {
    const r = Math.sqrt(1 - r00 - r11 + r22);
    const s = 0.5 / r;
    z = 0.5 * r;
    w = (r10 - r01) * s;
    x = (r02 + r20) * s;
    y = (r12 + r21) * s;
  }
  const n = (w < 0 ? -1 : 1) / Math.hypot(w, x, y, z);
  out[0] = w * n;
  out[1] = x * n;
  out[2] = y * n;
  out[3] = z * n;
  return out;
}

export interface EulerOptions {
  /** Angles in degrees (default radians). */
  degrees?: boolean;
  out?: Mat3;
}

/**
 * R = R_{order[0]}(angles[0]) · R_{order[1]}(angles[1]) · … (intrinsic rotations, column vectors):
 * for a BVH joint with channels `Zrotation Xrotation Yrotation`, `eulerToMatrix([z, x, y], 'ZXY',
 * { degrees: true })` is its local rotation Rz·Rx·Ry. `order` is one axis letter (X, Y or Z, any case)
 * per angle.
 */
export function eulerToMatrix(angles: ArrayLike<number>, order: string, options: EulerOptions = {}): Mat3 {
  if (order.length !== angles.length || order.length === 0 || !/^[xyz]+$/i.test(order)) {
    throw new InputError(
      `eulerToMatrix: order '${order}' must be one axis letter (X, Y, Z) per angle (${angles.length} angles)`,
    );
  }
  checkFinite('eulerToMatrix: angles', angles);
  const k = options.degrees ? Math.PI / 180 : 1;
  const out = options.out ?? new Float64Array(9);
  out.fill(0);
  out[0] = out[4] = out[8] = 1;
  for (let i = 0; i < order.length; i++) {
    const a = angles[i]! * k;
    const c = Math.cos(a);
    const s = Math.sin(a);
    // out ← out · R_axis(a): only two columns change.
    const [p, q] = axisColumns(order[i]!.toUpperCase());
    for (let r = 0; r < 3; r++) {
      const mp = out[3 * r + p]!;
      const mq = out[3 * r + q]!;
      out[3 * r + p] = mp * c + mq * s;
      out[3 * r + q] = -mp * s + mq * c;
    }
  }
  return out;
}

/** Columns (p, q) rotated by R_axis: R_axis(a) has [c, −s; s, c] on rows/cols (p, q). */
function axisColumns(axis: string): [number, number] {
  if (axis === 'X') return [1, 2];
  if (axis === 'Y') return [2, 0];
  return [0, 1];
}

/**
 * A rotation uniform on SO(3) (Haar measure): the normalised quaternion of four standard normals,
 * which is uniform on S³ (Shoemake's subgroup algorithm draws the same distribution). `q` is the
 * quaternion's scratch (4 values; pass one for no allocation in a loop).
 */
export function randomRotation(
  rng: Rng,
  out: Mat3 = new Float64Array(9),
  q: Float64Array = new Float64Array(4),
): Mat3 {
  let n = 0;
  do {
    for (let i = 0; i < 4; i++) q[i] = rng.normal();
    n = Math.hypot(q[0]!, q[1]!, q[2]!, q[3]!);
  } while (n < 1e-6);
  return quaternionToMatrix(q, out);
}

/** B rotations uniform on SO(3): [B, 3, 3]. */
export function randomRotations(rng: Rng, batch: number): NdArray<Float64Array> {
  if (!Number.isInteger(batch) || batch < 0)
    throw new InputError(`randomRotations: batch must be an integer ≥ 0, got ${batch}`);
  const data = new Float64Array(batch * 9);
  for (let b = 0; b < batch; b++) randomRotation(rng, data.subarray(9 * b, 9 * b + 9));
  return { data, shape: [batch, 3, 3] };
}

/**
 * Geodesic distance on SO(3), radians in [0, π]: the angle of R1ᵀR2, as atan2(sin θ, cos θ) from its
 * skew part and trace (accurate near 0 and π, unlike acos of the trace).
 */
export function rotationAngleBetween(R1: ArrayLike<number>, R2: ArrayLike<number>): number {
  checkLength('rotationAngleBetween: R1', R1, 9);
  checkLength('rotationAngleBetween: R2', R2, 9);
  // M = R1ᵀ R2: M[i][j] = Σ_k R1[k][i] R2[k][j].
  const m = (i: number, j: number) => R1[i]! * R2[j]! + R1[3 + i]! * R2[3 + j]! + R1[6 + i]! * R2[6 + j]!;
  const cos = (m(0, 0) + m(1, 1) + m(2, 2) - 1) / 2;
  const sin = Math.hypot(m(2, 1) - m(1, 2), m(0, 2) - m(2, 0), m(1, 0) - m(0, 1)) / 2;
  return Math.atan2(sin, cos);
}

/** yᵢ = R xᵢ for points [N, 3] → [N, 3] (Float64). `out` may alias `points.data`. */
export function rotatePoints(
  R: ArrayLike<number>,
  points: NdArray,
  out: Float64Array = new Float64Array(points.data.length),
): NdArray<Float64Array> {
  checkLength('rotatePoints: R', R, 9);
  const { N } = assertShape('rotatePoints: points', points.shape, ['N', 3]);
  if (out.length !== points.data.length)
    throw new ShapeError(`rotatePoints: out has ${out.length} elements, need ${points.data.length}`);
  const p = points.data;
  for (let i = 0; i < N!; i++) {
    const x = p[3 * i]!;
    const y = p[3 * i + 1]!;
    const z = p[3 * i + 2]!;
    out[3 * i] = R[0]! * x + R[1]! * y + R[2]! * z;
    out[3 * i + 1] = R[3]! * x + R[4]! * y + R[5]! * z;
    out[3 * i + 2] = R[6]! * x + R[7]! * y + R[8]! * z;
  }
  return { data: out, shape: [N!, 3] };
}

function checkLength(name: string, a: ArrayLike<number>, n: number): void {
  if (a.length !== n) throw new ShapeError(`${name} must have ${n} elements, got ${a.length}`);
}

function checkFinite(name: string, a: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new InputError(`${name}[${i}] is ${a[i]}; values must be finite`);
  }
}
