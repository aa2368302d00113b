import { Rng, randomRotation } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { evaluate, type PredictFn } from './evaluate.js';
import { inferredPairs2d, inferredPairs3d, MIN_SYMMETRY_COVERAGE } from './inferred-pairs.js';
import { captureStream, TINY_LIFTER, toyDataset } from './test-support/fixtures.js';
import { train } from './train.js';

/**
 * A toy dataset of one bilaterally symmetric rigid shape (5 left/right pairs, 2 points on the
 * plane, joints interleaved so that the pairs are not neighbours) in random poses with a little
 * noise, declaring no pairs; `asymmetric` = random points instead.
 */
function shapeDataset(asymmetric = false) {
  const rng = new Rng(21);
  const J = 12;
  const raw: number[][] = [];
  for (let p = 0; p < 5; p++) {
    const v = [0.3 + rng.uniform(), rng.normal(), rng.normal()];
    raw.push(v, [-v[0]!, v[1]!, v[2]!]);
  }
  raw.push([0, rng.normal(), rng.normal()], [0, rng.normal(), rng.normal()]);
  const order = [0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]; // joint k is raw point order[k]
  const shape = order.map((i) => (asymmetric ? [rng.normal(), rng.normal(), rng.normal()] : raw[i]!));
  const truth = [0, 1, 2, 3, 4].map((p): [number, number] => [p, p + 6]);
  const ds = toyDataset({ name: 'toy-sym', J, train: 40, val: 5, test: 40, seed: 9 });
  const R = new Float64Array(9);
  const F = ds.frames;
  for (let f = 0; f < F; f++) {
    randomRotation(rng, R);
    for (let j = 0; j < J; j++) {
      const v = shape[j]!;
      for (let c = 0; c < 3; c++) {
        ds.points[3 * (f * J + j) + c] =
          40 * (R[3 * c]! * v[0]! + R[3 * c + 1]! * v[1]! + R[3 * c + 2]! * v[2]!) + 0.2 * rng.normal();
      }
    }
  }
  return { ds: { ...ds, symmetry: [] as [number, number][] }, truth, J };
}

describe('mirror pairs found from the data', () => {
  it('from 3D: the pairs of a symmetric rig that declares none; none for an asymmetric one', () => {
    const { ds, truth } = shapeDataset();
    expect(inferredPairs3d(ds)).toEqual(truth);
    // Declared pairs win; a rig whose joint order differs between sequences gets none.
    expect(inferredPairs3d({ ...ds, symmetry: [[0, 1]] })).toEqual([[0, 1]]);
    expect(inferredPairs3d({ ...ds, perSequenceEdges: true })).toEqual([]);
    expect(inferredPairs3d(shapeDataset(true).ds)).toEqual([]);
    expect(MIN_SYMMETRY_COVERAGE).toBeGreaterThan(0.3);
  });

  it("from 2D: evaluate's pairs 'infer' feeds the pairs of the evaluated 2D and counts them", async () => {
    const { ds, truth, J } = shapeDataset();
    const fed: Float32Array[] = [];
    const predict: PredictFn = async (b) => {
      if (b.pairs) fed.push(b.pairs.slice(0, J * J));
      return new Float32Array(b.batchSize * J * 3);
    };
    const plain = await evaluate({ predict, datasets: [ds], split: 'test' });
    expect(plain.datasets[0]!.inferredPairs).toBeUndefined();
    expect(fed.every((p) => p.every((v) => v === 0))).toBe(true);
    fed.length = 0;
    const r = await evaluate({ predict, datasets: [ds], split: 'test', pairs: 'infer' });
    expect(r.datasets[0]!.inferredPairs).toBe(truth.length);
    const m = fed[0]!;
    for (const [a, b] of truth) {
      expect(m[a * J + b]).toBe(1);
      expect(m[b * J + a]).toBe(1);
    }
    expect(m.reduce((s, v) => s + v, 0)).toBe(2 * truth.length);
    await expect(
      evaluate({ predict, datasets: [ds], pairs: 'infer', perturb: { occlude: 0.1 } }),
    ).rejects.toThrow(/cannot be combined with perturb/);
  });

  it('from 2D: none for too few views or points', () => {
    expect(inferredPairs2d(new Float64Array(2 * 5), new Uint8Array(5).fill(1), 1, 5)).toEqual([]);
    expect(inferredPairs2d(new Float64Array(2 * 2 * 3), new Uint8Array(6).fill(1), 2, 3)).toEqual([]);
  });

  it('training with inferPairs: a rig without pairs gets its 3D symmetry, one with pairs keeps its own', async () => {
    const { ds } = shapeDataset();
    const declared = {
      ...toyDataset({ name: 'toy-declared', J: 6, train: 8, val: 2, test: 2, seed: 2 }),
      symmetry: [[0, 1]] as [number, number][],
    };
    const base = {
      model: { ...TINY_LIFTER, mirrorPairs: true },
      steps: 1,
      batchSize: 4,
      valInterval: 0,
      threads: 1,
    };
    const log = captureStream();
    await train({ datasets: [ds, declared], config: { ...base, inferPairs: true }, output: log });
    expect(log.text()).toMatch(/mirror pairs found from the 3D \(inferPairs\): toy-sym 5\n/);
    expect(log.text()).not.toMatch(/toy-declared/);
    const quiet = captureStream();
    await train({ datasets: [ds, declared], config: base, output: quiet });
    expect(quiet.text()).not.toMatch(/mirror pairs found/);
  });
});
