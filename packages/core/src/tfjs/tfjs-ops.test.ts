import * as tf from '@tensorflow/tfjs-core';
// @tensorflow/tfjs-core registers no gradients by itself; vitest can load this ESM entry (plain Node cannot).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { LfmError, ShapeError } from '../errors.js';
import { type Ops, type Params, paramsFromRecord, scopeParams } from '../ops.js';
import { Rng } from '../rng.js';
import { createReferenceOps, type RefTensor as Ref, refTensor as ref } from '../testing/index.js';
import { assertTfjsGradients, createTfjsOps, createTfjsParams, type Tensor } from './index.js';

const ops = createTfjsOps(tf);
const refOps = createReferenceOps();
const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

beforeAll(async () => {
  tf.enableProdMode(); // tfjs's documented switch: no "install tfjs-node" banner on the first write
  expect(await tf.setBackend('cpu')).toBe(true);
  expect(tf.getBackend()).toBe('cpu');
});

/** `tf.tidy` for any result type (tidy itself only returns tensor containers). */
function tidy<R>(fn: () => R): R {
  let result: R | undefined;
  tf.tidy(() => {
    result = fn();
  });
  return result as R;
}

/** Float32-representable random values. */
function randn(rng: Rng, shape: readonly number[], scale = 1): Float32Array {
  return Float32Array.from({ length: sizeOf(shape) }, () => scale * rng.normal());
}

type Input = readonly [Float32Array, readonly number[]];
type Program = <T>(o: Ops<T>, xs: T[]) => T;

/** Runs `program` on both engines over the same float32 inputs and compares (float32 tolerance). */
function parity(program: Program, inputs: readonly Input[], tol = 2e-5): Ref {
  const want = program(
    refOps,
    inputs.map(([d, s]) => ref(d, s)),
  );
  const got = tidy(() => {
    const y = program(
      ops,
      inputs.map(([d, s]) => tf.tensor(d, [...s], 'float32')),
    );
    return { shape: y.shape, data: Float64Array.from(y.dataSync()) };
  });
  expect(got.shape).toEqual(want.shape);
  expectClose(got.data, want.data, tol);
  return want;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!));
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  expect(worst, `worst at ${at}: got ${got[at]}, want ${want[at]}`).toBeLessThanOrEqual(tol);
}

describe('tfjs ops: forward parity with the reference engine', () => {
  const rng = new Rng(2024);

  it('runs on the cpu backend; engine names', () => {
    expect(tf.getBackend()).toBe('cpu');
    expect(ops.engine).toBe('tfjs');
  });

  it('constant, scalar, shape', () => {
    const y = parity((o) => o.add(o.constant([1, 2, 3, 4, 5, 6], [2, 3]), o.scalar(0.5)), []);
    expect(Array.from(y.data)).toEqual([1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
    tf.tidy(() => {
      expect(ops.shape(ops.constant(new Float32Array(6), [3, 1, 2]))).toEqual([3, 1, 2]);
      expect(ops.shape(ops.scalar(2))).toEqual([]);
      expect(() => ops.constant([1, 2, 3], [2, 2])).toThrow(ShapeError);
    });
  });

  it('binary elementwise ops broadcast like numpy, with number operands', () => {
    const a: Input = [randn(rng, [2, 1, 4]), [2, 1, 4]];
    const b: Input = [randn(rng, [3, 1]), [3, 1]];
    const pos: Input = [Float32Array.from(randn(rng, [3, 4]), (v) => Math.abs(v) + 0.1), [3, 4]];
    parity((o, [x, y]) => o.add(x!, y!), [a, b]);
    parity((o, [x, y]) => o.sub(x!, y!), [a, b]);
    parity((o, [x, y]) => o.mul(x!, y!), [a, b]);
    parity((o, [x, y]) => o.div(x!, o.add(o.mul(y!, y!), 0.5)), [a, b]);
    parity((o, [x, y]) => o.maximum(x!, y!), [a, b]);
    parity((o, [x, y]) => o.minimum(x!, y!), [a, b]);
    parity((o, [x, y]) => o.pow(y!, x!), [a, pos]);
    parity((o, [x]) => o.sub(1, o.mul(x!, 2.5)), [a]);
    parity((o, [x]) => o.pow(x!, 2), [a]);
  });

  it('comparisons return 0/1 float32; where broadcasts cond, a and b', () => {
    const a: Input = [Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]];
    const b: Input = [Float32Array.from([2, 2, 2]), [3]];
    expect(Array.from(parity((o, [x, y]) => o.greater(x!, y!), [a, b]).data)).toEqual([0, 0, 1, 1, 1, 1]);
    expect(Array.from(parity((o, [x, y]) => o.equal(x!, y!), [a, b]).data)).toEqual([0, 1, 0, 0, 0, 0]);
    tf.tidy(() => {
      expect(ops.greater(ops.scalar(1), 0).dtype).toBe('float32');
    });
    const cond: Input = [Float32Array.from([1, 0]), [2, 1]];
    const y = parity((o, [c, x]) => o.where(c!, x!, -7), [cond, a]);
    expect(Array.from(y.data)).toEqual([1, 2, 3, -7, -7, -7]);
    parity(
      (o, [c, x, z]) => o.where(c!, x!, z!),
      [cond, [randn(rng, [3]), [3]], [randn(rng, [2, 3]), [2, 3]]],
    );
  });

  it('unary ops, gelu (erf form)', () => {
    const x: Input = [randn(rng, [3, 5], 2), [3, 5]];
    const pos: Input = [Float32Array.from(randn(rng, [7]), (v) => Math.abs(v) + 0.05), [7]];
    for (const f of ['neg', 'exp', 'erf', 'sin', 'cos', 'tanh', 'sigmoid', 'gelu'] as const) {
      parity((o, [v]) => o[f](v!), [x], 1e-6 * 5);
    }
    for (const f of ['sqrt', 'reciprocal', 'log'] as const) parity((o, [v]) => o[f](v!), [pos], 1e-6 * 5);
    // GELU known values: gelu(0) = 0, gelu(1) = Φ(1) = 0.841344746.
    const g = parity((o, [v]) => o.gelu(v!), [[Float32Array.from([0, 1, -1]), [3]]]);
    expect(g.data[1]).toBeCloseTo(0.8413447460685429, 12);
    expect(g.data[2]).toBeCloseTo(-0.15865525393145707, 12);
  });

  it('reductions over axes, negative axes, keepDims, all axes', () => {
    const x: Input = [randn(rng, [2, 3, 4]), [2, 3, 4]];
    for (const f of ['reduceSum', 'reduceMean', 'reduceMax'] as const) {
      parity((o, [v]) => o[f](v!), [x]);
      parity((o, [v]) => o[f](v!, -1), [x]);
      parity((o, [v]) => o[f](v!, [0, 2], true), [x]);
      parity((o, [v]) => o[f](v!, 1, true), [x]);
    }
    tf.tidy(() => {
      expect(ops.shape(ops.reduceSum(ops.constant(new Float32Array(24), [2, 3, 4]), [0, -1], true))).toEqual([
        1, 3, 1,
      ]);
    });
  });

  it('softmax (last axis, with −1e9 masking), layerNorm', () => {
    const x: Input = [randn(rng, [2, 3, 5], 3), [2, 3, 5]];
    const y = parity((o, [v]) => o.softmax(v!), [x]);
    for (let r = 0; r < 6; r++)
      expect(y.data.subarray(5 * r, 5 * r + 5).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    const keep: Input = [Float32Array.from([1, 1, 0, 1, 0]), [5]];
    const m = parity((o, [v, k]) => o.softmax(o.add(v!, o.mul(o.sub(k!, 1), 1e9))), [x, keep]);
    for (let r = 0; r < 6; r++) {
      expect(m.data[5 * r + 2]).toBe(0);
      expect(m.data[5 * r + 4]).toBe(0);
    }
    const g: Input = [randn(rng, [5]), [5]];
    const b: Input = [randn(rng, [5]), [5]];
    parity((o, [v, gg, bb]) => o.layerNorm(v!, gg!, bb!), [x, g, b], 1e-5);
    parity((o, [v, gg, bb]) => o.layerNorm(v!, gg!, bb!, 0.5), [x, g, b], 1e-5);
    tf.tidy(() => {
      const v = ops.constant(new Float32Array(10), [2, 5]);
      expect(() =>
        ops.layerNorm(v, ops.constant(new Float32Array(4), [4]), ops.constant(new Float32Array(5), [5])),
      ).toThrow(ShapeError);
    });
  });

  it('matMul: every transpose combination, broadcast batch dims, rank-2 rhs on batched lhs', () => {
    const a = randn(rng, [3, 4]);
    const b = randn(rng, [4, 5]);
    parity(
      (o, [x, y]) => o.matMul(x!, y!),
      [
        [a, [3, 4]],
        [b, [4, 5]],
      ],
    );
    parity(
      (o, [x, y]) => o.matMul(x!, y!, { transposeA: true }),
      [
        [a, [4, 3]],
        [b, [4, 5]],
      ],
    );
    parity(
      (o, [x, y]) => o.matMul(x!, y!, { transposeB: true }),
      [
        [a, [3, 4]],
        [b, [5, 4]],
      ],
    );
    parity(
      (o, [x, y]) => o.matMul(x!, y!, { transposeA: true, transposeB: true }),
      [
        [a, [4, 3]],
        [b, [5, 4]],
      ],
    );
    parity(
      (o, [x, y]) => o.matMul(x!, y!),
      [
        [randn(rng, [2, 1, 3, 4]), [2, 1, 3, 4]],
        [randn(rng, [5, 4, 6]), [5, 4, 6]],
      ],
    );
    parity(
      (o, [x, y]) => o.matMul(x!, y!, { transposeB: true }),
      [
        [randn(rng, [2, 3, 3, 4]), [2, 3, 3, 4]],
        [randn(rng, [2, 3, 5, 4]), [2, 3, 5, 4]],
      ],
    );
    parity(
      (o, [x, y]) => o.matMul(x!, y!, { transposeA: true }),
      [
        [randn(rng, [2, 4, 3]), [2, 4, 3]],
        [randn(rng, [4, 2]), [4, 2]],
      ],
    );
    tf.tidy(() => {
      const x = ops.constant(new Float32Array(6), [2, 3]);
      expect(() => ops.matMul(x, x)).toThrow(/inner dims differ/);
    });
  });

  it('linear on rank 1, 2 and 3 inputs, with and without bias', () => {
    const w: Input = [randn(rng, [4, 3]), [4, 3]];
    const b: Input = [randn(rng, [3]), [3]];
    parity((o, [x, ww, bb]) => o.linear(x!, ww!, bb!), [[randn(rng, [2, 5, 4]), [2, 5, 4]], w, b]);
    parity((o, [x, ww]) => o.linear(x!, ww!), [[randn(rng, [6, 4]), [6, 4]], w]);
    parity((o, [x, ww, bb]) => o.linear(x!, ww!, bb!), [[randn(rng, [4]), [4]], w, b]);
    tf.tidy(() => {
      const x = ops.constant(new Float32Array(8), [2, 4]);
      expect(() => ops.linear(x, ops.constant(new Float32Array(12), [3, 4]))).toThrow(/linear/);
      expect(() =>
        ops.linear(x, ops.constant(new Float32Array(12), [4, 3]), ops.constant(new Float32Array(4), [4])),
      ).toThrow(ShapeError);
    });
  });

  it('layout: concat, slice, gather, transpose, reshape (0 / -1), expandDims, squeeze', () => {
    const x: Input = [randn(rng, [2, 3, 4]), [2, 3, 4]];
    parity((o, [u, v]) => o.concat([u!, v!, u!], -1), [x, [randn(rng, [2, 3, 2]), [2, 3, 2]]]);
    parity((o, [u, v]) => o.concat([u!, v!], 0), [x, [randn(rng, [1, 3, 4]), [1, 3, 4]]]);
    parity((o, [u]) => o.slice(u!, -1, 1, 3), [x]);
    parity((o, [u]) => o.slice(u!, 1, -2), [x]);
    parity((o, [u]) => o.slice(u!, 0, 0, 100), [x]);
    parity((o, [u]) => o.gather(u!, [2, 0, 2], 1), [x]);
    parity((o, [u]) => o.gather(u!, Int32Array.from([3]), -1), [x]);
    parity((o, [u]) => o.transpose(u!, [2, 0, 1]), [x]);
    const r = parity((o, [u]) => o.reshape(u!, [0, 0, 2, -1]), [x]);
    expect(r.shape).toEqual([2, 3, 2, 2]);
    expect(parity((o, [u]) => o.reshape(u!, [-1, 4]), [x]).shape).toEqual([6, 4]);
    expect(parity((o, [u]) => o.expandDims(u!, -1), [x]).shape).toEqual([2, 3, 4, 1]);
    expect(parity((o, [u]) => o.expandDims(u!, 1), [x]).shape).toEqual([2, 1, 3, 4]);
    expect(parity((o, [u]) => o.squeeze(o.expandDims(u!, 1), 1), [x]).shape).toEqual([2, 3, 4]);
    tf.tidy(() => {
      const u = ops.constant(new Float32Array(24), [2, 3, 4]);
      expect(() => ops.squeeze(u, 0)).toThrow(/not 1/);
      expect(() => ops.transpose(u, [0, 0, 1])).toThrow(/permutation/);
      expect(() => ops.gather(u, [3], 1)).toThrow(/out of range/);
      expect(() => ops.reshape(u, [5, -1])).toThrow(ShapeError);
      expect(() => ops.concat([], 0)).toThrow(ShapeError);
      expect(() => ops.add(u, ops.constant(new Float32Array(3), [3]))).toThrow(/^add: /);
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// Gradients of a small composite, written once against Ops<T>.
// ---------------------------------------------------------------------------------------------------

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
function gradParity(program: Program, inputs: readonly Input[], tol = 1e-4): void {
  const rng = new Rng(17);
  const refs = () => inputs.map(([d, s]) => ref(d, s));
  const outShape = program(refOps, refs()).shape;
  const w = randn(rng, outShape);
  const f = (xs: Ref[]) => program(refOps, xs).data.reduce((acc, v, i) => acc + v * w[i]!, 0);
  const got = tidy(() => {
    const wt = tf.tensor(w, outShape);
    const g = tf.grads((...xs: Tensor[]) => tf.sum(tf.mul(program(ops, xs), wt)))(
      inputs.map(([d, s]) => tf.tensor(d, [...s])),
    );
    return g.map((t) => ({ shape: t.shape, data: Float64Array.from(t.dataSync()) }));
  });
  const eps = 1e-6;
  inputs.forEach(([d, s], j) => {
    const xs = refs();
    const x = xs[j]!.data;
    const fd = new Float64Array(d.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      x[i] = v + eps;
      const up = f(xs);
      x[i] = v - eps;
      const down = f(xs);
      x[i] = v;
      fd[i] = (up - down) / (2 * eps);
    }
    expect(got[j]!.shape, `gradient shape of input ${j}`).toEqual([...s]);
    expectClose(got[j]!.data, fd, tol);
  });
}

describe('tfjs ops: gradient parity per op (incl. broadcasting), vs Float64 finite differences', () => {
  const rng = new Rng(555);
  const inp = (shape: number[], scale = 1): Input => [randn(rng, shape, scale), shape];
  const pos = (shape: number[]): Input => [
    Float32Array.from(randn(rng, shape), (v) => Math.abs(v) + 0.3),
    shape,
  ];

  it('binary ops with broadcasting (add, sub, mul, div, pow, maximum, minimum), number operands', () => {
    const a = inp([2, 1, 4]);
    const b = inp([3, 1]);
    gradParity((o, [x, y]) => o.add(x!, y!), [a, b]);
    gradParity((o, [x, y]) => o.sub(x!, y!), [a, b]);
    gradParity((o, [x, y]) => o.mul(x!, y!), [a, b]);
    gradParity((o, [x, y]) => o.div(x!, y!), [a, pos([3, 1])]);
    gradParity((o, [x, y]) => o.pow(x!, y!), [pos([3, 4]), inp([2, 1, 4])]);
    gradParity((o, [x, y]) => o.maximum(x!, y!), [a, b]);
    gradParity((o, [x, y]) => o.minimum(x!, y!), [a, b]);
    gradParity((o, [x]) => o.maximum(o.sub(2, x!), 0.1), [a]);
  });

  it('where and comparisons (zero gradient through the condition)', () => {
    gradParity((o, [c, x, y]) => o.where(o.greater(c!, 0), x!, y!), [inp([2, 1]), inp([3]), inp([2, 3])]);
    gradParity((o, [x]) => o.mul(o.equal(x!, x!), x!), [inp([4])]);
  });

  it('unary ops and gelu', () => {
    for (const f of ['neg', 'exp', 'erf', 'sin', 'cos', 'tanh', 'sigmoid', 'gelu'] as const) {
      gradParity((o, [v]) => o[f](v!), [inp([2, 3], 1.5)]);
    }
    for (const f of ['sqrt', 'reciprocal', 'log'] as const) gradParity((o, [v]) => o[f](v!), [pos([5])]);
  });

  it('reductions, softmax (masked), layerNorm', () => {
    const x = inp([2, 3, 4]);
    for (const f of ['reduceSum', 'reduceMean', 'reduceMax'] as const) {
      gradParity((o, [v]) => o[f](v!), [x]);
      gradParity((o, [v]) => o[f](v!, [0, -1], true), [x]);
      gradParity((o, [v]) => o[f](v!, 1), [x]);
    }
    gradParity((o, [v]) => o.softmax(v!), [inp([2, 5], 2)]);
    gradParity(
      (o, [v]) => o.softmax(o.add(v!, o.mul(o.sub(o.constant([1, 0, 1, 1, 0], [5]), 1), 1e9))),
      [inp([3, 5], 2)],
    );
    gradParity((o, [v, g, b]) => o.layerNorm(v!, g!, b!), [inp([2, 3, 6], 2), inp([6]), inp([6])], 2e-4);
  });

  it('matMul: transposes, one- and two-sided batch broadcasting, rank-2 operands on either side', () => {
    gradParity((o, [x, y]) => o.matMul(x!, y!), [inp([3, 4]), inp([4, 5])]);
    gradParity(
      (o, [x, y]) => o.matMul(x!, y!, { transposeA: true, transposeB: true }),
      [inp([4, 3]), inp([5, 4])],
    );
    gradParity((o, [x, y]) => o.matMul(x!, y!), [inp([2, 5, 4]), inp([4, 3])]);
    gradParity((o, [x, y]) => o.matMul(x!, y!, { transposeB: true }), [inp([2, 5, 4]), inp([3, 4])]);
    gradParity((o, [x, y]) => o.matMul(x!, y!, { transposeA: true }), [inp([2, 4, 3]), inp([4, 2])]);
    gradParity((o, [x, y]) => o.matMul(x!, y!), [inp([3, 4]), inp([2, 4, 5])]);
    gradParity((o, [x, y]) => o.matMul(x!, y!), [inp([2, 1, 3, 4]), inp([5, 4, 6])]);
    gradParity((o, [x, y]) => o.matMul(x!, y!, { transposeB: true }), [inp([2, 3, 3, 4]), inp([2, 3, 5, 4])]);
  });

  it('linear, layout ops', () => {
    gradParity((o, [x, w, b]) => o.linear(x!, w!, b!), [inp([2, 5, 4]), inp([4, 3]), inp([3])]);
    gradParity((o, [x, w]) => o.linear(x!, w!), [inp([4]), inp([4, 3])]);
    const x = inp([2, 3, 4]);
    gradParity((o, [u, v]) => o.concat([u!, v!, u!], -1), [x, inp([2, 3, 2])]);
    gradParity((o, [u]) => o.slice(u!, 1, -2), [x]);
    gradParity((o, [u]) => o.gather(u!, [2, 0, 2], 1), [x]);
    gradParity((o, [u]) => o.transpose(u!, [2, 0, 1]), [x]);
    gradParity((o, [u]) => o.reshape(u!, [0, -1]), [x]);
    gradParity((o, [u]) => o.squeeze(o.expandDims(u!, -1), -1), [x]);
  });
});

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

interface BlockConfig {
  dim: number;
  heads: number;
  /** Random Fourier feature matrix ω [2, dim/2] and phase b [dim/2] (fixed, not learned). */
  omega: Float32Array;
  phase: Float32Array;
}

function blockParamShapes(c: BlockConfig): Record<string, number[]> {
  const d = c.dim;
  return {
    'attn.wq': [d, d],
    'attn.bq': [d],
    'attn.wk': [d, d],
    'attn.bk': [d],
    'attn.wv': [d, d],
    'attn.bv': [d],
    'attn.wo': [d, d],
    'attn.bo': [d],
    'ln1.g': [d],
    'ln1.b': [d],
    'mlp.w1': [d, 2 * d],
    'mlp.b1': [2 * d],
    'mlp.w2': [2 * d, d],
    'mlp.b2': [d],
    'ln2.g': [d],
    'ln2.b': [d],
    'head.w': [d, 3],
    'head.b': [3],
  };
}

/** Multi-head self-attention with a key-padding mask: x [B, N, D], mask [B, N] → [B, N, D]. */
function multiHeadAttention<T>(o: Ops<T>, p: Params<T>, x: T, mask: T, heads: number): T {
  const d = o.shape(x).at(-1)!;
  const dh = d / heads;
  const split = (t: T) => o.transpose(o.reshape(t, [0, 0, heads, dh]), [0, 2, 1, 3]); // [B, H, N, dh]
  const q = split(o.linear(x, p.get('wq', [d, d]), p.get('bq', [d])));
  const k = split(o.linear(x, p.get('wk', [d, d]), p.get('bk', [d])));
  const v = split(o.linear(x, p.get('wv', [d, d]), p.get('bv', [d])));
  const bias = o.expandDims(keyBias(o, mask), 1); // [B, 1, 1, N]
  const attn = o.softmax(o.add(o.mul(o.matMul(q, k, { transposeB: true }), 1 / Math.sqrt(dh)), bias));
  const merged = o.reshape(o.transpose(o.matMul(attn, v), [0, 2, 1, 3]), [0, 0, -1]); // [B, N, D]
  return o.linear(merged, p.get('wo', [d, d]), p.get('bo', [d]));
}

/**
 * points [B, N, 2] (normalised), mask [B, N] → [B, N, 3]: TPE sqrt(2/D)·[sin(Wω + b), cos(Wω + b)],
 * then X' = LN(U) + U with U = MHSA(X), X'' = LN(MLP_GELU(X')) + X', then a linear head.
 * Only 0 / −1 reshapes and broadcasting: B and N stay free for a graph recorder.
 */
function encoderBlock<T>(o: Ops<T>, p: Params<T>, c: BlockConfig, points: T, mask: T): T {
  const d = c.dim;
  const z = o.add(o.matMul(points, o.constant(c.omega, [2, d / 2])), o.constant(c.phase, [d / 2]));
  const x = o.mul(o.concat([o.sin(z), o.cos(z)], -1), Math.sqrt(2 / d));
  const u = multiHeadAttention(o, scopeParams(p, 'attn'), x, mask, c.heads);
  const x1 = o.add(o.layerNorm(u, p.get('ln1.g', [d]), p.get('ln1.b', [d])), u);
  const hidden = o.gelu(o.linear(x1, p.get('mlp.w1', [d, 2 * d]), p.get('mlp.b1', [2 * d])));
  const m = o.linear(hidden, p.get('mlp.w2', [2 * d, d]), p.get('mlp.b2', [d]));
  const x2 = o.add(o.layerNorm(m, p.get('ln2.g', [d]), p.get('ln2.b', [d])), x1);
  return o.linear(x2, p.get('head.w', [d, 3]), p.get('head.b', [3]));
}

describe('a model written once against Ops<T>', () => {
  const rng = new Rng(99);
  const config: BlockConfig = { dim: 16, heads: 4, omega: randn(rng, [2, 8], 2), phase: randn(rng, [8]) };
  const shapes = blockParamShapes(config);
  const weights: Record<string, Float32Array> = {};
  for (const [n, s] of Object.entries(shapes)) {
    weights[n] = n.endsWith('.g')
      ? Float32Array.from(randn(rng, s, 0.1), (v) => 1 + v)
      : randn(rng, s, 1 / Math.sqrt(s[0]!));
  }
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
    const pPts = new Float32Array(points.length);
    const pMask = new Float32Array(mask.length);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < N; i++) {
        const src = b * N + perm[i]!;
        pMask[b * N + i] = mask[src]!;
        pPts.set(points.subarray(2 * src, 2 * src + 2), 2 * (b * N + i));
      }
    const y = runTfjs(points, mask).data;
    const py = runTfjs(pPts, pMask).data;
    for (let b = 0; b < B; b++)
      for (let i = 0; i < N; i++) {
        const src = b * N + perm[i]!;
        if (mask[src] === 0) continue;
        for (let c = 0; c < 3; c++) expect(py[3 * (b * N + i) + c]).toBeCloseTo(y[3 * src + c]!, 5);
      }
  });
});
