import { Rng, randomRotation } from '@lfm/core';
import type { DatasetLike } from './batcher.js';
import type { DatasetSequence } from './dataset.js';
import type { EvalDataset } from './evaluation.js';
import type { Edge } from './preprocess/graph.js';

/*
 * The one synthetic-data generator: made by the project (no licence strings attached), for tests of
 * every package, benchmarks and smoke runs on a machine without `../shared/data`.
 */

/**
 * How the frames move: 'similarity' — every frame is the base shape plus `jitter` noise, in a random
 * orientation, scale (×0.8–1.25) and position, so its Procrustes mean is the base shape; 'drift' —
 * the base shape (times `scale`) in the dataset's own axes plus `jitter`·scale noise, shifted by
 * 0.01·scale·f along (1, 1, 1) at frame f (world-frame frames, for tests of what a pipeline does to them).
 */
export type SyntheticMotion = 'similarity' | 'drift';

export interface SyntheticDatasetOptions {
  readonly name?: string;
  readonly category?: string;
  /** J (default 8). */
  readonly J?: number;
  /** Frames per split (defaults 12 / 4 / 6). */
  readonly train?: number;
  readonly val?: number;
  readonly test?: number;
  /** Default 'similarity'. */
  readonly motion?: SyntheticMotion;
  /** Per-frame, per-joint deformation relative to the shape's size (default 0: rigid). */
  readonly jitter?: number;
  /** Probability that a joint is missing (NaN); every frame keeps at least `minPresent` joints. */
  readonly missing?: number;
  /** Joints every frame keeps however `missing` draws (default 4). */
  readonly minPresent?: number;
  /** Coordinate scale, dataset units (default 50). */
  readonly scale?: number;
  /** Default 'mm'. */
  readonly units?: string;
  /** Bones (default: the chain 0–1–…–(J−1)); `[]` for a rig without bones (kNN graph). */
  readonly edges?: readonly Edge[];
  readonly seed?: number;
}

/** A synthetic dataset: what the batcher and evaluation read, plus the base shape [J, 3]. */
export type SyntheticDataset = DatasetLike & EvalDataset & { readonly base: Float64Array };

/**
 * One synthetic category: a random base shape (J standard-normal points, seeded by (seed, J, F)),
 * its frames moving by `motion`. Splits are three sequences, train / val / test (empty ones left out).
 */
export function createSyntheticDataset(options: SyntheticDatasetOptions = {}): SyntheticDataset {
  const J = options.J ?? 8;
  const counts = { train: options.train ?? 12, val: options.val ?? 4, test: options.test ?? 6 };
  const F = counts.train + counts.val + counts.test;
  const scale = options.scale ?? 50;
  const rng = new Rng([options.seed ?? 1, J, F]);
  const base = Float64Array.from({ length: J * 3 }, () => rng.normal());
  const frame = options.motion === 'drift' ? driftFrame : similarityFrame;
  const points = new Float32Array(F * J * 3);
  const R = new Float64Array(9);
  for (let f = 0; f < F; f++) frame({ rng, base, points, J, f, scale, R, options });
  const sequences: DatasetSequence[] = [
    { id: 'train', start: 0, count: counts.train, split: 'train' as const },
    { id: 'val', start: counts.train, count: counts.val, split: 'val' as const },
    { id: 'test', start: counts.train + counts.val, count: counts.test, split: 'test' as const },
  ].filter((s) => s.count > 0);
  return {
    name: options.name ?? 'synthetic',
    category: options.category ?? 'synthetic',
    units: options.units ?? 'mm',
    numJoints: J,
    frames: F,
    points,
    edges: options.edges ?? Array.from({ length: J - 1 }, (_, j) => [j, j + 1] as const),
    sequences,
    base,
  };
}

interface FrameArgs {
  readonly rng: Rng;
  readonly base: Float64Array;
  readonly points: Float32Array;
  readonly J: number;
  readonly f: number;
  readonly scale: number;
  /** [9] scratch. */
  readonly R: Float64Array;
  readonly options: SyntheticDatasetOptions;
}

/** Whether joint j of a frame is missing, `kept` joints kept so far (draws only with `missing`). */
function isMissing(rng: Rng, options: SyntheticDatasetOptions, kept: number): boolean {
  return (
    options.missing !== undefined && kept >= (options.minPresent ?? 4) && rng.uniform() < options.missing
  );
}

function similarityFrame({ rng, base, points, J, f, scale, R, options }: FrameArgs): void {
  randomRotation(rng, R);
  const s = scale * rng.range(0.8, 1.25);
  const t = [rng.normal() * scale, rng.normal() * scale, rng.normal() * scale];
  let kept = 0;
  for (let j = 0; j < J; j++) {
    const missing = isMissing(rng, options, kept);
    const p = [0, 1, 2].map((c) => base[3 * j + c]! + (options.jitter ?? 0) * rng.normal());
    for (let c = 0; c < 3; c++) {
      points[3 * (f * J + j) + c] = missing
        ? Number.NaN
        : s * (R[3 * c]! * p[0]! + R[3 * c + 1]! * p[1]! + R[3 * c + 2]! * p[2]!) + t[c]!;
    }
    if (!missing) kept++;
  }
}

function driftFrame({ rng, base, points, J, f, scale, options }: FrameArgs): void {
  const jitter = options.jitter ?? 0;
  let kept = 0;
  for (let j = 0; j < J; j++) {
    const missing = isMissing(rng, options, kept);
    for (let c = 0; c < 3; c++) {
      points[3 * (f * J + j) + c] = missing
        ? Number.NaN
        : base[3 * j + c]! * scale + jitter * scale * rng.normal() + f * 0.01 * scale;
    }
    if (!missing) kept++;
  }
}
