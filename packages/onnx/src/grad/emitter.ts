import { broadcastShapes, type Dim, LfmError, type Shape, sameShape } from '@lfm/core';
import { broadcastDims, reshapeDims } from '../dims.js';
import type { Attribute, DType, Graph, GraphValue, OutputSpec } from '../graph.js';

/**
 * Node emission for the backward pass: each helper appends one opset-17 node to the training graph and
 * derives its output's concrete traced shape and symbolic dims (the recorder's rules), so later rules
 * can tell a broadcast axis (`1` against anything else) from a symbolic one. Nothing here bakes a traced
 * `B` or `N` into the graph: sizes that depend on them are read at run time with `Shape`/`Size`.
 */

/** What the helpers need of a value: its traced shape and symbolic dims. */
export interface ShapedLike {
  readonly shape: Shape;
  readonly dims: readonly Dim[];
}

/** State shared by every emitter of one build: the graph and a per-value `Shape` cache. */
interface EmitState {
  readonly graph: Graph;
  readonly shapes: Map<GraphValue, GraphValue>;
}

const attrInt = (value: number): Attribute => ({ type: 'int', value });

export class Emitter {
  private constructor(
    private readonly state: EmitState,
    /** Node name prefix of this emitter (`backward/<forward node>`). */
    readonly prefix: string,
  ) {}

  static create(graph: Graph, prefix: string): Emitter {
    return new Emitter({ graph, shapes: new Map() }, prefix);
  }

  /** An emitter sharing this one's state, naming its nodes `prefix/<OpType>`. */
  scoped(prefix: string): Emitter {
    return new Emitter(this.state, prefix);
  }

  get graph(): Graph {
    return this.state.graph;
  }

  /** Appends a node with any number of outputs. */
  nodes(
    opType: string,
    inputs: readonly GraphValue[],
    outputs: readonly OutputSpec[],
    attributes: Readonly<Record<string, Attribute>> = {},
  ): GraphValue[] {
    return this.graph.addNode(opType, inputs, outputs, attributes, { op: 'backward', prefix: this.prefix });
  }

  /** Appends a single-output node. */
  node(
    opType: string,
    inputs: readonly GraphValue[],
    out: OutputSpec,
    attributes: Readonly<Record<string, Attribute>> = {},
  ): GraphValue {
    return this.nodes(opType, inputs, [out], attributes)[0]!;
  }

  // --- constants ---------------------------------------------------------------------------------

  /** A float32 constant (scalar by default). */
  f32(value: number | Float32Array, shape: Shape = []): GraphValue {
    const data = typeof value === 'number' ? Float32Array.of(value) : value;
    const label = shape.length === 0 ? `const/${data[0]}` : `const/f32[${shape.join('x')}]`;
    return this.graph.addConstant(data, shape, label);
  }

  /** A 1-D int64 constant (or of `shape`). */
  i64(values: readonly number[], shape: Shape = [values.length]): GraphValue {
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    const label = values.length <= 8 ? `const/i64[${values.join(',')}]` : 'const/i64';
    return this.graph.addConstant(data, shape, label);
  }

  // --- elementwise -------------------------------------------------------------------------------

  /** A numpy-broadcasting binary node (Add, Mul, Equal, …) with output dtype `dtype`. */
  binary(opType: string, a: GraphValue, b: GraphValue, dtype: DType = a.dtype): GraphValue {
    const shape = broadcastShapes(a.shape, b.shape);
    const dims = broadcastDims(`backward ${opType}`, a.dims, b.dims, shape);
    return this.node(opType, [a, b], { dtype, shape, dims });
  }

  add(a: GraphValue, b: GraphValue | number): GraphValue {
    return this.binary('Add', a, this.operand(b));
  }
  sub(a: GraphValue | number, b: GraphValue | number): GraphValue {
    return this.binary('Sub', this.operand(a), this.operand(b));
  }
  mul(a: GraphValue, b: GraphValue | number): GraphValue {
    return this.binary('Mul', a, this.operand(b));
  }
  div(a: GraphValue, b: GraphValue | number): GraphValue {
    return this.binary('Div', a, this.operand(b));
  }

  /** A 0/1 float32 mask from a comparison (`GreaterOrEqual`, `Equal`, …). */
  mask(opType: string, a: GraphValue, b: GraphValue): GraphValue {
    return this.cast(this.binary(opType, a, b, 'bool'), 'float32');
  }

  /** A same-shape unary node. */
  unary(opType: string, x: GraphValue, attributes: Readonly<Record<string, Attribute>> = {}): GraphValue {
    return this.node(opType, [x], like(x), attributes);
  }

  cast(x: GraphValue, to: DType): GraphValue {
    const code = to === 'float32' ? 1 : to === 'int64' ? 7 : 9;
    return this.node('Cast', [x], { dtype: to, shape: x.shape, dims: x.dims }, { to: attrInt(code) });
  }

  where(cond: GraphValue, a: GraphValue, b: GraphValue): GraphValue {
    const ab = broadcastShapes(cond.shape, a.shape);
    const shape = broadcastShapes(ab, b.shape);
    const dims = broadcastDims(
      'backward Where',
      broadcastDims('backward Where', cond.dims, a.dims, ab),
      b.dims,
      shape,
    );
    return this.node('Where', [cond, a, b], { dtype: a.dtype, shape, dims });
  }

  private operand(x: GraphValue | number): GraphValue {
    return typeof x === 'number' ? this.f32(x) : x;
  }

  // --- reductions --------------------------------------------------------------------------------

  /** ReduceSum over non-negative `axes` (opset 13+: axes as an input); identity for no axes. */
  reduceSum(x: GraphValue, axes: readonly number[], keepDims: boolean): GraphValue {
    if (axes.length === 0) return x;
    return this.node('ReduceSum', [x, this.i64(axes)], reduced(x, axes, keepDims), {
      keepdims: attrInt(keepDims ? 1 : 0),
    });
  }

  /** ReduceMean over non-negative `axes` (opset 17: axes as an attribute). */
  reduceMean(x: GraphValue, axes: readonly number[], keepDims: boolean): GraphValue {
    if (axes.length === 0) return x;
    return this.node('ReduceMean', [x], reduced(x, axes, keepDims), {
      axes: { type: 'ints', value: [...axes] },
      keepdims: attrInt(keepDims ? 1 : 0),
    });
  }

  // --- layout ------------------------------------------------------------------------------------

  /** Unsqueeze at sorted output axes. */
  unsqueeze(x: GraphValue, axes: readonly number[]): GraphValue {
    if (axes.length === 0) return x;
    const shape = [...x.shape];
    const dims = [...x.dims];
    for (const a of [...axes].sort((p, q) => p - q)) {
      shape.splice(a, 0, 1);
      dims.splice(a, 0, 1);
    }
    return this.node('Unsqueeze', [x, this.i64(axes)], { dtype: x.dtype, shape, dims });
  }

  /** Squeeze the listed (size-1) axes. */
  squeeze(x: GraphValue, axes: readonly number[]): GraphValue {
    if (axes.length === 0) return x;
    const keep = (_: unknown, i: number) => !axes.includes(i);
    return this.node('Squeeze', [x, this.i64(axes)], {
      dtype: x.dtype,
      shape: x.shape.filter(keep),
      dims: x.dims.filter(keep),
    });
  }

  transpose(x: GraphValue, perm: readonly number[]): GraphValue {
    return this.node(
      'Transpose',
      [x],
      { dtype: x.dtype, shape: perm.map((p) => x.shape[p]!), dims: perm.map((p) => x.dims[p]!) },
      { perm: { type: 'ints', value: [...perm] } },
    );
  }

  /** Swaps the last two axes. */
  transposeLast2(x: GraphValue): GraphValue {
    const r = x.rank;
    return this.transpose(
      x,
      Array.from({ length: r }, (_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i)),
    );
  }

  /** `Shape(x)` (or dims [start, end) of it) as int64; whole shapes are cached per value. */
  shapeOf(x: GraphValue, start?: number, end?: number): GraphValue {
    const whole = start === undefined && end === undefined;
    if (whole) {
      const cached = this.state.shapes.get(x);
      if (cached) return cached;
    }
    const s = start ?? 0;
    const e = end ?? x.rank;
    const attributes: Record<string, Attribute> = {};
    if (start !== undefined) attributes.start = attrInt(start);
    if (end !== undefined) attributes.end = attrInt(end);
    const v = this.node('Shape', [x], { dtype: 'int64', shape: [e - s], dims: [e - s] }, attributes);
    if (whole) this.state.shapes.set(x, v);
    return v;
  }

  /** x reshaped to the run-time shape of `target` (same element count). */
  reshapeAs(x: GraphValue, target: GraphValue): GraphValue {
    if (sameShape(x.shape, target.shape) && sameDims(x.dims, target.dims)) return x;
    return this.node('Reshape', [x, this.shapeOf(target)], spec(x.dtype, target));
  }

  /** x reshaped with a constant target (0 = copy, −1 = infer); `shape` is the traced result. */
  reshape(x: GraphValue, target: readonly number[], shape: Shape): GraphValue {
    const dims = reshapeDims(x.dims, x.shape, target, shape);
    return this.node('Reshape', [x, this.i64(target)], { dtype: x.dtype, shape, dims });
  }

  /** x broadcast to the run-time shape of `target`. */
  expandAs(x: GraphValue, target: GraphValue): GraphValue {
    if (sameShape(x.shape, target.shape) && sameDims(x.dims, target.dims)) return x;
    return this.node('Expand', [x, this.shapeOf(target)], spec(x.dtype, target));
  }

  /** Float32 zeros shaped like `x`: a constant shape when static, else read at run time. */
  zerosLike(x: GraphValue): GraphValue {
    const out: OutputSpec = { dtype: 'float32', shape: x.shape, dims: x.dims };
    const shape = x.dims.every((d) => typeof d === 'number') ? this.i64(x.shape) : this.shapeOf(x);
    return this.node('ConstantOfShape', [shape], out);
  }

  /** Batched MatMul (ranks ≥ 2, numpy batch broadcasting). */
  matMul(a: GraphValue, b: GraphValue): GraphValue {
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const batchDims = broadcastDims('backward MatMul', a.dims.slice(0, -2), b.dims.slice(0, -2), batch);
    const shape = [...batch, a.shape[a.rank - 2]!, b.shape[b.rank - 1]!];
    const dims = [...batchDims, a.dims[a.rank - 2]!, b.dims[b.rank - 1]!];
    return this.node('MatMul', [a, b], { dtype: 'float32', shape, dims });
  }

  /** Gemm of two matrices: op(a) · op(b). */
  gemm(a: GraphValue, b: GraphValue, transA: boolean, transB: boolean): GraphValue {
    const m = transA ? 1 : 0;
    const p = transB ? 0 : 1;
    return this.node(
      'Gemm',
      [a, b],
      { dtype: 'float32', shape: [a.shape[m]!, b.shape[p]!], dims: [a.dims[m]!, b.dims[p]!] },
      { transA: attrInt(transA ? 1 : 0), transB: attrInt(transB ? 1 : 0) },
    );
  }

  /** Variadic Sum of same-shape values (gradient accumulation). */
  sum(xs: readonly GraphValue[]): GraphValue {
    if (xs.length === 1) return xs[0]!;
    return this.node('Sum', xs, like(xs[0]!));
  }

  /**
   * The gradient `g` of a broadcast result reduced to the shape of the operand `target`: ReduceSum
   * (keepdims) over the axes where `target` has a fixed 1 and `g` does not, and over `g`'s extra
   * leading axes, which are then squeezed. A symbolic dim of `target` is never a broadcast: it equals
   * the result's dim at every size (where it is 1 at run time the other side is 1 too).
   */
  unbroadcast(g: GraphValue, target: ShapedLike): GraphValue {
    const lead = g.rank - target.shape.length;
    if (lead < 0) {
      throw new LfmError(
        'E_ONNX_GRAD',
        `unbroadcast: gradient rank ${g.rank} < operand rank ${target.shape.length}`,
      );
    }
    const axes: number[] = [];
    for (let i = 0; i < lead; i++) axes.push(i);
    target.dims.forEach((d, i) => {
      if (d === 1 && g.dims[lead + i] !== 1) axes.push(lead + i);
    });
    if (axes.length === 0) return g;
    const summed = this.reduceSum(g, axes, true);
    return this.squeeze(
      summed,
      Array.from({ length: lead }, (_, i) => i),
    );
  }
}

const like = (x: GraphValue): OutputSpec => ({ dtype: x.dtype, shape: x.shape, dims: x.dims });
const spec = (dtype: DType, t: ShapedLike): OutputSpec => ({ dtype, shape: t.shape, dims: t.dims });

function reduced(x: GraphValue, axes: readonly number[], keepDims: boolean): OutputSpec {
  const keep = (i: number) => !axes.includes(i);
  return {
    dtype: x.dtype,
    shape: keepDims ? x.shape.map((d, i) => (keep(i) ? d : 1)) : x.shape.filter((_, i) => keep(i)),
    dims: keepDims ? x.dims.map((d, i) => (keep(i) ? d : 1)) : x.dims.filter((_, i) => keep(i)),
  };
}

export function sameDims(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
