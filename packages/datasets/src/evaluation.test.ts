import { InputError, Rng, randomRotation } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import {
  createRealEvalSet,
  createSyntheticEvalSet,
  evalDatasetKey,
  evalSampleIndices,
  SYNTHETIC_EVAL,
  syntheticEvalSample,
} from './evaluation.js';
import { fakeDataset } from './test-support/datasets.js';

const ds = {
  ...fakeDataset({ name: 'evalset', J: 15, F: 50, missing: 0.1, seed: 5 }),
  sequences: [
    { id: 'tr', start: 0, count: 30, split: 'train' as const },
    { id: 'te', start: 30, count: 20, split: 'test' as const },
  ],
};

/**
 * The protocol written out independently, plain arrays: centre and RMS radius of the valid joints,
 * R from Rng([seed, d, i]), camera 6 r away on the optical axis, u = 1000 x / z.
 */
function reference(frame: number, i: number, seed: number, d: number) {
  const J = ds.numJoints;
  const pts: (number[] | null)[] = [];
  for (let j = 0; j < J; j++) {
    const p = [0, 1, 2].map((c) => ds.points[3 * (frame * J + j) + c]!);
    pts.push(Number.isNaN(p[0]) ? null : p);
  }
  const valid = pts.filter((p): p is number[] => p !== null);
  const c = [0, 1, 2].map((k) => valid.reduce((a, p) => a + p[k]!, 0) / valid.length);
  const r = Math.sqrt(
    valid.reduce((a, p) => a + (p[0]! - c[0]!) ** 2 + (p[1]! - c[1]!) ** 2 + (p[2]! - c[2]!) ** 2, 0) /
      valid.length,
  );
  const R = Array.from(randomRotation(new Rng([seed, d, i])));
  return pts.map((p) => {
    if (!p) return null;
    const q = [0, 1, 2].map((k) => p[k]! - c[k]!);
    const x = R[0]! * q[0]! + R[1]! * q[1]! + R[2]! * q[2]!;
    const y = R[3]! * q[0]! + R[4]! * q[1]! + R[5]! * q[2]!;
    const z = R[6]! * q[0]! + R[7]! * q[1]! + R[8]! * q[2]! + 6 * r;
    return { uv: [(1000 * x) / z, (1000 * y) / z], cam: [x, y, z], r };
  });
}

describe('synthetic evaluation protocol', () => {
  it('matches an independent computation of the protocol', () => {
    const set = createSyntheticEvalSet(ds, { seed: 3 });
    expect(set.count).toBe(20);
    expect(Array.from(set.frame)).toEqual(Array.from({ length: 20 }, (_, i) => 30 + i));
    expect(set.datasetKey).toBe(evalDatasetKey('evalset'));
    expect(set.intrinsics).toEqual({ fx: 1000, fy: 1000, cx: 0, cy: 0 });
    const J = ds.numJoints;
    let masked = 0;
    for (let s = 0; s < set.count; s++) {
      const ref = reference(set.frame[s]!, s, 3, set.datasetKey);
      ref.forEach((want, j) => {
        const k = s * J + j;
        if (!want) {
          masked++;
          expect(set.mask[k]).toBe(0);
          expect([set.points2d[2 * k], set.points2d[2 * k + 1]]).toEqual([0, 0]);
          return;
        }
        expect(set.mask[k]).toBe(1);
        expect(set.points2d[2 * k]).toBeCloseTo(want.uv[0]!, 8);
        expect(set.points2d[2 * k + 1]).toBeCloseTo(want.uv[1]!, 8);
        for (let c = 0; c < 3; c++) expect(set.pointsCam[3 * k + c]).toBeCloseTo(want.cam[c]!, 8);
        expect(set.radius[s]).toBeCloseTo(want.r, 10);
        for (let c = 0; c < 3; c++)
          expect(set.points3d[3 * k + c]).toBe(ds.points[3 * (set.frame[s]! * J + j) + c]);
      });
    }
    expect(masked).toBeGreaterThan(0); // the NaN joints were exercised
  });

  it('is reproducible; a sample does not depend on limit or on other datasets; seed changes it', () => {
    const a = createSyntheticEvalSet(ds, { seed: 9 });
    const b = createSyntheticEvalSet(ds, { seed: 9 });
    expect(Array.from(b.points2d)).toEqual(Array.from(a.points2d));
    const one = syntheticEvalSample(ds, 7, { seed: 9 });
    const J = ds.numJoints;
    expect(Array.from(one.points2d)).toEqual(Array.from(a.points2d.subarray(7 * 2 * J, 8 * 2 * J)));
    expect(one.frame).toBe(37);
    const limited = createSyntheticEvalSet(ds, { seed: 9, limit: 6 });
    expect(Array.from(limited.index)).toEqual([0, 3, 6, 10, 13, 16]);
    for (let s = 0; s < 6; s++) {
      const i = limited.index[s]!;
      expect(Array.from(limited.points2d.subarray(s * 2 * J, (s + 1) * 2 * J))).toEqual(
        Array.from(a.points2d.subarray(i * 2 * J, (i + 1) * 2 * J)),
      );
    }
    const c = createSyntheticEvalSet(ds, { seed: 10 });
    expect(Array.from(c.points2d)).not.toEqual(Array.from(a.points2d));
    const renamed = createSyntheticEvalSet({ ...ds, name: 'other' }, { seed: 9 });
    expect(Array.from(renamed.points2d)).not.toEqual(Array.from(a.points2d));
    const keyed = createSyntheticEvalSet({ ...ds, name: 'other' }, { seed: 9, datasetKey: a.datasetKey });
    expect(Array.from(keyed.points2d)).toEqual(Array.from(a.points2d));
  });

  it('the shape spans a realistic image: about 2·1000/6 ≈ 333 px across', () => {
    const set = createSyntheticEvalSet(ds);
    const xs = Array.from({ length: ds.numJoints }, (_, j) => j)
      .filter((j) => set.mask[j] === 1)
      .map((j) => set.points2d[2 * j]!);
    const spread = Math.max(...xs) - Math.min(...xs);
    expect(spread).toBeGreaterThan(100);
    expect(spread).toBeLessThan(1200);
    expect(SYNTHETIC_EVAL.distanceRadii).toBe(6);
  });

  it('evalSampleIndices spreads a limit evenly; errors on a bad limit or sample index', () => {
    expect(Array.from(evalSampleIndices(10, 4))).toEqual([0, 2, 5, 7]);
    expect(Array.from(evalSampleIndices(3, 10))).toEqual([0, 1, 2]);
    expect(() => evalSampleIndices(3, 0)).toThrow(InputError);
    expect(() => syntheticEvalSample(ds, 20)).toThrow(InputError);
  });
});

describe('real evaluation protocol', () => {
  it('takes every camera’s 2D of every evaluated frame, masks unobserved joints, keeps world 3D', () => {
    const V = 2;
    const { frames: F, numJoints: J } = ds;
    const data = new Float32Array(V * F * J * 2).map((_, i) => i);
    data.fill(Number.NaN, 2 * ((1 * F + 31) * J + 4), 2 * ((1 * F + 31) * J + 4) + 2); // view 1, frame 31, joint 4
    const withViews = { ...ds, views: { count: V, kind: 'test', cameraIds: ['a', 'b'], data } };
    const set = createRealEvalSet(withViews);
    expect(set.count).toBe(2 * 20);
    expect(set.camera).toBeNull();
    expect(Array.from(set.view.subarray(18, 22))).toEqual([0, 0, 1, 1]);
    const s = 21; // view 1, frame 31
    expect([set.view[s], set.frame[s]]).toEqual([1, 31]);
    for (let j = 0; j < J; j++) {
      const valid3d = !Number.isNaN(ds.points[3 * (31 * J + j)]);
      expect(set.mask[s * J + j], `joint ${j}`).toBe(valid3d && j !== 4 ? 1 : 0);
      if (set.mask[s * J + j]) {
        expect(set.points2d[2 * (s * J + j)]).toBe(2 * ((1 * F + 31) * J + j));
        expect(set.points3d[3 * (s * J + j)]).toBe(ds.points[3 * (31 * J + j)]);
      }
    }
    expect(createRealEvalSet(withViews, { limit: 5 }).count).toBe(10);
    expect(() => createRealEvalSet(ds)).toThrow(/no real camera views/);
  });
});
