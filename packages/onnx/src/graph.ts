import { type Dim, LfmError, type Shape } from '@lfm/core';
import {
  type AttributeProto,
  AttributeType,
  DataType,
  float32Tensor,
  type GraphProto,
  int64Tensor,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '@lfm/format';

/**
 * The recorder's graph: an ordered list of ONNX nodes over values that carry static shapes. It is the
 * in-memory form a later pass (the reverse-mode gradient builder) walks and extends; `toModelProto`
 * turns it into an ONNX ModelProto.
 *
 * - Nodes are kept in recording order, which is a topological order: a node's inputs are graph inputs,
 *   parameters, constants or outputs of earlier nodes.
 * - Every value has its concrete traced `shape` (the example sizes) and its `dims`, where a dim that
 *   depends on a symbolic graph-boundary dim (`'B'`, `'N'`) is a string: the symbol itself, or a
 *   derived label such as `'B*N'` or `'N-1'`.
 * - Nodes are standard opset-17 ONNX nodes (op type, attributes as ONNX attributes, int64 inputs for
 *   axes/shapes as constants), plus `op` (the Ops method that emitted it) and `stopGradient`.
 */

export type DType = 'float32' | 'int64' | 'bool';

export type ValueKind = 'input' | 'param' | 'constant' | 'node';

export type Attribute =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'string'; readonly value: string };

/** A tensor in the graph. Float32 values are the `Sym` handles model code sees through `Ops<Sym>`. */
export class GraphValue {
  /** @internal */ _name: string;
  constructor(
    name: string,
    readonly dtype: DType,
    /** Concrete sizes at trace time. */
    readonly shape: Shape,
    /** Symbolic dims: a number where the size is fixed, a string where it depends on a boundary symbol. */
    readonly dims: readonly Dim[],
    readonly kind: ValueKind,
    /** The node computing this value (kind `'node'`). */
    readonly producer?: GraphNode,
    /** The values of a parameter or constant (row-major). */
    readonly data?: Float32Array | BigInt64Array,
  ) {
    this._name = name;
  }

  /** The ONNX value name (graph input, initializer or node output). */
  get name(): string {
    return this._name;
  }

  get rank(): number {
    return this.shape.length;
  }
}

export class GraphNode {
  constructor(
    /** Unique, readable: `<scope>/<method>_<k>/<OpType>`. */
    readonly name: string,
    readonly opType: string,
    readonly inputs: readonly GraphValue[],
    readonly outputs: readonly GraphValue[],
    readonly attributes: Readonly<Record<string, Attribute>>,
    /** The `Ops` method that emitted this node (`'matMul'`, `'gelu'`), or the caller's label. */
    readonly op: string,
    /** True when no gradient flows through this node (stopGradient, comparisons, bool casts). */
    readonly stopGradient: boolean,
  ) {}
}

export interface OutputSpec {
  dtype: DType;
  shape: Shape;
  dims: readonly Dim[];
}

export interface AddNodeOptions {
  /** The Ops method (or pass) emitting the node, for names and for the gradient builder. */
  op: string;
  /** Node name prefix (scope + call), default `op`. */
  prefix?: string;
  stopGradient?: boolean;
}

/** How `toModelProto` emits parameters and constants. */
export interface EmitOptions {
  /** Default-domain opset; only 17 is supported (the node forms are opset 17's). */
  opset?: number;
  producer?: { name: string; version?: string };
  /** Stored as ModelProto.metadata_props. */
  metadata?: Readonly<Record<string, string>>;
  /** Parameters as initializers (inference, export) or as graph inputs (training: fed every step). */
  paramsAs?: 'initializers' | 'inputs';
  /** Constants as initializers (default) or as Constant nodes. */
  constantsAs?: 'initializers' | 'nodes';
  graphName?: string;
  docString?: string;
}

/** Opset this package emits, and the IR version that goes with it. */
export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

const DTYPE_CODE: Record<DType, number> = {
  float32: DataType.FLOAT,
  int64: DataType.INT64,
  bool: DataType.BOOL,
};

export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly inputs: GraphValue[] = [];
  readonly params: GraphValue[] = [];
  readonly constants: GraphValue[] = [];
  /** Graph outputs, in order; each value's `name` is the output name. */
  readonly outputs: GraphValue[] = [];
  private readonly used = new Set<string>();
  private readonly opCount = new Map<string, number>();
  private readonly constPool = new Map<string, GraphValue[]>();
  private readonly values = new WeakSet<GraphValue>();

  constructor(
    /** Traced sizes of the boundary symbols (`{ B: 2, N: 5 }`). */
    readonly dimSizes: Readonly<Record<string, number>>,
  ) {}

  /** Whether `v` is a value of this graph. */
  owns(v: GraphValue): boolean {
    return this.values.has(v);
  }

  private track(v: GraphValue): GraphValue {
    this.values.add(v);
    return v;
  }

  /** A name not yet used in the graph: `base`, else `base_1`, `base_2`, … */
  uniqueName(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  private claim(name: string, what: string): void {
    if (name === '') throw new LfmError('E_ONNX_NAME', `${what} needs a non-empty name`);
    if (this.used.has(name)) {
      throw new LfmError('E_ONNX_NAME', `${what} name '${name}' is already used in the graph`);
    }
    this.used.add(name);
  }

  /** A fresh call prefix `<scope><op>_<k>` for the nodes of one Ops call. */
  callPrefix(op: string, scope: string): string {
    const k = this.opCount.get(op) ?? 0;
    this.opCount.set(op, k + 1);
    return `${scope}${op}_${k}`;
  }

  addInput(name: string, dtype: DType, shape: Shape, dims: readonly Dim[]): GraphValue {
    this.claim(name, 'input');
    const v = this.track(new GraphValue(name, dtype, shape, dims, 'input'));
    this.inputs.push(v);
    return v;
  }

  addParam(name: string, data: Float32Array, shape: Shape): GraphValue {
    this.claim(name, 'parameter');
    const v = this.track(new GraphValue(name, 'float32', [...shape], [...shape], 'param', undefined, data));
    this.params.push(v);
    return v;
  }

  /** A deduplicated constant: equal dtype, shape and bytes give the same value. */
  addConstant(data: Float32Array | BigInt64Array, shape: Shape, label: string): GraphValue {
    const dtype: DType = data instanceof Float32Array ? 'float32' : 'int64';
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const key = `${dtype}[${shape.join(',')}]#${fnv1a(bytes)}`;
    const bucket = this.constPool.get(key) ?? [];
    for (const c of bucket) {
      const d = c.data!;
      const cb = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
      if (cb.length === bytes.length && cb.every((b, i) => b === bytes[i])) return c;
    }
    const copy = data instanceof Float32Array ? Float32Array.from(data) : BigInt64Array.from(data);
    const v = this.track(
      new GraphValue(this.uniqueName(label), dtype, [...shape], [...shape], 'constant', undefined, copy),
    );
    bucket.push(v);
    this.constPool.set(key, bucket);
    this.constants.push(v);
    return v;
  }

  /** Appends one node; returns its outputs (named `<prefix>/<OpType>`). */
  addNode(
    opType: string,
    inputs: readonly GraphValue[],
    outputs: readonly OutputSpec[],
    attributes: Readonly<Record<string, Attribute>>,
    options: AddNodeOptions,
  ): GraphValue[] {
    for (const v of inputs) {
      if (!this.owns(v)) {
        throw new LfmError('E_ONNX_VALUE', `${options.op}: input '${v.name}' belongs to another graph`);
      }
    }
    const name = this.uniqueName(`${options.prefix ?? options.op}/${opType}`);
    const outs: GraphValue[] = [];
    const node = new GraphNode(
      name,
      opType,
      [...inputs],
      outs,
      { ...attributes },
      options.op,
      options.stopGradient ?? false,
    );
    outputs.forEach((o, k) => {
      const vname = k === 0 ? name : this.uniqueName(`${name}:${k}`);
      outs.push(this.track(new GraphValue(vname, o.dtype, [...o.shape], [...o.dims], 'node', node)));
    });
    this.nodes.push(node);
    return outs;
  }

  /**
   * Declares `value` a graph output named `name`: renames a node output in place when it is not an
   * output yet, else routes it through an Identity node.
   */
  addOutput(name: string, value: GraphValue): GraphValue {
    if (value._name === name && value.kind === 'node' && !this.outputs.includes(value)) {
      this.outputs.push(value);
      return value;
    }
    if (value.kind === 'node' && !this.outputs.includes(value)) {
      this.claim(name, 'output');
      this.used.delete(value._name);
      value._name = name;
      this.outputs.push(value);
      return value;
    }
    this.claim(name, 'output');
    this.used.delete(name);
    const [out] = this.addNode(
      'Identity',
      [value],
      [{ dtype: value.dtype, shape: value.shape, dims: value.dims }],
      {},
      { op: 'output', prefix: `output/${name}` },
    );
    this.used.delete(out!._name);
    out!._name = name;
    this.used.add(name);
    this.outputs.push(out!);
    return out!;
  }

  /** The nodes that contribute to the outputs, in order. */
  liveNodes(): GraphNode[] {
    const live = new Set<GraphNode>();
    const stack = [...this.outputs];
    while (stack.length > 0) {
      const v = stack.pop()!;
      const p = v.producer;
      if (p && !live.has(p)) {
        live.add(p);
        stack.push(...p.inputs);
      }
    }
    return this.nodes.filter((n) => live.has(n));
  }

  toModelProto(options: EmitOptions = {}): ModelProto {
    const opset = options.opset ?? ONNX_OPSET;
    if (opset !== ONNX_OPSET) {
      throw new LfmError(
        'E_ONNX_OPSET',
        `opset ${opset} is not supported: the recorder emits opset-${ONNX_OPSET} node forms (e.g. ReduceMean axes as an attribute)`,
      );
    }
    if (this.outputs.length === 0) {
      throw new LfmError('E_ONNX_OUTPUT', 'the graph has no outputs: declare them with output(name, value)');
    }
    const nodes = this.liveNodes();
    const usedConsts = new Set<GraphValue>();
    for (const n of nodes) for (const v of n.inputs) if (v.kind === 'constant') usedConsts.add(v);
    for (const v of this.outputs) if (v.kind === 'constant') usedConsts.add(v);
    const constants = this.constants.filter((c) => usedConsts.has(c));
    const paramsAsInputs = options.paramsAs === 'inputs';
    const constNodes = options.constantsAs === 'nodes';

    const graph: GraphProto = {
      name: options.graphName ?? 'lfm',
      node: [...(constNodes ? constants.map(constantNode) : []), ...nodes.map(nodeToProto)],
      initializer: [
        ...(paramsAsInputs ? [] : this.params.map(tensorOf)),
        ...(constNodes ? [] : constants.map(tensorOf)),
      ],
      input: [...this.inputs, ...(paramsAsInputs ? this.params : [])].map(valueInfo),
      output: this.outputs.map(valueInfo),
      valueInfo: [],
    };
    if (options.docString !== undefined) graph.docString = options.docString;
    const producer = options.producer ?? { name: '@lfm/onnx' };
    const model: ModelProto = {
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: opset }],
      producerName: producer.name,
      graph,
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
    if (producer.version !== undefined) model.producerVersion = producer.version;
    return model;
  }
}

function tensorOf(v: GraphValue): TensorProto {
  const d = v.data!;
  return d instanceof Float32Array ? float32Tensor(v.name, v.shape, d) : int64Tensor(v.name, v.shape, [...d]);
}

function constantNode(v: GraphValue): NodeProto {
  return {
    input: [],
    output: [v.name],
    name: `${v.name}/Constant`,
    opType: 'Constant',
    attribute: [{ name: 'value', type: AttributeType.TENSOR, t: { ...tensorOf(v), name: '' } }],
  };
}

function valueInfo(v: GraphValue): ValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: DTYPE_CODE[v.dtype],
        shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function nodeToProto(n: GraphNode): NodeProto {
  const p: NodeProto = {
    input: n.inputs.map((v) => v.name),
    output: n.outputs.map((v) => v.name),
    name: n.name,
    opType: n.opType,
    attribute: Object.entries(n.attributes).map(([name, a]) => attributeToProto(name, a)),
  };
  if (n.stopGradient && n.op === 'stopGradient') p.docString = 'lfm:stop_gradient';
  return p;
}

function attributeToProto(name: string, a: Attribute): AttributeProto {
  switch (a.type) {
    case 'int':
      return { name, type: AttributeType.INT, i: a.value };
    case 'float':
      return { name, type: AttributeType.FLOAT, f: a.value };
    case 'ints':
      return { name, type: AttributeType.INTS, ints: [...a.value] };
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: [...a.value] };
    case 'string':
      return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.value) };
  }
}

/** 32-bit FNV-1a of bytes, as hex (constant deduplication key; equality is checked byte by byte). */
function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}
