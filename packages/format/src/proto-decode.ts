import { OnnxFormatError } from './errors.js';
import {
  type AttributeProto,
  AttributeType,
  DataType,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type OperatorSetIdProto,
  type StringStringEntryProto,
  type TensorProto,
  type TensorShapeDimension,
  type TypeProto,
  type ValueInfoProto,
} from './proto.js';
import {
  decodeUtf8,
  fixed32ToFloat,
  fixed64ToFloat,
  type Int64,
  ProtoReader,
  type RawField,
  WireType,
} from './wire.js';

/** The ONNX protobuf decoder of the messages in `proto.ts`; fields not listed there are skipped. */

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
