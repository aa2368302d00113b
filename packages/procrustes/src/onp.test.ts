import { DegenerateError, det3, InputError, nd, Rng, ShapeError } from '@lfm/core';
import { maxAbsDiff } from '@lfm/core/testing';
import { describe, expect, it } from 'vitest';
import { projectOrthographic, solveOnP } from './onp.js';
import { makeOnPCase, rotationAngle, sampleCost } from './testing.js';

describe('solveOnP', () => {
  it('recovers random scaled-orthographic cameras exactly (1e-9)', () => {
    const rng = new Rng(1);
    for (const N of [4, 6, 17, 133]) {
      const c = makeOnPCase(rng, { B: 32, N });
      const r = solveOnP(c.x3d, c.y2d);
      expect(r.R.shape).toEqual([32, 3, 3]);
      expect(r.t.shape).toEqual([32, 2]);
      for (let b = 0; b < 32; b++) {
        expect(det3(r.R.data, 9 * b)).toBeCloseTo(1, 12);
        expect(rotationAngle(r.R.data, c.R, 9 * b, 9 * b)).toBeLessThan(1e-9);
        expect(Math.abs(r.s.data[b]! / c.s[b]! - 1)).toBeLessThan(1e-9);
        expect(maxAbsDiff(r.t.data, c.t, 2 * b, 2 * b, 2)).toBeLessThan(1e-7);
        expect(r.rmse.data[b]).toBeLessThan(1e-7);
      }
    }
  });

  it('with noise: small rotation error and never worse than the true camera', () => {
    const rng = new Rng(2);
    const noise = 1; // pixels; the object spans ~ 4·s ≈ 200–800 px
    const c = makeOnPCase(rng, { B: 64, N: 17, noise });
    const r = solveOnP(c.x3d, c.y2d);
    const errs: number[] = [];
    for (let b = 0; b < 64; b++) {
      errs.push(rotationAngle(r.R.data, c.R, 9 * b, 9 * b));
      const found = sampleCost(
        c.x3d,
        c.y2d,
        b,
        r.R.data.subarray(9 * b),
        r.s.data[b]!,
        r.t.data.subarray(2 * b),
      );
      const truth = sampleCost(c.x3d, c.y2d, b, c.R.subarray(9 * b), c.s[b]!, c.t.subarray(2 * b));
      expect(found).toBeLessThanOrEqual(truth * (1 + 1e-12));
      expect(Math.sqrt(found / 17)).toBeCloseTo(r.rmse.data[b]!, 10);
    }
    errs.sort((a, b) => a - b);
    expect(errs[32]!).toBeLessThan((1 * Math.PI) / 180);
    expect(errs[63]!).toBeLessThan((5 * Math.PI) / 180);
  });

  it('planar objects: an exact fit, the true camera or its depth-reversed twin', () => {
    const rng = new Rng(3);
    const c = makeOnPCase(rng, { B: 32, N: 12, flatness: 0 });
    const r = solveOnP(c.x3d, c.y2d);
    let twins = 0;
    for (let b = 0; b < 32; b++) {
      expect(r.rmse.data[b]).toBeLessThan(1e-7);
      expect(Math.abs(r.s.data[b]! / c.s[b]! - 1)).toBeLessThan(1e-9);
      const direct = rotationAngle(r.R.data, c.R, 9 * b, 9 * b);
      // Twin: D R H with D = diag(1,1,−1), H = diag(1,1,−1) (the object plane is z = 0).
      const twin = c.R.slice(9 * b, 9 * b + 9).map((v, i) => (i >= 6 !== (i % 3 === 2) ? -v : v));
      const mirrored = rotationAngle(r.R.data, twin, 9 * b, 0);
      expect(Math.min(direct, mirrored)).toBeLessThan(1e-8);
      if (mirrored < direct) twins++;
    }
    expect(twins).toBeLessThan(32);
  });

  it('near-planar objects are still recovered', () => {
    const rng = new Rng(4);
    const c = makeOnPCase(rng, { B: 32, N: 17, flatness: 0.05 });
    const r = solveOnP(c.x3d, c.y2d);
    for (let b = 0; b < 32; b++) expect(rotationAngle(r.R.data, c.R, 9 * b, 9 * b)).toBeLessThan(1e-8);
  });

  it('projectOrthographic reproduces the 2D points', () => {
    const rng = new Rng(6);
    const c = makeOnPCase(rng, { B: 4, N: 8 });
    const y = projectOrthographic(solveOnP(c.x3d, c.y2d), c.x3d);
    expect(y.shape).toEqual([4, 8, 2]);
    expect(maxAbsDiff(y.data, c.y2d.data)).toBeLessThan(1e-7);
  });

  it('rejects bad input with typed errors naming the sample', () => {
    const rng = new Rng(7);
    const c = makeOnPCase(rng, { B: 3, N: 5 });
    expect(() => solveOnP(c.x3d, nd(new Float64Array(45), [3, 5, 3]))).toThrow(ShapeError);
    expect(() => solveOnP(c.x3d, c.y2d, { weights: nd(new Float64Array(10), [2, 5]) })).toThrow(ShapeError);
    const w = nd(new Uint8Array([1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1]), [3, 5]);
    expect(() => solveOnP(c.x3d, c.y2d, { weights: w })).toThrow(/sample 1 has only 2 visible/);
    w.data.fill(0, 5, 10);
    expect(() => solveOnP(c.x3d, c.y2d, { weights: w })).toThrow(DegenerateError);
    const line = nd(
      new Float64Array(45).map((_, i) => Math.floor(i / 3) * [1, -2, 0.5][i % 3]!),
      [3, 5, 3],
    );
    expect(() => solveOnP(line, c.y2d)).toThrow(DegenerateError);
    const bad = nd(c.y2d.data.slice(), c.y2d.shape);
    bad.data[2 * 7] = Number.NaN;
    expect(() => solveOnP(c.x3d, bad)).toThrow(InputError);
    expect(() => solveOnP(c.x3d, bad)).toThrow(/sample 1, point 2: y2d/);
    const flat2d = nd(new Float64Array(30).fill(5), [3, 5, 2]);
    expect(() => solveOnP(c.x3d, flat2d)).toThrow(DegenerateError);
  });
});
