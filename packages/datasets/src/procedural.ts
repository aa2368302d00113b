/**
 * Procedurally generated categories: in-memory datasets of made-up species, for training a lifter
 * that has to generalise to categories it never saw.
 *
 * Why: a category-agnostic lifter (3D-LFM style) should learn a shape prior that is about geometry
 * (bones keep their length, limbs come in mirror pairs, objects are made of boxes and cylinders, the
 * depth of a point follows from its neighbours), not about one rig's joint identities. Real corpora
 * hold a few dozen rigs, so a network can get away with recognising the rig from its joint count or
 * its 2D layout and recalling that rig's mean pose. Mixing in many kinds of skeletons and objects,
 * each with its own joint count, bone lengths, branching and symmetry, takes that shortcut away: no
 * rig identity repeats often enough to be memorised, and what carries over is the geometry.
 *
 * Two kinds of species, each one dataset (all frames of a species share its joints and bones):
 *
 * - **Articulated creatures** (`procedural-creature-NN`): a random kinematic tree of J joints
 *   (J in [minJoints, maxJoints]): a spine chain from the root `spine0`, limbs branching off it
 *   (and sub-limbs — digits — off limbs). With probability 0.7 the creature is bilaterally
 *   symmetric: limbs come in left/right pairs that are mirror images across the sagittal plane x = 0
 *   in the rest pose (body frame: +x left, +y up, +z forward), share their bone lengths and joint
 *   limits, and are recorded in `symmetry` as [left, right] pairs named `l_leg2` / `r_leg2`; midline
 *   limbs (`tail1`, `neck2`, …) stay in the plane. Bone lengths are log-uniform. Each frame poses the
 *   rest skeleton by forward kinematics: every joint turns by a random rotation (a hinge about a fixed
 *   axis, or a ball joint about a random axis) of at most its limit (a per-species 30–70°, scaled per
 *   joint), so frames differ by articulation only — every bone keeps its length in every frame, as in
 *   an animal's mocap. `edges` are the bones, [parent, child]: a tree.
 * - **Rigid objects** (`procedural-rigid-NN`): keypoints on primitives — boxes (8 corners, sometimes
 *   also the 12 edge midpoints) and cylinders/frusta (two rings of k points) — alone or composed into
 *   chair-, table-, vehicle-, stack- and winged-like arrangements, or a random asymmetric assembly.
 *   Most are left/right symmetric (mirror pairs recorded in `symmetry`, found geometrically). Frames
 *   are small shape variations of the species (every dimension jittered by a per-species 1–4 %,
 *   mirrored parts alike). `edges` are the primitives' edges plus one edge joining each part to the
 *   part it rests on — or none for about a quarter of the species, so kNN graphs appear too.
 *   `minJoints` does not apply to them (their primitives decide J, 6–~100); `maxJoints` caps them.
 *
 * Every species is split into contiguous train / val / test sequences (~80 / 10 / 10 %). Units are
 * 'procedural' (arbitrary; the batcher and the metrics normalise scale away). Generation is seeded
 * and deterministic: the same options give the same bytes (species k depends on (seed, kind, k, J
 * range) only; its frames also on framesPerSpecies). Frames are independent draws, not a time series
 * (fps null).
 */

import { InputError } from '@lfm/core';
import { creatureSpecies } from './procedural-creatures.js';
import { rigidSpecies } from './procedural-rigid.js';
import { makeDataset, type ProceduralDataset, type Resolved } from './procedural-shared.js';

export type { ProceduralDataset } from './procedural-shared.js';

export interface ProceduralOptions {
  /** Default 0. */
  readonly seed?: number;
  /** Articulated-creature species (default 40). */
  readonly creatures?: number;
  /** Rigid-object species (default 20). */
  readonly rigid?: number;
  /** Frames of every species (default 200, at least 3: one each for val and test). */
  readonly framesPerSpecies?: number;
  /** Fewest joints of a creature (default 5, at least 3). */
  readonly minJoints?: number;
  /** Most joints of a creature, and of a rigid object (default 80). */
  readonly maxJoints?: number;
  /** Categories of the two kinds (default 'procedural-creature' / 'procedural-rigid'); also the name prefixes. */
  readonly category?: { readonly creature: string; readonly rigid: string };
  /**
   * Fraction in [0, 1] of a creature's hinge joints that bend one way only, like knees and elbows
   * (angle in [0, 2·limit] instead of [−limit, limit]; default 0). Mirror partners share the choice;
   * of a symmetric creature's midline hinges only those about the left-right axis may be one-sided
   * (a one-sided turn about any other midline axis would bend the body to one side). The choices come
   * from their own random stream: the species' skeletons and the frames' random draws are the same
   * at any value, only the hinge ranges differ.
   */
  readonly oneSidedHinges?: number;
}

export const PROCEDURAL_DEFAULTS = Object.freeze({
  seed: 0,
  creatures: 40,
  rigid: 20,
  framesPerSpecies: 200,
  minJoints: 5,
  maxJoints: 80,
  category: Object.freeze({ creature: 'procedural-creature', rigid: 'procedural-rigid' }),
  oneSidedHinges: 0,
});

/** The smallest rigid object (a triangular prism) has this many points. */
const MIN_RIGID_POINTS = 6;
const MAX_SPECIES = 100_000;
const MAX_FRAMES = 1_000_000;
const MAX_JOINTS = 1000;
const KNOWN_KEYS = new Set([
  'seed',
  'creatures',
  'rigid',
  'framesPerSpecies',
  'minJoints',
  'maxJoints',
  'category',
  'oneSidedHinges',
]);

/**
 * `creatures` articulated-creature species then `rigid` rigid-object species (see the file comment),
 * each an in-memory dataset for `createBatcher` sources and evaluation. Throws InputError on bad options.
 */
export function createProceduralDatasets(options: ProceduralOptions = {}): ProceduralDataset[] {
  const o = resolveOptions(options);
  const out: ProceduralDataset[] = [];
  const kinds = [
    ['creature', o.creatures, creatureSpecies],
    ['rigid', o.rigid, rigidSpecies],
  ] as const;
  for (const [kind, count, generate] of kinds) {
    const width = Math.max(2, String(Math.max(0, count - 1)).length);
    for (let k = 0; k < count; k++) {
      const name = `${o.category[kind]}-${String(k).padStart(width, '0')}`;
      out.push(makeDataset(name, kind, k, o, generate(k, o)));
    }
  }
  return out;
}

function resolveOptions(options: ProceduralOptions): Resolved {
  if (typeof options !== 'object' || options === null) throw new InputError('options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new InputError(`unknown option ${JSON.stringify(key)} (known: ${[...KNOWN_KEYS].join(', ')})`);
    }
  }
  const d = PROCEDURAL_DEFAULTS;
  const int = (key: string, v: unknown, lo: number, hi: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new InputError(`${key} must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const seed = options.seed ?? d.seed;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new InputError(`seed must be a safe integer, got ${JSON.stringify(seed)}`);
  }
  const creatures = int('creatures', options.creatures ?? d.creatures, 0, MAX_SPECIES);
  const rigid = int('rigid', options.rigid ?? d.rigid, 0, MAX_SPECIES);
  const framesPerSpecies = int(
    'framesPerSpecies',
    options.framesPerSpecies ?? d.framesPerSpecies,
    3,
    MAX_FRAMES,
  );
  const minJoints = int('minJoints', options.minJoints ?? d.minJoints, 3, MAX_JOINTS);
  const maxJoints = int('maxJoints', options.maxJoints ?? d.maxJoints, 3, MAX_JOINTS);
  if (minJoints > maxJoints) {
    throw new InputError(`minJoints (${minJoints}) must not exceed maxJoints (${maxJoints})`);
  }
  if (rigid > 0 && maxJoints < MIN_RIGID_POINTS) {
    throw new InputError(
      `maxJoints must be ≥ ${MIN_RIGID_POINTS} when rigid > 0 (the smallest rigid object has ${MIN_RIGID_POINTS} points), got ${maxJoints}`,
    );
  }
  const category = options.category ?? d.category;
  if (
    typeof category !== 'object' ||
    category === null ||
    typeof category.creature !== 'string' ||
    typeof category.rigid !== 'string' ||
    category.creature === '' ||
    category.rigid === ''
  ) {
    throw new InputError('category must be { creature: string; rigid: string } with non-empty names');
  }
  if (category.creature === category.rigid) {
    throw new InputError(
      `category.creature and category.rigid must differ (both ${JSON.stringify(category.rigid)})`,
    );
  }
  const oneSidedHinges = options.oneSidedHinges ?? d.oneSidedHinges;
  if (typeof oneSidedHinges !== 'number' || !(oneSidedHinges >= 0 && oneSidedHinges <= 1)) {
    throw new InputError(`oneSidedHinges must be a number in [0, 1], got ${JSON.stringify(oneSidedHinges)}`);
  }
  return { seed, creatures, rigid, framesPerSpecies, minJoints, maxJoints, category, oneSidedHinges };
}
