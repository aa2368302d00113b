import { describe, expect, it } from 'vitest';
import { eigenSymmetric } from './eigen.js';
import { Rng } from './rng.js';

function randomSymmetric(rng: Rng, n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
  }
  return a;
}

describe('eigenSymmetric', () => {
  it('decomposes random symmetric matrices: ascending, orthonormal, A V = V Λ', () => {
    const rng = new Rng(1);
    for (const n of [1, 2, 3, 9, 12]) {
      for (let trial = 0; trial < 20; trial++) {
        const a = randomSymmetric(rng, n);
        const copy = a.slice();
        const vals = new Float64Array(n);
        const V = new Float64Array(n * n);
        eigenSymmetric(n, copy, vals, V, new Float64Array(n));
        for (let k = 1; k < n; k++) expect(vals[k]).toBeGreaterThanOrEqual(vals[k - 1]!);
        for (let p = 0; p < n; p++) {
          for (let q = 0; q < n; q++) {
            let dot = 0;
            for (let i = 0; i < n; i++) dot += V[i * n + p]! * V[i * n + q]!;
            expect(Math.abs(dot - (p === q ? 1 : 0))).toBeLessThan(1e-13);
          }
          for (let i = 0; i < n; i++) {
            let av = 0;
            for (let j = 0; j < n; j++) av += a[i * n + j]! * V[j * n + p]!;
            expect(Math.abs(av - vals[p]! * V[i * n + p]!)).toBeLessThan(1e-12);
          }
        }
      }
    }
  });

  it('handles a PSD matrix with a 4-dimensional null space (the EPnP case)', () => {
    const rng = new Rng(2);
    const n = 12;
    // a = Bᵀ B with B 8×12: rank 8.
    const B = rng.fillNormal(new Float64Array(8 * n));
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++)
        for (let k = 0; k < 8; k++) a[i * n + j] = a[i * n + j]! + B[k * n + i]! * B[k * n + j]!;
    }
    const vals = new Float64Array(n);
    const V = new Float64Array(n * n);
    eigenSymmetric(n, a.slice(), vals, V, new Float64Array(n));
    for (let k = 0; k < 4; k++) expect(Math.abs(vals[k]!)).toBeLessThan(1e-12);
    expect(vals[4]).toBeGreaterThan(1e-3);
    // The null vectors are annihilated by B.
    for (let k = 0; k < 4; k++) {
      for (let r = 0; r < 8; r++) {
        let bv = 0;
        for (let i = 0; i < n; i++) bv += B[r * n + i]! * V[i * n + k]!;
        expect(Math.abs(bv)).toBeLessThan(1e-12);
      }
    }
  });

  it('handles diagonal and repeated-eigenvalue input', () => {
    const n = 5;
    const a = new Float64Array(n * n);
    [3, 1, 2, 1, -4].forEach((v, i) => {
      a[i * n + i] = v;
    });
    const vals = new Float64Array(n);
    eigenSymmetric(n, a, vals, new Float64Array(n * n), new Float64Array(n));
    expect(Array.from(vals)).toEqual([-4, 1, 1, 2, 3]);
  });
});
