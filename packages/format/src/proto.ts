import { OnnxFormatError } from './errors.js';
import {
  decodeUtf8,
  fixed32ToFloat,
  fixed64ToFloat,
  type Int64,
  ProtoReader,
  ProtoWriter,
  type RawField,
  WireType,
} from './wire.js';

/**
 * The ONNX protobuf messages LFM reads and writes, as plain objects, with a hand-written codec.
 * Field numbers are those of onnx.proto (IR version 8); fields not listed here are skipped when
 * decoding. Names follow onnx.proto in camelCase.
 */

/** TensorProto.DataType values used here. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

export interface StringStringEntryProto {
  key: string;
  value: string;
}

export interface OperatorSetIdProto {
  /** '' (or 'ai.onnx') is the default ONNX domain. */
  domain: string;
  version: number;
}

export interface TensorProto {
  name?: string;
  dims: number[];
  dataType: number;
  /** Little-endian fixed-width elements (bool: one byte each). */
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  doubleData?: number[];
  stringData?: Uint8Array[];
  docString?: string;
  externalData?: StringStringEntryProto[];
  /** 0 = default (inside the file), 1 = external. */
  dataLocation?: number;
}

export interface TensorShapeDimension {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}

export interface TypeProto {
  tensorType?: { elemType: number; shape?: { dim: TensorShapeDimension[] } };
  /** Field number of a non-tensor type (sequence 4, map 5, sparse 8, optional 9), which we do not decode. */
  otherKind?: number;
  denotation?: string;
}

export interface ValueInfoProto {
  name: string;
  type?: TypeProto;
  docString?: string;
}

export interface AttributeProto {
  name: string;
  /** An AttributeType; decides which value field is meaningful. */
  type: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
  refAttrName?: string;
  docString?: string;
}

export interface NodeProto {
  input: string[];
  output: string[];
  name?: string;
  opType: string;
  domain?: string;
  attribute: AttributeProto[];
  docString?: string;
}

export interface GraphProto {
  name?: string;
  node: NodeProto[];
  initializer: TensorProto[];
  docString?: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
}

export interface ModelProto {
  irVersion: number;
  opsetImport: OperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  /** Absent only when decoded with `{ graph: false }` (or in a malformed file). */
  graph?: GraphProto;
  metadataProps: StringStringEntryProto[];
}

// ------------------------------------------------------------------------------------------------
// Encoding
// ------------------------------------------------------------------------------------------------

/** Serialises a ModelProto to ONNX protobuf bytes. */
export function encodeModel(m: ModelProto): Uint8Array {
  const w = new ProtoWriter();
  w.int64Field(1, m.irVersion);
  if (m.producerName !== undefined) w.stringField(2, m.producerName);
  if (m.producerVersion !== undefined) w.stringField(3, m.producerVersion);
  if (m.domain !== undefined) w.stringField(4, m.domain);
  if (m.modelVersion !== undefined) w.int64Field(5, m.modelVersion);
  if (m.docString !== undefined) w.stringField(6, m.docString);
  if (m.graph) {
    const g = m.graph;
    w.messageField(7, (s) => writeGraph(s, g));
  }
  for (const o of m.opsetImport) {
    w.messageField(8, (s) => {
      s.stringField(1, o.domain);
      s.int64Field(2, o.version);
    });
  }
  for (const e of m.metadataProps) w.messageField(14, (s) => writeEntry(s, e));
  return w.finish();
}

function writeEntry(w: ProtoWriter, e: StringStringEntryProto): void {
  w.stringField(1, e.key);
  w.stringField(2, e.value);
}

function writeGraph(w: ProtoWriter, g: GraphProto): void {
  for (const n of g.node) w.messageField(1, (s) => writeNode(s, n));
  if (g.name !== undefined) w.stringField(2, g.name);
  for (const t of g.initializer) w.messageField(5, (s) => writeTensor(s, t));
  if (g.docString !== undefined) w.stringField(10, g.docString);
  for (const v of g.input) w.messageField(11, (s) => writeValueInfo(s, v));
  for (const v of g.output) w.messageField(12, (s) => writeValueInfo(s, v));
  for (const v of g.valueInfo) w.messageField(13, (s) => writeValueInfo(s, v));
}

function writeNode(w: ProtoWriter, n: NodeProto): void {
  for (const i of n.input) w.stringField(1, i);
  for (const o of n.output) w.stringField(2, o);
  if (n.name !== undefined) w.stringField(3, n.name);
  w.stringField(4, n.opType);
  for (const a of n.attribute) w.messageField(5, (s) => writeAttribute(s, a));
  if (n.docString !== undefined) w.stringField(6, n.docString);
  if (n.domain !== undefined) w.stringField(7, n.domain);
}

function writeAttribute(w: ProtoWriter, a: AttributeProto): void {
  w.stringField(1, a.name);
  if (a.f !== undefined) w.floatField(2, a.f);
  if (a.i !== undefined) w.int64Field(3, a.i);
  if (a.s !== undefined) w.bytesField(4, a.s);
  if (a.t) {
    const t = a.t;
    w.messageField(5, (s) => writeTensor(s, t));
  }
  if (a.g) {
    const g = a.g;
    w.messageField(6, (s) => writeGraph(s, g));
  }
  for (const f of a.floats ?? []) w.floatField(7, f);
  for (const i of a.ints ?? []) w.int64Field(8, i);
  for (const s of a.strings ?? []) w.bytesField(9, s);
  for (const t of a.tensors ?? []) w.messageField(10, (s) => writeTensor(s, t));
  for (const g of a.graphs ?? []) w.messageField(11, (s) => writeGraph(s, g));
  if (a.docString !== undefined) w.stringField(13, a.docString);
  w.int64Field(20, a.type);
  if (a.refAttrName !== undefined) w.stringField(21, a.refAttrName);
}

function writeTensor(w: ProtoWriter, t: TensorProto): void {
  for (const d of t.dims) w.int64Field(1, d);
  w.int64Field(2, t.dataType);
  for (const f of t.floatData ?? []) w.floatField(4, f);
  for (const i of t.int32Data ?? []) w.int64Field(5, i);
  for (const s of t.stringData ?? []) w.bytesField(6, s);
  for (const i of t.int64Data ?? []) w.int64Field(7, i);
  if (t.name !== undefined) w.stringField(8, t.name);
  if (t.rawData !== undefined) w.bytesField(9, t.rawData);
  for (const d of t.doubleData ?? []) w.tag(10, WireType.fixed64).float64(d);
  if (t.docString !== undefined) w.stringField(12, t.docString);
  for (const e of t.externalData ?? []) w.messageField(13, (s) => writeEntry(s, e));
  if (t.dataLocation !== undefined) w.int64Field(14, t.dataLocation);
}

function writeValueInfo(w: ProtoWriter, v: ValueInfoProto): void {
  w.stringField(1, v.name);
  if (v.type) {
    const type = v.type;
    w.messageField(2, (s) => writeType(s, type));
  }
  if (v.docString !== undefined) w.stringField(3, v.docString);
}

function writeType(w: ProtoWriter, t: TypeProto): void {
  if (t.tensorType) {
    const tt = t.tensorType;
    w.messageField(1, (s) => {
      s.int64Field(1, tt.elemType);
      if (tt.shape) {
        const shape = tt.shape;
        s.messageField(2, (sh) => {
          for (const d of shape.dim) {
            sh.messageField(1, (dw) => {
              if (d.dimValue !== undefined) dw.int64Field(1, d.dimValue);
              if (d.dimParam !== undefined) dw.stringField(2, d.dimParam);
              if (d.denotation !== undefined) dw.stringField(3, d.denotation);
            });
          }
        });
      }
    });
  }
  if (t.denotation !== undefined) w.stringField(6, t.denotation);
}

// ------------------------------------------------------------------------------------------------
// Decoding
// ------------------------------------------------------------------------------------------------

export interface DecodeOptions {
  /** Decode the graph (default true). `false` reads only the model header and metadata (fast). */
  graph?: boolean;
  /** File name for error messages. */
  file?: string;
}

/**
 * Parses ONNX protobuf bytes. Throws OnnxFormatError (naming the message path and byte offset) on
 * anything that is not a well-formed ModelProto: garbage, truncation, a field of the wrong wire type,
 * invalid UTF-8, or a protobuf message without the ir_version and graph every ONNX model has.
 */
export function decodeModel(bytes: Uint8Array, options: DecodeOptions = {}): ModelProto {
  try {
    return decodeModelUnchecked(bytes, options.graph ?? true);
  } catch (e) {
    if (e instanceof OnnxFormatError && options.file) {
      throw new OnnxFormatError(`not a valid ONNX model: ${e.message}`, { file: options.file });
    }
    if (e instanceof OnnxFormatError) throw new OnnxFormatError(`not a valid ONNX model: ${e.message}`);
    throw e;
  }
}

function decodeModelUnchecked(bytes: Uint8Array, withGraph: boolean): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new OnnxFormatError('expected the model bytes as a Uint8Array');
  if (bytes.length === 0) throw new OnnxFormatError('the file is empty');
  const m: ModelProto = { irVersion: 0, opsetImport: [], metadataProps: [] };
  let hasIr = false;
  let hasGraph = false;
  readFields(new ProtoReader(bytes, 'ModelProto'), (f, r) => {
    switch (f.field) {
      case 1:
        m.irVersion = safeInt(f, r, 'ir_version');
        hasIr = true;
        break;
      case 2:
        m.producerName = str(f, r, 'producer_name');
        break;
      case 3:
        m.producerVersion = str(f, r, 'producer_version');
        break;
      case 4:
        m.domain = str(f, r, 'domain');
        break;
      case 5:
        m.modelVersion = safeInt(f, r, 'model_version');
        break;
      case 6:
        m.docString = str(f, r, 'doc_string');
        break;
      case 7:
        r.expect(f, WireType.bytes, 'graph');
        hasGraph = true;
        if (withGraph) m.graph = readGraph(sub(f, r, 'ModelProto.graph'));
        break;
      case 8:
        m.opsetImport.push(readOpset(sub(f, r, `ModelProto.opset_import[${m.opsetImport.length}]`)));
        break;
      case 14:
        m.metadataProps.push(readEntry(sub(f, r, `ModelProto.metadata_props[${m.metadataProps.length}]`)));
        break;
    }
  });
  if (!hasIr || !hasGraph) {
    const missing = [!hasIr && 'ir_version (field 1)', !hasGraph && 'graph (field 7)'].filter(Boolean);
    throw new OnnxFormatError(
      `the bytes parse as protobuf but have no ${missing.join(' and ')} — this is not an ONNX ModelProto`,
    );
  }
  return m;
}

function readFields(r: ProtoReader, handle: (f: RawField, r: ProtoReader) => void): void {
  for (let f = r.next(); f !== undefined; f = r.next()) handle(f, r);
}

function sub(f: RawField, r: ProtoReader, where: string): ProtoReader {
  r.expect(f, WireType.bytes, where.slice(where.lastIndexOf('.') + 1));
  return new ProtoReader(f.bytes!, where, r.payloadBase(f));
}

function str(f: RawField, r: ProtoReader, name: string): string {
  r.expect(f, WireType.bytes, name);
  return decodeUtf8(f.bytes!, r, name);
}

function bytesOf(f: RawField, r: ProtoReader, name: string): Uint8Array {
  r.expect(f, WireType.bytes, name);
  return f.bytes!;
}

function int64(f: RawField, r: ProtoReader, name: string): Int64 {
  r.expect(f, WireType.varint, name);
  return f.int!;
}

function safeInt(f: RawField, r: ProtoReader, name: string): number {
  const v = int64(f, r, name);
  if (typeof v !== 'number') r.fail(`${name} = ${v} is out of range`, f.offset);
  return v;
}

/** A repeated varint field, packed or not. */
function pushInt64s(f: RawField, r: ProtoReader, name: string, out: Int64[]): void {
  if (f.wire === WireType.bytes) {
    const p = new ProtoReader(f.bytes!, `${r.where}.${name}`, r.payloadBase(f));
    while (!p.done) out.push(p.varint());
  } else out.push(int64(f, r, name));
}

function pushSafeInts(f: RawField, r: ProtoReader, name: string, out: number[]): void {
  const tmp: Int64[] = [];
  pushInt64s(f, r, name, tmp);
  for (const v of tmp) {
    if (typeof v !== 'number') r.fail(`${name} value ${v} is out of range`, f.offset);
    out.push(v);
  }
}

/** A repeated float (fixed32) or double (fixed64) field, packed or not. */
function pushFloats(f: RawField, r: ProtoReader, name: string, out: number[], width: 4 | 8): void {
  const read = width === 4 ? fixed32ToFloat : fixed64ToFloat;
  if (f.wire === WireType.bytes) {
    const b = f.bytes!;
    if (b.length % width !== 0) r.fail(`packed ${name} has ${b.length} bytes, not a multiple of ${width}`);
    for (let k = 0; k < b.length; k += width) out.push(read(b.subarray(k, k + width)));
  } else {
    r.expect(f, width === 4 ? WireType.fixed32 : WireType.fixed64, name);
    out.push(read(f.bytes!));
  }
}

function readEntry(r: ProtoReader): StringStringEntryProto {
  const e: StringStringEntryProto = { key: '', value: '' };
  readFields(r, (f) => {
    if (f.field === 1) e.key = str(f, r, 'key');
    else if (f.field === 2) e.value = str(f, r, 'value');
  });
  return e;
}

function readOpset(r: ProtoReader): OperatorSetIdProto {
  const o: OperatorSetIdProto = { domain: '', version: 0 };
  readFields(r, (f) => {
    if (f.field === 1) o.domain = str(f, r, 'domain');
    else if (f.field === 2) o.version = safeInt(f, r, 'version');
  });
  return o;
}

function readGraph(r: ProtoReader): GraphProto {
  const g: GraphProto = { node: [], initializer: [], input: [], output: [], valueInfo: [] };
  readFields(r, (f) => {
    switch (f.field) {
      case 1:
        g.node.push(readNode(sub(f, r, `${r.where}.node[${g.node.length}]`)));
        break;
      case 2:
        g.name = str(f, r, 'name');
        break;
      case 5:
        g.initializer.push(readTensor(sub(f, r, `${r.where}.initializer[${g.initializer.length}]`)));
        break;
      case 10:
        g.docString = str(f, r, 'doc_string');
        break;
      case 11:
        g.input.push(readValueInfo(sub(f, r, `${r.where}.input[${g.input.length}]`)));
        break;
      case 12:
        g.output.push(readValueInfo(sub(f, r, `${r.where}.output[${g.output.length}]`)));
        break;
      case 13:
        g.valueInfo.push(readValueInfo(sub(f, r, `${r.where}.value_info[${g.valueInfo.length}]`)));
        break;
    }
  });
  return g;
}

function readNode(r: ProtoReader): NodeProto {
  const n: NodeProto = { input: [], output: [], opType: '', attribute: [] };
  readFields(r, (f) => {
    switch (f.field) {
      case 1:
        n.input.push(str(f, r, 'input'));
        break;
      case 2:
        n.output.push(str(f, r, 'output'));
        break;
      case 3:
        n.name = str(f, r, 'name');
        break;
      case 4:
        n.opType = str(f, r, 'op_type');
        break;
      case 5:
        n.attribute.push(readAttribute(sub(f, r, `${r.where}.attribute[${n.attribute.length}]`)));
        break;
      case 6:
        n.docString = str(f, r, 'doc_string');
        break;
      case 7:
        n.domain = str(f, r, 'domain');
        break;
    }
  });
  return n;
}

function readAttribute(r: ProtoReader): AttributeProto {
  const a: AttributeProto = { name: '', type: AttributeType.UNDEFINED };
  readFields(r, (f) => {
    switch (f.field) {
      case 1:
        a.name = str(f, r, 'name');
        break;
      case 2:
        r.expect(f, WireType.fixed32, 'f');
        a.f = fixed32ToFloat(f.bytes!);
        break;
      case 3:
        a.i = int64(f, r, 'i');
        break;
      case 4:
        a.s = bytesOf(f, r, 's');
        break;
      case 5:
        a.t = readTensor(sub(f, r, `${r.where}.t`));
        break;
      case 6:
        a.g = readGraph(sub(f, r, `${r.where}.g`));
        break;
      case 7:
        pushFloats(f, r, 'floats', (a.floats ??= []), 4);
        break;
      case 8:
        pushInt64s(f, r, 'ints', (a.ints ??= []));
        break;
      case 9:
        (a.strings ??= []).push(bytesOf(f, r, 'strings'));
        break;
      case 10:
        (a.tensors ??= []).push(readTensor(sub(f, r, `${r.where}.tensors[${a.tensors?.length ?? 0}]`)));
        break;
      case 11:
        (a.graphs ??= []).push(readGraph(sub(f, r, `${r.where}.graphs[${a.graphs?.length ?? 0}]`)));
        break;
      case 13:
        a.docString = str(f, r, 'doc_string');
        break;
      case 20:
        a.type = safeInt(f, r, 'type');
        break;
      case 21:
        a.refAttrName = str(f, r, 'ref_attr_name');
        break;
    }
  });
  return a;
}

function readTensor(r: ProtoReader): TensorProto {
  const t: TensorProto = { dims: [], dataType: DataType.UNDEFINED };
  readFields(r, (f) => {
    switch (f.field) {
      case 1:
        pushSafeInts(f, r, 'dims', t.dims);
        break;
      case 2:
        t.dataType = safeInt(f, r, 'data_type');
        break;
      case 4:
        pushFloats(f, r, 'float_data', (t.floatData ??= []), 4);
        break;
      case 5:
        pushSafeInts(f, r, 'int32_data', (t.int32Data ??= []));
        break;
      case 6:
        (t.stringData ??= []).push(bytesOf(f, r, 'string_data'));
        break;
      case 7:
        pushInt64s(f, r, 'int64_data', (t.int64Data ??= []));
        break;
      case 8:
        t.name = str(f, r, 'name');
        break;
      case 9:
        t.rawData = bytesOf(f, r, 'raw_data');
        break;
      case 10:
        pushFloats(f, r, 'double_data', (t.doubleData ??= []), 8);
        break;
      case 12:
        t.docString = str(f, r, 'doc_string');
        break;
      case 13:
        (t.externalData ??= []).push(readEntry(sub(f, r, `${r.where}.external_data`)));
        break;
      case 14:
        t.dataLocation = safeInt(f, r, 'data_location');
        break;
    }
  });
  return t;
}

function readValueInfo(r: ProtoReader): ValueInfoProto {
  const v: ValueInfoProto = { name: '' };
  readFields(r, (f) => {
    if (f.field === 1) v.name = str(f, r, 'name');
    else if (f.field === 2) v.type = readType(sub(f, r, `${r.where}.type`));
    else if (f.field === 3) v.docString = str(f, r, 'doc_string');
  });
  return v;
}

function readType(r: ProtoReader): TypeProto {
  const t: TypeProto = {};
  readFields(r, (f) => {
    if (f.field === 1) {
      const tr = sub(f, r, `${r.where}.tensor_type`);
      const tt: NonNullable<TypeProto['tensorType']> = { elemType: DataType.UNDEFINED };
      readFields(tr, (g) => {
        if (g.field === 1) tt.elemType = safeInt(g, tr, 'elem_type');
        else if (g.field === 2) tt.shape = { dim: readShape(sub(g, tr, `${tr.where}.shape`)) };
      });
      t.tensorType = tt;
    } else if (f.field === 6) t.denotation = str(f, r, 'denotation');
    else if (f.field === 4 || f.field === 5 || f.field === 8 || f.field === 9) {
      r.expect(f, WireType.bytes, 'value');
      t.otherKind = f.field;
    }
  });
  return t;
}

function readShape(r: ProtoReader): TensorShapeDimension[] {
  const dims: TensorShapeDimension[] = [];
  readFields(r, (f) => {
    if (f.field !== 1) return;
    const dr = sub(f, r, `${r.where}.dim[${dims.length}]`);
    const d: TensorShapeDimension = {};
    readFields(dr, (g) => {
      if (g.field === 1) d.dimValue = safeInt(g, dr, 'dim_value');
      else if (g.field === 2) d.dimParam = str(g, dr, 'dim_param');
      else if (g.field === 3) d.denotation = str(g, dr, 'denotation');
    });
    dims.push(d);
  });
  return dims;
}

// ------------------------------------------------------------------------------------------------
// Tensor data helpers
// ------------------------------------------------------------------------------------------------

/** A float32 tensor with little-endian raw_data. */
export function float32Tensor(name: string, dims: readonly number[], data: Float32Array): TensorProto {
  return { name, dims: [...dims], dataType: DataType.FLOAT, rawData: toLittleEndian(data, 4) };
}

/** An int64 tensor with little-endian raw_data. */
export function int64Tensor(name: string, dims: readonly number[], data: readonly Int64[]): TensorProto {
  const b = new Uint8Array(8 * data.length);
  const v = new DataView(b.buffer);
  data.forEach((x, k) => {
    v.setBigInt64(8 * k, BigInt(x), true);
  });
  return { name, dims: [...dims], dataType: DataType.INT64, rawData: b };
}

function toLittleEndian(data: Float32Array, width: 4): Uint8Array {
  const b = new Uint8Array(width * data.length);
  const v = new DataView(b.buffer);
  for (let k = 0; k < data.length; k++) v.setFloat32(width * k, data[k]!, true);
  return b;
}

/** The elements of a FLOAT tensor (from raw_data or float_data). */
export function tensorToFloat32(t: TensorProto): Float32Array {
  if (t.dataType !== DataType.FLOAT) {
    throw new OnnxFormatError(`tensor '${t.name ?? ''}' has data type ${t.dataType}, expected FLOAT (1)`);
  }
  const n = t.dims.reduce((a, b) => a * b, 1);
  let out: Float32Array;
  if (t.rawData) {
    if (t.rawData.length !== 4 * n) {
      throw new OnnxFormatError(
        `tensor '${t.name ?? ''}' [${t.dims.join(', ')}] has ${t.rawData.length} raw bytes, expected ${4 * n}`,
      );
    }
    const v = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    out = new Float32Array(n);
    for (let k = 0; k < n; k++) out[k] = v.getFloat32(4 * k, true);
  } else out = Float32Array.from(t.floatData ?? []);
  if (out.length !== n) {
    throw new OnnxFormatError(`tensor '${t.name ?? ''}' [${t.dims.join(', ')}] has ${out.length} elements`);
  }
  return out;
}

/** The elements of an INT64 tensor (from raw_data or int64_data), as bigints. */
export function tensorToBigInt64(t: TensorProto): BigInt64Array {
  if (t.dataType !== DataType.INT64) {
    throw new OnnxFormatError(`tensor '${t.name ?? ''}' has data type ${t.dataType}, expected INT64 (7)`);
  }
  const n = t.dims.reduce((a, b) => a * b, 1);
  let out: BigInt64Array;
  if (t.rawData) {
    if (t.rawData.length !== 8 * n) {
      throw new OnnxFormatError(
        `tensor '${t.name ?? ''}' [${t.dims.join(', ')}] has ${t.rawData.length} raw bytes, expected ${8 * n}`,
      );
    }
    const v = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    out = new BigInt64Array(n);
    for (let k = 0; k < n; k++) out[k] = v.getBigInt64(8 * k, true);
  } else out = BigInt64Array.from((t.int64Data ?? []).map((x) => BigInt(x)));
  if (out.length !== n) {
    throw new OnnxFormatError(`tensor '${t.name ?? ''}' [${t.dims.join(', ')}] has ${out.length} elements`);
  }
  return out;
}
