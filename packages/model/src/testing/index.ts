/**
 * `@lfm/model/testing`: the tiny seeded lifter the tests of the model, its export and its runtimes
 * share, and random batches of its inputs. Not part of the main entry (`@lfm/model`); pure (no tfjs, no onnxruntime).
 */
import { Rng } from '@lfm/core';
import { type LifterConfig, resolveLifterConfig } from '../config.js';
import { initParameters, parameterShapes } from '../lifter.js';

/** A tiny model: D = 16, L = 2, 4 heads, MLP ratio 2, TPE σ 2, seed 7 (overrides on top). */
export function tinyConfig(overrides: Partial<LifterConfig> = {}): LifterConfig {
  return resolveLifterConfig({
    dModel: 16,
    layers: 2,
    heads: 4,
    mlpRatio: 2,
    tpeSigma: 2,
    seed: 7,
    ...overrides,
  });
}

/**
 * The initial parameters of `config` with the trainable biases and LayerNorm terms (zeros / ones
 * at init) perturbed by N(0, 0.2²), drawn from `seed` in spec order, so every term carries signal.
 */
export function randomParams(config: LifterConfig, seed = 1): Record<string, Float32Array> {
  const values = initParameters(config);
  const rng = new Rng(seed);
  for (const s of parameterShapes(config)) {
    if (!s.trainable) continue;
    if (s.init.kind === 'zeros')
      values[s.name] = Float32Array.from(values[s.name]!, () => 0.2 * rng.normal());
    if (s.init.kind === 'ones')
      values[s.name] = Float32Array.from(values[s.name]!, () => 1 + 0.2 * rng.normal());
  }
  return values;
}

/** Lifter inputs of B samples of N points, as `forwardLifter` takes them (Float32, row-major). */
export interface LifterBatch {
  B: number;
  N: number;
  /** [B, N, 2] */
  points: Float32Array;
  /** [B, N] */
  mask: Float32Array;
  /** [B, N, N], symmetric, self loops */
  adj: Float32Array;
  /** [B, N, k] joint codes, for a config with `jointCodes` k > 0. */
  codes?: Float32Array;
  /** k of `codes`. */
  k?: number;
  /** [B, N, N] 0/1 mirror partners, for a config with `mirrorPairs`. */
  pairs?: Float32Array;
}

/**
 * Random points in [−1, 1]; `absent` flat point indices masked (their coordinates set to garbage);
 * a chain graph with self loops plus one random extra edge per sample.
 */
export function randomBatch(seed: number, B: number, N: number, absent: readonly number[] = []): LifterBatch {
  const rng = new Rng(seed);
  const points = Float32Array.from({ length: B * N * 2 }, () => rng.range(-1, 1));
  const mask = new Float32Array(B * N).fill(1);
  for (const k of absent) {
    mask[k] = 0;
    points[2 * k] = 1e3 * rng.normal();
    points[2 * k + 1] = Number.NaN;
  }
  const adj = new Float32Array(B * N * N);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < N; i++)
      for (let j = 0; j < N; j++) if (Math.abs(i - j) <= 1) adj[(b * N + i) * N + j] = 1;
    const i = rng.int(N);
    const j = rng.int(N);
    adj[(b * N + i) * N + j] = 1;
    adj[(b * N + j) * N + i] = 1;
  }
  return { B, N, points, mask, adj };
}
