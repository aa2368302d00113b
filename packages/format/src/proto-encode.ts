import type {
  AttributeProto,
  GraphProto,
  ModelProto,
  NodeProto,
  StringStringEntryProto,
  TensorProto,
  TypeProto,
  ValueInfoProto,
} from './proto.js';
import { ProtoWriter, WireType } from './wire.js';

/** The ONNX protobuf encoder of the messages in `proto.ts`. */

/** Serialises a ModelProto to ONNX protobuf bytes. */
export function encodeModel(m: ModelProto): Uint8Array {
  const w = new ProtoWriter();
  w.int64Field(1, m.irVersion);
  if (m.producerName !== undefined) w.stringField(2, m.producerName);
  if (m.producerVersion !== undefined) w.stringField(3, m.producerVersion);
  if (m.domain !== undefined) w.stringField(4, m.domain);
  if (m.modelVersion !== undefined) w.int64Field(5, m.modelVersion);
  if (m.docString !== undefined) w.stringField(6, m.docString);
  optionalMessage(w, 7, m.graph, writeGraph);
  for (const o of m.opsetImport) {
    w.messageField(8, (s) => {
      s.stringField(1, o.domain);
      s.int64Field(2, o.version);
    });
  }
  for (const e of m.metadataProps) w.messageField(14, (s) => writeEntry(s, e));
  return w.finish();
}

/** `value` as the submessage of `field`, when it is set. */
function optionalMessage<T>(
  w: ProtoWriter,
  field: number,
  value: T | undefined,
  write: (w: ProtoWriter, value: T) => void,
): void {
  if (value) w.messageField(field, (s) => write(s, value));
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
  optionalMessage(w, 5, a.t, writeTensor);
  optionalMessage(w, 6, a.g, writeGraph);
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
  optionalMessage(w, 2, v.type, writeType);
  if (v.docString !== undefined) w.stringField(3, v.docString);
}

function writeType(w: ProtoWriter, t: TypeProto): void {
  optionalMessage(w, 1, t.tensorType, (s, tt) => {
    s.int64Field(1, tt.elemType);
    optionalMessage(s, 2, tt.shape, (sh, shape) => {
      for (const d of shape.dim) {
        sh.messageField(1, (dw) => {
          if (d.dimValue !== undefined) dw.int64Field(1, d.dimValue);
          if (d.dimParam !== undefined) dw.stringField(2, d.dimParam);
          if (d.denotation !== undefined) dw.stringField(3, d.denotation);
        });
      }
    });
  });
  if (t.denotation !== undefined) w.stringField(6, t.denotation);
}
