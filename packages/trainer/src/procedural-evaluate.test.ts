import { createProceduralDatasets, splitFrames } from '@lfm/datasets';
import { describe, expect, it } from 'vitest';
import { evaluate, type PredictFn } from './evaluate.js';
import type { TrainingDataset } from './train.js';

// The procedural species (`@lfm/datasets` createProceduralDatasets) as the trainer consumes them.
const generated = createProceduralDatasets({ seed: 5, creatures: 3, rigid: 3, framesPerSpecies: 40 });
const datasets: TrainingDataset[] = generated;

/** Predicts each sample's world-frame ground truth (a similarity of the camera-frame truth). */
const truth: PredictFn = (batch) => {
  const ds = datasets.find((d) => d.name === batch.dataset.name)!;
  const J = batch.numPoints;
  const out = new Float32Array(batch.batchSize * J * 3);
  for (let b = 0; b < batch.batchSize; b++) {
    const f = batch.frame[b]!;
    out.set(ds.points.subarray(3 * J * f, 3 * J * (f + 1)), 3 * J * b);
  }
  return out;
};

describe('procedural datasets in evaluate', () => {
  it('evaluates on the val split: every val frame a sample, the truth scores ~0, the flat guess does not', async () => {
    const report = await evaluate({ predict: truth, datasets, split: 'val', batchSize: 4 });
    expect(report.datasets).toHaveLength(datasets.length);
    report.datasets.forEach((row, i) => {
      expect(row.name).toBe(datasets[i]!.name);
      expect(row.samples).toBe(splitFrames(datasets[i]!, 'val').length);
      expect(row.nPaMpjpe).toBeLessThan(1e-4);
      expect(row.flatNPaMpjpe).toBeGreaterThan(1e-3);
    });
  });
});
