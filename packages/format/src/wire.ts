import { OnnxFormatError } from './errors.js';

/**
 * Protocol-buffers wire format, the subset ONNX needs: varints (int32/int64/enum, negative values as
 * 10-byte two's complement, as protobuf does for int64), fixed32 (float), fixed64 (double) and
 * length-delimited fields (strings, bytes, sub-messages, packed repeated scalars). No groups.
 */

export const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

const WIRE_NAMES: Record<number, string> = {
  0: 'varint',
  1: 'fixed64',
  2: 'length-delimited',
  3: 'group start',
  4: 'group end',
  5: 'fixed32',
};

/** A protobuf int64 as decoded: a number when it is a safe integer, else a bigint (exact). */
export type Int64 = number | bigint;

const utf8 = new TextEncoder();

/** Appends protobuf fields to a growing buffer. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** An unsigned varint of a non-negative safe integer, or any int64 (negative = two's complement). */
  varint(value: Int64): this {
    if (typeof value === 'number' && value >= 0 && value <= 0xffffffff && Number.isInteger(value)) {
      this.reserve(5);
      let v = value;
      while (v > 0x7f) {
        this.buf[this.pos++] = (v & 0x7f) | 0x80;
        v = Math.floor(v / 128);
      }
      this.buf[this.pos++] = v;
      return this;
    }
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new RangeError(`protobuf varint: ${value} is not a safe integer (pass a bigint)`);
    }
    let v = BigInt.asUintN(64, BigInt(value));
    this.reserve(10);
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
    return this;
  }

  tag(field: number, wire: WireType): this {
    return this.varint(field * 8 + wire);
  }

  float32(value: number): this {
    this.reserve(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
    return this;
  }

  float64(value: number): this {
    this.reserve(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  // --- whole fields ---

  int64Field(field: number, value: Int64): this {
    return this.tag(field, WireType.varint).varint(value);
  }

  floatField(field: number, value: number): this {
    return this.tag(field, WireType.fixed32).float32(value);
  }

  bytesField(field: number, bytes: Uint8Array): this {
    return this.tag(field, WireType.bytes).varint(bytes.length).raw(bytes);
  }

  stringField(field: number, value: string): this {
    return this.bytesField(field, utf8.encode(value));
  }

  /** A sub-message, written by `write` into a fresh writer so its length is known. */
  messageField(field: number, write: (w: ProtoWriter) => void): this {
    const sub = new ProtoWriter();
    write(sub);
    return this.bytesField(field, sub.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** One decoded field: its number, wire type and value (a number/bigint for scalars, bytes otherwise). */
export interface RawField {
  field: number;
  wire: number;
  /** varint: number or bigint (unsigned 64-bit reinterpreted as signed); fixed32/64: the raw bits as bytes. */
  int?: Int64;
  bytes?: Uint8Array;
  /** Byte offset of the tag in the message being read (for messages). */
  offset: number;
}

/** Reads the fields of one message; errors name the message and the byte offset. */
export class ProtoReader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    /** Message name for errors (`ModelProto.graph`). */
    readonly where: string,
    /** Offset of `buf` in the whole file, for errors. */
    readonly base = 0,
  ) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  fail(message: string, at = this.pos): never {
    throw new OnnxFormatError(`${message} (in ${this.where}, byte ${this.base + at})`);
  }

  /** A varint as a signed int64: a number when safe, else a bigint. */
  varint(): Int64 {
    const start = this.pos;
    let lo = 0;
    let shift = 0;
    // Fast path: up to 4 bytes (28 bits) as a plain number.
    for (; shift < 28; shift += 7) {
      if (this.pos >= this.buf.length) this.fail('truncated varint', start);
      const b = this.buf[this.pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return lo >>> 0;
    }
    let v = BigInt(lo >>> 0);
    for (let big = 28n; ; big += 7n) {
      if (big > 63n) this.fail('varint longer than 10 bytes', start);
      if (this.pos >= this.buf.length) this.fail('truncated varint', start);
      const b = this.buf[this.pos++]!;
      v |= BigInt(b & 0x7f) << big;
      if (b < 0x80) break;
    }
    const signed = BigInt.asIntN(64, v);
    const asNumber = Number(signed);
    return Number.isSafeInteger(asNumber) ? asNumber : signed;
  }

  private take(n: number, what: string): Uint8Array {
    if (n > this.buf.length - this.pos) {
      this.fail(`truncated ${what}: needs ${n} bytes, ${this.buf.length - this.pos} remain`);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The next field, or undefined at the end of the message. */
  next(): RawField | undefined {
    if (this.done) return undefined;
    const offset = this.pos;
    const tag = this.varint();
    if (typeof tag !== 'number' || tag < 8 || tag > 0xffffffff) this.fail(`invalid field tag ${tag}`, offset);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    switch (wire) {
      case WireType.varint:
        return { field, wire, int: this.varint(), offset };
      case WireType.fixed64:
        return { field, wire, bytes: this.take(8, `fixed64 field ${field}`), offset };
      case WireType.fixed32:
        return { field, wire, bytes: this.take(4, `fixed32 field ${field}`), offset };
      case WireType.bytes: {
        const len = this.varint();
        if (typeof len !== 'number' || len < 0) this.fail(`invalid length ${len} of field ${field}`, offset);
        return { field, wire, bytes: this.take(len, `field ${field}`), offset: offset };
      }
      default:
        return this.fail(
          `unsupported wire type ${wire} (${WIRE_NAMES[wire] ?? 'unknown'}) of field ${field}`,
          offset,
        );
    }
  }

  /** Offset in the whole file of the payload of a length-delimited field. */
  payloadBase(f: RawField): number {
    return this.base + (f.bytes ? f.bytes.byteOffset - this.buf.byteOffset : f.offset);
  }

  /** Throws unless `f` has wire type `wire` (a mismatch means the bytes are not this message). */
  expect(f: RawField, wire: WireType, name: string): void {
    if (f.wire !== wire) {
      this.fail(
        `field ${f.field} (${name}) has wire type ${WIRE_NAMES[f.wire]}, expected ${WIRE_NAMES[wire]}`,
        f.offset,
      );
    }
  }
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array, r: ProtoReader, name: string): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return r.fail(`${name} is not valid UTF-8`);
  }
}

/** float32 from a fixed32 field's bytes. */
export function fixed32ToFloat(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getFloat32(0, true);
}

/** float64 from a fixed64 field's bytes. */
export function fixed64ToFloat(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);
}
