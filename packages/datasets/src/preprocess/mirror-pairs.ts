import { InputError } from '@lfm/core';

/**
 * Writes one sample's mirror-partner matrix (the lifter's `pairs` input, `LifterConfig.mirrorPairs`)
 * into `out` [N, N] (a view of the batch's [B, N, N] array): with `slotJoint[i]` the joint in slot i
 * (< 0: padding) and `mirrorOf[j]` joint j's left/right partner (or j itself: centre line, unpaired;
 * `@lfm/rig` `Rig.mirrorIndex`), out[i·N + i'] = 1 iff slot i' holds the partner of slot i's joint
 * (≠ that joint), else 0. A joint whose partner is in no slot (not kept, or padding) gets a zero row;
 * `mirrorOf` null (no pairs known) gives all zeros. Slots may be in any order (the matrix follows
 * them) and may be a subset of the rig's joints. Allocates nothing.
 */
export function writeMirrorPairs(
  out: Float32Array,
  slotJoint: ArrayLike<number>,
  mirrorOf: ArrayLike<number> | null,
): void {
  const N = slotJoint.length;
  if (out.length !== N * N) {
    throw new InputError(`mirror pairs: output holds ${out.length} values, expected N·N = ${N}·${N}`);
  }
  out.fill(0);
  if (mirrorOf === null) return;
  const J = mirrorOf.length;
  for (let i = 0; i < N; i++) {
    const j = slotJoint[i]!;
    if (j < 0) continue;
    if (j >= J) throw new InputError(`mirror pairs: slot ${i} names joint ${j}, but the rig has ${J}`);
    const partner = mirrorOf[j]!;
    if (partner === j) continue;
    for (let s = 0; s < N; s++) {
      if (slotJoint[s] === partner) {
        out[i * N + s] = 1;
        break;
      }
    }
  }
}
