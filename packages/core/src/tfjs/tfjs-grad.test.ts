import * as tf from '@tensorflow/tfjs-core';
// Register every kernel's gradient (tfjs-core ships them separately from the kernels).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { LfmError } from '../errors.js';
import { type Ops, type Params, paramsFromRecord } from '../ops.js';
import { Rng } from '../rng.js';
import {
  createReferenceOps,
  encoderBlock,
  permutationError,
  permutePoints,
  type RefTensor as Ref,
  randomFloat32 as randn,
  randomEncoderBlock,
  refTensor as ref,
  worstRelativeError,
} from '../testing/index.js';
import { assertTfjsGradients, createTfjsOps, createTfjsParams, type Tensor } from './index.js';

// tfjs autodiff through Ops<T> programs: a composite loss against Float64 central differences, masks,
// customGrad, stopGradient, no leaks; and a model written once against Ops<T> on both engines.

const ops = createTfjsOps(tf);
const refOps = createReferenceOps();

beforeAll(async () => {
  tf.enableProdMode();
  expect(await tf.setBackend('cpu')).toBe(true);
});

type Input = readonly [Float32Array, readonly number[]];
const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  const { worst, at } = worstRelativeError(got, want);
  expect(worst, `worst at ${at}: got ${got[at]}, want ${want[at]}`).toBeLessThanOrEqual(tol);
}

const D_IN = 3;
const D = 8;
const D_OUT = 3;
const COMPOSITE_SHAPES: Record<string, number[]> = {
  w1: [D_IN, D],
  b1: [D],
  ln_g: [D],
  ln_b: [D],
  wq: [D, D],
  wk: [D, D],
  bk: [D],
  wv: [D, D],
  wo: [D, D_OUT],
  bo: [D_OUT],
};

/** Additive key-padding bias from mask [B, N]: 0 where present, −1e9 where absent → [B, 1, N]. */
function keyBias<T>(o: Ops<T>, mask: T): T {
  return o.expandDims(o.mul(o.sub(mask, 1), 1e9), 1);
}

/** Masked MSE over points: Σ mask·‖y − target‖² / (C·Σ mask), y and target [B, N, C], mask [B, N]. */
function maskedMse<T>(o: Ops<T>, y: T, target: T, mask: T): T {
  const c = o.shape(y).at(-1)!;
  const d = o.sub(y, target);
  const perPoint = o.reduceSum(o.mul(d, d), -1);
  return o.div(o.reduceSum(o.mul(perPoint, mask)), o.mul(o.reduceSum(mask), c));
}

/** linear → layerNorm → gelu → single-head attention softmax(QKᵀ/√D + mask)V → linear → masked MSE. */
function compositeLoss<T>(o: Ops<T>, p: Params<T>, x: T, mask: T, target: T): T {
  const P = (name: string) => p.get(name, COMPOSITE_SHAPES[name]!);
  const h = o.gelu(o.layerNorm(o.linear(x, P('w1'), P('b1')), P('ln_g'), P('ln_b')));
  const q = o.linear(h, P('wq'));
  const k = o.linear(h, P('wk'), P('bk'));
  const v = o.linear(h, P('wv'));
  const scores = o.add(o.mul(o.matMul(q, k, { transposeB: true }), 1 / Math.sqrt(D)), keyBias(o, mask));
  const y = o.linear(o.matMul(o.softmax(scores), v), P('wo'), P('bo'));
  return maskedMse(o, y, target, mask);
}

interface Problem {
  params: Record<string, Float32Array>;
  x: Input;
  mask: Input;
  target: Input;
}

function makeProblem(seed: number, B = 2, N = 5): Problem {
  const rng = new Rng(seed);
  const params: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(COMPOSITE_SHAPES)) {
    const fanIn = shape.length === 2 ? shape[0]! : 1;
    params[name] =
      name === 'ln_g'
        ? Float32Array.from(randn(rng, shape, 0.2), (v) => 1 + v)
        : randn(rng, shape, 1 / Math.sqrt(fanIn));
  }
  const mask = new Float32Array(B * N).fill(1);
  mask[N - 1] = 0; // sample 0: last point absent
  mask[N + 1] = 0; // sample 1: point 1 absent
  return {
    params,
    x: [randn(rng, [B, N, D_IN]), [B, N, D_IN]],
    mask: [mask, [B, N]],
    target: [randn(rng, [B, N, D_OUT]), [B, N, D_OUT]],
  };
}

function refLoss(pr: Problem, params: Record<string, Float64Array>): number {
  const record: Record<string, Ref> = {};
  for (const [n, d] of Object.entries(params)) record[n] = { data: d, shape: COMPOSITE_SHAPES[n]! };
  const y = compositeLoss(
    refOps,
    paramsFromRecord(record, (t) => t.shape),
    ref(...pr.x),
    ref(...pr.mask),
    ref(...pr.target),
  );
  expect(y.shape).toEqual([]);
  return y.data[0]!;
}

let varCounter = 0;
function tfjsLossAndGrads(pr: Problem): { loss: number; grads: Record<string, Float32Array> } {
  const tag = `composite${varCounter++}`;
  const vars: Record<string, tf.Variable> = {};
  for (const [n, d] of Object.entries(pr.params)) {
    vars[n] = tf.tidy(() => tf.variable(tf.tensor(d, COMPOSITE_SHAPES[n]!), true, `${tag}.${n}`));
  }
  const params = createTfjsParams(vars);
  const out = tf.tidy(() => {
    const [x, mask, target] = [pr.x, pr.mask, pr.target].map(([d, s]) => tf.tensor(d, [...s]));
    const { value, grads } = tf.variableGrads(
      () => compositeLoss(ops, params, x!, mask!, target!) as tf.Scalar,
      Object.values(vars),
    );
    const g: Record<string, Float32Array> = {};
    for (const n of Object.keys(vars)) g[n] = grads[`${tag}.${n}`]!.dataSync() as Float32Array;
    return { loss: value.dataSync()[0]!, grads: g };
  });
  for (const v of Object.values(vars)) v.dispose();
  return out;
}

/**
 * Gradient parity: tfjs autodiff of Σ program(xs)·w against Float64 central differences of the
 * reference engine, for every input.
 */
describe('tfjs ops: gradients', () => {
  it('assertTfjsGradients passes with gradients registered, and names a missing one', () => {
    expect(() => assertTfjsGradients(tf)).not.toThrow();
    const erf = tf.getGradient('Erf');
    tf.unregisterGradient('Erf');
    try {
      expect(() => assertTfjsGradients(tf)).toThrow(LfmError);
      expect(() => assertTfjsGradients(tf)).toThrow(/missing: Erf/);
    } finally {
      tf.registerGradient(erf);
    }
  });

  it('composite (linear → LN → GELU → masked attention → masked MSE): tfjs autodiff = Float64 central differences', () => {
    const pr = makeProblem(31);
    const { loss, grads } = tfjsLossAndGrads(pr);
    const p64: Record<string, Float64Array> = {};
    for (const [n, d] of Object.entries(pr.params)) p64[n] = Float64Array.from(d);
    expect(Math.abs(loss - refLoss(pr, p64)) / refLoss(pr, p64)).toBeLessThan(1e-5);
    const eps = 1e-6;
    let checked = 0;
    for (const [name, values] of Object.entries(p64)) {
      const fd = new Float64Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        values[i] = v + eps;
        const up = refLoss(pr, p64);
        values[i] = v - eps;
        const down = refLoss(pr, p64);
        values[i] = v;
        fd[i] = (up - down) / (2 * eps);
      }
      const g = grads[name]!;
      const norm = Math.hypot(...fd);
      const err = Math.hypot(...Array.from(g, (v, i) => v - fd[i]!));
      if (name === 'bk') {
        // Softmax is shift-invariant per query row: the key bias gets exactly zero gradient.
        expect(norm).toBeLessThan(1e-8);
        expect(Math.max(...Array.from(g, Math.abs))).toBeLessThan(1e-6);
      } else {
        expect(norm, name).toBeGreaterThan(1e-4);
        expect(err / norm, name).toBeLessThan(2e-4);
      }
      checked += values.length;
    }
    expect(checked).toBe(Object.values(COMPOSITE_SHAPES).reduce((s, sh) => s + sizeOf(sh), 0));
  });

  it('composite: directional derivative in float32 (tfjs only) matches the gradient', () => {
    const pr = makeProblem(77);
    const { grads } = tfjsLossAndGrads(pr);
    const rng = new Rng(5);
    const dir: Record<string, Float32Array> = {};
    let norm2 = 0;
    for (const [n, d] of Object.entries(pr.params)) {
      dir[n] = randn(rng, [d.length]);
      norm2 += dir[n].reduce((s, v) => s + v * v, 0);
    }
    let gd = 0;
    for (const [n, d] of Object.entries(pr.params)) {
      dir[n] = dir[n]!.map((v) => v / Math.sqrt(norm2));
      for (let i = 0; i < d.length; i++) gd += dir[n]![i]! * grads[n]![i]!;
    }
    const eps = 1e-2;
    const shifted = (s: number) =>
      tfjsLossAndGrads({
        ...pr,
        params: Object.fromEntries(
          Object.entries(pr.params).map(([n, d]) => [n, d.map((v, i) => v + s * eps * dir[n]![i]!)]),
        ),
      }).loss;
    const fd = (shifted(1) - shifted(-1)) / (2 * eps);
    expect(Math.abs(fd - gd) / Math.abs(gd)).toBeLessThan(1e-2);
  });

  it('masked points never influence the loss (input or target), and get zero input gradient', () => {
    const pr = makeProblem(12);
    const base = tfjsLossAndGrads(pr).loss;
    const x = pr.x[0].slice();
    const target = pr.target[0].slice();
    const absent = [4, 6]; // flat point indices with mask 0
    for (const k of absent) {
      for (let c = 0; c < D_IN; c++) x[k * D_IN + c] = 1e3;
      for (let c = 0; c < D_OUT; c++) target[k * D_OUT + c] = -1e3;
    }
    const moved = tfjsLossAndGrads({ ...pr, x: [x, pr.x[1]], target: [target, pr.target[1]] }).loss;
    expect(moved).toBeCloseTo(base, 6);
    const dx = tf.tidy(() => {
      const vars = Object.fromEntries(
        Object.entries(pr.params).map(([n, d]) => [n, tf.tensor(d, COMPOSITE_SHAPES[n]!)]),
      );
      const [m, tg] = [pr.mask, pr.target].map(([d, s]) => tf.tensor(d, [...s]));
      return tf
        .grad((xx: Tensor) => compositeLoss(ops, createTfjsParams(vars), xx, m!, tg!))(
          tf.tensor(pr.x[0], [...pr.x[1]]),
        )
        .dataSync();
    });
    for (const k of absent) for (let c = 0; c < D_IN; c++) expect(dx[k * D_IN + c]).toBe(0);
    expect(Math.max(...Array.from(dx, Math.abs))).toBeGreaterThan(1e-4);
  });

  it('customGrad linear gives the same gradients as matMul + add', () => {
    const rng = new Rng(3);
    const x = tf.tensor(randn(rng, [2, 5, 4]), [2, 5, 4]);
    const w = tf.tensor(randn(rng, [4, 3]), [4, 3]);
    const b = tf.tensor(randn(rng, [3]), [3]);
    const dy = tf.tensor(randn(rng, [2, 5, 3]), [2, 5, 3]);
    const f1 = (xx: Tensor, ww: Tensor, bb: Tensor) => tf.sum(tf.mul(ops.linear(xx, ww, bb), dy));
    // (tfjs's own BatchMatMul gradient is wrong for a broadcast rank-2 rhs, so flatten here.)
    const mm = (xx: Tensor, ww: Tensor) =>
      tf.reshape(tf.matMul(tf.reshape(xx, [10, 4]), ww as tf.Tensor2D), [2, 5, 3]);
    const f2 = (xx: Tensor, ww: Tensor, bb: Tensor) => tf.sum(tf.mul(tf.add(mm(xx, ww), bb), dy));
    const g1 = tf.grads(f1)([x, w, b]);
    const g2 = tf.grads(f2)([x, w, b]);
    for (let i = 0; i < 3; i++) {
      expect(g1[i]!.shape).toEqual(g2[i]!.shape);
      expectClose(g1[i]!.dataSync(), g2[i]!.dataSync(), 1e-6);
    }
    const g3 = tf.grads((xx: Tensor, ww: Tensor) => tf.sum(tf.mul(ops.linear(xx, ww), dy)))([x, w]);
    expectClose(g3[1]!.dataSync(), g2[1]!.dataSync(), 1e-6);
    tf.dispose([x, w, b, dy, ...g1, ...g2, ...g3]);
  });

  it('stopGradient: identity forward, blocks the gradient', () => {
    tf.tidy(() => {
      const x = tf.tensor([1.5, -2, 3]);
      expect(Array.from(ops.stopGradient(x).dataSync())).toEqual([1.5, -2, 3]);
      // d/dx Σ x·sg(x) = sg(x) = x, not 2x.
      expect(
        Array.from(
          tf
            .grad((v: Tensor) => tf.sum(tf.mul(v, ops.stopGradient(v))))(x)
            .dataSync(),
        ),
      ).toEqual([1.5, -2, 3]);
      const g = tf
        .grad((v: Tensor) => tf.sum(ops.stopGradient(tf.mul(v, v))))(x)
        .dataSync();
      expect(Array.from(g, (v) => v + 0)).toEqual([0, 0, 0]);
    });
  });

  it('comparisons and where on the gradient path: zero gradient through the condition, no tfjs error', () => {
    tf.tidy(() => {
      const x = tf.tensor([1, -1, 2, -3]);
      const f = (v: Tensor) =>
        tf.sum(ops.where(ops.greater(v, 0), ops.mul(v, v), ops.mul(ops.equal(v, -1), v)));
      expect(Array.from(tf.grad(f)(x).dataSync())).toEqual([2, 1, 4, 0]);
    });
  });

  it('does not leak tensors across steps', () => {
    const pr = makeProblem(4);
    tfjsLossAndGrads(pr);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tfjsLossAndGrads(pr);
    expect(tf.memory().numTensors).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------------
// "Model written once": one encoder block against Ops<T>, run on tfjs and on the reference engine.
// ---------------------------------------------------------------------------------------------------

describe('a model written once against Ops<T>', () => {
  const rng = new Rng(99);
  const { config, shapes, weights } = randomEncoderBlock(rng, 16, 4);
  const B = 3;
  const N = 7;
  const points = randn(rng, [B, N, 2]);
  const mask = Float32Array.from({ length: B * N }, (_, k) => (k % N === 5 || k === 2 * N ? 0 : 1));

  const runTfjs = (pts: Float32Array, msk: Float32Array) =>
    tf.tidy(() => {
      const params = createTfjsParams(
        Object.fromEntries(Object.entries(weights).map(([n, w]) => [n, tf.tensor(w, shapes[n]!)])),
      );
      const y = encoderBlock(ops, params, config, tf.tensor(pts, [B, N, 2]), tf.tensor(msk, [B, N]));
      return { shape: y.shape, data: y.dataSync() as Float32Array };
    });

  it('gives the same output on tfjs and on the reference engine', () => {
    const params = paramsFromRecord(
      Object.fromEntries(Object.entries(weights).map(([n, w]) => [n, ref(w, shapes[n]!)])),
      (t) => t.shape,
    );
    const want = encoderBlock(refOps, params, config, ref(points, [B, N, 2]), ref(mask, [B, N]));
    const got = runTfjs(points, mask);
    expect(got.shape).toEqual([B, N, 3]);
    expect(want.shape).toEqual([B, N, 3]);
    expectClose(got.data, want.data, 1e-4);
  });

  it('is permutation-equivariant: permuting the points permutes the output', () => {
    const perm = new Rng(1).permutation(N);
    const permuted = permutePoints(points, mask, perm, B, N);
    const y = runTfjs(points, mask).data;
    const py = runTfjs(permuted.points, permuted.mask).data;
    expect(permutationError(y, py, mask, perm, B, N, 3)).toBeLessThan(5e-6);
    // Not trivially: the output differs between points.
    expect(permutationError(y, y, mask, perm, B, N, 3)).toBeGreaterThan(1e-3);
  });
});
