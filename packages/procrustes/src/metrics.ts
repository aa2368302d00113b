/**
 * Pose metrics over masked joints: MPJPE, PA-MPJPE and nPA-MPJPE (PA-MPJPE / ground-truth RMS radius).
 *
 * Inputs: pred, gt: [B, N, 3] (Float32 or Float64), B ≥ 1; mask: [B, N] optional, a joint is visible
 * when its mask value is > 0. Masked joints are never read: NaN/garbage there changes nothing, including the
 * Procrustes alignment. Values are in the units of the inputs (nPA-MPJPE is unit-free).
 */

import {
  checkShapes,
  DegenerateError,
  type FloatArray,
  hypot,
  InputError,
  type NdArray,
  type NumArray,
  type Numbers,
} from '@lfm/core';
import { alignedResidual, MOMENTS, rotationFromCrossCovariance, sampleMoments } from './qcp.js';

/** One metric over a batch. */
export interface PoseError {
  /** [B]: mean joint error of each sample over its visible joints. */
  readonly perSample: Float64Array;
  /** Mean of `perSample` (every sample weighs the same, whatever its number of visible joints). */
  readonly mean: number;
}

/** All three metrics of one batch, from one alignment per sample. */
export interface PoseErrors {
  readonly mpjpe: PoseError;
  readonly paMpjpe: PoseError;
  readonly nPaMpjpe: PoseError;
  /**
   * With `{ flipBest: true }`: per sample the better of the prediction and its mirror image (z → −z;
   * under a proper-rotation alignment every reflection is the same up to rotation) — C3DPO's
   * `EVAL_MPJPE_best`. A 2D view fixes a shape only up to its depth mirror, so a lifter without joint
   * identity cannot tell the two apart on a symmetric rig.
   */
  readonly flipBest?: { readonly paMpjpe: PoseError; readonly nPaMpjpe: PoseError };
  /** With `{ flipBest: true }`: the mirror image's own errors (per sample, not the better of the two). */
  readonly mirrored?: { readonly paMpjpe: PoseError; readonly nPaMpjpe: PoseError };
}

/** A per-sample pose metric: pred, gt [B, N, 3]; mask [B, N] (a joint is visible when > 0). */
export type PoseMetric = (
  pred: NdArray<FloatArray>,
  gt: NdArray<FloatArray>,
  mask?: NdArray<NumArray>,
) => PoseError;

/** Options of `poseErrors`. */
export interface PoseErrorOptions {
  /** Also score each sample's mirror image and report the better of the two (`PoseErrors.flipBest`). */
  readonly flipBest?: boolean;
}

/**
 * Mean per-joint position error: mean over visible joints of ‖predᵢ − gtᵢ‖ (no alignment).
 * pred, gt: [B, N, 3]; mask: [B, N]. Throws DegenerateError for a sample with no visible joint,
 * InputError for a non-finite visible coordinate, ShapeError for mismatched shapes.
 */
export function mpjpe(
  pred: NdArray<FloatArray>,
  gt: NdArray<FloatArray>,
  mask?: NdArray<NumArray>,
): PoseError {
  const { B, N } = checkMetricShapes(pred, gt, mask);
  const per = new Float64Array(B);
  const p = pred.data;
  const g = gt.data;
  const m = mask?.data;
  for (let b = 0; b < B; b++) {
    let sum = 0;
    let count = 0;
    for (let j = 0; j < N; j++) {
      if (m !== undefined && !(m[b * N + j]! > 0)) continue;
      const o = 3 * (b * N + j);
      sum += hypot(p[o]! - g[o]!, p[o + 1]! - g[o + 1]!, p[o + 2]! - g[o + 2]!);
      count++;
    }
    if (count === 0) throw allMasked(b);
    if (!Number.isFinite(sum)) throw nonFinite(b, N, p, g, m);
    per[b] = sum / count;
  }
  return result(per);
}

/**
 * PA-MPJPE: MPJPE after the similarity Procrustes alignment of pred onto gt over the visible joints,
 *   min over R ∈ SO(3) (det +1), s, t of Σ_visible ‖s R predᵢ + t − gtᵢ‖²,
 * then the mean of the NON-squared distances ‖s R predᵢ + t − gtᵢ‖. Needs ≥ 3 visible joints per sample
 * (InputError otherwise). A degenerate prediction (all joints at one point) scores as if collapsed onto
 * the gt centroid (s = 0); a collinear one gets one of its equally optimal rotations (deterministic).
 */
export const paMpjpe: PoseMetric = (pred, gt, mask) => alignedErrors(pred, gt, mask, false);

/**
 * nPA-MPJPE: PA-MPJPE of each sample divided by the RMS radius of its visible ground-truth joints about
 * their centroid, √(Σ‖gtᵢ − ḡt‖² / n) — unit-free, comparable across categories. DegenerateError when
 * a sample's visible ground truth is a single point (radius 0). Otherwise as `paMpjpe`.
 */
export const nPaMpjpe: PoseMetric = (pred, gt, mask) => alignedErrors(pred, gt, mask, true);

/** MPJPE, PA-MPJPE and nPA-MPJPE of one batch (one alignment per sample). Shapes and errors as above. */
export function poseErrors(
  pred: NdArray<FloatArray>,
  gt: NdArray<FloatArray>,
  mask?: NdArray<NumArray>,
  options: PoseErrorOptions = {},
): PoseErrors {
  const { B, N } = checkMetricShapes(pred, gt, mask);
  const pa = new Float64Array(B);
  const npa = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    pa[b] = alignedError(pred.data, gt.data, mask?.data, b, N, false);
    npa[b] = pa[b]! / gtRadius(b);
  }
  const errors = { mpjpe: mpjpe(pred, gt, mask), paMpjpe: result(pa), nPaMpjpe: result(npa) };
  if (!options.flipBest) return errors;
  const mirrored = Float64Array.from(pred.data);
  for (let i = 2; i < mirrored.length; i += 3) mirrored[i] = -mirrored[i]!;
  const paBest = new Float64Array(B);
  const npaBest = new Float64Array(B);
  const paMirror = new Float64Array(B);
  const npaMirror = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    paMirror[b] = alignedError(mirrored, gt.data, mask?.data, b, N, false);
    npaMirror[b] = paMirror[b]! / gtRadius(b);
    paBest[b] = Math.min(pa[b]!, paMirror[b]!);
    npaBest[b] = paBest[b]! / gtRadius(b);
  }
  return {
    ...errors,
    flipBest: { paMpjpe: result(paBest), nPaMpjpe: result(npaBest) },
    mirrored: { paMpjpe: result(paMirror), nPaMpjpe: result(npaMirror) },
  };
}

// ---------------------------------------------------------------------------------------------

/** PA-MPJPE (or nPA-MPJPE when `normalise`) of every sample. */
function alignedErrors(
  pred: NdArray<FloatArray>,
  gt: NdArray<FloatArray>,
  mask: NdArray<NumArray> | undefined,
  normalise: boolean,
): PoseError {
  const { B, N } = checkMetricShapes(pred, gt, mask);
  const per = new Float64Array(B);
  for (let b = 0; b < B; b++) per[b] = alignedError(pred.data, gt.data, mask?.data, b, N, normalise);
  return result(per);
}

const moments = new Float64Array(MOMENTS.size);
const rot = new Float64Array(9);

/** gt RMS radius of the sample last passed to alignedError (read from the shared moments record). */
function gtRadius(b: number): number {
  const r = Math.sqrt(moments[MOMENTS.gy]! / moments[MOMENTS.count]!);
  if (!(r > 0)) {
    throw new DegenerateError(
      `sample ${b}: the visible ground-truth joints all coincide (RMS radius 0), so nPA-MPJPE is undefined; ` +
        'drop the sample or fix its ground truth',
    );
  }
  return r;
}

function alignedError(
  p: FloatArray,
  g: FloatArray,
  m: NumArray | undefined,
  b: number,
  N: number,
  normalise: boolean,
): number {
  const count = sampleMoments(p, g, m, b, N, moments);
  if (count === 0) throw allMasked(b);
  if (count < 0) throw nonFinite(b, N, p, g, m);
  const gx = moments[MOMENTS.gx]!;
  const gy = moments[MOMENTS.gy]!;
  if (count < 3) {
    throw new InputError(
      `sample ${b}: only ${count} visible joint(s); PA-MPJPE needs at least 3 to fit a similarity ` +
        'transform — unmask more joints or use MPJPE',
    );
  }
  const lambda = rotationFromCrossCovariance(moments, MOMENTS.cov, gx, gy, false, rot);
  // gx = 0: the prediction is one point; the best similarity maps it to the gt centroid (s = 0).
  const s = gx > 0 ? lambda / gx : 0;
  const sum = alignedResidual(p, g, m, b, N, rot, 0, s, moments, MOMENTS.meanX, false);
  const pa = sum / count;
  return normalise ? pa / gtRadius(b) : pa;
}

function checkMetricShapes(
  pred: NdArray<FloatArray>,
  gt: NdArray<FloatArray>,
  mask: NdArray<NumArray> | undefined,
): { B: number; N: number } {
  const dims = checkShapes({
    pred: [pred.shape, ['B', 'N', 3]],
    gt: [gt.shape, ['B', 'N', 3]],
    mask: mask && [mask.shape, ['B', 'N']],
  });
  if (dims.B === 0) throw new InputError('empty batch (B = 0): there is no sample to average');
  return { B: dims.B!, N: dims.N! };
}

function result(perSample: Float64Array): PoseError {
  let sum = 0;
  for (let b = 0; b < perSample.length; b++) sum += perSample[b]!;
  return { perSample, mean: sum / perSample.length };
}

function allMasked(b: number): DegenerateError {
  return new DegenerateError(
    `sample ${b}: every joint is masked, so there is nothing to measure; drop the sample (or unmask its joints)`,
  );
}

/** The error for the first visible non-finite coordinate of sample b (called only after sums went non-finite). */
function nonFinite(b: number, N: number, p: Numbers, g: Numbers, m: NumArray | undefined): InputError {
  for (let j = 0; j < N; j++) {
    if (m !== undefined && !(m[b * N + j]! > 0)) continue;
    for (const [name, arr] of [
      ['pred', p],
      ['gt', g],
    ] as const) {
      const o = 3 * (b * N + j);
      if (!Number.isFinite(arr[o]!) || !Number.isFinite(arr[o + 1]!) || !Number.isFinite(arr[o + 2]!)) {
        return new InputError(
          `sample ${b}, joint ${j}: ${name} has a non-finite coordinate (${arr[o]}, ${arr[o + 1]}, ${arr[o + 2]}) ` +
            'on a visible joint; mask the joint (mask 0) or fix the input',
        );
      }
    }
  }
  return new InputError(
    `sample ${b}: coordinates are too large (the sums overflow Float64); rescale the input`,
  );
}
