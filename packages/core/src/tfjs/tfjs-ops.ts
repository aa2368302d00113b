import type * as tfc from '@tensorflow/tfjs-core';
import { LfmError, ShapeError } from '../errors.js';
import {
  broadcastShapes,
  linearShape,
  type MatMulOptions,
  matMulShape,
  normalizeAxis,
  type Operand,
  type Ops,
  type Params,
  paramsFromRecord,
  resolveAxes,
  resolveReshape,
  resolveSlice,
  type Shape,
  sameShape,
} from '../ops.js';

/** The tfjs-core module: `import * as tf from '@tensorflow/tfjs-core'` (or `@tensorflow/tfjs`). */
export type TfCore = typeof tfc;
export type Tensor = tfc.Tensor;

type Save = (tensors: Tensor[]) => void;

/**
 * `Ops<Tensor>` over a tfjs-core module, eager with tfjs autodiff, on whatever backend the app has
 * set (this library never loads one). Ops allocate tensors: run model code inside `tf.tidy`,
 * `tf.variableGrads` or `optimizer.minimize`.
 *
 * `linear` has a hand-written gradient (docs/BACKENDS.md §3) that keeps every gradient matmul
 * untransposed and batch-free — the XNNPACK path of tfjs-wasm — and takes the bias gradient as
 * ones·dY instead of an axis-0 Sum. Comparisons, `where`'s condition and `stopGradient` get zero
 * gradients through customGrad, since tfjs has no gradient for comparison kernels. tfjs 4.22 gets
 * broadcasting wrong in BatchMatMul (its gradient, and two-sided batch broadcasts) and in the
 * Maximum/Minimum gradients, so `matMul`, `maximum` and `minimum` materialise broadcasts first (or
 * flatten `[..., K]·[K, P]` into one 2-D product).
 *
 * Training also needs tfjs's built-in gradients, which `@tensorflow/tfjs-core` alone does not
 * register: see `assertTfjsGradients`.
 */
export function createTfjsOps(tf: TfCore): Ops<Tensor> {
  const t = (x: Operand<Tensor>): Tensor => (typeof x === 'number' ? tf.scalar(x, 'float32') : x);
  const shapeOf = (x: Operand<Tensor>): Shape => (typeof x === 'number' ? [] : x.shape);
  const binary =
    (op: string, fn: (a: Tensor, b: Tensor) => Tensor) =>
    (a: Operand<Tensor>, b: Operand<Tensor>): Tensor => {
      checked(op, () => broadcastShapes(shapeOf(a), shapeOf(b)));
      return fn(t(a), t(b));
    };

  const linearBias = tf.customGrad((...args: (Tensor | Save)[]) => {
    const [x, w, b, save] = args as [tfc.Tensor2D, tfc.Tensor2D, tfc.Tensor1D, Save];
    save([x, w]);
    return {
      value: tf.add(tf.matMul(x, w), b),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, ws] = saved as [tfc.Tensor2D, tfc.Tensor2D];
        const dy2 = dy as tfc.Tensor2D;
        return [
          tf.matMul(dy2, tf.transpose(ws)),
          tf.matMul(tf.transpose(xs), dy2),
          tf.reshape(tf.matMul(tf.ones([1, dy2.shape[0]]), dy2), [dy2.shape[1]]),
        ];
      },
    };
  });
  const linearNoBias = tf.customGrad((...args: (Tensor | Save)[]) => {
    const [x, w, save] = args as [tfc.Tensor2D, tfc.Tensor2D, Save];
    save([x, w]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, ws] = saved as [tfc.Tensor2D, tfc.Tensor2D];
        const dy2 = dy as tfc.Tensor2D;
        return [tf.matMul(dy2, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy2)];
      },
    };
  });
  const noGrad1 = (fn: (x: Tensor) => Tensor) =>
    tf.customGrad((...args: (Tensor | Save)[]) => {
      const x = args[0] as Tensor;
      return { value: fn(x), gradFunc: () => [tf.zeros(x.shape)] };
    });
  const noGrad2 = (fn: (a: Tensor, b: Tensor) => Tensor) =>
    tf.customGrad((...args: (Tensor | Save)[]) => {
      const [a, b] = args as [Tensor, Tensor];
      return { value: fn(a, b), gradFunc: () => [tf.zeros(a.shape), tf.zeros(b.shape)] };
    });
  const identityNoGrad = noGrad1((x) => tf.clone(x));
  const toBool = noGrad1((c) => tf.notEqual(c, tf.scalar(0, 'float32')));
  const equal01 = noGrad2((a, b) => tf.cast(tf.equal(a, b), 'float32'));
  const greater01 = noGrad2((a, b) => tf.cast(tf.greater(a, b), 'float32'));

  const reduce =
    (fn: (x: Tensor, axes: number[], keepDims: boolean) => Tensor) =>
    (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor =>
      fn(
        x,
        checked('reduce', () => resolveAxes(axes, x.rank)),
        keepDims,
      );

  return {
    engine: 'tfjs',
    shape: (x) => x.shape,
    constant(data, shape) {
      const values = data instanceof Float32Array ? data : Float32Array.from(data);
      const size = shape.reduce((n, d) => n * d, 1);
      if (size !== values.length) {
        throw new ShapeError(
          `constant: shape [${shape.join(', ')}] has ${size} elements, data has ${values.length}`,
        );
      }
      return tf.tensor(values, [...shape], 'float32');
    },
    scalar: (value) => tf.scalar(value, 'float32'),

    add: binary('add', (a, b) => tf.add(a, b)),
    sub: binary('sub', (a, b) => tf.sub(a, b)),
    mul: binary('mul', (a, b) => tf.mul(a, b)),
    div: binary('div', (a, b) => tf.div(a, b)),
    pow: binary('pow', (a, b) => tf.pow(a, b)),
    // tfjs's Maximum/Minimum gradients do not reduce broadcast dims: broadcast explicitly.
    maximum: binary('maximum', (a, b) => tf.maximum(...broadcastPair(tf, a, b))),
    minimum: binary('minimum', (a, b) => tf.minimum(...broadcastPair(tf, a, b))),
    equal: binary('equal', (a, b) => equal01(a, b)),
    greater: binary('greater', (a, b) => greater01(a, b)),
    where(cond, a, b) {
      checked('where', () => broadcastShapes(broadcastShapes(cond.shape, shapeOf(a)), shapeOf(b)));
      return tf.where(toBool(cond), t(a), t(b));
    },

    neg: (x) => tf.neg(x),
    sqrt: (x) => tf.sqrt(x),
    reciprocal: (x) => tf.reciprocal(x),
    exp: (x) => tf.exp(x),
    log: (x) => tf.log(x),
    erf: (x) => tf.erf(x),
    sin: (x) => tf.sin(x),
    cos: (x) => tf.cos(x),
    tanh: (x) => tf.tanh(x),
    sigmoid: (x) => tf.sigmoid(x),
    gelu: (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)),

    reduceSum: reduce((x, axes, keep) => tf.sum(x, axes, keep)),
    reduceMean: reduce((x, axes, keep) => tf.mean(x, axes, keep)),
    reduceMax: reduce((x, axes, keep) => tf.max(x, axes, keep)),

    softmax: (x) => tf.softmax(x),
    layerNorm(x, gamma, beta, eps = 1e-5) {
      const d = x.shape[x.rank - 1];
      if (
        d === undefined ||
        gamma.rank !== 1 ||
        gamma.shape[0] !== d ||
        beta.rank !== 1 ||
        beta.shape[0] !== d
      ) {
        throw new ShapeError(
          `layerNorm: x [..., D], gamma [D], beta [D]; got [${x.shape.join(', ')}], [${gamma.shape.join(', ')}], [${beta.shape.join(', ')}]`,
        );
      }
      const centred = tf.sub(x, tf.mean(x, -1, true));
      const variance = tf.mean(tf.square(centred), -1, true);
      return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
    },
    matMul(a, b, options: MatMulOptions = {}) {
      const out = checked('matMul', () => matMulShape(a.shape, b.shape, options));
      const ta = options.transposeA ?? false;
      const tb = options.transposeB ?? false;
      // Unbatched: transpose explicitly so tfjs-wasm takes its XNNPACK path (docs/BACKENDS.md §2).
      if (a.rank === 2 && b.rank === 2) return tf.matMul(ta ? tf.transpose(a) : a, tb ? tf.transpose(b) : b);
      if (b.rank === 2 && !ta) {
        // [..., M, K] · [K, P] is one 2-D product.
        const y = tf.matMul(tf.reshape(a, [-1, a.shape[a.rank - 1]!]), tb ? tf.transpose(b) : b);
        return tf.reshape(y, out);
      }
      // tfjs 4.22 BatchMatMul neither reduces broadcast batch dims in its gradient nor computes a
      // two-sided batch broadcast correctly: materialise it (BroadcastTo's gradient sums it back).
      const batch = out.slice(0, -2);
      return tf.matMul(broadcastBatch(tf, a, batch), broadcastBatch(tf, b, batch), ta, tb);
    },
    linear(x, w, b) {
      const { k, m } = linearShape(x.shape, w.shape, b?.shape);
      const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, k]);
      const y2 = b ? linearBias(x2, w, b) : linearNoBias(x2, w);
      return x.rank === 2 ? y2 : tf.reshape(y2, [...x.shape.slice(0, -1), m]);
    },

    concat(xs, axis) {
      const first = xs[0];
      if (first === undefined) throw new ShapeError('concat: needs at least one tensor');
      return tf.concat(
        [...xs],
        checked('concat', () => normalizeAxis(axis, first.rank)),
      );
    },
    slice(x, axis, start, end) {
      const ax = checked('slice', () => normalizeAxis(axis, x.rank));
      const [s, e] = resolveSlice(x.shape[ax]!, start, end);
      const begin = x.shape.map((_, i) => (i === ax ? s : 0));
      const size = x.shape.map((d, i) => (i === ax ? e - s : d));
      return tf.slice(x, begin, size);
    },
    gather(x, indices, axis) {
      const ax = checked('gather', () => normalizeAxis(axis, x.rank));
      const n = x.shape[ax]!;
      for (const i of indices) {
        if (!Number.isInteger(i) || i < 0 || i >= n)
          throw new ShapeError(`gather: index ${i} out of range [0, ${n}) on axis ${ax}`);
      }
      return tf.gather(x, tf.tensor1d(Int32Array.from(indices), 'int32'), ax);
    },
    transpose(x, perm) {
      const seen = new Set(perm);
      if (perm.length !== x.rank || seen.size !== x.rank || perm.some((p) => !(p >= 0 && p < x.rank))) {
        throw new ShapeError(`transpose: perm [${perm.join(', ')}] is not a permutation of rank ${x.rank}`);
      }
      return tf.transpose(x, [...perm]);
    },
    reshape: (x, dims) => tf.reshape(x, resolveReshape(x.shape, dims)),
    expandDims: (x, axis) =>
      tf.expandDims(
        x,
        checked('expandDims', () => normalizeAxis(axis, x.rank + 1)),
      ),
    squeeze(x, axes) {
      const list = checked('squeeze', () => resolveAxes(axes, x.rank));
      for (const a of list) {
        if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of [${x.shape.join(', ')}] is not 1`);
      }
      return tf.squeeze(x, list);
    },

    stopGradient: (x) => identityNoGrad(x),
  };
}

/** `Params` over named tfjs tensors (usually `tf.Variable`s), checking each parameter's shape. */
export function createTfjsParams(record: Readonly<Record<string, Tensor>>): Params<Tensor> {
  return paramsFromRecord(record, (x) => x.shape);
}

/** Kernels whose tfjs gradients the tfjs engine relies on. */
const GRADIENT_KERNELS = [
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'Pow',
  'Maximum',
  'Minimum',
  'Select',
  'Neg',
  'Sqrt',
  'Rsqrt',
  'Square',
  'Reciprocal',
  'Exp',
  'Log',
  'Erf',
  'Sin',
  'Cos',
  'Tanh',
  'Sigmoid',
  'Sum',
  'Mean',
  'Max',
  'Softmax',
  'BatchMatMul',
  'Concat',
  'Slice',
  'GatherV2',
  'Transpose',
  'Reshape',
  'BroadcastTo',
  'Cast',
];

/**
 * Throws unless tfjs's gradients are registered. `@tensorflow/tfjs-core` alone registers none (its
 * Node bundle ships without them): load `@tensorflow/tfjs`, which does, or, under a bundler, import
 * `@tensorflow/tfjs-core/dist/register_all_gradients`. Inference needs no gradients.
 */
export function assertTfjsGradients(tf: TfCore): void {
  const missing = GRADIENT_KERNELS.filter((k) => tf.getGradient(k) == null);
  if (missing.length > 0) {
    throw new LfmError(
      'E_TFJS_GRADIENTS',
      `tfjs gradients are not registered (missing: ${missing.join(', ')}): load @tensorflow/tfjs, or import ` +
        `'@tensorflow/tfjs-core/dist/register_all_gradients' where your bundler resolves it, before training`,
    );
  }
}

function broadcastBatch(tf: TfCore, x: Tensor, batch: number[]): Tensor {
  const shape = [...batch, ...x.shape.slice(-2)];
  return sameShape(x.shape, shape) ? x : tf.broadcastTo(x, shape);
}

function broadcastPair(tf: TfCore, a: Tensor, b: Tensor): [Tensor, Tensor] {
  if (sameShape(a.shape, b.shape)) return [a, b];
  const shape = broadcastShapes(a.shape, b.shape);
  return [
    sameShape(a.shape, shape) ? a : tf.broadcastTo(a, shape),
    sameShape(b.shape, shape) ? b : tf.broadcastTo(b, shape),
  ];
}

/** Runs a shape rule, prefixing its ShapeError with the op name. */
function checked<R>(op: string, rule: () => R): R {
  try {
    return rule();
  } catch (e) {
    if (e instanceof ShapeError) throw new ShapeError(`${op}: ${e.message}`);
    throw e;
  }
}
