import {
  broadcastShapes,
  matMulShape,
  normalizeAxis,
  type Operand,
  type Ops,
  type Params,
  paramsFromRecord,
  resolveAxes,
  resolveReshape,
  resolveSlice,
} from '../ops.js';

/**
 * A plain-JS Float64 reference engine: the second implementation of `Ops<T>` that every engine (tfjs,
 * the ONNX graph) is checked against. Slow and obviously correct; no autodiff (differentiate it by
 * central differences — Float64 makes that accurate to ~1e-8).
 */

/** A reference tensor: row-major Float64 data and its shape. */
export interface RefTensor {
  data: Float64Array;
  shape: number[];
}

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A reference tensor of `shape` holding a Float64 copy of `data`. */
export function refTensor(data: ArrayLike<number>, shape: readonly number[]): RefTensor {
  return { data: Float64Array.from(data), shape: [...shape] };
}

/** `Params` over named reference tensors, checking each parameter's shape. */
export function createReferenceParams(record: Readonly<Record<string, RefTensor>>): Params<RefTensor> {
  return paramsFromRecord(record, (t) => t.shape);
}

function unravel(k: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = k % shape[i]!;
    k = Math.floor(k / shape[i]!);
  }
  return idx;
}
function ravel(idx: readonly number[], shape: readonly number[]): number {
  let k = 0;
  for (let i = 0; i < shape.length; i++) k = k * shape[i]! + idx[i]!;
  return k;
}
/** Offset into `shape` of an index of the (broadcast) output shape of rank ≥ shape.length. */
function bcastOffset(out: readonly number[], shape: readonly number[]): number {
  const off = out.length - shape.length;
  let k = 0;
  for (let i = 0; i < shape.length; i++) k = k * shape[i]! + (shape[i] === 1 ? 0 : out[i + off]!);
  return k;
}
function mapN(xs: RefTensor[], f: (v: number[]) => number): RefTensor {
  const shape = xs.reduce<number[]>((s, x) => broadcastShapes(s, x.shape), []);
  const data = new Float64Array(sizeOf(shape));
  for (let k = 0; k < data.length; k++) {
    const idx = unravel(k, shape);
    data[k] = f(xs.map((x) => x.data[bcastOffset(idx, x.shape)]!));
  }
  return { data, shape };
}

/** erf to ~1e-13: Maclaurin series for |x| < 3, asymptotic erfc beyond. */
export function erf64(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 80; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  const z = 1 / (2 * a * a);
  const series = 1 - z + 3 * z * z - 15 * z ** 3 + 105 * z ** 4 - 945 * z ** 5;
  return Math.sign(x) * (1 - (Math.exp(-a * a) / (a * Math.sqrt(Math.PI))) * series);
}

/** The Float64 reference `Ops` (engine name `'reference'`). `stopGradient` is the identity. */
export function createReferenceOps(): Ops<RefTensor> {
  const t = (x: Operand<RefTensor>): RefTensor => (typeof x === 'number' ? refTensor([x], []) : x);
  const bin = (f: (a: number, b: number) => number) => (a: Operand<RefTensor>, b: Operand<RefTensor>) =>
    mapN([t(a), t(b)], ([u, v]) => f(u!, v!));
  const un = (f: (a: number) => number) => (x: RefTensor) => mapN([x], ([u]) => f(u!));
  const reduce =
    (init: number, f: (acc: number, v: number) => number, mean = false) =>
    (x: RefTensor, axes?: number | readonly number[], keepDims = false): RefTensor => {
      const ax = resolveAxes(axes, x.shape.length);
      const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
      const acc = new Float64Array(sizeOf(kept)).fill(init);
      for (let k = 0; k < x.data.length; k++) {
        const o = ravel(
          unravel(k, x.shape).map((v, i) => (ax.includes(i) ? 0 : v)),
          kept,
        );
        acc[o] = f(acc[o]!, x.data[k]!);
      }
      if (mean) {
        const n = sizeOf(x.shape) / sizeOf(kept);
        for (let i = 0; i < acc.length; i++) acc[i]! /= n;
      }
      return { data: acc, shape: keepDims ? kept : x.shape.filter((_, i) => !ax.includes(i)) };
    };
  const lastAxis = (x: RefTensor, f: (row: Float64Array) => void): RefTensor => {
    const d = x.shape[x.shape.length - 1]!;
    const data = x.data.slice();
    for (let r = 0; r < data.length; r += d) f(data.subarray(r, r + d));
    return { data, shape: [...x.shape] };
  };
  const transpose = (x: RefTensor, perm: readonly number[]): RefTensor => {
    const shape = perm.map((p) => x.shape[p]!);
    const data = new Float64Array(x.data.length);
    for (let k = 0; k < data.length; k++) {
      const o = unravel(k, shape);
      const i = new Array<number>(perm.length);
      perm.forEach((p, j) => {
        i[p] = o[j]!;
      });
      data[k] = x.data[ravel(i, x.shape)]!;
    }
    return { data, shape };
  };
  const swapLast = (x: RefTensor) => {
    const r = x.shape.length;
    return transpose(
      x,
      x.shape.map((_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i)),
    );
  };
  const matMul: Ops<RefTensor>['matMul'] = (a, b, options = {}) => {
    const shape = matMulShape(a.shape, b.shape, options);
    const A = options.transposeA ? swapLast(a) : a;
    const Bm = options.transposeB ? swapLast(b) : b;
    const [M, K] = A.shape.slice(-2) as [number, number];
    const P = Bm.shape[Bm.shape.length - 1]!;
    const batch = shape.slice(0, -2);
    const data = new Float64Array(sizeOf(shape));
    for (let bi = 0; bi < sizeOf(batch); bi++) {
      const idx = unravel(bi, batch);
      const oa = bcastOffset(idx, A.shape.slice(0, -2)) * M * K;
      const ob = bcastOffset(idx, Bm.shape.slice(0, -2)) * K * P;
      for (let i = 0; i < M; i++)
        for (let j = 0; j < P; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += A.data[oa + i * K + k]! * Bm.data[ob + k * P + j]!;
          data[bi * M * P + i * P + j] = s;
        }
    }
    return { data, shape };
  };
  const add = bin((a, b) => a + b);
  const select = (x: RefTensor, axis: number, pick: readonly number[]): RefTensor => {
    const ax = normalizeAxis(axis, x.shape.length);
    const shape = x.shape.map((d, i) => (i === ax ? pick.length : d));
    const data = new Float64Array(sizeOf(shape));
    for (let k = 0; k < data.length; k++) {
      const o = unravel(k, shape);
      o[ax] = pick[o[ax]!]!;
      data[k] = x.data[ravel(o, x.shape)]!;
    }
    return { data, shape };
  };
  return {
    engine: 'reference',
    shape: (x) => x.shape,
    constant: (data, shape) => refTensor(data, shape),
    scalar: (v) => refTensor([Math.fround(v)], []),
    add,
    sub: bin((a, b) => a - b),
    mul: bin((a, b) => a * b),
    div: bin((a, b) => a / b),
    pow: bin((a, b) => a ** b),
    maximum: bin(Math.max),
    minimum: bin(Math.min),
    equal: bin((a, b) => (a === b ? 1 : 0)),
    greater: bin((a, b) => (a > b ? 1 : 0)),
    where: (c, a, b) => mapN([c, t(a), t(b)], ([u, v, w]) => (u !== 0 ? v! : w!)),
    neg: un((a) => -a),
    sqrt: un(Math.sqrt),
    reciprocal: un((a) => 1 / a),
    exp: un(Math.exp),
    log: un(Math.log),
    erf: un(erf64),
    sin: un(Math.sin),
    cos: un(Math.cos),
    tanh: un(Math.tanh),
    sigmoid: un((a) => 1 / (1 + Math.exp(-a))),
    gelu: un((a) => 0.5 * a * (1 + erf64(a / Math.SQRT2))),
    reduceSum: reduce(0, (s, v) => s + v),
    reduceMean: reduce(0, (s, v) => s + v, true),
    reduceMax: reduce(Number.NEGATIVE_INFINITY, Math.max),
    softmax: (x) =>
      lastAxis(x, (row) => {
        const m = Math.max(...row);
        let s = 0;
        for (let i = 0; i < row.length; i++) s += row[i] = Math.exp(row[i]! - m);
        for (let i = 0; i < row.length; i++) row[i]! /= s;
      }),
    layerNorm: (x, g, b, eps = 1e-5) =>
      lastAxis(x, (row) => {
        const mu = row.reduce((s, v) => s + v, 0) / row.length;
        const v = row.reduce((s, u) => s + (u - mu) ** 2, 0) / row.length;
        for (let i = 0; i < row.length; i++)
          row[i] = ((row[i]! - mu) / Math.sqrt(v + eps)) * g.data[i]! + b.data[i]!;
      }),
    matMul,
    linear: (x, w, b) => {
      const y = matMul(x.shape.length === 1 ? { data: x.data, shape: [1, x.shape[0]!] } : x, w);
      const z = b ? add(y, b) : y;
      return x.shape.length === 1 ? { data: z.data, shape: [w.shape[1]!] } : z;
    },
    concat: (xs, axis) => {
      const ax = normalizeAxis(axis, xs[0]!.shape.length);
      const shape = [...xs[0]!.shape];
      shape[ax] = xs.reduce((s, x) => s + x.shape[ax]!, 0);
      const data = new Float64Array(sizeOf(shape));
      for (let k = 0; k < data.length; k++) {
        const o = unravel(k, shape);
        let i = o[ax]!;
        let j = 0;
        while (i >= xs[j]!.shape[ax]!) i -= xs[j++]!.shape[ax]!;
        o[ax] = i;
        data[k] = xs[j]!.data[ravel(o, xs[j]!.shape)]!;
      }
      return { data, shape };
    },
    slice: (x, axis, start, end) => {
      const [s, e] = resolveSlice(x.shape[normalizeAxis(axis, x.shape.length)]!, start, end);
      return select(
        x,
        axis,
        Array.from({ length: e - s }, (_, i) => s + i),
      );
    },
    gather: (x, indices, axis) => select(x, axis, Array.from(indices)),
    transpose,
    reshape: (x, dims) => ({ data: x.data, shape: resolveReshape(x.shape, dims) }),
    expandDims: (x, axis) => {
      const shape = [...x.shape];
      shape.splice(normalizeAxis(axis, shape.length + 1), 0, 1);
      return { data: x.data, shape };
    },
    squeeze: (x, axes) => {
      const ax = resolveAxes(axes, x.shape.length);
      return { data: x.data, shape: x.shape.filter((_, i) => !ax.includes(i)) };
    },
    stopGradient: (x) => x,
  };
}
