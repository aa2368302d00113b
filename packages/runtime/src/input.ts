import { InputError, ShapeError } from '@lfm/core';
import type { Edge } from '@lfm/datasets/preprocess';
import { getRig, hasRig, isRig, type Rig, registerRig } from '@lfm/rig';
import { builtinRigs } from '@lfm/rigs';

/** One 2D point `[x, y]` in input units (pixels), or null when it is missing. */
export type Point2D = readonly number[] | null;

/** One sample: N points as `[x, y] | null` arrays, or a flat Float32Array/Float64Array [N·2]. */
export type SampleInput = readonly Point2D[] | Float32Array | Float64Array;

/** A batch of B samples (each may have its own N; shorter ones are padded). */
export type BatchInput = readonly (readonly Point2D[] | Float32Array | Float64Array)[];

/** A mask value: 1 / true = visible, 0 / false = absent. */
export type MaskValue = number | boolean;

/** A mask for one sample [N], or for a batch ([B][N], or flat [B·N] for a flat batch). */
export type MaskInput =
  | readonly MaskValue[]
  | readonly (readonly MaskValue[])[]
  | Float32Array
  | Float64Array
  | Uint8Array
  | Int32Array;

/** A rig by registry id (built-in rigs need no registration) or a Rig object. */
export type RigInput = string | Rig;

export interface InputOptions {
  /** Visibility: 1/true = visible, 0/false = absent. Default: every non-null point is visible. */
  mask?: MaskInput | undefined;
  /** The rig of the points (bones for the local attention; joint count checked), shared or per sample. */
  rig?: RigInput | readonly (RigInput | undefined)[] | undefined;
  /** Bones as point index pairs (overrides the rig's), shared or per sample. No bones → kNN graph. */
  bones?: readonly Edge[] | readonly (readonly Edge[] | undefined)[] | undefined;
  /** B, for a flat Float32Array/Float64Array holding a batch [B, N, 2]. */
  batch?: number | undefined;
}

/** A parsed, padded batch in input units. */
export interface ParsedInput {
  readonly batched: boolean;
  readonly B: number;
  /** The batch's padded N (the largest sample). */
  readonly N: number;
  /** Per sample, its own number of points n ≤ N. */
  readonly counts: Int32Array;
  /** [B, N, 2] input coordinates; 0 where absent or padding. */
  readonly xy: Float64Array;
  /** [B, N] 1 = visible. */
  readonly mask: Uint8Array;
  /** Per sample, bones (undefined = none: kNN). */
  readonly bones: (readonly Edge[] | undefined)[];
  /** Per sample, the resolved rig (undefined = none given): the joint-code lookup key. */
  readonly rigs: (Rig | undefined)[];
}

const isTyped = (v: unknown): v is Float32Array | Float64Array =>
  v instanceof Float32Array || v instanceof Float64Array;

/**
 * Reads points (one sample or a batch), mask, rig and bones into padded arrays, checking everything a
 * user can get wrong: ShapeError for shapes (a point that is not [x, y] or null, mismatched mask, a rig
 * whose joint count differs from the points); InputError for a visible NaN/Infinity, a null point
 * marked visible, mask values other than 0/1, fewer than `minVisible` visible points, more than
 * `maxPoints` points, and bad bones.
 */
export function parseInput(
  points: SampleInput | BatchInput,
  options: InputOptions,
  limits: { maxPoints: number | undefined; minVisible: number },
): ParsedInput {
  const samples = splitSamples(points, options.batch);
  const B = samples.list.length;
  const counts = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const s = samples.list[b]!;
    const n = isTyped(s) ? s.length / 2 : s.length;
    if (n === 0) throw new ShapeError(`${where(samples.batched, b)} has no points`);
    if (limits.maxPoints !== undefined && n > limits.maxPoints) {
      throw new InputError(
        `${where(samples.batched, b)} has ${n} points, but the model takes at most ${limits.maxPoints}`,
      );
    }
    counts[b] = n;
  }
  const N = counts.reduce((m, n) => Math.max(m, n), 0);
  const xy = new Float64Array(B * N * 2);
  const mask = new Uint8Array(B * N);
  const maskOf = maskReader(options.mask, samples.batched, counts);

  for (let b = 0; b < B; b++) {
    const s = samples.list[b]!;
    const n = counts[b]!;
    let visible = 0;
    for (let i = 0; i < n; i++) {
      const label = `${where(samples.batched, b)}, point ${i}`;
      let x: number;
      let y: number;
      let isNull = false;
      if (isTyped(s)) {
        x = s[2 * i]!;
        y = s[2 * i + 1]!;
      } else {
        const p = s[i];
        if (p === null || p === undefined) {
          isNull = true;
          x = y = 0;
        } else if (
          !Array.isArray(p) ||
          p.length !== 2 ||
          typeof p[0] !== 'number' ||
          typeof p[1] !== 'number'
        ) {
          throw new ShapeError(`${label} must be [x, y] or null, got ${short(p)}`);
        } else {
          x = p[0];
          y = p[1];
        }
      }
      const m = maskOf(b, i);
      const on = m === undefined ? !isNull : m;
      if (!on) continue;
      if (isNull) throw new InputError(`${label} is null but its mask says visible`);
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        throw new InputError(`${label} is visible but not finite (${x}, ${y}); mask it or pass null`);
      }
      const k = b * N + i;
      xy[2 * k] = x;
      xy[2 * k + 1] = y;
      mask[k] = 1;
      visible++;
    }
    if (visible < limits.minVisible) {
      throw new InputError(
        `${where(samples.batched, b)} has ${visible} visible point${visible === 1 ? '' : 's'}; lifting needs at least ${limits.minVisible}`,
      );
    }
  }
  return {
    batched: samples.batched,
    B,
    N,
    counts,
    xy,
    mask,
    ...resolveBones(options, samples.batched, counts),
  };
}

function where(batched: boolean, b: number): string {
  return batched ? `sample ${b}` : 'the input';
}

function splitSamples(
  points: SampleInput | BatchInput,
  batch: number | undefined,
): { batched: boolean; list: (readonly Point2D[] | Float32Array | Float64Array)[] } {
  if (isTyped(points)) {
    if (batch === undefined) {
      if (points.length % 2 !== 0) {
        throw new ShapeError(`a flat point array holds [N, 2] values; got ${points.length}, an odd count`);
      }
      return { batched: false, list: [points] };
    }
    if (!Number.isInteger(batch) || batch < 1)
      throw new ShapeError(`batch must be an integer ≥ 1, got ${batch}`);
    if (points.length % (2 * batch) !== 0) {
      throw new ShapeError(
        `a flat batch holds [B, N, 2] values; ${points.length} values do not split into B = ${batch} samples of N points`,
      );
    }
    const n = points.length / (2 * batch);
    const list = Array.from({ length: batch }, (_, b) => points.subarray(2 * n * b, 2 * n * (b + 1)));
    return { batched: true, list };
  }
  if (!Array.isArray(points)) {
    throw new ShapeError(
      `points must be [[x, y] | null, …], a batch of those, or a Float32Array; got ${short(points)}`,
    );
  }
  if (batch !== undefined) {
    throw new ShapeError(
      'batch is only for a flat Float32Array/Float64Array; a nested batch has its own length',
    );
  }
  if (points.length === 0) throw new ShapeError('no points: the input is an empty list');
  const first = points.find((p) => p !== null && p !== undefined);
  // A point is never an empty list, so `[]` is a sample without points (`[[]]`: a batch of one).
  const sampleLike = (v: unknown) =>
    isTyped(v) ||
    (Array.isArray(v) && (v.length === 0 || v.some((e) => e === null || Array.isArray(e) || isTyped(e))));
  if (first !== undefined && sampleLike(first)) {
    points.forEach((s, b) => {
      if (!isTyped(s) && !Array.isArray(s)) {
        throw new ShapeError(`sample ${b} must be a list of [x, y] | null points, got ${short(s)}`);
      }
      if (isTyped(s) && s.length % 2 !== 0) {
        throw new ShapeError(`sample ${b}: a flat point array holds [N, 2] values; got ${s.length}`);
      }
    });
    return { batched: true, list: [...(points as BatchInput)] };
  }
  return { batched: false, list: [points as readonly Point2D[]] };
}

/** (b, i) → visibility from the mask, or undefined when there is no mask. */
function maskReader(
  mask: MaskInput | undefined,
  batched: boolean,
  counts: Int32Array,
): (b: number, i: number) => boolean | undefined {
  if (mask === undefined) return () => undefined;
  const B = counts.length;
  const value = (v: unknown, b: number, i: number): boolean => {
    if (v === 1 || v === true) return true;
    if (v === 0 || v === false) return false;
    throw new InputError(
      `mask of ${where(batched, b)}, point ${i} is ${short(v)}; mask values must be 0/false (absent) or 1/true (visible)`,
    );
  };
  const nested = Array.isArray(mask) && mask.length > 0 && Array.isArray(mask[0]);
  if (!batched || !nested) {
    // One sample [N], or a flat batch mask [B·N] with equal N.
    const n = counts[0]!;
    if (mask.length !== B * n || (batched && counts.some((c) => c !== n))) {
      throw new ShapeError(
        `mask has ${mask.length} values, but the points need ${batched ? `B·N = ${B}·${n}` : `N = ${n}`}`,
      );
    }
    return (b, i) => value((mask as ArrayLike<unknown>)[b * n + i], b, i);
  }
  if (!nested || mask.length !== B) {
    throw new ShapeError(
      `mask must be [B][N] for a batch of ${B} samples, got ${mask.length} ${nested ? 'rows' : 'values'}`,
    );
  }
  const rows = mask as readonly (readonly MaskValue[])[];
  rows.forEach((row, b) => {
    if (!Array.isArray(row) || row.length !== counts[b]) {
      throw new ShapeError(
        `mask of sample ${b} has ${Array.isArray(row) ? row.length : 'no'} values, the sample has ${counts[b]} points`,
      );
    }
  });
  return (b, i) => value(rows[b]![i], b, i);
}

/**
 * A rig object, or a rig id: registered ones first, then the built-in rigs of @lfm/rigs (usable
 * without registration). An unknown id throws UnknownRigError naming the closest ids; for that
 * message the built-in rigs whose ids are free are registered first.
 */
export function resolveRig(rig: RigInput): Rig {
  if (isRig(rig)) return rig;
  if (typeof rig !== 'string') throw new InputError(`rig must be a rig id or a Rig, got ${short(rig)}`);
  if (hasRig(rig)) return getRig(rig);
  const builtin = builtinRigs.find((r) => r.id === rig);
  if (builtin) return builtin;
  for (const r of builtinRigs) if (!hasRig(r.id)) registerRig(r);
  return getRig(rig);
}

const isEdge = (e: unknown): boolean =>
  Array.isArray(e) && e.length === 2 && typeof e[0] === 'number' && typeof e[1] === 'number';

function resolveBones(
  options: InputOptions,
  batched: boolean,
  counts: Int32Array,
): { bones: (readonly Edge[] | undefined)[]; rigs: (Rig | undefined)[] } {
  const B = counts.length;
  const perSample = <T>(v: T | readonly (T | undefined)[], isOne: (x: unknown) => boolean, what: string) => {
    if (Array.isArray(v) && !isOne(v)) {
      if (!batched || v.length !== B) {
        throw new ShapeError(`per-sample ${what} need one entry per sample (${B}), got ${v.length}`);
      }
      return (b: number) => (v as readonly (T | undefined)[])[b];
    }
    return () => v as T;
  };
  const rigOf =
    options.rig === undefined
      ? () => undefined
      : perSample<RigInput>(options.rig, (x) => typeof x === 'string' || isRig(x), 'rigs');
  const bonesOf =
    options.bones === undefined
      ? () => undefined
      : perSample<readonly Edge[]>(
          options.bones as readonly Edge[],
          (x) => Array.isArray(x) && (x.length === 0 || x.every(isEdge)),
          'bones',
        );
  const out: (readonly Edge[] | undefined)[] = [];
  const rigs: (Rig | undefined)[] = [];
  for (let b = 0; b < B; b++) {
    const n = counts[b]!;
    const r = rigOf(b);
    let bones: readonly Edge[] | undefined;
    let rig: Rig | undefined;
    if (r !== undefined) {
      rig = resolveRig(r);
      if (rig.numJoints !== n) {
        throw new ShapeError(
          `rig '${rig.id}' has ${rig.numJoints} joints, but ${where(batched, b)} has ${n} points`,
        );
      }
      bones = rig.boneIndices;
    }
    const explicit = bonesOf(b);
    if (explicit !== undefined) {
      if (!Array.isArray(explicit))
        throw new InputError(`bones must be a list of [i, j] pairs, got ${short(explicit)}`);
      explicit.forEach((e, k) => {
        const ok = (x: unknown) => Number.isInteger(x) && (x as number) >= 0 && (x as number) < n;
        if (!isEdge(e) || !ok(e[0]) || !ok(e[1]) || e[0] === e[1]) {
          throw new InputError(
            `bone #${k} ${short(e)} of ${where(batched, b)} is not a pair of distinct point indices in [0, ${n})`,
          );
        }
      });
      bones = explicit;
    }
    out.push(bones && bones.length > 0 ? bones : undefined);
    rigs.push(rig);
  }
  return { bones: out, rigs };
}

function short(v: unknown): string {
  if (isTyped(v)) return `${v.constructor.name}(${v.length})`;
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
