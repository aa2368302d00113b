/**
 * Test harness: one lifter, two engines — tfjs (cpu backend, float32, autodiff) and the Float64
 * reference engine of `@lfm/core/testing`.
 */
import { Rng } from '@lfm/core';
import { createReferenceOps, createReferenceParams, type RefTensor, refTensor } from '@lfm/core/testing';
import { createTfjsOps, createTfjsParams } from '@lfm/core/tfjs';
import * as tf from '@tensorflow/tfjs-core';
// @tensorflow/tfjs-core registers no gradients by itself.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import type { LifterConfig } from '../config.js';
import { forwardLifter, parameterShapes } from '../lifter.js';
import type { LifterBatch as Batch } from '../testing/index.js';

export { randomBatch, randomParams, tinyConfig } from '../testing/index.js';
export type { Batch };
export { tf };
export const tfOps = createTfjsOps(tf);
export const refOps = createReferenceOps();

// tfjs on its cpu backend, set on import for every test file of the harness.
tf.enableProdMode(); // tfjs's documented switch: no "install tfjs-node" banner on the first write
if (!(await tf.setBackend('cpu'))) throw new Error('tfjs cpu backend unavailable');

/**
 * The batch with random mirror partners [B, N, N] (a random matching of about two thirds of each
 * sample's points, the rest unpaired; a masked point keeps its pairs, which must not count);
 * unchanged when `on` is false.
 */
export function withPairs(batch: Batch, on: boolean, seed: number): Batch {
  if (!on) return batch;
  const { B, N } = batch;
  const rng = new Rng(seed);
  const pairs = new Float32Array(B * N * N);
  for (let b = 0; b < B; b++) {
    const order = rng.permutation(N);
    const paired = 2 * Math.floor(N / 3);
    for (let t = 0; t + 1 < paired; t += 2) {
      const i = order[t]!;
      const j = order[t + 1]!;
      pairs[(b * N + i) * N + j] = 1;
      pairs[(b * N + j) * N + i] = 1;
    }
  }
  return { ...batch, pairs };
}

/** The batch with random joint codes [B, N, k] (garbage at masked points); unchanged for k = 0. */
export function withCodes(batch: Batch, k: number, seed: number): Batch {
  if (k === 0) return batch;
  const rng = new Rng(seed);
  const codes = Float32Array.from({ length: batch.B * batch.N * k }, () => rng.normal());
  for (let p = 0; p < batch.B * batch.N; p++)
    if (batch.mask[p] === 0) codes.fill(Number.NaN, p * k, (p + 1) * k);
  return { ...batch, codes, k };
}

/** The inputs of `forwardLifter` from a batch, as tensors of `make`. */
function inputsOf<T>(
  batch: Batch,
  make: (data: Float32Array, shape: number[]) => T,
  withAdj = true,
): { points: T; mask: T; adj?: T; codes?: T; pairs?: T } {
  const { B, N } = batch;
  return {
    points: make(batch.points, [B, N, 2]),
    mask: make(batch.mask, [B, N]),
    ...(withAdj && { adj: make(batch.adj, [B, N, N]) }),
    ...(batch.codes && { codes: make(batch.codes, [B, N, batch.k!]) }),
    ...(batch.pairs && { pairs: make(batch.pairs, [B, N, N]) }),
  };
}

/** The batch with points reordered: new point i is old point perm[i] (adjacency and pairs permuted both ways). */
export function permuteBatch(batch: Batch, perm: ArrayLike<number>): Batch {
  const { B, N } = batch;
  const out: Batch = {
    B,
    N,
    points: new Float32Array(batch.points.length),
    mask: new Float32Array(batch.mask.length),
    adj: new Float32Array(batch.adj.length),
  };
  const k = batch.k ?? 0;
  if (batch.codes) {
    out.codes = new Float32Array(batch.codes.length);
    out.k = k;
  }
  if (batch.pairs) out.pairs = new Float32Array(batch.pairs.length);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < N; i++) {
      const src = perm[i]!;
      out.codes?.set(batch.codes!.subarray((b * N + src) * k, (b * N + src + 1) * k), (b * N + i) * k);
      out.mask[b * N + i] = batch.mask[b * N + src]!;
      out.points[2 * (b * N + i)] = batch.points[2 * (b * N + src)]!;
      out.points[2 * (b * N + i) + 1] = batch.points[2 * (b * N + src) + 1]!;
      for (let j = 0; j < N; j++) out.adj[(b * N + i) * N + j] = batch.adj[(b * N + src) * N + perm[j]!]!;
      if (out.pairs)
        for (let j = 0; j < N; j++)
          out.pairs[(b * N + i) * N + j] = batch.pairs![(b * N + src) * N + perm[j]!]!;
    }
  return out;
}

/** The batch with `extra` padded points appended to every sample: garbage coordinates, random adjacency and pairs. */
export function padBatch(batch: Batch, extra: number, seed: number): Batch {
  const { B, N } = batch;
  const M = N + extra;
  const rng = new Rng(seed);
  const out: Batch = {
    B,
    N: M,
    points: new Float32Array(B * M * 2),
    mask: new Float32Array(B * M),
    adj: new Float32Array(B * M * M),
  };
  const k = batch.k ?? 0;
  if (batch.codes) {
    out.codes = Float32Array.from({ length: B * M * k }, () => 1e3 * rng.normal());
    out.k = k;
  }
  if (batch.pairs) out.pairs = new Float32Array(B * M * M);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < M; i++) {
      if (i < N) out.codes?.set(batch.codes!.subarray((b * N + i) * k, (b * N + i + 1) * k), (b * M + i) * k);
      if (i < N) {
        out.mask[b * M + i] = batch.mask[b * N + i]!;
        out.points.set(batch.points.subarray(2 * (b * N + i), 2 * (b * N + i) + 2), 2 * (b * M + i));
      } else {
        out.points[2 * (b * M + i)] = rng.uniform() < 0.5 ? Number.NaN : 1e4 * rng.normal();
        out.points[2 * (b * M + i) + 1] = 1e4 * rng.normal();
      }
      for (let j = 0; j < M; j++) {
        out.adj[(b * M + i) * M + j] =
          i < N && j < N ? batch.adj[(b * N + i) * N + j]! : rng.uniform() < 0.5 ? 1 : 0;
        if (out.pairs) {
          out.pairs[(b * M + i) * M + j] =
            i < N && j < N ? batch.pairs![(b * N + i) * N + j]! : rng.uniform() < 0.5 ? 1 : 0;
        }
      }
    }
  return out;
}

/** Forward on the Float64 reference engine → [B, N, 3] as Float64Array. */
export function forwardRef(
  config: LifterConfig,
  params: Readonly<Record<string, Float32Array | Float64Array>>,
  batch: Batch,
): Float64Array {
  const y = forwardLifter(refOps, referenceParams(config, params), inputsOf(batch, refTensor), config);
  return y.data;
}

/** The parameters of `config` present in `params`, as the reference engine's Params (Float64). */
export function referenceParams(
  config: LifterConfig,
  params: Readonly<Record<string, Float32Array | Float64Array>>,
) {
  const record: Record<string, RefTensor> = {};
  for (const s of parameterShapes(config)) {
    const v = params[s.name];
    if (v) record[s.name] = { data: Float64Array.from(v), shape: [...s.shape] };
  }
  return createReferenceParams(record);
}

/**
 * The reference engine's parameters and the batch's points, mask and adjacency as reference tensors
 * (no codes or pairs: for tests that add their own, or check that they are required).
 */
export function referenceLifterInputs(
  config: LifterConfig,
  params: Readonly<Record<string, Float32Array>>,
  batch: Batch,
): {
  params: ReturnType<typeof referenceParams>;
  inputs: { points: RefTensor; mask: RefTensor; adj: RefTensor };
} {
  const { B, N } = batch;
  return {
    params: referenceParams(config, params),
    inputs: {
      points: refTensor(batch.points, [B, N, 2]),
      mask: refTensor(batch.mask, [B, N]),
      adj: refTensor(batch.adj, [B, N, N]),
    },
  };
}

/** Forward on tfjs (float32) → [B, N, 3]. */
export function forwardTfjs(
  config: LifterConfig,
  params: Readonly<Record<string, Float32Array>>,
  batch: Batch,
  withAdj = true,
): Float32Array {
  return tf.tidy(() => {
    const p = createTfjsParams(
      Object.fromEntries(
        parameterShapes(config).map((s) => [s.name, tf.tensor(params[s.name]!, [...s.shape])]),
      ),
    );
    const y = forwardLifter(
      tfOps,
      p,
      inputsOf(batch, (d, s) => tf.tensor(d, s), withAdj),
      config,
    );
    return y.dataSync() as Float32Array;
  });
}

let varTag = 0;
/** Loss Σ W ⊙ Y and its tfjs autodiff gradient for every trainable parameter. */
export function tfjsLossAndGrads(
  config: LifterConfig,
  params: Readonly<Record<string, Float32Array>>,
  batch: Batch,
  weights: Float32Array,
): { loss: number; grads: Record<string, Float32Array> } {
  const tag = `grad${varTag++}`;
  const specs = parameterShapes(config);
  const tensors: Record<string, tf.Tensor> = {};
  const vars: tf.Variable[] = [];
  for (const s of specs) {
    const t = tf.tensor(params[s.name]!, [...s.shape]);
    if (s.trainable) {
      const v = tf.variable(t, true, `${tag}.${s.name}`);
      t.dispose();
      vars.push(v);
      tensors[s.name] = v;
    } else {
      tensors[s.name] = t;
    }
  }
  const { B, N } = batch;
  const out = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const y = forwardLifter(
        tfOps,
        createTfjsParams(tensors),
        inputsOf(batch, (d, s) => tf.tensor(d, s)),
        config,
      );
      return tf.sum(tf.mul(y, tf.tensor(weights, [B, N, 3]))) as tf.Scalar;
    }, vars);
    const g: Record<string, Float32Array> = {};
    for (const s of specs) if (s.trainable) g[s.name] = grads[`${tag}.${s.name}`]!.dataSync() as Float32Array;
    return { loss: value.dataSync()[0]!, grads: g };
  });
  tf.dispose(Object.values(tensors));
  return out;
}

/** Σ W ⊙ Y on the Float64 reference engine. */
export function refLoss(
  config: LifterConfig,
  params: Readonly<Record<string, Float32Array | Float64Array>>,
  batch: Batch,
  weights: Float32Array,
): number {
  return forwardRef(config, params, batch).reduce((s, v, i) => s + v * weights[i]!, 0);
}

/** max |a − b| over the entries where `keep` (per point, 3 values each) is true. */
export function maxDiff(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  keep?: (point: number) => boolean,
): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (keep && !keep(Math.floor(i / 3))) continue;
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= worst)) worst = d;
  }
  return worst;
}
