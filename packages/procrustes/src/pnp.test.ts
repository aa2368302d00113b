import { DegenerateError, det3, InputError, type NdArray, nd, Rng, ShapeError } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { projectPinhole, solvePnP } from './pnp.js';
import { makePnPCase, type PnPCase, rotationAngle } from './testing.js';

const DEG = Math.PI / 180;

function sorted(values: number[]): number[] {
  return values.slice().sort((a, b) => a - b);
}

/** Per-sample Σ‖π(R x + t) − y‖² at the TRUE pose of a case. */
function truthCost(c: PnPCase, B: number, N: number): Float64Array {
  const y = projectPinhole({ R: nd(c.R, [B, 3, 3]), t: nd(c.t, [B, 3]) }, c.intrinsics, c.x3d);
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < 2 * N; i++)
      out[b] = out[b]! + (y.data[2 * b * N + i]! - c.y2d.data[2 * b * N + i]!) ** 2;
  }
  return out;
}

describe('solvePnP', () => {
  it('recovers random camera poses from noise-free projections (1e-6) at several distances', () => {
    for (const distance of [3, 6, 20]) {
      for (const N of [4, 6, 17, 133]) {
        const rng = new Rng([1, distance, N]);
        const B = 24;
        const c = makePnPCase(rng, { B, N, distance });
        const r = solvePnP(c.x3d, c.y2d, c.intrinsics);
        expect(r.R.shape).toEqual([B, 3, 3]);
        expect(r.t.shape).toEqual([B, 3]);
        expect(r.rmse.shape).toEqual([B]);
        for (let b = 0; b < B; b++) {
          expect(det3(r.R.data, 9 * b)).toBeCloseTo(1, 12);
          expect(rotationAngle(r.R.data, c.R, 9 * b, 9 * b)).toBeLessThan(1e-6);
          const tn = Math.hypot(c.t[3 * b]!, c.t[3 * b + 1]!, c.t[3 * b + 2]!);
          for (let k = 0; k < 3; k++)
            expect(Math.abs(r.t.data[3 * b + k]! - c.t[3 * b + k]!)).toBeLessThan(1e-6 * tn);
          expect(r.rmse.data[b]).toBeLessThan(1e-6);
        }
      }
    }
  });

  it('recovers planar objects from noise-free projections', () => {
    for (const distance of [3, 6, 20]) {
      const rng = new Rng([2, distance]);
      const c = makePnPCase(rng, { B: 24, N: 12, distance, flatness: 0 });
      const r = solvePnP(c.x3d, c.y2d, c.intrinsics);
      for (let b = 0; b < 24; b++) {
        expect(rotationAngle(r.R.data, c.R, 9 * b, 9 * b)).toBeLessThan(1e-6);
        expect(r.rmse.data[b]).toBeLessThan(1e-6);
      }
    }
  });

  // 1 px noise, focal 1000 px, J = 17 random points; thresholds are ~3× the observed errors.
  for (const [distance, medianDeg, maxDeg] of [
    [3, 0.5, 2],
    [6, 1, 3],
    [20, 3, 8],
  ] as const) {
    it(`with 1 px noise at ${distance}× the object size: small rotation error, never worse than the truth`, () => {
      const rng = new Rng([3, distance]);
      const B = 100;
      const N = 17;
      const c = makePnPCase(rng, { B, N, distance, noisePx: 1 });
      const r = solvePnP(c.x3d, c.y2d, c.intrinsics);
      const truth = truthCost(c, B, N);
      const errs: number[] = [];
      for (let b = 0; b < B; b++) {
        errs.push(rotationAngle(r.R.data, c.R, 9 * b, 9 * b));
        // The solver minimises the reprojection error: the true pose cannot fit better.
        expect(r.rmse.data[b]! ** 2 * N).toBeLessThanOrEqual(truth[b]! * (1 + 1e-9));
      }
      const e = sorted(errs);
      expect(e[B / 2]!).toBeLessThan(medianDeg * DEG);
      expect(e[B - 1]!).toBeLessThan(maxDeg * DEG);
      // E‖e‖² per point = σ²(2N − 6)/N for 6 fitted parameters.
      const rm = sorted(Array.from(r.rmse.data));
      expect(rm[B / 2]!).toBeGreaterThan(0.7 * Math.sqrt((2 * N - 6) / N));
      expect(rm[B / 2]!).toBeLessThan(1.3 * Math.sqrt((2 * N - 6) / N));
    });
  }

  it('planar objects with noise far away: the best-fitting of the two mirror-ambiguous poses', () => {
    const rng = new Rng(4);
    const B = 100;
    const N = 17;
    const c = makePnPCase(rng, { B, N, distance: 20, noisePx: 1, flatness: 0 });
    const r = solvePnP(c.x3d, c.y2d, c.intrinsics);
    const truth = truthCost(c, B, N);
    for (let b = 0; b < B; b++) expect(r.rmse.data[b]! ** 2 * N).toBeLessThanOrEqual(truth[b]! * (1 + 1e-9));
  });

  it('accepts per-sample intrinsics and Float32 input', () => {
    const rng = new Rng(5);
    const a = makePnPCase(rng, { B: 2, N: 10, focal: 800 });
    const b = makePnPCase(rng, { B: 2, N: 10, focal: 1500 });
    const cat = (p: NdArray<Float64Array>, q: NdArray<Float64Array>) =>
      nd(Float32Array.from([...p.data, ...q.data]), [4, ...p.shape.slice(1)]);
    const K = [a.intrinsics, a.intrinsics, b.intrinsics, b.intrinsics];
    const r = solvePnP(cat(a.x3d, b.x3d), cat(a.y2d, b.y2d), K);
    const R = [...a.R, ...b.R];
    for (let s = 0; s < 4; s++) expect(rotationAngle(r.R.data, R, 9 * s, 9 * s)).toBeLessThan(1e-4);
  });

  it('projectPinhole reproduces the 2D points of a recovered pose', () => {
    const rng = new Rng(7);
    const c = makePnPCase(rng, { B: 3, N: 9 });
    const y = projectPinhole(solvePnP(c.x3d, c.y2d, c.intrinsics), c.intrinsics, c.x3d);
    expect(y.shape).toEqual([3, 9, 2]);
    for (let i = 0; i < y.data.length; i++) expect(Math.abs(y.data[i]! - c.y2d.data[i]!)).toBeLessThan(1e-6);
  });

  it('rejects bad input with typed errors naming the sample', () => {
    const rng = new Rng(8);
    const c = makePnPCase(rng, { B: 3, N: 6 });
    const K = c.intrinsics;
    expect(() => solvePnP(c.x3d, nd(new Float64Array(54), [3, 6, 3]), K)).toThrow(ShapeError);
    const w = nd(new Uint8Array(18).fill(1), [3, 6]);
    w.data.fill(0, 6, 9);
    expect(() => solvePnP(c.x3d, c.y2d, K, { weights: w })).toThrow(InputError);
    expect(() => solvePnP(c.x3d, c.y2d, K, { weights: w })).toThrow(/sample 1 has only 3 visible/);
    w.data.fill(0, 6, 12);
    expect(() => solvePnP(c.x3d, c.y2d, K, { weights: w })).toThrow(DegenerateError);
    const line = nd(
      new Float64Array(54).map((_, i) => Math.floor(i / 3) * [1, 2, 3][i % 3]! + 0.5),
      [3, 6, 3],
    );
    expect(() => solvePnP(line, c.y2d, K)).toThrow(DegenerateError);
    expect(() => solvePnP(line, c.y2d, K)).toThrow(/sample 0: the visible 3D points are collinear/);
    const bad = nd(c.x3d.data.slice(), c.x3d.shape);
    bad.data[3 * 16 + 2] = Number.POSITIVE_INFINITY;
    expect(() => solvePnP(bad, c.y2d, K)).toThrow(/sample 2, point 4: x3d/);
    expect(() => solvePnP(c.x3d, c.y2d, { ...K, fx: 0 })).toThrow(InputError);
    expect(() => solvePnP(c.x3d, c.y2d, { ...K, cy: Number.NaN })).toThrow(InputError);
    expect(() => solvePnP(c.x3d, c.y2d, [K, K])).toThrow(/got 2 intrinsics for a batch of 3/);
  });
});
