import { OnnxFormatError } from './errors.js';
import type { Int64 } from './wire.js';

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

/** How the elements of a tensor type are read: byte width, little-endian raw_data, the typed field. */
const ELEMENT_READERS = {
  FLOAT: {
    width: 4,
    raw: (v: DataView, n: number) => Float32Array.from({ length: n }, (_, k) => v.getFloat32(4 * k, true)),
    list: (t: TensorProto) => Float32Array.from(t.floatData ?? []),
  },
  INT64: {
    width: 8,
    raw: (v: DataView, n: number) => BigInt64Array.from({ length: n }, (_, k) => v.getBigInt64(8 * k, true)),
    list: (t: TensorProto) => BigInt64Array.from((t.int64Data ?? []).map((x) => BigInt(x))),
  },
} as const;

/** The elements of a FLOAT tensor (from raw_data or float_data). */
export function tensorToFloat32(t: TensorProto): Float32Array {
  return tensorElements(t, 'FLOAT');
}

/** The elements of an INT64 tensor (from raw_data or int64_data), as bigints. */
export function tensorToBigInt64(t: TensorProto): BigInt64Array {
  return tensorElements(t, 'INT64');
}

/**
 * A tensor's elements: its little-endian raw_data when present, else its typed field; OnnxFormatError
 * for another data type or a count that disagrees with the dims.
 */
function tensorElements<K extends keyof typeof ELEMENT_READERS>(
  t: TensorProto,
  type: K,
): ReturnType<(typeof ELEMENT_READERS)[K]['list']> {
  if (t.dataType !== DataType[type]) {
    throw new OnnxFormatError(
      `tensor '${t.name ?? ''}' has data type ${t.dataType}, expected ${type} (${DataType[type]})`,
    );
  }
  const reader = ELEMENT_READERS[type];
  const n = t.dims.reduce((a, b) => a * b, 1);
  let out: Float32Array | BigInt64Array;
  if (t.rawData) {
    if (t.rawData.length !== reader.width * n) {
      throw new OnnxFormatError(
        `tensor '${t.name ?? ''}' [${t.dims.join(', ')}] has ${t.rawData.length} raw bytes, expected ${reader.width * n}`,
      );
    }
    out = reader.raw(new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength), n);
  } else out = reader.list(t);
  if (out.length !== n) {
    throw new OnnxFormatError(`tensor '${t.name ?? ''}' [${t.dims.join(', ')}] has ${out.length} elements`);
  }
  return out as ReturnType<(typeof ELEMENT_READERS)[K]['list']>;
}
