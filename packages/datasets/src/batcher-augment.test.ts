import { InputError } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import type { AugmentOptions } from './augment.js';
import { type Batch, type BatchSource, createBatcher } from './batcher.js';
import { adjacencyFromBones, knnAdjacency } from './preprocess/graph.js';
import { writeMirrorPairs } from './preprocess/mirror-pairs.js';
import { preprocessKeypoints } from './preprocess/pad.js';
import { mirrorIndexOf } from './shape-augment.js';
import { batcher, big, body, CLEAN, chainRig, face } from './test-support/batches.js';
import { fakeDataset, snapshot } from './test-support/datasets.js';

describe('createBatcher: shape-space augmentation', () => {
  const shapeRig = chainRig('test-shape-chain', 17, [
    [1, 2],
    [3, 5],
    [10, 16],
  ]);
  const FIXED: AugmentOptions = { ...CLEAN, rotation: 'none', permute: false };

  it('every stage on: finite batches, ≥ 3 visible, unit-RMS targets, and a shape unlike the un-augmented one', () => {
    const perSeq = {
      ...fakeDataset({ name: 'markers', J: 8, F: 20, edges: [] }),
      symmetry: [[0, 1] as const],
      sequences: [
        { id: 'a', start: 0, count: 10, split: 'train' as const, edges: [[0, 5]] as const },
        { id: 'b', start: 10, count: 10, split: 'train' as const, edges: [[1, 2]] as const },
      ],
    };
    const faceSym = { ...face, symmetry: [[0, 1] as const, [2, 7] as const] };
    const sources: BatchSource[] = [
      { dataset: body, rig: shapeRig },
      { dataset: faceSym },
      { dataset: big },
      { dataset: perSeq },
    ];
    const stages: AugmentOptions[] = [
      { boneScale: {} },
      { anisotropic: { maxLog: 0.3 } },
      { mirror: {} },
      { rearticulate: { maxAngle: 90 } },
      { knnGraph: { probability: 0.5 } },
      {
        boneScale: { probability: 0.5, maxLog: 0.5 },
        anisotropic: { probability: 0.5 },
        mirror: { probability: 0.5 },
        rearticulate: { probability: 0.5, maxAngle: 180 },
        knnGraph: { probability: 0.3 },
        occlusion: { maxFraction: 0.7 },
      },
    ];
    for (const stage of stages) {
      const off = snapshot(batcher(sources, {}, 12, 32, 40).next());
      const bt = batcher(sources, stage, 12, 32, 40);
      for (let k = 0; k < 3; k++) {
        const b = bt.next();
        for (const a of [b.points2d, b.target3d, b.adj, b.info.center3d, b.info.scale3d]) {
          expect(a.every(Number.isFinite)).toBe(true);
        }
        for (let s = 0; s < 32; s++) {
          expect(b.info.numVisible[s]).toBeGreaterThanOrEqual(3);
          let ss = 0;
          for (let i = 0; i < 40; i++)
            for (let c = 0; c < 3; c++) ss += b.target3d[3 * (s * 40 + i) + c]! ** 2;
          expect(Math.sqrt(ss / b.info.numVisible[s]!)).toBeCloseTo(1, 4);
        }
        if (k === 0) {
          const on = snapshot(b) as { target3d: number[]; adj: number[] };
          const changed = stage.knnGraph && !stage.boneScale ? on.adj : on.target3d;
          expect(changed).not.toEqual(
            (off as typeof on)[stage.knnGraph && !stage.boneScale ? 'adj' : 'target3d'],
          );
        }
      }
    }
  });

  it("mirror: each joint takes its partner's place, reflected (same draws: probability 1 draws no coin)", () => {
    const sources: BatchSource[] = [{ dataset: body, rig: shapeRig }];
    const off = batcher(sources, FIXED, 4, 16, 20).next();
    const o = {
      t: Float32Array.from(off.target3d),
      p: Float32Array.from(off.points2d),
      m: Float32Array.from(off.mask),
    };
    const on = batcher(sources, { ...FIXED, mirror: {} }, 4, 16, 20).next();
    const partner = shapeRig.mirrorIndex;
    expect(Array.from(on.info.frame)).toEqual(Array.from(off.info.frame));
    for (let s = 0; s < 16; s++) {
      for (let i = 0; i < 17; i++) {
        const k = s * 20 + i;
        const m = s * 20 + partner[i]!;
        expect(on.mask[k]).toBe(o.m[m]);
        expect(on.target3d[3 * k]!).toBeCloseTo(-o.t[3 * m]!, 5);
        expect(on.target3d[3 * k + 1]!).toBeCloseTo(o.t[3 * m + 1]!, 5);
        expect(on.target3d[3 * k + 2]!).toBeCloseTo(o.t[3 * m + 2]!, 5);
        expect(on.points2d[2 * k]!).toBeCloseTo(-o.p[2 * m]!, 5);
        expect(on.points2d[2 * k + 1]!).toBeCloseTo(o.p[2 * m + 1]!, 5);
      }
    }
  });

  it('boneScale: bone lengths of the sample (no view rotation) change by factors within [e^−maxLog, e^maxLog]', () => {
    const maxLog = 0.3;
    const b = batcher([{ dataset: body }], { ...FIXED, boneScale: { maxLog } }, 5, 16, 20).next();
    const ratios = new Set<number>();
    for (let s = 0; s < 16; s++) {
      const f = b.info.frame[s]!;
      for (let j = 0; j < 16; j++) {
        const was = Math.hypot(
          ...[0, 1, 2].map(
            (c) => body.points[3 * (f * 17 + j + 1) + c]! - body.points[3 * (f * 17 + j) + c]!,
          ),
        );
        const now =
          b.info.scale3d[s]! *
          Math.hypot(
            ...[0, 1, 2].map(
              (c) => b.target3d[3 * (s * 20 + j + 1) + c]! - b.target3d[3 * (s * 20 + j) + c]!,
            ),
          );
        const r = now / was;
        expect(Math.abs(Math.log(r))).toBeLessThan(maxLog + 1e-4);
        ratios.add(Math.round(r * 1e3));
      }
    }
    expect(ratios.size).toBeGreaterThan(100);
  });

  it('knnGraph: a rig with bones gets the kNN graph of its 2D with the given probability', () => {
    const sources: BatchSource[] = [{ dataset: body, rig: shapeRig }];
    const kinds = (b: Batch) =>
      Array.from({ length: b.batchSize }, (_, s) => {
        const N = b.maxPoints;
        const block = Array.from(b.adj.subarray(s * N * N, (s + 1) * N * N));
        const mask = { data: b.mask.subarray(s * N, (s + 1) * N), shape: [1, N] };
        const knn = knnAdjacency(
          { data: b.points2d.subarray(2 * s * N, 2 * (s + 1) * N), shape: [1, N, 2] },
          mask,
        );
        const bones = adjacencyFromBones(shapeRig.boneIndices, mask, {
          jointIndex: { data: b.info.jointIndex.subarray(s * N, (s + 1) * N), shape: [1, N] },
        });
        const isKnn = block.every((x, i) => x === knn.data[i]);
        const isBones = block.every((x, i) => x === bones.data[i]);
        expect(isKnn !== isBones).toBe(true);
        return isKnn ? 'knn' : 'bones';
      });
    expect(new Set(kinds(batcher(sources, { knnGraph: {} }, 3, 32, 20).next()))).toEqual(new Set(['knn']));
    const half = kinds(batcher(sources, { knnGraph: { probability: 0.5 } }, 3, 64, 20).next());
    const n = half.filter((x) => x === 'knn').length;
    expect(n).toBeGreaterThan(16);
    expect(n).toBeLessThan(48);
  });

  it('an unknown rig: the training graph of a sample is the inference graph preprocessKeypoints builds', () => {
    // Bone-less sources, and a boned one with knnGraph on: both must get the graph the runtime builds
    // (preprocessKeypoints with no bones and the same k) from the same raw 2D. kNN is invariant to the
    // batcher's normalisation (a uniform scale and a translation), so reconstruct the raw 2D from
    // center2d/scale2d and let preprocessKeypoints normalise it again.
    const noBones = fakeDataset({ name: 'cloud', J: 20, F: 30, edges: [], seed: 8 });
    for (const [source, extra] of [
      [{ dataset: noBones }, {}],
      [{ dataset: body, rig: shapeRig }, { knnGraph: {} }],
    ] as [BatchSource, AugmentOptions][]) {
      for (const k of [3, 4]) {
        const N = 24;
        const b = createBatcher({
          sources: [source],
          batchSize: 16,
          maxPoints: N,
          augment: { ...CLEAN, permute: false, ...extra },
          seed: 9,
          knn: k,
        }).next();
        for (let s = 0; s < 16; s++) {
          const n = b.info.numPoints[s]!;
          const xy = new Float64Array(2 * n);
          for (let i = 0; i < n; i++)
            for (let c = 0; c < 2; c++)
              xy[2 * i + c] =
                b.points2d[2 * (s * N + i) + c]! * b.info.scale2d[s]! + b.info.center2d[2 * s + c]!;
          const mask = Float32Array.from(b.mask.subarray(s * N, s * N + n));
          const pre = preprocessKeypoints(
            { data: xy, shape: [1, n, 2] },
            { mask: { data: mask, shape: [1, n] }, size: N, k },
          );
          expect(Array.from(pre.adj.data), `sample ${s}, k ${k}`).toEqual(
            Array.from(b.adj.subarray(s * N * N, (s + 1) * N * N)),
          );
          for (let i = 0; i < 2 * N; i++)
            expect(Math.abs(pre.points.data[i]! - b.points2d[2 * s * N + i]!)).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('options are validated with one-line augment: errors; symmetry is only read when a stage needs it', () => {
    const bad: [AugmentOptions, RegExp][] = [
      [{ boneScale: { maxLog: 2 } }, /^augment: boneScale.maxLog must be in \[0, 1\]/],
      [{ boneScale: { probability: 1.5 } }, /^augment: boneScale.probability must be in \[0, 1\], got 1.5$/],
      [{ anisotropic: { maxLog: -0.1 } }, /^augment: anisotropic.maxLog/],
      [{ anisotropic: { probability: Number.NaN } }, /^augment: anisotropic.probability/],
      [{ mirror: { probability: -1 } }, /^augment: mirror.probability/],
      [{ rearticulate: { maxAngle: 200 } }, /^augment: rearticulate.maxAngle must be in \[0, 180\] degrees/],
      [{ knnGraph: { probability: 2 } }, /^augment: knnGraph.probability/],
    ];
    for (const [augment, message] of bad) {
      expect(() => batcher([{ dataset: body }], augment)).toThrow(InputError);
      expect(() => batcher([{ dataset: body }], augment)).toThrow(message);
    }
    const broken = { ...body, symmetry: [[0, 17] as const] };
    expect(() => batcher([{ dataset: broken }], {})).not.toThrow();
    expect(() => batcher([{ dataset: broken }], { mirror: {} })).toThrow(
      /source 0 \(body\) symmetry: mirror pair #0/,
    );
  });
});

describe('createBatcher: mirror pairs (BatcherOptions.pairs)', () => {
  const rig = chainRig('test-pairs-chain', 17, [
    [1, 2],
    [3, 5],
    [10, 16],
    [6, 7],
  ]);
  const faceSym = { ...face, symmetry: [[0, 1] as const, [2, 7] as const, [4, 29] as const] };
  // face has no symmetry and no rig: zero pairs; big (91 joints > N) is always subset.
  const sources: BatchSource[] = [
    { dataset: body, rig },
    { dataset: faceSym },
    { dataset: face },
    { dataset: big },
  ];
  const partnersOf = (s: number): ArrayLike<number> | null =>
    s === 0 ? rig.mirrorIndex : s === 1 ? mirrorIndexOf(faceSym.symmetry, 30) : null;
  const make = (augment: AugmentOptions, pairs: boolean) =>
    createBatcher({ sources, batchSize: 24, maxPoints: 12, augment, seed: 3, pairs });

  it('follow the slots through subsetting, permutation, occlusion and the mirror; the batches are otherwise unchanged', () => {
    const augment: AugmentOptions = {
      subset: { probability: 0.7, minPoints: 4 },
      occlusion: { maxFraction: 0.5 },
      mirror: { probability: 0.5 },
    };
    const on = make(augment, true);
    const off = make(augment, false);
    let kept = 0;
    let dropped = 0;
    for (let k = 0; k < 4; k++) {
      const b = on.next();
      const { pairs: _, ...rest } = snapshot(b);
      const plain = off.next();
      expect(plain.pairs).toBeUndefined();
      expect(rest).toEqual(snapshot(plain));
      const P = b.pairs!;
      const N = 12;
      for (let s = 0; s < 24; s++) {
        const partners = partnersOf(b.info.source[s]!);
        const slots = Array.from(b.info.jointIndex.subarray(s * N, (s + 1) * N));
        for (let i = 0; i < N; i++) {
          const row = Array.from(P.subarray((s * N + i) * N, (s * N + i + 1) * N));
          const j = slots[i]!;
          const want = new Array<number>(N).fill(0);
          if (j >= 0 && partners && partners[j] !== j) {
            const t = slots.indexOf(partners[j]!);
            if (t >= 0) {
              want[t] = 1;
              kept++;
            } else dropped++; // the partner was not kept: no pair
          }
          expect(row, `sample ${s}, slot ${i}`).toEqual(want);
        }
      }
    }
    // Both cases happened: partners kept together, and partners removed by the subsetting.
    expect(kept).toBeGreaterThan(20);
    expect(dropped).toBeGreaterThan(5);
  });

  it('a subset keeps the pair relations of kept joints and drops those of removed ones (writeMirrorPairs)', () => {
    const out = new Float32Array(25);
    // Slots hold joints 5, 1, 3, 2, padding of a rig with pairs 1 ↔ 2, 3 ↔ 5, 0 ↔ 4.
    writeMirrorPairs(out, [5, 1, 3, 2, -1], [4, 2, 1, 5, 0, 3]);
    const rows = Array.from({ length: 5 }, (_, i) => Array.from(out.subarray(5 * i, 5 * i + 5)));
    expect(rows).toEqual([
      [0, 0, 1, 0, 0],
      [0, 0, 0, 1, 0],
      [1, 0, 0, 0, 0],
      [0, 1, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
    // Drop joint 3 (slot 2 → joint 0, whose partner 4 is not kept): 5 loses its partner.
    writeMirrorPairs(out, [5, 1, 0, 2, -1], [4, 2, 1, 5, 0, 3]);
    expect(Array.from(out.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(out.subarray(10, 15))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(out.subarray(5, 10))).toEqual([0, 0, 0, 1, 0]);
    writeMirrorPairs(out, [5, 1, 0, 2, -1], null);
    expect(out.every((v) => v === 0)).toBe(true);
    expect(() => writeMirrorPairs(new Float32Array(24), [0, 1, 2, 3, 4], null)).toThrow(InputError);
  });
});
