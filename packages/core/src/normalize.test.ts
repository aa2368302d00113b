import { describe, expect, it } from 'vitest';
import { DegenerateError, InputError, ShapeError } from './errors.js';
import { nd } from './ndarray.js';
import { denormalizeKeypoints, normalizeKeypoints } from './normalize.js';
import { Rng } from './rng.js';

describe('normalizeKeypoints', () => {
  it('known answer: centre on the visible mean, one scale = max |coordinate|, masked → 0', () => {
    // Sample 0: visible (0,0), (4,2), (2,-2); point 3 masked (and NaN: ignored).
    // Sample 1: visible (10,10), (12,10); point 2 masked far away (must not move centre/scale).
    const pts = nd(
      new Float32Array([0, 0, 4, 2, 2, -2, Number.NaN, 7, 10, 10, 12, 10, 1000, -1000, 0, 0]),
      [2, 4, 2],
    );
    const mask = nd(new Uint8Array([1, 1, 1, 0, 1, 1, 0, 0]), [2, 4]);
    const r = normalizeKeypoints(pts, mask);
    expect(r.points.data).toBeInstanceOf(Float32Array);
    expect(Array.from(r.center.data)).toEqual([2, 0, 11, 10]);
    expect(Array.from(r.scale.data)).toEqual([2, 1]);
    expect(Array.from(r.points.data)).toEqual([-1, 0, 1, 1, 0, -1, 0, 0, -1, 0, 1, 0, 0, 0, 0, 0]);
    expect(r.points.shape).toEqual([2, 4, 2]);
    expect(r.center.shape).toEqual([2, 2]);
    expect(r.scale.shape).toEqual([2]);
  });

  it('keeps the aspect ratio (one scalar per sample) and puts visible points in [−1, 1] touching the bound', () => {
    const rng = new Rng(4);
    const B = 8;
    const N = 13;
    const pts = nd(new Float64Array(B * N * 2), [B, N, 2]);
    const mask = nd(new Float32Array(B * N), [B, N]);
    for (let k = 0; k < B * N; k++) {
      pts.data[2 * k] = rng.range(100, 900);
      pts.data[2 * k + 1] = rng.range(-5, 5); // very anisotropic
      mask.data[k] = rng.uniform() < 0.7 || k % N === 0 ? 1 : 0;
    }
    const r = normalizeKeypoints(pts, mask);
    expect(r.points.data).toBeInstanceOf(Float64Array);
    for (let b = 0; b < B; b++) {
      let maxAbs = 0;
      let sx = 0;
      let sy = 0;
      for (let i = 0; i < N; i++) {
        const k = b * N + i;
        const x = r.points.data[2 * k]!;
        const y = r.points.data[2 * k + 1]!;
        if (mask.data[k] === 0) {
          expect([x, y]).toEqual([0, 0]);
          continue;
        }
        maxAbs = Math.max(maxAbs, Math.abs(x), Math.abs(y));
        sx += x;
        sy += y;
        // Same scalar on both axes: the original offsets are recovered exactly up to rounding.
        expect(x * r.scale.data[b]!).toBeCloseTo(pts.data[2 * k]! - r.center.data[2 * b]!, 9);
        expect(y * r.scale.data[b]!).toBeCloseTo(pts.data[2 * k + 1]! - r.center.data[2 * b + 1]!, 9);
      }
      expect(maxAbs).toBeCloseTo(1, 12);
      expect(Math.abs(sx) + Math.abs(sy)).toBeLessThan(1e-9);
    }
  });

  it('is invariant to translation and scale of the input, and to the values of masked points', () => {
    const rng = new Rng(8);
    const pts = nd(
      Float64Array.from({ length: 2 * 9 * 2 }, () => rng.normal()),
      [2, 9, 2],
    );
    const mask = nd(
      Float64Array.from({ length: 18 }, (_, k) => (k % 4 === 3 ? 0 : 1)),
      [2, 9],
    );
    const moved = nd(
      pts.data.map((v, k) => (mask.data[k >> 1] === 0 ? 1e6 * rng.normal() : 3.5 * v + (k % 2 ? -40 : 17))),
      [2, 9, 2],
    );
    const a = normalizeKeypoints(pts, mask);
    const b = normalizeKeypoints(moved, mask);
    for (let k = 0; k < a.points.data.length; k++)
      expect(b.points.data[k]).toBeCloseTo(a.points.data[k]!, 12);
    expect(b.scale.data[0]! / a.scale.data[0]!).toBeCloseTo(3.5, 12);
  });

  it('without a mask every point is visible', () => {
    const r = normalizeKeypoints(nd(new Float32Array([0, 0, 2, 0]), [1, 2, 2]));
    expect(Array.from(r.points.data)).toEqual([-1, 0, 1, 0]);
  });

  it('denormalizeKeypoints inverts it (masked points → 0)', () => {
    const rng = new Rng(12);
    const pts = nd(
      Float64Array.from({ length: 3 * 5 * 2 }, () => rng.range(-300, 300)),
      [3, 5, 2],
    );
    const mask = nd(new Int32Array([1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1]), [3, 5]);
    const r = normalizeKeypoints(pts, mask);
    const back = denormalizeKeypoints(r.points, r, mask);
    for (let k = 0; k < 15; k++) {
      const want = mask.data[k] ? [pts.data[2 * k]!, pts.data[2 * k + 1]!] : [0, 0];
      expect(back.data[2 * k]).toBeCloseTo(want[0]!, 10);
      expect(back.data[2 * k + 1]).toBeCloseTo(want[1]!, 10);
    }
  });

  it('writes into preallocated outputs, in place too', () => {
    const data = new Float32Array([1, 1, 3, 5]);
    const center = new Float64Array(2);
    const scale = new Float64Array(1);
    const r = normalizeKeypoints(nd(data, [1, 2, 2]), undefined, { points: data, center, scale });
    expect(r.points.data).toBe(data);
    expect(r.center.data).toBe(center);
    expect(Array.from(data)).toEqual([-0.5, -1, 0.5, 1]);
    expect(Array.from(center)).toEqual([2, 3]);
    expect(Array.from(scale)).toEqual([2]);
    const f64 = normalizeKeypoints(nd(new Float32Array([0, 0, 2, 0]), [1, 2, 2]), undefined, {
      points: new Float64Array(4),
    });
    expect(f64.points.data).toBeInstanceOf(Float64Array);
    expect(() =>
      normalizeKeypoints(nd(new Float32Array(4), [1, 2, 2]), undefined, { points: new Float32Array(3) }),
    ).toThrow(ShapeError);
  });

  it('NaN or Infinity in a visible point → InputError naming sample and point', () => {
    const pts = nd(new Float32Array([0, 0, 1, 1, 2, 2, 0, 0, 1, Number.NaN, 5, 5]), [2, 3, 2]);
    expect(() => normalizeKeypoints(pts)).toThrow(InputError);
    expect(() => normalizeKeypoints(pts)).toThrow(/sample 1, point 1/);
    const inf = nd(new Float64Array([0, 0, Number.POSITIVE_INFINITY, 1]), [1, 2, 2]);
    expect(() => normalizeKeypoints(inf)).toThrow(/sample 0, point 1/);
  });

  it('all-masked sample → InputError; coincident visible points → DegenerateError', () => {
    const pts = nd(new Float32Array([0, 0, 1, 1, 3, 3, 3, 3]), [2, 2, 2]);
    expect(() => normalizeKeypoints(pts, nd(new Uint8Array([1, 1, 0, 0]), [2, 2]))).toThrow(
      /sample 1 has no visible point/,
    );
    expect(() => normalizeKeypoints(pts, nd(new Uint8Array([1, 1, 0, 0]), [2, 2]))).toThrow(InputError);
    expect(() => normalizeKeypoints(pts)).toThrow(DegenerateError);
    expect(() => normalizeKeypoints(pts)).toThrow(/sample 1 has zero extent/);
    // A single visible point has no extent either.
    expect(() => normalizeKeypoints(pts, nd(new Uint8Array([1, 0, 1, 1]), [2, 2]))).toThrow(DegenerateError);
    // Identical non-representable coordinates: the mean's rounding must not pass as extent.
    const tenths = nd(new Float64Array([0.1, 0.7, 0.1, 0.7, 0.1, 0.7]), [1, 3, 2]);
    expect(() => normalizeKeypoints(tenths)).toThrow(DegenerateError);
  });

  it('rejects bad shapes and mask values other than 0/1', () => {
    expect(() => normalizeKeypoints(nd(new Float32Array(6), [1, 2, 3]))).toThrow(ShapeError);
    const pts = nd(new Float32Array([0, 0, 1, 1]), [1, 2, 2]);
    expect(() => normalizeKeypoints(pts, nd(new Uint8Array([1, 1, 1]), [1, 3]))).toThrow(ShapeError);
    expect(() => normalizeKeypoints(pts, nd(new Float32Array([1, 0.5]), [1, 2]))).toThrow(
      /must be 0 \(absent\) or 1/,
    );
  });
});
