import { DataFormatError, ShapeError } from '@lfm/core';
import { readFileOr, writeFileAtomic } from '@lfm/core/node';
import {
  ELEMENT_TYPES,
  type ElementType,
  formatCount,
  HOST_LITTLE_ENDIAN,
  readTyped,
  reorderMajor,
  swapBytes,
  type TypedArray,
  type TypedArrayConstructor,
} from './bytes.js';

/** NumPy dtypes the reader understands: kind + item size (`f4` = float32, `b1` = bool, …). */
export type NpyDtype = 'f2' | 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'u8' | 'b1';

/** The typed array a dtype is read into (`f2` widens to Float32Array, `b1` is a Uint8Array of 0/1). */
export type NpyData = TypedArray;

/** A parsed `.npy` array. `data` is always in C (row-major) order, whatever the file's layout. */
export interface NpyArray<T extends NpyData = NpyData> {
  /** The dtype descriptor as written in the header, e.g. `'<f4'`. */
  readonly descr: string;
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  /** True when the file stored the data in Fortran (column-major) order; `data` is reordered to C order. */
  readonly fortranOrder: boolean;
  readonly data: T;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** dtype → element type (f2 is read as its 16 bits, then widened; b1 as bytes). */
const DTYPES: Record<NpyDtype, ElementType> = {
  f2: 'uint16',
  f4: 'single',
  f8: 'double',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  b1: 'uint8',
};

const KIND_NAMES: Record<string, string> = {
  c: 'complex',
  O: 'Python object',
  U: 'unicode string',
  S: 'byte string',
  a: 'byte string',
  V: 'void/structured',
  M: 'datetime',
  m: 'timedelta',
};

/**
 * Parses `.npy` bytes (format versions 1.0, 2.0, 3.0). Supported dtypes: float16/32/64, int8–64,
 * uint8–64, bool, either byte order. Throws DataFormatError naming `file` and the problem
 * (bad magic, unsupported dtype such as `'<c16'` or objects, a size that disagrees with the header).
 */
export function parseNpy(bytes: Uint8Array, file?: string): NpyArray {
  const fail = (msg: string): never => {
    throw new DataFormatError(msg, file);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    fail('not an NPY file (missing \\x93NUMPY magic)');
  const major = bytes[6]!;
  const minor = bytes[7]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated NPY header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported NPY format version ${major}.${minor}`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length)
    fail(`truncated NPY header (${headerLen} bytes announced, file has ${bytes.length})`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, dataStart),
  );

  if (/['"]descr['"]\s*:\s*\[/.test(header)) fail('unsupported dtype: structured (record) arrays');
  const descrMatch = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header);
  const fortranMatch = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descrMatch || !fortranMatch || !shapeMatch)
    fail(`malformed NPY header ${JSON.stringify(header.trim())}`);
  const descr = descrMatch![1]!;
  const fortranOrder = fortranMatch![1] === 'True';
  const shape = shapeMatch![1]!
    .split(',')
    .map((s) => s.trim().replace(/L$/, ''))
    .filter((s) => s !== '')
    .map((s) => {
      const d = Number(s);
      if (!Number.isInteger(d) || d < 0) fail(`malformed shape (${shapeMatch![1]}) in NPY header`);
      return d;
    });

  const dm = /^([<>|=])([a-zA-Z?])(\d+)$/.exec(descr);
  const kind = dm?.[2] ?? descr.replace(/^[<>|=]/, '')[0] ?? '';
  const dtype = (dm ? `${kind === '?' ? 'b' : kind}${dm[3]}` : '') as NpyDtype;
  if (!dm || !(dtype in DTYPES)) {
    const what = KIND_NAMES[kind] ? ` (${KIND_NAMES[kind]})` : '';
    fail(
      `unsupported dtype '${descr}'${what}; supported: float16/32/64 (f2, f4, f8), int8-64 (i1-i8), ` +
        'uint8-64 (u1-u8), bool (b1)',
    );
  }
  const ctor: TypedArrayConstructor<TypedArray> = ELEMENT_TYPES[DTYPES[dtype]];
  const size = ctor.BYTES_PER_ELEMENT;
  let count = 1;
  for (const d of shape) count *= d;
  const need = count * size;
  const have = bytes.length - dataStart;
  if (have !== need) {
    fail(
      `${have < need ? 'truncated data' : 'unexpected trailing bytes'}: header says shape (${shape.join(', ')}) ` +
        `of '${descr}' = ${formatCount(need)} bytes, file has ${formatCount(have)} after the header`,
    );
  }
  const little = dm![1] === '<' || dm![1] === '|' || (dm![1] === '=' && HOST_LITTLE_ENDIAN);
  let data: TypedArray = readTyped(ctor, bytes, dataStart, count, little);
  if (dtype === 'f2') data = halfToFloat32(data as Uint16Array);
  if (fortranOrder) data = reorderMajor(data, shape, true);
  return { descr, dtype, shape, fortranOrder, data };
}

/** Reads and parses a `.npy` file (errors name the path). */
export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(await readFileOr(path), path);
}

export interface EncodeNpyOptions {
  /** Store in Fortran (column-major) order; `data` is still given in C order (default false). */
  fortranOrder?: boolean;
  /** Write a Uint8Array as bool (`'|b1'`) instead of uint8. */
  bool?: boolean;
}

/**
 * Encodes a C-order array as `.npy` bytes (format 1.0, or 2.0 when the header needs it),
 * little-endian, header padded so the data starts on a 64-byte boundary.
 */
export function encodeNpy(
  array: { data: NpyData; shape: readonly number[] },
  options: EncodeNpyOptions = {},
): Uint8Array {
  const { data, shape } = array;
  let count = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new ShapeError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
    count *= d;
  }
  if (count !== data.length) {
    throw new ShapeError(`shape [${shape.join(', ')}] has ${count} elements but the data has ${data.length}`);
  }
  const descr = options.bool && data instanceof Uint8Array ? '|b1' : descrOf(data);
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': ${options.fortranOrder ? 'True' : 'False'}, 'shape': ${tuple}, }`;
  // Version 1.0 stores the header length as uint16; longer headers (huge ranks) need 2.0.
  const v1Len = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const version = v1Len > 65535 ? 2 : 1;
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = `${dict}${' '.repeat(total - pre - dict.length - 1)}\n`;
  const payload = options.fortranOrder ? reorderMajor(data, shape, false) : data;
  const body = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength).slice();
  if (!HOST_LITTLE_ENDIAN && payload.BYTES_PER_ELEMENT > 1) swapBytes(body, payload.BYTES_PER_ELEMENT);
  const out = new Uint8Array(total + body.length);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  out.set(body, total);
  return out;
}

/** Writes a `.npy` file atomically (see `encodeNpy`). */
export async function writeNpy(
  path: string,
  array: { data: NpyData; shape: readonly number[] },
  options: EncodeNpyOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeNpy(array, options));
}

function descrOf(data: NpyData): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint32Array) return '<u4';
  if (data instanceof BigInt64Array) return '<i8';
  return '<u8';
}

/** IEEE half → float32. */
function halfToFloat32(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const x = h[i]!;
    const sign = x & 0x8000 ? -1 : 1;
    const exp = (x >> 10) & 0x1f;
    const frac = x & 0x3ff;
    out[i] =
      exp === 0
        ? sign * 2 ** -14 * (frac / 1024)
        : exp === 31
          ? frac
            ? Number.NaN
            : sign * Number.POSITIVE_INFINITY
          : sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}
