import { DegenerateError, InputError, mul3ABt, type NdArray, nd, Rng, ShapeError, svd3 } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { mpjpe, nPaMpjpe, paMpjpe, poseErrors } from './metrics.js';
import { pickVisible, poisonMasked, randomRotation } from './testing.js';

function randomPoses(rng: Rng, B: number, N: number): NdArray<Float64Array> {
  return nd(rng.fillNormal(new Float64Array(B * N * 3)), [B, N, 3]);
}

/** Per-sample random similarity applied to every point: s R p + t. */
function transformEach(rng: Rng, p: NdArray<Float64Array>, mirror = false): NdArray<Float64Array> {
  const [B, N] = p.shape as [number, number, number];
  const out = new Float64Array(p.data.length);
  for (let b = 0; b < B; b++) {
    const R = randomRotation(rng);
    const s = rng.range(0.1, 10);
    const t = [rng.normal() * 100, rng.normal() * 100, rng.normal() * 100];
    for (let i = 0; i < N; i++) {
      const o = 3 * (b * N + i);
      const z = mirror ? -p.data[o + 2]! : p.data[o + 2]!;
      for (let r = 0; r < 3; r++) {
        out[o + r] =
          s * (R[3 * r]! * p.data[o]! + R[3 * r + 1]! * p.data[o + 1]! + R[3 * r + 2]! * z) + t[r]!;
      }
    }
  }
  return nd(out, p.shape);
}

/** Independent PA-MPJPE of one sample: Umeyama via the SVD with the det correction. */
function referencePa(pred: Float64Array, gt: Float64Array): number {
  const n = pred.length / 3;
  const mp = [0, 0, 0];
  const mg = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      mp[k] = mp[k]! + pred[3 * i + k]! / n;
      mg[k] = mg[k]! + gt[3 * i + k]! / n;
    }
  }
  const M = new Float64Array(9); // Σ g pᵀ (target × source)
  let vp = 0;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) {
      vp += (pred[3 * i + a]! - mp[a]!) ** 2;
      for (let b = 0; b < 3; b++)
        M[3 * a + b] = M[3 * a + b]! + (gt[3 * i + a]! - mg[a]!) * (pred[3 * i + b]! - mp[b]!);
    }
  }
  const U = new Float64Array(9);
  const S = new Float64Array(3);
  const V = new Float64Array(9);
  svd3(M, U, S, V); // signed SVD: U, V proper, so R = U Vᵀ is the best rotation and max Σ gᵀRp = ΣS
  const R = mul3ABt(new Float64Array(9), U, V);
  const s = (S[0]! + S[1]! + S[2]!) / vp;
  let err = 0;
  for (let i = 0; i < n; i++) {
    const d = [0, 0, 0];
    for (let a = 0; a < 3; a++) {
      let v = 0;
      for (let b = 0; b < 3; b++) v += R[3 * a + b]! * (pred[3 * i + b]! - mp[b]!);
      d[a] = s * v - (gt[3 * i + a]! - mg[a]!);
    }
    err += Math.hypot(d[0]!, d[1]!, d[2]!);
  }
  return err / n;
}

describe('mpjpe', () => {
  it('is the mean joint distance over visible joints', () => {
    const gt = nd(new Float64Array(2 * 3 * 3), [2, 3, 3]);
    const pred = nd(new Float64Array(2 * 3 * 3), [2, 3, 3]);
    // sample 0: every joint off by (3, 4, 0) → 5; sample 1: joint errors 1, 2, 100 with the 100 masked.
    for (let j = 0; j < 3; j++) {
      pred.data[3 * j] = 3;
      pred.data[3 * j + 1] = 4;
    }
    pred.data[9] = 1;
    pred.data[12 + 1] = 2;
    pred.data[15 + 2] = 100;
    const mask = nd(new Uint8Array([1, 1, 1, 1, 1, 0]), [2, 3]);
    const r = mpjpe(pred, gt, mask);
    expect(Array.from(r.perSample)).toEqual([5, 1.5]);
    expect(r.mean).toBe(3.25);
  });
});

describe('paMpjpe / nPaMpjpe', () => {
  it('matches an independent SVD-based Umeyama implementation', () => {
    const rng = new Rng(1);
    const gt = randomPoses(rng, 20, 17);
    const pred = randomPoses(rng, 20, 17);
    const r = paMpjpe(pred, gt);
    for (let b = 0; b < 20; b++) {
      const ref = referencePa(pred.data.slice(51 * b, 51 * (b + 1)), gt.data.slice(51 * b, 51 * (b + 1)));
      expect(r.perSample[b]).toBeCloseTo(ref, 10);
    }
  });

  it('is 0 for a similarity-transformed ground truth and invariant to transforming the prediction', () => {
    const rng = new Rng(2);
    const gt = randomPoses(rng, 16, 17);
    const exact = paMpjpe(transformEach(rng, gt), gt);
    for (const v of exact.perSample) expect(v).toBeLessThan(1e-9);
    const pred = randomPoses(rng, 16, 17);
    const base = paMpjpe(pred, gt);
    const moved = paMpjpe(transformEach(rng, pred), gt);
    for (let b = 0; b < 16; b++)
      expect(Math.abs(moved.perSample[b]! - base.perSample[b]!)).toBeLessThan(1e-9);
    expect(base.mean).toBeGreaterThan(0.1);
  });

  it('fits a rotation (det +1): a mirrored prediction is not a perfect score', () => {
    const rng = new Rng(3);
    const gt = randomPoses(rng, 8, 17);
    const r = paMpjpe(transformEach(rng, gt, true), gt);
    for (const v of r.perSample) expect(v).toBeGreaterThan(0.05);
  });

  it('nPA-MPJPE is PA-MPJPE over the visible ground-truth RMS radius, and scale-free', () => {
    const rng = new Rng(4);
    const gt = randomPoses(rng, 6, 10);
    const pred = randomPoses(rng, 6, 10);
    const mask = nd(
      new Uint8Array(60).map((_, i) => (i % 10 === 3 ? 0 : 1)),
      [6, 10],
    );
    const pa = paMpjpe(pred, gt, mask);
    const npa = nPaMpjpe(pred, gt, mask);
    for (let b = 0; b < 6; b++) {
      let c = [0, 0, 0];
      let n = 0;
      for (let j = 0; j < 10; j++) {
        if (j === 3) continue;
        n++;
        c = c.map((v, k) => v + gt.data[3 * (b * 10 + j) + k]!);
      }
      c = c.map((v) => v / n);
      let r2 = 0;
      for (let j = 0; j < 10; j++) {
        if (j === 3) continue;
        for (let k = 0; k < 3; k++) r2 += (gt.data[3 * (b * 10 + j) + k]! - c[k]!) ** 2 / n;
      }
      expect(npa.perSample[b]).toBeCloseTo(pa.perSample[b]! / Math.sqrt(r2), 12);
    }
    const big = (a: NdArray<Float64Array>) =>
      nd(
        a.data.map((v) => v * 1000),
        a.shape,
      );
    const npaBig = nPaMpjpe(big(pred), big(gt), mask);
    const paBig = paMpjpe(big(pred), big(gt), mask);
    for (let b = 0; b < 6; b++) {
      expect(npaBig.perSample[b]).toBeCloseTo(npa.perSample[b]!, 10);
      expect(paBig.perSample[b]! / pa.perSample[b]!).toBeCloseTo(1000, 8);
    }
    const all = poseErrors(pred, gt, mask);
    expect(all.paMpjpe.mean).toBeCloseTo(pa.mean, 14);
    expect(all.nPaMpjpe.mean).toBeCloseTo(npa.mean, 14);
    expect(all.mpjpe.mean).toBeCloseTo(mpjpe(pred, gt, mask).mean, 14);
  });

  it('masked joints never influence anything, NaN there included', () => {
    const rng = new Rng(5);
    const B = 5;
    const N = 12;
    const gt = randomPoses(rng, B, N);
    const pred = randomPoses(rng, B, N);
    const maskData = new Float32Array(B * N).map(() => (rng.uniform() < 0.3 ? 0 : 1));
    for (let b = 0; b < B; b++) maskData.fill(1, b * N, b * N + 3);
    const mask = nd(maskData, [B, N]);
    const dirty = (a: NdArray<Float64Array>, v: number) => poisonMasked(a, maskData, v);
    for (const fn of [mpjpe, paMpjpe, nPaMpjpe]) {
      const clean = fn(pred, gt, mask);
      const nan = fn(dirty(pred, Number.NaN), dirty(gt, Number.POSITIVE_INFINITY), mask);
      const huge = fn(dirty(pred, 1e30), dirty(gt, -1e30), mask);
      expect(Array.from(nan.perSample)).toEqual(Array.from(clean.perSample));
      expect(Array.from(huge.perSample)).toEqual(Array.from(clean.perSample));
    }
    // And equal to computing on the visible joints alone.
    for (let b = 0; b < B; b++) {
      expect(paMpjpe(pickVisible(pred, maskData, b), pickVisible(gt, maskData, b)).perSample[0]).toBeCloseTo(
        paMpjpe(pred, gt, mask).perSample[b]!,
        12,
      );
    }
  });

  it('accepts Float32 input', () => {
    const rng = new Rng(6);
    const gt = randomPoses(rng, 4, 17);
    const pred = transformEach(rng, gt);
    const r = paMpjpe(nd(Float32Array.from(pred.data), pred.shape), nd(Float32Array.from(gt.data), gt.shape));
    for (const v of r.perSample) expect(v).toBeLessThan(1e-4);
  });

  it('scores a collapsed prediction finitely (as the gt spread about its centroid)', () => {
    const rng = new Rng(7);
    const gt = randomPoses(rng, 1, 8);
    const pred = nd(new Float64Array(24).fill(3), [1, 8, 3]);
    const r = paMpjpe(pred, gt);
    let c = [0, 0, 0];
    for (let j = 0; j < 8; j++) c = c.map((v, k) => v + gt.data[3 * j + k]! / 8);
    let want = 0;
    for (let j = 0; j < 8; j++) want += Math.hypot(...c.map((v, k) => gt.data[3 * j + k]! - v)) / 8;
    expect(r.perSample[0]).toBeCloseTo(want, 12);
    // A collinear prediction is finite too.
    const line = nd(
      new Float64Array(24).map((_, i) => (i % 3 === 0 ? i : 0)),
      [1, 8, 3],
    );
    expect(Number.isFinite(paMpjpe(line, gt).mean)).toBe(true);
  });
});

describe('metric errors', () => {
  const rng = new Rng(8);
  const gt = randomPoses(rng, 3, 5);
  const pred = randomPoses(rng, 3, 5);

  it('rejects mismatched shapes', () => {
    expect(() => paMpjpe(randomPoses(rng, 3, 6), gt)).toThrow(ShapeError);
    expect(() => mpjpe(pred, gt, nd(new Uint8Array(12), [3, 4]))).toThrow(ShapeError);
    expect(() => mpjpe(nd(new Float64Array(30), [3, 5, 2]), gt)).toThrow(ShapeError);
  });

  it('names the sample and joint of a non-finite visible coordinate', () => {
    const bad = nd(pred.data.slice(), pred.shape);
    bad.data[3 * (5 + 2) + 1] = Number.NaN;
    for (const fn of [mpjpe, paMpjpe, nPaMpjpe]) {
      expect(() => fn(bad, gt)).toThrow(InputError);
      expect(() => fn(bad, gt)).toThrow(/sample 1, joint 2: pred/);
    }
  });

  it('rejects all-masked samples and too few joints for alignment', () => {
    const mask = nd(new Uint8Array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0]), [3, 5]);
    expect(() => mpjpe(pred, gt, mask)).toThrow(DegenerateError);
    expect(() => mpjpe(pred, gt, mask)).toThrow(/sample 1/);
    mask.data.fill(1, 5, 10);
    expect(() => paMpjpe(pred, gt, mask)).toThrow(InputError);
    expect(() => paMpjpe(pred, gt, mask)).toThrow(/sample 2: only 2 visible/);
    expect(Number.isFinite(mpjpe(pred, gt, mask).mean)).toBe(true);
  });

  it('rejects an empty batch', () => {
    const empty = nd(new Float64Array(0), [0, 5, 3]);
    expect(() => mpjpe(empty, empty)).toThrow(InputError);
  });

  it('rejects a zero ground-truth radius for nPA-MPJPE', () => {
    const flat = nd(new Float64Array(45).fill(1), [3, 5, 3]);
    expect(() => nPaMpjpe(pred, flat)).toThrow(DegenerateError);
  });
});

describe('poseErrors flipBest', () => {
  it('scores a mirrored prediction as perfect flip-best but not strict, and never worse than strict', () => {
    const rng = new Rng(4);
    const B = 3;
    const N = 9;
    const gt = Float64Array.from({ length: B * N * 3 }, () => rng.normal());
    // Sample 0: the mirror image of gt (x → −x, any reflection); 1: gt itself; 2: noise.
    const pred = gt.slice();
    for (let j = 0; j < N; j++) pred[3 * j] = -pred[3 * j]!;
    for (let i = 2 * N * 3; i < 3 * N * 3; i++) pred[i] = rng.normal();
    const e = poseErrors(nd(pred, [B, N, 3]), nd(gt, [B, N, 3]), undefined, { flipBest: true });
    expect(e.nPaMpjpe.perSample[0]).toBeGreaterThan(0.1);
    expect(e.flipBest!.nPaMpjpe.perSample[0]).toBeLessThan(1e-9);
    expect(e.flipBest!.nPaMpjpe.perSample[1]).toBeLessThan(1e-9);
    for (let b = 0; b < B; b++) {
      expect(e.flipBest!.paMpjpe.perSample[b]).toBeLessThanOrEqual(e.paMpjpe.perSample[b]! + 1e-12);
    }
    // The mirror image's own errors: sample 0's mirror is gt (0), sample 1's mirror is not (> 0.1).
    expect(e.mirrored!.nPaMpjpe.perSample[0]).toBeLessThan(1e-9);
    expect(e.mirrored!.nPaMpjpe.perSample[1]).toBeGreaterThan(0.1);
    for (let b = 0; b < B; b++) {
      expect(e.flipBest!.paMpjpe.perSample[b]).toBeCloseTo(
        Math.min(e.paMpjpe.perSample[b]!, e.mirrored!.paMpjpe.perSample[b]!),
        12,
      );
    }
    expect(poseErrors(nd(pred, [B, N, 3]), nd(gt, [B, N, 3])).flipBest).toBeUndefined();
    expect(poseErrors(nd(pred, [B, N, 3]), nd(gt, [B, N, 3])).mirrored).toBeUndefined();
  });
});
