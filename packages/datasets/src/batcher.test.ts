import { DegenerateError, InputError, normalizeKeypoints } from '@lfm/core';
import { defineRig } from '@lfm/rig';
import { describe, expect, it } from 'vitest';
import { type AugmentOptions, DEFAULT_AUGMENT, MAX_OCCLUSION_FRACTION } from './augment.js';
import { type Batch, type BatchSource, createBatcher } from './batcher.js';
import { CAMERA_MODELS } from './preprocess/camera.js';
import { knnAdjacency } from './preprocess/graph.js';
import { batcher, batchesHash, big, body, CLEAN, chainRig, face } from './test-support/batches.js';
import { type FakeDataset, fakeDataset, snapshot } from './test-support/datasets.js';

function datasetOf(b: Batch, sources: BatchSource[], s: number): FakeDataset {
  return sources[b.info.source[s]!]!.dataset as FakeDataset;
}

/** p_world of the joint in slot i of sample s (Float64). */
function joint(b: Batch, sources: BatchSource[], s: number, i: number): [number, number, number] {
  const ds = datasetOf(b, sources, s);
  const j = b.info.jointIndex[s * b.maxPoints + i]!;
  const o = 3 * (b.info.frame[s]! * ds.numJoints + j);
  return [ds.points[o]!, ds.points[o + 1]!, ds.points[o + 2]!];
}

function apply(R: Float64Array, o: number, p: readonly number[]): [number, number, number] {
  return [0, 1, 2].map(
    (r) => R[o + 3 * r]! * p[0]! + R[o + 3 * r + 1]! * p[1]! + R[o + 3 * r + 2]! * p[2]!,
  ) as [number, number, number];
}

describe('createBatcher: determinism', () => {
  const sources: BatchSource[] = [{ dataset: body }, { dataset: face }, { dataset: big }];
  const augment: AugmentOptions = {
    cameras: ['pinhole', 'weak-perspective', 'orthographic'],
    noise: { std: 0.01 },
    occlusion: { maxFraction: 0.5 },
    subset: { probability: 0.3 },
  };

  it('same seed → identical batches; another seed → different ones', () => {
    const a = batcher(sources, augment, 42);
    const b = batcher(sources, augment, 42);
    const c = batcher(sources, augment, 43);
    for (let k = 0; k < 4; k++) {
      const x = snapshot(a.next());
      expect(snapshot(b.next())).toEqual(x);
      expect(snapshot(c.next())).not.toEqual(x);
    }
  });

  it('batch k depends on (seed, k) only: seek(k) reproduces it', () => {
    const a = batcher(sources, augment, 5);
    const batches = [0, 1, 2, 3].map(() => snapshot(a.next()));
    expect(a.position).toBe(4);
    const b = batcher(sources, augment, 5);
    b.seek(2);
    expect(snapshot(b.next())).toEqual(batches[2]);
    b.seek(0);
    expect(snapshot(b.next())).toEqual(batches[0]);
  });

  it('reuses its buffers: next() returns the same arrays every call', () => {
    const a = batcher(sources, augment);
    const x = a.next();
    const arrays = [x.points2d, x.mask, x.adj, x.target3d, x.info.jointIndex];
    const y = a.next();
    expect([y.points2d, y.mask, y.adj, y.target3d, y.info.jointIndex]).toEqual(arrays);
    expect(y.points2d).toBe(arrays[0]);
    expect(y.index).toBe(1);
  });
});

describe('createBatcher: alignment of points, mask, adjacency and target under permutation', () => {
  const sources: BatchSource[] = [{ dataset: body }, { dataset: face }];

  it.each(CAMERA_MODELS)(
    '%s: every slot is the projection and target of its joint; adj = bones exactly',
    (model) => {
      const bt = batcher(
        sources,
        { cameras: [model], noise: { std: 0 }, occlusion: { maxFraction: 0.4 } },
        3,
        32,
        40,
      );
      for (let rep = 0; rep < 3; rep++) {
        const b = bt.next();
        const N = b.maxPoints;
        const { info } = b;
        for (let s = 0; s < b.batchSize; s++) {
          const ds = datasetOf(b, sources, s);
          const n = info.numPoints[s]!;
          const f = info.focal[s]!;
          let visible = 0;
          for (let i = 0; i < N; i++) {
            const k = s * N + i;
            if (i >= n) {
              expect(info.jointIndex[k]).toBe(-1);
              expect(b.mask[k]).toBe(0);
              continue;
            }
            if (b.mask[k] === 0) {
              expect([b.points2d[2 * k], b.points2d[2 * k + 1], b.target3d[3 * k]]).toEqual([0, 0, 0]);
              continue;
            }
            visible++;
            const p = joint(b, sources, s, i);
            // 2D: project with the sample's recorded camera, then the recorded normalisation.
            const pc = apply(info.rotation, 9 * s, p).map((x, r) => x + info.translation[3 * s + r]!);
            const zRef =
              model === 'pinhole' ? pc[2]! : model === 'weak-perspective' ? cameraDistance(b, ds, s) : 1;
            const u = (f * pc[0]!) / zRef;
            const v = (f * pc[1]!) / zRef;
            const tol = (2e-5 * Math.max(1, Math.abs(u), Math.abs(v))) / info.scale2d[s]!;
            expect(
              Math.abs(b.points2d[2 * k]! - (u - info.center2d[2 * s]!) / info.scale2d[s]!),
            ).toBeLessThan(tol + 1e-5);
            expect(
              Math.abs(b.points2d[2 * k + 1]! - (v - info.center2d[2 * s + 1]!) / info.scale2d[s]!),
            ).toBeLessThan(tol + 1e-5);
            // Target: R (p − center3d) / scale3d.
            const d = apply(
              info.rotation,
              9 * s,
              [0, 1, 2].map((c) => p[c]! - info.center3d[3 * s + c]!),
            );
            for (let c = 0; c < 3; c++) {
              expect(Math.abs(b.target3d[3 * k + c]! - d[c]! / info.scale3d[s]!)).toBeLessThan(1e-5);
            }
          }
          expect(visible).toBe(info.numVisible[s]);
          expect(visible).toBeGreaterThanOrEqual(3);
          // Adjacency: bones of the dataset between visible slots, else kNN of the normalised 2D.
          if (ds.edges.length > 0) {
            for (let i = 0; i < N; i++)
              for (let l = 0; l < N; l++) {
                const ji = info.jointIndex[s * N + i]!;
                const jl = info.jointIndex[s * N + l]!;
                const bone =
                  b.mask[s * N + i] === 1 &&
                  b.mask[s * N + l] === 1 &&
                  ds.edges.some(([x, y]) => (x === ji && y === jl) || (x === jl && y === ji));
                expect(b.adj[(s * N + i) * N + l], `sample ${s} slots ${i},${l}`).toBe(
                  i === l || bone ? 1 : 0,
                );
              }
          } else {
            const want = knnAdjacency(
              { data: b.points2d.subarray(2 * s * N, 2 * (s + 1) * N), shape: [1, N, 2] },
              { data: b.mask.subarray(s * N, (s + 1) * N), shape: [1, N] },
            );
            expect(Array.from(b.adj.subarray(s * N * N, (s + 1) * N * N))).toEqual(Array.from(want.data));
          }
        }
      }
    },
  );

  it('permutes: slot order differs from joint order, every slot holds a distinct valid joint', () => {
    const b = batcher([{ dataset: body }], CLEAN, 9, 32, 20).next();
    let permuted = 0;
    for (let s = 0; s < 32; s++) {
      const ji = Array.from(b.info.jointIndex.subarray(s * 20, s * 20 + 17));
      expect([...ji].sort((x, y) => x - y)).toEqual([...Array(17).keys()]);
      if (ji.some((j, i) => j !== i)) permuted++;
    }
    expect(permuted).toBe(32);
    const kept = batcher([{ dataset: body }], { ...CLEAN, permute: false }, 9, 8, 20).next();
    for (let s = 0; s < 8; s++)
      expect(Array.from(kept.info.jointIndex.subarray(s * 20, s * 20 + 17))).toEqual([...Array(17).keys()]);
  });

  it('a rig gives the bones (must match the joint count); per-sequence edges are followed', () => {
    const rig = defineRig({
      id: 'test-star',
      category: 'human',
      joints: Array.from({ length: 17 }, (_, j) => `j${j}`),
      bones: Array.from({ length: 16 }, (_, j) => [`j0`, `j${j + 1}`] as const),
      citation: 'test',
    });
    const b = batcher([{ dataset: body, rig }], { ...CLEAN, permute: false }, 1, 4, 17).next();
    for (let j = 1; j < 17; j++) expect(b.adj[j]).toBe(1); // row 0: joint 0 linked to all
    expect(b.adj[17 + 2]).toBe(0); // joints 1-2: no bone in the star
    const wrong = { ...rig, numJoints: 5 } as typeof rig;
    expect(() => batcher([{ dataset: body, rig: wrong }])).toThrow(InputError);

    const perSeq = {
      ...fakeDataset({ name: 'markers', J: 6, F: 20, edges: [] }),
      sequences: [
        { id: 'a', start: 0, count: 10, split: 'train' as const, edges: [[0, 5]] as const },
        { id: 'b', start: 10, count: 10, split: 'train' as const, edges: [[1, 2]] as const },
      ],
    };
    const m = batcher([{ dataset: perSeq }], { ...CLEAN, permute: false }, 2, 32, 6).next();
    for (let s = 0; s < 32; s++) {
      const A = m.adj.subarray(s * 36, (s + 1) * 36);
      const first = m.info.frame[s]! < 10;
      expect([A[5], A[1 * 6 + 2]]).toEqual(first ? [1, 0] : [0, 1]);
    }
  });
});

/** Camera distance of sample s = the z of the kept points' centre = t_z + (R c)_z with c their mean. */
function cameraDistance(b: Batch, ds: FakeDataset, s: number): number {
  const N = b.maxPoints;
  const n = b.info.numPoints[s]!;
  const c = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const o = 3 * (b.info.frame[s]! * ds.numJoints + b.info.jointIndex[s * N + i]!);
    for (let r = 0; r < 3; r++) c[r]! += ds.points[o + r]! / n;
  }
  return apply(b.info.rotation, 9 * s, c)[2]! + b.info.translation[3 * s + 2]!;
}

describe('createBatcher: augmentation statistics', () => {
  it('occlusion: m = ⌊u · maxFraction · n⌋ of n, mean as predicted, never below 3 visible', () => {
    const J = 20;
    const ds = fakeDataset({ J, F: 30, seed: 4 });
    const bt = batcher([{ dataset: ds }], { ...CLEAN, occlusion: { maxFraction: 0.6 } }, 11, 64, 24);
    const hist = new Array(J + 1).fill(0);
    let total = 0;
    const batches = 60;
    for (let k = 0; k < batches; k++) {
      const b = bt.next();
      for (let s = 0; s < 64; s++) {
        const m = b.info.numPoints[s]! - b.info.numVisible[s]!;
        expect(b.info.numPoints[s]).toBe(J);
        hist[m]++;
        total += m;
      }
    }
    const draws = batches * 64;
    // m = ⌊12u⌋: uniform on 0..11, mean 5.5, sd √((12² − 1)/12).
    expect(hist.slice(12).every((c) => c === 0)).toBe(true);
    const sd = Math.sqrt((12 * 12 - 1) / 12);
    expect(Math.abs(total / draws - 5.5)).toBeLessThan((4 * sd) / Math.sqrt(draws));
    for (let m = 0; m < 12; m++) expect(hist[m] / draws).toBeGreaterThan(1 / 12 - 0.025);

    const tiny = fakeDataset({ J: 4, F: 10 });
    const tb = batcher([{ dataset: tiny }], { ...CLEAN, occlusion: { maxFraction: 0.6 } }, 1, 64, 8).next();
    for (let s = 0; s < 64; s++) expect(tb.info.numVisible[s]).toBeGreaterThanOrEqual(3);
  });

  it('occlusion.maxFraction up to MAX_OCCLUSION_FRACTION = 0.7 is allowed (≥ 3 stay visible), above is refused', () => {
    // The limit was raised from 0.6 to 0.7 (heavier occlusion as an augmentation); the ≥ 3 visible
    // points guarantee is unchanged.
    expect(MAX_OCCLUSION_FRACTION).toBe(0.7);
    expect(() => batcher([{ dataset: body }], { occlusion: { maxFraction: 0.75 } })).toThrow(
      /augment: occlusion.maxFraction must be in \[0, 0.7\]/,
    );
    const b = batcher([{ dataset: body }], { ...CLEAN, occlusion: { maxFraction: 0.7 } }, 2, 64, 20).next();
    let most = 0;
    for (let s = 0; s < 64; s++) {
      expect(b.info.numVisible[s]).toBeGreaterThanOrEqual(3);
      most = Math.max(most, b.info.numPoints[s]! - b.info.numVisible[s]!);
    }
    expect(most).toBeGreaterThan(0.6 * 17 - 1); // m = ⌊u · 0.7 · 17⌋ reaches 11 > ⌊0.6 · 17⌋
    const tiny = fakeDataset({ J: 4, F: 10 });
    const tb = batcher([{ dataset: tiny }], { ...CLEAN, occlusion: { maxFraction: 0.7 } }, 1, 64, 8).next();
    for (let s = 0; s < 64; s++) expect(tb.info.numVisible[s]).toBeGreaterThanOrEqual(3);
  });

  it('subsets: k uniform in [minPoints, n]; more valid joints than N → a random N of them', () => {
    const bt = batcher([{ dataset: body }], { ...CLEAN, subset: { minPoints: 5 } }, 8, 64, 32);
    const seen = new Set<number>();
    for (let k = 0; k < 20; k++) {
      const b = bt.next();
      for (let s = 0; s < 64; s++) {
        const n = b.info.numPoints[s]!;
        expect(n).toBeGreaterThanOrEqual(5);
        expect(n).toBeLessThanOrEqual(17);
        seen.add(n);
      }
    }
    expect(seen.size).toBe(13);

    const sub = batcher([{ dataset: big }], CLEAN, 2, 16, 64).next();
    const counts = new Int32Array(91);
    for (let s = 0; s < 16; s++) {
      expect(sub.info.numPoints[s]).toBe(64);
      const ji = Array.from(sub.info.jointIndex.subarray(s * 64, (s + 1) * 64));
      expect(new Set(ji).size).toBe(64);
      for (const j of ji) counts[j]!++;
    }
    expect(Math.min(...counts)).toBeGreaterThan(0); // not always the first 64
  });

  it('missing (NaN) joints never take a slot', () => {
    const b = batcher([{ dataset: face }], CLEAN, 3, 32, 32).next();
    for (let s = 0; s < 32; s++) {
      const n = b.info.numPoints[s]!;
      for (let i = 0; i < n; i++) {
        const j = b.info.jointIndex[s * 32 + i]!;
        expect(Number.isNaN(face.points[3 * (b.info.frame[s]! * 30 + j)])).toBe(false);
      }
      expect(b.info.numVisible[s]).toBe(n);
    }
  });

  it('rotations are uniform on SO(3): E[R] = 0, E[R²ᵢⱼ] = 1/3, E[tr R] = 0, E[(tr R)²] = 1', () => {
    const bt = batcher([{ dataset: body }], CLEAN, 21, 64, 20);
    const mean = new Float64Array(9);
    const sq = new Float64Array(9);
    let tr = 0;
    let tr2 = 0;
    const n = 50 * 64;
    for (let k = 0; k < 50; k++) {
      const R = bt.next().info.rotation;
      for (let s = 0; s < 64; s++) {
        for (let e = 0; e < 9; e++) {
          mean[e]! += R[9 * s + e]! / n;
          sq[e]! += R[9 * s + e]! ** 2 / n;
        }
        const t = R[9 * s]! + R[9 * s + 4]! + R[9 * s + 8]!;
        tr += t / n;
        tr2 += (t * t) / n;
      }
    }
    // Per entry: sd 1/√3 → 4 sd/√n ≈ 0.04.
    for (let e = 0; e < 9; e++) {
      expect(Math.abs(mean[e]!)).toBeLessThan(0.045);
      expect(Math.abs(sq[e]! - 1 / 3)).toBeLessThan(0.03);
    }
    expect(Math.abs(tr)).toBeLessThan(0.07);
    expect(Math.abs(tr2 - 1)).toBeLessThan(0.1);
    const none = batcher([{ dataset: body }], { ...CLEAN, rotation: 'none' }, 1, 4, 20).next();
    expect(Array.from(none.info.rotation.subarray(0, 9))).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('camera distance is uniform in [min, max] × the RMS radius of the kept joints', () => {
    const bt = batcher([{ dataset: body }], { ...CLEAN, distance: [2, 5] }, 1, 64, 20);
    const b = bt.next();
    let lo = Infinity;
    let hi = -Infinity;
    for (let s = 0; s < 64; s++) {
      const n = b.info.numPoints[s]!;
      const c = [0, 0, 0];
      const pts: number[][] = [];
      for (let i = 0; i < n; i++) pts.push(joint(b, [{ dataset: body }], s, i));
      for (const p of pts) for (let r = 0; r < 3; r++) c[r]! += p[r]! / n;
      const rms = Math.sqrt(
        pts.reduce((a, p) => a + (p[0]! - c[0]!) ** 2 + (p[1]! - c[1]!) ** 2 + (p[2]! - c[2]!) ** 2, 0) / n,
      );
      const ratio = cameraDistance(b, body, s) / rms;
      expect(ratio).toBeGreaterThanOrEqual(2 - 1e-9);
      expect(ratio).toBeLessThanOrEqual(5 + 1e-9);
      lo = Math.min(lo, ratio);
      hi = Math.max(hi, ratio);
    }
    expect(lo).toBeLessThan(2.3);
    expect(hi).toBeGreaterThan(4.7);
  });

  it('noise: std in normalised units is a fraction of the 2D scale; in pixels it is pixels', () => {
    const std = 0.02;
    const measure = (augment: AugmentOptions, units: 'normalized' | 'pixels') => {
      const clean = batcher([{ dataset: body }], { ...CLEAN, permute: false }, 77, 64, 20).next();
      const c = snapshot(clean) as { points2d: number[]; info: { scale2d: number[]; center2d: number[] } };
      const noisy = batcher([{ dataset: body }], { ...augment, permute: false }, 77, 64, 20).next();
      // Same seed, same draws up to the noise: compare in pixels.
      let ss = 0;
      let n = 0;
      for (let s = 0; s < 64; s++) {
        for (let i = 0; i < 17; i++) {
          for (let e = 0; e < 2; e++) {
            const k = 2 * (s * 20 + i) + e;
            const px = (x: number, sc: number, ce: number) => x * sc + ce;
            const a = px(c.points2d[k]!, c.info.scale2d[s]!, c.info.center2d[2 * s + e]!);
            const b = px(noisy.points2d[k]!, noisy.info.scale2d[s]!, noisy.info.center2d[2 * s + e]!);
            const unit = units === 'pixels' ? 1 : c.info.scale2d[s]!;
            ss += ((b - a) / unit) ** 2;
            n++;
          }
        }
      }
      return Math.sqrt(ss / n);
    };
    const rel = measure({ ...CLEAN, noise: { std, units: 'normalized' } }, 'normalized');
    expect(Math.abs(rel / std - 1)).toBeLessThan(0.06);
    const px = measure({ ...CLEAN, noise: { std: 3, units: 'pixels' } }, 'pixels');
    expect(Math.abs(px / 3 - 1)).toBeLessThan(0.06);
  });
});

describe('createBatcher: normalisation, target scale, padding', () => {
  it('points2d is core normalizeKeypoints of the sample; the target has visible mean 0 and RMS radius 1', () => {
    const sources: BatchSource[] = [{ dataset: body }, { dataset: face }, { dataset: big }];
    const b = batcher(sources, {}, 4, 32, 64).next();
    const N = 64;
    const again = normalizeKeypoints(
      { data: Float32Array.from(b.points2d), shape: [32, N, 2] },
      { data: b.mask, shape: [32, N] },
    );
    for (let s = 0; s < 32; s++) {
      // Already normalised: centre 0, max |coordinate| 1.
      expect(Math.abs(again.center.data[2 * s]!)).toBeLessThan(1e-6);
      expect(Math.abs(again.scale.data[s]! - 1)).toBeLessThan(1e-6);
      const m = [0, 0, 0];
      let ss = 0;
      const v = b.info.numVisible[s]!;
      for (let i = 0; i < N; i++) {
        if (b.mask[s * N + i] !== 1) continue;
        for (let c = 0; c < 3; c++) m[c]! += b.target3d[3 * (s * N + i) + c]! / v;
      }
      for (let i = 0; i < N; i++) {
        if (b.mask[s * N + i] !== 1) continue;
        for (let c = 0; c < 3; c++) ss += (b.target3d[3 * (s * N + i) + c]! - m[c]!) ** 2;
      }
      for (const x of m) expect(Math.abs(x)).toBeLessThan(1e-6);
      expect(Math.sqrt(ss / v)).toBeCloseTo(1, 5);
    }
  });

  it('adjacency is symmetric 0/1 with a full diagonal; padding rows only hold the diagonal', () => {
    const b = batcher([{ dataset: body }, { dataset: face }], {}, 6, 16, 40).next();
    const N = 40;
    for (let s = 0; s < 16; s++)
      for (let i = 0; i < N; i++)
        for (let j = 0; j < N; j++) {
          const a = b.adj[(s * N + i) * N + j]!;
          expect(a === 0 || a === 1).toBe(true);
          expect(a).toBe(b.adj[(s * N + j) * N + i]);
          if (i === j) expect(a).toBe(1);
          else if (b.mask[s * N + i] === 0) expect(a).toBe(0);
        }
  });

  it('errors: no sources, bad sizes, a source with no usable frame', () => {
    expect(() => createBatcher({ sources: [], batchSize: 4, maxPoints: 8 })).toThrow(InputError);
    expect(() => createBatcher({ sources: [{ dataset: body }], batchSize: 0, maxPoints: 8 })).toThrow(
      InputError,
    );
    expect(() => createBatcher({ sources: [{ dataset: body }], batchSize: 4, maxPoints: 2 })).toThrow(
      InputError,
    );
    const empty = fakeDataset({ J: 5, F: 4, missing: 1 });
    expect(() => createBatcher({ sources: [{ dataset: empty }], batchSize: 4, maxPoints: 8 })).toThrow(
      /no source with a frame/,
    );
    expect(() =>
      createBatcher({ sources: [{ dataset: body, split: 'test' }], batchSize: 4, maxPoints: 8 }),
    ).toThrow(InputError);
  });

  it('redraws unusable samples (coincident joints); gives up with DegenerateError when all are', () => {
    const ds = fakeDataset({ name: 'flat', J: 6, F: 20 });
    const points = Float32Array.from(ds.points);
    for (let f = 0; f < 10; f++) points.fill(3, 3 * f * 6, 3 * (f + 1) * 6); // frames 0–9: one point
    const b = batcher([{ dataset: { ...ds, points } }], CLEAN, 1, 64, 8).next();
    expect(Math.min(...b.info.frame)).toBeGreaterThanOrEqual(10);
    const all = { ...ds, points: new Float32Array(ds.points.length).fill(3) };
    expect(() => batcher([{ dataset: all }]).next()).toThrow(DegenerateError);
    expect(() => batcher([{ dataset: all }]).next()).toThrow(/flat frame \d+/);
  });

  it('DEFAULT_AUGMENT is what an empty augment means', () => {
    expect(DEFAULT_AUGMENT.rotation).toBe('uniform');
    expect(DEFAULT_AUGMENT.occlusion.maxFraction).toBeLessThanOrEqual(MAX_OCCLUSION_FRACTION);
    const a = snapshot(batcher([{ dataset: body }], {}, 3).next());
    const b = snapshot(batcher([{ dataset: body }], { ...DEFAULT_AUGMENT }, 3).next());
    expect(b).toEqual(a);
  });
});

describe('createBatcher: with every shape-space stage off, batches are bit-identical to before them', () => {
  // Hashes recorded from the batcher before the shape-space stages (boneScale, anisotropic, mirror,
  // rearticulate, knnGraph) were added: a disabled stage must draw no random number and change nothing.
  const sources: BatchSource[] = [{ dataset: body }, { dataset: face }, { dataset: big }];
  it('the default augment', () => {
    expect(batchesHash(batcher(sources, {}, 1, 16, 32), 3)).toBe(
      'ff441e7ac5fdb327a9bc6229d89d08c4f704e45a0695429946c8484a44c6f18f',
    );
  });
  it('cameras, noise, occlusion and subsets on', () => {
    const augment: AugmentOptions = {
      cameras: ['pinhole', 'weak-perspective', 'orthographic'],
      noise: { std: 0.01 },
      occlusion: { maxFraction: 0.5 },
      subset: { probability: 0.3 },
    };
    expect(batchesHash(batcher(sources, augment, 42, 16, 32), 3)).toBe(
      '33d438340393ca37029a60633fd99adec4b973e5e97dfdf95defa14486574e86',
    );
  });
  it('a rig source, pixel noise, no rotation, no permutation', () => {
    const rig = chainRig('test-hash-chain', 17, [[1, 2]]);
    const augment: AugmentOptions = { rotation: 'none', noise: { std: 2, units: 'pixels' }, permute: false };
    expect(batchesHash(batcher([{ dataset: body, rig }, { dataset: face }], augment, 7, 8, 24), 3)).toBe(
      '102913ea5c46f02f8733ef2c2abc20c9b18c76339e8695c894a962b7b4024cb5',
    );
  });
});
