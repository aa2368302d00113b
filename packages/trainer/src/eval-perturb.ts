import { InputError, Rng } from '@lfm/core';

/** Extra perturbations of the 2D for robustness curves (`EvaluateOptions.perturb`). */

/**
 * Extra perturbations of a sample's 2D on top of an evaluation protocol (robustness curves).
 * The metrics are taken over the joints the model still sees.
 */
export interface KeypointPerturbation {
  /**
   * Fraction in [0, 1) of a sample's visible joints to hide: m = round(occlude · n) of its n visible
   * joints, at most n − MIN_EVAL_JOINTS (a sample stays scorable), chosen by a seeded random order of
   * the joints — so the joints hidden at a smaller fraction are hidden at every larger one. Default 0.
   */
  readonly occlude?: number;
  /** σ of Gaussian noise added to each visible 2D coordinate, in pixels of the protocol. Default 0. */
  readonly noisePx?: number;
}

/** A sample needs this many visible joints to be scored (PnP needs 4; PA-MPJPE needs 3). */
export const MIN_EVAL_JOINTS = 4;

const OCCLUDE_STREAM = 0x6f63636c; // 'occl'
const NOISE_STREAM = 0x6e6f6973; // 'nois'

export function checkPerturbation(p: KeypointPerturbation | undefined): void {
  if (p === undefined) return;
  const occlude = p.occlude ?? 0;
  const noise = p.noisePx ?? 0;
  if (!(Number.isFinite(occlude) && occlude >= 0 && occlude < 1)) {
    throw new InputError(`perturb.occlude must be a fraction in [0, 1), got ${occlude}`);
  }
  if (!(Number.isFinite(noise) && noise >= 0))
    throw new InputError(`perturb.noisePx must be ≥ 0, got ${noise}`);
}

/**
 * Perturbs one sample's 2D in place (see `KeypointPerturbation`): hides joints of `mask` (1 → 0, their
 * pixels zeroed) and adds pixel noise to the visible ones. `key` seeds it — evaluation passes
 * (seed, dataset key, frame, view) — with one random stream for the occlusion order and one for the
 * noise, so the noise of a joint does not depend on the occlusion fraction and vice versa.
 * `points2d` [J, 2]; `mask` [J] of 0/1. Returns the number of joints hidden.
 */
export function perturbKeypoints(
  points2d: Float64Array | Float32Array,
  mask: Float32Array | Uint8Array,
  perturbation: KeypointPerturbation,
  key: readonly number[],
): number {
  checkPerturbation(perturbation);
  const J = mask.length;
  if (points2d.length !== 2 * J)
    throw new InputError(`points2d has ${points2d.length} values for ${J} joints`);
  const occlude = perturbation.occlude ?? 0;
  const noise = perturbation.noisePx ?? 0;
  let hidden = 0;
  if (occlude > 0) {
    let n = 0;
    for (let j = 0; j < J; j++) n += mask[j] === 1 ? 1 : 0;
    const m = Math.max(0, Math.min(Math.round(occlude * n), n - MIN_EVAL_JOINTS));
    const order = new Rng([OCCLUDE_STREAM, ...key]).permutation(J);
    for (let i = 0; i < J && hidden < m; i++) {
      const j = order[i]!;
      if (mask[j] !== 1) continue;
      mask[j] = 0;
      points2d[2 * j] = 0;
      points2d[2 * j + 1] = 0;
      hidden++;
    }
  }
  if (noise > 0) {
    const e = new Rng([NOISE_STREAM, ...key]).fillNormal(new Float64Array(2 * J), 0, noise);
    for (let j = 0; j < J; j++) {
      if (mask[j] !== 1) continue;
      points2d[2 * j]! += e[2 * j]!;
      points2d[2 * j + 1]! += e[2 * j + 1]!;
    }
  }
  return hidden;
}
