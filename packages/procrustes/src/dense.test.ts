import { det3, Rng } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { eigenSymmetric, leastSquares, orthonormalizeRows, rotateLeft, solveDamped } from './dense.js';
import { randomRotation, rotationAngle } from './testing.js';

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

describe('leastSquares', () => {
  it('matches the normal-equations solution on a well-conditioned problem', () => {
    const rng = new Rng(3);
    const m = 6;
    const n = 4;
    const A = rng.fillNormal(new Float64Array(m * n));
    const b = rng.fillNormal(new Float64Array(m));
    const x = new Float64Array(n);
    leastSquares(m, n, A.slice(), b.slice(), x);
    // Residual orthogonal to the columns: Aᵀ(Ax − b) = 0.
    for (let j = 0; j < n; j++) {
      let g = 0;
      for (let i = 0; i < m; i++) {
        let r = -b[i]!;
        for (let k = 0; k < n; k++) r += A[i * n + k]! * x[k]!;
        g += A[i * n + j]! * r;
      }
      expect(Math.abs(g)).toBeLessThan(1e-12);
    }
  });

  it('solves square systems exactly and zeroes rank-deficient directions', () => {
    const A = new Float64Array([2, 0, 0, 0, 3, 0, 0, 0, 0]);
    const x = new Float64Array(3);
    leastSquares(3, 3, A, new Float64Array([4, 9, 1]), x);
    expect(Array.from(x)).toEqual([2, 3, 0]);
  });
});

describe('solveDamped', () => {
  it('solves H δ = g for SPD H (μ = 0) and refuses an indefinite one', () => {
    const H = new Float64Array([4, 1, 0, 1, 3, 1, 0, 1, 2]);
    const want = [1, -2, 0.5];
    const g = new Float64Array(3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) g[i] = g[i]! + H[3 * i + j]! * want[j]!;
    const delta = new Float64Array(3);
    expect(solveDamped(3, H, g, 0, new Float64Array(9), delta)).toBe(true);
    for (let i = 0; i < 3; i++) expect(delta[i]).toBeCloseTo(want[i]!, 12);
    expect(solveDamped(2, new Float64Array([1, 2, 2, 1]), g, 0, new Float64Array(4), delta)).toBe(false);
  });
});

describe('rotateLeft', () => {
  it('applies Exp([ω]×) on the left and keeps R a rotation', () => {
    const rng = new Rng(4);
    const R = randomRotation(rng);
    const R2 = R.slice();
    // A rotation by θ about z, on the left.
    const th = 0.7;
    rotateLeft(R2, 0, 0, 0, th);
    const Rz = new Float64Array([Math.cos(th), -Math.sin(th), 0, Math.sin(th), Math.cos(th), 0, 0, 0, 1]);
    const want = new Float64Array(9);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++)
        for (let k = 0; k < 3; k++) want[3 * i + j] = want[3 * i + j]! + Rz[3 * i + k]! * R[3 * k + j]!;
    }
    expect(rotationAngle(R2, want)).toBeLessThan(1e-14);
    expect(rotationAngle(R2, R)).toBeCloseTo(th, 12);
    // Tiny steps use the series; composition of many stays orthonormal.
    for (let i = 0; i < 1000; i++) rotateLeft(R2, 0, 1e-9, -2e-9, 3e-9);
    expect(det3(R2)).toBeCloseTo(1, 14);
    const M = new Float64Array([2, 0, 0, 0.1, 1, 0, 0, 0, 5]);
    orthonormalizeRows(M, 0);
    expect(det3(M)).toBeCloseTo(1, 14);
  });
});
