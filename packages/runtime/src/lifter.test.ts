import { normalizeKeypoints, Rng } from '@lfm/core';
import {
  adjacencyFromBones,
  DEFAULT_KNN_K,
  type Edge,
  jointCodeTable,
  knnAdjacency,
  type PreprocessedKeypoints,
} from '@lfm/datasets/preprocess';
import { registerRig } from '@lfm/rig';
import { builtinRigs } from '@lfm/rigs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lifter, LiftResult, SessionFactory } from './index.js';
import { loadLifter as loadCoreLifter } from './lifter.js';
import * as nodeRuntime from './node.js';
import {
  forwardReference,
  forwardTfjs,
  makeModel,
  randomMask,
  randomPixels,
  type TestModel,
  useTfjsCpu,
} from './test-support/fixtures.js';
import * as webRuntime from './web.js';

beforeAll(useTfjsCpu);

const ENGINES = [
  ['onnxruntime-node', nodeRuntime.loadLifter],
  ['onnxruntime-web (wasm EP in Node, 1 thread)', webRuntime.loadLifter],
] as const;

const rigById = (id: string) => builtinRigs.find((r) => r.id === id)!;

/** One test sample: pixels, mask, and the rig/bones it is lifted with. */
interface Sample {
  points: ([number, number] | null)[];
  mask: number[];
  rig?: string;
  bones?: Edge[];
}

/**
 * The model input of ONE sample built independently of the runtime, from the training-side pieces:
 * core normalizeKeypoints, then adjacencyFromBones (rig bones) or knnAdjacency (no bones). No padding.
 */
function trainingPreprocess(s: Sample, knnK = DEFAULT_KNN_K): PreprocessedKeypoints {
  const N = s.points.length;
  const pts = new Float64Array(2 * N);
  s.points.forEach((p, i) => {
    if (p && s.mask[i]) pts.set(p, 2 * i);
  });
  const mask = { data: Float32Array.from(s.mask), shape: [1, N] };
  const norm = normalizeKeypoints({ data: pts, shape: [1, N, 2] }, mask);
  const bones = s.bones ?? (s.rig ? rigById(s.rig).boneIndices : []);
  const adj =
    bones.length > 0 ? adjacencyFromBones(bones, mask) : knnAdjacency(norm.points, mask, { k: knnK });
  return {
    points: { data: Float32Array.from(norm.points.data), shape: [1, N, 2] },
    mask,
    adj,
    center: norm.center,
    scale: norm.scale,
  };
}

/** A lift's points3d as a flat [N·3] array (0 where masked). */
const flat3 = (r: LiftResult) => r.points3d.flatMap((p) => p ?? [0, 0, 0]);

/** max |a − b| over the visible points of one lift result vs an oracle [1, N, 3]. */
function maxErr(r: LiftResult, want: ArrayLike<number>): number {
  let worst = 0;
  r.points3d.forEach((p, i) => {
    if (!p) return;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(p[c]! - want[3 * i + c]!);
      if (!(d <= worst)) worst = d;
    }
  });
  return worst;
}

/** Random samples: every built-in rig size class, rigs with and without bones, raw kNN, N = 3…133. */
function parityCases(seed: number): Sample[] {
  const rng = new Rng(seed);
  const out: Sample[] = [];
  const withRig = (id: string) => {
    const n = rigById(id).numJoints;
    const points: ([number, number] | null)[] = randomPixels(rng, n);
    const mask = randomMask(rng, n);
    mask.forEach((m, i) => {
      if (!m && rng.uniform() < 0.5) points[i] = null;
    });
    out.push({ points, mask, rig: id });
  };
  // Rigs with bones, and built-in rigs without bones (their graph is kNN).
  for (const id of [
    'coco-17',
    'h36m-17',
    'hand-21',
    'mediapipe-pose-33',
    'ibug-face-68',
    'coco-wholebody-133',
  ])
    withRig(id);
  for (const id of ['pascal3d-boat', 'pascal3d-aeroplane', 'frgc-face', 'torresani-shark']) withRig(id);
  // No rig at all: kNN, including N ≤ k + 1 (every visible pair linked) and the largest N.
  for (const n of [3, 4, 5, 6, 11, 29, 64, 100, 133]) {
    out.push({ points: randomPixels(rng, n), mask: randomMask(rng, n) });
  }
  // Explicit random bones (a tree) on a random N.
  const n = 3 + rng.int(60);
  const bones: Edge[] = Array.from({ length: n - 1 }, (_, i) => [i + 1, rng.int(i + 1)] as Edge);
  out.push({ points: randomPixels(rng, n), mask: randomMask(rng, n), bones });
  return out;
}

describe.each(ENGINES)('%s', (engine, loadLifter) => {
  let tinyModel: TestModel;
  let tiny: Lifter;
  const worst = { tfjs: 0, reference: 0 };

  beforeAll(async () => {
    tinyModel = makeModel();
    tiny = await loadLifter(tinyModel.bytes);
  });
  afterAll(async () => {
    console.log(
      `[parity] ${engine}, D=16 L=2: max |onnx − tfjs| = ${worst.tfjs.toExponential(2)}, ` +
        `max |onnx − Float64 reference| = ${worst.reference.toExponential(2)} (normalised units)`,
    );
    await tiny.release();
  });

  it('reports its engine and the model contract', () => {
    expect(tiny.runtime).toBe(engine.split(' ')[0]);
    expect(tiny.info.config).toEqual(tinyModel.config);
    expect(tiny.info.usesAdjacency).toBe(true);
  });

  it('lifts one sample at a time like tfjs and the Float64 reference run on the training preprocessing (N = 3…133)', async () => {
    for (const s of parityCases(101)) {
      const r = await tiny.lift(s.points, {
        mask: s.mask,
        ...(s.rig && { rig: s.rig }),
        ...(s.bones && { bones: s.bones }),
      });
      const pre = trainingPreprocess(s);
      const eTf = maxErr(r, forwardTfjs(tinyModel, pre));
      const eRef = maxErr(r, forwardReference(tinyModel, pre));
      worst.tfjs = Math.max(worst.tfjs, eTf);
      worst.reference = Math.max(worst.reference, eRef);
      const label = `N=${s.points.length} rig=${s.rig ?? (s.bones ? 'bones' : 'none')}`;
      expect(eTf, label).toBeLessThan(1e-4);
      expect(eRef, label).toBeLessThan(1e-4);
      expect(r.mask).toEqual(s.mask.map((m) => m === 1));
      r.points3d.forEach((p, i) => {
        expect(p === null, `${label} point ${i}`).toBe(s.mask[i] === 0);
      });
    }
  });

  it('lifts a batch of mixed N and rigs (padded to the largest N) like tfjs does each sample alone', async () => {
    const cases = parityCases(202);
    const results = await tiny.lift(
      cases.map((s) => s.points),
      {
        mask: cases.map((s) => s.mask),
        rig: cases.map((s) => s.rig),
        bones: cases.map((s) => s.bones),
      },
    );
    expect(results).toHaveLength(cases.length);
    cases.forEach((s, b) => {
      const e = maxErr(results[b]!, forwardTfjs(tinyModel, trainingPreprocess(s)));
      worst.tfjs = Math.max(worst.tfjs, e);
      expect(e, `sample ${b}, N=${s.points.length}`).toBeLessThan(1e-4);
      expect(results[b]!.points3d).toHaveLength(s.points.length);
    });
  });

  it('accepts one sample or a batch as nested arrays, Float32Array and Float64Array, with boolean or typed masks', async () => {
    const rng = new Rng(5);
    const samples = [0, 1, 2].map(() => randomPixels(rng, 17));
    const masks = samples.map(() => randomMask(rng, 17));
    const nested = await tiny.lift(samples, { rig: 'coco-17', mask: masks });
    const flat = Float32Array.from(samples.flat(2));
    const flatBatch = await tiny.lift(flat, {
      batch: 3,
      rig: 'coco-17',
      mask: Uint8Array.from(masks.flat()),
    });
    const single = await tiny.lift(Float64Array.from(samples[1]!.flat()), {
      rig: rigById('coco-17'),
      mask: masks[1]!.map((m) => m === 1),
    });
    expect(Array.isArray(single)).toBe(false);
    for (let b = 0; b < 3; b++) {
      expect(maxErr(flatBatch[b]!, flat3(nested[b]!))).toBeLessThan(1e-4);
    }
    expect(maxErr(single, flat3(nested[1]!))).toBeLessThan(1e-4);
  });

  it('ignores masked points entirely: their coordinates (even NaN) do not change the result', async () => {
    const rng = new Rng(8);
    const pts = randomPixels(rng, 21);
    const mask = randomMask(rng, 21, 3, 0.6);
    const a = await tiny.lift(pts, { mask, rig: 'hand-21' });
    const garbage = pts.map((p, i) => (mask[i] ? p : ([Number.NaN, 1e9 * rng.normal()] as [number, number])));
    const b = await tiny.lift(garbage, { mask, rig: 'hand-21' });
    const nulls = await tiny.lift(
      pts.map((p, i) => (mask[i] ? p : null)),
      { rig: 'hand-21' },
    );
    expect(b.points3d).toEqual(a.points3d);
    expect(nulls.points3d).toEqual(a.points3d);
  });

  it('is equivariant to permuting the points (kNN graph)', async () => {
    const rng = new Rng(9);
    const pts = randomPixels(rng, 30);
    const perm = rng.permutation(30);
    const a = await tiny.lift(pts);
    const b = await tiny.lift(Array.from(perm, (j) => pts[j]!));
    perm.forEach((j, i) => {
      for (let c = 0; c < 3; c++) expect(b.points3d[i]![c]).toBeCloseTo(a.points3d[j]![c]!, 4);
    });
  });

  it('recovers the orthographic camera by default: R, s, t map points3d onto the input pixels', async () => {
    const rng = new Rng(10);
    const pts = randomPixels(rng, 17);
    const mask = randomMask(rng, 17);
    const r = await tiny.lift(pts, { mask, rig: 'coco-17' });
    expect(r.pointsCamera).toBeUndefined();
    const cam = r.camera!;
    if (cam.kind !== 'ortho') throw new Error('expected the orthographic camera');
    expectRotation(cam.R);
    expect(cam.s).toBeGreaterThan(0);
    // rmse is the RMS distance between s·(R X)₀:₂ + t and the visible input points.
    let sse = 0;
    let n = 0;
    r.points3d.forEach((X, i) => {
      if (!X) return;
      const u = cam.s * dot(cam.R[0], X) + cam.t[0];
      const v = cam.s * dot(cam.R[1], X) + cam.t[1];
      sse += (u - pts[i]![0]) ** 2 + (v - pts[i]![1]) ** 2;
      n++;
    });
    expect(cam.rmse).toBeCloseTo(Math.sqrt(sse / n), 6);
    // Asking for the camera frame gives s·R X + [t, 0]: x, y are the reprojected pixels.
    const framed = await tiny.lift(pts, { mask, rig: 'coco-17', camera: { kind: 'ortho' } });
    framed.pointsCamera!.forEach((P, i) => {
      const X = framed.points3d[i];
      if (!X) {
        expect(P).toBeNull();
        return;
      }
      expect(P![0]).toBeCloseTo(cam.s * dot(cam.R[0], X) + cam.t[0], 6);
      expect(P![2]).toBeCloseTo(cam.s * dot(cam.R[2], X), 6);
    });
    expect((await tiny.lift(pts, { mask, rig: 'coco-17', camera: false })).camera).toBeNull();
  });

  it('recovers a perspective camera with intrinsics (PnP): points in front, reprojection = rmse', async () => {
    const rng = new Rng(11);
    const pts = randomPixels(rng, 33);
    const K = { focal: 1000, cx: 960, cy: 540 };
    const r = await tiny.lift(pts, { rig: 'mediapipe-pose-33', camera: { kind: 'persp', ...K } });
    const cam = r.camera!;
    if (cam.kind !== 'persp') throw new Error('expected the perspective camera');
    expectRotation(cam.R);
    expect([cam.fx, cam.fy, cam.cx, cam.cy]).toEqual([1000, 1000, 960, 540]);
    let sse = 0;
    r.pointsCamera!.forEach((P, i) => {
      const X = r.points3d[i]!;
      for (let c = 0; c < 3; c++) expect(P![c]).toBeCloseTo(dot(cam.R[c as 0 | 1 | 2], X) + cam.t[c]!, 6);
      expect(P![2]).toBeGreaterThan(0);
      const u = (cam.fx * P![0]) / P![2] + cam.cx;
      const v = (cam.fy * P![1]) / P![2] + cam.cy;
      sse += (u - pts[i]![0]) ** 2 + (v - pts[i]![1]) ** 2;
    });
    expect(cam.rmse).toBeCloseTo(Math.sqrt(sse / 33), 4);
    const same = await tiny.lift(pts, {
      rig: 'mediapipe-pose-33',
      camera: { fx: 1000, fy: 1000, cx: 960, cy: 540 },
    });
    expect(same.camera).toEqual(cam);
  });
});

describe.each(ENGINES)('%s, D=128 L=4 (the default size)', (engine, loadLifter) => {
  it.each([
    ['full-width branches', 'full', {}],
    ['half-width branches', 'half', { branchWidth: 'half' }],
    ['half-width branches, camera head', 'half', { branchWidth: 'half', head: 'camera' }],
  ] as const)('%s: matches tfjs and the Float64 reference to 1e-4 at N = 48', async (label, width, o) => {
    const model = makeModel({ dModel: 128, layers: 4, heads: 4, mlpRatio: 4, tpeSigma: 1, ...o }, 3);
    expect(model.config.branchWidth).toBe(width);
    const lifter = await loadLifter(model.bytes);
    const rng = new Rng(48);
    const bones: Edge[] = Array.from({ length: 47 }, (_, i) => [i + 1, rng.int(i + 1)] as Edge);
    const cases: Sample[] = [
      { points: randomPixels(rng, 48), mask: randomMask(rng, 48), bones },
      { points: randomPixels(rng, 48), mask: randomMask(rng, 48) },
    ];
    const results = await lifter.lift(
      cases.map((s) => s.points),
      { mask: cases.map((s) => s.mask), bones: cases.map((s) => s.bones) },
    );
    let eTf = 0;
    let eRef = 0;
    cases.forEach((s, b) => {
      const pre = trainingPreprocess(s);
      eTf = Math.max(eTf, maxErr(results[b]!, forwardTfjs(model, pre)));
      eRef = Math.max(eRef, maxErr(results[b]!, forwardReference(model, pre)));
    });
    console.log(
      `[parity] ${engine}, D=128 L=4 N=48, ${label}: max |onnx − tfjs| = ${eTf.toExponential(2)}, max |onnx − reference| = ${eRef.toExponential(2)}`,
    );
    expect(eTf).toBeLessThan(1e-4);
    expect(eRef).toBeLessThan(1e-4);
    await lifter.release();
  });
});

describe.each(ENGINES)('%s, a joint-code model', (_engine, loadLifter) => {
  it('feeds the codes of a rig the model knows, zeros for other rigs and for no rig (each as tfjs does)', async () => {
    const model = makeModel({
      jointCodes: 4,
      norm: 'pre',
      codedRigs: ['h36m-17', 'hand-21'],
    });
    const lifter = await loadLifter(model.bytes);
    expect(lifter.info.jointCodes).toEqual({
      scheme: 'fnv1a-normal-v1',
      k: 4,
      rigs: ['h36m-17', 'hand-21'],
      anatomical: false,
    });
    try {
      const rng = new Rng(41);
      const h36m: Sample = { points: randomPixels(rng, 17), mask: randomMask(rng, 17), rig: 'h36m-17' };
      const hand: Sample = { points: randomPixels(rng, 21), mask: randomMask(rng, 21), rig: 'hand-21' };
      const coco: Sample = { points: randomPixels(rng, 17), mask: randomMask(rng, 17), rig: 'coco-17' };
      const codesOf = (s: Sample) =>
        s.rig && ['h36m-17', 'hand-21'].includes(s.rig)
          ? jointCodeTable(s.rig, rigById(s.rig).joints, 4)
          : undefined;
      const singles: LiftResult[] = [];
      for (const s of [h36m, hand, coco]) {
        const got = await lifter.lift(s.points, { mask: s.mask, ...(s.rig && { rig: s.rig }) });
        const pre = trainingPreprocess(s);
        expect(maxErr(got, forwardTfjs(model, pre, codesOf(s)))).toBeLessThan(1e-4);
        singles.push(got);
      }
      // The codes matter: the same h36m points without the rig's codes (bones given explicitly) differ.
      const anonymous = await lifter.lift(h36m.points, {
        mask: h36m.mask,
        bones: rigById('h36m-17').boneIndices.map((e) => [...e] as Edge),
      });
      expect(maxErr(anonymous, flat3(singles[0]!))).toBeGreaterThan(1e-3);
      // A padded batch of mixed rigs gives each sample's single result.
      const batch = await lifter.lift([h36m.points, hand.points, coco.points], {
        mask: [h36m.mask, hand.mask, coco.mask],
        rig: ['h36m-17', 'hand-21', 'coco-17'],
      });
      for (const [b, r] of batch.entries()) expect(maxErr(r, flat3(singles[b]!))).toBeLessThan(1e-4);
    } finally {
      await lifter.release();
    }
  });
});

describe.each(ENGINES)('%s, a model coded for dataset rigs', (_engine, loadLifter) => {
  it("lifts a standard rig with the same joints as a coded dataset rig with that rig's codes", async () => {
    const model = makeModel({ jointCodes: 4, norm: 'pre', codedRigs: ['h36m-body', 'aflw-face'] });
    const lifter = await loadLifter(model.bytes);
    try {
      const rng = new Rng(43);
      const points = randomPixels(rng, 17);
      const mask = randomMask(rng, 17);
      const viaAlias = await lifter.lift(points, { mask, rig: 'h36m-17' });
      const direct = await lifter.lift(points, { mask, rig: 'h36m-body' });
      expect(maxErr(viaAlias, flat3(direct))).toBeLessThan(1e-6);
      const pre = trainingPreprocess({ points, mask, rig: 'h36m-17' });
      const bodyCodes = jointCodeTable('h36m-body', rigById('h36m-body').joints, 4);
      expect(maxErr(viaAlias, forwardTfjs(model, pre, bodyCodes))).toBeLessThan(1e-4);
      // The same points as coco-17 (no such alias): zero codes, another answer.
      const coco = await lifter.lift(points, { mask, rig: 'coco-17' });
      expect(
        maxErr(coco, forwardTfjs(model, trainingPreprocess({ points, mask, rig: 'coco-17' }))),
      ).toBeLessThan(1e-4);
      // ibug-face-68 takes aflw-face's codes.
      const face = randomPixels(rng, 68);
      const ibug = await lifter.lift(face, { rig: 'ibug-face-68' });
      expect(maxErr(ibug, flat3(await lifter.lift(face, { rig: 'aflw-face' })))).toBeLessThan(1e-6);
      expect(maxErr(ibug, flat3(await lifter.lift(face)))).toBeGreaterThan(1e-3);
    } finally {
      await lifter.release();
    }
  });
});

describe('onnxruntime-node sessions', () => {
  it("threads 'auto' runs small batches on 1 thread and large ones on more, with equal results", async () => {
    const model = makeModel({ attention: 'global', norm: 'pre', encoding: 'mlp' }, 4);
    const auto = await nodeRuntime.loadLifter(model.bytes);
    const two = await nodeRuntime.loadLifter(model.bytes, { threads: 2 });
    expect(auto.info.usesAdjacency).toBe(false);
    const rng = new Rng(12);
    const batch = Array.from({ length: 64 }, () => randomPixels(rng, 20));
    const big = await auto.lift(batch);
    const one = await auto.lift(batch[5]!);
    const other = await two.lift(batch);
    expect(maxErr(one, flat3(big[5]!))).toBeLessThan(1e-5);
    expect(maxErr(other[7]!, flat3(big[7]!))).toBeLessThan(1e-5);
    // Spin-waiting workers: another session factory, the same numbers.
    const spin = await nodeRuntime.loadLifter(model.bytes, { threads: 2, spinning: true });
    expect(spin.runtime).toBe('onnxruntime-node (spin-wait)');
    expect(maxErr((await spin.lift(batch))[7]!, flat3(big[7]!))).toBeLessThan(1e-5);
    await spin.release();
    // A global-attention model ignores the graph: the same for any rig.
    expect(maxErr(await auto.lift(batch[0]!, { bones: [[0, 1]] }), flat3(big[0]!))).toBeLessThan(1e-6);
    await auto.release();
    await two.release();
  });

  it('session options: graph optimisation all; no spin-waiting workers with more than one thread', () => {
    expect(nodeRuntime.nodeSessionOptions(1)).toEqual({
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    expect(nodeRuntime.nodeSessionOptions(2)).toMatchObject({
      intraOpNumThreads: 2,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    expect(nodeRuntime.nodeSessionOptions(4, true)).toMatchObject({
      extra: { session: { intra_op: { allow_spinning: '1' } } },
    });
  });
});

function dot(row: readonly number[], x: readonly number[]): number {
  return row[0]! * x[0]! + row[1]! * x[1]! + row[2]! * x[2]!;
}

function expectRotation(R: readonly (readonly number[])[]): void {
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) expect(dot(R[i]!, R[j]!)).toBeCloseTo(i === j ? 1 : 0, 9);
  const det =
    R[0]![0]! * (R[1]![1]! * R[2]![2]! - R[1]![2]! * R[2]![1]!) -
    R[0]![1]! * (R[1]![0]! * R[2]![2]! - R[1]![2]! * R[2]![0]!) +
    R[0]![2]! * (R[1]![0]! * R[2]![1]! - R[1]![1]! * R[2]![0]!);
  expect(det).toBeCloseTo(1, 9);
}

/** [N, N]: P[i, j] = 1 iff j = rig.mirrorIndex[i] ≠ i, built independently of the runtime. */
function pairsFromRig(rig: { readonly mirrorIndex: readonly number[] }): Float32Array {
  const N = rig.mirrorIndex.length;
  const P = new Float32Array(N * N);
  rig.mirrorIndex.forEach((m, i) => {
    if (m !== i) P[i * N + m] = 1;
  });
  return P;
}

describe.each(ENGINES)('%s, a mirror-pair model', (_engine, loadLifter) => {
  it("feeds a rig's mirror pairs, zeros without a rig (each as tfjs does); the pairs change the lift", async () => {
    const model = makeModel({ mirrorPairs: true, norm: 'pre' });
    const lifter = await loadLifter(model.bytes);
    try {
      expect(lifter.info.mirrorPairs).toBe(true);
      expect(lifter.info.io.inputs.map((s) => s.name)).toEqual(['points', 'mask', 'adj', 'pairs']);
      const rng = new Rng(47);
      const h36m: Sample = { points: randomPixels(rng, 17), mask: randomMask(rng, 17), rig: 'h36m-17' };
      const rig = rigById('h36m-17');
      expect(rig.mirror.length).toBeGreaterThan(0);
      const got = await lifter.lift(h36m.points, { mask: h36m.mask, rig: 'h36m-17' });
      const pre = trainingPreprocess(h36m);
      expect(maxErr(got, forwardTfjs(model, pre, undefined, pairsFromRig(rig)))).toBeLessThan(1e-4);
      // The same points and bones without the rig: no pairs known (zeros), another answer.
      const bones = rig.boneIndices.map((e) => [...e] as Edge);
      const anonymous = await lifter.lift(h36m.points, { mask: h36m.mask, bones });
      expect(maxErr(anonymous, forwardTfjs(model, pre))).toBeLessThan(1e-4);
      expect(maxErr(anonymous, flat3(got))).toBeGreaterThan(1e-3);
      // forward: pairs omitted = zeros; a wrong size is refused.
      const inputs = { points: pre.points.data, mask: pre.mask.data, adj: pre.adj.data, batch: 1 };
      expect(await lifter.forward(inputs)).toEqual(
        await lifter.forward({ ...inputs, pairs: new Float32Array(17 * 17) }),
      );
      await expect(lifter.forward({ ...inputs, pairs: new Float32Array(17) })).rejects.toThrow(
        /pairs have 17 values, need B·N·N = 289/,
      );
    } finally {
      await lifter.release();
    }
  });
});

describe('a mirror-pair model on a registered rig', () => {
  it('the fed pairs are the rig’s mirrorIndex, padded with zeros; a sample without a rig gets zeros', async () => {
    const rig = registerRig({
      id: 'test-runtime-mirror-crab',
      category: 'test',
      joints: ['body', 'l_claw', 'r_claw', 'l_leg', 'r_leg', 'tail'],
      bones: [
        ['body', 'l_claw'],
        ['body', 'r_claw'],
        ['body', 'l_leg'],
        ['body', 'r_leg'],
        ['body', 'tail'],
      ],
      mirror: [
        ['l_claw', 'r_claw'],
        ['r_leg', 'l_leg'],
      ],
      citation: 'test',
    });
    const fed: Float32Array[] = [];
    const spy: SessionFactory = {
      ...nodeRuntime.onnxruntimeNode,
      name: 'spy',
      async createSession(bytes, options) {
        const session = await nodeRuntime.onnxruntimeNode.createSession(bytes, options);
        return {
          inputNames: session.inputNames,
          outputNames: session.outputNames,
          release: () => session.release(),
          run: (feeds) => {
            fed.push(Float32Array.from(feeds.pairs!.data));
            expect(feeds.pairs!.dims).toEqual([2, 8, 8]);
            return session.run(feeds);
          },
        };
      },
    };
    const model = makeModel({ mirrorPairs: true });
    const lifter = await loadCoreLifter(model.bytes, { runtime: spy });
    try {
      const rng = new Rng(53);
      const crab = randomPixels(rng, 6);
      const other = randomPixels(rng, 8);
      const [lifted] = await lifter.lift([crab, other], { rig: ['test-runtime-mirror-crab', undefined] });
      expect(fed).toHaveLength(1);
      const want = new Float32Array(2 * 64);
      const P = pairsFromRig(rig);
      for (let i = 0; i < 6; i++) want.set(P.subarray(6 * i, 6 * i + 6), 8 * i);
      expect(Array.from(fed[0]!)).toEqual(Array.from(want));
      // claw ↔ claw and leg ↔ leg, both ways; body and tail on the centre line.
      expect(rig.mirrorIndex).toEqual([0, 2, 1, 4, 3, 5]);
      const pre = trainingPreprocess({
        points: crab,
        mask: [1, 1, 1, 1, 1, 1],
        bones: [...rig.boneIndices].map((e) => [...e] as Edge),
      });
      expect(maxErr(lifted!, forwardTfjs(model, pre, undefined, P))).toBeLessThan(1e-4);
    } finally {
      await lifter.release();
    }
  });
});
