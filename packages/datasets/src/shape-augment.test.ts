import { InputError, Rng } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import {
  boneTree,
  createShapeScratch,
  happens,
  type JointTree,
  jointTree,
  mirrorIndexOf,
  mirrorShape,
  rearticulate,
  scaleAlongAxes,
  scaleAnisotropic,
  scaleBones,
  spanningTree,
} from './shape-augment.js';

/** Random points [3J] (Float64), about unit scale. */
function randomPoints(J: number, seed: number): Float64Array {
  const rng = new Rng([seed, J]);
  return Float64Array.from({ length: 3 * J }, () => rng.normal());
}

function sub(p: Float64Array, a: number, b: number): [number, number, number] {
  return [p[3 * a]! - p[3 * b]!, p[3 * a + 1]! - p[3 * b + 1]!, p[3 * a + 2]! - p[3 * b + 2]!];
}

function norm(v: readonly number[]): number {
  return Math.hypot(...v);
}

function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

function flat(bones: readonly (readonly [number, number])[]): Int32Array {
  return Int32Array.from(bones.flat());
}

function treeEdges(tree: JointTree): [number, number][] {
  return Array.from(tree.order.subarray(0, tree.size))
    .filter((j) => tree.parent[j]! >= 0)
    .map((j) => [tree.parent[j]!, j]);
}

/** A small body: 0 pelvis → 1 spine → 2 head; 1 → 3 l_arm → 4 l_hand; 1 → 5 r_arm → 6 r_hand; 0 → 7 l_leg, 0 → 8 r_leg. */
const BODY_BONES: [number, number][] = [
  [0, 1],
  [1, 2],
  [1, 3],
  [3, 4],
  [1, 5],
  [5, 6],
  [0, 7],
  [0, 8],
];
const BODY_MIRROR = mirrorIndexOf(
  [
    [3, 5],
    [4, 6],
    [7, 8],
  ],
  9,
)!;

describe('shape-augment: trees', () => {
  it('boneTree: breadth-first from the lowest present joint of each part; missing joints and cycles dropped', () => {
    const s = createShapeScratch(9, 2 * BODY_BONES.length);
    const tree = boneTree(flat(BODY_BONES), range(9), 9, s);
    expect(tree.size).toBe(9);
    expect(Array.from(tree.parent)).toEqual([-1, 0, 1, 1, 3, 1, 5, 0, 0]);
    const pos = new Map(Array.from(tree.order.subarray(0, 9), (j, t) => [j, t]));
    for (const [p, j] of treeEdges(tree)) expect(pos.get(p)!).toBeLessThan(pos.get(j)!);

    // Joint 1 missing: the arms, the head and the legs part into components rooted at their lowest joint.
    const present = Int32Array.from([0, 2, 3, 4, 5, 6, 7, 8]);
    const t2 = boneTree(flat(BODY_BONES), present, present.length, s);
    expect(t2.size).toBe(8);
    expect(Array.from(t2.parent)).toEqual([-1, -1, -1, -1, 3, -1, 5, 0, 0]);

    // A cycle 0-1-2-0 keeps two of its three bones.
    const c = boneTree(
      flat([
        [0, 1],
        [1, 2],
        [2, 0],
      ]),
      range(3),
      3,
      createShapeScratch(3, 6),
    );
    expect(Array.from(c.parent)).toEqual([-1, 0, 0]);
  });

  it('spanningTree: the minimum spanning tree, rooted at the joint nearest the mean', () => {
    // Points on the x axis at 0, 1, 3, 6, 10 (mean 4 → root joint 2 at x = 3): the MST is the chain.
    const xs = [0, 1, 3, 6, 10];
    const p = new Float64Array(15);
    xs.forEach((x, j) => {
      p[3 * j] = x;
    });
    const tree = spanningTree(p, range(5), 5, createShapeScratch(5));
    expect(tree.order[0]).toBe(2);
    expect(Array.from(tree.parent)).toEqual([1, 2, -1, 2, 3]);

    // Random points: the tree's total length equals a brute-force Kruskal's.
    const J = 30;
    const q = randomPoints(J, 3);
    const t = spanningTree(q, range(J), J, createShapeScratch(J));
    expect(t.size).toBe(J);
    const weight = treeEdges(t).reduce((a, [u, v]) => a + norm(sub(q, u, v)), 0);
    const edges: [number, number, number][] = [];
    for (let u = 0; u < J; u++) for (let v = u + 1; v < J; v++) edges.push([norm(sub(q, u, v)), u, v]);
    edges.sort((a, b) => a[0] - b[0]);
    const root = Array.from({ length: J }, (_, j) => j);
    const find = (x: number): number => (root[x] === x ? x : (root[x] = find(root[x]!)));
    let kruskal = 0;
    for (const [w, u, v] of edges) {
      if (find(u) === find(v)) continue;
      root[find(u)] = find(v);
      kruskal += w;
    }
    expect(weight).toBeCloseTo(kruskal, 10);
  });

  it('jointTree: bones when there are some, else the spanning tree of the present joints', () => {
    const p = randomPoints(9, 1);
    const s = createShapeScratch(9, 16);
    expect(Array.from(jointTree(p, flat(BODY_BONES), range(9), 9, s).parent)).toEqual([
      -1, 0, 1, 1, 3, 1, 5, 0, 0,
    ]);
    const present = Int32Array.from([0, 1, 2, 4, 5, 6, 8]);
    const t = jointTree(p, new Int32Array(0), present, present.length, s);
    expect(t.size).toBe(7);
    expect(t.parent[3]).toBe(-1);
    expect(t.parent[7]).toBe(-1);
  });
});

describe('shape-augment: stages', () => {
  it('happens: no draw for probability 0 or 1, one uniform in between', () => {
    const a = new Rng(5);
    expect(happens(a, 0)).toBe(false);
    expect(happens(a, 1)).toBe(true);
    expect(a.uniform()).toBe(new Rng(5).uniform());
    const b = new Rng(5);
    const want = new Rng(5).uniform() < 0.3;
    expect(happens(b, 0.3)).toBe(want);
    const c = new Rng(5);
    c.uniform();
    expect(b.uniform()).toBe(c.uniform());
  });

  it('scaleBones: each bone is multiplied by its drawn factor, children follow, roots stay', () => {
    const p = randomPoints(9, 2);
    const before = Float64Array.from(p);
    const s = createShapeScratch(9, 16);
    const tree = boneTree(flat(BODY_BONES), range(9), 9, s);
    const maxLog = 0.3;
    scaleBones(p, tree, maxLog, null, new Rng(11), s);
    expect(Array.from(p.subarray(0, 3))).toEqual(Array.from(before.subarray(0, 3)));
    const factors = new Set<number>();
    for (const [parent, j] of BODY_BONES) {
      const f = s.boneFactor[j]!;
      expect(Math.abs(Math.log(f))).toBeLessThanOrEqual(maxLog);
      factors.add(f);
      // The new offset is f times the old one (so the length changes by f and the direction is kept).
      const was = sub(before, j, parent);
      const now = sub(p, j, parent);
      for (let c = 0; c < 3; c++) expect(now[c]!).toBeCloseTo(f * was[c]!, 12);
    }
    expect(factors.size).toBe(BODY_BONES.length);
    // The hand (4) moves with its arm (3): its displacement is the arm's plus its own bone's change.
    const bone = sub(before, 4, 3);
    for (let c = 0; c < 3; c++) {
      const arm = p[9 + c]! - before[9 + c]!;
      expect(p[12 + c]! - before[12 + c]!).toBeCloseTo(arm + (s.boneFactor[4]! - 1) * bone[c]!, 12);
    }
  });

  it('scaleBones with mirror pairs: a symmetric body (pairs share a factor) half the time, else not', () => {
    const s = createShapeScratch(9, 16);
    let symmetric = 0;
    const calls = 40;
    for (let seed = 0; seed < calls; seed++) {
      const p = randomPoints(9, 2);
      const tree = boneTree(flat(BODY_BONES), range(9), 9, s);
      scaleBones(p, tree, 0.2, BODY_MIRROR, new Rng(seed), s);
      const f = s.boneFactor;
      const shared = [
        [3, 5],
        [4, 6],
        [7, 8],
      ].map(([a, b]) => f[a!] === f[b!]);
      // All pairs or none.
      expect(new Set(shared).size).toBe(1);
      if (shared[0]) symmetric++;
      // Centre bones get their own factor either way.
      expect(f[1]).not.toBe(f[2]);
    }
    expect(symmetric).toBeGreaterThan(calls * 0.25);
    expect(symmetric).toBeLessThan(calls * 0.75);
  });

  it('scaleAnisotropic: a unit sphere becomes the ellipsoid of the drawn axes and factors', () => {
    // ±e_x, ±e_y, ±e_z and identity axes: each point scales by its axis' factor (mean exactly 0).
    const unit = Float64Array.from([1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1]);
    scaleAlongAxes(unit, range(6), 6, [1, 0, 0, 0, 1, 0, 0, 0, 1], [2, 3, 0.5]);
    expect(Array.from(unit)).toEqual([2, 0, 0, -2, 0, 0, 0, 3, 0, 0, -3, 0, 0, 0, 0.5, 0, 0, -0.5]);

    // Random directions (antipodal pairs: mean 0): Σ_i (a_i · x)² / f_i² = 1 after the stage.
    const rng = new Rng(3);
    const n = 200;
    const p = new Float64Array(3 * n);
    for (let i = 0; i < n; i += 2) {
      const v = [rng.normal(), rng.normal(), rng.normal()];
      const r = norm(v);
      for (let c = 0; c < 3; c++) {
        p[3 * i + c] = v[c]! / r;
        p[3 * (i + 1) + c] = -v[c]! / r;
      }
    }
    const s = createShapeScratch(n);
    const maxLog = 0.4;
    scaleAnisotropic(p, range(n), n, maxLog, new Rng(9), s);
    const A = s.axes;
    for (let r = 0; r < 3; r++)
      for (let q = 0; q < 3; q++) {
        const dot = A[3 * r]! * A[3 * q]! + A[3 * r + 1]! * A[3 * q + 1]! + A[3 * r + 2]! * A[3 * q + 2]!;
        expect(dot).toBeCloseTo(r === q ? 1 : 0, 12);
      }
    for (const f of s.axisFactor) expect(Math.abs(Math.log(f))).toBeLessThanOrEqual(maxLog);
    expect(new Set(s.axisFactor).size).toBe(3);
    for (let i = 0; i < n; i++) {
      let e = 0;
      for (let r = 0; r < 3; r++) {
        const d = A[3 * r]! * p[3 * i]! + A[3 * r + 1]! * p[3 * i + 1]! + A[3 * r + 2]! * p[3 * i + 2]!;
        e += (d / s.axisFactor[r]!) ** 2;
      }
      expect(e).toBeCloseTo(1, 10);
    }
  });

  it('mirrorShape: x reflected about the mean, pairs swapped; twice is the identity', () => {
    const p = randomPoints(9, 4);
    p[3 * 4] = p[3 * 4 + 1] = p[3 * 4 + 2] = Number.NaN; // l_hand missing
    const before = Float64Array.from(p);
    let cx = 0;
    for (let j = 0; j < 9; j++) if (j !== 4) cx += before[3 * j]! / 8;
    mirrorShape(p, 9, BODY_MIRROR);
    for (let j = 0; j < 9; j++) {
      const m = BODY_MIRROR[j]!;
      if (m === 4 || j === 4) continue;
      expect(p[3 * j]!).toBeCloseTo(2 * cx - before[3 * m]!, 12);
      expect(p[3 * j + 1]).toBe(before[3 * m + 1]);
      expect(p[3 * j + 2]).toBe(before[3 * m + 2]);
    }
    // The missing hand swapped sides with its partner.
    expect(Number.isNaN(p[3 * 6])).toBe(true);
    expect(Number.isNaN(p[3 * 4])).toBe(false);
    mirrorShape(p, 9, BODY_MIRROR);
    for (let k = 0; k < 27; k++) {
      if (Number.isNaN(before[k]!)) expect(Number.isNaN(p[k]!)).toBe(true);
      else expect(p[k]!).toBeCloseTo(before[k]!, 12);
    }
    // Without pairs: only the reflection.
    const q = randomPoints(5, 5);
    const q0 = Float64Array.from(q);
    mirrorShape(q, 5, null);
    const mean = [0, 1, 2, 3, 4].reduce((a, j) => a + q0[3 * j]! / 5, 0);
    for (let j = 0; j < 5; j++) {
      expect(q[3 * j]!).toBeCloseTo(2 * mean - q0[3 * j]!, 12);
      expect(q[3 * j + 1]).toBe(q0[3 * j + 1]);
    }
  });

  it('rearticulate: rotates one subtree about its joint; its bone lengths kept, nothing else moves', () => {
    const s = createShapeScratch(9, 16);
    const maxAngle = (40 * Math.PI) / 180;
    const pivots = new Set<number>();
    for (let seed = 0; seed < 30; seed++) {
      const p = randomPoints(9, 6);
      const before = Float64Array.from(p);
      const tree = boneTree(flat(BODY_BONES), range(9), 9, s);
      const pivot = rearticulate(p, tree, maxAngle, new Rng(seed), s);
      // Non-root joints with children: 1 (spine), 3 (l_arm), 5 (r_arm).
      expect([1, 3, 5]).toContain(pivot);
      pivots.add(pivot);
      const subtree = new Set<number>([pivot]);
      for (const j of tree.order.subarray(0, tree.size)) if (subtree.has(tree.parent[j]!)) subtree.add(j);
      subtree.delete(pivot);
      for (let j = 0; j < 9; j++) {
        if (subtree.has(j)) continue;
        expect(Array.from(p.subarray(3 * j, 3 * j + 3))).toEqual(
          Array.from(before.subarray(3 * j, 3 * j + 3)),
        );
      }
      for (const j of subtree) {
        const parent = tree.parent[j]!;
        expect(norm(sub(p, j, parent))).toBeCloseTo(norm(sub(before, j, parent)), 12);
        expect(norm(sub(p, j, pivot))).toBeCloseTo(norm(sub(before, j, pivot)), 12);
      }
      // The drawn rotation's angle is ≤ maxAngle, and the subtree moved by it.
      const M = s.rotation;
      const angle = Math.acos(Math.min(1, (M[0]! + M[4]! + M[8]! - 1) / 2));
      expect(angle).toBeLessThanOrEqual(maxAngle + 1e-12);
      const j = [...subtree][0]!;
      const d = sub(before, j, pivot);
      for (let r = 0; r < 3; r++) {
        const want = before[3 * pivot + r]! + M[3 * r]! * d[0] + M[3 * r + 1]! * d[1] + M[3 * r + 2]! * d[2];
        expect(p[3 * j + r]!).toBeCloseTo(want, 12);
      }
    }
    expect(pivots.size).toBe(3);

    // A star (depth 1) has no joint to re-articulate: −1, nothing drawn.
    const star = boneTree(
      flat([
        [0, 1],
        [0, 2],
        [0, 3],
      ]),
      range(4),
      4,
      createShapeScratch(4, 6),
    );
    const rng = new Rng(1);
    expect(rearticulate(randomPoints(4, 1), star, 1, rng, createShapeScratch(4, 6))).toBe(-1);
    expect(rng.uniform()).toBe(new Rng(1).uniform());
  });

  it('mirrorIndexOf: partners from pairs, null without; bad pairs are an InputError', () => {
    expect(Array.from(mirrorIndexOf([[1, 3]], 5)!)).toEqual([0, 3, 2, 1, 4]);
    expect(mirrorIndexOf([], 5)).toBeNull();
    expect(() => mirrorIndexOf([[1, 5]], 5)).toThrow(InputError);
    expect(() => mirrorIndexOf([[2, 2]], 5)).toThrow(/mirror pair #0 \[2, 2\]/);
    expect(() =>
      mirrorIndexOf(
        [
          [0, 1],
          [1, 2],
        ],
        5,
      ),
    ).toThrow(/#1/);
  });
});
