import { nd, Rng, randomRotation } from '@lfm/core';
import { initParameters } from '@lfm/model';
import { poseErrors } from '@lfm/procrustes';
import { describe, expect, it } from 'vitest';
import { adapt } from './adapt.js';
import type { AdaptSamples } from './adapt-data.js';
import { nrsfmTargets } from './adapt-samples.js';
import { DEFAULT_ADAPT_WEIGHTS, SINGLE_VIEW_ADAPT_MODE, SINGLE_VIEW_ADAPT_WEIGHTS } from './adapt-types.js';
import { createSyntheticDataset } from './synthetic.js';
import { tinyAdaptBase } from './test-support/fixtures.js';

// The nrsfm term's pseudo-labels: NRSfM of the rig's 2D, the mirror chosen by the base model.

/** S orthographic views (uniform random rotations) of one rigid J-point shape; truth in each camera frame. */
function rigidViews(S: number, J: number, seed: number) {
  const rng = new Rng(seed);
  const shape = Float64Array.from({ length: 3 * J }, () => rng.normal());
  const points2d = new Float64Array(S * J * 2);
  const truth = new Float64Array(S * J * 3);
  const R = new Float64Array(9);
  for (let s = 0; s < S; s++) {
    randomRotation(rng, R);
    for (let j = 0; j < J; j++) {
      for (let d = 0; d < 3; d++) {
        const v =
          R[3 * d]! * shape[3 * j]! + R[3 * d + 1]! * shape[3 * j + 1]! + R[3 * d + 2]! * shape[3 * j + 2]!;
        truth[3 * (s * J + j) + d] = v;
        if (d < 2) points2d[2 * (s * J + j) + d] = 100 * v + 320;
      }
    }
  }
  const samples: AdaptSamples = {
    rig: { id: 'toy-rigid', joints: Array.from({ length: J }, (_, j) => `p${j}`), bones: [] },
    source: 'test',
    count: S,
    numJoints: J,
    points2d,
    mask: new Uint8Array(S * J).fill(1),
    group: Int32Array.from({ length: S }, (_, s) => s),
  };
  return { samples, truth };
}

const strictNPa = (pred: ArrayLike<number>, gt: Float64Array, S: number, J: number) =>
  poseErrors(
    nd(Float64Array.from(pred), [S, J, 3]),
    nd(gt, [S, J, 3]),
    nd(new Float64Array(S * J).fill(1), [S, J]),
  ).nPaMpjpe.mean;

describe('nrsfmTargets', () => {
  it('reconstructs a rigid rig from its 2D and takes the mirror of the base model’s lifts', () => {
    const S = 30;
    const J = 8;
    const { samples, truth } = rigidViews(S, J, 4);
    const mirror = truth.map((v, i) => (i % 3 === 2 ? -v : v));
    // A base that lifts the right shape gets it; one that lifts the mirror gets the mirror.
    for (const base of [truth, mirror]) {
      const r = nrsfmTargets(samples, Float32Array.from(base), 1);
      expect(r.reprojectionRms).toBeLessThan(1e-3);
      expect(strictNPa(r.target, base, S, J)).toBeLessThan(1e-4);
      expect(strictNPa(r.target, base === truth ? mirror : truth, S, J)).toBeGreaterThan(0.1);
    }
    // A flat base is equally far from both mirrors: the targets are still one of the two, exactly.
    const flat = truth.map((v, i) => (i % 3 === 2 ? 0 : v));
    const r = nrsfmTargets(samples, Float32Array.from(flat), 1);
    expect(Math.min(strictNPa(r.target, truth, S, J), strictNPa(r.target, mirror, S, J))).toBeLessThan(1e-4);
    expect(r.orders).toBe(1);
  });

  it('reconstructs each joint order apart when the order differs between samples (boneSets)', () => {
    const S = 40;
    const J = 8;
    const { samples, truth } = rigidViews(S, J, 6);
    // The second half lists the same points in reverse order (another sequence's marker order).
    const perm = (j: number) => J - 1 - j;
    const points2d = samples.points2d.slice();
    const gt = truth.slice();
    for (let s = S / 2; s < S; s++) {
      for (let j = 0; j < J; j++) {
        for (let d = 0; d < 2; d++)
          points2d[2 * (s * J + j) + d] = samples.points2d[2 * (s * J + perm(j)) + d]!;
        for (let d = 0; d < 3; d++) gt[3 * (s * J + j) + d] = truth[3 * (s * J + perm(j)) + d]!;
      }
    }
    const mixed: AdaptSamples = {
      ...samples,
      points2d,
      boneSet: Int32Array.from({ length: S }, (_, s) => (s < S / 2 ? 0 : 1)),
      boneSets: [[[0, 1]], [[J - 1, J - 2]]],
    };
    const apart = nrsfmTargets(mixed, Float32Array.from(gt), 1);
    expect(apart.orders).toBe(2);
    expect(apart.reprojectionRms).toBeLessThan(1e-3);
    expect(strictNPa(apart.target, gt, S, J)).toBeLessThan(1e-4);
    // Taken as one order, one rigid shape cannot explain both halves.
    const together = nrsfmTargets(
      { ...mixed, boneSet: undefined, boneSets: undefined },
      Float32Array.from(gt),
      1,
    );
    expect(together.orders).toBe(1);
    expect(together.reprojectionRms).toBeGreaterThan(100 * apart.reprojectionRms);
  });

  it('adapt with the nrsfm term: the term is in the objective and its value falls', async () => {
    const { config } = tinyAdaptBase();
    const ds = createSyntheticDataset({ name: 'toy-nrsfm', J: 7, jitter: 0.1, train: 40, val: 0, test: 2 });
    const r = await adapt({
      base: { config, params: initParameters(config) },
      datasets: [ds],
      weights: { nrsfm: 1, lowRank: 0, base: 0 },
      mode: 'last-layers',
      layerLr: 1e-2,
      steps: 40,
      batchSize: 40,
      lr: 0.05,
      progress: 'none',
      threads: 1,
      logInterval: 10,
    });
    expect(r.initial.nrsfm).not.toBeNull();
    expect(r.final.nrsfm!).toBeLessThan(r.initial.nrsfm!);
    expect(r.weights.nrsfm).toBe(1);
    await expect(
      adapt({
        base: { config, params: initParameters(config) },
        datasets: [ds],
        nrsfmRank: 0,
        progress: 'none',
      }),
    ).rejects.toThrow(/nrsfmRank must be an integer ≥ 1, got 0/);
  });

  it('single-view data gets the single-view defaults, multi-view data the others; given weights and mode win', async () => {
    const base = tinyAdaptBase();
    const { samples } = rigidViews(12, 6, 2);
    const paired: AdaptSamples = { ...samples, group: Int32Array.from({ length: 12 }, (_, s) => s >> 1) };
    const run = (s: AdaptSamples, weights = {}, mode?: 'codes' | 'last-layers') =>
      adapt({
        base,
        samples: [s],
        steps: 1,
        batchSize: 4,
        weights,
        progress: 'none',
        threads: 1,
        ...(mode && { mode }),
      });
    const single = await run(samples);
    expect(single.weights).toEqual(SINGLE_VIEW_ADAPT_WEIGHTS);
    expect(single.mode).toBe(SINGLE_VIEW_ADAPT_MODE);
    expect(SINGLE_VIEW_ADAPT_MODE).toBe('last-layers');
    // The last layers changed (the base's decoder weights are not the adapted model's).
    expect(single.params['decoder.fc2.w']).not.toEqual(base.params['decoder.fc2.w']);
    const multi = await run(paired);
    expect(multi.weights).toEqual(DEFAULT_ADAPT_WEIGHTS);
    expect(multi.mode).toBe('codes');
    expect(multi.params['decoder.fc2.w']).toEqual(base.params['decoder.fc2.w']);
    expect((await run(samples, {}, 'codes')).mode).toBe('codes');
    expect((await run(samples, { nrsfm: 0, base: 0.3 })).weights).toEqual({
      ...SINGLE_VIEW_ADAPT_WEIGHTS,
      nrsfm: 0,
      base: 0.3,
    });
  });
});
