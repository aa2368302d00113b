import { fnv1a32, InputError, Rng } from '@lfm/core';

/**
 * Joint codes: an optional per-point identity input of the lifter ("object info" in the paper's
 * Fig. 3). A code is a fixed pseudo-random vector of k numbers derived from the rig id and the joint
 * name — `codeOf(rig, joint)` — so the left and right knee of a rig get different codes while the
 * network stays permutation-equivariant in (points, codes): permuting the points together with their
 * codes permutes the output. A zero code means "identity unknown" (no rig, or a rig the model was
 * not trained with); the trainer zeroes whole samples' codes at random so one model serves both.
 *
 * Why: under the synthetic protocol's uniform SO(3) views a bilaterally symmetric rig's 2D point set
 * and its mirror image are the same unlabelled set, so without identity the depth sign is ambiguous
 * and the best equivariant answer flattens the shape (measured: the fully anonymous model stalls at
 * the loss of a flat answer on faces).
 */

/** The version tag of the code construction, stored in model metadata (defined in @lfm/format). */
export { JOINT_CODE_SCHEME } from '@lfm/format';

/**
 * The code of joint `joint` of rig `rigId`: k independent N(0, 1/k) numbers from
 * Rng(FNV-1a(`${rigId}/${joint}`)) (so ‖code‖ ≈ 1). Deterministic across platforms.
 */
export function jointCode(rigId: string, joint: string, k: number): Float32Array {
  if (!Number.isInteger(k) || k < 1) throw new InputError(`joint code size must be an integer ≥ 1, got ${k}`);
  const rng = new Rng(fnv1a32(`${rigId}/${joint}`));
  const out = new Float32Array(k);
  const std = 1 / Math.sqrt(k);
  for (let i = 0; i < k; i++) out[i] = std * rng.normal();
  return out;
}

/** The codes of every joint of a rig, [J, k] row-major, in the rig's joint order. */
export function jointCodeTable(rigId: string, joints: readonly string[], k: number): Float32Array {
  const table = new Float32Array(joints.length * k);
  joints.forEach((name, j) => {
    table.set(jointCode(rigId, name, k), j * k);
  });
  return table;
}

/** The rig id a category's anatomical codes are drawn under (`anatomicalCodeTable`): `anatomy/<category>`. */
export const anatomicalCodeRig = (category: string): string => `anatomy/${category}`;

/**
 * Joint codes named after what the joints are (a lifter with `anatomicalCodes`), [J, k]: joint j with
 * an anatomical key `keys[j]` (`@lfm/rigs` `anatomicalKeys(joints)`, e.g. `l:knee`) gets
 * `jointCode(anatomy/<category>, key)`, the same for every rig of the category; a joint without one,
 * or a later joint with a key already taken in this rig, gets its rig's code (`jointCode(rigId,
 * name)`), or zeros with `unkeyed: 'zeros'` (a rig the model never saw). With `known` (the keys the
 * model was trained on), a keyed joint whose key is not in it gets zeros too. `keys` is given, not
 * computed, so that this package needs no rig catalogue.
 */
export function anatomicalCodeTable(
  rigId: string,
  joints: readonly string[],
  keys: readonly (string | undefined)[],
  category: string,
  k: number,
  { unkeyed = 'rig', known }: { unkeyed?: 'rig' | 'zeros'; known?: ReadonlySet<string> } = {},
): Float32Array {
  if (keys.length !== joints.length) {
    throw new InputError(`anatomicalCodeTable: ${keys.length} keys for ${joints.length} joints of ${rigId}`);
  }
  const table = new Float32Array(joints.length * k);
  const taken = new Set<string>();
  keys.forEach((key, j) => {
    if (key !== undefined && !taken.has(key)) {
      taken.add(key);
      if (known === undefined || known.has(key))
        table.set(jointCode(anatomicalCodeRig(category), key, k), j * k);
    } else if (unkeyed === 'rig') table.set(jointCode(rigId, joints[j]!, k), j * k);
  });
  return table;
}

/**
 * Codes borrowed from another rig, [J, k]: row j is the code of joint `sourceJoints[map[j]]` of rig
 * `sourceId`, or zeros where `map[j]` < 0 (no partner: identity unknown). For a rig a model was not
 * trained with whose joints match a trained rig's by name (`@lfm/rigs` `namedJointSource`).
 */
export function borrowedCodeTable(
  sourceId: string,
  sourceJoints: readonly string[],
  map: ArrayLike<number>,
  k: number,
): Float32Array {
  const table = new Float32Array(map.length * k);
  for (let j = 0; j < map.length; j++) {
    const i = map[j]!;
    if (i < 0) continue;
    const name = sourceJoints[i];
    if (name === undefined)
      throw new InputError(`borrowedCodeTable: joint ${j} maps to ${i}, not a joint of ${sourceId}`);
    table.set(jointCode(sourceId, name, k), j * k);
  }
  return table;
}

/**
 * Writes one sample's codes into `out` [N, k] (a view of the batch's [B, N, k] array): slot i gets
 * row `slotJoint[i]` of `table` [J, k], or zeros where `slotJoint[i]` < 0 (padding) or when `table`
 * is null (identity unknown).
 */
export function writeJointCodes(
  out: Float32Array,
  slotJoint: ArrayLike<number>,
  table: Float32Array | null,
  k: number,
): void {
  const N = slotJoint.length;
  if (out.length !== N * k) {
    throw new InputError(`joint codes: output holds ${out.length} values, expected N·k = ${N}·${k}`);
  }
  if (table === null) {
    out.fill(0);
    return;
  }
  const J = table.length / k;
  for (let i = 0; i < N; i++) {
    const j = slotJoint[i]!;
    if (j < 0) {
      out.fill(0, i * k, (i + 1) * k);
      continue;
    }
    if (j >= J) throw new InputError(`joint codes: slot ${i} names joint ${j}, but the table has ${J}`);
    out.set(table.subarray(j * k, (j + 1) * k), i * k);
  }
}

/** A joint's side: left, right, or centre (on the symmetry plane, or of a rig without mirror pairs). */
export type JointSide = 'left' | 'right' | 'centre';

const LEFT_NAME = /(^|[^a-z])(l|left)([^a-z]|$)|^left|left$/i;
const RIGHT_NAME = /(^|[^a-z])(r|right)([^a-z]|$)|^right|right$/i;

/**
 * Per-joint side labels from a rig's left/right mirror pairs: in each pair the joint whose name says
 * left (`l_hip`, `LeftArm`, `Shoulder_L`, `left_wing`, …) is 'left' and its partner 'right'; when the
 * names say nothing (`p0`/`p16`), the first of the pair is taken as left. Joints in no pair are
 * 'centre'. A chirality cue any rig can give: unlike joint codes it names no rig, so it carries across
 * categories (an optional lifter input, see `sideCodeTable`).
 */
export function jointSides(
  joints: readonly string[],
  pairs: readonly (readonly [number, number])[],
): JointSide[] {
  const sides: JointSide[] = joints.map(() => 'centre');
  for (const [a, b] of pairs) {
    const nameA = joints[a];
    const nameB = joints[b];
    if (nameA === undefined || nameB === undefined) {
      throw new InputError(`mirror pair [${a}, ${b}] names a joint outside 0..${joints.length - 1}`);
    }
    const aRight = RIGHT_NAME.test(nameA) && !LEFT_NAME.test(nameA);
    const bLeft = LEFT_NAME.test(nameB) && !RIGHT_NAME.test(nameB);
    const [left, right] = aRight || bLeft ? [b, a] : [a, b];
    sides[left] = 'left';
    sides[right] = 'right';
  }
  return sides;
}

/** The rig id whose joint codes stand for the three sides (`jointCode(SIDE_CODE_RIG, side, k)`). */
export const SIDE_CODE_RIG = '@side';

/**
 * Side codes [J, k]: the joint-code input filled with one fixed code per side (`jointCode('@side',
 * side, k)`) instead of a rig's per-joint identity — left and right told apart, nothing else.
 */
export function sideCodeTable(sides: readonly JointSide[], k: number): Float32Array {
  const codes = {
    left: jointCode(SIDE_CODE_RIG, 'left', k),
    right: jointCode(SIDE_CODE_RIG, 'right', k),
    centre: jointCode(SIDE_CODE_RIG, 'centre', k),
  };
  const table = new Float32Array(sides.length * k);
  sides.forEach((side, j) => {
    table.set(codes[side], j * k);
  });
  return table;
}
