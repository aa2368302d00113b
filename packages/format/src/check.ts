import type { Dim } from '@lfm/core';
import { OnnxFormatError } from './errors.js';
import { defaultDomainOpProblem, MAX_KNOWN_OPSET, minIrVersionForOpset } from './op-table.js';
import { AttributeType, DataType, type TensorProto, type ValueInfoProto } from './proto.js';
import { type DecodeOptions, decodeModel } from './proto-decode.js';

const DTYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(DataType).map(([name, code]) => [code, name.toLowerCase()]),
);

/** Byte width of fixed-width data types (raw_data length checks), listed by width. */
const WIDTH: Record<number, number> = Object.fromEntries(
  (
    [
      [1, ['UINT8', 'INT8', 'BOOL']],
      [2, ['UINT16', 'INT16', 'FLOAT16']],
      [4, ['FLOAT', 'INT32', 'UINT32']],
      [8, ['INT64', 'DOUBLE', 'UINT64']],
    ] as const
  ).flatMap(([bytes, types]) => types.map((t) => [DataType[t], bytes])),
);

export interface ModelValueSummary {
  name: string;
  /** Element type (`'float'`, `'int64'`, …), or `'non-tensor'`. */
  elemType: string;
  /** Sizes; symbolic dims by name (`'B'`), unknown ones as `'?'`; undefined when the rank is unknown. */
  dims?: Dim[];
}

export interface ModelSummary {
  irVersion: number;
  /** Imported opsets by domain (`''` is the default ONNX domain). */
  opsets: Record<string, number>;
  producerName?: string;
  producerVersion?: string;
  /** Graph inputs that are not initializers (what a caller feeds). */
  inputs: ModelValueSummary[];
  outputs: ModelValueSummary[];
  nodes: number;
  initializers: number;
  /** Node count per op type. */
  opTypes: Record<string, number>;
  metadata: Record<string, string>;
}

const isDefaultDomain = (d: string | undefined) => d === undefined || d === '' || d === 'ai.onnx';

/**
 * Decodes an ONNX model and checks its structure: IR and opset imports are valid and consistent; every
 * node uses an op of an imported domain (default-domain ops must exist in the imported opset); every
 * node input is a graph input, an initializer or the output of an EARLIER node (nodes are topologically
 * sorted); no value is defined twice; every graph output is defined; initializer data fits its shape.
 * Subgraphs (If/Loop bodies) are not descended into. Throws OnnxFormatError listing every problem.
 */
export function checkModel(bytes: Uint8Array, options: Pick<DecodeOptions, 'file'> = {}): ModelSummary {
  const model = decodeModel(bytes, options);
  const graph = model.graph!;
  const problems: string[] = [];
  const problem = (p: string) => problems.push(p);

  // --- IR and opsets ---
  if (model.irVersion < 3) problem(`ir_version ${model.irVersion}: models with opset imports need IR ≥ 3`);
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport) {
    const domain = o.domain === 'ai.onnx' ? '' : o.domain;
    if (Object.hasOwn(opsets, domain)) problem(`opset_import lists domain '${o.domain}' twice`);
    if (!Number.isInteger(o.version) || o.version < 1) {
      problem(`opset_import of domain '${o.domain}' has invalid version ${o.version}`);
    }
    opsets[domain] = o.version;
  }
  const opset = opsets[''];
  if (opset === undefined) {
    problem(
      'no opset_import for the default ONNX domain (ai.onnx): the model does not say which opset it uses',
    );
  } else if (opset > MAX_KNOWN_OPSET) {
    problem(`default-domain opset ${opset} is newer than the newest this checker knows (${MAX_KNOWN_OPSET})`);
  } else if (opset >= 1 && model.irVersion >= 3 && model.irVersion < minIrVersionForOpset(opset)) {
    problem(
      `opset ${opset} needs ir_version ≥ ${minIrVersionForOpset(opset)}, the model has ${model.irVersion}`,
    );
  }

  // --- values defined before any node: graph inputs and initializers ---
  const defined = new Set<string>();
  const initializerNames = new Set<string>();
  for (const [k, t] of graph.initializer.entries()) {
    const name = t.name ?? '';
    if (name === '') problem(`initializer #${k} has no name`);
    else if (initializerNames.has(name)) problem(`initializer '${name}' is defined twice`);
    initializerNames.add(name);
    defined.add(name);
    const bad = tensorDataProblem(t);
    if (bad) problem(`initializer '${name}': ${bad}`);
  }
  const inputNames = new Set<string>();
  for (const [k, v] of graph.input.entries()) {
    if (v.name === '') problem(`graph input #${k} has no name`);
    else if (inputNames.has(v.name)) problem(`graph input '${v.name}' is declared twice`);
    inputNames.add(v.name);
    defined.add(v.name);
    const bad = valueTypeProblem(v);
    if (bad) problem(`graph input '${v.name}': ${bad}`);
  }

  // --- nodes, in order ---
  const opTypes: Record<string, number> = {};
  for (const [k, n] of graph.node.entries()) {
    const label = `node #${k}${n.name ? ` '${n.name}'` : ''} (${n.opType || '?'})`;
    if (n.opType === '') problem(`${label} has no op_type`);
    const domain = isDefaultDomain(n.domain) ? '' : n.domain!;
    const version = opsets[domain];
    if (version === undefined) {
      if (domain !== '') problem(`${label} uses domain '${domain}', which is not in opset_import`);
    } else if (domain === '' && n.opType !== '') {
      const bad = defaultDomainOpProblem(n.opType, version);
      if (bad) problem(`${label}: ${bad}`);
    }
    opTypes[n.opType] = (opTypes[n.opType] ?? 0) + 1;
    const attrNames = new Set<string>();
    for (const a of n.attribute) {
      if (a.name === '') problem(`${label} has an attribute without a name`);
      else if (attrNames.has(a.name)) problem(`${label} has attribute '${a.name}' twice`);
      attrNames.add(a.name);
      if (a.type === AttributeType.UNDEFINED && a.refAttrName === undefined) {
        problem(`${label} attribute '${a.name}' has no type`);
      }
      if (a.t) {
        const bad = tensorDataProblem(a.t);
        if (bad) problem(`${label} attribute '${a.name}': ${bad}`);
      }
    }
    for (const i of n.input) {
      if (i !== '' && !defined.has(i)) {
        problem(`${label} reads '${i}', which no graph input, initializer or earlier node defines`);
      }
    }
    for (const o of n.output) {
      if (o === '') continue; // an omitted optional output
      if (defined.has(o)) problem(`${label} writes '${o}', which is already defined`);
      defined.add(o);
    }
  }

  // --- outputs ---
  if (graph.output.length === 0) problem('the graph has no outputs');
  const outputNames = new Set<string>();
  for (const [k, v] of graph.output.entries()) {
    if (v.name === '') problem(`graph output #${k} has no name`);
    else if (outputNames.has(v.name)) problem(`graph output '${v.name}' is declared twice`);
    else if (!defined.has(v.name)) problem(`graph output '${v.name}' is not computed by the graph`);
    outputNames.add(v.name);
    const bad = valueTypeProblem(v);
    if (bad) problem(`graph output '${v.name}': ${bad}`);
  }

  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    const more = problems.length > 5 ? `; … and ${problems.length - 5} more` : '';
    throw new OnnxFormatError(
      `invalid ONNX model (${problems.length} problem${problems.length > 1 ? 's' : ''}): ${shown}${more}`,
      { ...(options.file ? { file: options.file } : {}), problems },
    );
  }

  const summary: ModelSummary = {
    irVersion: model.irVersion,
    opsets,
    inputs: graph.input.filter((v) => !initializerNames.has(v.name)).map(summarizeValue),
    outputs: graph.output.map(summarizeValue),
    nodes: graph.node.length,
    initializers: graph.initializer.length,
    opTypes,
    metadata: metadataRecord(model.metadataProps),
  };
  if (model.producerName !== undefined) summary.producerName = model.producerName;
  if (model.producerVersion !== undefined) summary.producerVersion = model.producerVersion;
  return summary;
}

/**
 * The model's metadata_props as a record (a later duplicate key wins). Reads only the model header, not
 * the graph. Throws OnnxFormatError when the bytes are not an ONNX model.
 */
export function readModelMetadata(
  bytes: Uint8Array,
  options: Pick<DecodeOptions, 'file'> = {},
): Record<string, string> {
  return metadataRecord(decodeModel(bytes, { ...options, graph: false }).metadataProps);
}

function metadataRecord(entries: readonly { key: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) out[e.key] = e.value;
  return out;
}

function valueTypeProblem(v: ValueInfoProto): string | undefined {
  if (!v.type) return 'has no type';
  if (v.type.otherKind !== undefined) return undefined; // sequence/map/optional: legal, not inspected
  if (!v.type.tensorType) return 'has an empty type';
  if (v.type.tensorType.elemType === DataType.UNDEFINED) return 'has no element type';
  for (const d of v.type.tensorType.shape?.dim ?? []) {
    if (d.dimValue !== undefined && d.dimValue < 0) return `has a negative dim ${d.dimValue}`;
  }
  return undefined;
}

function tensorDataProblem(t: TensorProto): string | undefined {
  if (t.dataType === DataType.UNDEFINED) return 'has no data type';
  if (t.dims.some((d) => d < 0)) return `has a negative dim in [${t.dims.join(', ')}]`;
  if (t.dataLocation === 1 || t.externalData !== undefined) return undefined; // external file: not read here
  const n = t.dims.reduce((a, b) => a * b, 1);
  const width = WIDTH[t.dataType];
  const shape = `[${t.dims.join(', ')}] ${DTYPE_NAMES[t.dataType] ?? `type ${t.dataType}`}`;
  if (t.rawData !== undefined) {
    if (width !== undefined && t.rawData.length !== n * width) {
      return `${shape} needs ${n * width} bytes of raw_data, has ${t.rawData.length}`;
    }
    return undefined;
  }
  const count =
    t.floatData?.length ??
    t.int32Data?.length ??
    t.int64Data?.length ??
    t.doubleData?.length ??
    t.stringData?.length ??
    (n === 0 ? 0 : undefined);
  if (count === undefined) return width === undefined ? undefined : `${shape} has no data`;
  if (count !== n) return `${shape} needs ${n} elements, has ${count}`;
  return undefined;
}

function summarizeValue(v: ValueInfoProto): ModelValueSummary {
  const tt = v.type?.tensorType;
  if (!tt) return { name: v.name, elemType: 'non-tensor' };
  const s: ModelValueSummary = { name: v.name, elemType: DTYPE_NAMES[tt.elemType] ?? `type ${tt.elemType}` };
  if (tt.shape) s.dims = tt.shape.dim.map((d) => d.dimValue ?? d.dimParam ?? '?');
  return s;
}
