import { describe, expect, it } from 'vitest';
import {
  det3,
  eigSym3,
  mul3,
  mul3ABt,
  mul3AtB,
  mulVec3,
  orthonormalizeRows,
  polar3,
  svd3,
  transpose3,
} from './linalg3.js';
import { Rng } from './rng.js';
import { randomRotation } from './rotation.js';
import { composeSvd3 as compose, diag3 as diag, maxAbsDiff, orthogonalityError } from './testing/matrices.js';

function randomMatrix(rng: Rng): Float64Array {
  return rng.fillNormal(new Float64Array(9));
}

/** Eigen/singular value and vector outputs, shared by the tests (each overwrites them). */
const vals = new Float64Array(3);
const vecs = new Float64Array(9);

function expectRotation(R: Float64Array, det = 1, tol = 1e-12): void {
  expect(orthogonalityError(R, det)).toBeLessThan(tol);
}

describe('3×3 helpers', () => {
  it('det3, transpose3, products give known answers', () => {
    const a = new Float64Array([2, -1, 0, 1, 3, 4, 0, 5, -2]);
    const b = new Float64Array([1, 2, 3, 0, 1, 4, 5, 6, 0]);
    expect(det3(a)).toBeCloseTo(2 * (3 * -2 - 4 * 5) + 1 * (1 * -2 - 0), 12);
    expect(det3(b)).toBeCloseTo(1, 12);
    expect(Array.from(transpose3(new Float64Array(9), a))).toEqual([2, 1, 0, -1, 3, 5, 0, 4, -2]);
    const ab = mul3(new Float64Array(9), a, b);
    expect(Array.from(ab)).toEqual([2, 3, 2, 21, 29, 15, -10, -7, 20]);
    const at = transpose3(new Float64Array(9), a);
    const bt = transpose3(new Float64Array(9), b);
    expect(Array.from(mul3AtB(new Float64Array(9), at, b))).toEqual(Array.from(ab));
    expect(Array.from(mul3ABt(new Float64Array(9), a, bt))).toEqual(Array.from(ab));
  });

  it('mulVec3 gives m·v, honours offsets and may write over v', () => {
    const m = new Float64Array([2, -1, 0, 1, 3, 4, 0, 5, -2]);
    expect(Array.from(mulVec3(new Float64Array(3), m, [1, 2, 3]))).toEqual([0, 19, 4]);
    const buf = new Float64Array([9, 9, 1, 2, 3]);
    mulVec3(buf, m, buf, 2, 0, 2);
    expect(Array.from(buf)).toEqual([9, 9, 0, 19, 4]);
  });

  it('products and transpose may write over an input, and honour offsets', () => {
    const rng = new Rng(1);
    const a = randomMatrix(rng);
    const b = randomMatrix(rng);
    const want = mul3(new Float64Array(9), a, b);
    const a2 = a.slice();
    mul3(a2, a2, b);
    expect(maxAbsDiff(a2, want)).toBe(0);
    const buf = new Float64Array(27);
    buf.set(a, 9);
    buf.set(b, 18);
    mul3(buf, buf, buf, 0, 9, 18);
    expect(maxAbsDiff(buf.subarray(0, 9), want)).toBe(0);
    const t = a.slice();
    transpose3(t, t);
    expect(maxAbsDiff(t, transpose3(new Float64Array(9), a))).toBe(0);
  });
});

describe('eigSym3', () => {
  it('decomposes random symmetric matrices (sorted, orthonormal, det +1)', () => {
    const rng = new Rng(2);
    for (let trial = 0; trial < 200; trial++) {
      const m = randomMatrix(rng);
      const s = mul3AtB(new Float64Array(9), m, m);
      s[0] = s[0]! - 1; // indefinite sometimes
      eigSym3(s, vals, vecs);
      expect(vals[0]).toBeGreaterThanOrEqual(vals[1]!);
      expect(vals[1]).toBeGreaterThanOrEqual(vals[2]!);
      expectRotation(vecs);
      expect(maxAbsDiff(compose(vecs, vals, vecs), s)).toBeLessThan(1e-12 * (1 + Math.abs(vals[0]!)));
    }
  });

  it('fixes the signs: largest component of vectors 0 and 1 positive, vector 2 = 0 × 1', () => {
    const rng = new Rng(21);
    const flipped = new Float64Array(9);
    for (let trial = 0; trial < 50; trial++) {
      const R = randomRotation(rng);
      const s = compose(R, [3, 2, 1], R);
      eigSym3(s, vals, vecs);
      for (let k = 0; k < 2; k++) {
        const col = [vecs[k]!, vecs[3 + k]!, vecs[6 + k]!];
        const big = col.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a));
        expect(big).toBeGreaterThan(0);
      }
      // The same matrix from the eigenvectors of the opposite sign gives the same output.
      for (let i = 0; i < 9; i++) flipped[i] = -R[i]!;
      const again = new Float64Array(9);
      eigSym3(compose(flipped, [3, 2, 1], flipped), vals, again);
      expect(maxAbsDiff(again, vecs)).toBeLessThan(1e-12);
      // Known answer up to sign: the columns of R.
      for (let k = 0; k < 3; k++) {
        let d = 0;
        for (let r = 0; r < 3; r++) d += vecs[3 * r + k]! * R[3 * r + k]!;
        expect(Math.abs(Math.abs(d) - 1)).toBeLessThan(1e-12);
      }
    }
  });

  it('handles repeated eigenvalues and diagonal input', () => {
    eigSym3(diag([1, 1, 1]), vals, vecs);
    expect(Array.from(vals)).toEqual([1, 1, 1]);
    expectRotation(vecs);
    const R = randomRotation(new Rng(3));
    const s = compose(R, [2, 2, -1], R);
    eigSym3(s, vals, vecs);
    expect(maxAbsDiff(vals, [2, 2, -1])).toBeLessThan(1e-14);
    expect(maxAbsDiff(compose(vecs, vals, vecs), s)).toBeLessThan(1e-14);
  });
});

describe('svd3', () => {
  const U = new Float64Array(9);
  const S = new Float64Array(3);
  const V = new Float64Array(9);

  it('reconstructs random matrices with proper U, V and a signed third value', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 500; trial++) {
      const m = randomMatrix(rng);
      svd3(m, U, S, V);
      expectRotation(U);
      expectRotation(V);
      expect(S[0]).toBeGreaterThanOrEqual(S[1]!);
      expect(S[1]).toBeGreaterThanOrEqual(Math.abs(S[2]!));
      expect(Math.sign(S[2]!)).toBe(Math.sign(det3(m)));
      expect(maxAbsDiff(compose(U, S, V), m)).toBeLessThan(1e-13);
    }
  });

  it('keeps small singular values accurate (one-sided Jacobi, no squaring)', () => {
    const rng = new Rng(5);
    const A = randomRotation(rng);
    const B = randomRotation(rng);
    const want = [1, 1e-7, 1e-12];
    svd3(compose(A, want, B), U, S, V);
    expect(Math.abs(S[1]! - 1e-7) / 1e-7).toBeLessThan(1e-8);
    expect(Math.abs(S[2]! - 1e-12) / 1e-12).toBeLessThan(1e-3);
  });

  it('handles rank 2, rank 1 and the zero matrix', () => {
    const rng = new Rng(6);
    for (const sv of [
      [3, 2, 0],
      [3, 0, 0],
      [0, 0, 0],
      [2, 2, 2],
    ]) {
      const A = randomRotation(rng);
      const B = randomRotation(rng);
      const m = compose(A, sv, B);
      svd3(m, U, S, V);
      expectRotation(U);
      expectRotation(V);
      expect(maxAbsDiff(S.map(Math.abs), sv)).toBeLessThan(1e-14);
      expect(maxAbsDiff(compose(U, S, V), m)).toBeLessThan(1e-14);
    }
  });
});

describe('orthonormalizeRows', () => {
  it('keeps row 0 direction, makes rows orthonormal with det +1', () => {
    const M = new Float64Array([2, 0, 0, 0.1, 1, 0, 0, 0, 5]);
    orthonormalizeRows(M);
    expect(Array.from(M)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const rng = new Rng(30);
    for (let trial = 0; trial < 50; trial++) {
      const m = randomMatrix(rng);
      const r = m.slice();
      orthonormalizeRows(r);
      expectRotation(r);
      const n = Math.hypot(m[0]!, m[1]!, m[2]!);
      expect(maxAbsDiff([m[0]! / n, m[1]! / n, m[2]! / n], r)).toBeLessThan(1e-15);
      // Row 1 stays in the plane of the input's rows 0 and 1 (on row 1's side of row 0).
      expect(m[3]! * r[3]! + m[4]! * r[4]! + m[5]! * r[5]!).toBeGreaterThan(0);
      expect(Math.abs(m[3]! * r[6]! + m[4]! * r[7]! + m[5]! * r[8]!)).toBeLessThan(
        1e-12 * (1 + Math.abs(m[3]!) + Math.abs(m[4]!) + Math.abs(m[5]!)),
      );
    }
  });

  it('completes degenerate input: zero row 0, row 1 parallel to row 0 or below `tiny`', () => {
    for (const m of [
      [0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 3, 0, 0, -1, 0, 0, 0],
      [1, 2, 3, 1e-20, 0, 0, 0, 0, 0],
    ]) {
      const r = Float64Array.from(m);
      orthonormalizeRows(r, 0, 1e-12);
      expectRotation(r);
    }
    const z = new Float64Array(9);
    orthonormalizeRows(z);
    expect(Array.from(z.subarray(0, 3))).toEqual([1, 0, 0]);
  });
});

describe('polar3', () => {
  it('gives the nearest rotation, and the nearest orthogonal matrix with allowReflection', () => {
    const rng = new Rng(7);
    const R = new Float64Array(9);
    const P = new Float64Array(9);
    for (let trial = 0; trial < 100; trial++) {
      const m = randomMatrix(rng);
      polar3(m, R, P);
      expectRotation(R);
      expect(maxAbsDiff(P, transpose3(new Float64Array(9), P))).toBeLessThan(1e-13);
      expect(maxAbsDiff(mul3(new Float64Array(9), R, P), m)).toBeLessThan(1e-13);
      polar3(m, R, P, true);
      expectRotation(R, Math.sign(det3(m)));
      eigSym3(P, vals, vecs);
      expect(vals[2]).toBeGreaterThan(-1e-13); // PSD
      expect(maxAbsDiff(mul3(new Float64Array(9), R, P), m)).toBeLessThan(1e-13);
    }
  });

  it('returns an exact rotation unchanged', () => {
    const Q = randomRotation(new Rng(8));
    const R = new Float64Array(9);
    polar3(Q, R);
    expect(maxAbsDiff(R, Q)).toBeLessThan(1e-15);
  });
});
