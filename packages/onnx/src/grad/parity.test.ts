import { type Ops, type Params, paramsFromRecord, Rng, type Shape, scopeParams } from '@lfm/core';
import {
  createReferenceOps,
  createReferenceParams,
  finiteDifferenceErrors,
  gradientError,
  maxAbs,
  refTensor,
} from '@lfm/core/testing';
import { createTfjsOps } from '@lfm/core/tfjs';
import * as tf from '@tensorflow/tfjs-core';
// @tensorflow/tfjs-core registers no gradients by itself.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { forwardLifter, type LifterConfig, parameterShapes, resolveLifterConfig } from '@lfm/model';
import { type LifterBatch, randomBatch } from '@lfm/model/testing';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTrainingGraph, checkModel, createOnnxRecorder, type Sym } from '../index.js';

// Gradient parity on composites, three ways: the ONNX training graph in onnxruntime-node (float32)
// vs tfjs autodiff (cpu, float32) vs central finite differences on the Float64 reference engine.
// Traced at B = 2, N = 5; run at other sizes, with masked (garbage, NaN) points.

const TRACE = { B: 2, N: 5 };
const TOL = 1e-4;
const refOps = createReferenceOps();
const tfOps = createTfjsOps(tf);

beforeAll(async () => {
  tf.enableProdMode(); // tfjs's documented switch: no "install tfjs-node" banner on the first write
  if (!(await tf.setBackend('cpu'))) throw new Error('tfjs cpu backend unavailable');
});

/**
 * A lifter batch (`randomBatch` of `@lfm/model/testing`: a chain graph plus one random edge per sample;
 * `absent` points masked, their coordinates garbage) with a random target [B, N, 3].
 */
type Batch = LifterBatch & { target: Float32Array };

function randomRun(seed: number, B: number, N: number, absent: readonly number[]): Batch {
  const rng = new Rng([seed, 1]);
  const target = Float32Array.from({ length: B * N * 3 }, () => rng.normal());
  return { ...randomBatch(seed, B, N, absent), target };
}

interface Tensors<T> {
  points: T;
  mask: T;
  adj: T;
  target: T;
}

/** Masked mean squared error: Σ mask·|pred − target|² / Σ mask. */
function maskedMse<T>(o: Ops<T>, pred: T, x: Tensors<T>): T {
  const err = o.mul(o.sub(pred, x.target), o.expandDims(x.mask, -1));
  return o.div(o.reduceSum(o.mul(err, err)), o.reduceSum(x.mask));
}

type LossProgram = <T>(o: Ops<T>, p: Params<T>, x: Tensors<T>) => T;

interface Model {
  name: string;
  shapes: Record<string, Shape>;
  trainable: string[];
  values: Record<string, Float32Array>;
  loss: LossProgram;
}

const relErr = gradientError;

const measured: Record<string, number> = {};
const note = (key: string, e: number) => {
  measured[key] = Math.max(measured[key] ?? 0, e);
};

/** The training graph of `m`: traced once, run at every size in `runs`, checked three ways. */
async function checkModelGradients(m: Model, runs: readonly Batch[], fdPerTensor: number): Promise<void> {
  const r = createOnnxRecorder({ dims: TRACE });
  const x: Tensors<Sym> = {
    points: r.input('points', ['B', 'N', 2]),
    mask: r.input('mask', ['B', 'N']),
    adj: r.input('adj', ['B', 'N', 'N']),
    target: r.input('target', ['B', 'N', 3]),
  };
  const loss = m.loss(r.ops, r.params(m.values), x);
  const tg = buildTrainingGraph(r, { loss, params: m.trainable });
  const bytes = tg.toModel();
  const summary = checkModel(bytes);
  expect(summary.inputs.find((v) => v.name === 'points')?.dims).toEqual(['B', 'N', 2]);
  expect(tg.unreachable).toEqual([]);
  const session = await ort.InferenceSession.create(bytes);

  for (const batch of runs) {
    const { B, N } = batch;
    const at = `${m.name} B=${B} N=${N}`;
    const feeds: Record<string, ort.Tensor> = {
      points: new ort.Tensor('float32', batch.points, [B, N, 2]),
      mask: new ort.Tensor('float32', batch.mask, [B, N]),
      adj: new ort.Tensor('float32', batch.adj, [B, N, N]),
      target: new ort.Tensor('float32', batch.target, [B, N, 3]),
    };
    for (const n of tg.paramNames) feeds[n] = new ort.Tensor('float32', m.values[n]!, [...m.shapes[n]!]);
    const out = await session.run(feeds);
    const ortLoss = (out[tg.lossName]!.data as Float32Array)[0]!;
    const ortGrad = (n: string) => out[tg.gradients[n]!]!.data as Float32Array;

    // tfjs autodiff of the same program.
    const tfx = tf.tidy(() => {
      const inputs: Tensors<tf.Tensor> = {
        points: tf.tensor(batch.points, [B, N, 2]),
        mask: tf.tensor(batch.mask, [B, N]),
        adj: tf.tensor(batch.adj, [B, N, N]),
        target: tf.tensor(batch.target, [B, N, 3]),
      };
      const fixed = Object.fromEntries(
        Object.keys(m.shapes)
          .filter((n) => !m.trainable.includes(n))
          .map((n) => [n, tf.tensor(m.values[n]!, [...m.shapes[n]!])]),
      );
      const f = (...ts: tf.Tensor[]) => {
        const record = { ...fixed, ...Object.fromEntries(m.trainable.map((n, i) => [n, ts[i]!])) };
        return m.loss(
          tfOps,
          paramsFromRecord(record, (t) => t.shape),
          inputs,
        );
      };
      const args = m.trainable.map((n) => tf.tensor(m.values[n]!, [...m.shapes[n]!]));
      const value = f(...args).dataSync()[0]!;
      const grads = tf
        .grads(f)(args)
        .map((g) => g.dataSync() as Float32Array);
      return { value, grads };
    });
    expect(Math.abs(ortLoss - tfx.value) / Math.abs(tfx.value), `${at}: loss vs tfjs`).toBeLessThan(1e-5);

    // Float64 reference loss, for finite differences.
    const refLoss = (values: Record<string, Float64Array | Float32Array>) => {
      const params = createReferenceParams(
        Object.fromEntries(Object.entries(m.shapes).map(([n, s]) => [n, refTensor(values[n]!, s)])),
      );
      const y = m.loss(refOps, params, {
        points: refTensor(batch.points, [B, N, 2]),
        mask: refTensor(batch.mask, [B, N]),
        adj: refTensor(batch.adj, [B, N, N]),
        target: refTensor(batch.target, [B, N, 3]),
      });
      return y.data[0]!;
    };
    const lossRef = refLoss(m.values);
    expect(Math.abs(ortLoss - lossRef) / Math.abs(lossRef), `${at}: loss vs reference`).toBeLessThan(1e-5);

    const rng = new Rng(B * 100 + N);
    const floor = 1e-3 * Math.max(...tfx.grads.map(maxAbs));
    m.trainable.forEach((n, t) => {
      const got = ortGrad(n);
      expect(got.length, `${at}: grad ${n} size`).toBe(m.values[n]!.length);
      const eTf = relErr(got, tfx.grads[t]!, floor);
      note(`${m.name}: ORT vs tfjs`, eTf);
      expect(eTf, `${at}: grad ${n} vs tfjs`).toBeLessThanOrEqual(TOL);

      // Central differences at sampled entries (all of them for small tensors), scaled by the tensor's
      // largest gradient entry.
      const [worst, worstTf] = finiteDifferenceErrors(
        (p) => refLoss({ ...m.values, [n]: p }),
        m.values[n]!,
        [got, tfx.grads[t]!],
        rng,
        fdPerTensor,
        floor,
      ) as [number, number];
      note(`${m.name}: ORT vs Float64 FD`, worst);
      note(`${m.name}: tfjs vs Float64 FD`, worstTf);
      expect(worst, `${at}: grad ${n} vs finite differences`).toBeLessThanOrEqual(TOL);
    });
  }
  await session.release();
}

// --- a small attention block with masks, written against Ops<T> here -----------------------------

const D = 8;
const H = 2;

function attention<T>(o: Ops<T>, p: Params<T>, x: T, bias: T): T {
  const dh = D / H;
  const split = (t: T) => o.transpose(o.reshape(t, [0, 0, H, dh]), [0, 2, 1, 3]);
  const q = split(o.mul(o.linear(x, p.get('wq', [D, D]), p.get('bq', [D])), 1 / Math.sqrt(dh)));
  const k = split(o.linear(x, p.get('wk', [D, D])));
  const v = split(o.linear(x, p.get('wv', [D, D]), p.get('bv', [D])));
  const scores = o.add(o.matMul(q, k, { transposeB: true }), o.expandDims(bias, 1));
  return o.reshape(o.transpose(o.matMul(o.softmax(scores), v), [0, 2, 1, 3]), [0, 0, -1]);
}

/** Embed → GELU → [global ‖ local] attention → project + residual → LayerNorm → decode; masked MSE. */
const attentionBlockLoss: LossProgram = (o, p, x) => {
  const present = o.expandDims(x.mask, -1); // [B, N, 1]
  const pts = o.where(present, x.points, 0);
  const h = o.gelu(o.linear(pts, p.get('embed.w', [2, D]), p.get('embed.b', [D])));
  const keys = o.expandDims(x.mask, 1); // [B, 1, N]
  const padding = o.mul(o.sub(keys, 1), 1e9); // [B, 1, N]
  const graph = o.mul(o.sub(o.add(o.mul(x.adj, keys), keys), 2), 1e9); // [B, N, N]
  const both = o.concat(
    [attention(o, scopeParams(p, 'global'), h, padding), attention(o, scopeParams(p, 'local'), h, graph)],
    -1,
  );
  const u = o.add(h, o.linear(both, p.get('proj.w', [2 * D, D]), p.get('proj.b', [D])));
  const y = o.add(o.layerNorm(u, p.get('norm.gamma', [D]), p.get('norm.beta', [D])), u);
  const pred = o.mul(o.linear(y, p.get('decode.w', [D, 3]), p.get('decode.b', [3])), present);
  return maskedMse(o, pred, x);
};

function attentionBlockModel(): Model {
  const shapes: Record<string, Shape> = {
    'embed.w': [2, D],
    'embed.b': [D],
    'proj.w': [2 * D, D],
    'proj.b': [D],
    'norm.gamma': [D],
    'norm.beta': [D],
    'decode.w': [D, 3],
    'decode.b': [3],
  };
  for (const s of ['global', 'local']) {
    for (const w of ['wq', 'wk', 'wv']) shapes[`${s}.${w}`] = [D, D];
    for (const b of ['bq', 'bv']) shapes[`${s}.${b}`] = [D];
  }
  const rng = new Rng(11);
  const values = Object.fromEntries(
    Object.entries(shapes).map(([n, s]) => {
      const size = s.reduce((a, b) => a * b, 1);
      const scale = n.endsWith('gamma') ? 0 : 1 / Math.sqrt(s[0]!);
      const offset = n.endsWith('gamma') ? 1 : 0;
      return [n, Float32Array.from({ length: size }, () => offset + (scale || 0.2) * rng.normal())];
    }),
  );
  return {
    name: 'attention block',
    shapes,
    trainable: Object.keys(shapes),
    values,
    loss: attentionBlockLoss,
  };
}

// --- the real lifter ------------------------------------------------------------------------------

function lifterModel(name: string, overrides: Partial<LifterConfig>): Model {
  const config = resolveLifterConfig({
    dModel: 8,
    layers: 1,
    heads: 2,
    mlpRatio: 2,
    tpeSigma: 1,
    seed: 5,
    ...overrides,
  });
  const specs = parameterShapes(config);
  const rng = new Rng(21);
  // Random values everywhere (not the init's zeros/ones), so every term carries signal.
  const values = Object.fromEntries(
    specs.map((s) => {
      const size = s.shape.reduce((a, b) => a * b, 1);
      const fanIn = s.shape.length === 2 ? s.shape[0]! : 4;
      const base = s.name.endsWith('gamma') ? 1 : 0;
      return [s.name, Float32Array.from({ length: size }, () => base + rng.normal() / Math.sqrt(fanIn))];
    }),
  );
  return {
    name,
    shapes: Object.fromEntries(specs.map((s) => [s.name, s.shape])),
    trainable: specs.filter((s) => s.trainable).map((s) => s.name),
    values,
    loss: (o, p, x) =>
      maskedMse(o, forwardLifter(o, p, { points: x.points, mask: x.mask, adj: x.adj }, config), x),
  };
}

describe('gradient parity: ONNX training graph vs tfjs autodiff vs Float64 finite differences', () => {
  const runs = [randomRun(1, 3, 6, [4, 7, 17]), randomRun(2, 2, 9, [0, 8, 10])];

  it('a masked two-branch attention block (every parameter)', async () => {
    await checkModelGradients(attentionBlockModel(), runs, 1e9);
  });

  it('the lifter: tpe / hybrid / paper (every parameter vs tfjs, sampled entries vs FD)', async () => {
    await checkModelGradients(lifterModel('lifter tpe/hybrid/paper', {}), runs, 12);
  });

  it('the lifter: mlp / hybrid / pre, two layers', async () => {
    const m = lifterModel('lifter mlp/hybrid/pre', { encoding: 'mlp', norm: 'pre', layers: 2 });
    await checkModelGradients(m, runs, 8);
  });

  afterAll(() => {
    for (const [k, e] of Object.entries(measured))
      console.log(`${k}: max relative error ${e.toExponential(2)}`);
  });
});
