import { nd } from '@lfm/core';
import { paMpjpe } from '@lfm/procrustes';
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { fitMeanShape, meanShapePredictor } from './mean-shape.js';
import { toyDataset } from './test-support/fixtures.js';

describe('fitMeanShape (generalised Procrustes analysis)', () => {
  it('recovers the base shape of frames that are similarity transforms of it, with missing joints', () => {
    const ds = toyDataset({ J: 12, train: 40, missing: 0.2, seed: 11 });
    const mean = fitMeanShape(ds);
    expect(mean.frames).toBe(40);
    expect(Array.from(mean.known)).toEqual(new Array(12).fill(1));
    expect(mean.change).toBeLessThan(1e-9);
    const err = paMpjpe(nd(Float64Array.from(mean.shape), [1, 12, 3]), nd(ds.base, [1, 12, 3])).mean;
    expect(err).toBeLessThan(1e-6);
    // Normalised: centred, unit RMS radius.
    let ss = 0;
    const c = [0, 0, 0];
    for (let j = 0; j < 12; j++) for (let k = 0; k < 3; k++) c[k]! += mean.shape[3 * j + k]! / 12;
    for (let j = 0; j < 12; j++) for (let k = 0; k < 3; k++) ss += mean.shape[3 * j + k]! ** 2;
    expect(Math.hypot(...c)).toBeLessThan(1e-9);
    expect(Math.sqrt(ss / 12)).toBeCloseTo(1, 9);
  });

  it('averages the deformations of a jittered set (the mean is closer to the base than any frame)', () => {
    const ds = toyDataset({ J: 10, train: 200, jitter: 0.3, seed: 12 });
    const mean = fitMeanShape(ds);
    const err = paMpjpe(nd(Float64Array.from(mean.shape), [1, 10, 3]), nd(ds.base, [1, 10, 3])).mean;
    const frame0 = paMpjpe(nd(ds.points.subarray(0, 30), [1, 10, 3]), nd(ds.base, [1, 10, 3])).mean;
    expect(err).toBeLessThan(frame0 / 3);
  });

  it('as a predictor: scores ~0 PA-MPJPE on a rigid category, and refuses an unknown dataset', async () => {
    const ds = toyDataset({ J: 8, seed: 13 });
    const predict = meanShapePredictor(fitMeanShape(ds));
    const report = await evaluate({ predict, datasets: [ds], model: 'mean-shape' });
    expect(report.datasets[0]!.nPaMpjpe!).toBeLessThan(1e-5);
    await expect(evaluate({ predict, datasets: [toyDataset({ name: 'other', seed: 2 })] })).rejects.toThrow(
      /no mean shape for dataset 'other'/,
    );
  });
});
