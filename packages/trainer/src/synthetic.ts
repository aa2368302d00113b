import { createSyntheticDataset, type Edge } from '@lfm/datasets';
import type { TrainingDataset } from './train.js';

// The generator lives in @lfm/datasets (one for every package's tests); re-exported here, where the
// trainer's benchmarks and smoke runs have always found it.
export { createSyntheticDataset, type SyntheticDatasetOptions } from '@lfm/datasets';

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
