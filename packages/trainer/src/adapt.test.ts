import { nd, Rng, randomRotation } from '@lfm/core';
import { createReferenceOps, createReferenceParams, type RefTensor, refTensor } from '@lfm/core/testing';
import { type Dataset, DEFAULT_KNN_K, preprocessKeypoints } from '@lfm/datasets';
import { readLifterWeights } from '@lfm/onnx';
import { describe, expect, it } from 'vitest';
import { adapt, exportAdaptedLifter, loadAdaptBase } from './adapt.js';
import { type AdaptSamples, adaptSamplesFromDataset } from './adapt-data.js';
import { adaptObjectiveOps, adaptTraceConfig, buildAdaptGraph } from './adapt-graph.js';
import { boneEdges } from './adapt-samples.js';
import { type AdaptWeights, DEFAULT_ADAPT_WEIGHTS, lastLayerParams } from './adapt-types.js';
import { encodeModelCheckpoint } from './checkpoint.js';
import { evaluate, type PredictBatch } from './evaluate.js';
import { createGraphPredictor, loadOnnxRuntime } from './graph-engine.js';
import { createModel } from './models.js';
import { createSyntheticDataset } from './synthetic.js';
import { captureStream, tinyAdaptBase } from './test-support/fixtures.js';

// `adapt` end to end on tiny lifters (seconds): the 3D never reaches the objective, the full
// objective's gradient with respect to the codes, what is trained, multi-view batches, the exported
// code tables, bad input.

const tinyBase = tinyAdaptBase;

/** A toy deformable rig with real cameras: views.f32 holds V orthographic (scaled) views of each frame. */
function multiViewDataset(options: { V?: number; J?: number; name?: string } = {}): Dataset {
  const J = options.J ?? 6;
  const V = options.V ?? 3;
  const toy = createSyntheticDataset({
    name: options.name ?? 'toy-cams',
    J,
    jitter: 0.2,
    train: 10,
    val: 0,
    test: 4,
  });
  const F = toy.frames;
  const data = new Float32Array(V * F * J * 2);
  const rng = new Rng(9);
  const R = new Float64Array(9);
  for (let v = 0; v < V; v++) {
    randomRotation(rng, R);
    for (let f = 0; f < F; f++) {
      for (let j = 0; j < J; j++) {
        const p = toy.points.subarray(3 * (f * J + j), 3 * (f * J + j) + 3);
        const w = 2 * ((v * F + f) * J + j);
        data[w] = 400 + 3 * (R[0]! * p[0]! + R[1]! * p[1]! + R[2]! * p[2]!);
        data[w + 1] = 300 + 3 * (R[3]! * p[0]! + R[4]! * p[1]! + R[5]! * p[2]!);
      }
    }
  }
  // Camera 2 misses joint 0 in frame 1.
  data.fill(Number.NaN, 2 * ((2 * F + 1) * J), 2 * ((2 * F + 1) * J) + 2);
  return {
    ...toy,
    dir: undefined,
    description: '',
    fps: null,
    joints: Array.from({ length: J }, (_, j) => `joint${j}`),
    symmetry: [],
    perSequenceEdges: false,
    meta: {},
    views: {
      count: V,
      kind: 'orthographic',
      cameraIds: Array.from({ length: V }, (_, v) => `cam${v}`),
      data,
    },
  };
}

const quiet = { progress: 'none' as const, threads: 1, logInterval: 2 };

describe('the 3D never reaches the objective', () => {
  it('real protocol: 3D all NaN from the start — the same adaptation, bit for bit', async () => {
    const ds = multiViewDataset();
    const poisoned = { ...ds, points: new Float32Array(ds.points.length).fill(Number.NaN) };
    const run = (d: Dataset) =>
      adapt({ base: tinyBase(), datasets: [d], protocol: 'real', steps: 3, batchSize: 6, ...quiet });
    const [a, b] = [await run(ds), await run(poisoned)];
    expect(Number.isFinite(a.final.total)).toBe(true);
    expect(Array.from(b.jointCodeTables['toy-cams']!.codes)).toEqual(
      Array.from(a.jointCodeTables['toy-cams']!.codes),
    );
    expect(b.history).toEqual(a.history.map((e) => ({ ...e, elapsedSec: expect.any(Number) })));
  });

  it('synthetic protocol: the 3D is NaN-poisoned as soon as the 2D is made — the same adaptation', async () => {
    const ds = createSyntheticDataset({ name: 'toy-rig', J: 7, jitter: 0.2, train: 12 });
    const clean = await adapt({ base: tinyBase(), datasets: [ds], steps: 3, batchSize: 8, ...quiet });
    // The first progress line comes as soon as the 2D is made (before the base model's predictions,
    // the prior and every step); from then on, the dataset's 3D is NaN.
    const points = ds.points.slice();
    const live = { ...ds, points };
    let writes = 0;
    const output = {
      write(text: string) {
        if (writes++ === 0) points.fill(Number.NaN);
        return text.length > 0;
      },
    };
    const poisoned = await adapt({
      base: tinyBase(),
      datasets: [live],
      steps: 3,
      batchSize: 8,
      ...quiet,
      progress: 'auto',
      output,
    });
    expect(writes).toBeGreaterThan(0);
    expect(points.every(Number.isNaN)).toBe(true);
    expect(Array.from(poisoned.jointCodeTables['toy-rig']!.codes)).toEqual(
      Array.from(clean.jointCodeTables['toy-rig']!.codes),
    );
  });

  it('the sample sets hold only 2D: no field of them is 3D', () => {
    const s = adaptSamplesFromDataset(multiViewDataset(), { protocol: 'real' });
    expect(Object.keys(s).sort()).toEqual(
      ['count', 'dropped', 'group', 'mask', 'numJoints', 'points2d', 'rig', 'source'].sort(),
    );
    expect(s.points2d.length).toBe(s.count * s.numJoints * 2);
    // The cameras of a frame share a group: the 10 train frames × 3 cameras.
    expect(s.count).toBe(30);
    expect(new Set(s.group).size).toBe(10);
  });
});

describe('the objective', () => {
  it("the graph engine's gradient with respect to the codes = finite differences of the Float64 objective (every term)", async () => {
    const { config, params } = tinyBase({ dModel: 16 });
    const ds = multiViewDataset({ V: 2, J: 5 });
    const s = adaptSamplesFromDataset(ds, { protocol: 'real' });
    const B = 4;
    const J = s.numJoints;
    const k = config.jointCodes;
    const idx = [0, 1, 2, 3]; // frames 0 and 1, two cameras each
    const p2 = new Float64Array(B * J * 2);
    const m = new Float32Array(B * J);
    idx.forEach((i, b) => {
      p2.set(s.points2d.subarray(2 * i * J, 2 * (i + 1) * J), 2 * b * J);
      for (let j = 0; j < J; j++) m[b * J + j] = s.mask[i * J + j]!;
    });
    const pre = preprocessKeypoints(nd(p2, [B, J, 2]), { mask: nd(m, [B, J]), bones: s.rig.bones });
    const rng = new Rng(3);
    const rotation = new Float32Array(B * 9);
    const R = new Float64Array(9);
    for (let b = 0; b < B; b++) rotation.set(randomRotation(rng, R), 9 * b);
    const data: Record<string, { data: Float32Array; shape: number[] }> = {
      points: { data: pre.points.data, shape: [B, J, 2] },
      mask: { data: pre.mask.data, shape: [B, J] },
      adj: { data: pre.adj.data, shape: [B, J, J] },
      codes: { data: Float32Array.from({ length: B * J * k }, () => 0.5 * rng.normal()), shape: [B, J, k] },
      base: { data: Float32Array.from({ length: B * J * 3 }, () => rng.normal()), shape: [B, J, 3] },
      partner: { data: Float32Array.from([0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0]), shape: [B, B] },
      rotation: { data: rotation, shape: [B, 3, 3] },
      reference: { data: Float32Array.from({ length: J * 3 }, () => rng.normal()), shape: [J, 3] },
      edges: { data: boneEdges(s.rig.bones, J), shape: [J, J] },
      target: { data: Float32Array.from({ length: B * J * 3 }, () => rng.normal()), shape: [B, J, 3] },
    };
    const weights: AdaptWeights = {
      reprojection: 1,
      multiView: 0.7,
      lowRank: 0.5,
      canonical: 0.3,
      base: 0.2,
      boneLength: 0.4,
      nrsfm: 0.6,
    };
    const graph = buildAdaptGraph(config, params, { weights, multiView: true, rank: 0, trainable: [] });
    expect(graph.terms).toEqual([
      'reprojection',
      'multiView',
      'lowRank',
      'canonical',
      'base',
      'boneLength',
      'nrsfm',
    ]);
    const ort = await loadOnnxRuntime();
    const session = await ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: 1 });
    const model = createModel({ kind: 'lifter', ...config });
    const feeds = Object.fromEntries([
      ...graph.paramNames.map((n) => {
        const spec = model.specs.find((x) => x.name === n)!;
        return [n, new ort.Tensor('float32', params[n]!, [...spec.shape])];
      }),
      ...Object.entries(data)
        .filter(([n]) => graph.inputs.includes(n))
        .map(([n, t]) => [n, new ort.Tensor('float32', t.data, t.shape)]),
    ]);
    const out = await session.run(feeds);
    await session.release();
    const got = out[graph.codesGrad]!.data as Float32Array;
    const lossGraph = (out[graph.lossName]!.data as Float32Array)[0]!;

    const ref = createReferenceOps();
    const refParams = createReferenceParams(
      Object.fromEntries(model.specs.map((spec) => [spec.name, refTensor(params[spec.name]!, spec.shape)])),
    );
    const objective = (codes: ArrayLike<number>) => {
      const t = (name: string) => refTensor(data[name]!.data, data[name]!.shape);
      const inputs: Record<string, RefTensor> = {
        points: t('points'),
        mask: t('mask'),
        adj: t('adj'),
        codes: refTensor(codes, [B, J, k]),
        base: t('base'),
        partner: t('partner'),
        rotation: t('rotation'),
        reference: t('reference'),
        edges: t('edges'),
        target: t('target'),
      };
      return adaptObjectiveOps(ref, refParams, inputs as never, adaptTraceConfig(config), weights).loss
        .data[0]!;
    };
    const codes = Float64Array.from(data.codes!.data);
    expect(Math.abs(lossGraph - objective(codes)) / objective(codes)).toBeLessThan(1e-4);
    const scale = Math.max(...Array.from(got, Math.abs));
    let worst = 0;
    for (let n = 0; n < 12; n++) {
      const i = rng.int(codes.length);
      const h = 1e-6;
      const plus = codes.slice();
      const minus = codes.slice();
      plus[i]! += h;
      minus[i]! -= h;
      const fd = (objective(plus) - objective(minus)) / (2 * h);
      worst = Math.max(worst, Math.abs(got[i]! - fd) / scale);
    }
    expect(worst).toBeLessThan(2e-3);
  });

  it('a term of weight 0 is not in the graph; all weights 0 is an error', () => {
    const { config, params } = tinyBase();
    const w = (o: Partial<AdaptWeights>) => ({ ...DEFAULT_ADAPT_WEIGHTS, ...o });
    const g = buildAdaptGraph(config, params, {
      weights: w({ canonical: 0 }),
      multiView: false,
      rank: 2,
      trainable: [],
    });
    expect(g.terms).toEqual(['reprojection', 'lowRank', 'base']);
    expect(g.inputs).not.toContain('rotation');
    expect(g.inputs).not.toContain('partner');
    expect(g.inputs).toContain('basis');
    expect(g.inputs).not.toContain('target');
    const zero = {
      reprojection: 0,
      multiView: 0,
      lowRank: 0,
      canonical: 0,
      base: 0,
      boneLength: 0,
      nrsfm: 0,
    };
    expect(() =>
      buildAdaptGraph(config, params, { weights: zero, multiView: true, rank: 2, trainable: [] }),
    ).toThrow(/every term has weight 0/);
  });
});

describe('what is adapted', () => {
  it("mode 'codes': only the rig's code table changes; the base weights are the same arrays, untouched", async () => {
    const base = tinyBase();
    const before = Object.fromEntries(Object.entries(base.params).map(([n, v]) => [n, v.slice()]));
    const r = await adapt({
      base,
      datasets: [multiViewDataset()],
      protocol: 'real',
      steps: 4,
      batchSize: 6,
      ...quiet,
    });
    for (const [n, v] of Object.entries(r.params)) expect(Array.from(v), n).toEqual(Array.from(before[n]!));
    expect(r.rigs).toEqual([
      { id: 'toy-cams', numJoints: 6, samples: 30, multiViewGroups: 10, init: 'zeros' },
    ]);
    const table = r.jointCodeTables['toy-cams']!;
    expect(table.joints).toEqual(['joint0', 'joint1', 'joint2', 'joint3', 'joint4', 'joint5']);
    expect(table.codes.some((v) => v !== 0)).toBe(true);
    expect(r.initial.multiView).not.toBeNull();
    expect(r.steps).toBe(4);
  });

  it('a mirror-pair base model is fed its rig’s mirror pairs (from the dataset’s symmetry)', async () => {
    const base = tinyBase({ mirrorPairs: true });
    const plain = multiViewDataset();
    const paired = { ...plain, symmetry: [[1, 2] as const, [3, 4] as const] };
    expect(Array.from(adaptSamplesFromDataset(paired, { protocol: 'real' }).rig.mirrorIndex!)).toEqual([
      0, 2, 1, 4, 3, 5,
    ]);
    expect(adaptSamplesFromDataset(plain, { protocol: 'real' }).rig.mirrorIndex).toBeUndefined();
    const run = (ds: Dataset) =>
      adapt({ base, datasets: [ds], protocol: 'real', steps: 2, batchSize: 6, ...quiet });
    const [withPairs, without] = [await run(paired), await run(plain)];
    expect(withPairs.jointCodeTables['toy-cams']!.codes.some((v) => v !== 0)).toBe(true);
    // The base model's lift (and so the objective) depends on the pairs it is fed.
    expect(withPairs.initial.reprojection).not.toBe(without.initial.reprojection);
  });

  it("mode 'last-layers': the last layer, final norm and decoder change, the rest do not", async () => {
    const base = tinyBase({ layers: 2 });
    const r = await adapt({
      base,
      datasets: [multiViewDataset()],
      protocol: 'real',
      mode: 'last-layers',
      steps: 3,
      batchSize: 6,
      layerLr: 1e-2,
      ...quiet,
    });
    const trained = lastLayerParams(base.config);
    expect(trained.some((n) => n.startsWith('layers.1.'))).toBe(true);
    expect(trained.some((n) => n.startsWith('layers.0.'))).toBe(false);
    expect(trained.some((n) => n.startsWith('encoder.'))).toBe(false);
    expect(trained).toContain('decoder.fc2.w');
    expect(trained).not.toContain('head.trust.w');
    for (const [n, v] of Object.entries(r.params)) {
      const same = v.every((x, i) => x === base.params[n]![i]);
      // decoder.fc2.b translates every point and the objective is centred: its gradient is 0.
      if (trained.includes(n) && n !== 'decoder.fc2.b') expect(same, n).toBe(false);
      if (!trained.includes(n)) expect(same, n).toBe(true);
    }
  });

  it('a rig the model was trained with starts from its codes; a model adapted before, from its table', async () => {
    const base = tinyBase();
    const known = createSyntheticDataset({ name: 'toy-known', J: 6, train: 8 });
    const r = await adapt({ base, datasets: [known], steps: 2, batchSize: 4, ...quiet });
    expect(r.rigs[0]!.init).toBe('coded');
    const again = await adapt({
      base: loadAdaptBase(exportAdaptedLifter(r)),
      datasets: [known],
      steps: 1,
      batchSize: 4,
      ...quiet,
    });
    expect(again.rigs[0]!.init).toBe('adapted');
  });
});

describe('the adapted model', () => {
  it('stores the table in its metadata, loads from .onnx and .ckpt alike, and evaluation uses the table', async () => {
    const base = tinyBase();
    const ds = multiViewDataset();
    const r = await adapt({ base, datasets: [ds], protocol: 'real', steps: 4, batchSize: 6, ...quiet });
    const bytes = exportAdaptedLifter(r);
    const w = readLifterWeights(bytes);
    expect(Array.from(w.jointCodeTables['toy-cams']!.codes)).toEqual(
      Array.from(r.jointCodeTables['toy-cams']!.codes),
    );
    expect(w.config).toEqual(r.config);
    for (const [n, v] of Object.entries(r.params)) expect(Array.from(w.params[n]!), n).toEqual(Array.from(v));
    expect((w.metadata as { adaptation: { steps: number } }).adaptation.steps).toBe(4);
    // A checkpoint base reads the same.
    const fromCkpt = loadAdaptBase(
      encodeModelCheckpoint({ config: { kind: 'lifter', ...base.config }, params: base.params }),
    );
    expect(fromCkpt.config).toEqual(base.config);

    const model = createModel({ kind: 'lifter', ...r.config });
    const predictor = await createGraphPredictor(model, r.params, { threads: 1 });
    let seen: Float32Array | undefined;
    const predict = (b: PredictBatch) => {
      seen ??= b.codes;
      return predictor(b);
    };
    const k = r.config.jointCodes;
    const report = await evaluate({
      predict,
      datasets: [ds],
      protocol: 'real',
      jointCodes: { k, rigs: r.config.codedRigs ?? [], tables: w.jointCodeTables },
    });
    const zeros = await evaluate({
      predict: predictor,
      datasets: [ds],
      protocol: 'real',
      jointCodes: { k, rigs: [] },
    });
    await predictor.dispose();
    expect(Array.from(seen!.subarray(0, 6 * k))).toEqual(Array.from(w.jointCodeTables['toy-cams']!.codes));
    expect(report.datasets[0]!.nPaMpjpe).not.toBe(zeros.datasets[0]!.nPaMpjpe);
  });
});

describe('bad input: one-line errors', () => {
  const base = tinyBase();
  const run = (o: Partial<Parameters<typeof adapt>[0]>) => adapt({ base, steps: 1, ...quiet, ...o });

  it('no 2D: real protocol on data without views.f32; no frames in the split', async () => {
    const ds = createSyntheticDataset({ name: 'no-views', J: 6 });
    await expect(run({ datasets: [ds], protocol: 'real' })).rejects.toThrow(
      /^no-views: no 2D from real cameras \(views\.f32\); use --protocol synthetic/,
    );
    const noTrain = createSyntheticDataset({ name: 'test-only', J: 6, train: 0 });
    await expect(run({ datasets: [noTrain] })).rejects.toThrow(
      /^test-only: no frames in split train \(the data has val, test\)$/,
    );
    await expect(run({})).rejects.toThrow(/no 2D to adapt on/);
  });

  it('fewer than 3 visible points in every frame', async () => {
    const ds = multiViewDataset();
    const views = ds.views!;
    const data = views.data.slice();
    const J = ds.numJoints;
    for (let i = 0; i < data.length / 2; i++) if (i % J >= 2) data.fill(Number.NaN, 2 * i, 2 * i + 2);
    await expect(run({ datasets: [{ ...ds, views: { ...views, data } }], protocol: 'real' })).rejects.toThrow(
      /^toy-cams: no camera view has 3 or more visible points/,
    );
  });

  it('a rig that disagrees with the data; two sets of one rig id with different joints', async () => {
    const s = adaptSamplesFromDataset(multiViewDataset(), { protocol: 'real' });
    const bad: AdaptSamples = { ...s, rig: { ...s.rig, joints: s.rig.joints.slice(0, 5) } };
    await expect(run({ samples: [bad] })).rejects.toThrow(
      /rig toy-cams has 5 joints, the samples 6 \(the rig must match the data\)/,
    );
    const other = adaptSamplesFromDataset(multiViewDataset({ J: 7 }), { protocol: 'real' });
    await expect(run({ samples: [s, other] })).rejects.toThrow(/rig toy-cams: .* have different joints/);
  });

  it('a model without joint codes; a bad weight', async () => {
    const ds = multiViewDataset();
    await expect(
      adapt({ base: tinyBase({ jointCodes: 0, codedRigs: [] }), datasets: [ds], protocol: 'real', ...quiet }),
    ).rejects.toThrow(/the base model has no joint-code input/);
    await expect(run({ datasets: [ds], protocol: 'real', weights: { base: -1 } })).rejects.toThrow(
      /weight base must be a number ≥ 0/,
    );
  });

  it('progress goes to the given stream', async () => {
    const out = captureStream();
    await adapt({
      base,
      datasets: [multiViewDataset()],
      protocol: 'real',
      steps: 2,
      batchSize: 6,
      threads: 1,
      output: out,
    });
    expect(out.text()).toMatch(
      /^adapt toy-cams: 30 samples of 6 joints, 10 multi-view frames, initial codes zeros$/m,
    );
    expect(out.text()).toMatch(/^done at step 2 in \d+s: loss /m);
  });
});

describe('the kNN graph of a rig without bones', () => {
  it("adapts with the base's knnK (a recipe's knn, an exported model's knnK) and the adapted model keeps it", async () => {
    const base = tinyBase({ codedRigs: [] });
    const ds = createSyntheticDataset({ name: 'toy-boneless', J: 8, edges: [], train: 12, val: 0, test: 2 });
    const run = (knnK?: number) =>
      adapt({
        base: { ...base, ...(knnK !== undefined && { knnK }) },
        datasets: [ds],
        steps: 2,
        batchSize: 6,
        ...quiet,
      });
    const k3 = await run(3);
    expect(k3.knnK).toBe(3);
    expect(readLifterWeights(exportAdaptedLifter(k3)).knnK).toBe(3);
    // Another graph, other lifts: the objective at the base differs.
    const k4 = await run();
    expect(k4.knnK).toBe(DEFAULT_KNN_K);
    expect(k3.initial.total).not.toBe(k4.initial.total);
    // Where the base's knnK comes from: a checkpoint's recipe, an exported model's metadata.
    const ckpt = encodeModelCheckpoint({
      config: { kind: 'lifter', ...base.config },
      params: base.params,
      metadata: { training: { knn: 3 } },
    });
    expect(loadAdaptBase(ckpt).knnK).toBe(3);
    expect(loadAdaptBase(exportAdaptedLifter(k3)).knnK).toBe(3);
    await expect(run(0)).rejects.toThrow(/knnK must be an integer ≥ 1, got 0/);
  });
});
