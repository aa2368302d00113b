import { det3, nd, Rng } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { poseErrors } from './metrics.js';
import { nrsfm } from './nrsfm.js';
import { randomMask, randomPoints, randomRotation } from './testing.js';

/**
 * S views of shapes Σ_k c_sk B_k (K random bases; c_s0 = 1, the others N(0, spread²)), each turned by
 * a uniform random rotation and scaled by s ∈ [0.5, 2], projected orthographically.
 */
function lowRankViews(rng: Rng, S: number, J: number, K: number, spread: number) {
  const bases = Array.from({ length: K }, () => randomPoints(rng, J));
  const truth = new Float64Array(S * J * 3); // camera frame
  const points2d = new Float64Array(S * J * 2);
  const R = new Float64Array(9);
  for (let s = 0; s < S; s++) {
    const c = bases.map((_, k) => (k === 0 ? 1 : spread * rng.normal()));
    randomRotation(rng, R);
    const scale = 0.5 + 1.5 * rng.uniform();
    for (let j = 0; j < J; j++) {
      const x = [0, 1, 2].map((d) => bases.reduce((sum, b, k) => sum + c[k]! * b[3 * j + d]!, 0));
      for (let d = 0; d < 3; d++) {
        const v = scale * (R[3 * d]! * x[0]! + R[3 * d + 1]! * x[1]! + R[3 * d + 2]! * x[2]!);
        truth[3 * (s * J + j) + d] = v;
        if (d < 2) points2d[2 * (s * J + j) + d] = v + 7 * (d + 1); // an offset per view: NRSfM centres
      }
    }
  }
  return { truth, points2d };
}

/** nPA-MPJPE of the reconstruction, strict and with the one global mirror that fits better. */
function scores(shapes: Float64Array, truth: Float64Array, mask: Uint8Array, S: number, J: number) {
  const e = poseErrors(nd(shapes, [S, J, 3]), nd(truth, [S, J, 3]), nd(Float64Array.from(mask), [S, J]), {
    flipBest: true,
  });
  return { strict: e.nPaMpjpe.mean, setFlip: Math.min(e.nPaMpjpe.mean, e.mirrored!.nPaMpjpe.mean) };
}

describe('nrsfm: low-rank structure from motion from 2D alone', () => {
  it('recovers a rigid shape from its views (rank 1) up to the global mirror, to round-off', () => {
    const rng = new Rng(11);
    const S = 40;
    const J = 9;
    const { truth, points2d } = lowRankViews(rng, S, J, 1, 0);
    const mask = new Uint8Array(S * J).fill(1);
    const r = nrsfm(points2d, mask, S, J, { rank: 1, iterations: 30 });
    expect(r.reprojectionRms).toBeLessThan(1e-6);
    expect(scores(r.shapes, truth, mask, S, J).setFlip).toBeLessThan(1e-6);
    // The cameras are proper rotations (a reflection would mirror single views).
    for (let s = 0; s < S; s++) expect(det3(r.rotations, 9 * s)).toBeCloseTo(1, 10);
  });

  it('recovers a rank-3 deforming shape (depth the 2D does not show) far better than the flat guess', () => {
    const rng = new Rng(5);
    const S = 300;
    const J = 15;
    const { truth, points2d } = lowRankViews(rng, S, J, 3, 0.3);
    const mask = new Uint8Array(S * J).fill(1);
    const flat = new Float64Array(S * J * 3);
    for (let i = 0; i < S * J; i++) [flat[3 * i], flat[3 * i + 1]] = [points2d[2 * i]!, points2d[2 * i + 1]!];
    const flatScore = scores(flat, truth, mask, S, J).setFlip;
    const r = nrsfm(points2d, mask, S, J, { rank: 3, iterations: 200, ridge: 0 });
    const got = scores(r.shapes, truth, mask, S, J).setFlip;
    expect(flatScore).toBeGreaterThan(0.2);
    expect(got).toBeLessThan(0.05);
    expect(r.reprojectionRms).toBeLessThan(0.2 * r.rigidRms);
    // Too small a basis cannot explain the deformation: the rigid fit leaves a residual.
    expect(nrsfm(points2d, mask, S, J, { rank: 1, iterations: 50 }).reprojectionRms).toBeGreaterThan(
      5 * r.reprojectionRms,
    );
  });

  it('fits the visible points only: masked points change nothing about the others', () => {
    const rng = new Rng(8);
    const S = 60;
    const J = 10;
    const { truth, points2d } = lowRankViews(rng, S, J, 1, 0);
    const mask = randomMask(rng, S, J, 5, 0.7);
    const poisoned = points2d.map((v, i) => (mask[i >> 1]! > 0 ? v : Number.NaN));
    const r = nrsfm(poisoned, mask, S, J, { rank: 1, iterations: 60 });
    expect(r.reprojectionRms).toBeLessThan(1e-5);
    expect(scores(r.shapes, truth, mask, S, J).setFlip).toBeLessThan(1e-4);
    for (let i = 0; i < S * J; i++)
      if (!mask[i]) expect(r.shapes.subarray(3 * i, 3 * i + 3)).toEqual(new Float64Array(3));
  });

  it('predicts where a masked point is seen (predicted2d), and reproduces the visible ones', () => {
    const rng = new Rng(9);
    const S = 60;
    const J = 10;
    const { points2d } = lowRankViews(rng, S, J, 1, 0);
    const mask = randomMask(rng, S, J, 5, 0.7);
    const poisoned = points2d.map((v, i) => (mask[i >> 1]! > 0 ? v : Number.NaN));
    const r = nrsfm(poisoned, mask, S, J, { rank: 1, iterations: 60 });
    let hidden = 0;
    for (let i = 0; i < S * J; i++) {
      if (!mask[i]) hidden++;
      for (let d = 0; d < 2; d++) expect(r.predicted2d[2 * i + d]).toBeCloseTo(points2d[2 * i + d]!, 4);
    }
    expect(hidden).toBeGreaterThan(0.1 * S * J);
    // A deforming shape fitted with too small a basis mispredicts its hidden points.
    const def = lowRankViews(rng, 200, 12, 3, 0.4);
    const m2 = randomMask(rng, 200, 12, 5, 0.85);
    const held = (rank: number) => {
      const f = nrsfm(def.points2d, m2, 200, 12, { rank, iterations: 150, ridge: 0 });
      let e = 0;
      let n = 0;
      for (let i = 0; i < 200 * 12; i++) {
        if (m2[i]) continue;
        e += (f.predicted2d[2 * i]! - def.points2d[2 * i]!) ** 2;
        e += (f.predicted2d[2 * i + 1]! - def.points2d[2 * i + 1]!) ** 2;
        n++;
      }
      return Math.sqrt(e / n);
    };
    expect(held(3)).toBeLessThan(0.3 * held(1));
  });

  it('rejects bad input with one-line errors', () => {
    const p = new Float64Array(2 * 4 * 2);
    const m = new Uint8Array(2 * 4).fill(1);
    expect(() => nrsfm(p, m, 2, 4, { rank: 0 })).toThrow(/rank must be an integer in 1\.\.32, got 0/);
    expect(() => nrsfm(p, m, 1, 4)).toThrow(/needs ≥ 2 views of ≥ 3 points/);
    expect(() => nrsfm(p.subarray(1), m, 2, 4)).toThrow(/must hold S·J·2 = 16/);
    const few = m.slice();
    few.fill(0, 4, 6);
    expect(() => nrsfm(p, few, 2, 4)).toThrow(/view 1 has 2 visible point\(s\), needs ≥ 3/);
    const bad = p.slice();
    bad[3] = Number.POSITIVE_INFINITY;
    expect(() => nrsfm(bad, m, 2, 4)).toThrow(/view 0 has a non-finite 2D point at joint 1/);
  });
});
