import { Rng, randomRotation } from '@lfm/core';
import type { DatasetSequence, Edge } from '@lfm/datasets';
import type { TrainingDataset } from './train.js';

/**
 * Built-in synthetic data, made by the project (no licence strings attached): for benchmarks and
 * smoke runs on a machine without `../shared/data`, and for tests.
 */

export interface SyntheticDatasetOptions {
  readonly name?: string;
  readonly category?: string;
  /** J (default 8). */
  readonly J?: number;
  /** Frames per split (defaults 12 / 4 / 6). */
  readonly train?: number;
  readonly val?: number;
  readonly test?: number;
  /** Per-frame, per-joint deformation relative to the shape's size (default 0: rigid). */
  readonly jitter?: number;
  /** Probability that a joint is missing (NaN); every frame keeps at least 4 joints. */
  readonly missing?: number;
  /** Coordinate scale, dataset units (default 50). */
  readonly scale?: number;
  /** Bones (default: the chain 0–1–…–(J−1)); `[]` for a rig without bones (kNN graph). */
  readonly edges?: readonly Edge[];
  readonly seed?: number;
}

/**
 * One synthetic category: a random base shape (J standard-normal points, seeded), every frame = the
 * base shape plus `jitter` noise, in a random orientation, scale (×0.8–1.25) and position — so its
 * Procrustes mean is the base shape. Splits are three sequences, train/val/test.
 */
export function createSyntheticDataset(
  options: SyntheticDatasetOptions = {},
): TrainingDataset & { readonly base: Float64Array } {
  const J = options.J ?? 8;
  const counts = { train: options.train ?? 12, val: options.val ?? 4, test: options.test ?? 6 };
  const F = counts.train + counts.val + counts.test;
  const scale = options.scale ?? 50;
  const rng = new Rng([options.seed ?? 1, J, F]);
  const base = Float64Array.from({ length: J * 3 }, () => rng.normal());
  const points = new Float32Array(F * J * 3);
  const R = new Float64Array(9);
  for (let f = 0; f < F; f++) {
    randomRotation(rng, R);
    const s = scale * rng.range(0.8, 1.25);
    const t = [rng.normal() * scale, rng.normal() * scale, rng.normal() * scale];
    let kept = 0;
    for (let j = 0; j < J; j++) {
      const missing = options.missing !== undefined && kept >= 4 && rng.uniform() < options.missing;
      const p = [0, 1, 2].map((c) => base[3 * j + c]! + (options.jitter ?? 0) * rng.normal());
      for (let c = 0; c < 3; c++) {
        points[3 * (f * J + j) + c] = missing
          ? Number.NaN
          : s * (R[3 * c]! * p[0]! + R[3 * c + 1]! * p[1]! + R[3 * c + 2]! * p[2]!) + t[c]!;
      }
      if (!missing) kept++;
    }
  }
  const sequences: DatasetSequence[] = [
    { id: 'train', start: 0, count: counts.train, split: 'train' as const },
    { id: 'val', start: counts.train, count: counts.val, split: 'val' as const },
    { id: 'test', start: counts.train + counts.val, count: counts.test, split: 'test' as const },
  ].filter((s) => s.count > 0);
  return {
    name: options.name ?? 'synthetic',
    category: options.category ?? 'synthetic',
    units: 'mm',
    numJoints: J,
    frames: F,
    points,
    edges: options.edges ?? Array.from({ length: J - 1 }, (_, j) => [j, j + 1] as const),
    sequences,
    base,
  };
}

/**
 * A small multi-category corpus for benchmarks on a fresh machine: three categories of J = 17
 * (chain bones), 31 (no bones: kNN graphs) and 48 joints, mildly non-rigid (jitter 0.1), 10% missing
 * joints, 512 training frames each.
 */
export function createSyntheticCorpus(seed = 0): TrainingDataset[] {
  return [
    { name: 'synthetic-17', J: 17 },
    { name: 'synthetic-31', J: 31, edges: [] as Edge[] },
    { name: 'synthetic-48', J: 48 },
  ].map((d, k) =>
    createSyntheticDataset({
      ...d,
      category: d.name,
      train: 512,
      val: 32,
      test: 32,
      jitter: 0.1,
      missing: 0.1,
      seed: seed * 10 + k + 1,
    }),
  );
}
