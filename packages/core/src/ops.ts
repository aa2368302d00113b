import { LfmError, ShapeError } from './errors.js';

/**
 * The op interface the model is written against — "one model definition, two engines".
 *
 * The same model code runs (a) eagerly on tfjs tensors with autodiff (`@lfm/core/tfjs`) and (b) traced
 * into an ONNX opset-17 graph by a recorder. Every op below therefore maps onto standard ONNX ops;
 * the mapping is given in each op's comment.
 *
 * Rules every engine implements and every model relies on:
 * - dtype: every tensor is float32. Comparisons return 0/1 float32; conditions are 0/1 float32.
 * - Broadcasting: binary elementwise ops, `where`, and `matMul`'s batch dims follow numpy
 *   broadcasting (align trailing axes; a dim of 1 stretches).
 * - Axes may be negative (counted from the end), as in numpy and ONNX.
 * - Shapes: `shape(x)` returns concrete sizes — the sizes of the tensor now (eager) or of the example
 *   input being traced (graph). A recorder may export some dims (batch `B`, points `N`) as symbolic, so
 *   model code must never bake a size derived from `B` or `N` into an op argument: use broadcasting,
 *   and in `reshape` use `0` (copy the input's dim at the same index) or `-1` (infer). Sizes that are
 *   fixed by the model (`D`, heads, head width) may be used freely. `reshape` is the only op taking a
 *   target shape; `constant` shapes are static by nature.
 * - Gradients: every op is differentiable where its mathematics is (comparisons have zero gradient);
 *   `stopGradient` is the identity with zero gradient.
 * - Numbers: wherever an operand is `T | number`, a number is a float32 scalar constant.
 */
export type Shape = readonly number[];

/** A binary-op operand: a tensor or a float32 scalar constant. */
export type Operand<T> = T | number;

export interface MatMulOptions {
  /** Use the transpose of `a`'s last two axes. */
  transposeA?: boolean;
  /** Use the transpose of `b`'s last two axes. */
  transposeB?: boolean;
}

/** Typed op set over an engine's opaque tensor handle `T`. All tensors are float32. */
export interface Ops<T> {
  /** Engine name, for messages (`'tfjs'`, `'onnx'`, …). */
  readonly engine: string;

  /** Concrete shape of `x` (see the rules on dynamic dims above). */
  shape(x: T): Shape;

  /** A constant of `shape` from row-major `data`. ONNX: initializer / Constant. */
  constant(data: Float32Array | readonly number[], shape: Shape): T;
  /** A rank-0 constant. ONNX: Constant. */
  scalar(value: number): T;

  // --- elementwise, numpy broadcasting; result shape = broadcastShapes(a, b) ---
  /** a + b. ONNX: Add. */
  add(a: Operand<T>, b: Operand<T>): T;
  /** a − b. ONNX: Sub. */
  sub(a: Operand<T>, b: Operand<T>): T;
  /** a · b. ONNX: Mul. */
  mul(a: Operand<T>, b: Operand<T>): T;
  /** a / b. ONNX: Div. */
  div(a: Operand<T>, b: Operand<T>): T;
  /** aᵇ (a > 0 where b is not an integer). ONNX: Pow. */
  pow(a: Operand<T>, b: Operand<T>): T;
  /** max(a, b). ONNX: Max. */
  maximum(a: Operand<T>, b: Operand<T>): T;
  /** min(a, b). ONNX: Min. */
  minimum(a: Operand<T>, b: Operand<T>): T;
  /** 1 where a = b else 0; zero gradient. ONNX: Equal → Cast(float). */
  equal(a: Operand<T>, b: Operand<T>): T;
  /** 1 where a > b else 0; zero gradient. ONNX: Greater → Cast(float). */
  greater(a: Operand<T>, b: Operand<T>): T;
  /** a where cond ≠ 0 else b; cond, a, b broadcast together. ONNX: Cast(cond, bool) → Where. */
  where(cond: T, a: Operand<T>, b: Operand<T>): T;

  // --- elementwise unary, same shape ---
  /** −x. ONNX: Neg. */
  neg(x: T): T;
  /** √x. ONNX: Sqrt. */
  sqrt(x: T): T;
  /** 1/x. ONNX: Reciprocal. */
  reciprocal(x: T): T;
  /** eˣ. ONNX: Exp. */
  exp(x: T): T;
  /** ln x. ONNX: Log. */
  log(x: T): T;
  /** erf x. ONNX: Erf. */
  erf(x: T): T;
  /** sin x. ONNX: Sin. */
  sin(x: T): T;
  /** cos x. ONNX: Cos. */
  cos(x: T): T;
  /** tanh x. ONNX: Tanh. */
  tanh(x: T): T;
  /** 1/(1+e⁻ˣ). ONNX: Sigmoid. */
  sigmoid(x: T): T;
  /** GELU, erf form: ½x(1 + erf(x/√2)). ONNX: Div, Erf, Add, Mul, Mul (fused by onnxruntime). */
  gelu(x: T): T;

  // --- reductions; axes undefined = all axes; keepDims keeps reduced axes as size 1 ---
  /** Σ over `axes`. ONNX: ReduceSum. */
  reduceSum(x: T, axes?: number | readonly number[], keepDims?: boolean): T;
  /** Mean over `axes`. ONNX: ReduceMean. */
  reduceMean(x: T, axes?: number | readonly number[], keepDims?: boolean): T;
  /** Max over `axes`. ONNX: ReduceMax. */
  reduceMax(x: T, axes?: number | readonly number[], keepDims?: boolean): T;

  // --- neural-network ops ---
  /** Softmax over the last axis. ONNX: Softmax(axis = −1). */
  softmax(x: T): T;
  /**
   * LayerNorm over the last axis: (x − μ)/√(σ² + eps) · gamma + beta, σ² the biased variance.
   * x [..., D], gamma [D], beta [D]. ONNX: LayerNormalization(axis = −1, epsilon).
   */
  layerNorm(x: T, gamma: T, beta: T, eps?: number): T;
  /**
   * Batched matrix product: a [..., M, K] · b [..., K, P] → [..., M, P] (after the optional transposes
   * of the last two axes); both ranks ≥ 2, batch dims broadcast. ONNX: (Transpose →) MatMul.
   */
  matMul(a: T, b: T, options?: MatMulOptions): T;
  /**
   * Affine layer: x [..., K] · w [K, M] + b [M] → [..., M]. ONNX: MatMul, Add. The tfjs engine gives
   * it a hand-written gradient (fast matmul paths), so prefer it to matMul + add for weights.
   */
  linear(x: T, w: T, b?: T): T;

  // --- layout ---
  /** Join along `axis`; other dims must agree. ONNX: Concat. */
  concat(xs: readonly T[], axis: number): T;
  /**
   * Elements start ≤ i < end along one `axis` (negative indices count from the end, clamped to the
   * axis; `end` defaults to the end of the axis). Other axes untouched. ONNX: Slice(axes = [axis]).
   */
  slice(x: T, axis: number, start: number, end?: number): T;
  /** Select `indices` (constant, in range, non-negative) along `axis`. ONNX: Gather. */
  gather(x: T, indices: readonly number[] | Int32Array, axis: number): T;
  /** Permute axes: output axis i is input axis perm[i]. ONNX: Transpose. */
  transpose(x: T, perm: readonly number[]): T;
  /**
   * Reshape to `dims`: a positive size, `0` = copy the input's dim at the same index, or one `-1` =
   * infer. See `resolveReshape`. ONNX: Reshape (allowzero = 0).
   */
  reshape(x: T, dims: readonly number[]): T;
  /** Insert a size-1 axis at `axis` (of the output, −rank−1 ≤ axis ≤ rank). ONNX: Unsqueeze. */
  expandDims(x: T, axis: number): T;
  /** Remove the listed size-1 axes. ONNX: Squeeze. */
  squeeze(x: T, axes: number | readonly number[]): T;

  /** Identity in the forward pass, zero gradient in the backward pass. ONNX: Identity (not differentiated). */
  stopGradient(x: T): T;
}

/**
 * Named parameters, provided by the engine: tf.Variables for tfjs; initializers or graph inputs for
 * ONNX. Names are dotted paths (`layers.0.attn.wq`).
 */
export interface Params<T> {
  /** The parameter `name`; throws if it is missing or its shape is not `shape`. */
  get(name: string, shape: Shape): T;
}

/** The parameters of `params` under `prefix.`: `scopeParams(p, 'layers.0').get('wq', s)` reads `layers.0.wq`. */
export function scopeParams<T>(params: Params<T>, prefix: string): Params<T> {
  return { get: (name, shape) => params.get(`${prefix}.${name}`, shape) };
}

/** Params over a plain record of tensors, checking shapes with the engine's `shape`. */
export function paramsFromRecord<T>(
  record: Readonly<Record<string, T>>,
  shapeOf: (x: T) => Shape,
): Params<T> {
  return {
    get(name, shape) {
      const t = Object.hasOwn(record, name) ? record[name] : undefined;
      if (t === undefined)
        throw new LfmError('E_PARAM', `parameter '${name}' [${shape.join(', ')}] is missing`);
      const got = shapeOf(t);
      if (!sameShape(got, shape)) {
        throw new ShapeError(
          `parameter '${name}' must have shape [${shape.join(', ')}], got [${got.join(', ')}]`,
        );
      }
      return t;
    },
  };
}

// --- shape rules: the one source of truth for every engine (and the recorder's shape inference) ---

/** Whether two shapes are equal. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** An axis in [−rank, rank) as a non-negative index; ShapeError otherwise. */
export function normalizeAxis(axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError(`axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Numpy broadcast of two shapes; ShapeError naming both when incompatible. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast (axis ${i - rank})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * The concrete target of `reshape(x, dims)` for input `shape`: `0` copies `shape[i]`, one `-1` takes
 * what is left; the element counts must agree. ShapeError otherwise.
 */
export function resolveReshape(shape: Shape, dims: readonly number[]): number[] {
  const size = shape.reduce((n, d) => n * d, 1);
  let infer = -1;
  let known = 1;
  const out = dims.map((d, i) => {
    if (d === 0) {
      const c = shape[i];
      if (c === undefined)
        throw new ShapeError(
          `reshape [${dims.join(', ')}]: 0 at axis ${i} but the input has rank ${shape.length}`,
        );
      known *= c;
      return c;
    }
    if (d === -1) {
      if (infer >= 0) throw new ShapeError(`reshape [${dims.join(', ')}]: at most one -1`);
      infer = i;
      return -1;
    }
    if (!Number.isInteger(d) || d < 0)
      throw new ShapeError(`reshape [${dims.join(', ')}]: invalid size ${d}`);
    known *= d;
    return d;
  });
  if (infer >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(`cannot reshape [${shape.join(', ')}] to [${dims.join(', ')}]`);
    }
    out[infer] = size / known;
  } else if (known !== size) {
    throw new ShapeError(
      `cannot reshape [${shape.join(', ')}] (${size} elements) to [${dims.join(', ')}] (${known})`,
    );
  }
  return out;
}

/** Output shape of `matMul(a, b, options)`; ShapeError on rank < 2, inner-dim or batch mismatch. */
export function matMulShape(a: Shape, b: Shape, options: MatMulOptions = {}): number[] {
  if (a.length < 2 || b.length < 2) {
    throw new ShapeError(`matMul needs rank ≥ 2 operands, got [${a.join(', ')}] and [${b.join(', ')}]`);
  }
  const ra = a.length;
  const rb = b.length;
  const m = options.transposeA ? a[ra - 1]! : a[ra - 2]!;
  const ka = options.transposeA ? a[ra - 2]! : a[ra - 1]!;
  const kb = options.transposeB ? b[rb - 1]! : b[rb - 2]!;
  const p = options.transposeB ? b[rb - 2]! : b[rb - 1]!;
  if (ka !== kb) {
    const t = `${options.transposeA ? 'ᵀ' : ''} · [${b.join(', ')}]${options.transposeB ? 'ᵀ' : ''}`;
    throw new ShapeError(`matMul inner dims differ: [${a.join(', ')}]${t} (${ka} vs ${kb})`);
  }
  return [...broadcastShapes(a.slice(0, -2), b.slice(0, -2)), m, p];
}

/** [start, end) of `slice(x, axis, start, end)` on an axis of size `size`, clamped as in ONNX Slice. */
export function resolveSlice(size: number, start: number, end?: number): [number, number] {
  const clamp = (i: number) => Math.min(size, Math.max(0, i < 0 ? i + size : i));
  const s = clamp(start);
  const e = end === undefined ? size : clamp(end);
  return [s, Math.max(s, e)];
}

/** Sorted, de-duplicated non-negative axes of a reduction (`undefined` = all axes). */
export function resolveAxes(axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  return [...new Set(list.map((a) => normalizeAxis(a, rank)))].sort((x, y) => x - y);
}

/**
 * The one shape rule of `Ops.linear`: x [..., K], w [K, M], b [M] → [..., M]. Returns { k, m };
 * ShapeError naming all three shapes otherwise.
 */
export function linearShape(x: Shape, w: Shape, b?: Shape): { k: number; m: number } {
  const k = x[x.length - 1];
  const m = w[1];
  if (
    k === undefined ||
    m === undefined ||
    w.length !== 2 ||
    w[0] !== k ||
    (b !== undefined && (b.length !== 1 || b[0] !== m))
  ) {
    throw new ShapeError(
      `linear: x [..., K], w [K, M], b [M]; got [${x.join(', ')}], [${w.join(', ')}]${b ? `, [${b.join(', ')}]` : ''}`,
    );
  }
  return { k, m };
}
