import * as tf from '@tensorflow/tfjs-core';
// @tensorflow/tfjs-core registers no gradients by itself; vitest can load this ESM entry (plain Node cannot).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import type { Ops } from '../ops.js';
import { Rng } from '../rng.js';
import {
  createReferenceOps,
  type RefTensor as Ref,
  randomFloat32 as randn,
  refTensor as ref,
  worstRelativeError,
} from '../testing/index.js';
import { createTfjsOps, type Tensor } from './index.js';

const ops = createTfjsOps(tf);
const refOps = createReferenceOps();
const _sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

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
  const { worst, at } = worstRelativeError(got, want);
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
