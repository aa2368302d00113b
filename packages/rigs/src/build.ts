import { defineRig, type JointPair, type Rig, type RigSpecInput } from '@lfm/rig';

/*
 * Small builders the built-in rigs share, so a skeleton is written once and the rigs that reuse it
 * (another dataset's names for the same landmarks, a detector's subset, a whole-body rig's hands and
 * face) are derived from it instead of copied. Every rig's full definition is pinned by
 * snapshot.test.ts.
 */

/** The two sides, in the order of the joint names. */
export type Side = 'left' | 'right';

/** `side_part` for every part: sided('left', ['hip', 'knee']) → ['left_hip', 'left_knee']. */
export function sided(side: Side, parts: readonly string[]): string[] {
  return parts.map((p) => `${side}_${p}`);
}

/** Both sides' parts, one side after the other: bySide('right', ['hip', 'knee']) → right_hip, right_knee, left_hip, left_knee. */
export function bySide(first: Side, parts: readonly string[]): string[] {
  return [...sided(first, parts), ...sided(first === 'left' ? 'right' : 'left', parts)];
}

/** The bones of a limb on each side, `first` side first: the chain root → side_part₀ → side_part₁ → …. */
export function limbs(root: string, first: Side, parts: readonly string[]): JointPair[] {
  const other: Side = first === 'left' ? 'right' : 'left';
  return [...chain([root, ...sided(first, parts)]), ...chain([root, ...sided(other, parts)])];
}

/** Left then right of every part in turn: ['left_eye', 'right_eye', 'left_ear', 'right_ear', …]. */
export function leftRight(parts: readonly string[]): string[] {
  return parts.flatMap((p) => [`left_${p}`, `right_${p}`]);
}

/** The bones along a chain of joints: [a, b], [b, c], …. */
export function chain(joints: readonly string[]): JointPair[] {
  return joints.slice(1).map((j, i) => [joints[i]!, j] as const);
}

/** The pair of bones [left_a, left_b], [right_a, right_b]. */
export function bothSides(a: string, b: string): JointPair[] {
  return [[`left_${a}`, `left_${b}`] as const, [`right_${a}`, `right_${b}`] as const];
}

const LEFT_WORD = /(^|_)left(_|$)/;

/**
 * The [left, right] mirror pairs of joints named by side: every joint with the word 'left' in its
 * name, in joint order, paired with the joint named 'right' in its place. Throws when a partner is
 * missing (a naming slip in a rig).
 */
export function sideMirror(joints: readonly string[]): JointPair[] {
  return joints.flatMap((j) => {
    if (!LEFT_WORD.test(j)) return [];
    const partner = j.replace(LEFT_WORD, '$1right$2');
    if (!joints.includes(partner)) throw new Error(`sideMirror: '${j}' has no '${partner}'`);
    return [[j, partner] as const];
  });
}

/** `pairs` with each joint renamed: the joint named from[i] becomes to[i]. */
export function renamePairs(
  pairs: readonly JointPair[],
  from: readonly string[],
  to: readonly string[],
): JointPair[] {
  const rename = (j: string): string => {
    const i = from.indexOf(j);
    if (i < 0 || to[i] === undefined) throw new Error(`renamePairs: no new name for '${j}'`);
    return to[i]!;
  };
  return pairs.map(([a, b]) => [rename(a), rename(b)] as const);
}

/**
 * `base`'s skeleton under other joint names (names[i] is base joint i): the same landmarks, in the
 * same order, with the same bones and mirror pairs.
 */
export function renamedSkeleton(
  base: Rig,
  names: readonly string[],
): { joints: string[]; bones: JointPair[]; mirror: JointPair[] } {
  if (names.length !== base.numJoints) {
    throw new Error(
      `renamedSkeleton: ${names.length} names for the ${base.numJoints} joints of '${base.id}'`,
    );
  }
  return {
    joints: [...names],
    bones: renamePairs(base.spec.bones, base.joints, names),
    mirror: renamePairs(base.spec.mirror, base.joints, names),
  };
}

/**
 * `base` without the joints `drop`: bones to a dropped joint listed in `merge` go to its stand-in
 * (mid_hip → neck: the hips hang from the neck), other bones and mirror pairs of dropped joints go.
 */
export function withoutJoints(
  base: Rig,
  drop: readonly string[],
  merge: Readonly<Record<string, string>> = {},
): { joints: string[]; bones: JointPair[]; mirror: JointPair[] } {
  const kept = (j: string) => !drop.includes(j);
  const bones = base.spec.bones.flatMap(([a, b]): JointPair[] => {
    const [x, y] = [merge[a] ?? a, merge[b] ?? b];
    return x !== y && kept(x) && kept(y) ? [[x, y]] : [];
  });
  return {
    joints: base.joints.filter(kept),
    bones,
    mirror: base.spec.mirror.filter(([a, b]) => kept(a) && kept(b)),
  };
}

/**
 * A `human-body` rig (spec version 1) whose left/right joints are named by side: its mirror pairs
 * are `sideMirror(joints)`.
 */
export function humanBodyRig(spec: Omit<RigSpecInput, 'specVersion' | 'category' | 'mirror'>): Rig {
  const { id, joints, ...rest } = spec;
  return defineRig({
    specVersion: 1,
    id,
    category: 'human-body',
    joints,
    mirror: sideMirror(joints),
    ...rest,
  });
}

/** Arm, leg and foot joints of the human rigs, from the body outwards. */
export const ARM = ['shoulder', 'elbow', 'wrist'] as const;
export const LEG = ['hip', 'knee', 'ankle'] as const;
export const FOOT = ['big_toe', 'small_toe', 'heel'] as const;

/** The four joints of a finger (MediaPipe names), base to tip. */
export const FINGER = ['mcp', 'pip', 'dip', 'tip'] as const;
export const THUMB = ['thumb_cmc', 'thumb_mcp', 'thumb_ip', 'thumb_tip'] as const;

/**
 * The 21 joints of a hand in MediaPipe order: the wrist, the thumb, then the four `fingers`
 * (their name prefixes), each base to tip.
 */
export function handJoints(fingers: readonly string[]): string[] {
  return ['wrist', ...THUMB, ...fingers.flatMap((f) => FINGER.map((p) => `${f}_${p}`))];
}
