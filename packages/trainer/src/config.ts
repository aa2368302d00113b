import {
  type AugmentOptions,
  BALANCED_SAMPLER_KEYS,
  type BalancedSamplerOptions,
  type ProceduralOptions,
} from '@lfm/datasets';
import { ConfigError } from '@lfm/model';
import { LOSS_KINDS, type LossKind } from './loss.js';
import { type ModelConfig, resolveModelConfig } from './models.js';
import { LR_SCHEDULES, type LrScheduleKind } from './optim.js';

/**
 * Engines the trainer runs on: 'graph' (the ONNX training graph on onnxruntime-node, the default and
 * ~10× faster on CPU) and 'tfjs' (autodiff on a tfjs backend). Same loop, same checkpoints.
 */
export type TrainEngine = 'graph' | 'tfjs';

export const TRAIN_ENGINES: readonly TrainEngine[] = ['graph', 'tfjs'];

/** tfjs backends `loadTfjsBackend` knows. */
export type TfjsBackendName = 'tensorflow' | 'wasm' | 'cpu';

/** Progress display: 'auto' = a bar on a TTY, plain lines otherwise. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

/**
 * A training run, as JSON (`lfm train --config FILE`) or flags. Every field but `data` has a default
 * (`DEFAULT_TRAINING_CONFIG`); unknown keys are errors (a typo must not be silently ignored).
 */
export interface TrainingConfig {
  /** 'graph' (default) or 'tfjs'. */
  readonly engine: TrainEngine;
  /** The tfjs engine's preferred backend for `runTraining` (default: tensorflow if installed, else wasm). */
  readonly backend: TfjsBackendName | undefined;
  /**
   * The graph engine's onnxruntime intra-op threads per session (default `defaultGraphThreads()`:
   * cores − 1, at most 4; 1 when `workers` > 1).
   */
  readonly threads: number | undefined;
  /**
   * The graph engine's data-parallel workers (integer ≥ 1, default 1 = one in-process session): W > 1
   * runs W worker_threads, each with its own session of the same training graph (`threads` intra-op
   * threads each, default 1) on a contiguous 1/W shard of every batch; their losses and gradients,
   * weighted by shard size, add up to exactly the full-batch ones (float rounding aside). The point:
   * with several intra-op threads each of a step's ~900 small ops ends in a thread synchronisation,
   * which stalls while another job holds a core; W one-thread sessions synchronise once per step.
   * A run is deterministic (and resumes exactly) for a given W; another W changes float rounding.
   * The tfjs engine ignores it.
   */
  readonly workers: number;
  /** Dataset folders (meta.json + points.f32), or folders of such folders. `runTraining` only. */
  readonly data: readonly string[];
  /** Output folder: checkpoints (last.ckpt, best.ckpt), metrics.jsonl, config.json. None = nothing written. */
  readonly outDir: string | undefined;
  /** The model: `{ kind: 'lifter', …LifterConfig }` (default) or `{ kind: 'mlp', numJoints, hidden, blocks }`. */
  readonly model: ModelConfig;
  /** Total optimizer updates (the schedule's length). */
  readonly steps: number;
  /** B. */
  readonly batchSize: number;
  /** N: padded points per sample. Default: the model's maxPoints, else the largest J of the datasets. */
  readonly maxPoints: number | undefined;
  /** Peak learning rate. */
  readonly lr: number;
  /** Final learning rate = lr · minLrRatio. */
  readonly minLrRatio: number;
  readonly warmupSteps: number;
  readonly schedule: LrScheduleKind;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Global-norm gradient clipping threshold (0 = off). */
  readonly clipNorm: number;
  readonly loss: LossKind;
  /** Seed of the batch stream (batch k depends on (seed, k) only, which makes resume exact). */
  readonly seed: number;
  readonly augment: AugmentOptions | undefined;
  readonly sampling: BalancedSamplerOptions | undefined;
  /** k of the kNN graph for rigs without bones. */
  readonly knn: number | undefined;
  /** For a lifter with joint codes: the probability that a training sample's codes are all zeroed (identity unknown). */
  readonly jointCodeDropout: number;
  /**
   * For a lifter with joint codes: the probability that a sample whose codes were dropped gets side
   * codes instead of zeros (`sideCodeTable`: left / right / centre from its rig's mirror pairs; only
   * for rigs that have mirror pairs). A chirality cue that names no rig.
   */
  readonly sideCodes: number;
  /**
   * The mirror-invariant loss for samples without joint identity (codes dropped and no side codes, or
   * a model without codes): per sample the minimum of the loss of the output and of its depth mirror,
   * so the model commits to one of the two shapes a view allows instead of averaging them to flat.
   */
  readonly mirrorLoss: boolean;
  /**
   * For a lifter with `mirrorPairs`: the probability that a training sample's mirror partners are
   * all zeroed (none known), so the model also lifts rigs that declare no pairs. Default 0: every
   * sample gets its rig's pairs (a rig without pairs gets zeros anyway).
   */
  readonly pairsDropout: number;
  /**
   * Procedurally generated categories mixed into training (`createProceduralDatasets` of
   * @lfm/datasets: random articulated creatures and rigid objects on primitives), e.g.
   * `{ "creatures": 40, "rigid": 20 }`; their share of the batches follows `sampling` (categories
   * 'procedural-creature' and 'procedural-rigid'). Default: none.
   */
  readonly procedural: ProceduralOptions | undefined;
  /** Validate every this many steps on each dataset's val split (0 = never; also at the end when > 0). */
  readonly valInterval: number;
  /** Validation samples per dataset (evenly spaced over its val split). */
  readonly valSamples: number;
  /** Seed of the synthetic protocol used for validation. */
  readonly valSeed: number;
  /** Write last.ckpt every this many steps (0 = only at the end). */
  readonly checkpointInterval: number;
  /**
   * Also write last.ckpt when this many minutes passed since the last one (0 = off): a run killed
   * between step checkpoints (a session's end, an OOM kill) loses at most this much work.
   */
  readonly checkpointMinutes: number;
  /** A metrics.jsonl line (and a plain progress line) every this many steps. */
  readonly logInterval: number;
  /** Stop (with a checkpoint) after this many minutes of this run (0 = no limit). */
  readonly maxMinutes: number;
  /** Resume from this checkpoint; `true` = outDir/last.ckpt when it exists. */
  readonly resume: string | boolean;
  readonly progress: ProgressMode;
}

export const DEFAULT_TRAINING_CONFIG: Readonly<Omit<TrainingConfig, 'model' | 'data'>> = Object.freeze({
  engine: 'graph',
  backend: undefined,
  threads: undefined,
  workers: 1,
  outDir: undefined,
  steps: 10_000,
  batchSize: 64,
  maxPoints: undefined,
  lr: 1e-3,
  minLrRatio: 0.01,
  warmupSteps: 200,
  schedule: 'cosine',
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  clipNorm: 1,
  loss: 'procrustes',
  seed: 0,
  augment: undefined,
  sampling: undefined,
  knn: undefined,
  jointCodeDropout: 0.25,
  sideCodes: 0,
  mirrorLoss: false,
  pairsDropout: 0,
  procedural: undefined,
  valInterval: 500,
  valSamples: 256,
  valSeed: 0,
  checkpointInterval: 1000,
  checkpointMinutes: 5,
  logInterval: 10,
  maxMinutes: 0,
  resume: false,
  progress: 'auto',
});

const KEYS = [...Object.keys(DEFAULT_TRAINING_CONFIG), 'model', 'data'];

/** What the data says, for fields a config may leave out. */
export interface TrainingContext {
  /** J of the single dataset an MLP baseline is trained on (its `numJoints` default). */
  readonly numJoints?: number;
  /** Its name (the MLP's `rig` default). */
  readonly rig?: string;
  /** The rig ids of the training datasets (a code-reading lifter's `codedRigs` default). */
  readonly rigs?: readonly string[];
}

/**
 * A complete, validated training config from a partial one (or parsed JSON). ConfigError names the
 * first bad field. `data` may be empty here (`train` takes loaded datasets); `runTraining` needs it.
 */
export function resolveTrainingConfig(input: unknown = {}, context: TrainingContext = {}): TrainingConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError(
      `a training config must be an object, got ${input === null ? 'null' : typeof input}`,
    );
  }
  const raw = input as Record<string, unknown>;
  for (const k of Object.keys(raw)) {
    if (!KEYS.includes(k))
      throw new ConfigError(`unknown training config key '${k}' (known: ${KEYS.join(', ')})`);
  }
  const c: Record<string, unknown> = { ...DEFAULT_TRAINING_CONFIG };
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) c[k] = v;
  const fail = (msg: string): never => {
    throw new ConfigError(msg);
  };
  const int = (k: string, min: number) => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      fail(`${k} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  };
  const num = (k: string, lo: number, hi: number, loOpen = false) => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (loOpen && v === lo) || v > hi) {
      fail(`${k} must be a number in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${JSON.stringify(v)}`);
    }
  };
  const oneOf = (k: string, values: readonly unknown[]) => {
    if (!values.includes(c[k]))
      fail(
        `${k} must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(c[k])}`,
      );
  };
  oneOf('engine', TRAIN_ENGINES);
  if (c.threads !== undefined) int('threads', 1);
  int('workers', 1);
  if (c.backend !== undefined) oneOf('backend', ['tensorflow', 'wasm', 'cpu']);
  const data = c.data ?? [];
  const dataList = typeof data === 'string' ? [data] : data;
  if (!Array.isArray(dataList) || !dataList.every((d) => typeof d === 'string' && d.length > 0)) {
    fail(`data must be a list of dataset folders, got ${JSON.stringify(c.data)}`);
  }
  if (c.outDir !== undefined && (typeof c.outDir !== 'string' || c.outDir.length === 0)) {
    fail(`outDir must be a folder path, got ${JSON.stringify(c.outDir)}`);
  }
  int('steps', 1);
  int('batchSize', 1);
  if (c.maxPoints !== undefined) int('maxPoints', 3);
  num('lr', 0, 10, true);
  num('minLrRatio', 0, 1);
  int('warmupSteps', 0);
  oneOf('schedule', LR_SCHEDULES);
  num('beta1', 0, 1);
  num('beta2', 0, 1);
  num('epsilon', 0, 1, true);
  num('clipNorm', 0, Number.MAX_VALUE);
  oneOf('loss', LOSS_KINDS);
  int('seed', 0);
  if (c.knn !== undefined) int('knn', 1);
  num('jointCodeDropout', 0, 1);
  num('sideCodes', 0, 1);
  if (typeof c.mirrorLoss !== 'boolean')
    fail(`mirrorLoss must be true or false, got ${JSON.stringify(c.mirrorLoss)}`);
  num('pairsDropout', 0, 1);
  for (const k of ['augment', 'sampling', 'procedural']) {
    if (c[k] !== undefined && (typeof c[k] !== 'object' || c[k] === null || Array.isArray(c[k]))) {
      fail(`${k} must be an object, got ${JSON.stringify(c[k])}`);
    }
  }
  if (c.sampling !== undefined) {
    const known: readonly string[] = BALANCED_SAMPLER_KEYS;
    for (const k of Object.keys(c.sampling as object)) {
      if (!known.includes(k)) fail(`unknown sampling key '${k}' (known: ${known.join(', ')})`);
    }
  }
  int('valInterval', 0);
  int('valSamples', 1);
  int('valSeed', 0);
  int('checkpointInterval', 0);
  num('checkpointMinutes', 0, Number.MAX_VALUE);
  int('logInterval', 1);
  num('maxMinutes', 0, Number.MAX_VALUE);
  if (typeof c.resume !== 'boolean' && (typeof c.resume !== 'string' || c.resume.length === 0)) {
    fail(`resume must be true, false or a checkpoint path, got ${JSON.stringify(c.resume)}`);
  }
  oneOf('progress', ['auto', 'bar', 'lines', 'none']);
  const modelInput = (c.model ?? {}) as Record<string, unknown>;
  let model = resolveModelConfig(
    modelInput.kind === 'mlp'
      ? { numJoints: context.numJoints, rig: context.rig, ...stripUndefined(modelInput) }
      : modelInput,
  );
  if (
    model.kind === 'lifter' &&
    model.jointCodes > 0 &&
    model.codedRigs === undefined &&
    context.rigs !== undefined
  ) {
    model = resolveModelConfig({ ...model, codedRigs: [...new Set(context.rigs)] });
  }
  return Object.freeze({
    ...(c as unknown as TrainingConfig),
    data: Object.freeze([...(dataList as string[])]),
    model,
  });
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
