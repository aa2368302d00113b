import { det3, orthonormalizeRows, Rng } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { leastSquares, rotateLeft, solveDamped } from './dense.js';
import { randomRotation, rotationAngle } from './testing.js';

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
