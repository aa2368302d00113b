import { ShapeError } from './errors.js';

export type FloatArray = Float32Array | Float64Array;
export type NumArray = FloatArray | Int32Array | Uint8Array;

/** A dense row-major (C order) array: `data[((i0 * s1 + i1) * s2 + i2)…]`. */
export interface NdArray<T extends NumArray = FloatArray> {
  readonly data: T;
  readonly shape: readonly number[];
}

/** Wraps `data` as an NdArray of `shape`, checking that the sizes agree. */
export function nd<T extends NumArray>(data: T, shape: readonly number[]): NdArray<T> {
  const size = shapeSize(shape);
  if (size !== data.length) {
    throw new ShapeError(`shape [${shape.join(', ')}] has ${size} elements but the data has ${data.length}`);
  }
  return { data, shape: [...shape] };
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new ShapeError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** Float64 zeros of `shape`. */
export function zeros64(shape: readonly number[]): NdArray<Float64Array> {
  return { data: new Float64Array(shapeSize(shape)), shape: [...shape] };
}

/** Float32 zeros of `shape`. */
export function zeros32(shape: readonly number[]): NdArray<Float32Array> {
  return { data: new Float32Array(shapeSize(shape)), shape: [...shape] };
}
