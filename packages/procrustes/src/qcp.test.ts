import { mul3, mul3ABt, Rng, randomRotation, svd3 } from '@lfm/core';
import { composeSvd3 as compose, diag3 as diag, maxAbsDiff, orthogonalityError } from '@lfm/core/testing';
import { describe, expect, it } from 'vitest';
import { MOMENTS, rank2Measure3, rotationFromCrossCovariance, weightedMoments } from './qcp.js';

function expectRotation(R: Float64Array, det = 1, tol = 1e-12): void {
  expect(orthogonalityError(R, det)).toBeLessThan(tol);
}

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
