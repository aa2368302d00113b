import { LfmError, normalizeAxis, resolveSlice } from '@lfm/core';
import type { Attribute, GraphNode, GraphValue } from '../graph.js';
import type { Emitter } from './emitter.js';

/**
 * Reverse-mode rules, one per ONNX op type the recorder emits. A rule gets the (copied) forward node,
 * the gradient `gy` of its first output and which inputs need a gradient, and returns one gradient per
 * input (undefined = none), each of exactly that input's shape: broadcasting is undone here.
 */
export interface RuleContext {
  readonly e: Emitter;
  readonly node: GraphNode;
  readonly gy: GraphValue;
  /** needs[i]: input i leads to a trainable value. */
  readonly needs: readonly boolean[];
}

export type GradientRule = (ctx: RuleContext) => readonly (GraphValue | undefined)[];

/** Op types whose outputs never carry a gradient (comparisons, casts, shapes, constants). */
export const NON_DIFFERENTIABLE: ReadonlySet<string> = new Set([
  'Equal',
  'Greater',
  'GreaterOrEqual',
  'Less',
  'LessOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'Cast',
  'Shape',
  'Size',
  'Constant',
  'ConstantOfShape',
  'ArgMax',
  'ArgMin',
]);

/** Op types that need the forward node to emit extra outputs for their backward rule. */
export const EXTRA_OUTPUTS: Readonly<Record<string, number>> = { LayerNormalization: 3 };

const fail = (node: GraphNode, why: string): never => {
  throw new LfmError('E_ONNX_GRAD', `${node.opType} '${node.name}': ${why}`);
};

const intAttr = (node: GraphNode, name: string, fallback: number): number => {
  const a: Attribute | undefined = node.attributes[name];
  return a?.type === 'int' ? a.value : fallback;
};

const intsAttr = (node: GraphNode, name: string): readonly number[] | undefined => {
  const a: Attribute | undefined = node.attributes[name];
  return a?.type === 'ints' ? a.value : undefined;
};

/** The integer values of a constant int64 input (axes, starts, indices, …). */
function constInts(node: GraphNode, v: GraphValue | undefined, what: string): number[] {
  if (v?.kind !== 'constant' || !(v.data instanceof BigInt64Array)) {
    return fail(node, `${what} must be an int64 constant for the gradient builder`);
  }
  return Array.from(v.data, (x) => {
    // Slice's "to the end" sentinel (INT64_MAX) and its negative twin exceed 2^53; clamp to ±2^53.
    const lim = 2n ** 53n;
    return Number(x > lim ? lim : x < -lim ? -lim : x);
  });
}

/** Reduced axes of a reduction node: sorted, non-negative; undefined = all axes. */
function sortedAxes(axes: readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined || axes.length === 0) return Array.from({ length: rank }, (_, i) => i);
  return [...new Set(axes.map((a) => normalizeAxis(a, rank)))].sort((p, q) => p - q);
}

const elementwise =
  (f: (e: Emitter, g: GraphValue, x: GraphValue, y: GraphValue) => GraphValue): GradientRule =>
  ({ e, node, gy, needs }) => [needs[0] ? f(e, gy, node.inputs[0]!, node.outputs[0]!) : undefined];

/** Gradients of a binary broadcasting op: `da`, `db` before unbroadcasting. */
const binary =
  (
    da: ((e: Emitter, g: GraphValue, a: GraphValue, b: GraphValue, y: GraphValue) => GraphValue) | null,
    db: ((e: Emitter, g: GraphValue, a: GraphValue, b: GraphValue, y: GraphValue) => GraphValue) | null,
  ): GradientRule =>
  ({ e, node, gy, needs }) => {
    const [a, b] = node.inputs as [GraphValue, GraphValue];
    const y = node.outputs[0]!;
    return [
      needs[0] && da ? e.unbroadcast(da(e, gy, a, b, y), a) : undefined,
      needs[1] && db ? e.unbroadcast(db(e, gy, a, b, y), b) : undefined,
    ];
  };

/** ReduceX's gradient seen with kept axes: `v` unsqueezed back to x's rank when keepdims = 0. */
function keptAxes(e: Emitter, node: GraphNode, v: GraphValue, axes: readonly number[]): GraphValue {
  return intAttr(node, 'keepdims', 1) === 1 ? v : e.unsqueeze(v, axes);
}

/** The float32 count of elements reduced into each output of a reduction of x into y. */
function reducedCount(e: Emitter, x: GraphValue, y: GraphValue, axes: readonly number[]): GraphValue {
  const dims = axes.map((a) => x.dims[a]!);
  if (dims.every((d) => typeof d === 'number')) {
    return e.f32(dims.reduce<number>((n, d) => n * (d as number), 1));
  }
  const size = (v: GraphValue) => e.node('Size', [v], { dtype: 'int64', shape: [], dims: [] });
  return e.cast(e.binary('Div', size(x), size(y)), 'float32');
}

/** MatMul with numpy semantics, including 1-D operands (promoted, as ONNX does). */
const matMulRule: GradientRule = ({ e, node, gy, needs }) => {
  const [a, b] = node.inputs as [GraphValue, GraphValue];
  // Promote 1-D operands: a [K] → [1, K], b [K] → [K, 1]; the gradient gains the same unit axes.
  let g = gy;
  const A = a.rank === 1 ? e.unsqueeze(a, [0]) : a;
  const B = b.rank === 1 ? e.unsqueeze(b, [1]) : b;
  if (a.rank === 1) g = e.unsqueeze(g, [Math.max(0, g.rank - (b.rank === 1 ? 0 : 1))]);
  if (b.rank === 1) g = e.unsqueeze(g, [g.rank]);
  const back = (d: GraphValue, x: GraphValue) => (x.rank === 1 ? e.reshapeAs(d, x) : d);

  let da: GraphValue | undefined;
  let db: GraphValue | undefined;
  if (needs[0]) da = back(e.unbroadcast(e.matMul(g, e.transposeLast2(B)), A), a);
  if (needs[1]) {
    if (B.rank === 2 && A.rank > 2) {
      // x [..., K] · w [K, P]: dW = Xᵀ·G over the flattened leading axes, one GEMM (the linear layer).
      const k = A.shape[A.rank - 1]!;
      const p = g.shape[g.rank - 1]!;
      const rows = A.shape.slice(0, -1).reduce((n, d) => n * d, 1);
      db = e.gemm(e.reshape(A, [-1, k], [rows, k]), e.reshape(g, [-1, p], [rows, p]), true, false);
    } else {
      db = e.unbroadcast(e.matMul(e.transposeLast2(A), g), B);
    }
    db = back(db, b);
  }
  return [da, db];
};

const softmaxRule: GradientRule = ({ e, node, gy, needs }) => {
  if (!needs[0]) return [undefined];
  const y = node.outputs[0]!;
  const axis = normalizeAxis(intAttr(node, 'axis', -1), y.rank);
  const dot = e.reduceSum(e.mul(gy, y), [axis], true);
  return [e.mul(y, e.sub(gy, dot))];
};

/**
 * LayerNormalization (opset 17), y = x̂·γ + β with x̂ = (x − μ)·rstd over axes [axis, rank):
 * dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) with dx̂ = g·γ; dγ = Σ g·x̂, dβ = Σ g over the leading axes.
 * μ and rstd are the forward node's Mean and InvStdDev outputs (the copy emits them).
 */
const layerNormRule: GradientRule = ({ e, node, gy, needs }) => {
  const [x, scale, bias] = node.inputs as [GraphValue, GraphValue, GraphValue | undefined];
  const mean = node.outputs[1];
  const rstd = node.outputs[2];
  if (!mean || !rstd) return fail(node, 'the forward copy lacks the Mean/InvStdDev outputs');
  const axis = normalizeAxis(intAttr(node, 'axis', -1), x.rank);
  const normAxes = Array.from({ length: x.rank - axis }, (_, i) => axis + i);
  const leading = Array.from({ length: axis }, (_, i) => i);
  const xhat = e.mul(e.sub(x, mean), rstd);
  let dx: GraphValue | undefined;
  if (needs[0]) {
    const dxhat = e.mul(gy, scale);
    const m1 = e.reduceMean(dxhat, normAxes, true);
    const m2 = e.reduceMean(e.mul(dxhat, xhat), normAxes, true);
    dx = e.mul(e.sub(e.sub(dxhat, m1), e.mul(xhat, m2)), rstd);
  }
  const dScale = needs[1] ? e.unbroadcast(e.mul(gy, xhat), scale) : undefined;
  const dBias = bias && needs[2] ? e.reduceSum(gy, leading, false) : undefined;
  return [dx, dScale, dBias];
};

const reduceSumRule: GradientRule = ({ e, node, gy, needs }) => {
  if (!needs[0]) return [undefined];
  const x = node.inputs[0]!;
  const axesInput = node.inputs[1];
  const list = axesInput ? constInts(node, axesInput, 'axes') : [];
  if (list.length === 0 && intAttr(node, 'noop_with_empty_axes', 0) === 1) return [gy];
  const axes = sortedAxes(list, x.rank);
  return [e.expandAs(keptAxes(e, node, gy, axes), x)];
};

const reduceMeanRule: GradientRule = ({ e, node, gy, needs }) => {
  if (!needs[0]) return [undefined];
  const x = node.inputs[0]!;
  const axes = sortedAxes(intsAttr(node, 'axes'), x.rank);
  const g = keptAxes(e, node, gy, axes);
  return [e.expandAs(e.div(g, reducedCount(e, x, node.outputs[0]!, axes)), x)];
};

/** ReduceMax: the gradient goes to the arg-max positions, split evenly between ties. */
const reduceMaxRule: GradientRule = ({ e, node, gy, needs }) => {
  if (!needs[0]) return [undefined];
  const x = node.inputs[0]!;
  const axes = sortedAxes(intsAttr(node, 'axes'), x.rank);
  const y = keptAxes(e, node, node.outputs[0]!, axes);
  const g = keptAxes(e, node, gy, axes);
  const hit = e.mask('Equal', x, y);
  const count = e.reduceSum(hit, axes, true);
  return [e.mul(hit, e.div(g, count))];
};

/** Concat: the gradient is split back along the axis (sizes read at run time when symbolic). */
const concatRule: GradientRule = ({ e, node, gy, needs }) => {
  const xs = node.inputs;
  if (xs.length === 1) return [gy];
  const axis = normalizeAxis(intAttr(node, 'axis', 0), gy.rank);
  const sizes = xs.map((x) => x.dims[axis]!);
  const split = sizes.every((d) => typeof d === 'number')
    ? e.i64(sizes as number[])
    : e.node(
        'Concat',
        xs.map((x) => e.shapeOf(x, axis, axis + 1)),
        { dtype: 'int64', shape: [xs.length], dims: [xs.length] },
        { axis: { type: 'int', value: 0 } },
      );
  const parts = e.nodes(
    'Split',
    [gy, split],
    xs.map((x) => ({ dtype: 'float32', shape: x.shape, dims: x.dims })),
    { axis: { type: 'int', value: axis } },
  );
  return parts.map((p, i) => (needs[i] ? p : undefined));
};

/**
 * Slice: the gradient is zero-padded back to the input's size. Pads are constants on fixed axes; on a
 * symbolic axis the begin pad is the run-time clamped start and the end pad what is left.
 */
const sliceRule: GradientRule = ({ e, node, gy, needs }) => {
  if (!needs[0]) return [undefined];
  const [x, startsV, endsV, axesV, stepsV] = node.inputs as (GraphValue | undefined)[];
  const rank = x!.rank;
  const starts = constInts(node, startsV, 'starts');
  const ends = constInts(node, endsV, 'ends');
  const axes = axesV ? constInts(node, axesV, 'axes') : starts.map((_, i) => i);
  if (stepsV && constInts(node, stepsV, 'steps').some((s) => s !== 1)) {
    return fail(node, 'only unit steps have a gradient rule');
  }
  const begin: (number | GraphValue)[] = new Array(rank).fill(0);
  const end: (number | GraphValue)[] = new Array(rank).fill(0);
  axes.forEach((a, k) => {
    const ax = normalizeAxis(a, rank);
    const d = x!.dims[ax]!;
    const start = starts[k]!;
    if (typeof d === 'number') {
      const [s, t] = resolveSlice(d, start, ends[k]!);
      begin[ax] = s;
      end[ax] = d - t;
      return;
    }
    const size = e.shapeOf(x!, ax, ax + 1);
    const s =
      start >= 0
        ? e.binary('Min', e.i64([start]), size)
        : e.binary('Max', e.i64([0]), e.binary('Add', size, e.i64([start])));
    begin[ax] = s;
    end[ax] = e.binary('Sub', e.binary('Sub', size, s), e.shapeOf(gy, ax, ax + 1));
  });
  const all = [...begin, ...end];
  const pads = all.every((p) => typeof p === 'number')
    ? e.i64(all as number[])
    : e.node(
        'Concat',
        all.map((p) => (typeof p === 'number' ? e.i64([p]) : p)),
        { dtype: 'int64', shape: [2 * rank], dims: [2 * rank] },
        { axis: { type: 'int', value: 0 } },
      );
  return [e.node('Pad', [gy, pads], { dtype: 'float32', shape: x!.shape, dims: x!.dims })];
};

/** Gather with constant 0-D/1-D indices: ScatterElements(add) into zeros — repeated indices accumulate. */
const gatherRule: GradientRule = ({ e, node, gy, needs }) => {
  if (!needs[0]) return [undefined];
  const [x, indicesV] = node.inputs as [GraphValue, GraphValue];
  const indices = constInts(node, indicesV, 'indices');
  if (indicesV.rank > 1) return fail(node, 'only 0-D and 1-D indices have a gradient rule');
  const axis = normalizeAxis(intAttr(node, 'axis', 0), x.rank);
  const g = indicesV.rank === 0 ? e.unsqueeze(gy, [axis]) : gy;
  const idxShape = x.shape.map((_, i) => (i === axis ? indices.length : 1));
  const idx = e.node('Expand', [e.i64(indices, idxShape), e.shapeOf(g)], {
    dtype: 'int64',
    shape: g.shape,
    dims: g.dims,
  });
  return [
    e.node(
      'ScatterElements',
      [e.zerosLike(x), idx, g],
      { dtype: 'float32', shape: x.shape, dims: x.dims },
      {
        axis: { type: 'int', value: axis },
        reduction: { type: 'string', value: 'add' },
      },
    ),
  ];
};

/** Reshape-like ops: the gradient takes the input's run-time shape. */
const reshapeRule: GradientRule = ({ e, node, gy, needs }) => [
  needs[0] ? e.reshapeAs(gy, node.inputs[0]!) : undefined,
];

const transposeRule: GradientRule = ({ e, node, gy, needs }) => {
  if (!needs[0]) return [undefined];
  const r = gy.rank;
  const perm = intsAttr(node, 'perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  const inverse = new Array<number>(r);
  perm.forEach((p, i) => {
    inverse[p] = i;
  });
  return [e.transpose(gy, inverse)];
};

/** Max/Min of two operands: the gradient goes to the winner (ties: to the first operand, as tfjs). */
const extremumRule =
  (firstWins: string, secondWins: string): GradientRule =>
  (ctx) => {
    const { e, node, gy, needs } = ctx;
    if (node.inputs.length === 1) return [needs[0] ? gy : undefined];
    if (node.inputs.length !== 2) return fail(node, 'only one or two operands have a gradient rule');
    const [a, b] = node.inputs as [GraphValue, GraphValue];
    return [
      needs[0] ? e.unbroadcast(e.mul(gy, e.mask(firstWins, a, b)), a) : undefined,
      needs[1] ? e.unbroadcast(e.mul(gy, e.mask(secondWins, a, b)), b) : undefined,
    ];
  };

const whereRule: GradientRule = ({ e, node, gy, needs }) => {
  const [cond, a, b] = node.inputs as [GraphValue, GraphValue, GraphValue];
  const zero = e.f32(0);
  return [
    undefined,
    needs[1] ? e.unbroadcast(e.where(cond, gy, zero), a) : undefined,
    needs[2] ? e.unbroadcast(e.where(cond, zero, gy), b) : undefined,
  ];
};

const constantValue = (v: GraphValue): number | undefined =>
  v.kind === 'constant' && v.data instanceof Float32Array && v.data.length === 1 ? v.data[0] : undefined;

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const GRADIENT_RULES: Readonly<Record<string, GradientRule>> = {
  Identity: ({ gy, needs }) => [needs[0] ? gy : undefined],
  Add: binary(
    (_, g) => g,
    (_, g) => g,
  ),
  Sub: binary(
    (_, g) => g,
    (e, g) => e.unary('Neg', g),
  ),
  Mul: binary(
    (e, g, _a, b) => e.mul(g, b),
    (e, g, a) => e.mul(g, a),
  ),
  Div: binary(
    (e, g, _a, b) => e.div(g, b),
    (e, g, _a, b, y) => e.unary('Neg', e.div(e.mul(g, y), b)),
  ),
  // y = aᵇ: da = g·b·aᵇ⁻¹, db = g·y·ln a.
  Pow: binary(
    (e, g, a, b) => {
      const c = constantValue(b);
      const bm1 = c === undefined ? e.sub(b, 1) : e.f32(c - 1);
      return e.mul(e.mul(g, b), e.binary('Pow', a, bm1));
    },
    (e, g, a, _b, y) => e.mul(e.mul(g, y), e.unary('Log', a)),
  ),
  Max: extremumRule('GreaterOrEqual', 'Less'),
  Min: extremumRule('LessOrEqual', 'Greater'),
  Where: whereRule,
  Neg: elementwise((e, g) => e.unary('Neg', g)),
  Sqrt: elementwise((e, g, _x, y) => e.div(e.mul(g, 0.5), y)),
  Reciprocal: elementwise((e, g, _x, y) => e.unary('Neg', e.mul(g, e.mul(y, y)))),
  Exp: elementwise((e, g, _x, y) => e.mul(g, y)),
  Log: elementwise((e, g, x) => e.div(g, x)),
  Erf: elementwise((e, g, x) =>
    e.mul(g, e.mul(e.unary('Exp', e.unary('Neg', e.mul(x, x))), TWO_OVER_SQRT_PI)),
  ),
  Sin: elementwise((e, g, x) => e.mul(g, e.unary('Cos', x))),
  Cos: elementwise((e, g, x) => e.unary('Neg', e.mul(g, e.unary('Sin', x)))),
  Tanh: elementwise((e, g, _x, y) => e.mul(g, e.sub(1, e.mul(y, y)))),
  Sigmoid: elementwise((e, g, _x, y) => e.mul(g, e.mul(y, e.sub(1, y)))),
  Softmax: softmaxRule,
  LayerNormalization: layerNormRule,
  MatMul: matMulRule,
  ReduceSum: reduceSumRule,
  ReduceMean: reduceMeanRule,
  ReduceMax: reduceMaxRule,
  Concat: concatRule,
  Slice: sliceRule,
  Gather: gatherRule,
  Transpose: transposeRule,
  Reshape: reshapeRule,
  Unsqueeze: reshapeRule,
  Squeeze: reshapeRule,
};
