import {
  broadcastShapes,
  type Dim,
  LfmError,
  linearShape,
  matMulShape,
  normalizeAxis,
  type Operand,
  type Ops,
  type Params,
  resolveAxes,
  resolveReshape,
  resolveSlice,
  type Shape,
  ShapeError,
  sameShape,
} from '@lfm/core';
import { encodeModel, type ModelProto } from '@lfm/format';
import { broadcastDims, concatDim, reshapeDims, sameDim, sliceDim } from './dims.js';
import { type Attribute, type DType, type EmitOptions, Graph, GraphValue, type OutputSpec } from './graph.js';

/** The recorder's tensor handle: a float32 value of the graph being traced. */
export type Sym = GraphValue;

export interface OnnxRecorderOptions {
  /**
   * Traced sizes of the symbolic dims used in `input` shapes, e.g. `{ B: 2, N: 5 }`. Each must be ≥ 2:
   * a size of 1 would be indistinguishable from a broadcast dim.
   */
  dims?: Readonly<Record<string, number>>;
  /** Default for `toModel`: parameters as initializers (export) or graph inputs (training graph). */
  paramsAs?: 'initializers' | 'inputs';
}

export type ToModelOptions = EmitOptions;

export interface OnnxRecorder {
  /** The op interface; every call appends opset-17 nodes to `graph`. */
  readonly ops: Ops<Sym>;
  /** The graph recorded so far (for inspection and for graph passes such as a gradient builder). */
  readonly graph: Graph;
  /** A float32 graph input; string dims (`['B', 'N', 2]`) are symbolic in the exported graph. */
  input(name: string, dims: readonly Dim[]): Sym;
  /** A named parameter: an initializer, or a graph input with `paramsAs: 'inputs'`. */
  param(name: string, data: Float32Array, shape: Shape): Sym;
  /**
   * `Params<Sym>` over named weights for model code: `get(name, shape)` records the parameter on first
   * use (so the graph holds only the parameters the model reads) and checks its shape.
   */
  params(values: Readonly<Record<string, Float32Array>>): Params<Sym>;
  /** Declares `x` a graph output named `name`. */
  output(name: string, x: Sym): Sym;
  /** Runs `fn` with `name/` prefixed to the names of the nodes it records (readable graphs). */
  scope<R>(name: string, fn: () => R): R;
  toModelProto(options?: ToModelOptions): ModelProto;
  /** The serialised ONNX model. */
  toModel(options?: ToModelOptions): Uint8Array;
}

/** Sentinel `end` for Slice: "to the end of the axis" whatever its runtime size. */
const INT64_MAX = 0x7fffffffffffffffn;

/**
 * Records `Ops<Sym>` calls as an ONNX opset-17 graph. Shapes are inferred while tracing with core's
 * shape rules (the same ones the tfjs engine checks) on the example sizes, and symbolic dims are
 * carried beside them: model code that only broadcasts and reshapes with 0/−1 gives a graph that runs
 * for any B and N. Code that bakes a traced B/N into the graph fails here with a ShapeError.
 */
export function createOnnxRecorder(options: OnnxRecorderOptions = {}): OnnxRecorder {
  const dimSizes = { ...(options.dims ?? {}) };
  for (const [sym, size] of Object.entries(dimSizes)) {
    if (!Number.isInteger(size) || size < 2) {
      throw new ShapeError(
        `dims.${sym} = ${size}: trace symbolic dims with an integer size ≥ 2 (1 is ambiguous under broadcasting)`,
      );
    }
  }
  const graph = new Graph(dimSizes);
  const scopes: string[] = [];
  const scopePrefix = () => (scopes.length > 0 ? `${scopes.join('/')}/` : '');

  // --- node emission -----------------------------------------------------------------------------

  /** One Ops call: a name prefix shared by its nodes. */
  const call = (op: string) => {
    const prefix = graph.callPrefix(op, scopePrefix());
    const node = (
      opType: string,
      inputs: readonly GraphValue[],
      out: OutputSpec,
      attributes: Record<string, Attribute> = {},
      stopGradient = false,
    ): GraphValue => graph.addNode(opType, inputs, [out], attributes, { op, prefix, stopGradient })[0]!;
    return node;
  };
  const f32 = (shape: Shape, dims: readonly Dim[]): OutputSpec => ({ dtype: 'float32', shape, dims });
  const like = (x: GraphValue, dtype: DType = x.dtype): OutputSpec => ({
    dtype,
    shape: x.shape,
    dims: x.dims,
  });

  const constF32 = (data: Float32Array, shape: Shape): GraphValue => {
    const label = shape.length === 0 ? `const/${data[0]}` : `const/f32[${shape.join('x')}]`;
    return graph.addConstant(data, shape, label);
  };
  const constI64 = (values: readonly (number | bigint)[]): GraphValue => {
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    const label = values.length <= 8 ? `const/i64[${values.map(String).join(',')}]` : 'const/i64';
    return graph.addConstant(data, [values.length], label);
  };

  const sym = (x: Operand<Sym>, op: string): GraphValue => {
    if (typeof x === 'number') return constF32(Float32Array.of(x), []);
    if (!(x instanceof GraphValue) || !graph.owns(x) || x.dtype !== 'float32') {
      throw new LfmError('E_ONNX_VALUE', `${op}: expected a float32 value recorded by this recorder`);
    }
    return x;
  };

  /** The operands of a broadcasting binary op as values, and the broadcast shape and dims. */
  const broadcastOperands = (op: string, a: Operand<Sym>, b: Operand<Sym>) => {
    const x = sym(a, op);
    const y = sym(b, op);
    const shape = checked(op, () => broadcastShapes(x.shape, y.shape));
    const dims = checked(op, () => broadcastDims(op, x.dims, y.dims, shape));
    return { x, y, shape, dims };
  };

  const binary =
    (op: string, opType: string) =>
    (a: Operand<Sym>, b: Operand<Sym>): Sym => {
      const { x, y, shape, dims } = broadcastOperands(op, a, b);
      return call(op)(opType, [x, y], f32(shape, dims));
    };

  const compare =
    (op: string, opType: string) =>
    (a: Operand<Sym>, b: Operand<Sym>): Sym => {
      const { x, y, shape, dims } = broadcastOperands(op, a, b);
      const node = call(op);
      const mask = node(opType, [x, y], { dtype: 'bool', shape, dims }, {}, true);
      return node('Cast', [mask], f32(shape, dims), { to: { type: 'int', value: 1 } }, true);
    };

  const unary =
    (op: string, opType: string) =>
    (x: Sym): Sym => {
      const v = sym(x, op);
      return call(op)(opType, [v], like(v));
    };

  const reduce =
    (op: string, opType: string, axesAsInput: boolean) =>
    (x: Sym, axes?: number | readonly number[], keepDims = false): Sym => {
      const v = sym(x, op);
      const list = checked(op, () => resolveAxes(axes, v.rank));
      const keep = (i: number) => !list.includes(i);
      const shape = keepDims ? v.shape.map((d, i) => (keep(i) ? d : 1)) : v.shape.filter((_, i) => keep(i));
      const dims = keepDims ? v.dims.map((d, i) => (keep(i) ? d : 1)) : v.dims.filter((_, i) => keep(i));
      const node = call(op);
      const keepAttr: Attribute = { type: 'int', value: keepDims ? 1 : 0 };
      if (list.length === 0) return node('Identity', [v], like(v));
      if (axesAsInput) return node(opType, [v, constI64(list)], f32(shape, dims), { keepdims: keepAttr });
      return node(opType, [v], f32(shape, dims), { axes: { type: 'ints', value: list }, keepdims: keepAttr });
    };

  const transposeLast2 = (node: ReturnType<typeof call>, v: GraphValue): GraphValue => {
    const r = v.rank;
    const perm = Array.from({ length: r }, (_, i) => (i < r - 2 ? i : i === r - 2 ? r - 1 : r - 2));
    return node('Transpose', [v], f32(permute(v.shape, perm), permute(v.dims, perm)), {
      perm: { type: 'ints', value: perm },
    });
  };

  const ops: Ops<Sym> = {
    engine: 'onnx',
    shape: (x) => sym(x, 'shape').shape,

    constant(data, shape) {
      const values = data instanceof Float32Array ? data : Float32Array.from(data);
      const size = shape.reduce((n, d) => n * d, 1);
      if (size !== values.length || shape.some((d) => !Number.isInteger(d) || d < 0)) {
        throw new ShapeError(
          `constant: shape [${shape.join(', ')}] has ${size} elements, data has ${values.length}`,
        );
      }
      return constF32(values, [...shape]);
    },
    scalar: (value) => constF32(Float32Array.of(value), []),

    add: binary('add', 'Add'),
    sub: binary('sub', 'Sub'),
    mul: binary('mul', 'Mul'),
    div: binary('div', 'Div'),
    pow: binary('pow', 'Pow'),
    maximum: binary('maximum', 'Max'),
    minimum: binary('minimum', 'Min'),
    equal: compare('equal', 'Equal'),
    greater: compare('greater', 'Greater'),
    where(cond, a, b) {
      const c = sym(cond, 'where');
      const x = sym(a, 'where');
      const y = sym(b, 'where');
      const cx = checked('where', () => broadcastShapes(c.shape, x.shape));
      const shape = checked('where', () => broadcastShapes(cx, y.shape));
      const dims = checked('where', () =>
        broadcastDims('where', broadcastDims('where', c.dims, x.dims, cx), y.dims, shape),
      );
      const node = call('where');
      const bool = node('Cast', [c], like(c, 'bool'), { to: { type: 'int', value: 9 } }, true);
      return node('Where', [bool, x, y], f32(shape, dims));
    },

    neg: unary('neg', 'Neg'),
    sqrt: unary('sqrt', 'Sqrt'),
    reciprocal: unary('reciprocal', 'Reciprocal'),
    exp: unary('exp', 'Exp'),
    log: unary('log', 'Log'),
    erf: unary('erf', 'Erf'),
    sin: unary('sin', 'Sin'),
    cos: unary('cos', 'Cos'),
    tanh: unary('tanh', 'Tanh'),
    sigmoid: unary('sigmoid', 'Sigmoid'),
    gelu(x) {
      // ½·x·(1 + erf(x/√2)), in the node pattern onnxruntime fuses into one Gelu kernel.
      const v = sym(x, 'gelu');
      const node = call('gelu');
      const out = like(v);
      const e = node('Erf', [node('Div', [v, constF32(Float32Array.of(Math.SQRT2), [])], out)], out);
      const onePlus = node('Add', [e, constF32(Float32Array.of(1), [])], out);
      return node('Mul', [node('Mul', [v, onePlus], out), constF32(Float32Array.of(0.5), [])], out);
    },

    reduceSum: reduce('reduceSum', 'ReduceSum', true),
    reduceMean: reduce('reduceMean', 'ReduceMean', false),
    reduceMax: reduce('reduceMax', 'ReduceMax', false),

    softmax(x) {
      const v = sym(x, 'softmax');
      if (v.rank === 0) throw new ShapeError('softmax: needs rank ≥ 1');
      return call('softmax')('Softmax', [v], like(v), { axis: { type: 'int', value: -1 } });
    },
    layerNorm(x, gamma, beta, eps = 1e-5) {
      const v = sym(x, 'layerNorm');
      const g = sym(gamma, 'layerNorm');
      const b = sym(beta, 'layerNorm');
      const d = v.shape[v.rank - 1];
      if (d === undefined || g.rank !== 1 || g.shape[0] !== d || b.rank !== 1 || b.shape[0] !== d) {
        throw new ShapeError(
          `layerNorm: x [..., D], gamma [D], beta [D]; got [${v.shape.join(', ')}], [${g.shape.join(', ')}], [${b.shape.join(', ')}]`,
        );
      }
      checked('layerNorm', () => sameDim('layerNorm gamma', v.dims[v.rank - 1]!, g.dims[0]!, d));
      checked('layerNorm', () => sameDim('layerNorm beta', v.dims[v.rank - 1]!, b.dims[0]!, d));
      return call('layerNorm')('LayerNormalization', [v, g, b], like(v), {
        axis: { type: 'int', value: -1 },
        epsilon: { type: 'float', value: eps },
      });
    },
    matMul(a, b, options = {}) {
      const x = sym(a, 'matMul');
      const y = sym(b, 'matMul');
      const shape = checked('matMul', () => matMulShape(x.shape, y.shape, options));
      const node = call('matMul');
      const xt = options.transposeA ? transposeLast2(node, x) : x;
      const yt = options.transposeB ? transposeLast2(node, y) : y;
      const batch = checked('matMul', () =>
        broadcastDims('matMul batch', xt.dims.slice(0, -2), yt.dims.slice(0, -2), shape.slice(0, -2)),
      );
      const k = xt.shape[xt.rank - 1]!;
      checked('matMul', () => sameDim('matMul inner dim', xt.dims[xt.rank - 1]!, yt.dims[yt.rank - 2]!, k));
      const dims = [...batch, xt.dims[xt.rank - 2]!, yt.dims[yt.rank - 1]!];
      return node('MatMul', [xt, yt], f32(shape, dims));
    },
    linear(x, w, b) {
      const v = sym(x, 'linear');
      const wv = sym(w, 'linear');
      const bv = b === undefined ? undefined : sym(b, 'linear');
      const { k, m } = linearShape(v.shape, wv.shape, bv?.shape);
      checked('linear', () => sameDim('linear inner dim', v.dims[v.rank - 1]!, wv.dims[0]!, k));
      const shape = [...v.shape.slice(0, -1), m];
      const dims = [...v.dims.slice(0, -1), wv.dims[1]!];
      const node = call('linear');
      const y = node('MatMul', [v, wv], f32(shape, dims));
      return bv ? node('Add', [y, bv], f32(shape, dims)) : y;
    },

    concat(xs, axis) {
      const vs = xs.map((x) => sym(x, 'concat'));
      const first = vs[0];
      if (first === undefined) throw new ShapeError('concat: needs at least one tensor');
      const ax = checked('concat', () => normalizeAxis(axis, first.rank));
      for (const v of vs) {
        if (v.rank !== first.rank || v.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
          throw new ShapeError(
            `concat: shapes ${vs.map((u) => `[${u.shape.join(', ')}]`).join(', ')} differ off axis ${ax}`,
          );
        }
      }
      const dims = first.dims.map((d, i) =>
        i === ax
          ? concatDim(vs.map((v) => v.dims[i]!))
          : vs.reduce<Dim>(
              (acc, v) => checked('concat', () => sameDim('concat', acc, v.dims[i]!, first.shape[i]!)),
              d,
            ),
      );
      const shape = first.shape.map((d, i) => (i === ax ? vs.reduce((s, v) => s + v.shape[i]!, 0) : d));
      if (vs.length === 1) return call('concat')('Identity', [first], like(first));
      return call('concat')('Concat', vs, f32(shape, dims), { axis: { type: 'int', value: ax } });
    },
    slice(x, axis, start, end) {
      const v = sym(x, 'slice');
      const ax = checked('slice', () => normalizeAxis(axis, v.rank));
      if (!Number.isInteger(start) || (end !== undefined && !Number.isInteger(end))) {
        throw new ShapeError(`slice: start ${start} and end ${end} must be integers`);
      }
      const [s, e] = resolveSlice(v.shape[ax]!, start, end);
      const shape = v.shape.map((d, i) => (i === ax ? e - s : d));
      const dims = v.dims.map((d, i) => (i === ax ? sliceDim(d, v.shape[ax]!, start, end, s, e) : d));
      return call('slice')(
        'Slice',
        [v, constI64([start]), constI64([end ?? INT64_MAX]), constI64([ax])],
        f32(shape, dims),
      );
    },
    gather(x, indices, axis) {
      const v = sym(x, 'gather');
      const ax = checked('gather', () => normalizeAxis(axis, v.rank));
      const n = v.shape[ax]!;
      for (const i of indices) {
        if (!Number.isInteger(i) || i < 0 || i >= n)
          throw new ShapeError(`gather: index ${i} out of range [0, ${n}) on axis ${ax}`);
      }
      const list = Array.from(indices);
      const shape = v.shape.map((d, i) => (i === ax ? list.length : d));
      const dims = v.dims.map((d, i) => (i === ax ? list.length : d));
      return call('gather')('Gather', [v, constI64(list)], f32(shape, dims), {
        axis: { type: 'int', value: ax },
      });
    },
    transpose(x, perm) {
      const v = sym(x, 'transpose');
      const seen = new Set(perm);
      if (
        perm.length !== v.rank ||
        seen.size !== v.rank ||
        perm.some((p) => !(Number.isInteger(p) && p >= 0 && p < v.rank))
      ) {
        throw new ShapeError(`transpose: perm [${perm.join(', ')}] is not a permutation of rank ${v.rank}`);
      }
      return call('transpose')('Transpose', [v], f32(permute(v.shape, perm), permute(v.dims, perm)), {
        perm: { type: 'ints', value: [...perm] },
      });
    },
    reshape(x, dims) {
      const v = sym(x, 'reshape');
      const shape = checked('reshape', () => resolveReshape(v.shape, dims));
      const outDims = checked('reshape', () => reshapeDims(v.dims, v.shape, dims, shape));
      return call('reshape')('Reshape', [v, constI64(dims)], f32(shape, outDims), {
        allowzero: { type: 'int', value: 0 },
      });
    },
    expandDims(x, axis) {
      const v = sym(x, 'expandDims');
      const ax = checked('expandDims', () => normalizeAxis(axis, v.rank + 1));
      const shape = [...v.shape.slice(0, ax), 1, ...v.shape.slice(ax)];
      const dims = [...v.dims.slice(0, ax), 1, ...v.dims.slice(ax)];
      return call('expandDims')('Unsqueeze', [v, constI64([ax])], f32(shape, dims));
    },
    squeeze(x, axes) {
      const v = sym(x, 'squeeze');
      const list = checked('squeeze', () => resolveAxes(axes, v.rank));
      for (const a of list) {
        if (v.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of [${v.shape.join(', ')}] is not 1`);
      }
      const shape = v.shape.filter((_, i) => !list.includes(i));
      const dims = v.dims.filter((_, i) => !list.includes(i));
      if (list.length === 0) return call('squeeze')('Identity', [v], like(v));
      return call('squeeze')('Squeeze', [v, constI64(list)], f32(shape, dims));
    },

    stopGradient(x) {
      const v = sym(x, 'stopGradient');
      return call('stopGradient')('Identity', [v], like(v), {}, true);
    },
  };

  const recorder: OnnxRecorder = {
    ops,
    graph,
    input(name, dims) {
      const shape = dims.map((d, i) => {
        if (typeof d === 'number') {
          if (!Number.isInteger(d) || d < 0)
            throw new ShapeError(`input '${name}': invalid size ${d} at axis ${i}`);
          return d;
        }
        const size = dimSizes[d];
        if (size === undefined) {
          throw new ShapeError(
            `input '${name}' [${dims.join(', ')}]: give the traced size of symbolic dim '${d}' in ` +
              `createOnnxRecorder({ dims: { ${d}: … } })`,
          );
        }
        return size;
      });
      return graph.addInput(name, 'float32', shape, [...dims]);
    },
    param(name, data, shape) {
      const size = shape.reduce((n, d) => n * d, 1);
      if (!(data instanceof Float32Array) || data.length !== size) {
        throw new ShapeError(
          `parameter '${name}' [${shape.join(', ')}] needs ${size} float32 values, got ${data?.length ?? 'none'}`,
        );
      }
      return graph.addParam(name, data, shape);
    },
    params(values) {
      const recorded = new Map<string, GraphValue>();
      return {
        get(name, shape) {
          const have = recorded.get(name);
          if (have) {
            if (!sameShape(have.shape, shape)) {
              throw new ShapeError(
                `parameter '${name}' must have shape [${shape.join(', ')}], got [${have.shape.join(', ')}]`,
              );
            }
            return have;
          }
          const data = Object.hasOwn(values, name) ? values[name] : undefined;
          if (data === undefined) {
            throw new LfmError('E_PARAM', `parameter '${name}' [${shape.join(', ')}] is missing`);
          }
          const v = recorder.param(name, data, shape);
          recorded.set(name, v);
          return v;
        },
      };
    },
    output(name, x) {
      return graph.addOutput(name, sym(x, 'output'));
    },
    scope(name, fn) {
      scopes.push(name);
      try {
        return fn();
      } finally {
        scopes.pop();
      }
    },
    toModelProto(emit = {}) {
      const paramsAs = emit.paramsAs ?? options.paramsAs;
      return graph.toModelProto(paramsAs === undefined ? emit : { ...emit, paramsAs });
    },
    toModel(emit = {}) {
      return encodeModel(recorder.toModelProto(emit));
    },
  };
  return recorder;
}

function permute<D>(xs: readonly D[], perm: readonly number[]): D[] {
  return perm.map((p) => xs[p]!);
}

/** Runs a shape rule, prefixing its ShapeError with the op name. */
function checked<R>(op: string, rule: () => R): R {
  try {
    return rule();
  } catch (e) {
    if (e instanceof ShapeError && !e.message.startsWith(`${op}`))
      throw new ShapeError(`${op}: ${e.message}`);
    throw e;
  }
}
