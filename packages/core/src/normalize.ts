import { DegenerateError, InputError, ShapeError } from './errors.js';
import type { FloatArray, NdArray, NumArray } from './ndarray.js';
import { checkShapes } from './shape.js';

/**
 * 2D keypoint normalisation — THE preprocessing of the model input, shared by training and the ONNX
 * runtime: for each sample, centre on the mean of the visible points, then divide by one scalar (the
 * largest |coordinate| of the centred visible points) so they lie in [−1, 1] with the aspect ratio kept.
 */

/** The per-sample similarity that `normalizeKeypoints` applied: normalised = (p − center) / scale. */
export interface KeypointTransform {
  /** [B, 2]: mean of each sample's visible points, input units. */
  center: NdArray<Float64Array>;
  /** [B]: max |coordinate| of each sample's centred visible points, input units; > 0. */
  scale: NdArray<Float64Array>;
}

export interface NormalizedKeypoints<T extends FloatArray = FloatArray> extends KeypointTransform {
  /** [B, N, 2]: (p − center) / scale for visible points, 0 for masked ones. */
  points: NdArray<T>;
}

/** Preallocated outputs (sizes B·N·2, B·2, B). `points` may be the input's own data (in place). */
export interface NormalizeOutputs<T extends FloatArray> {
  points?: T;
  center?: Float64Array;
  scale?: Float64Array;
}

/**
 * Normalises points [B, N, 2] with mask [B, N] (1 = visible, 0 = absent; omitted = all visible).
 * Masked points never influence centre or scale, may hold NaN, and come out as 0. Output points have
 * the input's array type unless `out.points` is given. Throws InputError for a visible non-finite
 * coordinate (naming sample and point), a mask value other than 0/1, or a sample with no visible
 * point; DegenerateError when a sample's visible points all coincide (zero extent).
 */
export function normalizeKeypoints<T extends FloatArray, O extends FloatArray = T>(
  points: NdArray<T>,
  mask?: NdArray<NumArray>,
  out: NormalizeOutputs<O> = {},
): NormalizedKeypoints<O> {
  const { B, N } = checkShapes({
    points: [points.shape, ['B', 'N', 2]],
    mask: mask && [mask.shape, ['B', 'N']],
  }) as { B: number; N: number };
  const p = points.data;
  const m = mask?.data;
  const outPoints = out.points ?? (new (p.constructor as new (n: number) => O)(p.length) as O);
  const center = out.center ?? new Float64Array(2 * B);
  const scale = out.scale ?? new Float64Array(B);
  checkOut('normalizeKeypoints', 'out.points', outPoints.length, p.length);
  checkOut('normalizeKeypoints', 'out.center', center.length, 2 * B);
  checkOut('normalizeKeypoints', 'out.scale', scale.length, B);

  for (let b = 0; b < B; b++) {
    const base = b * N;
    let count = 0;
    let sx = 0;
    let sy = 0;
    let maxAbs = 0;
    for (let i = 0; i < N; i++) {
      if (m && !visible(m, base + i, b, i)) continue;
      const x = p[2 * (base + i)]!;
      const y = p[2 * (base + i) + 1]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        throw new InputError(
          `normalizeKeypoints: sample ${b}, point ${i} is visible but not finite (x=${x}, y=${y}); mask it or fix the input`,
        );
      }
      count++;
      sx += x;
      sy += y;
      maxAbs = Math.max(maxAbs, Math.abs(x), Math.abs(y));
    }
    if (count === 0) {
      throw new InputError(`normalizeKeypoints: sample ${b} has no visible point (all ${N} masked)`);
    }
    const cx = sx / count;
    const cy = sy / count;
    let s = 0;
    for (let i = 0; i < N; i++) {
      if (m && m[base + i] === 0) continue;
      s = Math.max(s, Math.abs(p[2 * (base + i)]! - cx), Math.abs(p[2 * (base + i) + 1]! - cy));
    }
    // Identical points leave only the rounding of the mean (~1e-16 relative) as extent.
    if (!(s > 1e-10 * maxAbs)) {
      throw new DegenerateError(
        `normalizeKeypoints: sample ${b} has zero extent (its ${count} visible point${count === 1 ? '' : 's'} coincide at (${cx}, ${cy}))`,
      );
    }
    center[2 * b] = cx;
    center[2 * b + 1] = cy;
    scale[b] = s;
    const inv = 1 / s;
    for (let i = 0; i < N; i++) {
      const k = 2 * (base + i);
      if (m && m[base + i] === 0) {
        outPoints[k] = 0;
        outPoints[k + 1] = 0;
      } else {
        outPoints[k] = (p[k]! - cx) * inv;
        outPoints[k + 1] = (p[k + 1]! - cy) * inv;
      }
    }
  }
  return {
    points: { data: outPoints, shape: [B, N, 2] },
    center: { data: center, shape: [B, 2] },
    scale: { data: scale, shape: [B] },
  };
}

/**
 * Inverse of `normalizeKeypoints`: p = normalised · scale + center for points [B, N, 2] and the
 * transform's center [B, 2] and scale [B]; masked points (mask [B, N], 0 = absent) come out as 0.
 * Output has the input's array type unless `out` is given (`out` may be `points.data`).
 */
export function denormalizeKeypoints<T extends FloatArray, O extends FloatArray = T>(
  points: NdArray<T>,
  transform: KeypointTransform,
  mask?: NdArray<NumArray>,
  out?: O,
): NdArray<O> {
  const { B, N } = checkShapes({
    points: [points.shape, ['B', 'N', 2]],
    center: [transform.center.shape, ['B', 2]],
    scale: [transform.scale.shape, ['B']],
    mask: mask && [mask.shape, ['B', 'N']],
  }) as { B: number; N: number };
  const p = points.data;
  const m = mask?.data;
  const c = transform.center.data;
  const sc = transform.scale.data;
  const o = out ?? (new (p.constructor as new (n: number) => O)(p.length) as O);
  checkOut('denormalizeKeypoints', 'out', o.length, p.length);
  for (let b = 0; b < B; b++) {
    const s = sc[b]!;
    const cx = c[2 * b]!;
    const cy = c[2 * b + 1]!;
    for (let i = 0; i < N; i++) {
      const k = 2 * (b * N + i);
      if (m && !visible(m, b * N + i, b, i)) {
        o[k] = 0;
        o[k + 1] = 0;
      } else {
        o[k] = p[k]! * s + cx;
        o[k + 1] = p[k + 1]! * s + cy;
      }
    }
  }
  return { data: o, shape: [B, N, 2] };
}

function visible(m: NumArray, k: number, b: number, i: number): boolean {
  const v = m[k]!;
  if (v === 1) return true;
  if (v === 0) return false;
  throw new InputError(
    `mask of sample ${b}, point ${i} is ${v}; mask values must be 0 (absent) or 1 (visible)`,
  );
}

function checkOut(fn: string, name: string, got: number, want: number): void {
  if (got !== want) throw new ShapeError(`${fn}: ${name} has ${got} elements, need ${want}`);
}
