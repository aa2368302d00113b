import type { Rig } from '@lfm/rig';

/**
 * Joints named alike across rigs. Rigs of one category name their joints in a handful of conventions
 * (`left_knee`, `l_knee`, `lknee`, `LeftKnee`, `Knee_L`, Mixamo's `LeftLeg`); `anatomicalKeys` reduces a
 * name to side + part so that the same joint of two rigs gets the same key, and `namedJointCodeSource`
 * pairs the joints of a rig a model never saw with those of a rig it was trained with, so that the
 * new rig can borrow their joint codes (the joints without a partner get none).
 *
 * Written here because it is a table of anatomical synonyms of our rigs' names, not a general problem
 * a package solves.
 */

/** Part synonyms → the canonical part (after the side is split off, tokens joined by `_`). */
const PART_SYNONYMS: Readonly<Record<string, string>> = Object.freeze({
  root: 'pelvis',
  hips: 'pelvis',
  mid_hip: 'pelvis',
  midhip: 'pelvis',
  hip_center: 'pelvis',
  thigh: 'hip',
  toes: 'toe',
  toe_base: 'toe',
  big_toe: 'toe',
  foot_index: 'toe',
  lower_neck: 'neck',
  chest: 'thorax',
  spine2: 'thorax',
  spine1: 'spine',
  head_top: 'head',
  headtop: 'head',
  top_head: 'head',
  neck_nose: 'nose',
});

/**
 * Rigs exported from animation skeletons (Bandai-Namco, Mixamo) name each joint after the bone that
 * starts there: `UpperArm` / `Arm` is the shoulder joint, `LowerArm` / `ForeArm` the elbow, `Hand` the
 * wrist, `Shoulder` the clavicle, `UpperLeg` / `UpLeg` the hip, `Leg` / `LowerLeg` the knee, `Foot` the
 * ankle. A rig with any of the limb-bone names is read this way.
 */
const BONE_NAMED: Readonly<Record<string, string>> = Object.freeze({
  upper_arm: 'shoulder',
  arm: 'shoulder',
  lower_arm: 'elbow',
  fore_arm: 'elbow',
  forearm: 'elbow',
  hand: 'wrist',
  shoulder: 'clavicle',
  upper_leg: 'hip',
  up_leg: 'hip',
  leg: 'knee',
  lower_leg: 'knee',
  foot: 'ankle',
});
const LIMB_BONES = [
  'upper_arm',
  'arm',
  'lower_arm',
  'fore_arm',
  'forearm',
  'upper_leg',
  'up_leg',
  'leg',
  'lower_leg',
];

/** Parts that a side letter may be glued to (`lknee`, `rshoulder`: the h36m-body convention). */
const GLUED_PARTS = [
  'hip',
  'knee',
  'ankle',
  'foot',
  'toe',
  'shoulder',
  'elbow',
  'wrist',
  'hand',
  'eye',
  'ear',
];

/** A name's side (`l`, `r` or '') and its raw part (tokens without the side, joined by `_`). */
function sideAndPart(name: string): { side: string; part: string } | undefined {
  const tokens = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
  if (!tokens.some((t) => /[a-z]/.test(t))) return undefined;
  let side = '';
  const rest: string[] = [];
  for (const t of tokens) {
    if (t === 'l' || t === 'left') side = 'l';
    else if (t === 'r' || t === 'right') side = 'r';
    else if (/^[lr]/.test(t) && GLUED_PARTS.includes(t.slice(1)) && side === '') {
      side = t[0]!;
      rest.push(t.slice(1));
    } else rest.push(t);
  }
  return rest.length === 0 ? undefined : { side, part: rest.join('_') };
}

/**
 * The side and canonical part of each of a rig's joint names, as `l:knee`, `r:hip`, `:pelvis` (a
 * centre joint), or undefined for a name with no part. A side is `l`/`left` or `r`/`right` as its
 * own token (any separator or camelCase boundary) or glued to a known part (`lhip`); a sided `hip` is
 * the hip joint, an unsided one the pelvis. The names are read together: a rig that names joints
 * after bones (`BONE_NAMED`) is read that way.
 */
export function anatomicalKeys(joints: readonly string[]): (string | undefined)[] {
  const parsed = joints.map(sideAndPart);
  const boneNamed = parsed.some((p) => p !== undefined && LIMB_BONES.includes(p.part));
  return parsed.map((p) => {
    // A numbered name (p0, j12, kp_3) says where a joint is in a list, not what it is.
    if (p === undefined || /^[a-z]{0,2}_?\d+$/.test(p.part)) return undefined;
    let part = (boneNamed ? BONE_NAMED[p.part] : undefined) ?? PART_SYNONYMS[p.part] ?? p.part;
    if (part === 'hip' && p.side === '') part = 'pelvis';
    return `${p.side}:${part}`;
  });
}

/** A coded rig whose joints a rig's joints are paired with, by `anatomicalKeys`. */
export interface NamedJointSource {
  /** The coded rig. */
  readonly source: Rig;
  /** For each joint of the rig: the index of its partner among `source.joints`, or -1. */
  readonly map: Int32Array;
  /** How many joints have a partner. */
  readonly matched: number;
}

/**
 * The rig among `candidates` (coded rigs, e.g. the dataset rigs a model was trained with) that shares
 * the most joints with `joints` by `anatomicalKeys`, each of its joints paired at most once (the first
 * joint of `joints` with that key), ties to the earlier candidate; undefined when none shares at least
 * `minMatched` joints (default 3) and a quarter of `joints`.
 */
export function namedJointSource(
  joints: readonly string[],
  candidates: readonly Rig[],
  { minMatched = 3 }: { minMatched?: number } = {},
): NamedJointSource | undefined {
  const keys = anatomicalKeys(joints);
  let best: NamedJointSource | undefined;
  for (const source of candidates) {
    const index = new Map<string, number>();
    anatomicalKeys(source.joints).forEach((key, i) => {
      if (key !== undefined && !index.has(key)) index.set(key, i);
    });
    const map = new Int32Array(joints.length).fill(-1);
    const used = new Set<number>();
    let matched = 0;
    keys.forEach((key, j) => {
      const i = key === undefined ? undefined : index.get(key);
      if (i === undefined || used.has(i)) return;
      used.add(i);
      map[j] = i;
      matched++;
    });
    if (matched > (best?.matched ?? 0)) best = { source, map, matched };
  }
  if (!best || best.matched < minMatched || 4 * best.matched < joints.length) return undefined;
  return best;
}
