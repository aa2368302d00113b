import { join } from 'node:path';
import { createBatcher } from '@lfm/datasets';
import { describe, expect, it } from 'vitest';
import { loadModelCheckpoint } from './checkpoint.js';
import type { PredictBatch } from './evaluate.js';
import { createGraphPredictor } from './graph-engine.js';
import { cpuTf, toyDataset, useTempDirs } from './test-support/fixtures.js';
import { createTfjsPredictor } from './tfjs-engine.js';
import { type TrainResult, trainGraph, trainTfjs } from './train.js';

// The two engines run the same loop on the same data: their loss curves agree, their checkpoints are
// interchangeable (resume on either), and they predict the same outputs from the same parameters.

const tf = await cpuTf();
const tmp = useTempDirs('lfm-engines-');

const datasets = [
  toyDataset({ name: 'bones', J: 7, jitter: 0.3, missing: 0.2, train: 24, seed: 31 }),
  toyDataset({ name: 'knn', category: 'other', J: 9, edges: [], jitter: 0.3, train: 24, seed: 32 }),
];
/** Few fixed views (no random rotation, noise or occlusion), so 50 steps visibly fit them. */
const augment = {
  rotation: 'none',
  distance: [6, 6],
  noise: { std: 0 },
  occlusion: { probability: 0, maxFraction: 0 },
};
const config = (extra: Record<string, unknown> = {}) => ({
  model: { kind: 'lifter', dModel: 16, layers: 1, heads: 2, mlpRatio: 2, seed: 4 },
  steps: 50,
  batchSize: 8,
  maxPoints: 8,
  augment,
  lr: 1e-2,
  warmupSteps: 5,
  valInterval: 0,
  logInterval: 1,
  checkpointInterval: 0,
  progress: 'none',
  threads: 1,
  ...extra,
});
const runOn = async (engine: 'graph' | 'tfjs', extra: Record<string, unknown> = {}, stopAt?: number) => {
  const losses: number[] = [];
  const abort = new AbortController();
  const options = {
    datasets,
    config: config(extra),
    signal: abort.signal,
    onLog: (e: { step: number; loss: number }) => {
      losses.push(e.loss);
      if (e.step === stopAt) abort.abort();
    },
  };
  const result: TrainResult =
    engine === 'graph' ? await trainGraph(options) : await trainTfjs({ ...options, tf });
  return { result, losses };
};
const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('graph engine and tfjs engine', () => {
  it('have the same loss curve over the first 50 steps (same seed, data and init)', async () => {
    const graph = await runOn('graph');
    const tfjs = await runOn('tfjs');
    expect(graph.result.engine).toBe('graph-onnxruntime');
    expect(tfjs.result.engine).toBe('tfjs-cpu');
    expect(graph.losses).toHaveLength(50);
    // float32 with different summation orders (onnxruntime's kernels vs tfjs's) differs by ~1e-7 per
    // step, and Adam carries it forward: 1e-3 relative per step leaves room for 50 steps of that drift.
    const diffs = graph.losses.map((l, k) => relDiff(l, tfjs.losses[k]!));
    expect(Math.max(...diffs)).toBeLessThanOrEqual(1e-3);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(graph.losses.slice(40))).toBeLessThan(0.8 * mean(graph.losses.slice(0, 10))); // it learns
    console.log(
      `loss curves: step 1 ${graph.losses[0]!.toFixed(5)} / ${tfjs.losses[0]!.toFixed(5)}, step 50 ${graph.losses[49]!.toFixed(5)} / ${tfjs.losses[49]!.toFixed(5)}; max relative difference ${Math.max(...diffs).toExponential(2)}`,
    );
  });

  it('with the camera head (its loss on the output and on the shape S): the same losses and gradients, and it learns', async () => {
    const head = { model: { ...config().model, head: 'camera' }, lr: 3e-3 };
    const graph = await runOn('graph', head);
    const tfjs = await runOn('tfjs', head);
    // Same loss and gradients: 8 consecutive Adam steps stay within float32 noise. (Past that the
    // head's closed-form fit — a polar factor of a random early S — amplifies the engines' last-bit
    // differences into separate trajectories, so 50 steps are not compared.)
    const diffs = graph.losses.slice(0, 8).map((l, k) => relDiff(l, tfjs.losses[k]!));
    expect(Math.max(...diffs)).toBeLessThanOrEqual(1e-4);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (const run of [graph, tfjs])
      expect(mean(run.losses.slice(40))).toBeLessThan(0.9 * mean(run.losses.slice(0, 10)));
    // Two Procrustes terms. Parameters are initialised per name, so at step 1 S is exactly the shape
    // head's output and its term is the shape head's whole loss; the output's term comes on top.
    const plain = await runOn('graph', { steps: 1 });
    expect(graph.losses[0]!).toBeGreaterThan(1.01 * plain.losses[0]!);
    console.log(
      `camera head: step 1 ${graph.losses[0]!.toFixed(5)} / ${tfjs.losses[0]!.toFixed(5)} (shape head ${plain.losses[0]!.toFixed(5)}), step 50 ${graph.losses[49]!.toFixed(5)} / ${tfjs.losses[49]!.toFixed(5)}; max relative difference over 8 steps ${Math.max(...diffs).toExponential(2)}`,
    );
  });

  it('write interchangeable checkpoints: 10 steps on one, resumed to 20 on the other', async () => {
    const twenty = { steps: 20 };
    const full = await runOn('tfjs', twenty);
    for (const [first, second] of [
      ['graph', 'tfjs'],
      ['tfjs', 'graph'],
    ] as const) {
      const outDir = tmp();
      const head = await runOn(first, { ...twenty, outDir }, 10);
      expect(head.result.step).toBe(10);
      const ckpt = await loadModelCheckpoint(join(outDir, 'last.ckpt'));
      expect(ckpt.metadata).toMatchObject({ step: 10, engine: head.result.engine });
      const tail = await runOn(second, { ...twenty, outDir, resume: true });
      expect(tail.result.step).toBe(20);
      expect(tail.result.optimizer.step).toBe(20);
      // The resumed run continues the uninterrupted one (tfjs throughout) up to engine float noise.
      expect(relDiff(tail.result.loss, full.result.loss)).toBeLessThan(1e-3);
      // Parameters agree to engine noise — except the output bias, a translation the centred loss
      // ignores: its gradient is float32 noise, which Adam normalises into full-size random steps.
      let maxDiff = 0;
      for (const [name, p] of Object.entries(full.result.params)) {
        if (name === 'decoder.fc2.b') continue;
        const q = tail.result.params[name]!;
        for (let i = 0; i < p.length; i++) maxDiff = Math.max(maxDiff, Math.abs(p[i]! - q[i]!));
      }
      console.log(
        `${first} → ${second}: max parameter difference to the uninterrupted run ${maxDiff.toExponential(2)}`,
      );
      expect(maxDiff, `${first} → ${second}`).toBeLessThan(1e-4);
    }
  });

  it('predict the same outputs from the same parameters (a checkpoint)', async () => {
    const outDir = tmp();
    await runOn('graph', { steps: 5, outDir });
    const ckpt = await loadModelCheckpoint(join(outDir, 'last.ckpt'));
    const params = ckpt.params as Record<string, Float32Array>;
    const b = createBatcher({
      sources: datasets.map((dataset) => ({ dataset })),
      batchSize: 6,
      maxPoints: 8,
      seed: 9,
    }).next();
    const batch: PredictBatch = {
      batchSize: 6,
      numPoints: 8,
      points2d: b.points2d,
      mask: b.mask,
      adj: b.adj,
      dataset: { name: 'bones', category: 'toy', numJoints: 8 },
      frame: new Int32Array(6),
    };
    const viaGraph = await createGraphPredictor(ckpt.model, params, { threads: 1 });
    const viaTfjs = createTfjsPredictor(tf, ckpt.model, params);
    const a = await viaGraph(batch);
    const c = await viaTfjs(batch);
    let maxDiff = 0;
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(a[i]! - c[i]!));
      scale = Math.max(scale, Math.abs(c[i]!));
    }
    expect(scale).toBeGreaterThan(0.1);
    expect(maxDiff / scale).toBeLessThan(1e-5);
    await viaGraph.dispose();
    viaTfjs.dispose();
  });
});
