import { Rng } from '@lfm/core';
import type { Edge } from './preprocess/graph.js';
import { logUniform, type Resolved, randomUnit, type Species, type Vec3 } from './procedural-shared.js';

// Rigid objects (see procedural.ts for the model).

const KIND_RIGID = 2;

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

export function rigidSpecies(k: number, o: Resolved): Species {
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
  return {
    description,
    joints,
    edges,
    symmetry: pairs ?? [],
    points,
    rest: Float32Array.from(restPoints),
    meta: { template, parts: prims.length, symmetric, jitter },
  };
}
