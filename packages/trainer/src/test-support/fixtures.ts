/**
 * Test fixtures: tfjs on the cpu backend through the package's own loader, and small in-memory datasets.
 */
import { Rng, randomRotation } from '@lfm/core';
import type { TfCore } from '@lfm/core/tfjs';
import type { DatasetSequence, Edge } from '@lfm/datasets';
import { loadTfjsBackend } from '../tfjs-backend.js';
import type { TrainingDataset } from '../train.js';

let loaded: Promise<TfCore> | undefined;

/** tfjs with gradients on the cpu backend (deterministic, no wasm start-up), loaded once per test file. */
export function cpuTf(): Promise<TfCore> {
  loaded ??= loadTfjsBackend('cpu').then((r) => r.tf);
  return loaded;
}

export interface ToyDatasetOptions {
  name?: string;
  category?: string;
  J?: number;
  /** Frames per split. */
  train?: number;
  val?: number;
  test?: number;
  /** Per-frame deformation, relative to the shape's size. */
  jitter?: number;
  /** Probability that a joint is missing (NaN). */
  missing?: number;
  /** Coordinate scale (dataset units). */
  scale?: number;
  edges?: readonly Edge[];
  seed?: number;
}

/**
 * A toy category: one random base shape, every frame = the base shape (plus `jitter`) in a random
 * orientation, scale and position — so its Procrustes mean is the base shape.
 */
export function toyDataset(options: ToyDatasetOptions = {}): TrainingDataset & { base: Float64Array } {
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
    { id: 'train', start: 0, count: counts.train, split: 'train' },
    { id: 'val', start: counts.train, count: counts.val, split: 'val' },
    { id: 'test', start: counts.train + counts.val, count: counts.test, split: 'test' },
  ].filter((s) => s.count > 0) as DatasetSequence[];
  return {
    name: options.name ?? 'toy',
    category: options.category ?? 'toy-category',
    units: 'mm',
    numJoints: J,
    frames: F,
    points,
    edges: options.edges ?? Array.from({ length: J - 1 }, (_, j) => [j, j + 1] as const),
    sequences,
    base,
  };
}

/** Collects what a ProgressStream receives. */
export function captureStream(isTTY = false): {
  write(s: string): boolean;
  isTTY: boolean;
  columns: number;
  text: () => string;
} {
  const parts: string[] = [];
  return {
    isTTY,
    columns: 100,
    write(s: string) {
      parts.push(s);
      return true;
    },
    text: () => parts.join(''),
  };
}
