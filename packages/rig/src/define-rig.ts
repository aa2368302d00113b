import { PointsShapeError, RigSpecError, UnknownJointError } from './errors.js';
import { didYouMean } from './suggest.js';

/** Two joint names: a bone (undirected) or a left/right mirror pair. */
export type JointPair = readonly [string, string];

/** Two joint indices into a rig's `joints`. */
export type IndexPair = readonly [number, number];

/**
 * Version 1 of the rig spec: a skeleton as plain data. A breaking change to this shape is a new
 * `RigSpecV2` with `specVersion: 2`, never a silent edit of this one.
 */
export interface RigSpecV1 {
  readonly specVersion: 1;
  /** Registry key, e.g. 'h36m-17'. No whitespace. */
  readonly id: string;
  /** Object category, e.g. 'human-body', 'face', 'hand', 'rigid-chair'. */
  readonly category: string;
  /** Joint (keypoint) names in array order: joint j of a points array [F, J, D] is `joints[j]`. */
  readonly joints: readonly string[];
  /** Undirected bones as joint-name pairs; `[]` when the layout has none (local attention then uses kNN). */
  readonly bones: readonly JointPair[];
  /** Left/right pairs; a joint in no pair is its own mirror (centre line). */
  readonly mirror: readonly JointPair[];
  /** Who defined this keypoint layout (paper, dataset or URL). */
  readonly citation: string;
  readonly description?: string;
  /** Units of the coordinates that usually come with this rig, e.g. 'mm' (informational). */
  readonly units?: string;
}

/** The newest rig spec version. */
export type RigSpec = RigSpecV1;

/** The spec version this package writes and reads. */
export const RIG_SPEC_VERSION = 1;

/** What `defineRig` accepts: a RigSpecV1 whose `specVersion` may be left out and `bones`/`mirror` default to []. */
export type RigSpecInput = Omit<RigSpecV1, 'specVersion' | 'bones' | 'mirror'> & {
  readonly specVersion?: 1;
  readonly bones?: readonly JointPair[];
  readonly mirror?: readonly JointPair[];
};

export interface AdjacencyOptions {
  /** Set the diagonal for the rig's joints (attention to self). Default false. */
  readonly selfLoops?: boolean;
  /** Padded size N ≥ J of the returned N×N matrix; rows and columns J…N-1 stay 0. Default J. */
  readonly size?: number;
}

/** Runtime brand (non-enumerable) shared by every copy of this package, so `isRig` works across copies. */
const RIG_BRAND = Symbol.for('@lfm/rig.Rig');

/** A validated, frozen rig: the spec plus the indices derived from it. Make one with `defineRig`. */
export interface Rig {
  /** The normalised spec (deep-frozen, JSON-serialisable; `JSON.stringify(rig)` gives it). */
  readonly spec: RigSpecV1;
  readonly id: string;
  readonly category: string;
  readonly joints: readonly string[];
  /** J, the number of joints. */
  readonly numJoints: number;
  readonly bones: readonly JointPair[];
  readonly mirror: readonly JointPair[];
  readonly citation: string;
  readonly description: string | undefined;
  readonly units: string | undefined;
  /** Joint name → index. */
  readonly jointIndex: ReadonlyMap<string, number>;
  /** Bones as index pairs, in spec order and direction. */
  readonly boneIndices: readonly IndexPair[];
  /** Length J: `mirrorIndex[j]` is j's left/right partner, or j itself. Flip a pose: `out[j] = pts[mirrorIndex[j]]`. */
  readonly mirrorIndex: readonly number[];
  /** Length J: the joints sharing a bone with j, ascending, without j. */
  readonly neighbours: readonly (readonly number[])[];
  /** Index of a joint name; throws UnknownJointError naming close names. */
  indexOf(joint: string): number;
  /**
   * The bone graph as a fresh symmetric 0/1 matrix [N, N] (row-major Uint8Array, N = options.size ?? J):
   * A[i,j] = A[j,i] = 1 for every bone, A[j,j] = 1 for j < J when `selfLoops`.
   */
  adjacency(options?: AdjacencyOptions): Uint8Array;
  toJSON(): RigSpecV1;
}

/** True for a Rig made by `defineRig` — from any copy of this package. */
export function isRig(value: unknown): value is Rig {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<PropertyKey, unknown>)[RIG_BRAND] === true &&
    typeof (value as { spec?: unknown }).spec === 'object'
  );
}

const KNOWN_FIELDS = [
  'specVersion',
  'id',
  'category',
  'joints',
  'bones',
  'mirror',
  'citation',
  'description',
  'units',
] as const;

/** A Map whose mutators throw, so a frozen rig stays frozen. */
class ReadonlyIndexMap extends Map<string, number> {
  constructor(entries: readonly string[]) {
    super();
    // Map's own set: the override below throws. Names are unique by now (defineRig checked).
    for (const [i, name] of entries.entries()) Map.prototype.set.call(this, name, i);
    Object.freeze(this);
  }
  override set(): this {
    throw new TypeError('rig.jointIndex is read-only');
  }
  override delete(): boolean {
    throw new TypeError('rig.jointIndex is read-only');
  }
  override clear(): void {
    throw new TypeError('rig.jointIndex is read-only');
  }
}

const show = (v: unknown): string => {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : String(v);
};

function isPairArray(v: unknown): v is JointPair[] {
  return (
    Array.isArray(v) &&
    v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string')
  );
}

function fail(id: unknown, problems: string[]): never {
  const head = typeof id === 'string' && id ? `invalid rig '${id}'` : 'invalid rig spec';
  const shown =
    problems.length > 6 ? [...problems.slice(0, 6), `… and ${problems.length - 6} more`] : problems;
  throw new RigSpecError(`${head}: ${shown.join('; ')}`, problems);
}

/** Field types: each wrong field is one problem. Untyped JavaScript plugins reach this. */
function checkFields(input: unknown): asserts input is RigSpecInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RigSpecError(
      `invalid rig spec: expected an object with id, category, joints, …, got ${show(input)}`,
    );
  }
  const s = input as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = Object.keys(s).filter((key) => !(KNOWN_FIELDS as readonly string[]).includes(key));
  if (unknown.length) {
    const named = unknown.map((key) => `'${key}'${didYouMean(key, KNOWN_FIELDS)}`).join(', ');
    problems.push(
      `unknown field${unknown.length > 1 ? 's' : ''} ${named} (RigSpecV1 has ${KNOWN_FIELDS.join(', ')})`,
    );
  }
  if (s.specVersion !== undefined && s.specVersion !== RIG_SPEC_VERSION) {
    problems.push(
      `specVersion ${show(s.specVersion)} is not supported by this @lfm/rig (it reads specVersion 1); upgrade @lfm/rig`,
    );
  }
  if (typeof s.id !== 'string' || !/^\S+$/.test(s.id)) {
    problems.push(`id must be a non-empty string without whitespace, got ${show(s.id)}`);
  }
  if (typeof s.category !== 'string' || s.category.trim() === '') {
    problems.push(`category must be a non-empty string (e.g. 'human-body', 'face'), got ${show(s.category)}`);
  }
  if (
    !Array.isArray(s.joints) ||
    s.joints.length === 0 ||
    !s.joints.every((j) => typeof j === 'string' && j !== '')
  ) {
    problems.push(`joints must be a non-empty array of non-empty strings, got ${show(s.joints)}`);
  }
  for (const key of ['bones', 'mirror'] as const) {
    if (s[key] !== undefined && !isPairArray(s[key])) {
      problems.push(`${key} must be an array of [jointName, jointName] pairs, got ${show(s[key])}`);
    }
  }
  if (typeof s.citation !== 'string' || s.citation.trim() === '') {
    problems.push(
      `citation must be a non-empty string naming who defined the layout (paper, dataset or URL), got ${show(s.citation)}`,
    );
  }
  for (const key of ['description', 'units'] as const) {
    if (s[key] !== undefined && typeof s[key] !== 'string') {
      problems.push(`${key} must be a string when given, got ${show(s[key])}`);
    }
  }
  if (problems.length) fail(s.id, problems);
}

/**
 * Validate a rig spec and derive its indices. Throws RigSpecError listing every problem: a field of the
 * wrong type, a duplicate joint name, a bone or mirror pair naming an unknown joint, a bone from a joint
 * to itself, a bone given twice (either direction), a joint mirrored to itself or in two mirror pairs.
 * Accepts a Rig too (returned as is).
 */
export function defineRig(spec: RigSpecInput | Rig): Rig {
  if (isRig(spec)) return spec;
  checkFields(spec);
  const joints = [...spec.joints];
  const bones = (spec.bones ?? []).map(([a, b]) => [a, b] as const);
  const mirror = (spec.mirror ?? []).map(([a, b]) => [a, b] as const);
  const problems: string[] = [];

  const jointIndex = new Map<string, number>();
  joints.forEach((name, i) => {
    const first = jointIndex.get(name);
    if (first === undefined) {
      jointIndex.set(name, i);
    } else {
      problems.push(
        `joint '${name}' is listed twice in joints (indices ${first} and ${i}); names must be unique`,
      );
    }
  });
  const lookup = (what: string, name: string): number => {
    const i = jointIndex.get(name);
    if (i === undefined) problems.push(`${what}: unknown joint '${name}'${didYouMean(name, joints)}`);
    return i ?? -1;
  };

  const boneIndices: [number, number][] = [];
  const boneSeen = new Map<string, number>();
  bones.forEach(([a, b], k) => {
    const what = `bone #${k} ${show([a, b])}`;
    const i = lookup(what, a);
    const j = a === b ? i : lookup(what, b);
    if (a === b) {
      problems.push(
        `${what} connects '${a}' to itself; remove it (adjacency({ selfLoops: true }) adds self loops)`,
      );
    }
    if (i < 0 || j < 0 || i === j) return;
    const key = i < j ? `${i},${j}` : `${j},${i}`;
    const prev = boneSeen.get(key);
    if (prev !== undefined) {
      problems.push(`${what} repeats bone #${prev} ${show(bones[prev])} (bones are undirected); remove one`);
      return;
    }
    boneSeen.set(key, k);
    boneIndices.push([i, j]);
  });

  const mirrorIndex = joints.map((_, j) => j);
  const pairOf = new Map<number, number>();
  mirror.forEach(([a, b], k) => {
    const what = `mirror pair #${k} ${show([a, b])}`;
    const i = lookup(what, a);
    const j = a === b ? i : lookup(what, b);
    if (a === b) {
      problems.push(
        `${what} pairs '${a}' with itself; leave centre-line joints out (a joint in no pair is its own mirror)`,
      );
    }
    if (i < 0 || j < 0 || i === j) return;
    for (const [x, name] of [
      [i, a],
      [j, b],
    ] as const) {
      const prev = pairOf.get(x);
      if (prev !== undefined) {
        problems.push(
          `joint '${name}' is in mirror pairs #${prev} and #${k}; a joint has at most one mirror partner`,
        );
        return;
      }
    }
    pairOf.set(i, k);
    pairOf.set(j, k);
    mirrorIndex[i] = j;
    mirrorIndex[j] = i;
  });

  if (problems.length) fail(spec.id, problems);

  const J = joints.length;
  const base = new Uint8Array(J * J);
  const neighbourSets = joints.map(() => [] as number[]);
  for (const [i, j] of boneIndices) {
    base[i * J + j] = 1;
    base[j * J + i] = 1;
    neighbourSets[i]!.push(j);
    neighbourSets[j]!.push(i);
  }

  const freezePairs = <T>(pairs: readonly (readonly [T, T])[]) =>
    Object.freeze(pairs.map((p) => Object.freeze([p[0], p[1]] as const)));
  const frozenJoints = Object.freeze(joints);
  const frozenBones = freezePairs(bones);
  const frozenMirror = freezePairs(mirror);
  const normalised: RigSpecV1 = Object.freeze({
    specVersion: RIG_SPEC_VERSION,
    id: spec.id,
    category: spec.category,
    joints: frozenJoints,
    bones: frozenBones,
    mirror: frozenMirror,
    citation: spec.citation,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    ...(spec.units !== undefined ? { units: spec.units } : {}),
  });
  const index = new ReadonlyIndexMap(joints);

  const rig: Rig = {
    spec: normalised,
    id: spec.id,
    category: spec.category,
    joints: frozenJoints,
    numJoints: J,
    bones: frozenBones,
    mirror: frozenMirror,
    citation: spec.citation,
    description: spec.description,
    units: spec.units,
    jointIndex: index,
    boneIndices: freezePairs(boneIndices),
    mirrorIndex: Object.freeze(mirrorIndex),
    neighbours: Object.freeze(neighbourSets.map((n) => Object.freeze(n.sort((x, y) => x - y)))),
    indexOf(joint: string): number {
      const i = index.get(joint);
      if (i === undefined) {
        throw new UnknownJointError(`rig '${spec.id}' has no joint '${joint}'${didYouMean(joint, joints)}`);
      }
      return i;
    },
    adjacency(options: AdjacencyOptions = {}): Uint8Array {
      const N = options.size ?? J;
      if (!Number.isInteger(N) || N < J) {
        throw new PointsShapeError(
          `adjacency size ${N} must be an integer ≥ the ${J} joints of rig '${spec.id}' (it pads, never crops)`,
        );
      }
      const out = new Uint8Array(N * N);
      for (let i = 0; i < J; i++) {
        out.set(base.subarray(i * J, (i + 1) * J), i * N);
        if (options.selfLoops) out[i * N + i] = 1;
      }
      return out;
    },
    toJSON: () => normalised,
  };
  Object.defineProperty(rig, RIG_BRAND, { value: true });
  return Object.freeze(rig);
}

/** Deep equality of two normalised specs (key order and array identity do not matter). */
export function specsEqual(a: RigSpecV1, b: RigSpecV1): boolean {
  return firstSpecDifference(a, b) === undefined;
}

/** The name of the first field where two specs differ (with a hint), or undefined when they are equal. */
export function firstSpecDifference(a: RigSpecV1, b: RigSpecV1): string | undefined {
  const scalar = ['specVersion', 'id', 'category', 'citation', 'description', 'units'] as const;
  for (const key of scalar) if (a[key] !== b[key]) return `${key}: ${show(a[key])} vs ${show(b[key])}`;
  const lists = ['joints', 'bones', 'mirror'] as const;
  for (const key of lists) {
    const x = a[key];
    const y = b[key];
    if (x.length !== y.length) return `${key}: ${x.length} vs ${y.length} entries`;
    for (let i = 0; i < x.length; i++) {
      if (JSON.stringify(x[i]) !== JSON.stringify(y[i]))
        return `${key}[${i}]: ${show(x[i])} vs ${show(y[i])}`;
    }
  }
  return undefined;
}
