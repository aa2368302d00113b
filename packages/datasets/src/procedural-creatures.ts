import { Rng } from '@lfm/core';
import type { Edge } from './preprocess/graph.js';
import { logUniform, type Resolved, randomUnit, type Species, type Vec3 } from './procedural-shared.js';

// Articulated creatures (see procedural.ts for the model).

const KIND_CREATURE = 1;

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
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
  /** Per joint: the hinge bends one way only (angle in [0, 2·limit]); see ProceduralOptions.oneSidedHinges. */
  oneSided: boolean[];
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
    oneSided: [],
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

/**
 * Marks a `fraction` of the creature's hinges one-sided, drawn from `rng` (a stream of its own, so
 * the skeleton and the frames' draws do not depend on the fraction). A right limb joint copies its
 * left partner; a symmetric creature's midline hinge qualifies only about the x (left-right) axis.
 */
function chooseOneSided(c: Creature, rng: Rng, fraction: number): void {
  const J = c.joints.length;
  c.oneSided = new Array<boolean>(J).fill(false);
  if (fraction <= 0) return;
  const partner = new Map<number, number>();
  for (const [l, r] of c.symmetry) partner.set(r, l);
  for (let j = 0; j < J; j++) {
    const h = c.hinge[j];
    const draw = rng.uniform() < fraction;
    if (!h) continue;
    const left = partner.get(j);
    if (left !== undefined) c.oneSided[j] = c.oneSided[left]!;
    else if (c.symmetric && c.side[j] === 0) c.oneSided[j] = draw && h[1] === 0 && h[2] === 0;
    else c.oneSided[j] = draw;
  }
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
        const u = rng.uniform();
        angle = c.limit[j]! * (c.oneSided[j] ? 2 * u : 2 * u - 1);
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

export function creatureSpecies(k: number, o: Resolved): Species {
  const c = buildCreature(new Rng([o.seed, KIND_CREATURE, k, 0]), o.minJoints, o.maxJoints);
  chooseOneSided(c, new Rng([o.seed, KIND_CREATURE, k, 2]), o.oneSidedHinges);
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
  return {
    description,
    joints: c.joints,
    edges,
    symmetry: c.symmetry,
    points,
    rest,
    meta: {
      symmetric,
      angleLimitDeg: deg,
      spineJoints: c.spine,
      limbs: c.limbs,
      ...(o.oneSidedHinges > 0 && { oneSidedHinges: c.oneSided.filter(Boolean).length }),
    },
  };
}
