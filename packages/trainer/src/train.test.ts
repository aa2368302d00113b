import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBatcher } from '@lfm/datasets';
import { loadCheckpoint } from '@lfm/model/node';
import { describe, expect, it } from 'vitest';
import { routeByDataset, trainMlpBaselines } from './baselines.js';
import { decodeModelCheckpoint, loadModelCheckpoint } from './checkpoint.js';
import { resolveTrainingConfig } from './config.js';
import { datasetCodeTable } from './eval-codes.js';
import { evaluate } from './evaluate.js';
import {
  captureStream,
  cpuTf,
  expectResumedLikeStraight,
  identityRunConfig,
  pairedToyDatasets,
  TINY_LIFTER,
  toyBatcher,
  toyDataset,
  trainStoppedAndResumed,
  useTempDirs,
} from './test-support/fixtures.js';
import { createTfjsPredictor } from './tfjs-engine.js';
import {
  type MetricsEntry,
  OUTPUT_FILES,
  type TrainingDataset,
  type TrainTfjsOptions,
  trainGraph,
  trainTfjs,
} from './train.js';
import { jointCodeFiller } from './train-inputs.js';

const tf = await cpuTf();
const tmp = useTempDirs('lfm-trainer-');

const tinyLifter = TINY_LIFTER;
/** A finite training set: no random view, fixed camera distance, no noise/occlusion/permutation. */
const fixedAugment = {
  rotation: 'none',
  distance: [6, 6],
  noise: { std: 0 },
  occlusion: { probability: 0, maxFraction: 0 },
  permute: false,
} as const;

describe('trainTfjs', () => {
  it('overfits a few samples to near-zero loss (tiny lifter)', async () => {
    const ds = toyDataset({ J: 8, train: 4, val: 0, test: 0, jitter: 0.6, seed: 21 });
    const losses: number[] = [];
    const result = await trainTfjs({
      tf,
      datasets: [ds],
      config: {
        model: tinyLifter,
        steps: 200,
        batchSize: 8,
        lr: 1e-2,
        warmupSteps: 10,
        minLrRatio: 0.05,
        augment: fixedAugment,
        valInterval: 0,
        logInterval: 10,
        progress: 'none',
      },
      onLog: (e) => losses.push(e.loss),
    });
    expect(result.step).toBe(200);
    expect(result.stoppedBy).toBe('steps');
    expect(losses[0]!).toBeGreaterThan(0.05);
    expect(result.loss).toBeLessThan(losses[0]! / 100);
    expect(result.loss).toBeLessThan(5e-3);
  });

  const base = (outDir: string, extra: Record<string, unknown> = {}) => ({
    model: tinyLifter,
    steps: 6,
    batchSize: 4,
    lr: 3e-3,
    warmupSteps: 2,
    outDir,
    valInterval: 3,
    valSamples: 3,
    logInterval: 1,
    checkpointInterval: 2,
    progress: 'none',
    ...extra,
  });
  /** trainTfjs on one dataset with the config `base(outDir, extra)`, plus any other options. */
  const trainOn = (
    ds: TrainingDataset,
    outDir: string,
    extra: Record<string, unknown> = {},
    options: Partial<TrainTfjsOptions> = {},
  ) => trainTfjs({ tf, datasets: [ds], config: base(outDir, extra), ...options });
  /** The same with the progress written to a captured stream (a TTY or not): the result and the text. */
  const trainPrinting = async (
    ds: TrainingDataset,
    outDir: string,
    extra: Record<string, unknown>,
    isTTY = false,
  ) => {
    const output = captureStream(isTTY);
    const result = await trainOn(ds, outDir, extra, { output });
    return { result, text: output.text() };
  };

  it('resumes from a checkpoint exactly where an uninterrupted run would be', async () => {
    const ds = toyDataset({ J: 7, seed: 22, missing: 0.2 });
    const full = await trainOn(ds, tmp());
    const out = tmp();
    const abort = new AbortController();
    const first = await trainOn(
      ds,
      out,
      {},
      {
        signal: abort.signal,
        onLog: (e) => {
          if (e.step === 3) abort.abort();
        },
      },
    );
    expect(first.stoppedBy).toBe('signal');
    expect(first.step).toBe(3);
    const resumed = await trainOn(ds, out, { resume: true });
    expect(resumed.step).toBe(6);
    expect(resumed.samples).toBe(24);
    expect(resumed.optimizer.step).toBe(6);
    let maxDiff = 0;
    for (const [name, p] of Object.entries(full.params)) {
      const q = resumed.params[name]!;
      for (let i = 0; i < p.length; i++) maxDiff = Math.max(maxDiff, Math.abs(p[i]! - q[i]!));
    }
    expect(maxDiff).toBeLessThan(1e-6);
    expect(resumed.loss).toBeCloseTo(full.loss, 5);
    // metrics.jsonl: one JSON object per line across both runs, steps 1…6, validation at 3 and 6.
    const lines = readFileSync(join(out, OUTPUT_FILES.metrics), 'utf8').trim().split('\n');
    const entries = lines.map((l) => JSON.parse(l) as MetricsEntry);
    expect(entries.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const e of entries) {
      expect(e).toMatchObject({
        loss: expect.any(Number),
        lr: expect.any(Number),
        samplesPerSec: expect.any(Number),
      });
    }
    expect(entries.filter((e) => e.val).map((e) => e.step)).toEqual([3, 6]);
    expect(entries[5]!.val!.datasets[0]).toMatchObject({ name: ds.name, samples: 3 });
  });

  it('resume: true in a folder without a checkpoint says it starts from scratch', async () => {
    const ds = toyDataset({ J: 6, seed: 26 });
    const out = tmp();
    const { result, text } = await trainPrinting(ds, out, {
      steps: 2,
      valInterval: 0,
      resume: true,
      progress: 'lines',
    });
    expect(result.step).toBe(2);
    expect(text).toContain(`no checkpoint in ${out}: starting from scratch\n`);
    expect(text).not.toMatch(/resuming/);
  });

  it('a resume truncates metrics.jsonl to the checkpoint: steps past it (a kill between checkpoints) are not repeated', async () => {
    const ds = toyDataset({ J: 6, seed: 27 });
    const out = tmp();
    const early = join(out, 'step2.ckpt');
    // The whole run logs steps 1…6; last.ckpt is then put back to step 2, as if killed after step 6's log.
    await trainOn(
      ds,
      out,
      { valInterval: 0 },
      {
        onLog: (e) => {
          if (e.step === 3) copyFileSync(join(out, OUTPUT_FILES.last), early);
        },
      },
    );
    copyFileSync(early, join(out, OUTPUT_FILES.last));
    expect((await loadModelCheckpoint(early)).optimizer!.step).toBe(2);
    const steps = () =>
      readFileSync(join(out, OUTPUT_FILES.metrics), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as MetricsEntry).step);
    expect(steps()).toEqual([1, 2, 3, 4, 5, 6]);
    const resumed = await trainOn(ds, out, { valInterval: 0, resume: true });
    expect(resumed.step).toBe(6);
    expect(steps()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('resuming a finished run says so (step N of N) and leaves its checkpoint alone', async () => {
    const ds = toyDataset({ J: 6, seed: 28 });
    const out = tmp();
    await trainOn(ds, out, { steps: 3, valInterval: 0 });
    const last = join(out, OUTPUT_FILES.last);
    const before = readFileSync(last);
    const metrics = readFileSync(join(out, OUTPUT_FILES.metrics), 'utf8');
    const { result, text } = await trainPrinting(ds, out, {
      steps: 3,
      valInterval: 3,
      resume: true,
      progress: 'lines',
    });
    expect(result).toMatchObject({ step: 3, stoppedBy: 'steps', checkpoint: last });
    expect(text).toMatch(/the run is already finished: step 3 of 3; nothing to train/);
    expect(text).not.toMatch(/NaN|samples\/s|val @/);
    expect(readFileSync(last)).toEqual(before);
    expect(readFileSync(join(out, OUTPUT_FILES.metrics), 'utf8')).toBe(metrics);
  });

  it('writes a checkpoint whose model gives the trained outputs, readable by @lfm/model', async () => {
    const ds = toyDataset({ J: 7, seed: 23 });
    const out = tmp();
    const result = await trainOn(ds, out, { valInterval: 0, checkpointInterval: 0 });
    expect(result.checkpoint).toBe(join(out, OUTPUT_FILES.last));
    const ckpt = await loadModelCheckpoint(result.checkpoint!);
    expect(ckpt.metadata).toMatchObject({ step: 6, samples: 24 });
    expect(ckpt.optimizer!.step).toBe(6);
    const direct = createTfjsPredictor(tf, result.model, result.params);
    const loaded = createTfjsPredictor(tf, ckpt.model, ckpt.params as Record<string, Float32Array>);
    const a = await evaluate({ predict: direct, datasets: [ds] });
    const b = await evaluate({ predict: loaded, datasets: [ds] });
    expect(b).toEqual(a);
    direct.dispose();
    loaded.dispose();
    const viaModel = await loadCheckpoint(result.checkpoint!);
    expect(viaModel.config.dModel).toBe(16);
  });

  it('trains the per-rig MLP baseline with the same loop, and round-trips its checkpoint', async () => {
    const ds = toyDataset({ J: 6, seed: 24, missing: 0.2 });
    const out = tmp();
    const result = await trainOn(ds, out, { model: { kind: 'mlp', hidden: 16, blocks: 1 }, valInterval: 0 });
    expect(result.model.config).toMatchObject({ kind: 'mlp', numJoints: 6, rig: ds.name });
    const ckpt = await loadModelCheckpoint(result.checkpoint!);
    expect(ckpt.config.kind).toBe('mlp');
    const a = await evaluate({
      predict: createTfjsPredictor(tf, result.model, result.params),
      datasets: [ds],
    });
    const b = await evaluate({
      predict: createTfjsPredictor(tf, ckpt.model, { ...ckpt.params }),
      datasets: [ds],
    });
    expect(b).toEqual(a);
    await expect(loadCheckpoint(result.checkpoint!)).rejects.toThrow(/holds a 'mlp' model, not a lifter/);
    // One baseline per rig, routed by dataset name.
    const other = toyDataset({ name: 'toy-b', J: 5, seed: 26 });
    const all = await trainMlpBaselines({
      tf,
      datasets: [ds, other],
      config: base(tmp(), { model: { kind: 'mlp', hidden: 8, blocks: 1 }, steps: 2, valInterval: 0 }),
    });
    expect([...all.keys()]).toEqual([ds.name, 'toy-b']);
    expect(all.get('toy-b')!.model.config).toMatchObject({ numJoints: 5, hidden: 8, rig: 'toy-b' });
    const routed = routeByDataset(
      new Map([...all].map(([name, r]) => [name, createTfjsPredictor(tf, r.model, r.params)])),
    );
    const report = await evaluate({ predict: routed, datasets: [ds, other] });
    expect(report.datasets.map((r) => r.samples)).toEqual([6, 6]);
    await expect(
      trainTfjs({
        tf,
        datasets: [ds, toyDataset({ J: 5 })],
        config: base(tmp(), { model: { kind: 'mlp', numJoints: 6 } }),
      }),
    ).rejects.toThrow(/one baseline per rig/);
  });

  it('stops on the time budget with a checkpoint; prints plain lines off a TTY and a bar on one; leaks no tensors', async () => {
    const ds = toyDataset({ J: 7, seed: 25 });
    const before = tf.memory().numTensors;
    const out = tmp();
    const { result: timed, text: plain } = await trainPrinting(ds, out, {
      steps: 1_000_000,
      maxMinutes: 0.5 / 60,
      valInterval: 0,
      progress: 'auto',
    });
    expect(timed.stoppedBy).toBe('time');
    expect(timed.step).toBeGreaterThan(0);
    // Stopped by time, it still leaves a checkpoint to resume from, at the step it reached.
    expect(timed.checkpoint).toBe(join(out, OUTPUT_FILES.last));
    expect((await loadModelCheckpoint(timed.checkpoint!)).optimizer!.step).toBe(timed.step);
    expect(plain).toMatch(/^step 1\/1000000 loss \S+ lr \S+ \S+ samples\/s ETA \S+$/m);
    expect(plain).not.toContain('\r');
    expect(tf.memory().numTensors).toBe(before);
    const tty = await trainPrinting(ds, tmp(), { progress: 'auto', valInterval: 0 }, true);
    expect(tty.text).toMatch(/\r\[#+-*\] \d+\/6 loss \S+ lr \S+ \S+ samples\/s ETA \S+/);
  });
});

describe('joint codes in training', () => {
  it('codedRigs defaults to the training datasets; batches carry their joints’ codes or, dropped, zeros', async () => {
    const a = toyDataset({ name: 'toy-a', J: 6, train: 8, val: 0, test: 0, seed: 1 });
    const b = toyDataset({ name: 'toy-b', J: 9, train: 8, val: 0, test: 0, seed: 2 });
    const result = await trainTfjs({
      tf,
      datasets: [a, b],
      config: {
        model: { ...tinyLifter, jointCodes: 4 },
        steps: 3,
        batchSize: 4,
        valInterval: 0,
        progress: 'none',
      },
    });
    expect(result.model.config).toMatchObject({ jointCodes: 4, codedRigs: ['toy-a', 'toy-b'] });
    expect(result.model.codeSize).toBe(4);

    const config = resolveTrainingConfig({ model: result.model.config, jointCodeDropout: 0.3, seed: 5 });
    const N = 10;
    const batcher = toyBatcher([a, b], N, 5);
    const fill = jointCodeFiller(result.model, [a, b], 64, N, config);
    const tables = [datasetCodeTable(a, 4), datasetCodeTable(b, 4)];
    let dropped = 0;
    let total = 0;
    for (let k = 0; k < 4; k++) {
      const batch = batcher.next();
      const codes = fill(batch)!;
      expect(fill(batch)).toEqual(codes); // a function of the batch index: resume sees the same codes
      for (let s = 0; s < 64; s++, total++) {
        const row = codes.subarray(s * N * 4, (s + 1) * N * 4);
        if (row.every((v) => v === 0)) {
          dropped++;
          continue;
        }
        const table = tables[batch.info.source[s]!]!;
        for (let i = 0; i < N; i++) {
          const j = batch.info.jointIndex[s * N + i]!;
          const want = j < 0 ? new Float32Array(4) : table.subarray(j * 4, (j + 1) * 4);
          expect(Array.from(row.subarray(i * 4, (i + 1) * 4))).toEqual(Array.from(want));
        }
      }
    }
    // 256 samples at p = 0.3: 77 expected, 3σ ≈ 22.
    expect(dropped).toBeGreaterThan(50);
    expect(dropped).toBeLessThan(105);
    expect(total).toBe(256);
    // A rig the model does not know gets zero codes.
    const stranger = toyDataset({ name: 'toy-c', J: 6, train: 8, val: 0, test: 0, seed: 3 });
    const other = jointCodeFiller(result.model, [stranger], 8, N, config);
    const batch = createBatcher({ sources: [{ dataset: stranger }], batchSize: 8, maxPoints: N }).next();
    expect(other(batch)!.every((v) => v === 0)).toBe(true);
  });
});

describe('trainGraph: resume', () => {
  const { paired, unpaired } = pairedToyDatasets();
  const config = (outDir: string, extra: Record<string, unknown> = {}) =>
    identityRunConfig(outDir, {
      batchSize: 4,
      // augmentation on: the default random views, noise, occlusion and point order, plus every
      // shape-space stage (each draws from the batch's (seed, index) stream)
      augment: {
        subset: { probability: 0.5 },
        boneScale: { probability: 0.5 },
        anisotropic: { probability: 0.5 },
        mirror: { probability: 0.5 },
        rearticulate: { probability: 0.5 },
        knnGraph: { probability: 0.5 },
      },
      threads: 1,
      ...extra,
    });

  it('5 steps + resume to 12 give the same parameters as 12 straight (joint codes, dropout, side codes, mirror loss)', async () => {
    const datasets = [paired, unpaired];
    const { full, resumed, out } = await trainStoppedAndResumed(
      datasets,
      config,
      5,
      tmp,
      async (first, out) => {
        expect(first).toMatchObject({ stoppedBy: 'signal', step: 5 });
        const ckpt = await loadModelCheckpoint(join(out, OUTPUT_FILES.last));
        expect(ckpt.optimizer!.step).toBe(5);
        expect(ckpt.metadata).toMatchObject({
          step: 5,
          samples: 20,
          savedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          trainSec: expect.any(Number),
          wallSec: expect.any(Number),
        });
        // A signal stop skips the final validation: val entries only at multiples of valInterval.
        const logged = readFileSync(join(out, OUTPUT_FILES.metrics), 'utf8').trim().split('\n');
        const firstEntries = logged.map((l) => JSON.parse(l) as MetricsEntry);
        expect(firstEntries.map((e) => e.step)).toEqual([1, 2, 3, 4, 5]);
        expect(firstEntries.filter((e) => e.val).map((e) => e.step)).toEqual([4]);
      },
    );
    expect(full.step).toBe(12);
    expect(resumed).toMatchObject({ step: 12, samples: 48 });
    expect(resumed.optimizer.step).toBe(12);
    let worst = 0;
    let differing = 0;
    for (const [name, p] of Object.entries(full.params)) {
      const q = resumed.params[name]!;
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < p.length; i++) {
        scale = Math.max(scale, Math.abs(p[i]!));
        diff = Math.max(diff, Math.abs(p[i]! - q[i]!));
        if (p[i] !== q[i]) differing++;
      }
      worst = Math.max(worst, diff / Math.max(scale, 1e-12));
    }
    console.log(`graph resume: ${differing} parameter values differ, max relative difference ${worst}`);
    expect(worst).toBeLessThanOrEqual(1e-6);
    expectResumedLikeStraight(full, resumed, out);

    // Stopped by the time budget instead (wherever that falls), then resumed: the same parameters.
    const timedOut = tmp();
    const timed = await trainGraph({ datasets, config: config(timedOut, { maxMinutes: 0.15 / 60 }) });
    expect(timed.stoppedBy === 'time' || timed.step === 12).toBe(true);
    const again = await trainGraph({ datasets, config: config(timedOut, { resume: true }) });
    expect(again.step).toBe(12);
    for (const [name, p] of Object.entries(full.params)) {
      expect(Array.from(again.params[name]!), name).toEqual(Array.from(p));
    }
  });

  it('checkpointMinutes: last.ckpt also when that much time passed (1e-6 min: every step); 0: off', async () => {
    const datasets = [unpaired];
    const seen = async (minutes: number) => {
      const out = tmp();
      const steps: (number | undefined)[] = [];
      await trainGraph({
        datasets,
        config: config(out, { steps: 4, valInterval: 0, checkpointMinutes: minutes }),
        // metrics are logged before the step's checkpoint: at step k, last.ckpt holds step k − 1
        onLog: () => {
          const path = join(out, OUTPUT_FILES.last);
          steps.push(existsSync(path) ? readCheckpointStep(path) : undefined);
        },
      });
      return { steps, end: readCheckpointStep(join(out, OUTPUT_FILES.last)) };
    };
    expect(await seen(1e-6)).toEqual({ steps: [undefined, 1, 2, 3], end: 4 });
    expect(await seen(0)).toEqual({ steps: [undefined, undefined, undefined, undefined], end: 4 });
    expect(resolveTrainingConfig({}).checkpointMinutes).toBe(5);
  });
});

/** The step of a checkpoint file (read synchronously: its metadata). */
function readCheckpointStep(path: string): number {
  const bytes = readFileSync(path);
  return decodeModelCheckpoint(bytes).optimizer!.step;
}
