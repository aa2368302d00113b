import { LfmError, sameShape } from '@lfm/core';
import { encodeModel, type ModelProto } from '@lfm/format';
import { type EmitOptions, Graph, type GraphNode, GraphValue, type OutputSpec } from '../graph.js';
import type { OnnxRecorder, Sym } from '../recorder.js';
import { Emitter } from './emitter.js';
import { EXTRA_OUTPUTS, GRADIENT_RULES, NON_DIFFERENTIABLE } from './rules.js';

export interface TrainingGraphOptions {
  /** The scalar loss: a float32 value of the traced graph with one element (shape [] or [1, …]). */
  readonly loss: Sym;
  /** Trainable parameters by name: each gets a gradient output `<gradPrefix><name>`. */
  readonly params: readonly string[];
  /** Graph inputs to differentiate as well (saliency, tests), by name. */
  readonly inputs?: readonly string[];
  /** More forward values to output, by name (e.g. the prediction, for metrics). */
  readonly outputs?: Readonly<Record<string, Sym>>;
  /** Output name of the loss; default `'loss'`. */
  readonly lossName?: string;
  /** Prefix of the gradient output names; default `'grad/'`. */
  readonly gradPrefix?: string;
}

export interface TrainingGraph {
  /** The training graph: the live forward nodes, then the backward nodes (`backward/<forward node>/…`). */
  readonly graph: Graph;
  /** Output name of the loss. */
  readonly lossName: string;
  /** Output name of each differentiated parameter's (and input's) gradient, by its name. */
  readonly gradients: Readonly<Record<string, string>>;
  /**
   * The differentiated names with no path to the loss (or only through stopGradient): their gradient
   * output is an explicit zero tensor of their shape.
   */
  readonly unreachable: readonly string[];
  /** Names of the batch inputs to feed (the traced graph's inputs, in order). */
  readonly inputNames: readonly string[];
  /** Names of every parameter (fed as inputs with `paramsAs: 'inputs'`, the default here). */
  readonly paramNames: readonly string[];
  /** The ModelProto; parameters are graph inputs unless `paramsAs: 'initializers'`. */
  toModelProto(options?: EmitOptions): ModelProto;
  /** The serialised model (parameters as graph inputs by default). */
  toModel(options?: EmitOptions): Uint8Array;
}

/**
 * Reverse-mode differentiation of a traced graph: returns ONE training graph whose inputs are the
 * traced graph's inputs and parameters and whose outputs are the loss, any requested forward values,
 * and the gradient of the loss with respect to every listed parameter (and input).
 *
 * The forward nodes that reach the loss or a requested output are copied (the source graph is left
 * as it is), then a backward node group is appended per forward node on a path from a differentiated
 * value to the loss, in reverse order, by the rule of its op type (`GRADIENT_RULES`). Gradients of a
 * value used several times are summed. Broadcasts are undone with ReduceSum over the broadcast axes
 * (a symbolic dim is never a broadcast one), and every size that depends on `B`/`N` is read at run time
 * (`Shape`, `Size`), so the training graph runs at any batch size and point count. Comparisons,
 * casts and `stopGradient` nodes pass no gradient. An op on the path with no rule throws.
 */
export function buildTrainingGraph(
  source: OnnxRecorder | Graph,
  options: TrainingGraphOptions,
): TrainingGraph {
  const src = source instanceof Graph ? source : source.graph;
  const lossName = options.lossName ?? 'loss';
  const gradPrefix = options.gradPrefix ?? 'grad/';
  const { loss } = options;
  if (!(loss instanceof GraphValue) || !src.owns(loss)) {
    throw new LfmError('E_ONNX_GRAD', 'buildTrainingGraph: the loss must be a value of the traced graph');
  }
  if (loss.dtype !== 'float32' || loss.shape.some((d) => d !== 1) || loss.dims.some((d) => d !== 1)) {
    throw new LfmError(
      'E_ONNX_GRAD',
      `buildTrainingGraph: the loss must be a float32 scalar, got ${loss.dtype} [${loss.dims.join(', ')}] (reduce it, e.g. reduceMean)`,
    );
  }
  const extra = Object.entries(options.outputs ?? {});
  for (const [name, v] of extra) {
    if (!(v instanceof GraphValue) || !src.owns(v)) {
      throw new LfmError(
        'E_ONNX_GRAD',
        `buildTrainingGraph: output '${name}' is not a value of the traced graph`,
      );
    }
  }
  const wrt = resolveWrt(src, options.params, options.inputs ?? []);

  // --- which nodes run, and which carry gradients ---
  const lossNodes = ancestors([loss]);
  const liveNodes = ancestors([loss, ...extra.map(([, v]) => v)]);
  const needs = new Set<GraphValue>(wrt.map(([, v]) => v));
  for (const n of src.nodes) {
    if (!lossNodes.has(n) || n.stopGradient || NON_DIFFERENTIABLE.has(n.opType)) continue;
    if (n.inputs.some((v) => needs.has(v)))
      for (const o of n.outputs) if (o.dtype === 'float32') needs.add(o);
  }

  // --- the forward copy ---
  const g = new Graph(src.dimSizes);
  const map = new Map<GraphValue, GraphValue>();
  for (const v of src.inputs) map.set(v, g.addInput(v.name, v.dtype, v.shape, v.dims));
  for (const v of src.params) map.set(v, g.addParam(v.name, v.data as Float32Array, v.shape));
  const get = (v: GraphValue): GraphValue => {
    const have = map.get(v);
    if (have) return have;
    if (v.kind !== 'constant' || !v.data) {
      throw new LfmError('E_ONNX_GRAD', `value '${v.name}' is used before it is defined`);
    }
    const c = g.addConstant(v.data, v.shape, v.name);
    map.set(v, c);
    return c;
  };
  const newNeeds = new Set<GraphValue>();
  const backwardNodes: GraphNode[] = [];
  for (const n of src.nodes) {
    if (!liveNodes.has(n)) continue;
    const onPath = lossNodes.has(n) && n.outputs.some((o) => needs.has(o));
    const outs: OutputSpec[] = n.outputs.map((o) => ({ dtype: o.dtype, shape: o.shape, dims: o.dims }));
    const want = EXTRA_OUTPUTS[n.opType];
    if (onPath && want !== undefined && outs.length < want) outs.push(...statsOutputs(n, want - outs.length));
    const slash = n.name.lastIndexOf('/');
    const copied = g.addNode(n.opType, n.inputs.map(get), outs, n.attributes, {
      op: n.op,
      prefix: slash > 0 ? n.name.slice(0, slash) : n.name,
      stopGradient: n.stopGradient,
    });
    n.outputs.forEach((o, k) => {
      map.set(o, copied[k]!);
      if (needs.has(o)) newNeeds.add(copied[k]!);
    });
    if (onPath) backwardNodes.push(copied[0]!.producer!);
  }
  for (const [, v] of wrt) if (needs.has(v)) newNeeds.add(get(v));

  // --- the backward pass ---
  const root = Emitter.create(g, 'backward');
  const grads = new Map<GraphValue, GraphValue[]>();
  const gradOf = (v: GraphValue): GraphValue | undefined => {
    const parts = grads.get(v);
    if (!parts || parts.length === 0) return undefined;
    if (parts.length === 1) return parts[0];
    const total = root.scoped(`backward/accumulate/${v.name}`).sum(parts);
    grads.set(v, [total]);
    return total;
  };
  const newLoss = get(loss);
  if (newNeeds.has(newLoss)) {
    grads.set(newLoss, [g.addConstant(Float32Array.of(1), loss.shape, 'backward/seed')]);
  }
  for (let k = backwardNodes.length - 1; k >= 0; k--) {
    const node = backwardNodes[k]!;
    const gy = gradOf(node.outputs[0]!);
    if (!gy) continue;
    const rule = GRADIENT_RULES[node.opType];
    if (!rule) {
      throw new LfmError(
        'E_ONNX_GRAD',
        `no gradient rule for ${node.opType} (node '${node.name}', from ${node.op}); ` +
          `supported: ${Object.keys(GRADIENT_RULES).join(', ')}`,
      );
    }
    const flags = node.inputs.map((v) => newNeeds.has(v));
    const dxs = rule({ e: root.scoped(`backward/${node.name}`), node, gy, needs: flags });
    node.inputs.forEach((x, i) => {
      const dx = dxs[i];
      if (!flags[i] || !dx) return;
      if (!sameShape(dx.shape, x.shape) || dx.dtype !== 'float32') {
        throw new LfmError(
          'E_ONNX_GRAD',
          `internal: the ${node.opType} rule gave input ${i} of '${node.name}' a gradient of shape [${dx.shape.join(', ')}], want [${x.shape.join(', ')}]`,
        );
      }
      const list = grads.get(x) ?? [];
      list.push(dx);
      grads.set(x, list);
    });
  }

  // --- outputs ---
  g.addOutput(lossName, newLoss);
  for (const [name, v] of extra) g.addOutput(name, get(v));
  const gradients: Record<string, string> = {};
  const unreachable: string[] = [];
  for (const [name, v] of wrt) {
    const nv = get(v);
    let dv = gradOf(nv);
    if (!dv) {
      unreachable.push(name);
      dv = root.scoped(`backward/zeros/${name}`).zerosLike(nv);
    }
    const out = `${gradPrefix}${name}`;
    g.addOutput(out, dv);
    gradients[name] = out;
  }

  const toModelProto = (emit: EmitOptions = {}) => g.toModelProto({ paramsAs: 'inputs', ...emit });
  return {
    graph: g,
    lossName,
    gradients,
    unreachable,
    inputNames: src.inputs.map((v) => v.name),
    paramNames: src.params.map((v) => v.name),
    toModelProto,
    toModel: (emit) => encodeModel(toModelProto(emit)),
  };
}

/** The (name, value) pairs to differentiate: parameters, then inputs; unknown names throw. */
function resolveWrt(
  src: Graph,
  params: readonly string[],
  inputs: readonly string[],
): [string, GraphValue][] {
  const pick = (list: readonly string[], pool: readonly GraphValue[], what: string) =>
    list.map((name): [string, GraphValue] => {
      const v = pool.find((p) => p.name === name);
      if (!v) {
        const known = pool.map((p) => p.name);
        throw new LfmError(
          'E_ONNX_GRAD',
          `buildTrainingGraph: no ${what} '${name}' in the traced graph (it has ${known.length > 0 ? known.join(', ') : 'none'})`,
        );
      }
      if (v.dtype !== 'float32') throw new LfmError('E_ONNX_GRAD', `${what} '${name}' is not float32`);
      return [name, v];
    });
  const all = [...pick(params, src.params, 'parameter'), ...pick(inputs, src.inputs, 'input')];
  const seen = new Set<string>();
  for (const [name] of all) {
    if (seen.has(name)) throw new LfmError('E_ONNX_GRAD', `buildTrainingGraph: '${name}' is listed twice`);
    seen.add(name);
  }
  return all;
}

/** The nodes the `roots` depend on. */
function ancestors(roots: readonly GraphValue[]): Set<GraphNode> {
  const seen = new Set<GraphNode>();
  const stack = [...roots];
  while (stack.length > 0) {
    const p = stack.pop()!.producer;
    if (p && !seen.has(p)) {
      seen.add(p);
      stack.push(...p.inputs);
    }
  }
  return seen;
}

/** LayerNormalization's optional Mean and InvStdDev outputs: x's shape with 1 over the normalised axes. */
function statsOutputs(n: GraphNode, count: number): OutputSpec[] {
  const x = n.inputs[0]!;
  const a = n.attributes.axis;
  const axis = a?.type === 'int' ? (a.value < 0 ? a.value + x.rank : a.value) : x.rank - 1;
  const spec: OutputSpec = {
    dtype: 'float32',
    shape: x.shape.map((d, i) => (i < axis ? d : 1)),
    dims: x.dims.map((d, i) => (i < axis ? d : 1)),
  };
  return Array.from({ length: count }, () => spec);
}
