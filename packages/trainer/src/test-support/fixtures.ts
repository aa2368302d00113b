/**
 * Test fixtures: tfjs on the cpu backend through the package's own loader, and small in-memory datasets.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@lfm/core';
import type { TfCore } from '@lfm/core/tfjs';
import { type BatcherOptions, type BatchSource, createBatcher } from '@lfm/datasets';
import { initParameters, type LifterConfig, resolveLifterConfig } from '@lfm/model';
import { afterAll, expect } from 'vitest';
import type { TrainableModel } from '../models.js';
import { createSyntheticDataset, type SyntheticDatasetOptions } from '../synthetic.js';
import { loadTfjsBackend } from '../tfjs-backend.js';
import { type MetricsEntry, OUTPUT_FILES, type TrainResult, trainGraph } from '../train.js';

/** The tiny camera-head lifter with 4-wide joint codes the `adapt` tests adapt (seconds per run). */
export const tinyAdaptConfig = (overrides: Partial<LifterConfig> = {}): LifterConfig =>
  resolveLifterConfig({
    dModel: 8,
    layers: 1,
    heads: 2,
    mlpRatio: 2,
    seed: 3,
    jointCodes: 4,
    head: 'camera',
    codedRigs: ['toy-known'],
    ...overrides,
  });

/** `tinyAdaptConfig` with its initial parameters: an `adapt` base. */
export const tinyAdaptBase = (overrides: Partial<LifterConfig> = {}) => {
  const config = tinyAdaptConfig(overrides);
  return { config, params: initParameters(config) };
};

let loaded: Promise<TfCore> | undefined;

/** tfjs with gradients on the cpu backend (deterministic, no wasm start-up), loaded once per test file. */
export function cpuTf(): Promise<TfCore> {
  loaded ??= loadTfjsBackend('cpu').then((r) => r.tf);
  return loaded;
}

export type ToyDatasetOptions = SyntheticDatasetOptions;

/**
 * A toy category: one random base shape, every frame = the base shape (plus `jitter`) in a random
 * orientation, scale and position — so its Procrustes mean is the base shape (`createSyntheticDataset`
 * with the name 'toy').
 */
export function toyDataset(options: ToyDatasetOptions = {}): ReturnType<typeof createSyntheticDataset> {
  return createSyntheticDataset({ name: 'toy', category: 'toy-category', ...options });
}

/** Collects what a ProgressStream receives. */
export function captureStream(isTTY = false): {
  write(s: string): boolean;
  isTTY: boolean;
  columns: number;
  text: () => string;
} {
  const parts: string[] = [];
  return {
    isTTY,
    columns: 100,
    write(s: string) {
      parts.push(s);
      return true;
    },
    text: () => parts.join(''),
  };
}

/** A fresh temporary directory per call (named `prefix`…), all removed after the file's tests. */
export function useTempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

/** The tests' tiny lifter: D = 16, one layer, two heads. */
export const TINY_LIFTER = {
  kind: 'lifter',
  dModel: 16,
  layers: 1,
  heads: 2,
  mlpRatio: 2,
  tpeSigma: 1,
  seed: 3,
} as const;

/**
 * Two toy rigs for the identity inputs: `paired` (7 named joints, two left/right pairs; `missing`
 * of its points hidden) and `unpaired` (6 joints, no names, no bones, another category).
 */
export function pairedToyDatasets(missing = 0.2) {
  const paired = {
    ...toyDataset({ name: 'toy-paired', J: 7, jitter: 0.3, missing, seed: 41 }),
    joints: ['hips', 'l_knee', 'r_knee', 'l_foot', 'r_foot', 'head', 'tail'],
    symmetry: [
      [1, 2],
      [3, 4],
    ] as [number, number][],
  };
  const unpaired = toyDataset({ name: 'toy-plain', category: 'other', J: 6, edges: [], seed: 42 });
  return { paired, unpaired };
}

/** Random parameters (not the init's zeros and ones), so every gradient carries signal; non-trainable ones (TPE) stay as initialised. */
export function randomModelParams(model: TrainableModel, seed: number): Record<string, Float32Array> {
  const rng = new Rng(seed);
  const params = model.init();
  for (const s of model.specs) {
    if (!s.trainable) continue;
    const fanIn = s.shape.length === 2 ? s.shape[0]! : 4;
    const base = s.name.endsWith('gamma') ? 1 : 0;
    params[s.name] = params[s.name]!.map(() => base + rng.normal() / Math.sqrt(fanIn));
  }
  return params;
}

/**
 * The identity-input run of the resume checks (12 graph-engine steps of the tiny lifter with joint
 * codes, code dropout, side codes and the mirror loss; validation every 4 steps, a log line every
 * step), into `outDir`; `extra` overrides.
 */
export function identityRunConfig(outDir: string, extra: Record<string, unknown> = {}) {
  return {
    model: { ...TINY_LIFTER, jointCodes: 4 },
    steps: 12,
    lr: 3e-3,
    warmupSteps: 3,
    jointCodeDropout: 0.5,
    sideCodes: 0.5,
    mirrorLoss: true,
    outDir,
    valInterval: 4,
    valSamples: 3,
    logInterval: 1,
    checkpointInterval: 0,
    progress: 'none',
    ...extra,
  };
}

/**
 * The resume check's three runs on the graph engine: `config(dir)` straight through (`full`), then
 * in a fresh `out` stopped by a signal after step `stopAt` (`first`), `between` (checks on what the
 * stopped run left in `out`), and resumed from its checkpoint (`resumed`).
 */
export async function trainStoppedAndResumed(
  datasets: Parameters<typeof trainGraph>[0]['datasets'],
  config: (outDir: string, extra?: Record<string, unknown>) => Parameters<typeof trainGraph>[0]['config'],
  stopAt: number,
  tmp: () => string,
  between?: (first: TrainResult, out: string) => void | Promise<void>,
): Promise<{ full: TrainResult; first: TrainResult; resumed: TrainResult; out: string }> {
  const full = await trainGraph({ datasets, config: config(tmp()) });
  const out = tmp();
  const abort = new AbortController();
  const first = await trainGraph({
    datasets,
    config: config(out),
    signal: abort.signal,
    onLog: (e) => {
      if (e.step === stopAt) abort.abort();
    },
  });
  await between?.(first, out);
  const resumed = await trainGraph({ datasets, config: config(out, { resume: true }) });
  return { full, first, resumed, out };
}

/**
 * Asserts a resumed run ends as the straight one did: the same Adam moments value for value, the
 * same last loss, and one metrics line per step 1…full.step in `out` (the stopped run's lines, then
 * the resumed run's appended).
 */
export function expectResumedLikeStraight(full: TrainResult, resumed: TrainResult, out: string): void {
  for (const k of ['m', 'v'] as const) {
    for (const [name, m] of Object.entries(full.optimizer[k])) {
      expect(Array.from(resumed.optimizer[k][name]!), `${k}.${name}`).toEqual(Array.from(m));
    }
  }
  expect(resumed.loss).toBe(full.loss);
  const steps = readFileSync(join(out, OUTPUT_FILES.metrics), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as MetricsEntry).step);
  expect(steps).toEqual(Array.from({ length: full.step }, (_, i) => i + 1));
}

/** Batches of 64 samples drawn from `datasets` (one source each), padded or subsampled to N points. */
export function toyBatcher(
  datasets: readonly BatchSource['dataset'][],
  N: number,
  seed: number,
  extra: Partial<BatcherOptions> = {},
): ReturnType<typeof createBatcher> {
  return createBatcher({
    sources: datasets.map((dataset) => ({ dataset })),
    batchSize: 64,
    maxPoints: N,
    seed,
    ...extra,
  });
}
