import { InputError, LfmError, nd } from '@lfm/core';
import { type Dataset, type Split, splitFrames } from '@lfm/datasets';
import { alignSimilarity, applySimilarity } from '@lfm/procrustes';
import type { PredictFn } from './evaluate.js';

/**
 * The mean-shape baseline: the generalised Procrustes analysis (GPA) mean of a rig's training frames.
 * Its prediction is that shape whatever the input — the floor a lifter must beat.
 */

/** A rig's Procrustes mean shape: centred, unit RMS radius over its known joints. */
export interface MeanShape {
  /** The dataset (rig) it was fitted on; `meanShapePredictor` routes by this name. */
  readonly name: string;
  readonly numJoints: number;
  /** [J, 3]; 0 for a joint never seen. */
  readonly shape: Float64Array;
  /** [J]: 1 = seen in at least one frame. */
  readonly known: Uint8Array;
  /** Frames used and GPA iterations run. */
  readonly frames: number;
  readonly iterations: number;
  /** RMS change of the mean in the last iteration. */
  readonly change: number;
}

export interface MeanShapeOptions {
  /** Frames of these splits (default 'train'). */
  readonly split?: Split | readonly Split[];
  /** Explicit frame indices (override `split`). */
  readonly frames?: ArrayLike<number>;
  /** At most this many frames, evenly spaced (default 10,000). */
  readonly maxFrames?: number;
  /** Default 100. */
  readonly maxIterations?: number;
  /** Stop when the RMS change of the (unit-radius) mean falls below this (default 1e-10). */
  readonly tolerance?: number;
}

export type MeanShapeDataset = Pick<Dataset, 'name' | 'numJoints' | 'frames' | 'points' | 'sequences'>;

/**
 * GPA over a dataset's frames: start from the frame with the most valid joints; then repeat
 * { align every frame to the mean by similarity Procrustes (rotation det +1, scale, translation) over
 * the joints valid in both; mean ← per-joint average of the aligned frames; re-centre and rescale the
 * mean to unit RMS radius (fixing GPA's scale gauge) } until the mean moves less than `tolerance`.
 * Missing (NaN) joints are ignored; frames with < 3 valid joints are skipped. InputError when no frame
 * has 3 valid joints.
 */
export function fitMeanShape(dataset: MeanShapeDataset, options: MeanShapeOptions = {}): MeanShape {
  const J = dataset.numJoints;
  const maxFrames = options.maxFrames ?? 10_000;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-10;
  let candidates = options.frames
    ? Int32Array.from(options.frames)
    : splitFrames(dataset, options.split ?? 'train');
  if (candidates.length === 0) {
    throw new InputError(
      `${dataset.name}: no frames in split ${JSON.stringify(options.split ?? 'train')}, so there is no mean shape`,
    );
  }
  const P = dataset.points;
  const valid = (f: number, j: number) => !Number.isNaN(P[3 * (f * J + j)]);
  candidates = candidates.filter((f) => {
    let n = 0;
    for (let j = 0; j < J && n < 3; j++) if (valid(f, j)) n++;
    return n >= 3;
  });
  if (candidates.length === 0) {
    throw new InputError(
      `${dataset.name}: no frame of the split has 3 valid joints, so there is no mean shape`,
    );
  }
  const F = Math.min(candidates.length, maxFrames);
  const frames = Int32Array.from(
    { length: F },
    (_, k) => candidates[Math.floor((k * candidates.length) / F)]!,
  );

  // Frames [F, J, 3] (Float64, NaN → 0) and validity [F, J].
  const X = new Float64Array(F * J * 3);
  const W = new Float64Array(F * J);
  let best = 0;
  let bestCount = -1;
  for (let k = 0; k < F; k++) {
    let count = 0;
    for (let j = 0; j < J; j++) {
      if (!valid(frames[k]!, j)) continue;
      W[k * J + j] = 1;
      for (let c = 0; c < 3; c++) X[3 * (k * J + j) + c] = P[3 * (frames[k]! * J + j) + c]!;
      count++;
    }
    if (count > bestCount) {
      best = k;
      bestCount = count;
    }
  }
  let mean = new Float64Array(J * 3);
  const known = new Uint8Array(J);
  for (let j = 0; j < J; j++) {
    if (W[best * J + j] !== 1) continue;
    known[j] = 1;
    for (let c = 0; c < 3; c++) mean[3 * j + c] = X[3 * (best * J + j) + c]!;
  }
  normalizeShape(mean, known);

  const target = new Float64Array(F * J * 3);
  const weights = new Float64Array(F * J);
  let iterations = 0;
  let change = Infinity;
  while (iterations < maxIterations && change > tolerance) {
    iterations++;
    for (let k = 0; k < F; k++) {
      target.set(mean, k * J * 3);
      for (let j = 0; j < J; j++) weights[k * J + j] = W[k * J + j]! * known[j]!;
    }
    const aligned = alignEach(X, target, weights, F, J);
    const sum = new Float64Array(J * 3);
    const count = new Float64Array(J);
    for (let k = 0; k < F; k++) {
      if (!aligned.ok[k]) continue;
      for (let j = 0; j < J; j++) {
        if (W[k * J + j] !== 1) continue;
        count[j]!++;
        for (let c = 0; c < 3; c++) sum[3 * j + c]! += aligned.points[3 * (k * J + j) + c]!;
      }
    }
    const next = new Float64Array(J * 3);
    for (let j = 0; j < J; j++) {
      if (count[j] === 0) continue;
      known[j] = 1;
      for (let c = 0; c < 3; c++) next[3 * j + c] = sum[3 * j + c]! / count[j]!;
    }
    normalizeShape(next, known);
    // The mean's own orientation is a gauge freedom: measure the change after aligning it to the old one.
    change = rmsAfterAlignment(next, mean, known, J);
    mean = next;
  }
  return { name: dataset.name, numJoints: J, shape: mean, known, frames: F, iterations, change };
}

/** Aligns every frame to its target over `weights`; frames whose alignment is degenerate are marked not ok. */
function alignEach(
  X: Float64Array,
  target: Float64Array,
  weights: Float64Array,
  F: number,
  J: number,
): { points: Float64Array; ok: Uint8Array } {
  const ok = new Uint8Array(F).fill(1);
  try {
    const a = alignSimilarity(nd(X, [F, J, 3]), nd(target, [F, J, 3]), { weights: nd(weights, [F, J]) });
    return { points: applySimilarity(a, nd(X, [F, J, 3])).data, ok };
  } catch {
    // Some frame is degenerate against the mean (< 3 shared joints, collinear): align one by one.
  }
  const points = new Float64Array(F * J * 3);
  for (let k = 0; k < F; k++) {
    const x = nd(X.subarray(k * J * 3, (k + 1) * J * 3), [1, J, 3]);
    try {
      const a = alignSimilarity(x, nd(target.subarray(k * J * 3, (k + 1) * J * 3), [1, J, 3]), {
        weights: nd(weights.subarray(k * J, (k + 1) * J), [1, J]),
      });
      points.set(applySimilarity(a, x).data, k * J * 3);
    } catch {
      ok[k] = 0;
    }
  }
  return { points, ok };
}

/** Centres the known joints on their mean and scales them to unit RMS radius (in place). */
function normalizeShape(shape: Float64Array, known: Uint8Array): void {
  const J = known.length;
  const m = [0, 0, 0];
  let n = 0;
  for (let j = 0; j < J; j++) {
    if (!known[j]) continue;
    for (let c = 0; c < 3; c++) m[c]! += shape[3 * j + c]!;
    n++;
  }
  let ss = 0;
  for (let j = 0; j < J; j++) {
    if (!known[j]) continue;
    for (let c = 0; c < 3; c++) {
      shape[3 * j + c] = shape[3 * j + c]! - m[c]! / n;
      ss += shape[3 * j + c]! ** 2;
    }
  }
  const r = Math.sqrt(ss / n);
  if (!(r > 0)) throw new LfmError('E_DEGENERATE', 'the mean shape collapsed to a point');
  for (let j = 0; j < J; j++)
    for (let c = 0; c < 3; c++) shape[3 * j + c] = known[j] ? shape[3 * j + c]! / r : 0;
}

function rmsAfterAlignment(a: Float64Array, b: Float64Array, known: Uint8Array, J: number): number {
  try {
    const r = alignSimilarity(nd(a, [1, J, 3]), nd(b, [1, J, 3]), { weights: nd(known, [1, J]) });
    return r.rmsd.data[0]!;
  } catch {
    return Infinity;
  }
}

/**
 * The mean-shape baseline as a `PredictFn`: for a batch of dataset `name`, the mean shape fitted on
 * `name` (zero at masked joints), whatever the 2D. LfmError for a dataset without a mean shape.
 */
export function meanShapePredictor(shapes: MeanShape | readonly MeanShape[]): PredictFn {
  const byName = new Map((Array.isArray(shapes) ? shapes : [shapes as MeanShape]).map((s) => [s.name, s]));
  return (batch) => {
    const s = byName.get(batch.dataset.name);
    if (!s) {
      throw new LfmError(
        'E_NO_MODEL',
        `no mean shape for dataset '${batch.dataset.name}' (fitted: ${[...byName.keys()].join(', ')})`,
      );
    }
    const { batchSize: B, numPoints: N } = batch;
    if (N !== s.numJoints) {
      throw new LfmError(
        'E_NO_MODEL',
        `mean shape of '${s.name}' has ${s.numJoints} joints, the batch has N = ${N}`,
      );
    }
    const out = new Float32Array(B * N * 3);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < N; j++) {
        if (batch.mask[b * N + j] !== 1) continue;
        for (let c = 0; c < 3; c++) out[3 * (b * N + j) + c] = s.shape[3 * j + c]!;
      }
    }
    return out;
  };
}
