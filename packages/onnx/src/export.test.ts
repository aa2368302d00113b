import { type Ops, type Params, Rng } from '@lfm/core';
import { createReferenceOps, createReferenceParams, refTensor } from '@lfm/core/testing';
import { createTfjsOps, createTfjsParams } from '@lfm/core/tfjs';
import { DEFAULT_KNN_K, decodeModel } from '@lfm/format';
import {
  CheckpointMismatchError,
  decodeCheckpoint,
  encodeCheckpoint,
  forwardLifter,
  type LifterConfig,
  parameterShapes,
} from '@lfm/model';
import { randomParams, tinyConfig } from '@lfm/model/testing';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkModel,
  createOnnxRecorder,
  exportLifter,
  LIFTER_FORMAT_VERSION,
  LIFTER_METADATA_KEYS,
  LifterFormatError,
  ONNX_OPSET,
  parseLifterMetadata,
  readModelMetadata,
} from './index.js';

beforeAll(async () => {
  tf.enableProdMode(); // tfjs's documented switch: no "install tfjs-node" banner on the first write
  await tf.setBackend('cpu');
});

const tiny = (o: Partial<LifterConfig> = {}) => tinyConfig({ seed: 3, ...o });

/** Random normalised points, a mask (≥ 1 present per sample) and a symmetric graph with self loops. */
function batch(seed: number, B: number, N: number) {
  const rng = new Rng(seed);
  const points = Float32Array.from({ length: B * N * 2 }, () => rng.range(-1, 1));
  const mask = Float32Array.from({ length: B * N }, (_, k) => (k % N === 0 || rng.uniform() < 0.8 ? 1 : 0));
  const adj = new Float32Array(B * N * N);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < N; i++) {
      adj[(b * N + i) * N + i] = 1;
      for (let j = i + 1; j < N; j++) {
        if (mask[b * N + i] && mask[b * N + j] && rng.uniform() < 0.3) {
          adj[(b * N + i) * N + j] = 1;
          adj[(b * N + j) * N + i] = 1;
        }
      }
    }
  const codes = Float32Array.from({ length: B * N * 3 }, () => rng.normal());
  // Mirror partners: a random matching of about two thirds of each sample's points.
  const pairs = new Float32Array(B * N * N);
  for (let b = 0; b < B; b++) {
    const order = rng.permutation(N);
    for (let t = 0; t + 1 < (2 * N) / 3; t += 2) {
      pairs[(b * N + order[t]!) * N + order[t + 1]!] = 1;
      pairs[(b * N + order[t + 1]!) * N + order[t]!] = 1;
    }
  }
  return { points, mask, adj, codes, pairs };
}

/** The lifter inputs `config` reads, made as tensors of an engine by `make`: adj unless global attention, codes (k = 3), pairs. */
function lifterInputs<T>(
  config: LifterConfig,
  x: ReturnType<typeof batch>,
  B: number,
  N: number,
  make: (data: Float32Array, shape: number[]) => T,
) {
  return {
    points: make(x.points, [B, N, 2]),
    mask: make(x.mask, [B, N]),
    ...(config.attention !== 'global' && { adj: make(x.adj, [B, N, N]) }),
    ...(config.jointCodes > 0 && { codes: make(x.codes, [B, N, 3]) }),
    ...(config.mirrorPairs && { pairs: make(x.pairs, [B, N, N]) }),
  };
}

/** `forwardLifter` of the batch on an engine: `tensor` makes its tensors, `params` its Params. */
function forwardOn<T>(
  ops: Ops<T>,
  params: (record: Record<string, T>) => Params<T>,
  tensor: (data: Float32Array, shape: number[]) => T,
  config: LifterConfig,
  p: Record<string, Float32Array>,
  x: ReturnType<typeof batch>,
  B: number,
  N: number,
): T {
  const record = Object.fromEntries(
    parameterShapes(config).map((s) => [s.name, tensor(p[s.name]!, [...s.shape])]),
  );
  return forwardLifter(ops, params(record), lifterInputs(config, x, B, N, tensor), config);
}

const tfjsForward = (
  ...a: [LifterConfig, Record<string, Float32Array>, ReturnType<typeof batch>, number, number]
) =>
  tf.tidy(
    () =>
      forwardOn(
        createTfjsOps(tf),
        createTfjsParams,
        (d, shape) => tf.tensor(d, shape),
        ...a,
      ).dataSync() as Float32Array,
  );

const refForward = (
  ...a: [LifterConfig, Record<string, Float32Array>, ReturnType<typeof batch>, number, number]
) => forwardOn(createReferenceOps(), createReferenceParams, refTensor, ...a).data;

/** The graph inputs every lifter with a local-attention branch has: points, mask, adj. */
const BASE_INPUTS = [
  ['points', ['B', 'N', 2]],
  ['mask', ['B', 'N']],
  ['adj', ['B', 'N', 'N']],
];

/** The model's `lfm.*` metadata with the JSON entry `key` replaced by `edit(parsed)`, parsed again. */
function parseEditedMetadata(
  model: Uint8Array,
  key: string,
  edit: (entry: Record<string, unknown>) => unknown,
) {
  const meta = readModelMetadata(model);
  return parseLifterMetadata({ ...meta, [key]: JSON.stringify(edit(JSON.parse(meta[key]!))) });
}

/**
 * Runs an exported model in onnxruntime-node on `batch(seed, B, N)` for each case and checks its
 * output [B, N, 3] against `forwardLifter` on tfjs and on the Float64 reference (1e-4). Returns the
 * batches and outputs, for further checks; releases the session.
 */
async function expectRuntimeParity(
  model: Uint8Array,
  config: LifterConfig,
  weights: Record<string, Float32Array>,
  cases: readonly (readonly [B: number, N: number, seed: number])[],
  more?: (
    session: ort.InferenceSession,
    x: ReturnType<typeof batch>,
    y: Float32Array,
    B: number,
    N: number,
  ) => Promise<void>,
): Promise<void> {
  const session = await ort.InferenceSession.create(model);
  for (const [B, N, seed] of cases) {
    const x = batch(seed, B, N);
    const out = (await session.run(feeds(config, x, B, N))).points3d!;
    const y = out.data as Float32Array;
    expect(out.dims).toEqual([B, N, 3]);
    expect(maxAbs(y, tfjsForward(config, weights, x, B, N))).toBeLessThan(1e-4);
    expect(maxAbs(y, refForward(config, weights, x, B, N))).toBeLessThan(1e-4);
    // Non-trivial outputs: the agreement is not 0 against 0.
    expect(maxAbs(y, new Float32Array(y.length))).toBeGreaterThan(1e-2);
    await more?.(session, x, y, B, N);
  }
  await session.release();
}

/** The ONNX feeds of a batch for `config`'s inputs: adj unless global attention, codes (k = 3) with joint codes, pairs with mirrorPairs. */
function feeds(config: LifterConfig, x: ReturnType<typeof batch>, B: number, N: number) {
  return lifterInputs(config, x, B, N, (d, shape) => new ort.Tensor('float32', d, shape));
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = d;
  }
  return m;
};

describe('exportLifter', () => {
  const config = tiny({ maxPoints: 64 });
  const weights = randomParams(config);
  const bytes = exportLifter({ config, params: weights });

  it('writes a model at ONNX_OPSET that passes checkModel, with dynamic B and N and weights as initializers', () => {
    const s = checkModel(bytes);
    expect(s.opsets['']).toBe(ONNX_OPSET);
    expect(s.inputs.map((v) => [v.name, v.dims])).toEqual(BASE_INPUTS);
    expect(s.outputs.map((v) => [v.name, v.dims])).toEqual([['points3d', ['B', 'N', 3]]]);
    const model = decodeModel(bytes);
    const init = new Set(model.graph!.initializer.map((t) => t.name));
    // Every parameter, the fixed TPE frequencies and phases included, is stored in the file.
    for (const spec of parameterShapes(config)) expect(init.has(spec.name), spec.name).toBe(true);
    expect(init.has('encoder.omega') && init.has('encoder.phase')).toBe(true);
    expect(s.producerName).toBe('@lfm/onnx');
  });

  it('stores the contract in metadata_props, and parseLifterMetadata reads it back', () => {
    const meta = readModelMetadata(bytes);
    const K = LIFTER_METADATA_KEYS;
    expect(meta[K.format]).toBe(`lfm-lifter/${LIFTER_FORMAT_VERSION}`);
    expect(JSON.parse(meta[K.config]!)).toEqual({ ...config });
    expect(meta[K.maxPoints]).toBe('64');
    expect(meta[K.producer]).toContain('exportLifter');
    const pre = JSON.parse(meta[K.preprocess]!);
    expect(pre.normalize).toMatchObject({
      center: 'visible-mean',
      scale: 'max-abs',
      range: [-1, 1],
      keepAspect: true,
    });
    expect(pre.adjacency).toMatchObject({ knnK: DEFAULT_KNN_K, selfLoops: 'all-slots', noBones: 'knn' });
    expect(pre.padding.mask).toMatch(/1 = present/);
    const info = parseLifterMetadata(meta);
    expect(info.config).toEqual(config);
    expect(info.maxPoints).toBe(64);
    expect(info.usesAdjacency).toBe(true);
    expect(info.knnK).toBe(DEFAULT_KNN_K);
    expect(info.io.inputs.map((i) => i.name)).toEqual(['points', 'mask', 'adj']);
  });

  it('runs in onnxruntime-node equal to forwardLifter on tfjs (cpu) and the Float64 reference', async () => {
    await expectRuntimeParity(bytes, config, weights, [
      [1, 3, 1],
      [3, 7, 2],
      [2, 33, 3],
    ]);
  });

  it.each([
    ['mlp encoding, local attention, pre-norm', { encoding: 'mlp', attention: 'local', norm: 'pre' }],
    ['global attention (no adj input)', { attention: 'global' }],
  ] as const)('exports the %s variant', async (_, o) => {
    const c = tiny(o as Partial<LifterConfig>);
    const w = randomParams(c, 5);
    const model = exportLifter({ config: c, params: w }, { knnK: 6 });
    const s = checkModel(model);
    const global = c.attention === 'global';
    expect(s.inputs.map((v) => v.name)).toEqual(global ? ['points', 'mask'] : ['points', 'mask', 'adj']);
    const info = parseLifterMetadata(readModelMetadata(model));
    expect(info.usesAdjacency).toBe(!global);
    expect(info.knnK).toBe(global ? 0 : 6);
    expect(info.preprocess.adjacency).toBe(global ? null : info.preprocess.adjacency);
    expect(info.maxPoints).toBeUndefined();
    await expectRuntimeParity(model, c, w, [[2, 9, 11]]);
  });

  it("exports a half-width hybrid (branchWidth 'half'): [D, D/2] branch weights, proj [D, D], equal outputs", async () => {
    const c = tiny({ branchWidth: 'half' });
    const w = randomParams(c, 8);
    const model = exportLifter({ config: c, params: w });
    checkModel(model);
    const init = new Map(decodeModel(model).graph!.initializer.map((t) => [t.name, t.dims.map(Number)]));
    expect(init.get('layers.0.local.wq')).toEqual([16, 8]);
    expect(init.get('layers.1.global.wv')).toEqual([16, 8]);
    expect(init.get('layers.0.proj.w')).toEqual([16, 16]);
    const info = parseLifterMetadata(readModelMetadata(model));
    expect(info.config.branchWidth).toBe('half');
    expect(info.usesAdjacency).toBe(true);
    // Smaller than the 'full' model of the same size (its branch weights and projection are halved).
    expect(model.length).toBeLessThan(
      exportLifter({ config: tiny(), params: randomParams(tiny(), 8) }).length,
    );
    await expectRuntimeParity(model, c, w, [
      [1, 4, 13],
      [3, 12, 14],
    ]);
  });

  it('exports a joint-code lifter: a codes [B, N, k] input, its contract, and equal outputs', async () => {
    const c = tiny({ jointCodes: 3, norm: 'pre', codedRigs: ['h36m-body', 'aflw-face'] });
    const w = randomParams(c, 6);
    const model = exportLifter({ config: c, params: w });
    const s = checkModel(model);
    expect(s.inputs.map((v) => [v.name, v.dims])).toEqual([...BASE_INPUTS, ['codes', ['B', 'N', 3]]]);
    const info = parseLifterMetadata(readModelMetadata(model));
    expect(info.jointCodes).toEqual({
      scheme: 'fnv1a-normal-v1',
      k: 3,
      rigs: ['h36m-body', 'aflw-face'],
      anatomical: false,
    });
    expect(info.preprocess.jointCodes).toMatchObject({ unknown: 'zeros' });
    await expectRuntimeParity(model, c, w, [[3, 11, 12]]);
    // A contract whose codes this build does not implement is refused.
    expect(() =>
      parseEditedMetadata(model, LIFTER_METADATA_KEYS.preprocess, (pre) => ({
        ...pre,
        jointCodes: { ...(pre.jointCodes as object), scheme: 'v9' },
      })),
    ).toThrow(/joint codes this build does not implement/);
  });

  it('exports a mirror-pair lifter: a pairs [B, N, N] input, its contract, and equal outputs', async () => {
    const c = tiny({ mirrorPairs: true, jointCodes: 3, norm: 'pre', maxPoints: 40 });
    const w = randomParams(c, 8);
    const model = exportLifter({ config: c, params: w });
    const s = checkModel(model);
    expect(s.inputs.map((v) => [v.name, v.dims])).toEqual([
      ...BASE_INPUTS,
      ['codes', ['B', 'N', 3]],
      ['pairs', ['B', 'N', 'N']],
    ]);
    const info = parseLifterMetadata(readModelMetadata(model));
    expect(info.mirrorPairs).toBe(true);
    expect(info.config.mirrorPairs).toBe(true);
    expect(info.preprocess.mirrorPairs).toMatchObject({ source: 'rig-mirror-pairs', unknown: 'zeros' });
    // A model without pairs: no input, no contract entry.
    const plain = parseLifterMetadata(readModelMetadata(exportLifter({ config, params: weights })));
    expect(plain.mirrorPairs).toBe(false);
    expect(plain.preprocess.mirrorPairs).toBeUndefined();
    expect(plain.io.inputs.map((v) => v.name)).not.toContain('pairs');
    await expectRuntimeParity(
      model,
      c,
      w,
      [
        [3, 11, 25],
        [2, 6, 20],
      ],
      async (session, x, y, B, N) => {
        // The pairs are read: zero pairs give another answer.
        const none = await session.run(feeds(c, { ...x, pairs: new Float32Array(B * N * N) }, B, N));
        expect(maxAbs(none.points3d!.data as Float32Array, y)).toBeGreaterThan(1e-3);
      },
    );
    // The metadata must declare the pairs input: a contract without it (or another pairs scheme) is refused.
    expect(() =>
      parseEditedMetadata(model, LIFTER_METADATA_KEYS.io, (io) => ({
        ...io,
        inputs: (io.inputs as { name: string }[]).filter((v) => v.name !== 'pairs'),
      })),
    ).toThrow(/expected \[points, mask, adj, codes, pairs\]/);
    expect(() =>
      parseEditedMetadata(model, LIFTER_METADATA_KEYS.preprocess, (pre) => ({ ...pre, mirrorPairs: null })),
    ).toThrow(/mirror pairs this build does not implement/);
  });

  it('exports a decoded checkpoint and keeps its training metadata', () => {
    const ckpt = decodeCheckpoint(
      encodeCheckpoint({ config, params: weights, metadata: { step: 1200, loss: 0.25 } }),
    );
    const model = exportLifter(ckpt, {
      producer: { name: 'lfm-cli', version: '1.2.3' },
      metadata: { note: 'x' },
    });
    const meta = readModelMetadata(model);
    expect(JSON.parse(meta[LIFTER_METADATA_KEYS.training]!)).toEqual({ step: 1200, loss: 0.25 });
    expect(meta.note).toBe('x');
    expect(meta[LIFTER_METADATA_KEYS.producer]).toBe('lfm-cli@1.2.3 exportLifter');
    expect(checkModel(model).producerVersion).toBe('1.2.3');
    expect(parseLifterMetadata(meta).training).toEqual({ step: 1200, loss: 0.25 });
  });

  it('rejects parameters that do not fit the config, bad knnK, and reserved metadata keys', () => {
    const { 'decoder.fc2.b': _, ...missing } = weights;
    expect(() => exportLifter({ config, params: missing })).toThrow(CheckpointMismatchError);
    expect(() => exportLifter({ config: tiny({ dModel: 32 }), params: weights })).toThrow(
      CheckpointMismatchError,
    );
    expect(() => exportLifter({ config, params: weights }, { knnK: 0 })).toThrow(/knnK/);
    expect(() => exportLifter({ config, params: weights }, { metadata: { 'lfm.config': '{}' } })).toThrow(
      /reserved/,
    );
  });
});

describe('parseLifterMetadata', () => {
  const meta = readModelMetadata(exportLifter({ config: tiny(), params: randomParams(tiny()) }));
  const K = LIFTER_METADATA_KEYS;
  const bad = (patch: Record<string, string | undefined>) => {
    const m: Record<string, string> = { ...meta };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete m[k];
      else m[k] = v;
    }
    return () => parseLifterMetadata(m, 'model.onnx');
  };

  it('names what is wrong, and the file', () => {
    expect(bad({ [K.format]: undefined })).toThrow(LifterFormatError);
    expect(bad({ [K.format]: undefined })).toThrow(/model\.onnx: not an LFM lifter: .*no 'lfm\.format'/);
    expect(bad({ [K.format]: 'yolo/3' })).toThrow(/not an LFM lifter/);
    expect(bad({ [K.format]: 'lfm-lifter/99' })).toThrow(/version 99, newer than this build reads/);
    expect(bad({ [K.config]: '{' })).toThrow(/'lfm\.config' is not valid JSON/);
    expect(bad({ [K.config]: '{"dModel": 15}' })).toThrow(/'lfm\.config' is invalid/);
    expect(bad({ [K.io]: '{"inputs": [{"name": "x", "dims": []}], "outputs": []}' })).toThrow(
      /inputs are \[x\], expected \[points, mask, adj\]/,
    );
    expect(bad({ [K.preprocess]: '{"normalize": {"center": "bbox"}}' })).toThrow(/normalisation/);
    expect(bad({ [K.maxPoints]: '-3' })).toThrow(/positive integer/);
    expect(bad({ [K.preprocess]: undefined })).toThrow(/lacks 'lfm\.preprocess'/);
    expect(
      bad({ [K.config]: JSON.stringify({ ...tiny(), branchWidth: 'half', attention: 'local' }) }),
    ).toThrow(/'lfm\.config' is invalid: branchWidth 'half'/);
  });

  it("reads a model exported before branchWidth existed as 'full'", () => {
    const { branchWidth, ...old } = JSON.parse(meta[K.config]!);
    expect(branchWidth).toBe('full');
    expect(parseLifterMetadata({ ...meta, [K.config]: JSON.stringify(old) }).config.branchWidth).toBe('full');
  });

  it('rejects an ONNX model without the contract (a foreign model)', () => {
    const r = createOnnxRecorder({ dims: { B: 2 } });
    r.output('y', r.ops.mul(r.input('x', ['B', 3]), 2));
    expect(() => parseLifterMetadata(readModelMetadata(r.toModel()))).toThrow(LifterFormatError);
  });
});
