import { inflateSync } from 'node:zlib';
import { DataFormatError, type NdArray } from '@lfm/core';
import { readFileOr } from '@lfm/core/node';
import {
  ELEMENT_TYPES,
  type ElementType,
  readTyped,
  reorderMajor,
  type TypedArray,
  type TypedArrayConstructor,
} from './bytes.js';

/** MATLAB classes the MAT reader returns. */
/** A MATLAB array class: numeric (an element type), logical or char. */
export type MatClass = ElementType | 'logical' | 'char';

/** One MATLAB variable: an N-d numeric, logical or char array, column-major as MATLAB stores it. */
export interface MatArray {
  readonly name: string;
  readonly className: MatClass;
  /** MATLAB dims (at least 2: a scalar is [1, 1]). */
  readonly dims: readonly number[];
  /**
   * Column-major (first index fastest) values, in the class's own type: Float64Array for double,
   * Float32Array for single, Int8Array…BigUint64Array for integers, Uint8Array (0/1) for logical,
   * Uint16Array of UTF-16 code units for char. See `matToRowMajor`, `matToString`.
   */
  readonly data: TypedArray;
  /**
   * The data type the values were stored as (`miDOUBLE`, `miUINT8`, `miUTF8`, …). MATLAB stores a
   * double array of small integers as `miUINT8`; `className` is still 'double' and `data` a Float64Array.
   * (scipy's `loadmat` reports the storage type as the dtype unless `mat_dtype=True`.)
   */
  readonly storageType: string;
  /** Imaginary part of a complex array (same layout and type as `data`). */
  readonly imag?: TypedArray;
  readonly global: boolean;
}

/** A parsed MAT v5 (Level 5, incl. v6/v7 compressed) file. */
export interface MatFile {
  /** The 116-byte descriptive text ("MATLAB 5.0 MAT-file, Platform: …"), trimmed. */
  readonly header: string;
  readonly littleEndian: boolean;
  /** Variable names in file order. */
  readonly names: readonly string[];
  readonly variables: Readonly<Record<string, MatArray>>;
  /** Variables left out with `skipUnsupported` (cell, struct, sparse, object, …). */
  readonly skipped: readonly { readonly name: string; readonly className: string }[];
}

export interface ParseMatOptions {
  /** Skip cell/struct/sparse/object variables instead of throwing (listed in `skipped`). Default false. */
  skipUnsupported?: boolean;
}

// Data types (miXXX) → how to read them: the numeric ones (named mi + the upper-cased type), and
// miUTF8/16/32 text.
const MI_TYPES: readonly (readonly [number, ElementType])[] = [
  [1, 'int8'],
  [2, 'uint8'],
  [3, 'int16'],
  [4, 'uint16'],
  [5, 'int32'],
  [6, 'uint32'],
  [7, 'single'],
  [9, 'double'],
  [12, 'int64'],
  [13, 'uint64'],
];
const MI: Record<number, { name: string; ctor: TypedArrayConstructor<TypedArray> }> = {
  ...Object.fromEntries(
    MI_TYPES.map(([code, t]) => [code, { name: `mi${t.toUpperCase()}`, ctor: ELEMENT_TYPES[t] }]),
  ),
  16: { name: 'miUTF8', ctor: Uint8Array },
  17: { name: 'miUTF16', ctor: Uint16Array },
  18: { name: 'miUTF32', ctor: Uint32Array },
};
const MI_MATRIX = 14;
const MI_COMPRESSED = 15;
const MI_UTF8 = 16;

// Array classes (mxXXX_CLASS): the numeric ones are 6 … 15 in ELEMENT_TYPES order.
const NUMERIC: Record<number, { name: MatClass; ctor: TypedArrayConstructor<TypedArray> }> =
  Object.fromEntries(
    (Object.keys(ELEMENT_TYPES) as ElementType[]).map((name, i) => [
      6 + i,
      { name, ctor: ELEMENT_TYPES[name] },
    ]),
  );
const CHAR_CLASS = 4;
const OTHER_CLASSES: Record<number, string> = {
  1: 'cell',
  2: 'struct',
  3: 'object',
  5: 'sparse',
  16: 'function handle',
  17: 'opaque object (string, table, datetime, …)',
};

interface Element {
  readonly type: number;
  readonly data: Uint8Array;
  /** Offset of the next element in the same buffer. */
  readonly next: number;
}

/**
 * Parses MAT-file v5 bytes (MATLAB 5.0 up to v7: `miMATRIX` and zlib `miCOMPRESSED` elements,
 * either byte order). Numeric (double, single, int8…uint64), logical and char arrays, real or complex.
 * Throws DataFormatError naming `file` and the problem: a v7.3 (HDF5) or v4 file, a truncated element,
 * or (unless `skipUnsupported`) a cell/struct/sparse/object variable, naming the variable and class.
 */
export function parseMat(bytes: Uint8Array, file?: string, options: ParseMatOptions = {}): MatFile {
  const fail = (msg: string): never => {
    throw new DataFormatError(msg, file);
  };
  if (bytes.length < 128) fail(`not a MAT v5 file (${bytes.length} bytes, shorter than the 128-byte header)`);
  const header = new TextDecoder('latin1').decode(bytes.subarray(0, 116)).replace(/[\0 ]+$/, '');
  const hdf5 =
    bytes.length >= 520 && new TextDecoder('latin1').decode(bytes.subarray(512, 516)) === '\x89HDF';
  if (/^MATLAB 7\.3 MAT-file/.test(header) || hdf5) {
    fail(
      'MATLAB v7.3 MAT-file (HDF5) is not supported; re-save it with save(file, ..., "-v7") or read it with an HDF5 library',
    );
  }
  const endian = String.fromCharCode(bytes[126]!, bytes[127]!);
  if (!header.startsWith('MATLAB') || (endian !== 'IM' && endian !== 'MI')) {
    fail(
      'not a MAT v5 file (no "MATLAB 5.0 MAT-file" header with an IM/MI endian indicator; v4 files are not supported)',
    );
  }
  const le = endian === 'IM';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const subsysLo = view.getUint32(116, le);
  const subsysHi = view.getUint32(120, le);
  // Offset of the subsystem data (MATLAB objects' internals); 0 or all-spaces when there is none.
  const subsys = subsysLo === 0x20202020 && subsysHi === 0x20202020 ? 0 : subsysHi * 2 ** 32 + subsysLo;

  const names: string[] = [];
  const variables: Record<string, MatArray> = {};
  const skipped: { name: string; className: string }[] = [];
  let pos = 128;
  let index = 0;
  while (pos + 8 <= bytes.length) {
    const at = pos;
    const el = readElement(bytes, pos, le, true, fail, `top-level element ${index} at byte ${at}`);
    pos = el.next;
    if (at === subsys) continue;
    let inner: Element;
    if (el.type === MI_COMPRESSED) {
      let raw: Uint8Array;
      try {
        const z = inflateSync(el.data);
        raw = new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
      } catch (err) {
        return fail(`cannot inflate compressed element ${index} at byte ${at}: ${(err as Error).message}`);
      }
      inner = readElement(raw, 0, le, false, fail, `compressed element ${index} at byte ${at}`);
    } else {
      inner = el;
    }
    index++;
    if (inner.type !== MI_MATRIX) {
      fail(`top-level element ${index - 1} at byte ${at} is ${typeName(inner.type)}, expected miMATRIX`);
    }
    const v = parseMatrix(inner.data, le, fail, options, skipped);
    if (v) {
      if (!(v.name in variables)) names.push(v.name);
      variables[v.name] = v;
    }
  }
  if (pos < bytes.length && bytes.subarray(pos).some((b) => b !== 0)) {
    fail(`truncated: ${bytes.length - pos} stray bytes at the end (byte ${pos})`);
  }
  return { header, littleEndian: le, names, variables, skipped };
}

/** Reads and parses a MAT v5 file (errors name the path). */
export async function readMat(path: string, options: ParseMatOptions = {}): Promise<MatFile> {
  return parseMat(await readFileOr(path), path, options);
}

/** The variable `name`, or a DataFormatError listing the variables the file has. */
export function getMatVariable(mat: MatFile, name: string, file?: string): MatArray {
  const v = mat.variables[name];
  if (!v) {
    throw new DataFormatError(`no variable "${name}" (variables: ${mat.names.join(', ') || 'none'})`, file);
  }
  return v;
}

/**
 * A numeric/logical/char variable as a row-major (C order) Float64 array of shape `dims`:
 * `out[((i0 * d1 + i1) * d2 + i2)…] = v(i0+1, i1+1, i2+1, …)`. The real part of a complex array.
 */
export function matToRowMajor(v: MatArray): NdArray<Float64Array> {
  const src = v.data;
  let f64: Float64Array;
  if (src instanceof Float64Array) f64 = src;
  else if (src instanceof BigInt64Array || src instanceof BigUint64Array)
    f64 = Float64Array.from(src, Number);
  else f64 = Float64Array.from(src as ArrayLike<number>);
  return { data: reorderMajor(f64, v.dims, true), shape: [...v.dims] };
}

/** A char array as text: its rows joined with "\n" (a 1×N char array is simply the string). */
export function matToString(v: MatArray): string {
  if (v.className !== 'char') throw new DataFormatError(`variable "${v.name}" is ${v.className}, not char`);
  const rows = v.dims[0] ?? 0;
  const cols = v.data.length / Math.max(rows, 1);
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const codes: number[] = [];
    for (let c = 0; c < cols; c++) codes.push(Number(v.data[r + c * rows]));
    out.push(String.fromCharCode(...codes));
  }
  return out.join('\n');
}

function readElement(
  bytes: Uint8Array,
  pos: number,
  le: boolean,
  topLevel: boolean,
  fail: (msg: string) => never,
  where: string,
): Element {
  if (pos + 8 > bytes.length) fail(`truncated: ${where} has no complete 8-byte tag`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const w0 = view.getUint32(pos, le);
  if (w0 >>> 16 !== 0) {
    // Small data element: type and size share the first word, data in the second.
    const n = w0 >>> 16;
    if (n > 4) fail(`${where}: small data element claims ${n} bytes (max 4)`);
    return { type: w0 & 0xffff, data: bytes.subarray(pos + 4, pos + 4 + n), next: pos + 8 };
  }
  const n = view.getUint32(pos + 4, le);
  const end = pos + 8 + n;
  if (end > bytes.length) {
    fail(
      `truncated: ${where} (${typeName(w0)}) announces ${n} bytes but only ${bytes.length - pos - 8} remain`,
    );
  }
  // Elements are padded to 8 bytes, except top-level compressed ones.
  const next =
    topLevel && w0 === MI_COMPRESSED ? end : Math.min(bytes.length, pos + 8 + Math.ceil(n / 8) * 8);
  return { type: w0, data: bytes.subarray(pos + 8, end), next };
}

function parseMatrix(
  body: Uint8Array,
  le: boolean,
  fail: (msg: string) => never,
  options: ParseMatOptions,
  skipped: { name: string; className: string }[],
): MatArray | undefined {
  const sub = (pos: number, what: string): Element => readElement(body, pos, le, false, fail, what);
  const flagsEl = sub(0, 'array flags');
  if (flagsEl.data.length < 8) fail('miMATRIX without array flags');
  const fv = new DataView(flagsEl.data.buffer, flagsEl.data.byteOffset, 8);
  const flags = fv.getUint32(0, le);
  const cls = flags & 0xff;
  const complex = (flags & 0x800) !== 0;
  const global = (flags & 0x400) !== 0;
  const logical = (flags & 0x200) !== 0;

  if (cls === 16 || cls === 17) {
    // Function handles and opaque objects have no dims element; the name comes right after the flags.
    const nameEl = sub(flagsEl.next, 'array name');
    return unsupported(new TextDecoder().decode(nameEl.data), cls);
  }
  const dimsEl = sub(flagsEl.next, 'dimensions');
  if (dimsEl.type !== 5) fail(`dimensions element has type ${typeName(dimsEl.type)}, expected miINT32`);
  const dims = Array.from(readTyped(Int32Array, dimsEl.data, 0, dimsEl.data.length >> 2, le));
  const nameEl = sub(dimsEl.next, 'array name');
  const name = new TextDecoder().decode(nameEl.data);
  const where = `variable "${name}"`;
  if (dims.length < 2 || dims.some((d) => d < 0)) fail(`${where}: invalid dimensions [${dims.join(', ')}]`);
  if (OTHER_CLASSES[cls] !== undefined) return unsupported(name, cls);
  const numeric = NUMERIC[cls];
  if (!numeric && cls !== CHAR_CLASS) fail(`${where}: unknown array class ${cls}`);
  const count = dims.reduce((a, b) => a * b, 1);

  const readPart = (pos: number, part: string): { values: TypedArray; next: number; storage: string } => {
    const el = sub(pos, `${part} of ${where}`);
    const mi = MI[el.type];
    if (!mi) fail(`${where}: ${part} stored as ${typeName(el.type)}, not a numeric type`);
    const { ctor, name: miName } = mi!;
    if (cls === CHAR_CLASS && el.type === MI_UTF8) {
      const text = new TextDecoder().decode(el.data);
      return { values: Uint16Array.from(text, (ch) => ch.charCodeAt(0)), next: el.next, storage: miName };
    }
    if (el.data.length % ctor.BYTES_PER_ELEMENT !== 0)
      fail(`${where}: ${part} (${miName}) has ${el.data.length} bytes`);
    const n = el.data.length / ctor.BYTES_PER_ELEMENT;
    if (n !== count) {
      fail(`${where}: ${part} has ${n} ${miName} values but dims [${dims.join(', ')}] need ${count}`);
    }
    const stored = readTyped(ctor, el.data, 0, n, le);
    const target = cls === CHAR_CLASS ? Uint16Array : numeric!.ctor;
    return { values: convert(stored, target), next: el.next, storage: miName };
  };
  const real = readPart(nameEl.next, 'real part');
  let imag: TypedArray | undefined;
  if (complex) imag = readPart(real.next, 'imaginary part').values;
  const className: MatClass = cls === CHAR_CLASS ? 'char' : logical ? 'logical' : numeric!.name;
  return {
    name,
    className,
    dims,
    data: real.values,
    storageType: real.storage,
    ...(imag ? { imag } : {}),
    global,
  };

  function unsupported(varName: string, c: number): undefined {
    const className = OTHER_CLASSES[c] ?? `class ${c}`;
    if (options.skipUnsupported) {
      skipped.push({ name: varName, className });
      return undefined;
    }
    return fail(
      `variable "${varName}" has unsupported class ${className}; only numeric, logical and char arrays ` +
        'are read (pass skipUnsupported to skip it)',
    );
  }
}

/** Converts stored values to the class's type (MATLAB stores e.g. a double array of small integers as miUINT8). */
function convert(stored: TypedArray, target: TypedArrayConstructor<TypedArray>): TypedArray {
  if (stored.constructor === target) return stored;
  const out = new target(stored.length);
  const bigOut = out instanceof BigInt64Array || out instanceof BigUint64Array;
  const bigIn = stored instanceof BigInt64Array || stored instanceof BigUint64Array;
  if (bigOut === bigIn) out.set(stored as never);
  else if (bigOut) for (let i = 0; i < stored.length; i++) out[i] = BigInt(stored[i] as number) as never;
  else for (let i = 0; i < stored.length; i++) out[i] = Number(stored[i]) as never;
  return out;
}

function typeName(type: number): string {
  if (type === MI_MATRIX) return 'miMATRIX';
  if (type === MI_COMPRESSED) return 'miCOMPRESSED';
  return MI[type]?.name ?? `data type ${type}`;
}
