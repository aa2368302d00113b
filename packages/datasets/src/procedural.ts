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

import { InputError, Rng } from '@lfm/core';
import type { Dataset, DatasetSequence } from './dataset.js';
import type { Edge } from './preprocess/graph.js';

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
}

export const PROCEDURAL_DEFAULTS = Object.freeze({
  seed: 0,
  creatures: 40,
  rigid: 20,
  framesPerSpecies: 200,
  minJoints: 5,
  maxJoints: 80,
  category: Object.freeze({ creature: 'procedural-creature', rigid: 'procedural-rigid' }),
});

/** One generated species: a `Dataset` built in memory, plus what it was generated from. */
export interface ProceduralDataset extends Dataset {
  readonly kind: 'creature' | 'rigid';
  /** [J, 3] the species' rest shape: a creature with every joint rotation zero, a rigid object unjittered. */
  readonly rest: Float32Array;
}

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
]);
const KIND_CREATURE = 1;
const KIND_RIGID = 2;

/**
 * `creatures` articulated-creature species then `rigid` rigid-object species (see the file comment),
 * each an in-memory dataset for `createBatcher` sources and evaluation. Throws InputError on bad options.
 */
export function createProceduralDatasets(options: ProceduralOptions = {}): ProceduralDataset[] {
  const o = resolveOptions(options);
  const out: ProceduralDataset[] = [];
  const width = (n: number) => Math.max(2, String(Math.max(0, n - 1)).length);
  for (let k = 0; k < o.creatures; k++) {
    const name = `${o.category.creature}-${String(k).padStart(width(o.creatures), '0')}`;
    out.push(creatureDataset(name, k, o));
  }
  for (let k = 0; k < o.rigid; k++) {
    const name = `${o.category.rigid}-${String(k).padStart(width(o.rigid), '0')}`;
    out.push(rigidDataset(name, k, o));
  }
  return out;
}

type Resolved = {
  readonly seed: number;
  readonly creatures: number;
  readonly rigid: number;
  readonly framesPerSpecies: number;
  readonly minJoints: number;
  readonly maxJoints: number;
  readonly category: { readonly creature: string; readonly rigid: string };
};

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
  return { seed, creatures, rigid, framesPerSpecies, minJoints, maxJoints, category };
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

type Vec3 = [number, number, number];

function logUniform(rng: Rng, lo: number, hi: number): number {
  return lo * Math.exp(rng.uniform() * Math.log(hi / lo));
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

function randomUnit(rng: Rng): Vec3 {
  for (;;) {
    const v: Vec3 = [rng.normal(), rng.normal(), rng.normal()];
    const n = Math.hypot(v[0], v[1], v[2]);
    if (n > 1e-6) return [v[0] / n, v[1] / n, v[2] / n];
  }
}

/** Rodrigues: the rotation by `angle` about the unit axis (x, y, z), row-major into out[o..o+9). */
function rotationInto(out: Float64Array, o: number, x: number, y: number, z: number, angle: number): void {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  out[o] = c + t * x * x;
  out[o + 1] = t * x * y - s * z;
  out[o + 2] = t * x * z + s * y;
  out[o + 3] = t * x * y + s * z;
  out[o + 4] = c + t * y * y;
  out[o + 5] = t * y * z - s * x;
  out[o + 6] = t * x * z - s * y;
  out[o + 7] = t * y * z + s * x;
  out[o + 8] = c + t * z * z;
}

/** v rotated by a random rotation of angle ≤ maxAngle. */
function perturb(rng: Rng, v: Vec3, maxAngle: number): Vec3 {
  const a = randomUnit(rng);
  const R = new Float64Array(9);
  rotationInto(R, 0, a[0], a[1], a[2], maxAngle * rng.uniform());
  return normalize([
    R[0]! * v[0] + R[1]! * v[1] + R[2]! * v[2],
    R[3]! * v[0] + R[4]! * v[1] + R[5]! * v[2],
    R[6]! * v[0] + R[7]! * v[1] + R[8]! * v[2],
  ]);
}

/** Contiguous ~80 / 10 / 10 % train / val / test sequences (val and test at least one frame each). */
function splitSequences(name: string, F: number): DatasetSequence[] {
  const val = Math.max(1, Math.round(0.1 * F));
  const test = Math.max(1, Math.round(0.1 * F));
  const train = F - val - test;
  return [
    { id: `${name}-train`, start: 0, count: train, split: 'train' as const },
    { id: `${name}-val`, start: train, count: val, split: 'val' as const },
    { id: `${name}-test`, start: train + val, count: test, split: 'test' as const },
  ].filter((s) => s.count > 0);
}

function makeDataset(fields: {
  name: string;
  category: string;
  description: string;
  kind: 'creature' | 'rigid';
  joints: string[];
  edges: Edge[];
  symmetry: Edge[];
  points: Float32Array;
  rest: Float32Array;
  frames: number;
  meta: Record<string, unknown>;
}): ProceduralDataset {
  const J = fields.joints.length;
  if (new Set(fields.joints).size !== J) throw new Error(`${fields.name}: joint names are not unique`);
  if (fields.points.length !== fields.frames * J * 3) throw new Error(`${fields.name}: points size mismatch`);
  return {
    dir: undefined,
    name: fields.name,
    category: fields.category,
    description: fields.description,
    units: 'procedural',
    fps: null,
    joints: fields.joints,
    edges: fields.edges,
    symmetry: fields.symmetry,
    perSequenceEdges: false,
    frames: fields.frames,
    numJoints: J,
    points: fields.points,
    sequences: splitSequences(fields.name, fields.frames),
    meta: {
      name: fields.name,
      category: fields.category,
      description: fields.description,
      source: 'procedurally generated (@lfm/datasets createProceduralDatasets)',
      license: 'generated; no licence attached',
      kind: fields.kind,
      ...fields.meta,
    },
    kind: fields.kind,
    rest: fields.rest,
  };
}

// ---------------------------------------------------------------------------------------------
// Articulated creatures

const PAIR_LABELS = ['leg', 'arm', 'wing', 'fin', 'antenna', 'paddle'] as const;
const DIGIT_LABELS = ['digit', 'toe', 'claw'] as const;
const MIDLINE_LABELS = ['tail', 'neck', 'head', 'horn', 'crest', 'stalk'] as const;
const FREE_LABELS = ['limb', 'tentacle', 'branch', 'stalk', 'frond'] as const;

interface Creature {
  readonly joints: string[];
  /** −1 for the root; parents come before their children. */
  readonly parent: number[];
  /** Rest offset from the parent, body frame (root: 0). */
  readonly offset: number[];
  /** Joint rotation limit, radians. */
  readonly limit: number[];
  /** Hinge axis (rest body frame), or null for a ball joint. */
  readonly hinge: (Vec3 | null)[];
  /** 0 = midline / unpaired, 1 = left, 2 = right. */
  readonly side: number[];
  readonly symmetry: Edge[];
  readonly symmetric: boolean;
  readonly angleLimit: number;
  spine: number;
  limbs: number;
  pairs: number;
}

function buildCreature(rng: Rng, minJoints: number, maxJoints: number): Creature {
  const J = minJoints + rng.int(maxJoints - minJoints + 1);
  const symmetric = rng.uniform() < 0.7;
  const angleLimit = (rng.range(30, 70) * Math.PI) / 180;
  const maxSegments = 2 + rng.int(6);
  const hingeShare = rng.range(0.2, 0.8);
  const c: Creature = {
    joints: [],
    parent: [],
    offset: [],
    limit: [],
    hinge: [],
    side: [],
    symmetry: [],
    symmetric,
    spine: 0,
    limbs: 0,
    pairs: 0,
    angleLimit,
  };
  const jointParams = (scale: number): { limit: number; hinge: Vec3 | null } => ({
    limit: angleLimit * scale * rng.range(0.5, 1),
    hinge: rng.uniform() < hingeShare ? randomUnit(rng) : null,
  });
  // A midline joint of a symmetric creature moves symmetrically: its hinge is its own mirror image,
  // the x axis (a_y = a_z = 0) or an axis in the sagittal plane (a_x = 0).
  const midlineParams = (scale: number): { limit: number; hinge: Vec3 | null } => {
    const p = jointParams(scale);
    if (!symmetric || !p.hinge) return p;
    const h = p.hinge;
    return { limit: p.limit, hinge: Math.abs(h[0]) > 0.5 ? [1, 0, 0] : normalize([0, h[1], h[2]]) };
  };
  const add = (name: string, parent: number, offset: Vec3, side: number, params = jointParams(1)): number => {
    c.joints.push(name);
    c.parent.push(parent);
    c.offset.push(...offset);
    c.limit.push(params.limit);
    c.hinge.push(params.hinge);
    c.side.push(side);
    return c.joints.length - 1;
  };

  // Spine: a chain from the root, bending in the sagittal plane, from horizontal (quadruped-like)
  // to upright (biped-like).
  const S = Math.min(J, Math.max(2, Math.round(J * rng.range(0.15, 0.45))));
  const spineLength = logUniform(rng, 0.06, 0.3);
  let pitch = rng.range(-0.2, Math.PI / 2 + 0.2);
  add('spine0', -1, [0, 0, 0], 0, midlineParams(rng.range(0.3, 0.6)));
  for (let i = 1; i < S; i++) {
    pitch += rng.range(-0.35, 0.35);
    const len = spineLength * logUniform(rng, 0.6, 1.6);
    add(
      `spine${i}`,
      i - 1,
      [0, len * Math.sin(pitch), len * Math.cos(pitch)],
      0,
      midlineParams(rng.range(0.3, 0.6)),
    );
  }
  c.spine = S;

  const counters = new Map<string, number>();
  const labelName = (label: string): string => {
    const n = counters.get(label) ?? 0;
    counters.set(label, n + 1);
    return n === 0 ? label : n < 26 ? `${label}${String.fromCharCode(97 + n)}` : `${label}x${n}`;
  };

  let remaining = J - S;
  while (remaining > 0) {
    const pair = symmetric && remaining >= 2 && rng.uniform() < 0.85;
    const L = 1 + rng.int(Math.min(pair ? Math.floor(remaining / 2) : remaining, maxSegments));
    const limbScale = logUniform(rng, 0.04, 0.35);
    const lengths = Array.from({ length: L }, () => limbScale * logUniform(rng, 0.6, 1.5));
    c.limbs++;
    if (pair) {
      const lefts = c.side.flatMap((s, j) => (s === 1 ? [j] : []));
      const onLimb = lefts.length > 0 && rng.uniform() < 0.25;
      const midline = c.side.flatMap((s, j) => (s === 0 ? [j] : []));
      const parentL = onLimb ? pick(rng, lefts) : rng.uniform() < 0.75 ? rng.int(S) : pick(rng, midline);
      const parentR = onLimb ? mirrorOf(c, parentL) : parentL;
      const label = labelName(onLimb ? pick(rng, DIGIT_LABELS) : pick(rng, PAIR_LABELS));
      let d = normalize([rng.range(0.2, 1), rng.range(-1, 0.6), rng.range(-0.6, 0.6)]);
      const dirs: Vec3[] = [];
      for (let s = 0; s < L; s++) {
        if (s > 0) {
          d = perturb(rng, d, 0.9);
          if (d[0] < 0.05) d = normalize([Math.abs(d[0]) + 0.05, d[1], d[2]]);
        }
        dirs.push(d);
      }
      const params = lengths.map(() => jointParams(1));
      let pl = parentL;
      let pr = parentR;
      for (let s = 0; s < L; s++) {
        const len = lengths[s]!;
        const [x, y, z] = dirs[s]!;
        const p = params[s]!;
        const h = p.hinge;
        const left = add(`l_${label}${s + 1}`, pl, [len * x, len * y, len * z], 1, p);
        // The mirror image of a rotation about axis a is the rotation about (a_x, −a_y, −a_z).
        const right = add(`r_${label}${s + 1}`, pr, [-len * x, len * y, len * z], 2, {
          limit: p.limit,
          hinge: h ? [h[0], -h[1], -h[2]] : null,
        });
        c.symmetry.push([left, right]);
        pl = left;
        pr = right;
      }
      c.pairs++;
      remaining -= 2 * L;
    } else if (symmetric) {
      // A midline limb, in the sagittal plane, off the spine or another midline limb.
      const midline = c.side.flatMap((s, j) => (s === 0 ? [j] : []));
      let p = rng.uniform() < 0.7 ? rng.int(S) : pick(rng, midline);
      const label = labelName(pick(rng, MIDLINE_LABELS));
      let phi = rng.range(0, 2 * Math.PI);
      for (let s = 0; s < L; s++) {
        if (s > 0) phi += rng.range(-0.7, 0.7);
        const len = lengths[s]!;
        p = add(`${label}${s + 1}`, p, [0, len * Math.sin(phi), len * Math.cos(phi)], 0, midlineParams(1));
      }
      remaining -= L;
    } else {
      // An asymmetric creature: limbs off any joint, in any direction.
      let p = rng.int(c.joints.length);
      const label = labelName(pick(rng, FREE_LABELS));
      let d = randomUnit(rng);
      for (let s = 0; s < L; s++) {
        if (s > 0) d = perturb(rng, d, 0.9);
        const len = lengths[s]!;
        p = add(`${label}${s + 1}`, p, [len * d[0], len * d[1], len * d[2]], 0);
      }
      remaining -= L;
    }
  }
  if (c.joints.length !== J) throw new Error(`creature has ${c.joints.length} joints, wanted ${J}`);
  return c;
}

function mirrorOf(c: Creature, left: number): number {
  for (const [l, r] of c.symmetry) if (l === left) return r;
  throw new Error(`joint ${left} has no mirror partner`);
}

/** Writes the pose of one frame (a random rotation per joint, forward kinematics) into out[o..o+3J). */
function poseCreature(
  c: Creature,
  rng: Rng,
  out: Float32Array,
  o: number,
  G: Float64Array,
  P: Float64Array,
  Rl: Float64Array,
  rest: boolean,
): void {
  const J = c.joints.length;
  for (let j = 0; j < J; j++) {
    let angle = 0;
    let ax = 1;
    let ay = 0;
    let az = 0;
    if (!rest) {
      const h = c.hinge[j];
      if (h) {
        [ax, ay, az] = h;
        angle = c.limit[j]! * (2 * rng.uniform() - 1);
      } else {
        [ax, ay, az] = randomUnit(rng);
        angle = c.limit[j]! * rng.uniform();
      }
    }
    rotationInto(Rl, 0, ax, ay, az, angle);
    const p = c.parent[j]!;
    const g = 9 * j;
    if (p < 0) {
      G.set(Rl, g);
      P[3 * j] = 0;
      P[3 * j + 1] = 0;
      P[3 * j + 2] = 0;
    } else {
      const gp = 9 * p;
      const ox = c.offset[3 * j]!;
      const oy = c.offset[3 * j + 1]!;
      const oz = c.offset[3 * j + 2]!;
      for (let r = 0; r < 3; r++) {
        P[3 * j + r] =
          P[3 * p + r]! + G[gp + 3 * r]! * ox + G[gp + 3 * r + 1]! * oy + G[gp + 3 * r + 2]! * oz;
        for (let k = 0; k < 3; k++) {
          G[g + 3 * r + k] =
            G[gp + 3 * r]! * Rl[k]! + G[gp + 3 * r + 1]! * Rl[3 + k]! + G[gp + 3 * r + 2]! * Rl[6 + k]!;
        }
      }
    }
    out[o + 3 * j] = P[3 * j]!;
    out[o + 3 * j + 1] = P[3 * j + 1]!;
    out[o + 3 * j + 2] = P[3 * j + 2]!;
  }
}

function creatureDataset(name: string, k: number, o: Resolved): ProceduralDataset {
  const c = buildCreature(new Rng([o.seed, KIND_CREATURE, k, 0]), o.minJoints, o.maxJoints);
  const J = c.joints.length;
  const F = o.framesPerSpecies;
  const G = new Float64Array(9 * J);
  const P = new Float64Array(3 * J);
  const Rl = new Float64Array(9);
  const frameRng = new Rng([o.seed, KIND_CREATURE, k, 1]);
  const rest = new Float32Array(3 * J);
  poseCreature(c, frameRng, rest, 0, G, P, Rl, true);
  const points = new Float32Array(F * J * 3);
  for (let f = 0; f < F; f++) poseCreature(c, frameRng, points, 3 * J * f, G, P, Rl, false);
  const edges: Edge[] = [];
  for (let j = 0; j < J; j++) if (c.parent[j]! >= 0) edges.push([c.parent[j]!, j]);
  const deg = Math.round((c.angleLimit * 180) / Math.PI);
  const symmetric = c.symmetry.length > 0;
  const description =
    `Procedural articulated creature ${k}: ${J} joints (spine of ${c.spine}, ${c.limbs} limb${c.limbs === 1 ? '' : 's'}` +
    `${symmetric ? `, ${c.pairs} of them left/right pairs` : ''}), ` +
    `${symmetric ? 'bilaterally symmetric' : 'asymmetric'}, joint rotations up to ${deg}°.`;
  return makeDataset({
    name,
    category: o.category.creature,
    description,
    kind: 'creature',
    joints: c.joints,
    edges,
    symmetry: c.symmetry,
    points,
    rest,
    frames: F,
    meta: { seed: o.seed, species: k, symmetric, angleLimitDeg: deg, spineJoints: c.spine, limbs: c.limbs },
  });
}

// ---------------------------------------------------------------------------------------------
// Rigid objects

interface Prim {
  readonly part: string;
  readonly kind: 'box' | 'cyl';
  readonly center: Vec3;
  /** box: full extents [w, h, d]; cylinder: [radius, length, top-radius factor]. */
  readonly size: Vec3;
  /** Cylinder axis. */
  readonly axis: 0 | 1 | 2;
  /** Points per cylinder ring. */
  readonly k: number;
  /** Angle of the first ring point. */
  readonly phase: number;
  readonly midpoints: boolean;
  /** Orientation R = Ry(yaw)·Rx(pitch) (a pitch alone keeps a centred part mirror-symmetric). */
  readonly yaw: number;
  readonly pitch: number;
  /** ≥ 0: this part is the x-mirror image of that part (same shape, same jitter). */
  readonly mirrorOf: number;
  /** The part this one rests on (one edge joins them), −1 for none. */
  readonly attach: number;
}

type PrimInit = Partial<Omit<Prim, 'part' | 'kind' | 'center' | 'size'>>;

const BOX_EDGES: Edge[] = (() => {
  const e: Edge[] = [];
  for (let a = 0; a < 8; a++) for (const bit of [1, 2, 4]) if (!(a & bit)) e.push([a, a | bit]);
  return e;
})();

function primCount(p: Prim): number {
  return p.kind === 'box' ? (p.midpoints ? 20 : 8) : 2 * p.k;
}

function primNames(p: Prim): string[] {
  if (p.kind === 'box') {
    const names = Array.from({ length: 8 }, (_, i) => `${p.part}_c${i}`);
    if (p.midpoints) for (let i = 0; i < 12; i++) names.push(`${p.part}_m${i}`);
    return names;
  }
  const names: string[] = [];
  for (const ring of ['a', 'b']) for (let i = 0; i < p.k; i++) names.push(`${p.part}_${ring}${i}`);
  return names;
}

/** Edges of a primitive's own points (0-based within the primitive). */
function primEdges(p: Prim): Edge[] {
  if (p.kind === 'box') {
    if (!p.midpoints) return BOX_EDGES;
    return BOX_EDGES.flatMap(([a, b], i): Edge[] => [
      [a, 8 + i],
      [8 + i, b],
    ]);
  }
  const e: Edge[] = [];
  const k = p.k;
  for (let i = 0; i < k; i++) {
    e.push([i, (i + 1) % k], [k + i, k + ((i + 1) % k)], [i, k + i]);
  }
  return e;
}

/** Writes the primitive's points with dimension factors `dims` into out[o..). */
function primPoints(p: Prim, dims: ArrayLike<number>, out: Float64Array, o: number): void {
  const local: number[] = [];
  if (p.kind === 'box') {
    const hx = (p.size[0] * dims[0]!) / 2;
    const hy = (p.size[1] * dims[1]!) / 2;
    const hz = (p.size[2] * dims[2]!) / 2;
    const corner = (a: number): Vec3 => [a & 1 ? hx : -hx, a & 2 ? hy : -hy, a & 4 ? hz : -hz];
    for (let a = 0; a < 8; a++) local.push(...corner(a));
    if (p.midpoints) {
      for (const [a, b] of BOX_EDGES) {
        const u = corner(a);
        const v = corner(b);
        local.push((u[0] + v[0]) / 2, (u[1] + v[1]) / 2, (u[2] + v[2]) / 2);
      }
    }
  } else {
    const r = p.size[0] * dims[0]!;
    const h = (p.size[1] * dims[1]!) / 2;
    const top = p.size[2] * dims[2]!;
    for (let ring = 0; ring < 2; ring++) {
      const radius = ring === 0 ? r : r * top;
      const along = ring === 0 ? -h : h;
      for (let i = 0; i < p.k; i++) {
        const phi = p.phase + (2 * Math.PI * i) / p.k;
        const u = radius * Math.cos(phi);
        const v = radius * Math.sin(phi);
        if (p.axis === 0) local.push(along, u, v);
        else if (p.axis === 1) local.push(u, along, v);
        else local.push(u, v, along);
      }
    }
  }
  const cp = Math.cos(p.pitch);
  const sp = Math.sin(p.pitch);
  const cy = Math.cos(p.yaw);
  const sy = Math.sin(p.yaw);
  for (let i = 0; i < local.length / 3; i++) {
    const x = local[3 * i]!;
    // Rx(pitch), then Ry(yaw).
    const y = cp * local[3 * i + 1]! - sp * local[3 * i + 2]!;
    const z = sp * local[3 * i + 1]! + cp * local[3 * i + 2]!;
    out[o + 3 * i] = cy * x + sy * z + p.center[0];
    out[o + 3 * i + 1] = y + p.center[1];
    out[o + 3 * i + 2] = -sy * x + cy * z + p.center[2];
  }
}

/** A ring phase that makes a ring about y or z mirror-symmetric across x = 0. */
function symmetricPhase(rng: Rng, k: number): number {
  return Math.PI / 2 + (Math.PI * rng.int(2)) / k;
}

class Assembly {
  readonly prims: Prim[] = [];
  constructor(private readonly rng: Rng) {}

  box(part: string, center: Vec3, size: Vec3, init: PrimInit = {}): number {
    return this.push({
      part,
      kind: 'box',
      center,
      size,
      axis: 1,
      k: 0,
      phase: 0,
      midpoints: false,
      yaw: 0,
      pitch: 0,
      mirrorOf: -1,
      attach: -1,
      ...init,
    });
  }

  /** A cylinder (or frustum, `taper` ≠ 1) with its axis along `axis`; `centred` picks a mirror-symmetric ring phase. */
  cyl(
    part: string,
    center: Vec3,
    radius: number,
    length: number,
    axis: 0 | 1 | 2,
    k: number,
    init: PrimInit & { taper?: number; centred?: boolean } = {},
  ): number {
    const { taper = 1, centred = false, ...rest } = init;
    return this.push({
      part,
      kind: 'cyl',
      center,
      size: [radius, length, taper],
      axis,
      k,
      phase: centred && axis !== 0 ? symmetricPhase(this.rng, k) : this.rng.range(0, (2 * Math.PI) / k),
      midpoints: false,
      yaw: 0,
      pitch: 0,
      mirrorOf: -1,
      attach: -1,
      ...rest,
    });
  }

  /** The x-mirror image of part i. */
  mirror(i: number): number {
    const p = this.prims[i]!;
    return this.push({ ...p, mirrorOf: i, attach: p.attach });
  }

  count(): number {
    return this.prims.reduce((n, p) => n + primCount(p), 0);
  }

  private push(p: Prim): number {
    this.prims.push(p);
    return this.prims.length - 1;
  }
}

const TEMPLATES = ['box', 'cylinder', 'chair', 'table', 'vehicle', 'stack', 'winged', 'random'] as const;
type Template = (typeof TEMPLATES)[number];
const TEMPLATE_WEIGHTS: Record<Template, number> = {
  box: 0.1,
  cylinder: 0.1,
  chair: 0.13,
  table: 0.1,
  vehicle: 0.12,
  stack: 0.12,
  winged: 0.13,
  random: 0.2,
};

function pickTemplate(rng: Rng): Template {
  let u = rng.uniform();
  for (const t of TEMPLATES) {
    u -= TEMPLATE_WEIGHTS[t];
    if (u < 0) return t;
  }
  return 'random';
}

/** Four legs under a top at height `height`: a left-front and a left-back leg and their mirror images. */
function legs(a: Assembly, rng: Rng, top: number, w: number, d: number, height: number): void {
  const t = rng.range(0.025, 0.06);
  const inset = rng.range(t, 0.1 * Math.min(w, d) + t);
  const round = rng.uniform() < 0.5;
  const k = 3 + rng.int(4);
  for (const z of [d / 2 - inset, -(d / 2 - inset)]) {
    const name = z > 0 ? 'leg_front' : 'leg_back';
    const center: Vec3 = [w / 2 - inset, height / 2, z];
    const i = round
      ? a.cyl(name, center, t / 2, height, 1, k, { attach: top })
      : a.box(name, center, [t, height, t], { attach: top });
    a.mirror(i);
  }
}

function buildRigid(rng: Rng, template: Template): Assembly {
  const a = new Assembly(rng);
  const boxOrCyl = (part: string, center: Vec3, size: Vec3, attach: number, centred: boolean): number =>
    rng.uniform() < 0.5
      ? a.box(part, center, size, { attach, midpoints: rng.uniform() < 0.2 })
      : a.cyl(part, center, Math.min(size[0], size[2]) / 2, size[1], 1, 3 + rng.int(8), {
          attach,
          centred,
          taper: rng.uniform() < 0.3 ? rng.range(0.4, 1.4) : 1,
        });
  switch (template) {
    case 'box':
      a.box(
        'box',
        [0, 0, 0],
        [logUniform(rng, 0.2, 1.5), logUniform(rng, 0.2, 1.5), logUniform(rng, 0.2, 1.5)],
        {
          midpoints: rng.uniform() < 0.4,
        },
      );
      break;
    case 'cylinder':
      a.cyl(
        'cyl',
        [0, 0, 0],
        logUniform(rng, 0.1, 0.6),
        logUniform(rng, 0.1, 1.5),
        rng.int(3) as 0 | 1 | 2,
        3 + rng.int(10),
        {
          centred: true,
          taper: rng.uniform() < 0.3 ? rng.range(0.3, 1.5) : 1,
        },
      );
      break;
    case 'chair': {
      const w = rng.range(0.4, 0.6);
      const d = rng.range(0.4, 0.6);
      const t = rng.range(0.03, 0.08);
      const h = rng.range(0.35, 0.5);
      const seat = a.box('seat', [0, h + t / 2, 0], [w, t, d]);
      const backH = rng.range(0.3, 0.6);
      const backT = rng.range(0.03, 0.06);
      a.box('back', [0, h + t + backH / 2, -d / 2 + backT / 2], [w * rng.range(0.8, 1), backH, backT], {
        pitch: rng.range(-0.25, 0),
        attach: seat,
      });
      legs(a, rng, seat, w, d, h);
      break;
    }
    case 'table': {
      const w = rng.range(0.6, 1.6);
      const d = rng.range(0.5, 1.0);
      const t = rng.range(0.03, 0.08);
      const h = rng.range(0.5, 0.8);
      const top = a.box('top', [0, h + t / 2, 0], [w, t, d], { midpoints: rng.uniform() < 0.3 });
      if (rng.uniform() < 0.3) {
        const stem = a.cyl('stem', [0, h / 2, 0], rng.range(0.03, 0.08), h, 1, 3 + rng.int(6), {
          centred: true,
          attach: top,
        });
        a.cyl('foot', [0, 0.01, 0], rng.range(0.15, 0.3), 0.02, 1, 4 + rng.int(6), {
          centred: true,
          attach: stem,
        });
      } else {
        legs(a, rng, top, w, d, h);
      }
      break;
    }
    case 'vehicle': {
      const w = rng.range(0.8, 1.2);
      const h = rng.range(0.3, 0.5);
      const l = rng.range(1.5, 3);
      const r = rng.range(0.2, 0.35);
      const body = a.box('body', [0, r + h / 2, 0], [w, h, l]);
      const ch = h * rng.range(0.6, 1);
      const cl = l * rng.range(0.3, 0.6);
      a.box('cabin', [0, r + h + ch / 2, l * rng.range(-0.25, 0.2)], [w * rng.range(0.7, 0.95), ch, cl], {
        attach: body,
      });
      const width = rng.range(0.1, 0.25);
      const k = 4 + rng.int(5);
      for (const z of [l * rng.range(0.28, 0.4), -l * rng.range(0.28, 0.4)]) {
        const name = z > 0 ? 'wheel_front' : 'wheel_rear';
        a.mirror(a.cyl(name, [w / 2 + width / 2 + 0.01, r, z], r, width, 0, k, { attach: body }));
      }
      break;
    }
    case 'stack': {
      const n = 2 + rng.int(3);
      let y = 0;
      let below = -1;
      for (let i = 0; i < n; i++) {
        const hh = logUniform(rng, 0.05, 0.6);
        const ww = logUniform(rng, 0.1, 0.8);
        const dd = rng.uniform() < 0.5 ? ww : logUniform(rng, 0.1, 0.8);
        below = boxOrCyl(`tier${i}`, [0, y + hh / 2, 0], [ww, hh, dd], below, true);
        y += hh + rng.range(0.005, 0.05);
      }
      break;
    }
    case 'winged': {
      const cw = logUniform(rng, 0.15, 0.6);
      const ch = logUniform(rng, 0.15, 0.6);
      const cl = logUniform(rng, 0.3, 2);
      const core =
        rng.uniform() < 0.5
          ? a.box('core', [0, 0, 0], [cw, ch, cl], { midpoints: rng.uniform() < 0.2 })
          : a.cyl('core', [0, 0, 0], cw / 2, cl, 2, 4 + rng.int(7), { centred: true });
      const pairs = 1 + rng.int(2);
      for (let i = 0; i < pairs; i++) {
        const span = logUniform(rng, 0.2, 1.5);
        const size: Vec3 = [span, logUniform(rng, 0.02, 0.3), logUniform(rng, 0.1, 0.8)];
        const center: Vec3 = [
          cw / 2 + span / 2 + 0.01,
          rng.range(-ch / 2, ch / 2),
          rng.range(-cl / 2, cl / 2),
        ];
        const init = { attach: core, yaw: rng.range(-0.4, 0.4), pitch: rng.range(-0.3, 0.3) };
        const part = `wing${i}`;
        const wing =
          rng.uniform() < 0.7
            ? a.box(part, center, size, init)
            : a.cyl(part, center, size[1] / 2 + 0.02, span, 0, 3 + rng.int(6), init);
        a.mirror(wing);
      }
      break;
    }
    case 'random': {
      const n = 2 + rng.int(3);
      const centers: Vec3[] = [];
      const extents: number[] = [];
      for (let i = 0; i < n; i++) {
        const size: Vec3 = [logUniform(rng, 0.1, 1), logUniform(rng, 0.1, 1), logUniform(rng, 0.1, 1)];
        const extent = Math.hypot(size[0], size[1], size[2]) / 2;
        let center: Vec3 = [0, 0, 0];
        let attach = -1;
        if (i > 0) {
          attach = rng.int(i);
          const dir = randomUnit(rng);
          const dist = (extents[attach]! + extent) * rng.range(0.6, 1);
          const base = centers[attach]!;
          center = [base[0] + dir[0] * dist, base[1] + dir[1] * dist, base[2] + dir[2] * dist];
        }
        centers.push(center);
        extents.push(extent);
        const init = { attach, yaw: rng.range(-Math.PI, Math.PI), pitch: rng.range(-0.6, 0.6) };
        if (rng.uniform() < 0.6) a.box(`part${i}`, center, size, { ...init, midpoints: rng.uniform() < 0.2 });
        else a.cyl(`part${i}`, center, size[0] / 2, size[1], rng.int(3) as 0 | 1 | 2, 3 + rng.int(8), init);
      }
      break;
    }
  }
  return a;
}

/** Writes all points of the assembly (dimension factors per part group, anisotropic overall factor). */
function assemblyPoints(
  prims: readonly Prim[],
  offsets: readonly number[],
  dims: Float64Array,
  global: Vec3,
  out: Float64Array,
): void {
  prims.forEach((p, i) => {
    const o = 3 * offsets[i]!;
    if (p.mirrorOf >= 0) {
      const src = 3 * offsets[p.mirrorOf]!;
      for (let q = 0; q < primCount(p); q++) {
        out[o + 3 * q] = -out[src + 3 * q]!;
        out[o + 3 * q + 1] = out[src + 3 * q + 1]!;
        out[o + 3 * q + 2] = out[src + 3 * q + 2]!;
      }
    } else {
      primPoints(p, dims.subarray(3 * i, 3 * i + 3), out, o);
      for (let q = 0; q < primCount(p); q++) {
        out[o + 3 * q] = out[o + 3 * q]! * global[0];
        out[o + 3 * q + 1] = out[o + 3 * q + 1]! * global[1];
        out[o + 3 * q + 2] = out[o + 3 * q + 2]! * global[2];
      }
    }
  });
}

/** [left, right] pairs when the shape is mirror-symmetric across x = 0 (left: x > 0); else null. */
function mirrorPairs(points: Float64Array, J: number): Edge[] | null {
  let maxAbs = 0;
  for (const v of points) maxAbs = Math.max(maxAbs, Math.abs(v));
  const tol = 1e-9 * maxAbs;
  const pairs: Edge[] = [];
  for (let i = 0; i < J; i++) {
    const x = points[3 * i]!;
    const y = points[3 * i + 1]!;
    const z = points[3 * i + 2]!;
    if (Math.abs(x) <= tol) continue;
    let match = -1;
    for (let j = 0; j < J; j++) {
      if (
        Math.abs(points[3 * j]! + x) <= tol &&
        Math.abs(points[3 * j + 1]! - y) <= tol &&
        Math.abs(points[3 * j + 2]! - z) <= tol
      ) {
        match = j;
        break;
      }
    }
    if (match < 0) return null;
    if (x > 0) pairs.push([i, match]);
  }
  return pairs;
}

function rigidDataset(name: string, k: number, o: Resolved): ProceduralDataset {
  const rng = new Rng([o.seed, KIND_RIGID, k, 0]);
  let template = pickTemplate(rng);
  let a = buildRigid(rng, template);
  for (let attempt = 0; a.count() > o.maxJoints; attempt++) {
    if (attempt < 50) {
      template = pickTemplate(rng);
      a = buildRigid(rng, template);
    } else {
      // The fallback that always fits (maxJoints ≥ 6): a cylinder of ⌊maxJoints / 2⌋ ≤ 12 points per ring.
      template = 'cylinder';
      a = new Assembly(rng);
      a.cyl(
        'cyl',
        [0, 0, 0],
        logUniform(rng, 0.1, 0.6),
        logUniform(rng, 0.1, 1.5),
        1,
        Math.min(12, o.maxJoints >> 1),
        {
          centred: true,
        },
      );
    }
  }
  const prims = a.prims;
  const offsets: number[] = [];
  let J = 0;
  for (const p of prims) {
    offsets.push(J);
    J += primCount(p);
  }
  const jitter = rng.range(0.01, 0.04);
  const noEdges = rng.uniform() < 0.25;

  const restPoints = new Float64Array(3 * J);
  const ones = new Float64Array(3 * prims.length).fill(1);
  assemblyPoints(prims, offsets, ones, [1, 1, 1], restPoints);
  const pairs = mirrorPairs(restPoints, J);

  // Names: part_point; a mirror pair is l_<name> / r_<name>, after the left point's name.
  const joints = prims.flatMap((p) => primNames(p));
  if (pairs) {
    for (const [l, r] of pairs) {
      const base = joints[l];
      joints[l] = `l_${base}`;
      joints[r] = `r_${base}`;
    }
  }

  const edges: Edge[] = [];
  if (!noEdges) {
    prims.forEach((p, i) => {
      const base = offsets[i]!;
      for (const [u, v] of primEdges(p)) edges.push([base + u, base + v]);
      if (p.attach >= 0) {
        // One edge to the part it rests on: the closest pair of points in the rest shape.
        let best = Number.POSITIVE_INFINITY;
        let edge: Edge = [base, offsets[p.attach]!];
        for (let u = base; u < base + primCount(p); u++) {
          const q = prims[p.attach]!;
          for (let v = offsets[p.attach]!; v < offsets[p.attach]! + primCount(q); v++) {
            const dd =
              (restPoints[3 * u]! - restPoints[3 * v]!) ** 2 +
              (restPoints[3 * u + 1]! - restPoints[3 * v + 1]!) ** 2 +
              (restPoints[3 * u + 2]! - restPoints[3 * v + 2]!) ** 2;
            if (dd < best) {
              best = dd;
              edge = [v, u];
            }
          }
        }
        edges.push(edge);
      }
    });
  }

  const F = o.framesPerSpecies;
  const frameRng = new Rng([o.seed, KIND_RIGID, k, 1]);
  const points = new Float32Array(F * J * 3);
  const frame = new Float64Array(3 * J);
  const dims = new Float64Array(3 * prims.length);
  for (let f = 0; f < F; f++) {
    for (let i = 0; i < dims.length; i++) dims[i] = 1 + frameRng.range(-jitter, jitter);
    const g = jitter / 2;
    const global: Vec3 = [1 + frameRng.range(-g, g), 1 + frameRng.range(-g, g), 1 + frameRng.range(-g, g)];
    assemblyPoints(prims, offsets, dims, global, frame);
    points.set(frame, 3 * J * f);
  }

  const parts = prims.map((p) => p.part);
  const symmetric = pairs !== null && pairs.length > 0;
  const description =
    `Procedural rigid object ${k}: ${template} of ${prims.length} part${prims.length > 1 ? 's' : ''} ` +
    `(${[...new Set(parts)].join(', ')}), ${J} points, ${symmetric ? 'left/right symmetric' : 'asymmetric'}, ` +
    `${(100 * jitter).toFixed(1)} % shape jitter${noEdges ? ', no edges (kNN graph)' : ''}.`;
  return makeDataset({
    name,
    category: o.category.rigid,
    description,
    kind: 'rigid',
    joints,
    edges,
    symmetry: pairs ?? [],
    points,
    rest: Float32Array.from(restPoints),
    frames: F,
    meta: { seed: o.seed, species: k, template, parts: prims.length, symmetric, jitter },
  });
}
