import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, LfmError } from '@lfm/core';
import { assertTfjsGradients, type TfCore } from '@lfm/core/tfjs';
import { createBatcher, createProceduralDatasets, type DatasetLike, splitFrames } from '@lfm/datasets';
import { type AdamState, CheckpointMismatchError, ConfigError, type JsonValue } from '@lfm/model';
import { loadModelCheckpoint, type ModelCheckpoint, saveModelCheckpoint } from './checkpoint.js';
import { resolveTrainingConfig, type TrainEngine, type TrainingConfig } from './config.js';
import type { TrainingEngine } from './engine.js';
import { hasJointIdentity } from './eval-codes.js';
import { type EvalReport, type EvaluationDataset, evaluate } from './evaluate.js';
import { createGraphEngine, type GraphEngineOptions } from './graph-engine.js';
import { inferredPairs3d } from './inferred-pairs.js';
import { createModel, type TrainableModel } from './models.js';
import { Adam, clipScale, globalNorm, type LrSchedule, learningRateAt } from './optim.js';
import { ProgressReporter, type ProgressStream } from './progress.js';
import { stopReason, stopWords } from './stop.js';
import { createTfjsEngine } from './tfjs-engine.js';

import { anatomicalOf, codedRigsOf, identityFiller, pairsFiller, stepBatch } from './train-inputs.js';
/** A dataset the trainer can sample (train split) and validate on (val split): a loaded `Dataset` qualifies. */
export type TrainingDataset = DatasetLike & EvaluationDataset;

/** One line of metrics.jsonl. */
export interface MetricsEntry {
  readonly step: number;
  /** Mean training loss over the steps since the previous line. */
  readonly loss: number;
  /** Learning rate of the last step. */
  readonly lr: number;
  /** Global gradient norm of the last step (before clipping). */
  readonly gradNorm: number;
  /** Training throughput since the previous line (validation time excluded). */
  readonly samplesPerSec: number;
  /** Samples seen since the start of training (all runs). */
  readonly samples: number;
  /** Wall time of this run, seconds. */
  readonly elapsedSec: number;
  /** Samples whose Procrustes alignment fell back to R = I since the previous line. */
  readonly alignFallbacks: number;
  /** Validation at this step (val split, synthetic protocol), when it ran. */
  readonly val?: EvalReport;
}

export interface TrainOptions {
  /** A training config (resolved, or partial/JSON; see `resolveTrainingConfig`). `data` is not read here. */
  readonly config: TrainingConfig | Record<string, unknown>;
  /** Loaded datasets: batches from their train splits, validation on their val splits. */
  readonly datasets: readonly TrainingDataset[];
  /** Overrides `config.engine`. */
  readonly engine?: TrainEngine;
  /** The tfjs engine's tfjs: gradients registered, a backend active (see `@lfm/trainer/tfjs-backend`). */
  readonly tf?: TfCore;
  /** More onnxruntime settings of the graph engine (its threads and workers come from the config). */
  readonly graph?: Omit<GraphEngineOptions, 'threads' | 'workers'>;
  /** Resume from this checkpoint (overrides `config.resume`). */
  readonly resume?: ModelCheckpoint;
  /** Progress output (default process.stdout). */
  readonly output?: ProgressStream;
  /**
   * Stops after the current step when aborted: writes last.ckpt at that step (no final validation, so
   * the stop is quick) and resolves with `stoppedBy: 'signal'`; a resume continues exactly from it.
   */
  readonly signal?: AbortSignal;
  /** Called with every metrics.jsonl entry. */
  readonly onLog?: (entry: MetricsEntry) => void;
}

export interface TrainTfjsOptions extends Omit<TrainOptions, 'engine' | 'tf'> {
  /** A tfjs module with gradients registered and a backend active (see `@lfm/trainer/tfjs-backend`). */
  readonly tf: TfCore;
}

export interface TrainResult {
  /** The engine that trained: 'graph-onnxruntime', 'tfjs-wasm', … */
  readonly engine: string;
  readonly model: TrainableModel;
  readonly params: Record<string, Float32Array>;
  readonly optimizer: AdamState;
  /** Completed updates (all runs). */
  readonly step: number;
  readonly samples: number;
  /** 'plateau': `valPatience` validations in a row without improvement. */
  readonly stoppedBy: 'steps' | 'time' | 'signal' | 'plateau';
  /** Training loss of the last step. */
  readonly loss: number;
  /** Mean throughput of this run (validation excluded). */
  readonly samplesPerSec: number;
  /** The last validation. */
  readonly val: EvalReport | undefined;
  /** Path of the last checkpoint written (outDir/last.ckpt), if any. */
  readonly checkpoint: string | undefined;
}

/** What `train` writes into a checkpoint's metadata (last.ckpt, best.ckpt), besides `training` (the config). */
export interface TrainCheckpointMetadata {
  readonly trainer: 'lfm-trainer';
  readonly engine: string;
  /** Completed updates (all runs). */
  readonly step: number;
  /** Samples seen (all runs). */
  readonly samples: number;
  /** Best validation nPA-MPJPE so far (null: none yet). */
  readonly bestScore: number | null;
  /** With `valPatience`: the best score that reset the count, and the validations since it. */
  readonly patienceBest?: number | null;
  readonly valsSinceBest?: number;
  /** When the checkpoint was written (ISO 8601, UTC). */
  readonly savedAt: string;
  /** Training time (validation excluded) of all runs up to this checkpoint, seconds. */
  readonly trainSec: number;
  /** Wall time of all runs up to this checkpoint, seconds. */
  readonly wallSec: number;
}

/** File names inside `outDir`. */
export const OUTPUT_FILES = Object.freeze({
  last: 'last.ckpt',
  best: 'best.ckpt',
  metrics: 'metrics.jsonl',
  config: 'config.json',
});

/**
 * Trains a model (the lifter, or the MLP baseline) on the engine of `config.engine` (default the
 * graph engine; `options.engine` overrides): category-balanced batches (`createBatcher`; batch k
 * depends on (seed, k) only) → the engine's loss and gradients (Procrustes-aligned masked MSE, or
 * plain masked MSE) → global-norm clipping → Adam (state in `AdamState`) with warm-up + cosine/linear
 * decay, over one Float32Array parameter record whatever the engine. Every `valInterval` steps it
 * evaluates each dataset's val split (synthetic protocol, `valSamples` samples); every
 * `checkpointInterval` steps and at the end it writes outDir/last.ckpt atomically (best.ckpt on a
 * better validation nPA-MPJPE), and also when `checkpointMinutes` passed since the last one. Stops
 * at `steps`, at `maxMinutes`, or on `signal` (after the current step, with a checkpoint). A resumed
 * run continues exactly where the checkpoint left off (same batches, joint-code dropout, schedule and
 * optimizer state): on the graph engine with the same threads it reproduces an uninterrupted run bit
 * for bit (tested), across engines to float noise.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  if (options.datasets.length === 0) throw new InputError('train: no datasets to train on');
  const context = {
    ...(options.datasets.length === 1 && {
      numJoints: options.datasets[0]!.numJoints,
      rig: options.datasets[0]!.name,
    }),
    // A dataset without a consistent joint order has no identity to code (`hasJointIdentity`).
    rigs: options.datasets.filter(hasJointIdentity).map((d) => d.name),
  };
  const config = resolveTrainingConfig(
    options.engine === undefined ? options.config : { ...options.config, engine: options.engine },
    context,
  );
  // inferPairs: a dataset that declares no mirror pairs gets those of its train split's symmetry.
  const datasets: readonly TrainingDataset[] = config.inferPairs
    ? options.datasets.map((d) =>
        (d.symmetry?.length ?? 0) > 0 ? d : { ...d, symmetry: inferredPairs3d(d) },
      )
    : options.datasets;
  const tf = options.tf;
  if (config.engine === 'tfjs') {
    if (!tf) throw new InputError("engine 'tfjs' needs a tfjs module (options.tf; see loadTfjsBackend)");
    assertTfjsGradients(tf);
  }
  const model = createModel(config.model);
  // Procedurally generated categories (config.procedural) join the training batches only: they are
  // never coded (no joint codes: unknown rigs) and never validated on.
  const procedural: TrainingDataset[] = config.procedural ? createProceduralDatasets(config.procedural) : [];
  if (procedural.length > 0 && model.numJoints !== undefined) {
    throw new ConfigError(
      `procedural categories need a lifter (any J); the ${model.kind} model takes J = ${model.numJoints}`,
    );
  }
  const sources: readonly TrainingDataset[] = [...datasets, ...procedural];
  if (model.numJoints !== undefined) {
    const other = datasets.find((d) => d.numJoints !== model.numJoints);
    if (other) {
      throw new InputError(
        `the ${model.kind} model takes J = ${model.numJoints} joints in rig order, but dataset ${other.name} has ${other.numJoints}; ` +
          'train one baseline per rig',
      );
    }
  }
  const progress = new ProgressReporter(options.output ?? process.stdout, config.progress);
  if (config.inferPairs) {
    const found = datasets
      .filter((d, i) => d !== options.datasets[i])
      .map((d) => `${d.name} ${d.symmetry!.length}`);
    if (found.length > 0)
      progress.message(`mirror pairs found from the 3D (inferPairs): ${found.join(', ')}`);
  }
  const outDir = config.outDir;

  // --- resume ---
  const resume = options.resume ?? (await findResume(config));
  if (!resume && config.resume === true) {
    progress.message(`no checkpoint in ${outDir}: starting from scratch`);
  }
  let params: Record<string, Float32Array>;
  let adam: Adam;
  let samples = 0;
  let best = Infinity;
  // valPatience: the best score that counts (improved by more than valMinDelta) and the validations since.
  const patience = config.valPatience ?? 0;
  const minDelta = config.valMinDelta ?? 0;
  let patienceBest = Infinity;
  let valsSinceBest = 0;
  let priorTrainSec = 0;
  let priorWallSec = 0;
  const hyper = { beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon };
  if (resume) {
    const ckptModel = { ...(resume.config as unknown as Record<string, unknown>) };
    // A run made before the lifter config carried `anatomicalCodes` (the training option set the scheme alone).
    if (ckptModel.anatomicalCodes === undefined && config.anatomicalCodes === true) {
      ckptModel.anatomicalCodes = (config.model as { anatomicalCodes?: boolean }).anatomicalCodes;
    }
    checkSameModel(ckptModel, config.model as unknown as Record<string, unknown>);
    if (!resume.optimizer) {
      throw new CheckpointMismatchError(
        'the checkpoint has no optimizer state, so training cannot resume from it',
      );
    }
    params = Object.fromEntries(Object.entries(resume.params).map(([k, v]) => [k, v.slice()]));
    adam = new Adam(model.specs, hyper, resume.optimizer);
    samples = numberOr(resume.metadata?.samples, adam.step * config.batchSize);
    best = numberOr(resume.metadata?.bestScore, Infinity);
    patienceBest = numberOr(resume.metadata?.patienceBest, best);
    valsSinceBest = numberOr(resume.metadata?.valsSinceBest, 0);
    priorTrainSec = numberOr(resume.metadata?.trainSec, 0);
    priorWallSec = numberOr(resume.metadata?.wallSec, 0);
    progress.message(`resuming at step ${adam.step}`);
  } else {
    params = model.init();
    adam = new Adam(model.specs, hyper);
  }

  const N =
    config.maxPoints ??
    model.numJoints ??
    maxPointsOf(model) ??
    Math.max(...datasets.map((d) => d.numJoints));
  const modelMaxPoints = maxPointsOf(model);
  if (modelMaxPoints !== undefined && N > modelMaxPoints) {
    throw new ConfigError(`maxPoints ${N} exceeds the model's maxPoints ${modelMaxPoints}`);
  }
  const batcher = createBatcher({
    sources: sources.map((dataset) => ({ dataset, split: 'train' as const })),
    batchSize: config.batchSize,
    maxPoints: N,
    seed: config.seed,
    ...(config.augment && { augment: config.augment }),
    ...(config.sampling && { sampling: config.sampling }),
    ...(config.knn !== undefined && { knn: config.knn }),
    ...(model.readsPairs && { pairs: true }),
  });
  batcher.seek(adam.step);
  const identity = identityFiller(model, sources, batcher.batchSize, N, config);
  const pairs = pairsFiller(model, batcher.batchSize, N, config);
  // Validation: datasets with a val split whose J the model accepts.
  const modelMax = modelMaxPoints ?? model.numJoints ?? Infinity;
  const valSets = datasets.filter((d) => splitFrames(d, 'val').length > 0 && d.numJoints <= modelMax);
  if (config.valInterval > 0 && valSets.length < datasets.length) {
    const none = datasets.filter((d) => !valSets.includes(d)).map((d) => d.name);
    progress.message(`not validated (no val split, or more joints than the model takes): ${none.join(', ')}`);
  }

  if (outDir) {
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, OUTPUT_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
    if (!resume) {
      // A fresh run owns the folder's log; an earlier run's checkpoints get overwritten.
      if (existsSync(join(outDir, OUTPUT_FILES.last))) {
        progress.message(`starting afresh in ${outDir} (resume: false): its checkpoints will be overwritten`);
      }
      await writeFile(join(outDir, OUTPUT_FILES.metrics), '');
    } else {
      // The log may run past the checkpoint (a run killed between checkpoints): those steps are redone.
      await truncateMetrics(join(outDir, OUTPUT_FILES.metrics), adam.step);
    }
  }
  if (resume && adam.step >= config.steps) {
    // Nothing to train: say so instead of a summary of zero steps (and leave the checkpoints as they are).
    progress.message(
      `the run is already finished: step ${adam.step} of ${config.steps}; nothing to train (raise steps to continue)`,
    );
    return {
      engine: typeof resume.metadata?.engine === 'string' ? resume.metadata.engine : config.engine,
      model,
      params,
      optimizer: adam.state(),
      step: adam.step,
      samples,
      stoppedBy: 'steps',
      loss: Number.NaN,
      samplesPerSec: 0,
      val: undefined,
      checkpoint:
        outDir && existsSync(join(outDir, OUTPUT_FILES.last)) ? join(outDir, OUTPUT_FILES.last) : undefined,
    };
  }
  const schedule: LrSchedule = {
    lr: config.lr,
    warmupSteps: config.warmupSteps,
    schedule: config.schedule,
    totalSteps: config.steps,
    minLr: config.lr * config.minLrRatio,
  };

  const engine: TrainingEngine =
    config.engine === 'tfjs'
      ? createTfjsEngine(tf!, model, params, config.loss, { mirror: config.mirrorLoss })
      : await createGraphEngine(model, params, config.loss, {
          ...options.graph,
          mirror: config.mirrorLoss,
          ...(config.threads !== undefined && { threads: config.threads }),
          workers: config.workers,
        });
  const startMs = Date.now();
  const deadlineMs = config.maxMinutes > 0 ? startMs + config.maxMinutes * 60_000 : Infinity;
  let trainMs = 0;
  let windowMs = 0;
  let windowSteps = 0;
  let windowLoss = 0;
  let windowFallback = 0;
  let runSteps = 0;
  let lastLoss = Number.NaN;
  let lastLr = 0;
  let lastNorm = 0;
  let lastVal: EvalReport | undefined;
  let lastValStep = -1;
  let lastCkptStep = -1;
  let lastCkptMs = startMs;
  const ckptEveryMs = config.checkpointMinutes * 60_000;
  let checkpoint: string | undefined;
  let stoppedBy: TrainResult['stoppedBy'] = 'steps';

  const metadata = (): Record<string, JsonValue> => {
    const m: TrainCheckpointMetadata = {
      trainer: 'lfm-trainer',
      engine: engine.name,
      step: adam.step,
      samples,
      bestScore: Number.isFinite(best) ? best : null,
      ...(patience > 0 && {
        patienceBest: Number.isFinite(patienceBest) ? patienceBest : null,
        valsSinceBest,
      }),
      savedAt: new Date().toISOString(),
      trainSec: round3(priorTrainSec + trainMs / 1000),
      wallSec: round3(priorWallSec + (Date.now() - startMs) / 1000),
    };
    return {
      ...m,
      loss: config.loss,
      datasets: datasets.map((d) => d.name),
      ...(procedural.length > 0 && { procedural: procedural.length }),
      training: config as unknown as JsonValue,
    };
  };
  const save = async (name: string) => {
    if (!outDir) return undefined;
    const path = join(outDir, name);
    await saveModelCheckpoint(path, {
      config: model.config,
      params,
      optimizer: adam.state(),
      metadata: metadata(),
    });
    return path;
  };
  const saveLast = async () => {
    checkpoint = await save(OUTPUT_FILES.last);
    lastCkptStep = adam.step;
    lastCkptMs = Date.now();
  };
  const validate = async (): Promise<EvalReport | undefined> => {
    if (valSets.length === 0) return undefined;
    const report = await evaluate({
      predict: engine.predict,
      datasets: valSets,
      protocol: 'synthetic',
      seed: config.valSeed,
      limit: config.valSamples,
      split: 'val',
      model: `step ${adam.step}`,
      ...(config.knn !== undefined && { knn: config.knn }),
      ...(model.codeSize > 0 && {
        jointCodes: { k: model.codeSize, rigs: codedRigsOf(model), anatomical: anatomicalOf(model, config) },
      }),
    });
    lastValStep = adam.step;
    const score = report.mean.nPaMpjpe;
    const rows = report.datasets.map((r) => `${r.name} ${fmt(r.nPaMpjpe)}`).join(', ');
    progress.message(`val @${adam.step}: nPA-MPJPE mean ${fmt(score)} (${rows})`);
    if (score !== null && score < patienceBest - minDelta) {
      patienceBest = score;
      valsSinceBest = 0;
    } else {
      valsSinceBest++;
    }
    if (score !== null && score < best) {
      best = score;
      await save(OUTPUT_FILES.best);
    }
    return report;
  };
  const log = async (val?: EvalReport) => {
    const entry: MetricsEntry = {
      step: adam.step,
      loss: windowSteps > 0 ? windowLoss / windowSteps : lastLoss,
      lr: lastLr,
      gradNorm: lastNorm,
      samplesPerSec: windowMs > 0 ? (windowSteps * config.batchSize * 1000) / windowMs : 0,
      samples,
      elapsedSec: (Date.now() - startMs) / 1000,
      alignFallbacks: windowFallback,
      ...(val && { val }),
    };
    progress.log(progressState(entry));
    if (outDir) await appendFile(join(outDir, OUTPUT_FILES.metrics), `${JSON.stringify(entry)}\n`);
    options.onLog?.(entry);
    windowMs = windowSteps = windowLoss = windowFallback = 0;
  };
  const progressState = (e: Pick<MetricsEntry, 'step' | 'loss' | 'lr' | 'samplesPerSec'>) => {
    const stepsPerSec = runSteps > 0 && trainMs > 0 ? (runSteps * 1000) / trainMs : Number.NaN;
    const bySteps = (config.steps - e.step) / stepsPerSec;
    const byTime = (deadlineMs - Date.now()) / 1000;
    return { ...e, totalSteps: config.steps, etaSec: Math.min(bySteps, byTime) };
  };

  try {
    while (adam.step < config.steps) {
      const stop = stopReason(options.signal, deadlineMs);
      if (stop) {
        stoppedBy = stop;
        break;
      }
      if (patience > 0 && valsSinceBest >= patience) {
        stoppedBy = 'plateau'; // a resumed run that had already stopped on its plateau
        break;
      }
      const t0 = performance.now();
      const next = batcher.next();
      const { codes, mirror } = identity(next);
      const batch = { ...stepBatch(next, model), codes, mirror, pairs: pairs(next) };
      const { loss, grads, fallback } = await engine.lossAndGradients(batch);
      if (!Number.isFinite(loss)) {
        throw new LfmError(
          'E_DIVERGED',
          `the training loss is ${loss} at step ${adam.step}; lower lr (${config.lr}) or clipNorm (${config.clipNorm}), or resume from an earlier checkpoint`,
        );
      }
      const norm = globalNorm(grads);
      const lr = learningRateAt(adam.step, schedule);
      adam.update(params, grads, lr, clipScale(norm, config.clipNorm));
      engine.sync();
      const dt = performance.now() - t0;
      samples += config.batchSize;
      runSteps++;
      trainMs += dt;
      windowMs += dt;
      windowSteps++;
      windowLoss += loss;
      windowFallback += fallback;
      lastLoss = loss;
      lastLr = lr;
      lastNorm = norm;
      const step = adam.step;
      progress.tick(
        progressState({
          step,
          loss,
          lr,
          samplesPerSec: trainMs > 0 ? (runSteps * config.batchSize * 1000) / trainMs : 0,
        }),
      );
      const doVal = config.valInterval > 0 && step % config.valInterval === 0;
      if (doVal) lastVal = await validate();
      if (step % config.logInterval === 0 || (doVal && lastVal)) await log(doVal ? lastVal : undefined);
      const byStep = config.checkpointInterval > 0 && step % config.checkpointInterval === 0;
      const byTime = ckptEveryMs > 0 && Date.now() - lastCkptMs >= ckptEveryMs;
      if (byStep || byTime) await saveLast();
      if (doVal && lastVal && patience > 0 && valsSinceBest >= patience) {
        stoppedBy = 'plateau';
        progress.message(
          `no val improvement (by more than ${minDelta}) in ${valsSinceBest} validations: stopping`,
        );
        break;
      }
    }
    // Stopped by a signal: no final validation (a supervisor's grace period is short), checkpoint first.
    if (stoppedBy === 'signal' && (lastCkptStep !== adam.step || !checkpoint)) await saveLast();
    if (stoppedBy !== 'signal' && config.valInterval > 0 && lastValStep !== adam.step && runSteps > 0) {
      lastVal = await validate();
      await log(lastVal);
    } else if (windowSteps > 0) {
      await log();
    }
    if (lastCkptStep !== adam.step || !checkpoint) await saveLast();
    progress.done();
    const why = stopWords(stoppedBy, config.maxMinutes);
    const sps = trainMs > 0 ? (runSteps * config.batchSize * 1000) / trainMs : 0;
    progress.message(
      `${why} at step ${adam.step}: last-step loss ${fmt(lastLoss)}, ${sps.toFixed(1)} samples/s${checkpoint ? `, checkpoint ${checkpoint}` : ''}`,
    );
    return {
      engine: engine.name,
      model,
      params,
      optimizer: adam.state(),
      step: adam.step,
      samples,
      stoppedBy,
      loss: lastLoss,
      samplesPerSec: sps,
      val: lastVal,
      checkpoint,
    };
  } finally {
    progress.done();
    await engine.dispose();
  }
}

/** `train` on the tfjs engine (autodiff on `options.tf`'s active backend), whatever `config.engine` says. */
export function trainTfjs(options: TrainTfjsOptions): Promise<TrainResult> {
  return train({ ...options, engine: 'tfjs' });
}

/** `train` on the graph engine (the ONNX training graph on onnxruntime-node), whatever `config.engine` says. */
export function trainGraph(options: Omit<TrainOptions, 'engine' | 'tf'>): Promise<TrainResult> {
  return train({ ...options, engine: 'graph' });
}

/**
 * Keeps the lines of a metrics log with step ≤ `step` (a resumed run logs the later steps again);
 * drops lines that do not parse (a write cut short). No file: nothing to do.
 */
async function truncateMetrics(path: string, step: number): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const kept = text.split('\n').filter((line) => {
    if (line.trim() === '') return false;
    try {
      const s = (JSON.parse(line) as { step?: unknown }).step;
      return typeof s === 'number' && s <= step;
    } catch {
      return false;
    }
  });
  const out = kept.map((l) => `${l}\n`).join('');
  if (out !== text) await writeFile(path, out);
}

async function findResume(config: TrainingConfig): Promise<ModelCheckpoint | undefined> {
  if (config.resume === false) return undefined;
  if (typeof config.resume === 'string') return loadModelCheckpoint(config.resume);
  if (!config.outDir) throw new InputError('resume: true needs outDir (it resumes from outDir/last.ckpt)');
  const path = join(config.outDir, OUTPUT_FILES.last);
  return existsSync(path) ? loadModelCheckpoint(path) : undefined;
}

/** CheckpointMismatchError unless the checkpoint's model config equals the training config's. */
function checkSameModel(ckpt: Record<string, unknown>, want: Record<string, unknown>): void {
  for (const k of new Set([...Object.keys(ckpt), ...Object.keys(want)])) {
    if (JSON.stringify(ckpt[k]) !== JSON.stringify(want[k])) {
      throw new CheckpointMismatchError(
        `cannot resume: the checkpoint's model has ${k} = ${JSON.stringify(ckpt[k])}, the config has ${JSON.stringify(want[k])}`,
      );
    }
  }
}

function maxPointsOf(model: TrainableModel): number | undefined {
  return model.config.kind === 'lifter' ? model.config.maxPoints : undefined;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function numberOr(v: JsonValue | undefined, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function fmt(x: number | null): string {
  return x === null || !Number.isFinite(x) ? String(x) : x.toPrecision(4);
}
