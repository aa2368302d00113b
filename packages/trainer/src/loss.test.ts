import { nd, Rng, randomRotation } from '@lfm/core';
import { createReferenceOps, refTensor } from '@lfm/core/testing';
import { createTfjsOps } from '@lfm/core/tfjs';
import { alignSimilarity, applySimilarity } from '@lfm/procrustes';
import { describe, expect, it } from 'vitest';
import {
  alignedMaskedMse,
  type LossKind,
  maskedMse,
  procrustesLossOps,
  solveProcrustesAlignment,
  solveProcrustesAlignmentOps,
} from './loss.js';
import { cpuTf } from './test-support/fixtures.js';

const tf = await cpuTf();

const B = 3;
const N = 7;

function problem(seed: number) {
  const rng = new Rng(seed);
  const pred = Float32Array.from({ length: B * N * 3 }, () => rng.normal());
  const target = Float32Array.from({ length: B * N * 3 }, () => rng.normal());
  const mask = new Float32Array(B * N).fill(1);
  for (const k of [2, 5, 8, 19]) mask[k] = 0; // sample 0: two masked, sample 1: one, sample 2: one
  for (let k = 0; k < B * N; k++) {
    if (mask[k] === 0) {
      target[3 * k] = Number.NaN;
      target[3 * k + 1] = 1e6;
    }
  }
  return { pred, target, mask };
}

/** Loss and its gradient w.r.t. pred, through the same path as training (JS solve → constants → autodiff). */
function lossAndGrad(kind: LossKind, pred: Float32Array, target: Float32Array, mask: Float32Array) {
  const ops = createTfjsOps(tf);
  const p = tf.variable(tf.tensor(pred, [B, N, 3]));
  try {
    const { value, grads } = tf.variableGrads(() => {
      const t = tf.tensor(target, [B, N, 3]);
      const m = tf.tensor(mask, [B, N]);
      if (kind === 'mse') return maskedMse(ops, p, t, m) as never;
      const a = solveProcrustesAlignment(p.dataSync() as Float32Array, target, mask, B, N);
      return alignedMaskedMse(ops, p, t, m, tf.tensor(a.R, [B, 3, 3]), tf.tensor(a.s, [B])) as never;
    }, [p]);
    const out = { loss: value.dataSync()[0]!, grad: Float32Array.from(grads[p.name]!.dataSync()) };
    value.dispose();
    grads[p.name]!.dispose();
    return out;
  } finally {
    p.dispose();
  }
}

/** The Procrustes loss in Float64 from the solver alone: mean over samples of rmsd² (what it minimises). */
function referenceLoss(pred: Float64Array | Float32Array, target: Float32Array, mask: Float32Array): number {
  const a = alignSimilarity(nd(pred, [B, N, 3]), nd(target, [B, N, 3]), { weights: nd(mask, [B, N]) });
  let sum = 0;
  for (let b = 0; b < B; b++) sum += a.rmsd.data[b]! ** 2;
  return sum / B;
}

describe('Procrustes-aligned masked MSE', () => {
  it('equals the mean squared residual the similarity alignment minimises', () => {
    const { pred, target, mask } = problem(1);
    expect(lossAndGrad('procrustes', pred, target, mask).loss).toBeCloseTo(
      referenceLoss(pred, target, mask),
      5,
    );
  });

  it('ignores masked joints: garbage there changes nothing and their gradient is exactly 0', () => {
    for (const kind of ['procrustes', 'mse'] as const) {
      const { pred, target, mask } = problem(2);
      const clean = lossAndGrad(kind, pred, target, mask);
      const dirty = pred.slice();
      for (let k = 0; k < B * N; k++) {
        if (mask[k] === 0) dirty.set([Number.NaN, 1e7, -3e5], 3 * k);
      }
      const got = lossAndGrad(kind, dirty, target, mask);
      expect(got.loss).toBe(clean.loss);
      for (let k = 0; k < B * N; k++) {
        for (let c = 0; c < 3; c++) {
          if (mask[k] === 0) expect(Math.abs(got.grad[3 * k + c]!)).toBe(0);
          else expect(got.grad[3 * k + c]).toBe(clean.grad[3 * k + c]);
        }
      }
      expect(clean.grad.some((g) => g !== 0)).toBe(true);
    }
  });

  it('is invariant to a similarity transform of the prediction', () => {
    const { pred, target, mask } = problem(3);
    // A random similarity s R p + t per sample.
    const rng = new Rng(9);
    const R = new Float64Array(9 * B);
    const scale = new Float64Array(B);
    const t = new Float64Array(3 * B);
    for (let b = 0; b < B; b++) {
      randomRotation(rng, R.subarray(9 * b, 9 * b + 9));
      scale[b] = rng.range(0.2, 5);
      for (let c = 0; c < 3; c++) t[3 * b + c] = rng.normal() * 10;
    }
    const similarity = { R: nd(R, [B, 3, 3]), s: nd(scale, [B]), t: nd(t, [B, 3]) };
    const moved = Float32Array.from(applySimilarity(similarity, nd(pred, [B, N, 3])).data);
    const a = lossAndGrad('procrustes', pred, target, mask).loss;
    const b = lossAndGrad('procrustes', moved, target, mask).loss;
    expect(Math.abs(a - b) / a).toBeLessThan(1e-5);
    // The plain MSE is not (the ablation really is different).
    expect(
      Math.abs(lossAndGrad('mse', pred, target, mask).loss - lossAndGrad('mse', moved, target, mask).loss),
    ).toBeGreaterThan(0.1);
  });

  it('has the gradient of the re-aligned loss (envelope theorem), checked by finite differences', () => {
    const { pred, target, mask } = problem(4);
    const { grad } = lossAndGrad('procrustes', pred, target, mask);
    const x = Float64Array.from(pred);
    const h = 1e-6;
    let maxErr = 0;
    let maxG = 0;
    for (let k = 0; k < x.length; k++) {
      if (mask[Math.floor(k / 3)] === 0) continue;
      const x0 = x[k]!;
      x[k] = x0 + h;
      const up = referenceLoss(x, target, mask);
      x[k] = x0 - h;
      const down = referenceLoss(x, target, mask);
      x[k] = x0;
      const fd = (up - down) / (2 * h);
      maxErr = Math.max(maxErr, Math.abs(fd - grad[k]!));
      maxG = Math.max(maxG, Math.abs(fd));
    }
    expect(maxErr / maxG).toBeLessThan(1e-4);
  });

  it('falls back to R = I, s = 1 for a degenerate (collinear) prediction instead of failing', () => {
    const { target, mask } = problem(5);
    const pred = new Float32Array(B * N * 3);
    for (let k = 0; k < B * N; k++) pred.set([k, 2 * k, 0], 3 * k); // collinear
    const a = solveProcrustesAlignment(pred, target, mask, B, N);
    expect(a.fallback).toBe(B);
    expect(Array.from(a.R.subarray(0, 9))).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Number.isFinite(lossAndGrad('procrustes', pred, target, mask).loss)).toBe(true);
  });
});

describe('the in-graph alignment (Horn quaternion by repeated squaring, written against Ops)', () => {
  const ref = createReferenceOps();
  /** Centred copies (visible mean removed, 0 at masked joints), as the loss hands them to the solver. */
  const centred = (x: Float32Array, mask: Float32Array) => {
    const out = new Float64Array(x.length);
    for (let b = 0; b < B; b++) {
      const m = [0, 0, 0];
      let n = 0;
      for (let i = 0; i < N; i++) {
        if (mask[b * N + i] === 0) continue;
        n++;
        for (let c = 0; c < 3; c++) m[c]! += x[3 * (b * N + i) + c]!;
      }
      for (let i = 0; i < N; i++) {
        if (mask[b * N + i] === 0) continue;
        for (let c = 0; c < 3; c++) out[3 * (b * N + i) + c] = x[3 * (b * N + i) + c]! - m[c]! / n;
      }
    }
    return out;
  };

  it('finds the JS solver’s R and s: random, mirrored and near-planar predictions', () => {
    const { pred, target, mask } = problem(6);
    for (let i = 0; i < N; i++) {
      // sample 1: the target is the prediction mirrored (det −1 best fit: a proper rotation must be chosen)
      const o = 3 * (N + i);
      target.set([-pred[o]!, pred[o + 1]!, pred[o + 2]!], o);
      // sample 2: a nearly planar prediction
      pred[3 * (2 * N + i) + 2]! *= 1e-3;
    }
    const want = solveProcrustesAlignment(pred, target, mask, B, N);
    const { R, s } = solveProcrustesAlignmentOps(
      ref,
      refTensor(centred(pred, mask), [B, N, 3]),
      refTensor(centred(target, mask), [B, N, 3]),
    );
    for (let k = 0; k < 9 * B; k++) expect(R.data[k]).toBeCloseTo(want.R[k]!, 6);
    for (let b = 0; b < B; b++) expect(s.data[b]).toBeCloseTo(want.s[b]!, 6);
    // …so the in-graph loss is the JS-aligned one.
    const m = refTensor(mask, [B, N]);
    const tgt = refTensor(
      Float64Array.from(target, (v, k) => (mask[Math.floor(k / 3)] ? v : 0)),
      [B, N, 3],
    );
    const loss = procrustesLossOps(ref, refTensor(pred, [B, N, 3]), tgt, m).data[0]!;
    expect(loss).toBeCloseTo(referenceLoss(pred, target, mask), 10);
  });

  it('stays finite without a fallback: a collinear prediction gets a rotation, a collapsed one R = I and s = 0', () => {
    const { target, mask } = problem(7);
    const pred = new Float32Array(B * N * 3);
    for (let k = 0; k < N; k++) pred.set([k, 2 * k, 0.5 * k], 3 * k); // sample 0 collinear; 1, 2 all zero
    const { R, s } = solveProcrustesAlignmentOps(
      ref,
      refTensor(centred(pred, mask), [B, N, 3]),
      refTensor(centred(target, mask), [B, N, 3]),
    );
    expect(Array.from(R.data).every(Number.isFinite)).toBe(true);
    // R is a rotation (any rotation about the line is optimal).
    const R0 = Array.from(R.data.subarray(0, 9));
    const RRt = [0, 1, 2].map((i) =>
      [0, 1, 2].map(
        (j) => R0[3 * i]! * R0[3 * j]! + R0[3 * i + 1]! * R0[3 * j + 1]! + R0[3 * i + 2]! * R0[3 * j + 2]!,
      ),
    );
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) expect(RRt[i]![j]).toBeCloseTo(i === j ? 1 : 0, 9);
    expect(Array.from(s.data.subarray(1))).toEqual([0, 0]);
    expect(Array.from(R.data.subarray(9, 18))).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });
});
