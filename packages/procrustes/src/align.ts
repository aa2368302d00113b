import { checkShapes, type FloatArray, type NdArray, type NumArray, nd } from '@lfm/core';
import {
  alignedResidual,
  MOMENTS,
  rank2Measure3,
  rotationFromCrossCovariance,
  sampleMoments,
  scaleRotation,
  translationFromMeans,
} from './qcp.js';
import { addOuter3 } from './scatter.js';
import {
  allMaskedError,
  checkBatch,
  collinearError,
  nonFiniteError,
  type Points,
  rankTolerance,
  tooFewError,
  type Weights,
} from './validate.js';

export interface AlignOptions {
  /** [B, N] weights ≥ 0; a point with weight 0 is ignored entirely (NaN there is harmless). Default: all 1. */
  weights?: Weights;
  /** Allow an improper R (det −1, a reflection) when it fits better. Default false: det R = +1. */
  allowReflection?: boolean;
}

export interface OrthogonalOptions extends AlignOptions {
  /** Fit a translation t (default true). With false, R rotates about the origin and t = 0. */
  translation?: boolean;
}

/** A batch of rigid transforms y ≈ R x + t, with the fit's residual. */
export interface RigidAlignment {
  /** [B, 3, 3] rotation (det +1; det −1 only with `allowReflection`). */
  readonly R: NdArray<Float64Array>;
  /** [B, 3] translation. */
  readonly t: NdArray<Float64Array>;
  /** [B] weighted RMS residual √(Σ wᵢ‖R xᵢ + t − yᵢ‖² / Σ wᵢ). */
  readonly rmsd: NdArray<Float64Array>;
}

/** A batch of similarity transforms y ≈ s R x + t, with the fit's residual. */
export interface SimilarityAlignment extends RigidAlignment {
  /** [B] scale ≥ 0 (the residual `rmsd` is then √(Σ wᵢ‖s R xᵢ + t − yᵢ‖² / Σ wᵢ)). */
  readonly s: NdArray<Float64Array>;
}

/** Anything `applySimilarity` can apply: R [B,3,3] with optional s [B] (default 1) and t [B,3] (default 0). */
export interface SimilarityLike {
  readonly R: NdArray<Float64Array>;
  readonly s?: NdArray<Float64Array>;
  readonly t?: NdArray<Float64Array>;
}

/**
 * Orthogonal Procrustes (Kabsch): min over R ∈ SO(3) (O(3) with `allowReflection`) and t ∈ ℝ³ of
 *   Σᵢ wᵢ ‖R xᵢ + t − yᵢ‖²      (t fixed to 0 with `translation: false`).
 * x, y: [B, N, 3] Float32/Float64; weights: [B, N]. Returns R [B,3,3], t [B,3], rmsd [B] (Float64).
 * Throws ShapeError (shapes), InputError (< 3 visible points, NaN/Infinity on a visible point, bad
 * weights), DegenerateError (all points masked; collinear/coincident points) naming the sample.
 */
export function alignOrthogonal(x: Points, y: Points, options: OrthogonalOptions = {}): RigidAlignment {
  const r = alignBatch('alignOrthogonal', x, y, options, false, options.translation ?? true);
  return { R: r.R, t: r.t, rmsd: r.rmsd };
}

/**
 * Similarity Procrustes (Umeyama 1991): min over R ∈ SO(3) (O(3) with `allowReflection`), s ≥ 0, t ∈ ℝ³ of
 *   Σᵢ wᵢ ‖s R xᵢ + t − yᵢ‖².
 * Closed form after weighted centring: R from the QCP kernel, s = tr(R M)/Σwᵢ‖xᵢ − x̄‖², t = ȳ − s R x̄.
 * x, y: [B, N, 3] Float32/Float64; weights: [B, N]. Returns R [B,3,3], s [B], t [B,3], rmsd [B] (Float64).
 * Errors as `alignOrthogonal`.
 */
export function alignSimilarity(x: Points, y: Points, options: AlignOptions = {}): SimilarityAlignment {
  return alignBatch('alignSimilarity', x, y, options, true, true);
}

/**
 * y = s R x + t for every point: transform R [B,3,3], s [B] (default 1), t [B,3] (default 0); x [B,N,3].
 * Returns [B, N, 3] Float64. NaN in x stays NaN in the output (masked points are the caller's business).
 */
export function applySimilarity(transform: SimilarityLike, x: Points): NdArray<Float64Array> {
  const { R, s, t } = transform;
  const dims = checkShapes({
    R: [R.shape, ['B', 3, 3]],
    s: s && [s.shape, ['B']],
    t: t && [t.shape, ['B', 3]],
    x: [x.shape, ['B', 'N', 3]],
  });
  const B = dims.B!;
  const N = dims.N!;
  const out = new Float64Array(B * N * 3);
  const xd = x.data;
  const Rd = R.data;
  for (let b = 0; b < B; b++) {
    const sc = s ? s.data[b]! : 1;
    const t0 = t ? t.data[3 * b]! : 0;
    const t1 = t ? t.data[3 * b + 1]! : 0;
    const t2 = t ? t.data[3 * b + 2]! : 0;
    const q = scaleRotation(sR, Rd, 9 * b, sc);
    for (let i = 0; i < N; i++) {
      const p = 3 * (b * N + i);
      const a0 = xd[p]!;
      const a1 = xd[p + 1]!;
      const a2 = xd[p + 2]!;
      out[p] = q[0]! * a0 + q[1]! * a1 + q[2]! * a2 + t0;
      out[p + 1] = q[3]! * a0 + q[4]! * a1 + q[5]! * a2 + t1;
      out[p + 2] = q[6]! * a0 + q[7]! * a1 + q[8]! * a2 + t2;
    }
  }
  return nd(out, [B, N, 3]);
}

const mom = new Float64Array(MOMENTS.size);
const sR = new Float64Array(9);
/** x̄ = ȳ = 0: the residual of an alignment without translation. */
const NO_MEANS = new Float64Array(6);

const ALIGN_OK = 0;
const ALIGN_ALL_MASKED = 1;
const ALIGN_NON_FINITE = 2;
const ALIGN_TOO_FEW = 3;
const ALIGN_COLLINEAR = 4;

function alignBatch(
  fn: string,
  x: Points,
  y: Points,
  options: AlignOptions,
  similarity: boolean,
  translation: boolean,
): SimilarityAlignment {
  const { weights } = options;
  const allowReflection = options.allowReflection ?? false;
  const { B, N } = checkBatch(fn, ['x', 'y'], x, 3, y, 3, weights);
  const xd = x.data;
  const yd = y.data;
  const wd = weights?.data;
  const tol = rankTolerance(xd, yd);
  const R = new Float64Array(9 * B);
  const S = new Float64Array(B);
  const T = new Float64Array(3 * B);
  const rmsd = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const status = alignSample(
      xd,
      yd,
      wd,
      b,
      N,
      tol,
      allowReflection,
      similarity,
      translation,
      R,
      S,
      T,
      rmsd,
    );
    if (status === ALIGN_OK) continue;
    if (status === ALIGN_ALL_MASKED) throw allMaskedError(fn, b);
    if (status === ALIGN_NON_FINITE) {
      throw nonFiniteError(fn, b, N, wd, [
        ['x', xd, 3],
        ['y', yd, 3],
      ]);
    }
    if (status === ALIGN_TOO_FEW) {
      throw tooFewError(fn, b, mom[MOMENTS.count]!, 3, 'a rotation needs 3 non-collinear points');
    }
    throw collinearError(fn, b, 'the visible points of x or y');
  }
  return { R: nd(R, [B, 3, 3]), s: nd(S, [B]), t: nd(T, [B, 3]), rmsd: nd(rmsd, [B]) };
}

/** One sample: writes R[9b], S[b], T[3b], rmsd[b] and returns ALIGN_OK, or a failure status. */
function alignSample(
  xd: FloatArray,
  yd: FloatArray,
  wd: NumArray | undefined,
  b: number,
  N: number,
  tol: number,
  allowReflection: boolean,
  similarity: boolean,
  translation: boolean,
  R: Float64Array,
  S: Float64Array,
  T: Float64Array,
  rmsd: Float64Array,
): number {
  const count = sampleMoments(xd, yd, wd, b, N, mom);
  if (count === 0) return ALIGN_ALL_MASKED;
  if (count < 0) return ALIGN_NON_FINITE;
  if (count < 3) return ALIGN_TOO_FEW;
  let gx = mom[MOMENTS.gx]!;
  let gy = mom[MOMENTS.gy]!;
  if (!translation) {
    // Uncentred moments: M + W x̄ȳᵀ, gx + W‖x̄‖², gy + W‖ȳ‖² (then the "means" are 0).
    const W = mom[MOMENTS.weight]!;
    const mx0 = mom[MOMENTS.meanX]!;
    const mx1 = mom[MOMENTS.meanX + 1]!;
    const mx2 = mom[MOMENTS.meanX + 2]!;
    const my0 = mom[MOMENTS.meanY]!;
    const my1 = mom[MOMENTS.meanY + 1]!;
    const my2 = mom[MOMENTS.meanY + 2]!;
    addOuter3(mom, MOMENTS.cov, W * mx0, W * mx1, W * mx2, my0, my1, my2);
    gx += W * (mx0 * mx0 + mx1 * mx1 + mx2 * mx2);
    gy += W * (my0 * my0 + my1 * my1 + my2 * my2);
  }
  if (rank2Measure3(mom, MOMENTS.cov) < tol) return ALIGN_COLLINEAR;
  const ro = 9 * b;
  const lambda = rotationFromCrossCovariance(mom, MOMENTS.cov, gx, gy, allowReflection, R, ro);
  const sc = similarity ? Math.max(0, lambda / gx) : 1;
  S[b] = sc;
  const means = translation ? mom : NO_MEANS;
  const mo = translation ? MOMENTS.meanX : 0;
  translationFromMeans(T, 3 * b, R, ro, sc, means, mo, means, mo + 3);
  const sse = alignedResidual(xd, yd, wd, b, N, R, ro, sc, means, mo, true);
  rmsd[b] = Math.sqrt(sse / mom[MOMENTS.weight]!);
  return ALIGN_OK;
}
