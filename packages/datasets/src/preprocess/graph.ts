import { checkShapes, InputError, type NdArray, type NumArray, ShapeError } from '@lfm/core';
import { DEFAULT_KNN_K } from '@lfm/format';

/**
 * The graph of the local attention, [B, N, N] float32 0/1, shared by training batches and inference.
 * Conventions (one place, both paths):
 * - A[b, i, i] = 1 for EVERY slot i, padding and masked ones included, so that no attention row is
 *   empty (a softmax over an all-masked row is NaN, and NaN·0 is still NaN in a gradient);
 * - off the diagonal, A[b, i, j] = A[b, j, i] = 1 only between two present points (mask 1): a bone or
 *   a neighbour that is occluded or padding is dropped, never attended to.
 */

/** A 0-based joint index pair: a bone, or a left/right mirror pair. */
export type Edge = readonly [number, number];

/** k of the k-nearest-neighbour graph used when a rig has no bones (training and inference); defined in @lfm/format. */
export { DEFAULT_KNN_K };

export interface BoneAdjacencyOptions {
  /**
   * [B, N] Int32: the joint held by each slot (−1 = padding), when points were permuted or subsampled;
   * bones index joints. Default: slot i holds joint i.
   */
  readonly jointIndex?: NdArray<Int32Array>;
  /** Preallocated output, B·N·N values. */
  readonly out?: Float32Array;
}

/**
 * Adjacency [B, N, N] of a bone graph: A[b,i,j] = 1 when the joints in slots i and j share a bone and
 * both are present (mask [B, N], 1 = present), plus 1 on the whole diagonal (see the conventions above).
 * bones: joint index pairs, undirected. Throws ShapeError on mismatched shapes; InputError on a
 * negative or non-integer bone index, a bone index ≥ N without `jointIndex`, or a joint in two slots.
 */
export function adjacencyFromBones(
  bones: readonly Edge[],
  mask: NdArray<NumArray>,
  options: BoneAdjacencyOptions = {},
): NdArray<Float32Array> {
  const { B, N } = checkShapes({
    mask: [mask.shape, ['B', 'N']],
    jointIndex: options.jointIndex && [options.jointIndex.shape, ['B', 'N']],
  }) as { B: number; N: number };
  const ji = options.jointIndex?.data;
  let J = N;
  if (ji) {
    // Bones index joints; a joint in no slot is simply absent, so any index ≥ 0 is allowed.
    J = maxBoneIndex(bones) + 1;
    for (let k = 0; k < ji.length; k++) {
      const j = ji[k]!;
      if (j < -1) throw new InputError(`jointIndex[${k}] is ${j}; use −1 for padding`);
      J = Math.max(J, j + 1);
    }
  }
  const flat = flattenBones(bones, J);
  const out = options.out ?? new Float32Array(B * N * N);
  if (out.length !== B * N * N) {
    throw new ShapeError(`adjacencyFromBones: out has ${out.length} values, need B·N·N = ${B * N * N}`);
  }
  const slotOfJoint = new Int32Array(J).fill(-1);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < N; i++) {
      const j = ji ? ji[b * N + i]! : i;
      if (j >= 0) {
        if (slotOfJoint[j] !== -1)
          throw new InputError(`sample ${b}: joint ${j} is in two slots of jointIndex`);
        slotOfJoint[j] = i;
      }
    }
    writeBoneAdjacency(flat, slotOfJoint, mask.data, b * N, N, out, b * N * N);
    for (let i = 0; i < N; i++) {
      const j = ji ? ji[b * N + i]! : i;
      if (j >= 0) slotOfJoint[j] = -1;
    }
  }
  return { data: out, shape: [B, N, N] };
}

export interface KnnAdjacencyOptions {
  /** Neighbours per point before symmetrisation (default DEFAULT_KNN_K). */
  readonly k?: number;
  /** Preallocated output, B·N·N values. */
  readonly out?: Float32Array;
}

/**
 * k-nearest-neighbour graph [B, N, N] of the present 2D points (points [B, N, 2], mask [B, N]):
 * each present point links to its k nearest present points (Euclidean, ties to the lower slot), then
 * A = A ∨ Aᵀ, plus the diagonal. With ≤ k + 1 present points every present pair is linked. Invariant to
 * a similarity transform of the points, so raw and normalised coordinates give the same graph.
 */
export function knnAdjacency(
  points: NdArray<NumArray>,
  mask: NdArray<NumArray>,
  options: KnnAdjacencyOptions = {},
): NdArray<Float32Array> {
  const { B, N } = checkShapes({
    points: [points.shape, ['B', 'N', 2]],
    mask: [mask.shape, ['B', 'N']],
  }) as { B: number; N: number };
  const k = options.k ?? DEFAULT_KNN_K;
  if (!Number.isInteger(k) || k < 1) throw new InputError(`knnAdjacency: k must be an integer ≥ 1, got ${k}`);
  const out = options.out ?? new Float32Array(B * N * N);
  if (out.length !== B * N * N) {
    throw new ShapeError(`knnAdjacency: out has ${out.length} values, need B·N·N = ${B * N * N}`);
  }
  const scratch = createKnnScratch(N, k);
  for (let b = 0; b < B; b++) writeKnnAdjacency(points.data, mask.data, b * N, N, k, out, b * N * N, scratch);
  return { data: out, shape: [B, N, N] };
}

// ---------------------------------------------------------------------------------------------
// Kernels (one sample, offsets into batch arrays, no allocation): used by the public functions above
// and by the training batcher, so both paths build the graph with the same code.

/** Bones as a flat Int32Array [i0, j0, i1, j1, …]; validates indices against J. */
export function flattenBones(bones: readonly Edge[], J: number): Int32Array {
  const flat = new Int32Array(2 * bones.length);
  bones.forEach((e, k) => {
    const [i, j] = e;
    if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || j < 0 || i >= J || j >= J) {
      throw new InputError(`bone #${k} ${JSON.stringify(e)} is not a pair of joint indices in [0, ${J})`);
    }
    flat[2 * k] = i;
    flat[2 * k + 1] = j;
  });
  return flat;
}

function maxBoneIndex(bones: readonly Edge[]): number {
  let m = -1;
  for (const [i, j] of bones) m = Math.max(m, i, j);
  return m;
}

/** Zeroes the N×N block out[o, o + N·N) but for its diagonal: the self loops every graph has. */
function selfLoops(out: Float32Array, o: number, N: number): void {
  out.fill(0, o, o + N * N);
  for (let i = 0; i < N; i++) out[o + i * (N + 1)] = 1;
}

/**
 * One sample's bone adjacency into out[o, o + N·N): the self loops (`selfLoops`), then each
 * bone whose two joints sit in present slots. slotOfJoint[j] = slot of joint j, or −1 when absent.
 */
export function writeBoneAdjacency(
  bones: Int32Array,
  slotOfJoint: Int32Array,
  mask: ArrayLike<number>,
  maskOffset: number,
  N: number,
  out: Float32Array,
  o: number,
): void {
  selfLoops(out, o, N);
  for (let e = 0; e < bones.length; e += 2) {
    const a = slotOfJoint[bones[e]!]!;
    const c = slotOfJoint[bones[e + 1]!]!;
    if (a < 0 || c < 0 || mask[maskOffset + a] !== 1 || mask[maskOffset + c] !== 1) continue;
    out[o + a * N + c] = 1;
    out[o + c * N + a] = 1;
  }
}

export interface KnnScratch {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly slot: Int32Array;
  readonly bestD: Float64Array;
  readonly bestJ: Int32Array;
}

export function createKnnScratch(N: number, k: number): KnnScratch {
  return {
    xs: new Float64Array(N),
    ys: new Float64Array(N),
    slot: new Int32Array(N),
    bestD: new Float64Array(k),
    bestJ: new Int32Array(k),
  };
}

/**
 * One sample's kNN graph into out[o, o + N·N) from points (stride 2) and mask at slot offset `s`
 * (points at 2·s, mask at s). Neighbours are ranked by (squared distance, slot), exactly as a brute
 * force sort would; with the points sorted by x, each side of a point is scanned outward until dx²
 * alone exceeds the current k-th distance (exact pruning; ~√(k·n) candidates on spread-out points).
 */
export function writeKnnAdjacency(
  points: ArrayLike<number>,
  mask: ArrayLike<number>,
  s: number,
  N: number,
  k: number,
  out: Float32Array,
  o: number,
  scratch: KnnScratch,
): void {
  selfLoops(out, o, N);
  const { xs, ys, slot, bestD, bestJ } = scratch;
  // The present points, sorted by x (insertion sort: n ≤ N is small).
  let n = 0;
  for (let i = 0; i < N; i++) {
    if (mask[s + i] !== 1) continue;
    const x = points[2 * (s + i)]!;
    let p = n++;
    while (p > 0 && xs[p - 1]! > x) {
      xs[p] = xs[p - 1]!;
      ys[p] = ys[p - 1]!;
      slot[p] = slot[p - 1]!;
      p--;
    }
    xs[p] = x;
    ys[p] = points[2 * (s + i) + 1]!;
    slot[p] = i;
  }
  const kk = Math.min(k, n - 1);
  for (let a = 0; a < n; a++) {
    const xi = xs[a]!;
    const yi = ys[a]!;
    let filled = 0;
    let worst = Infinity; // the k-th best squared distance once k are found
    let worstJ = 0;
    // Left of a in x order, then right; within a side |dx| only grows, so stop at dx² > worst.
    for (let side = -1; side <= 1; side += 2) {
      for (let c = a + side; c >= 0 && c < n; c += side) {
        const dx = xs[c]! - xi;
        const dx2 = dx * dx;
        if (dx2 > worst) break;
        const dy = ys[c]! - yi;
        const d = dx2 + dy * dy;
        if (d > worst) continue;
        const j = slot[c]!;
        if (d === worst && j > worstJ) continue;
        let p = filled < kk ? filled++ : kk - 1;
        while (p > 0 && (d < bestD[p - 1]! || (d === bestD[p - 1]! && j < bestJ[p - 1]!))) {
          bestD[p] = bestD[p - 1]!;
          bestJ[p] = bestJ[p - 1]!;
          p--;
        }
        bestD[p] = d;
        bestJ[p] = j;
        if (filled === kk) {
          worst = bestD[kk - 1]!;
          worstJ = bestJ[kk - 1]!;
        }
      }
    }
    const i = slot[a]!;
    for (let q = 0; q < filled; q++) {
      const j = bestJ[q]!;
      out[o + i * N + j] = 1;
      out[o + j * N + i] = 1;
    }
  }
}
