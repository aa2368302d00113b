import { describe, expect, it } from 'vitest';
import {
  det3,
  eigSym3,
  MOMENTS,
  mul3,
  mul3ABt,
  mul3AtB,
  polar3,
  rank2Measure3,
  rotationFromCrossCovariance,
  svd3,
  transpose3,
  weightedMoments,
} from './linalg3.js';
import { Rng } from './rng.js';

// Test-local uniform rotation (quaternion of 4 normals); core/rotation.ts is not a dependency here.
function randomRotation(rng: Rng): Float64Array {
  const q = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
  const n = Math.hypot(...q);
  const [w, x, y, z] = q.map((v) => v / n) as [number, number, number, number];
  return new Float64Array([
    1 - 2 * (y * y + z * z),
    2 * (x * y - w * z),
    2 * (x * z + w * y),
    2 * (x * y + w * z),
    1 - 2 * (x * x + z * z),
    2 * (y * z - w * x),
    2 * (x * z - w * y),
    2 * (y * z + w * x),
    1 - 2 * (x * x + y * y),
  ]);
}

function randomMatrix(rng: Rng): Float64Array {
  return rng.fillNormal(new Float64Array(9));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function diag(d: ArrayLike<number>): Float64Array {
  return new Float64Array([d[0]!, 0, 0, 0, d[1]!, 0, 0, 0, d[2]!]);
}

/** U diag(S) Vᵀ */
function compose(U: Float64Array, S: ArrayLike<number>, V: Float64Array): Float64Array {
  const out = new Float64Array(9);
  mul3(out, U, diag(S));
  return mul3ABt(out, out, V);
}

function expectRotation(R: Float64Array, det = 1, tol = 1e-12): void {
  const RtR = mul3AtB(new Float64Array(9), R, R);
  expect(maxAbsDiff(RtR, diag([1, 1, 1]))).toBeLessThan(tol);
  expect(Math.abs(det3(R) - det)).toBeLessThan(tol);
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
    const vals = new Float64Array(3);
    const vecs = new Float64Array(9);
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

  it('handles repeated eigenvalues and diagonal input', () => {
    const vals = new Float64Array(3);
    const vecs = new Float64Array(9);
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

describe('polar3', () => {
  it('gives the nearest rotation, and the nearest orthogonal matrix with allowReflection', () => {
    const rng = new Rng(7);
    const R = new Float64Array(9);
    const P = new Float64Array(9);
    const vals = new Float64Array(3);
    const vecs = new Float64Array(9);
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

describe('weightedMoments', () => {
  it('matches a naive computation and never reads masked points', () => {
    const rng = new Rng(9);
    const n = 11;
    const x = rng.fillNormal(new Float64Array(3 * n + 6), 3, 2);
    const y = rng.fillNormal(new Float64Array(3 * n + 6), -1, 1);
    const w = new Float64Array(n + 2);
    for (let i = 0; i < n + 2; i++) w[i] = i % 4 === 0 ? 0 : rng.uniform() + 0.1;
    // Garbage on masked points (offset 2 points in).
    for (let i = 0; i < n; i++) if (w[2 + i] === 0) x[6 + 3 * i] = Number.NaN;
    const out = new Float64Array(MOMENTS.size + 1);
    const count = weightedMoments(x, 6, y, 6, w, 2, n, out, 1);
    let W = 0;
    let cnt = 0;
    const mx = [0, 0, 0];
    const my = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const wi = w[2 + i]!;
      if (wi === 0) continue;
      W += wi;
      cnt++;
      for (let k = 0; k < 3; k++) {
        mx[k]! += wi * x[6 + 3 * i + k]!;
        my[k]! += wi * y[6 + 3 * i + k]!;
      }
    }
    for (let k = 0; k < 3; k++) {
      mx[k] = mx[k]! / W;
      my[k] = my[k]! / W;
    }
    const M = new Float64Array(9);
    let gx = 0;
    let gy = 0;
    for (let i = 0; i < n; i++) {
      const wi = w[2 + i]!;
      if (wi === 0) continue;
      for (let a = 0; a < 3; a++) {
        const xa = x[6 + 3 * i + a]! - mx[a]!;
        gx += wi * xa * xa;
        const ya = y[6 + 3 * i + a]! - my[a]!;
        gy += wi * ya * ya;
        for (let b = 0; b < 3; b++) M[3 * a + b] = M[3 * a + b]! + wi * xa * (y[6 + 3 * i + b]! - my[b]!);
      }
    }
    expect(count).toBe(cnt);
    expect(out[1 + MOMENTS.weight]).toBeCloseTo(W, 12);
    expect(maxAbsDiff(out.subarray(1 + MOMENTS.meanX, 1 + MOMENTS.meanX + 3), mx)).toBeLessThan(1e-12);
    expect(maxAbsDiff(out.subarray(1 + MOMENTS.meanY, 1 + MOMENTS.meanY + 3), my)).toBeLessThan(1e-12);
    expect(maxAbsDiff(out.subarray(1 + MOMENTS.cov, 1 + MOMENTS.cov + 9), M)).toBeLessThan(1e-11);
    expect(out[1 + MOMENTS.gx]).toBeCloseTo(gx, 10);
    expect(out[1 + MOMENTS.gy]).toBeCloseTo(gy, 10);
    expect(Number.isFinite(out[1 + MOMENTS.gx]! + out[1 + MOMENTS.gy]!)).toBe(true);
  });

  it('returns 0 and zeros for an all-masked sample; NaN on a visible point shows in the sums', () => {
    const out = new Float64Array(MOMENTS.size).fill(7);
    const x = new Float64Array([Number.NaN, 0, 0, 1, 1, 1]);
    expect(weightedMoments(x, 0, x, 0, new Uint8Array([0, 0]), 0, 2, out)).toBe(0);
    expect(out.every((v) => v === 0)).toBe(true);
    expect(weightedMoments(x, 0, x, 0, undefined, 0, 2, out)).toBe(2);
    expect(Number.isFinite(out[MOMENTS.gx]! + out[MOMENTS.gy]!)).toBe(false);
  });
});

describe('rank2Measure3', () => {
  it('is ~0 for rank < 2 and O(σ₂/σ₁) otherwise', () => {
    const rng = new Rng(10);
    const A = randomRotation(rng);
    const B = randomRotation(rng);
    expect(rank2Measure3(compose(A, [5, 0, 0], B))).toBeLessThan(1e-15);
    expect(rank2Measure3(new Float64Array(9))).toBe(0);
    const r = rank2Measure3(compose(A, [1, 1e-3, 0], B));
    expect(r).toBeGreaterThan(1e-3 / 3);
    expect(r).toBeLessThan(1e-3 * Math.sqrt(3));
    expect(rank2Measure3(diag([1, 1, 1]))).toBeCloseTo(1 / Math.sqrt(3), 12);
  });
});

describe('rotationFromCrossCovariance (QCP)', () => {
  const R = new Float64Array(9);
  const U = new Float64Array(9);
  const S = new Float64Array(3);
  const V = new Float64Array(9);
  const mom = new Float64Array(MOMENTS.size);

  /** Reference via the SVD: M = U S Vᵀ ⇒ argmax tr(RM) = V diag(1,1,±1) Uᵀ; max = S₀ + S₁ ± |S₂|. */
  function reference(m: ArrayLike<number>, allowReflection: boolean): { R: Float64Array; lambda: number } {
    svd3(m, U, S, V);
    const flip = allowReflection && S[2]! < 0 ? -1 : 1;
    const Rr = new Float64Array(9);
    mul3ABt(Rr, mul3(new Float64Array(9), V, diag([1, 1, flip])), U);
    return { R: Rr, lambda: S[0]! + S[1]! + flip * S[2]! };
  }

  function sample(
    rng: Rng,
    n: number,
    opts: { flat?: number; mirror?: boolean; noise?: number; scale?: number },
  ) {
    const x = new Float64Array(3 * n);
    const y = new Float64Array(3 * n);
    const Q = randomRotation(rng);
    const s = opts.scale ?? 1.7;
    for (let i = 0; i < n; i++) {
      x[3 * i] = rng.normal();
      x[3 * i + 1] = rng.normal();
      x[3 * i + 2] = (opts.flat ?? 1) * rng.normal();
      const z = (opts.mirror ? -1 : 1) * x[3 * i + 2]!;
      for (let r = 0; r < 3; r++) {
        y[3 * i + r] =
          s * (Q[3 * r]! * x[3 * i]! + Q[3 * r + 1]! * x[3 * i + 1]! + Q[3 * r + 2]! * z) +
          10 * (r + 1) +
          (opts.noise ?? 0) * rng.normal();
      }
    }
    weightedMoments(x, 0, y, 0, undefined, 0, n, mom);
    return Q;
  }

  it('recovers exact rotations (1e-12) and agrees with the SVD under noise', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 300; trial++) {
      const noise = trial % 2 === 0 ? 0 : 0.3;
      const Q = sample(rng, 3 + (trial % 30), { noise });
      const lambda = rotationFromCrossCovariance(
        mom,
        MOMENTS.cov,
        mom[MOMENTS.gx]!,
        mom[MOMENTS.gy]!,
        false,
        R,
      );
      expectRotation(R);
      const ref = reference(mom.subarray(MOMENTS.cov), false);
      expect(maxAbsDiff(R, ref.R)).toBeLessThan(1e-9);
      expect(Math.abs(lambda - ref.lambda) / ref.lambda).toBeLessThan(1e-13);
      if (noise === 0) expect(maxAbsDiff(R, Q)).toBeLessThan(1e-12);
    }
  });

  it('returns a proper rotation for reflected data, and the reflection when allowed', () => {
    const rng = new Rng(12);
    for (let trial = 0; trial < 100; trial++) {
      const Q = sample(rng, 17, { mirror: true, flat: trial % 3 === 0 ? 0 : 1 });
      const gx = mom[MOMENTS.gx]!;
      const gy = mom[MOMENTS.gy]!;
      const lambda = rotationFromCrossCovariance(mom, MOMENTS.cov, gx, gy, false, R);
      expectRotation(R, 1);
      const ref = reference(mom.subarray(MOMENTS.cov), false);
      expect(Math.abs(lambda - ref.lambda) / ref.lambda).toBeLessThan(1e-12);
      const lambdaRefl = rotationFromCrossCovariance(mom, MOMENTS.cov, gx, gy, true, R);
      if (trial % 3 !== 0) {
        // Non-planar mirrored data: the improper fit is exact, Q·diag(1,1,−1).
        expectRotation(R, -1);
        expect(maxAbsDiff(R, mul3(new Float64Array(9), Q, diag([1, 1, -1])))).toBeLessThan(1e-12);
        expect(lambdaRefl).toBeGreaterThan(lambda);
      } else {
        // Planar data: mirroring is a rotation, both fits are exact.
        expect(Math.abs(lambdaRefl - lambda) / lambda).toBeLessThan(1e-12);
      }
      // SSE at the optimum: similarity gy − λ²/gx ≈ 0 for an exact fit.
      expect(gy - (lambdaRefl * lambdaRefl) / gx).toBeLessThan(1e-9 * gy);
    }
  });

  it('is exact on planar and near-planar sets', () => {
    const rng = new Rng(13);
    for (const flat of [0, 1e-9, 1e-5]) {
      for (let trial = 0; trial < 30; trial++) {
        const Q = sample(rng, 17, { flat });
        rotationFromCrossCovariance(mom, MOMENTS.cov, mom[MOMENTS.gx]!, mom[MOMENTS.gy]!, false, R);
        expect(maxAbsDiff(R, Q)).toBeLessThan(1e-11);
      }
    }
  });

  it('handles structured rotations (identity, half-turns) where quaternion components vanish', () => {
    const x = new Float64Array([1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1, 1]);
    const turns = [
      diag([1, 1, 1]),
      diag([1, -1, -1]),
      diag([-1, 1, -1]),
      diag([-1, -1, 1]),
      new Float64Array([0, -1, 0, 1, 0, 0, 0, 0, 1]),
      new Float64Array([0, 1, 0, 1, 0, 0, 0, 0, -1]),
    ];
    for (const Q of turns) {
      const y = new Float64Array(12);
      for (let i = 0; i < 4; i++) {
        for (let r = 0; r < 3; r++) {
          y[3 * i + r] =
            Q[3 * r]! * x[3 * i]! + Q[3 * r + 1]! * x[3 * i + 1]! + Q[3 * r + 2]! * x[3 * i + 2]!;
        }
      }
      weightedMoments(x, 0, y, 0, undefined, 0, 4, mom);
      rotationFromCrossCovariance(mom, MOMENTS.cov, mom[MOMENTS.gx]!, mom[MOMENTS.gy]!, false, R);
      expect(maxAbsDiff(R, Q)).toBeLessThan(1e-14);
    }
  });

  it('gives the identity for degenerate input instead of NaN', () => {
    const M = new Float64Array(9);
    expect(rotationFromCrossCovariance(M, 0, 0, 5, false, R)).toBe(0);
    expect(Array.from(R)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(rotationFromCrossCovariance(M, 0, 3, 5, false, R)).toBe(0);
    expectRotation(R);
    // Rank 1 (collinear): some optimal rotation, finite.
    const m1 = compose(randomRotation(new Rng(14)), [2, 0, 0], randomRotation(new Rng(15)));
    const lambda = rotationFromCrossCovariance(m1, 0, 4, 4, false, R);
    expectRotation(R);
    expect(lambda).toBeCloseTo(2, 12);
  });
});
