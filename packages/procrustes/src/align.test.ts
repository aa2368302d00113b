import {
  axisAngleToMatrix,
  DegenerateError,
  det3,
  InputError,
  mul3,
  type NdArray,
  nd,
  Rng,
  ShapeError,
  svd3,
} from '@lfm/core';
import { maxAbsDiff } from '@lfm/core/testing';
import { describe, expect, it } from 'vitest';
import { alignOrthogonal, alignSimilarity, applySimilarity } from './align.js';
import { makeSimilarityCase, randomRotation, rotationAngle, sampleCost } from './testing.js';

/** A small random rotation (angle ~ eps) times R. */
function perturb(rng: Rng, R: ArrayLike<number>, eps: number): Float64Array {
  const E = axisAngleToMatrix([eps * rng.normal(), eps * rng.normal(), eps * rng.normal()]);
  return mul3(new Float64Array(9), E, R);
}

describe('alignSimilarity', () => {
  it('recovers random similarity transforms exactly (1e-9)', () => {
    const rng = new Rng(1);
    for (const N of [3, 4, 17, 133]) {
      const c = makeSimilarityCase(rng, { B: 32, N });
      const r = alignSimilarity(c.x, c.y);
      expect(r.R.shape).toEqual([32, 3, 3]);
      expect(r.s.shape).toEqual([32]);
      expect(r.t.shape).toEqual([32, 3]);
      expect(r.rmsd.shape).toEqual([32]);
      expect(maxAbsDiff(r.R.data, c.R)).toBeLessThan(1e-9);
      expect(maxAbsDiff(r.s.data, c.s)).toBeLessThan(1e-9);
      expect(maxAbsDiff(r.t.data, c.t)).toBeLessThan(1e-9);
      for (const v of r.rmsd.data) expect(v).toBeLessThan(1e-9);
    }
  });

  it('recovers planar and near-planar sets exactly', () => {
    const rng = new Rng(2);
    for (const flatness of [0, 1e-8, 1e-3]) {
      const c = makeSimilarityCase(rng, { B: 16, N: 17, flatness });
      const r = alignSimilarity(c.x, c.y);
      expect(maxAbsDiff(r.R.data, c.R)).toBeLessThan(1e-9);
      expect(maxAbsDiff(r.s.data, c.s)).toBeLessThan(1e-9);
    }
  });

  it('degrades gracefully with noise and is a local optimum of its objective', () => {
    const rng = new Rng(3);
    const noise = 0.02;
    const c = makeSimilarityCase(rng, { B: 64, N: 17, noise });
    const r = alignSimilarity(c.x, c.y);
    for (let b = 0; b < 64; b++) {
      expect(rotationAngle(r.R.data, c.R, 9 * b, 9 * b)).toBeLessThan(0.05);
      expect(Math.abs(r.s.data[b]! / c.s[b]! - 1)).toBeLessThan(0.05);
      // E‖residual‖² per point = σ²(3N − 7)/N (7 fitted parameters).
      const expected = noise * Math.sqrt((3 * 17 - 7) / 17);
      expect(r.rmsd.data[b]).toBeGreaterThan(0.5 * expected);
      expect(r.rmsd.data[b]).toBeLessThan(1.5 * expected);
      const Rb = r.R.data.subarray(9 * b, 9 * b + 9);
      const tb = r.t.data.subarray(3 * b, 3 * b + 3);
      const best = sampleCost(c.x, c.y, b, Rb, r.s.data[b]!, tb);
      expect(Math.sqrt(best / 17)).toBeCloseTo(r.rmsd.data[b]!, 12);
      // The truth and every small perturbation fit worse.
      expect(sampleCost(c.x, c.y, b, c.R.subarray(9 * b), c.s[b]!, c.t.subarray(3 * b))).toBeGreaterThan(
        best,
      );
      for (let k = 0; k < 5; k++) {
        const tp = Array.from(tb, (v) => v + 1e-4 * rng.normal());
        expect(
          sampleCost(c.x, c.y, b, perturb(rng, Rb, 1e-4), r.s.data[b]! * (1 + 1e-4 * rng.normal()), tp),
        ).toBeGreaterThan(best);
      }
    }
  });

  it('returns a proper rotation for mirrored targets, matching the SVD solution with det correction', () => {
    const rng = new Rng(4);
    const c = makeSimilarityCase(rng, { B: 32, N: 17, reflect: true });
    const r = alignSimilarity(c.x, c.y);
    const U = new Float64Array(9);
    const S = new Float64Array(3);
    const V = new Float64Array(9);
    for (let b = 0; b < 32; b++) {
      expect(det3(r.R.data, 9 * b)).toBeCloseTo(1, 12);
      expect(r.rmsd.data[b]).toBeGreaterThan(0.1);
      // Independent reference: centred M = Σ y xᵀ = U S Vᵀ (signed) → R = U Vᵀ.
      const M = new Float64Array(9);
      const mx = [0, 0, 0];
      const my = [0, 0, 0];
      for (let i = 0; i < 17; i++) {
        for (let k = 0; k < 3; k++) {
          mx[k] = mx[k]! + c.x.data[3 * (b * 17 + i) + k]! / 17;
          my[k] = my[k]! + c.y.data[3 * (b * 17 + i) + k]! / 17;
        }
      }
      for (let i = 0; i < 17; i++) {
        for (let a = 0; a < 3; a++) {
          for (let d = 0; d < 3; d++) {
            M[3 * a + d] =
              M[3 * a + d]! +
              (c.y.data[3 * (b * 17 + i) + a]! - my[a]!) * (c.x.data[3 * (b * 17 + i) + d]! - mx[d]!);
          }
        }
      }
      svd3(M, U, S, V);
      const Rref = new Float64Array(9);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++)
          Rref[3 * i + j] =
            U[3 * i]! * V[3 * j]! + U[3 * i + 1]! * V[3 * j + 1]! + U[3 * i + 2]! * V[3 * j + 2]!;
      }
      expect(maxAbsDiff(r.R.data, Rref, 9 * b, 0, 9)).toBeLessThan(1e-9);
    }
  });

  it('recovers the reflection exactly with allowReflection', () => {
    const rng = new Rng(5);
    const c = makeSimilarityCase(rng, { B: 32, N: 17, reflect: true });
    const r = alignSimilarity(c.x, c.y, { allowReflection: true });
    for (let b = 0; b < 32; b++) {
      expect(det3(r.R.data, 9 * b)).toBeCloseTo(-1, 12);
      // Truth: R_true · diag(1, 1, −1).
      const want = c.R.slice(9 * b, 9 * b + 9).map((v, i) => (i % 3 === 2 ? -v : v));
      expect(maxAbsDiff(r.R.data, want, 9 * b, 0, 9)).toBeLessThan(1e-9);
      expect(r.rmsd.data[b]).toBeLessThan(1e-9);
    }
    // Unmirrored data keeps det +1 even when reflections are allowed.
    const plain = makeSimilarityCase(rng, { B: 8, N: 17 });
    const rp = alignSimilarity(plain.x, plain.y, { allowReflection: true });
    for (let b = 0; b < 8; b++) expect(det3(rp.R.data, 9 * b)).toBeCloseTo(1, 12);
  });

  it('accepts Float32 input', () => {
    const rng = new Rng(6);
    const c = makeSimilarityCase(rng, { B: 8, N: 17 });
    const r = alignSimilarity(
      nd(Float32Array.from(c.x.data), c.x.shape),
      nd(Float32Array.from(c.y.data), c.y.shape),
    );
    expect(maxAbsDiff(r.R.data, c.R)).toBeLessThan(1e-5);
  });

  it('applySimilarity maps x onto y with the recovered transform', () => {
    const rng = new Rng(7);
    const c = makeSimilarityCase(rng, { B: 4, N: 9 });
    const y = applySimilarity(alignSimilarity(c.x, c.y), c.x);
    expect(y.shape).toEqual([4, 9, 3]);
    expect(maxAbsDiff(y.data, c.y.data)).toBeLessThan(1e-9);
    expect(() => applySimilarity({ R: nd(new Float64Array(27), [3, 3, 3]) }, c.x)).toThrow(ShapeError);
  });
});

describe('alignOrthogonal', () => {
  it('recovers rigid transforms exactly and ignores scale', () => {
    const rng = new Rng(8);
    const c = makeSimilarityCase(rng, { B: 32, N: 17, scale: [1, 1] });
    const r = alignOrthogonal(c.x, c.y);
    expect(maxAbsDiff(r.R.data, c.R)).toBeLessThan(1e-9);
    expect(maxAbsDiff(r.t.data, c.t)).toBeLessThan(1e-9);
    for (const v of r.rmsd.data) expect(v).toBeLessThan(1e-9);
    expect('s' in r).toBe(false);
    // With a scale in the data, the rotation is still exact (the optimal R does not depend on s).
    const scaled = makeSimilarityCase(rng, { B: 8, N: 17, scale: [2, 3] });
    const rs = alignOrthogonal(scaled.x, scaled.y);
    expect(maxAbsDiff(rs.R.data, scaled.R)).toBeLessThan(1e-9);
    expect(Math.min(...rs.rmsd.data)).toBeGreaterThan(0.1);
  });

  it('rotates about the origin with translation: false', () => {
    const rng = new Rng(9);
    const B = 8;
    const N = 6;
    const x = nd(rng.fillNormal(new Float64Array(B * N * 3), 2, 1), [B, N, 3]);
    const R = new Float64Array(9 * B);
    const y = nd(new Float64Array(B * N * 3), [B, N, 3]);
    for (let b = 0; b < B; b++) {
      randomRotation(rng, R, 9 * b);
      for (let i = 0; i < N; i++) {
        const p = 3 * (b * N + i);
        for (let r = 0; r < 3; r++) {
          y.data[p + r] =
            R[9 * b + 3 * r]! * x.data[p]! +
            R[9 * b + 3 * r + 1]! * x.data[p + 1]! +
            R[9 * b + 3 * r + 2]! * x.data[p + 2]!;
        }
      }
    }
    const r = alignOrthogonal(x, y, { translation: false });
    expect(maxAbsDiff(r.R.data, R)).toBeLessThan(1e-9);
    expect(Array.from(r.t.data).every((v) => v === 0)).toBe(true);
    // Shift y: with translation the fit stays exact, without it it cannot be.
    const shifted = nd(
      y.data.map((v) => v + 1),
      y.shape,
    );
    expect(Math.max(...alignOrthogonal(x, shifted).rmsd.data)).toBeLessThan(1e-9);
    expect(Math.min(...alignOrthogonal(x, shifted, { translation: false }).rmsd.data)).toBeGreaterThan(0.1);
  });
});

describe('weights and masks', () => {
  it('a weight of 2 equals duplicating the point', () => {
    const rng = new Rng(11);
    const c = makeSimilarityCase(rng, { B: 1, N: 6, noise: 0.1 });
    const w = nd(new Float64Array([2, 1, 1, 1, 1, 1]), [1, 6]);
    const dup = (a: NdArray<Float64Array>) =>
      nd(new Float64Array([...a.data, ...a.data.slice(0, 3)]), [1, 7, 3]);
    const weighted = alignSimilarity(c.x, c.y, { weights: w });
    const duplicated = alignSimilarity(dup(c.x), dup(c.y));
    expect(maxAbsDiff(weighted.R.data, duplicated.R.data)).toBeLessThan(1e-12);
    expect(maxAbsDiff(weighted.t.data, duplicated.t.data)).toBeLessThan(1e-12);
    expect(weighted.rmsd.data[0]).toBeCloseTo(duplicated.rmsd.data[0]!, 12);
  });
});

describe('alignment errors', () => {
  const rng = new Rng(12);
  const c = makeSimilarityCase(rng, { B: 3, N: 5 });

  it('rejects mismatched shapes and bad weights', () => {
    const y6 = nd(new Float64Array(3 * 6 * 3), [3, 6, 3]);
    expect(() => alignSimilarity(c.x, y6)).toThrow(ShapeError);
    expect(() => alignSimilarity(c.x, nd(new Float64Array(30), [3, 5, 2]))).toThrow(ShapeError);
    expect(() => alignOrthogonal(c.x, c.y, { weights: nd(new Float64Array(12), [3, 4]) })).toThrow(
      ShapeError,
    );
    const neg = nd(new Float64Array(15).fill(1), [3, 5]);
    neg.data[7] = -1;
    expect(() => alignSimilarity(c.x, c.y, { weights: neg })).toThrow(InputError);
    expect(() => alignSimilarity(c.x, c.y, { weights: neg })).toThrow(/weights\[1, 2\]/);
  });

  it('rejects fewer than 3 visible points, naming the sample', () => {
    const w = nd(new Uint8Array([1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1]), [3, 5]);
    expect(() => alignSimilarity(c.x, c.y, { weights: w })).toThrow(InputError);
    expect(() => alignSimilarity(c.x, c.y, { weights: w })).toThrow(/sample 1 has only 2 visible/);
  });

  it('rejects all-masked samples', () => {
    const w = nd(new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]), [3, 5]);
    expect(() => alignOrthogonal(c.x, c.y, { weights: w })).toThrow(DegenerateError);
    expect(() => alignOrthogonal(c.x, c.y, { weights: w })).toThrow(/sample 2 has every point masked/);
  });

  it('rejects collinear and coincident points', () => {
    const line = nd(
      new Float64Array(45).map((_, i) => Math.floor(i / 3) * [1, 2, -0.5][i % 3]!),
      [3, 5, 3],
    );
    expect(() => alignSimilarity(line, c.y)).toThrow(DegenerateError);
    expect(() => alignSimilarity(c.x, line)).toThrow(/collinear/);
    const line32 = nd(Float32Array.from(line.data.map((v) => v * 0.1 + 0.3)), line.shape);
    expect(() => alignSimilarity(line32, nd(Float32Array.from(c.y.data), c.y.shape))).toThrow(
      DegenerateError,
    );
    const point = nd(new Float64Array(45).fill(2), [3, 5, 3]);
    expect(() => alignOrthogonal(point, c.y)).toThrow(DegenerateError);
  });

  it('rejects NaN/Infinity on a visible point, naming sample and point', () => {
    const bad = nd(c.y.data.slice(), c.y.shape);
    bad.data[3 * (5 * 2 + 4) + 1] = Number.NaN;
    expect(() => alignSimilarity(c.x, bad)).toThrow(InputError);
    expect(() => alignSimilarity(c.x, bad)).toThrow(/sample 2, point 4: y/);
    const inf = nd(c.x.data.slice(), c.x.shape);
    inf.data[0] = Number.POSITIVE_INFINITY;
    expect(() => alignOrthogonal(inf, c.y)).toThrow(/sample 0, point 0: x/);
  });

  it('handles an empty batch', () => {
    const e = nd(new Float64Array(0), [0, 5, 3]);
    expect(alignSimilarity(e, e).R.shape).toEqual([0, 3, 3]);
  });
});
