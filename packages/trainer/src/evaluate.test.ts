import { Rng, randomRotation } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { type EvalReport, evaluate, type PredictBatch, type PredictFn } from './evaluate.js';
import { toyDataset } from './test-support/fixtures.js';

const ds = toyDataset({ name: 'toy-eval', J: 9, test: 10, missing: 0.15, jitter: 0.2, seed: 3 });
const other = toyDataset({ name: 'toy-other', category: 'other', J: 6, test: 5, seed: 4 });

/** The world-frame ground truth of each sample (+ seeded noise), optionally moved by a per-sample similarity. */
function worldPredictor(
  dataset: typeof ds,
  noise: number,
  move?: (b: number) => { R: Float64Array; s: number; t: number[] },
): PredictFn {
  return (batch: PredictBatch) => {
    const J = batch.numPoints;
    const out = new Float32Array(batch.batchSize * J * 3);
    for (let b = 0; b < batch.batchSize; b++) {
      const f = batch.frame[b]!;
      const rng = new Rng([f, 77]);
      const m = move?.(f);
      for (let j = 0; j < J; j++) {
        if (batch.mask[b * J + j] !== 1) continue;
        const p = [0, 1, 2].map((c) => dataset.points[3 * (f * J + j) + c]! + noise * rng.normal());
        for (let c = 0; c < 3; c++) {
          out[3 * (b * J + j) + c] = m
            ? m.s * (m.R[3 * c]! * p[0]! + m.R[3 * c + 1]! * p[1]! + m.R[3 * c + 2]! * p[2]!) + m.t[c]!
            : p[c]!;
        }
      }
    }
    return out;
  };
}

describe('evaluate', () => {
  it('returns the DESIGN.md report shape; the ground truth scores ~0 on every metric', async () => {
    const report = await evaluate({
      predict: worldPredictor(ds, 0),
      datasets: [ds, other].slice(0, 1),
      seed: 2,
      model: 'gt',
    });
    expect(Object.keys(report)).toEqual(['model', 'protocol', 'seed', 'datasets', 'mean']);
    expect(report).toMatchObject({ model: 'gt', protocol: 'synthetic', seed: 2 });
    const row = report.datasets[0]!;
    expect(Object.keys(row)).toEqual(['name', 'category', 'samples', 'mpjpe', 'paMpjpe', 'nPaMpjpe']);
    expect(row).toMatchObject({ name: 'toy-eval', category: 'toy-category', samples: 10 });
    expect(row.paMpjpe!).toBeLessThan(1e-3);
    expect(row.nPaMpjpe!).toBeLessThan(1e-4);
    expect(row.mpjpe!).toBeLessThan(1e-3); // PnP recovers the protocol's camera exactly
    expect(report.mean).toEqual({
      samples: 10,
      mpjpe: row.mpjpe,
      paMpjpe: row.paMpjpe,
      nPaMpjpe: row.nPaMpjpe,
    });
  });

  it('is invariant to a similarity transform of the prediction (PA exactly; mpjpe to scale/translation)', async () => {
    const base = await evaluate({ predict: worldPredictor(ds, 5), datasets: [ds], seed: 1 });
    const rng = new Rng(5);
    const moves = new Map<number, { R: Float64Array; s: number; t: number[] }>();
    const move = (f: number) => {
      if (!moves.has(f)) {
        moves.set(f, {
          R: randomRotation(rng),
          s: rng.range(0.01, 100),
          t: [rng.normal() * 1e3, rng.normal(), rng.normal()],
        });
      }
      return moves.get(f)!;
    };
    const similar = await evaluate({ predict: worldPredictor(ds, 5, move), datasets: [ds], seed: 1 });
    const a = base.datasets[0]!;
    const b = similar.datasets[0]!;
    expect(a.paMpjpe!).toBeGreaterThan(1); // noise 5 mm: a real error
    // Equal up to the float32 rounding of the moved prediction.
    expect(Math.abs(b.paMpjpe! - a.paMpjpe!) / a.paMpjpe!).toBeLessThan(1e-5);
    expect(Math.abs(b.nPaMpjpe! - a.nPaMpjpe!) / a.nPaMpjpe!).toBeLessThan(1e-5);
    const scaleOnly = (f: number) => ({ ...move(f), R: Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1) });
    const scaled = await evaluate({ predict: worldPredictor(ds, 5, scaleOnly), datasets: [ds], seed: 1 });
    expect(Math.abs(scaled.datasets[0]!.mpjpe! - a.mpjpe!) / a.mpjpe!).toBeLessThan(1e-6);
    expect(a.mpjpe!).toBeGreaterThan(a.paMpjpe! * 0.5);
  });

  it('shows a depth-flipped (mirrored) answer in mpjpe', async () => {
    const mirror = (_f: number) => ({ R: Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, -1), s: 1, t: [0, 0, 0] });
    const r = (await evaluate({ predict: worldPredictor(ds, 0, mirror), datasets: [ds] })).datasets[0]!;
    expect(r.mpjpe!).toBeGreaterThan(0.05 * 50);
  });

  it('averages datasets in `mean`, honours limit, and reports mpjpe null under the real protocol', async () => {
    const both = await evaluate({ predict: worldPredictor(ds, 3), datasets: [ds], limit: 4, batchSize: 3 });
    expect(both.datasets[0]!.samples).toBe(4);
    const views = {
      count: 1,
      kind: 'test',
      cameraIds: ['c0'],
      data: new Float32Array(other.frames * other.numJoints * 2),
    };
    for (let f = 0; f < other.frames; f++) {
      for (let j = 0; j < other.numJoints; j++) {
        const k = f * other.numJoints + j;
        views.data[2 * k] = other.points[3 * k]! + 0.1 * other.points[3 * k + 2]!;
        views.data[2 * k + 1] = other.points[3 * k + 1]!;
      }
    }
    const real: EvalReport = await evaluate({
      predict: worldPredictor(other, 0),
      datasets: [{ ...other, views }],
      protocol: 'real',
    });
    expect(real.protocol).toBe('real');
    expect(real.datasets[0]!.mpjpe).toBeNull();
    expect(real.datasets[0]!.paMpjpe!).toBeLessThan(1e-3);
    expect(real.mean.mpjpe).toBeNull();
  });

  it('rejects a prediction of the wrong size', async () => {
    await expect(evaluate({ predict: () => new Float32Array(5), datasets: [ds] })).rejects.toThrow(/B·N·3/);
  });
});
