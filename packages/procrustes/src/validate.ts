import {
  checkShapes,
  DegenerateError,
  type FloatArray,
  InputError,
  type NdArray,
  type NumArray,
} from '@lfm/core';

/** Batched points: [B, N, 3] (or [B, N, 2] for image points), Float32 or Float64. */
export type Points = NdArray<FloatArray>;
/** Per-point weights [B, N], ≥ 0; 0 = ignored entirely (a 0/1 mask works). Any numeric typed array. */
export type Weights = NdArray<NumArray>;

/**
 * Checks the shapes of a (source, target, weights) triple, binding B and N across them, and that the
 * weights are finite and ≥ 0. Returns { B, N }.
 */
export function checkBatch(
  fn: string,
  names: readonly [string, string],
  x: Points,
  xDim: number,
  y: Points,
  yDim: number,
  weights: Weights | undefined,
): { B: number; N: number } {
  const dims = checkShapes({
    [names[0]]: [x.shape, ['B', 'N', xDim]],
    [names[1]]: [y.shape, ['B', 'N', yDim]],
    weights: weights && [weights.shape, ['B', 'N']],
  });
  const B = dims.B!;
  const N = dims.N!;
  if (weights) {
    const w = weights.data;
    for (let i = 0; i < w.length; i++) {
      const v = w[i]!;
      if (!(v >= 0) || !Number.isFinite(v)) {
        throw new InputError(
          `${fn}: weights[${Math.floor(i / N)}, ${i % N}] = ${v}; weights must be finite and ≥ 0 (0 ignores the point)`,
        );
      }
    }
  }
  return { B, N };
}

/** Rank tolerance on σ₂/σ₁-like measures: what counts as collinear depends on the input's precision. */
export function rankTolerance(...arrays: FloatArray[]): number {
  return arrays.some((a) => a instanceof Float32Array) ? 1e-6 : 1e-9;
}

export function allMaskedError(fn: string, b: number): DegenerateError {
  return new DegenerateError(
    `${fn}: sample ${b} has every point masked (weight 0), so it has no solution; ` +
      'drop the sample or give it at least 3 visible points',
  );
}

export function tooFewError(fn: string, b: number, count: number, need: number, why: string): InputError {
  return new InputError(
    `${fn}: sample ${b} has only ${count} visible point(s) but needs at least ${need} (${why}); ` +
      'unmask more points or drop the sample',
  );
}

export function collinearError(fn: string, b: number, what: string): DegenerateError {
  return new DegenerateError(
    `${fn}: sample ${b}: ${what} are collinear or coincident, so the rotation about their line is ` +
      'undetermined; give at least 3 visible points that are not on one line',
  );
}

/** Finds the first visible point of sample b with a non-finite coordinate among the named arrays. */
export function nonFiniteError(
  fn: string,
  b: number,
  N: number,
  w: ArrayLike<number> | undefined,
  arrays: readonly (readonly [string, ArrayLike<number>, number])[],
): InputError {
  for (let i = 0; i < N; i++) {
    if (w !== undefined && !(w[b * N + i]! > 0)) continue;
    for (const [name, data, dim] of arrays) {
      const o = (b * N + i) * dim;
      for (let d = 0; d < dim; d++) {
        if (!Number.isFinite(data[o + d]!)) {
          return new InputError(
            `${fn}: sample ${b}, point ${i}: ${name} has a non-finite coordinate (${data[o + d]}) on a visible ` +
              'point; mask it (weight 0) or fix the input',
          );
        }
      }
    }
  }
  return new InputError(`${fn}: sample ${b}: coordinates overflow Float64 arithmetic; rescale the input`);
}

/**
 * Copies the visible points of sample b (weight > 0) into compact xs [n,3], ys [n,2], ws [n] and
 * returns n; throws the sample's all-masked or non-finite error.
 */
export function gatherVisible(
  fn: string,
  b: number,
  N: number,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  w: ArrayLike<number> | undefined,
  xs: Float64Array,
  ys: Float64Array,
  ws: Float64Array,
): number {
  let n = 0;
  let finite = true;
  for (let i = 0; i < N; i++) {
    const wi = w === undefined ? 1 : w[b * N + i]!;
    if (!(wi > 0)) continue;
    const p = 3 * (b * N + i);
    const q = 2 * (b * N + i);
    const a0 = x[p]!;
    const a1 = x[p + 1]!;
    const a2 = x[p + 2]!;
    const c0 = y[q]!;
    const c1 = y[q + 1]!;
    finite = finite && Number.isFinite(a0 + a1 + a2 + c0 + c1);
    xs[3 * n] = a0;
    xs[3 * n + 1] = a1;
    xs[3 * n + 2] = a2;
    ys[2 * n] = c0;
    ys[2 * n + 1] = c1;
    ws[n] = wi;
    n++;
  }
  if (n === 0) throw allMaskedError(fn, b);
  if (!finite) {
    throw nonFiniteError(fn, b, N, w, [
      ['x3d', x, 3],
      ['y2d', y, 2],
    ]);
  }
  return n;
}

/** A 2D–3D batch checked and ready to solve sample by sample (see `forEachVisibleSample`). */
export interface VisibleBatch {
  readonly fn: string;
  readonly B: number;
  readonly N: number;
  readonly x3d: Points;
  readonly y2d: Points;
  readonly weights: Weights | undefined;
  /** The current sample's visible points, compact: xs [n,3], ys [n,2], weights ws [n]. */
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly ws: Float64Array;
  /** Rank tolerance of the batch's 3D points. */
  readonly tol: number;
}

/** Checks x3d [B,N,3], y2d [B,N,2] and weights [B,N] for solver `fn` and allocates the compact buffers. */
export function visibleBatch(
  fn: string,
  x3d: Points,
  y2d: Points,
  weights: Weights | undefined,
): VisibleBatch {
  const { B, N } = checkBatch(fn, ['x3d', 'y2d'], x3d, 3, y2d, 2, weights);
  const xs = new Float64Array(3 * N);
  const ys = new Float64Array(2 * N);
  const ws = new Float64Array(N);
  return { fn, B, N, x3d, y2d, weights, xs, ys, ws, tol: rankTolerance(x3d.data) };
}

/** What a per-sample solve returns: 0 solved, 1 collinear 3D points, or why the sample has no solution. */
export type SampleStatus = 0 | 1 | string;
export const SOLVED = 0;
export const COLLINEAR = 1;

/**
 * The batch loop of the 2D–3D solvers: for every sample, gathers its visible points into the batch's
 * compact buffers (throwing the all-masked and non-finite errors), requires at least `minPoints`
 * (`why` says why), and calls `solve(b, n)`; a collinear or other failed sample becomes the
 * DegenerateError naming it.
 */
export function forEachVisibleSample(
  batch: VisibleBatch,
  minPoints: number,
  why: string,
  solve: (b: number, n: number) => SampleStatus,
): void {
  const { fn, N, x3d, y2d, weights, xs, ys, ws } = batch;
  for (let b = 0; b < batch.B; b++) {
    const n = gatherVisible(fn, b, N, x3d.data, y2d.data, weights?.data, xs, ys, ws);
    if (n < minPoints) throw tooFewError(fn, b, n, minPoints, why);
    const status = solve(b, n);
    if (status === COLLINEAR) throw collinearError(fn, b, 'the visible 3D points');
    if (typeof status === 'string') throw new DegenerateError(`${fn}: sample ${b}: ${status}`);
  }
}
