import { InputError } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher.js';
import { splitFrames } from './dataset.js';
import { createSyntheticEvalSet } from './evaluation.js';
import { jointSides } from './preprocess/joint-codes.js';
import { createProceduralDatasets, PROCEDURAL_DEFAULTS, type ProceduralDataset } from './procedural.js';

const SMALL = { seed: 3, creatures: 16, rigid: 16, framesPerSpecies: 30 } as const;
const all = createProceduralDatasets(SMALL);
const creatures = all.filter((d) => d.kind === 'creature');
const rigid = all.filter((d) => d.kind === 'rigid');

function dist(p: ArrayLike<number>, a: number, b: number): number {
  return Math.hypot(p[3 * a]! - p[3 * b]!, p[3 * a + 1]! - p[3 * b + 1]!, p[3 * a + 2]! - p[3 * b + 2]!);
}

/** Frame f of a dataset as a [J, 3] view. */
function frame(ds: ProceduralDataset, f: number): Float32Array {
  const n = 3 * ds.numJoints;
  return ds.points.subarray(n * f, n * (f + 1));
}

function rmsRadius(p: ArrayLike<number>, J: number): number {
  const c = [0, 1, 2].map((k) => {
    let s = 0;
    for (let j = 0; j < J; j++) s += p[3 * j + k]!;
    return s / J;
  });
  let s = 0;
  for (let j = 0; j < J; j++) for (let k = 0; k < 3; k++) s += (p[3 * j + k]! - c[k]!) ** 2;
  return Math.sqrt(s / J);
}

/** The creature's parent array from its [parent, child] edges (−1 for the root). */
function parents(ds: ProceduralDataset): Int32Array {
  const parent = new Int32Array(ds.numJoints).fill(-1);
  for (const [p, c] of ds.edges) parent[c] = p;
  return parent;
}

describe('createProceduralDatasets', () => {
  it('defaults: 40 creature and 20 rigid species of 200 frames, named, categorised, split ~80/10/10', () => {
    const ds = createProceduralDatasets();
    expect(ds).toHaveLength(PROCEDURAL_DEFAULTS.creatures + PROCEDURAL_DEFAULTS.rigid);
    expect(ds[7]!.name).toBe('procedural-creature-07');
    expect(ds[40]!.name).toBe('procedural-rigid-00');
    expect(new Set(ds.map((d) => d.name)).size).toBe(ds.length);
    for (const d of ds) {
      expect(d.category).toBe(d.kind === 'creature' ? 'procedural-creature' : 'procedural-rigid');
      expect(d.units).toBe('procedural');
      expect(d.frames).toBe(200);
      expect(d.points.length).toBe(200 * d.numJoints * 3);
      expect(d.joints).toHaveLength(d.numJoints);
      expect(d.rest.length).toBe(3 * d.numJoints);
      expect(d.perSequenceEdges).toBe(false);
      expect(d.sequences.map((s) => [s.split, s.start, s.count])).toEqual([
        ['train', 0, 160],
        ['val', 160, 20],
        ['test', 180, 20],
      ]);
      if (d.kind === 'creature') {
        expect(d.numJoints).toBeGreaterThanOrEqual(5);
        expect(d.numJoints).toBeLessThanOrEqual(80);
      } else {
        expect(d.numJoints).toBeGreaterThanOrEqual(6);
        expect(d.numJoints).toBeLessThanOrEqual(80);
      }
    }
    // Both kinds of creature and of rigid object appear.
    const c = ds.filter((d) => d.kind === 'creature');
    const r = ds.filter((d) => d.kind === 'rigid');
    expect(c.some((d) => d.symmetry.length > 0) && c.some((d) => d.symmetry.length === 0)).toBe(true);
    expect(r.some((d) => d.symmetry.length > 0) && r.some((d) => d.symmetry.length === 0)).toBe(true);
    expect(r.some((d) => d.edges.length > 0) && r.some((d) => d.edges.length === 0)).toBe(true);
    expect(new Set(c.map((d) => d.numJoints)).size).toBeGreaterThan(20);
  });

  it('is deterministic: the same seed gives identical bytes, another seed different points', () => {
    const again = createProceduralDatasets(SMALL);
    const other = createProceduralDatasets({ ...SMALL, seed: 4 });
    expect(again.map((d) => d.joints)).toEqual(all.map((d) => d.joints));
    again.forEach((d, i) => {
      const a = all[i]!;
      expect(Buffer.from(d.points.buffer).equals(Buffer.from(a.points.buffer))).toBe(true);
      expect(d.edges).toEqual(a.edges);
      expect(d.symmetry).toEqual(a.symmetry);
    });
    const differs = other.filter(
      (d, i) =>
        d.numJoints !== all[i]!.numJoints ||
        !Buffer.from(d.points.buffer).equals(Buffer.from(all[i]!.points.buffer)),
    );
    expect(differs).toHaveLength(all.length);
    // A species does not depend on how many others are made.
    const fewer = createProceduralDatasets({ ...SMALL, creatures: 3, rigid: 2 });
    expect(fewer[2]!.points).toEqual(all[2]!.points);
    expect(fewer[4]!.points).toEqual(rigid[1]!.points);
  });

  it('creature joint counts lie in [minJoints, maxJoints]', () => {
    for (const [minJoints, maxJoints] of [
      [3, 3],
      [3, 6],
      [20, 24],
      [90, 120],
    ] as const) {
      const ds = createProceduralDatasets({
        creatures: 12,
        rigid: 0,
        framesPerSpecies: 3,
        minJoints,
        maxJoints,
      });
      for (const d of ds) {
        expect(d.numJoints).toBeGreaterThanOrEqual(minJoints);
        expect(d.numJoints).toBeLessThanOrEqual(maxJoints);
        expect(d.edges).toHaveLength(d.numJoints - 1);
      }
    }
  });

  it('maxJoints caps the rigid objects too', () => {
    for (const maxJoints of [6, 12, 30]) {
      const ds = createProceduralDatasets({
        creatures: 0,
        rigid: 15,
        framesPerSpecies: 3,
        maxJoints,
        minJoints: 3,
      });
      for (const d of ds) expect(d.numJoints).toBeLessThanOrEqual(maxJoints);
    }
  });

  it('creature edges form a tree over all joints; rigid edges are valid, distinct bones', () => {
    for (const d of creatures) {
      const J = d.numJoints;
      expect(d.edges).toHaveLength(J - 1);
      const parent = parents(d);
      expect(parent.filter((p) => p < 0)).toHaveLength(1);
      // Every joint reaches the root without revisiting a joint: connected and acyclic.
      for (let j = 0; j < J; j++) {
        let k = j;
        let steps = 0;
        while (parent[k]! >= 0 && steps <= J) {
          k = parent[k]!;
          steps++;
        }
        expect(parent[k]).toBe(-1);
        expect(steps).toBeLessThan(J);
      }
      expect(d.joints[parent.indexOf(-1)]).toBe('spine0');
    }
    for (const d of rigid) {
      const seen = new Set<string>();
      for (const [a, b] of d.edges) {
        expect(Number.isInteger(a) && Number.isInteger(b) && a !== b).toBe(true);
        expect(a >= 0 && b >= 0 && a < d.numJoints && b < d.numJoints).toBe(true);
        const key = `${Math.min(a, b)}-${Math.max(a, b)}`;
        expect(seen.has(key)).toBe(false);
        seen.add(key);
      }
    }
  });

  it('no NaN or infinite coordinates; frames are not all the same', () => {
    for (const d of all) {
      expect(d.points.every(Number.isFinite)).toBe(true);
      expect(d.rest.every(Number.isFinite)).toBe(true);
      expect(frame(d, 0)).not.toEqual(frame(d, 1));
    }
  });

  it('symmetry pairs are [left, right] mirror images across x = 0 in the rest pose; midline joints lie on it', () => {
    const symmetric = creatures.filter((d) => d.symmetry.length > 0);
    expect(symmetric.length).toBeGreaterThan(4);
    for (const d of [...symmetric, ...rigid.filter((r) => r.symmetry.length > 0)]) {
      const r = d.rest;
      const tol = 1e-5 * rmsRadius(r, d.numJoints);
      const paired = new Set<number>();
      for (const [a, b] of d.symmetry) {
        expect(r[3 * a]!).toBeGreaterThan(0);
        expect(Math.abs(r[3 * a]! + r[3 * b]!)).toBeLessThanOrEqual(tol);
        expect(Math.abs(r[3 * a + 1]! - r[3 * b + 1]!)).toBeLessThanOrEqual(tol);
        expect(Math.abs(r[3 * a + 2]! - r[3 * b + 2]!)).toBeLessThanOrEqual(tol);
        expect(d.joints[a]!.startsWith('l_') && d.joints[b]!.startsWith('r_')).toBe(true);
        expect(d.joints[b]).toBe(`r_${d.joints[a]!.slice(2)}`);
        paired.add(a).add(b);
      }
      for (let j = 0; j < d.numJoints; j++) {
        if (!paired.has(j)) expect(Math.abs(r[3 * j]!)).toBeLessThanOrEqual(tol);
      }
      // The side labels the trainer derives from names agree with the pairs.
      const sides = jointSides(d.joints, d.symmetry);
      for (const [a, b] of d.symmetry) expect([sides[a], sides[b]]).toEqual(['left', 'right']);
    }
    // A creature's bones map onto bones under the mirror.
    for (const d of symmetric) {
      const mirror = Array.from({ length: d.numJoints }, (_, j) => j);
      for (const [a, b] of d.symmetry) {
        mirror[a] = b;
        mirror[b] = a;
      }
      const bones = new Set(d.edges.map(([p, c]) => `${p}-${c}`));
      for (const [p, c] of d.edges) expect(bones.has(`${mirror[p]}-${mirror[c]}`)).toBe(true);
    }
  });

  it('left and right limbs of a symmetric creature have equal bone lengths in every frame', () => {
    for (const d of creatures.filter((c) => c.symmetry.length > 0)) {
      const parent = parents(d);
      for (let f = 0; f < d.frames; f++) {
        const p = frame(d, f);
        for (const [a, b] of d.symmetry) {
          expect(Math.abs(dist(p, a, parent[a]!) - dist(p, b, parent[b]!))).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('articulation changes angles only: every bone keeps its rest length in every frame', () => {
    for (const d of creatures) {
      let moved = 0;
      for (let f = 0; f < d.frames; f++) {
        const p = frame(d, f);
        for (const [a, b] of d.edges) {
          expect(Math.abs(dist(p, a, b) - dist(d.rest, a, b))).toBeLessThan(1e-5);
        }
        // Other distances do change: the pose is not rigid.
        for (let j = 0; j < (f < 3 ? d.numJoints : 0); j++) {
          for (let k = 0; k < j; k++) moved = Math.max(moved, Math.abs(dist(p, j, k) - dist(d.rest, j, k)));
        }
      }
      expect(moved).toBeGreaterThan(1e-3);
    }
  });

  it('rigid species: frames are small shape variations of the rest shape (a few %)', () => {
    for (const d of rigid) {
      const J = d.numJoints;
      const radius = rmsRadius(d.rest, J);
      let largest = 0;
      for (let f = 0; f < d.frames; f++) {
        const p = frame(d, f);
        for (let j = 0; j < J; j++) {
          const dx = [0, 1, 2].map((c) => p[3 * j + c]! - d.rest[3 * j + c]!);
          largest = Math.max(largest, Math.hypot(dx[0]!, dx[1]!, dx[2]!));
        }
      }
      expect(largest / radius).toBeLessThan(0.15);
      expect(largest / radius).toBeGreaterThan(1e-3);
      // Mirror pairs stay mirror images in every frame (mirrored parts are jittered alike).
      for (let f = 0; f < d.frames; f++) {
        const p = frame(d, f);
        for (const [a, b] of d.symmetry) expect(Math.abs(p[3 * a]! + p[3 * b]!)).toBeLessThan(1e-5 * radius);
      }
    }
  });

  it('small frame counts still give one val and one test frame', () => {
    const [d] = createProceduralDatasets({ creatures: 1, rigid: 0, framesPerSpecies: 3 });
    expect(d!.sequences.map((s) => s.split)).toEqual(['train', 'val', 'test']);
    expect(splitFrames(d!, 'val')).toEqual(Int32Array.from([1]));
  });

  it('custom categories name the datasets', () => {
    const ds = createProceduralDatasets({
      creatures: 2,
      rigid: 1,
      framesPerSpecies: 5,
      category: { creature: 'beast', rigid: 'thing' },
    });
    expect(ds.map((d) => [d.name, d.category])).toEqual([
      ['beast-00', 'beast'],
      ['beast-01', 'beast'],
      ['thing-00', 'thing'],
    ]);
  });

  it('works as batcher sources: batches are finite, masks valid, targets normalised', () => {
    const sources = [...creatures.slice(0, 4), ...rigid.slice(0, 4)].map((dataset) => ({ dataset }));
    const B = 16;
    const N = 32;
    const batcher = createBatcher({ sources, batchSize: B, maxPoints: N, seed: 2 });
    const used = new Set<number>();
    for (let k = 0; k < 6; k++) {
      const b = batcher.next();
      expect(b.points2d.every(Number.isFinite)).toBe(true);
      expect(b.target3d.every(Number.isFinite)).toBe(true);
      expect(b.adj.every((x) => x === 0 || x === 1)).toBe(true);
      for (let s = 0; s < B; s++) {
        used.add(b.info.source[s]!);
        const mask = b.mask.subarray(s * N, (s + 1) * N);
        expect(mask.every((x) => x === 0 || x === 1)).toBe(true);
        const visible = mask.reduce((n, x) => n + x, 0);
        expect(visible).toBe(b.info.numVisible[s]);
        expect(visible).toBeGreaterThanOrEqual(3);
        const J = sources[b.info.source[s]!]!.dataset.numJoints;
        expect(b.info.numPoints[s]).toBe(Math.min(J, N));
        let r2 = 0;
        for (let i = 0; i < N; i++) {
          if (mask[i] !== 1) continue;
          for (let c = 0; c < 3; c++) r2 += b.target3d[3 * (s * N + i) + c]! ** 2;
        }
        expect(Math.sqrt(r2 / visible)).toBeCloseTo(1, 3);
      }
    }
    expect(used.size).toBeGreaterThan(2);
    // A validation source draws from the val frames only.
    const val = createBatcher({
      sources: [{ dataset: creatures[0]!, split: 'val' }],
      batchSize: 8,
      maxPoints: N,
    });
    const frames = new Set(splitFrames(creatures[0]!, 'val'));
    const b = val.next();
    for (let s = 0; s < 8; s++) expect(frames.has(b.info.frame[s]!)).toBe(true);
  });

  it('works with the synthetic evaluation protocol on the val split', () => {
    for (const d of [creatures[0]!, rigid[0]!]) {
      const set = createSyntheticEvalSet(d, { split: 'val' });
      expect(set.count).toBe(splitFrames(d, 'val').length);
      expect(set.points2d.every(Number.isFinite)).toBe(true);
      expect(set.pointsCam.every(Number.isFinite)).toBe(true);
      expect(set.mask.every((m) => m === 1)).toBe(true);
    }
  });

  it.each([
    [{ seed: 1.5 }, /seed/],
    [{ seed: Number.NaN }, /seed/],
    [{ creatures: -1 }, /creatures/],
    [{ rigid: 2.5 }, /rigid/],
    [{ framesPerSpecies: 2 }, /framesPerSpecies/],
    [{ minJoints: 2 }, /minJoints/],
    [{ maxJoints: 5000 }, /maxJoints/],
    [{ minJoints: 30, maxJoints: 20 }, /minJoints \(30\) must not exceed maxJoints \(20\)/],
    [{ minJoints: 3, maxJoints: 5 }, /maxJoints must be ≥ 6 when rigid > 0/],
    [{ category: { creature: 'x', rigid: 'x' } }, /must differ/],
    [{ category: { creature: '', rigid: 'y' } }, /category/],
    [{ creature: 3 }, /unknown option "creature"/],
  ])('bad options %j → InputError', (options, message) => {
    const run = () => createProceduralDatasets(options as never);
    expect(run).toThrow(InputError);
    expect(run).toThrow(message);
  });

  it('minJoints 3 and maxJoints 5 are fine without rigid species', () => {
    const ds = createProceduralDatasets({
      creatures: 5,
      rigid: 0,
      framesPerSpecies: 3,
      minJoints: 3,
      maxJoints: 5,
    });
    expect(ds.every((d) => d.numJoints >= 3 && d.numJoints <= 5)).toBe(true);
  });
});

describe('createProceduralDatasets: one-sided hinges', () => {
  const opts = { seed: 5, creatures: 12, rigid: 2, framesPerSpecies: 400 } as const;
  const twoSided = createProceduralDatasets(opts);
  const oneSided = createProceduralDatasets({ ...opts, oneSidedHinges: 1 });
  const creaturePairs = twoSided
    .map((d, i) => [d, oneSided[i]!] as const)
    .filter(([d]) => d.kind === 'creature');

  /** Mean over frames of the distance of each joint from its rest position, averaged over joints. */
  function meanOffsetFromRest(d: ProceduralDataset): number {
    const J = d.numJoints;
    const mean = new Float64Array(3 * J);
    for (let f = 0; f < d.frames; f++) {
      const p = frame(d, f);
      for (let i = 0; i < 3 * J; i++) mean[i]! += (p[i]! - d.rest[i]!) / d.frames;
    }
    let s = 0;
    for (let j = 0; j < J; j++) s += Math.hypot(mean[3 * j]!, mean[3 * j + 1]!, mean[3 * j + 2]!);
    return s / J / rmsRadius(d.rest, J);
  }

  it('keeps the skeletons and rigid objects and changes only the creatures’ poses', () => {
    const same = (x: Float32Array, y: Float32Array) =>
      Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(
        Buffer.from(y.buffer, y.byteOffset, y.byteLength),
      );
    const zero = createProceduralDatasets({ ...opts, oneSidedHinges: 0 });
    expect(zero.every((d, i) => same(d.points, twoSided[i]!.points))).toBe(true);
    for (let i = 0; i < twoSided.length; i++) {
      const [a, b] = [twoSided[i]!, oneSided[i]!];
      expect(b.joints).toEqual(a.joints);
      expect(b.edges).toEqual(a.edges);
      expect(b.symmetry).toEqual(a.symmetry);
      expect(same(b.rest, a.rest)).toBe(true);
      if (a.kind === 'rigid') expect(same(b.points, a.points)).toBe(true);
    }
    expect(creaturePairs.filter(([a, b]) => !same(a.points, b.points)).length).toBeGreaterThan(8);
  });

  it('keeps every bone length in every frame', () => {
    for (const [, d] of creaturePairs) {
      for (const [p, c] of d.edges) {
        const rest = dist(d.rest, p, c);
        for (let f = 0; f < d.frames; f += 37) expect(dist(frame(d, f), p, c)).toBeCloseTo(rest, 4);
      }
    }
  });

  it('bends the mean pose away from the rest pose (hinges no longer average out)', () => {
    let moreBent = 0;
    for (const [a, b] of creaturePairs) if (meanOffsetFromRest(b) > meanOffsetFromRest(a)) moreBent++;
    expect(moreBent).toBeGreaterThan(0.75 * creaturePairs.length);
  });

  it('keeps a symmetric creature’s pose distribution mirror-symmetric', () => {
    for (const [, d] of creaturePairs.filter(([a]) => a.symmetry.length > 0)) {
      const J = d.numJoints;
      const mean = new Float64Array(3 * J);
      for (let f = 0; f < d.frames; f++) {
        const p = frame(d, f);
        for (let i = 0; i < 3 * J; i++) mean[i]! += p[i]! / d.frames;
      }
      // The mean pose of a mirror-symmetric pose distribution is itself symmetric: a left joint's
      // mean is its right partner's mean with x negated, and a midline joint's mean has x = 0.
      const scale = rmsRadius(d.rest, J);
      const partner = new Int32Array(J).fill(-1);
      for (const [l, r] of d.symmetry) {
        partner[l] = r;
        partner[r] = l;
      }
      for (let j = 0; j < J; j++) {
        const m = partner[j]! >= 0 ? partner[j]! : j;
        expect(Math.abs(mean[3 * j]! + mean[3 * m]!) / scale).toBeLessThan(0.15);
        expect(Math.abs(mean[3 * j + 1]! - mean[3 * m + 1]!) / scale).toBeLessThan(0.15);
      }
    }
  });

  it('rejects a fraction outside [0, 1]', () => {
    expect(() => createProceduralDatasets({ oneSidedHinges: 1.5 })).toThrow(
      /oneSidedHinges must be a number in \[0, 1\]/,
    );
    expect(() => createProceduralDatasets({ oneSidedHinges: Number.NaN })).toThrow(InputError);
  });
});
