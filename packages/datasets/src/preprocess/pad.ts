import {
  checkShapes,
  InputError,
  type NdArray,
  type NumArray,
  normalizeKeypoints,
  ShapeError,
} from '@lfm/core';
import { adjacencyFromBones, DEFAULT_KNN_K, type Edge, knnAdjacency } from './graph.js';

/** 2D points padded to N slots, as the model takes them. */
export interface PaddedKeypoints {
  /** [B, N, 2] float32; 0 where mask is 0. */
  readonly points: NdArray<Float32Array>;
  /** [B, N] float32 0/1: 1 = present; slots past a sample's own points are padding (0). */
  readonly mask: NdArray<Float32Array>;
}

export interface PadOptions {
  /** [B, n]: a point is present when its value is > 0. Default: present iff both coordinates are finite. */
  readonly mask?: NdArray<NumArray>;
  /** N ≥ n: the padded size (the model's maximum number of points). Default n. */
  readonly size?: number;
}

/**
 * Pads points [B, n, 2] to [B, N, 2] with a mask [B, N] (absent and padding slots hold 0). InputError
 * when n > N (more points than the model takes) or a present point has a non-finite coordinate.
 */
export function padKeypoints(points: NdArray<NumArray>, options: PadOptions = {}): PaddedKeypoints {
  const { B, n } = checkShapes({
    points: [points.shape, ['B', 'n', 2]],
    mask: options.mask && [options.mask.shape, ['B', 'n']],
  }) as { B: number; n: number };
  const N = options.size ?? n;
  if (!Number.isInteger(N) || N < 1)
    throw new ShapeError(`padKeypoints: size must be an integer ≥ 1, got ${N}`);
  if (n > N) {
    throw new InputError(
      `${n} points per sample, but the model takes at most ${N}; drop points or use a model with more slots`,
    );
  }
  const p = points.data;
  const m = options.mask?.data;
  const out = new Float32Array(B * N * 2);
  const mask = new Float32Array(B * N);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) {
      const x = p[2 * (b * n + i)]!;
      const y = p[2 * (b * n + i) + 1]!;
      const finite = Number.isFinite(x) && Number.isFinite(y);
      const present = m ? m[b * n + i]! > 0 : finite;
      if (!present) continue;
      if (!finite) {
        throw new InputError(
          `sample ${b}, point ${i} is marked present but its coordinates are (${x}, ${y}); mask it or fix it`,
        );
      }
      out[2 * (b * N + i)] = x;
      out[2 * (b * N + i) + 1] = y;
      mask[b * N + i] = 1;
    }
  }
  return { points: { data: out, shape: [B, N, 2] }, mask: { data: mask, shape: [B, N] } };
}

export interface PreprocessOptions extends PadOptions {
  /**
   * Bones (point index pairs) shared by every sample, or per sample (undefined / [] = none). A sample
   * without bones gets the k-nearest-neighbour graph of its present 2D points.
   */
  readonly bones?: readonly Edge[] | ((sample: number) => readonly Edge[] | undefined);
  /** k of the kNN graph (default DEFAULT_KNN_K). */
  readonly k?: number;
}

/** The model's input for a batch, and the normalisation to undo on its output. */
export interface PreprocessedKeypoints extends PaddedKeypoints {
  /** [B, N, N] float32 0/1 (see the conventions of `adjacencyFromBones`). */
  readonly adj: NdArray<Float32Array>;
  /** [B, 2]: the 2D centre subtracted (input units). */
  readonly center: NdArray<Float64Array>;
  /** [B]: the 2D scale divided by (input units); normalised = (p − center) / scale. */
  readonly scale: NdArray<Float64Array>;
}

/**
 * Inference preprocessing, the same steps as a training batch: pad to N with a mask, normalise with
 * core `normalizeKeypoints` (centre on the present points' mean, scale into [−1, 1] keeping the aspect
 * ratio), then the local-attention graph from the bones, or kNN when a sample has none.
 * Throws InputError for n > N, a present non-finite point or a sample with no present point,
 * DegenerateError when a sample's present points coincide.
 */
export function preprocessKeypoints(
  points: NdArray<NumArray>,
  options: PreprocessOptions = {},
): PreprocessedKeypoints {
  const padded = padKeypoints(points, options);
  const [B, N] = padded.mask.shape as [number, number];
  const norm = normalizeKeypoints(padded.points, padded.mask, { points: padded.points.data });
  const adj = new Float32Array(B * N * N);
  const bonesOf =
    typeof options.bones === 'function' ? options.bones : () => options.bones as readonly Edge[];
  for (let b = 0; b < B; b++) {
    const bones = bonesOf(b);
    const n = points.shape[1]!;
    for (const [i, j] of bones ?? []) {
      if (!(i >= 0 && j >= 0 && i < n && j < n)) {
        throw new InputError(`sample ${b}: bone [${i}, ${j}] is not a pair of point indices in [0, ${n})`);
      }
    }
    const mask = { data: padded.mask.data.subarray(b * N, (b + 1) * N), shape: [1, N] };
    const out = adj.subarray(b * N * N, (b + 1) * N * N);
    if (bones && bones.length > 0) adjacencyFromBones(bones, mask, { out });
    else {
      const pts = { data: padded.points.data.subarray(2 * b * N, 2 * (b + 1) * N), shape: [1, N, 2] };
      knnAdjacency(pts, mask, { k: options.k ?? DEFAULT_KNN_K, out });
    }
  }
  return { ...padded, adj: { data: adj, shape: [B, N, N] }, center: norm.center, scale: norm.scale };
}
