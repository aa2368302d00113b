/**
 * Test fixtures: seeded tiny lifters exported to ONNX, random 2D inputs in pixels, and the tfjs /
 * Float64-reference forward pass on the same preprocessed inputs (the parity oracle).
 */
import type { Rng } from '@lfm/core';
import { createReferenceOps, createReferenceParams, refTensor } from '@lfm/core/testing';
import { createTfjsOps, createTfjsParams } from '@lfm/core/tfjs';
import type { PreprocessedKeypoints } from '@lfm/datasets/preprocess';
import { forwardLifter, type LifterConfig, parameterShapes } from '@lfm/model';
import { randomParams, tinyConfig } from '@lfm/model/testing';
import { exportLifter } from '@lfm/onnx';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

export { tf };

export async function useTfjsCpu(): Promise<void> {
  tf.enableProdMode(); // tfjs's documented switch: no "install tfjs-node" banner on the first write
  if (!(await tf.setBackend('cpu'))) throw new Error('tfjs cpu backend unavailable');
}

export interface TestModel {
  readonly config: LifterConfig;
  readonly params: Record<string, Float32Array>;
  readonly bytes: Uint8Array;
}

/** A seeded lifter (biases and LayerNorm terms perturbed so every term carries signal), exported. */
export function makeModel(overrides: Partial<LifterConfig> = {}, seed = 1): TestModel {
  const config = tinyConfig(overrides);
  const params = randomParams(config, seed);
  return { config, params, bytes: exportLifter({ config, params }) };
}

/** N random 2D points in pixels (an image-sized cloud with its own centre and spread). */
export function randomPixels(rng: Rng, N: number): [number, number][] {
  const cx = rng.range(200, 1700);
  const cy = rng.range(200, 900);
  const sx = rng.range(20, 300);
  const sy = rng.range(20, 300);
  return Array.from({ length: N }, () => [cx + sx * rng.normal(), cy + sy * rng.normal()]);
}

/** A random 0/1 mask of N with at least `min` visible points. */
export function randomMask(rng: Rng, N: number, min = 3, pVisible = 0.8): number[] {
  const m = Array.from({ length: N }, (): number => (rng.uniform() < pVisible ? 1 : 0));
  const order = rng.permutation(N);
  let visible = m.reduce((a, b) => a + b, 0);
  for (let k = 0; visible < Math.min(min, N); k++) {
    if (m[order[k]!] === 0) {
      m[order[k]!] = 1;
      visible++;
    }
  }
  return m;
}

/** forwardLifter on tfjs (cpu, float32) for preprocessed inputs → [B, N, 3] (codes and pairs: zeros when omitted). */
export function forwardTfjs(
  model: TestModel,
  pre: PreprocessedKeypoints,
  codes?: Float32Array,
  pairs?: Float32Array,
): Float32Array {
  const [B, N] = pre.mask.shape as [number, number];
  return tf.tidy(() => {
    const params = createTfjsParams(
      Object.fromEntries(
        parameterShapes(model.config).map((s) => [s.name, tf.tensor(model.params[s.name]!, [...s.shape])]),
      ),
    );
    const y = forwardLifter(
      createTfjsOps(tf),
      params,
      {
        points: tf.tensor(pre.points.data, [B, N, 2]),
        mask: tf.tensor(pre.mask.data, [B, N]),
        ...(model.config.attention !== 'global' && { adj: tf.tensor(pre.adj.data, [B, N, N]) }),
        ...(model.config.jointCodes > 0 && {
          codes: tf.tensor(codes ?? new Float32Array(B * N * model.config.jointCodes), [
            B,
            N,
            model.config.jointCodes,
          ]),
        }),
        ...(model.config.mirrorPairs && {
          pairs: tf.tensor(pairs ?? new Float32Array(B * N * N), [B, N, N]),
        }),
      },
      model.config,
    );
    return y.dataSync() as Float32Array;
  });
}

/** forwardLifter on the Float64 reference engine for preprocessed inputs → [B, N, 3]. */
export function forwardReference(model: TestModel, pre: PreprocessedKeypoints): Float64Array {
  const [B, N] = pre.mask.shape as [number, number];
  const record = Object.fromEntries(
    parameterShapes(model.config).map((s) => [s.name, refTensor(model.params[s.name]!, s.shape)]),
  );
  return forwardLifter(
    createReferenceOps(),
    createReferenceParams(record),
    {
      points: refTensor(pre.points.data, [B, N, 2]),
      mask: refTensor(pre.mask.data, [B, N]),
      ...(model.config.attention !== 'global' && { adj: refTensor(pre.adj.data, [B, N, N]) }),
    },
    model.config,
  ).data;
}
