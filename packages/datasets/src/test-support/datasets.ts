import { Rng } from '@lfm/core';
import type { DatasetLike } from '../batcher.js';
import type { DatasetSequence, DatasetViews } from '../dataset.js';
import type { Edge } from '../preprocess/graph.js';

export interface FakeDatasetOptions {
  name?: string;
  category?: string;
  J?: number;
  F?: number;
  /** Default: a chain 0-1-2-…-(J−1). Pass [] for none. */
  edges?: readonly Edge[];
  /** Fraction of joints set to NaN (missing), per joint independently. */
  missing?: number;
  sequences?: readonly DatasetSequence[];
  /** Coordinate scale (dataset units). */
  scale?: number;
  seed?: number;
}

export type FakeDataset = DatasetLike & { units: string; views?: DatasetViews };

/** An in-memory dataset: F frames of J random 3D points (a random base shape + per-frame jitter). */
export function fakeDataset(options: FakeDatasetOptions = {}): FakeDataset {
  const J = options.J ?? 12;
  const F = options.F ?? 40;
  const scale = options.scale ?? 100;
  const rng = new Rng([options.seed ?? 7, J, F]);
  const shape = Float64Array.from({ length: J * 3 }, () => rng.normal() * scale);
  const points = new Float32Array(F * J * 3);
  for (let f = 0; f < F; f++) {
    for (let j = 0; j < J; j++) {
      const missing = options.missing !== undefined && rng.uniform() < options.missing;
      for (let c = 0; c < 3; c++) {
        points[3 * (f * J + j) + c] = missing
          ? Number.NaN
          : shape[3 * j + c]! + 0.1 * scale * rng.normal() + f * 0.01 * scale;
      }
    }
  }
  const edges = options.edges ?? Array.from({ length: J - 1 }, (_, j) => [j, j + 1] as const);
  return {
    name: options.name ?? 'fake',
    category: options.category ?? 'fake-category',
    units: 'cm',
    numJoints: J,
    frames: F,
    points,
    edges,
    sequences: options.sequences ?? [{ id: 'all', start: 0, count: F, split: 'train' }],
  };
}

/** Copies of every array of a batch (the batcher reuses its buffers). */
export function snapshot<T extends object>(batch: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(batch)) {
    if (ArrayBuffer.isView(v)) out[k] = Array.from(v as unknown as ArrayLike<number>);
    else if (v && typeof v === 'object') out[k] = snapshot(v);
    else out[k] = v;
  }
  return out;
}
