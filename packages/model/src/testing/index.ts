/**
 * `@lfm/model/testing`: the tiny seeded lifter the tests of the model, its export and its runtimes
 * share. Not part of the main entry (`@lfm/model`); pure (no tfjs, no onnxruntime).
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
