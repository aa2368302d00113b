/** Byte helpers shared by the binary loaders (points.f32, NPY, MAT). Not exported from the package. */

/** True on little-endian hosts (every common one); the big-endian paths exist for correctness only. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Element constructors whose data can be byte-copied from a file. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface TypedArrayConstructor<T extends TypedArray> {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): T;
  new (length: number): T;
}

/**
 * The numeric element types of the binary formats, by MATLAB class name and in mxCLASS order
 * (mxDOUBLE_CLASS = 6 … mxUINT64_CLASS = 15); NPY dtypes and MAT data types name one of them.
 */
export const ELEMENT_TYPES = Object.freeze({
  double: Float64Array,
  single: Float32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
} satisfies Record<string, TypedArrayConstructor<TypedArray>>);
export type ElementType = keyof typeof ELEMENT_TYPES;

/**
 * Copies `count` elements of type `Ctor` starting at `bytes[offset]`, stored with the given
 * endianness, into a fresh (aligned, host-order) typed array.
 */
export function readTyped<T extends TypedArray>(
  Ctor: TypedArrayConstructor<T>,
  bytes: Uint8Array,
  offset: number,
  count: number,
  littleEndian: boolean,
): T {
  const size = Ctor.BYTES_PER_ELEMENT;
  // A fresh copy (not `bytes.slice`, which is a view for Node Buffers) so the result is aligned.
  const copy = new Uint8Array(count * size);
  copy.set(bytes.subarray(offset, offset + count * size));
  if (littleEndian !== HOST_LITTLE_ENDIAN && size > 1) swapBytes(copy, size);
  return new Ctor(copy.buffer, 0, count);
}

/** Reverses the bytes of every `size`-byte word in place. */
export function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** The little-endian bytes of a typed array (a view when the host is little-endian). */
export function toLittleEndianBytes(arr: TypedArray): Uint8Array {
  const view = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  if (HOST_LITTLE_ENDIAN || arr.BYTES_PER_ELEMENT === 1) return view;
  const copy = view.slice();
  swapBytes(copy, arr.BYTES_PER_ELEMENT);
  return copy;
}

/** `n` with thousands separators, for sizes in error messages. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Reorders an array between column-major (Fortran/MATLAB: first index fastest) and row-major
 * (C: last index fastest) layouts of the same `shape`.
 * `toRowMajor` true: `src` is column-major, the result row-major; false: the reverse.
 */
export function reorderMajor<T extends TypedArray>(src: T, shape: readonly number[], toRowMajor: boolean): T {
  const n = src.length;
  const out = new (src.constructor as TypedArrayConstructor<T>)(n);
  const rank = shape.length;
  if (rank <= 1 || n === 0) {
    out.set(src as never);
    return out;
  }
  // Walk the column-major index space linearly, tracking the row-major offset.
  const rowStride = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    rowStride[d] = s;
    s *= shape[d]!;
  }
  const idx = new Array<number>(rank).fill(0);
  let r = 0;
  for (let c = 0; c < n; c++) {
    if (toRowMajor) out[r] = src[c]!;
    else out[c] = src[r]!;
    for (let d = 0; d < rank; d++) {
      const i = idx[d]! + 1;
      r += rowStride[d]!;
      if (i < shape[d]!) {
        idx[d] = i;
        break;
      }
      r -= rowStride[d]! * i;
      idx[d] = 0;
    }
  }
  return out;
}
