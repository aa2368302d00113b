import type { DatasetLike } from '../batcher.js';
import type { DatasetSequence, DatasetViews } from '../dataset.js';
import type { Edge } from '../preprocess/graph.js';
import { createSyntheticDataset } from '../synthetic.js';

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

/**
 * An in-memory dataset: F frames of J random 3D points (a random base shape + per-frame jitter and
 * a slow drift: `createSyntheticDataset`'s 'drift' motion), one training sequence by default.
 */
export function fakeDataset(options: FakeDatasetOptions = {}): FakeDataset {
  const F = options.F ?? 40;
  const { base: _, ...dataset } = createSyntheticDataset({
    name: options.name ?? 'fake',
    category: options.category ?? 'fake-category',
    units: 'cm',
    J: options.J ?? 12,
    train: F,
    val: 0,
    test: 0,
    motion: 'drift',
    jitter: 0.1,
    scale: options.scale ?? 100,
    seed: options.seed ?? 7,
    ...(options.missing !== undefined && { missing: options.missing, minPresent: 0 }),
    ...(options.edges !== undefined && { edges: options.edges }),
  });
  return { ...dataset, sequences: options.sequences ?? [{ id: 'all', start: 0, count: F, split: 'train' }] };
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
