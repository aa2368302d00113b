import { deflateSync } from 'node:zlib';

/**
 * A tiny MAT v5 writer, for tests only (the library only reads MAT files): numeric, logical and
 * char arrays, plus minimal struct / cell / sparse variables to exercise the "unsupported class" path.
 */
export interface TestMatNumeric {
  name: string;
  className: 'double' | 'single' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'logical';
  dims: number[];
  /** Column-major values. */
  data: number[];
  imag?: number[];
  /** Storage data type (miXXX code) to use instead of the class's own, e.g. 2 (miUINT8) for small doubles. */
  storage?: number;
}
export interface TestMatChar {
  name: string;
  className: 'char';
  text: string;
}
export interface TestMatUnsupported {
  name: string;
  className: 'struct' | 'cell' | 'sparse';
}
export type TestMatVar = TestMatNumeric | TestMatChar | TestMatUnsupported;

const CLASS_CODE = {
  cell: 1,
  struct: 2,
  char: 4,
  sparse: 5,
  double: 6,
  single: 7,
  int8: 8,
  uint8: 9,
  int16: 10,
  uint16: 11,
  int32: 12,
  uint32: 13,
  logical: 9,
} as const;
const NATIVE_MI = {
  double: 9,
  single: 7,
  int8: 1,
  uint8: 2,
  int16: 3,
  uint16: 4,
  int32: 5,
  uint32: 6,
  logical: 2,
} as const;
const MI_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8 };

class Out {
  private chunks: Uint8Array[] = [];
  constructor(readonly le: boolean) {}
  bytes(b: Uint8Array): void {
    this.chunks.push(b);
  }
  u32(...xs: number[]): void {
    const b = new Uint8Array(4 * xs.length);
    const v = new DataView(b.buffer);
    xs.forEach((x, i) => {
      v.setUint32(4 * i, x, this.le);
    });
    this.bytes(b);
  }
  /** A data element: tag + values + padding; small-element format when it fits in 4 bytes. */
  element(type: number, values: ArrayLike<number>): void {
    const size = MI_SIZE[type]!;
    const n = values.length * size;
    const body = new Uint8Array(Math.max(n, 0));
    const v = new DataView(body.buffer);
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      const o = i * size;
      if (type === 1) v.setInt8(o, x);
      else if (type === 2) v.setUint8(o, x);
      else if (type === 3) v.setInt16(o, x, this.le);
      else if (type === 4) v.setUint16(o, x, this.le);
      else if (type === 5) v.setInt32(o, x, this.le);
      else if (type === 6) v.setUint32(o, x, this.le);
      else if (type === 7) v.setFloat32(o, x, this.le);
      else v.setFloat64(o, x, this.le);
    }
    if (n > 0 && n <= 4) {
      const head = new Uint8Array(8);
      const hv = new DataView(head.buffer);
      hv.setUint32(0, (n << 16) | type, this.le);
      head.set(body, 4);
      this.bytes(head);
      return;
    }
    this.u32(type, n);
    this.bytes(body);
    this.bytes(new Uint8Array((8 - (n % 8)) % 8));
  }
  concat(): Uint8Array {
    const total = this.chunks.reduce((a, c) => a + c.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function ascii(s: string): number[] {
  return Array.from(s, (c) => c.charCodeAt(0));
}

/** The bytes of one miMATRIX element (tag included) for `v`. */
function matrixElement(v: TestMatVar, le: boolean): Uint8Array {
  const body = new Out(le);
  const cls = CLASS_CODE[v.className];
  let flags: number = cls;
  if (v.className === 'logical') flags |= 0x200;
  if ((v as TestMatNumeric).imag) flags |= 0x800;
  body.element(6, [flags, v.className === 'sparse' ? 1 : 0]);
  if (v.className === 'char') {
    body.element(5, [1, v.text.length]);
    body.element(1, ascii(v.name));
    body.element(
      4,
      Array.from(v.text, (c) => c.charCodeAt(0)),
    );
  } else if (v.className === 'struct') {
    body.element(5, [1, 1]);
    body.element(1, ascii(v.name));
    body.element(5, [32]); // field name length
    const field = new Array<number>(32).fill(0);
    field[0] = 'a'.charCodeAt(0);
    body.element(1, field);
    body.bytes(matrixElement({ name: '', className: 'double', dims: [1, 1], data: [1] }, le));
  } else if (v.className === 'cell') {
    body.element(5, [1, 1]);
    body.element(1, ascii(v.name));
    body.bytes(matrixElement({ name: '', className: 'double', dims: [1, 1], data: [2] }, le));
  } else if (v.className === 'sparse') {
    body.element(5, [2, 2]);
    body.element(1, ascii(v.name));
    body.element(5, [0]); // ir
    body.element(5, [0, 1, 1]); // jc
    body.element(9, [3]); // pr
  } else {
    const n = v as TestMatNumeric;
    body.element(5, n.dims);
    body.element(1, ascii(n.name));
    const mi = n.storage ?? NATIVE_MI[n.className];
    body.element(mi, n.data);
    if (n.imag) body.element(mi, n.imag);
  }
  const payload = body.concat();
  const out = new Out(le);
  out.u32(14, payload.length);
  out.bytes(payload);
  return out.concat();
}

/** A MAT v5 file holding `vars`, each optionally zlib-compressed (miCOMPRESSED) as MATLAB -v7 does. */
export function writeTestMat(
  vars: TestMatVar[],
  options: { compress?: boolean; bigEndian?: boolean } = {},
): Uint8Array {
  const le = !options.bigEndian;
  const out = new Out(le);
  const text = new Uint8Array(116).fill(0x20);
  text.set(ascii('MATLAB 5.0 MAT-file, Platform: test, Created on: never'));
  out.bytes(text);
  out.bytes(new Uint8Array(8)); // subsystem offset: none
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint16(0, 0x0100, le);
  tail.set(le ? ascii('IM') : ascii('MI'), 2);
  out.bytes(tail);
  for (const v of vars) {
    const el = matrixElement(v, le);
    if (options.compress) {
      const z = deflateSync(el);
      out.u32(15, z.length);
      out.bytes(z);
    } else {
      out.bytes(el);
    }
  }
  return out.concat();
}
