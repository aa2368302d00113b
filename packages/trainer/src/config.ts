import {
  type AugmentOptions,
  BALANCED_SAMPLER_KEYS,
  type BalancedSamplerOptions,
  type ProceduralOptions,
} from '@lfm/datasets';
import {
  anyObject,
  ConfigError,
  configObject,
  entryDefaults,
  flag,
  integerIn,
  nonEmptyString,
  numberIn,
  oneOf,
  parseConfig,
} from '@lfm/format';
import * as v from 'valibot';
import { LOSS_KINDS } from './loss.js';
import { type ModelConfig, resolveModelConfig } from './models.js';
import { LR_SCHEDULES } from './optim.js';

/**
 * Engines the trainer runs on: 'graph' (the ONNX training graph on onnxruntime-node, the default and
 * ~10× faster on CPU) and 'tfjs' (autodiff on a tfjs backend). Same loop, same checkpoints.
 */
export type TrainEngine = 'graph' | 'tfjs';

export const TRAIN_ENGINES: readonly TrainEngine[] = ['graph', 'tfjs'];

/** tfjs backends `loadTfjsBackend` knows. */
export type TfjsBackendName = (typeof TFJS_BACKENDS)[number];
const TFJS_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

/** Progress display: 'auto' = a bar on a TTY, plain lines otherwise. */
export type ProgressMode = (typeof PROGRESS_MODES)[number];
const PROGRESS_MODES = ['auto', 'bar', 'lines', 'none'] as const;

// The sampler's own keys (its values are @lfm/datasets' to check): an unknown one is a typo.
const samplingSchema = v.pipe(
  anyObject(),
  configObject(
    'sampling',
    Object.fromEntries(BALANCED_SAMPLER_KEYS.map((k) => [k, v.optional(v.unknown())])),
  ),
  v.transform((sampling) => sampling as BalancedSamplerOptions),
);
const resumeMessage = (issue: v.BaseIssue<unknown>) =>
  `must be true, false or a checkpoint path, got ${JSON.stringify(issue.input)}`;
const dataFolder = nonEmptyString('a dataset folder');
const dataMessage = (issue: v.BaseIssue<unknown>) =>
  `must be a list of dataset folders, got ${JSON.stringify(issue.input)}`;

/**
 * A training run, as JSON (`lfm train --config FILE`) or flags: one entry per key with its type,
 * range and default (absent = optional, no default). Every field but `data` has a default
 * (`DEFAULT_TRAINING_CONFIG`); unknown keys are errors (a typo must not be silently ignored).
 */
const TRAINING_CONFIG_ENTRIES = {
  /** 'graph' (default) or 'tfjs'. */
  engine: v.optional(oneOf(TRAIN_ENGINES), 'graph'),
  /** The tfjs engine's preferred backend for `runTraining` (default: tensorflow if installed, else wasm). */
  backend: v.optional(oneOf(TFJS_BACKENDS)),
  /**
   * The graph engine's onnxruntime intra-op threads per session (default `defaultGraphThreads()`:
   * cores − 1, at most 4; 1 when `workers` > 1).
   */
  threads: v.optional(integerIn(1)),
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
  workers: v.optional(integerIn(1), 1),
  /** Output folder: checkpoints (last.ckpt, best.ckpt), metrics.jsonl, config.json. None = nothing written. */
  outDir: v.optional(nonEmptyString('a folder path')),
  /** Total optimizer updates (the schedule's length). */
  steps: v.optional(integerIn(1), 10_000),
  /** B. */
  batchSize: v.optional(integerIn(1), 64),
  /** N: padded points per sample. Default: the model's maxPoints, else the largest J of the datasets. */
  maxPoints: v.optional(integerIn(3)),
  /** Peak learning rate. */
  lr: v.optional(numberIn(0, 10, { minOpen: true }), 1e-3),
  /** Final learning rate = lr · minLrRatio. */
  minLrRatio: v.optional(numberIn(0, 1), 0.01),
  warmupSteps: v.optional(integerIn(0), 200),
  schedule: v.optional(oneOf(LR_SCHEDULES), 'cosine'),
  beta1: v.optional(numberIn(0, 1), 0.9),
  beta2: v.optional(numberIn(0, 1), 0.999),
  epsilon: v.optional(numberIn(0, 1, { minOpen: true }), 1e-8),
  /** Global-norm gradient clipping threshold (0 = off). */
  clipNorm: v.optional(numberIn(0), 1),
  loss: v.optional(oneOf(LOSS_KINDS), 'procrustes'),
  /** Seed of the batch stream (batch k depends on (seed, k) only, which makes resume exact). */
  seed: v.optional(integerIn(0), 0),
  augment: v.optional(anyObject<AugmentOptions>()),
  sampling: v.optional(samplingSchema),
  /** k of the kNN graph for rigs without bones. */
  knn: v.optional(integerIn(1)),
  /** For a lifter with joint codes: the probability that a training sample's codes are all zeroed (identity unknown). */
  jointCodeDropout: v.optional(numberIn(0, 1), 0.25),
  /**
   * For a lifter with joint codes: the probability that a sample whose codes were dropped gets side
   * codes instead of zeros (`sideCodeTable`: left / right / centre from its rig's mirror pairs; only
   * for rigs that have mirror pairs). A chirality cue that names no rig.
   */
  sideCodes: v.optional(numberIn(0, 1), 0),
  /**
   * For a lifter with joint codes: name the codes of a rig's joints after what they are, not after the
   * rig — a joint with an anatomical name (`@lfm/rigs` `anatomicalKeys`: `l_knee`, `lknee`, `LeftLeg`
   * are one knee) gets the code of that name within its category (`rigAnatomicalCodeTable`), shared by
   * every rig of the category that has the joint; other joints keep their rig's codes. A new rig of a
   * trained category then has codes the model knows at its named joints. Evaluation and lifting must
   * use the same tables (`rigAnatomicalCodeTable`): true here sets the lifter config's `anatomicalCodes`,
   * which the checkpoint and the ONNX carry, so that `lfm eval`, `lfm lift` and `lfm adapt` do.
   */
  anatomicalCodes: v.optional(flag()),
  /**
   * For a lifter with joint codes: the probability that a sample that keeps its codes has them zeroed
   * at a random 10–60 % of its joints, so that partly coded input (a new rig whose joints are only
   * partly named like a trained rig's) is in distribution. Default 0. (This and `anatomicalCodes` have
   * no resolved default, so that configs written before them resolve as they did and their runs resume.)
   */
  partialCodes: v.optional(numberIn(0, 1)),
  /**
   * Which rigs `partialCodes` applies to: 'all' (the default) or 'named', only rigs with at least one
   * anatomically named joint (`@lfm/rigs` `anatomicalKeys`) — a rig of numbered points (aflw-face's 68)
   * keeps whole tables, as a new rig of it would never be partly coded by name.
   */
  partialCodesRigs: v.optional(oneOf(['all', 'named'] as const)),
  /**
   * The mirror-invariant loss for samples without joint identity (codes dropped and no side codes, or
   * a model without codes): per sample the minimum of the loss of the output and of its depth mirror,
   * so the model commits to one of the two shapes a view allows instead of averaging them to flat.
   */
  mirrorLoss: v.optional(flag(), false),
  /**
   * For a lifter with `mirrorPairs`: the probability that a training sample's mirror partners are
   * all zeroed (none known), so the model also lifts rigs that declare no pairs. Default 0: every
   * sample gets its rig's pairs (a rig without pairs gets zeros anyway).
   */
  pairsDropout: v.optional(numberIn(0, 1), 0),
  /**
   * Give a dataset that declares no mirror pairs (numbered markers) the pairs of its train split's
   * bilateral symmetry (`inferredPairs3d`), for the mirror-partner input and the augmentations that
   * read pairs. No resolved default (configs written before it resolve as they did).
   */
  inferPairs: v.optional(flag()),
  /**
   * Procedurally generated categories mixed into training (`createProceduralDatasets` of
   * @lfm/datasets: random articulated creatures and rigid objects on primitives), e.g.
   * `{ "creatures": 40, "rigid": 20 }`; their share of the batches follows `sampling` (categories
   * 'procedural-creature' and 'procedural-rigid'). Default: none.
   */
  procedural: v.optional(anyObject<ProceduralOptions>()),
  /** Validate every this many steps on each dataset's val split (0 = never; also at the end when > 0). */
  valInterval: v.optional(integerIn(0), 500),
  /** Validation samples per dataset (evenly spaced over its val split). */
  valSamples: v.optional(integerIn(1), 256),
  /** Seed of the synthetic protocol used for validation. */
  valSeed: v.optional(integerIn(0), 0),
  /**
   * Stop ("validation plateau") after this many validations in a row that did not improve the best
   * val nPA-MPJPE by more than `valMinDelta` (absent or 0 = never; needs `valInterval` > 0). Counted
   * across resumes. No default value, so that a config without it resolves to the same JSON as before.
   */
  valPatience: v.optional(integerIn(0)),
  /** How much a validation must improve on the best so far to reset `valPatience`'s count (absent = 0). */
  valMinDelta: v.optional(numberIn(0)),
  /** Write last.ckpt every this many steps (0 = only at the end). */
  checkpointInterval: v.optional(integerIn(0), 1000),
  /**
   * Also write last.ckpt when this many minutes passed since the last one (0 = off): a run killed
   * between step checkpoints (a session's end, an OOM kill) loses at most this much work.
   */
  checkpointMinutes: v.optional(numberIn(0), 5),
  /** A metrics.jsonl line (and a plain progress line) every this many steps. */
  logInterval: v.optional(integerIn(1), 10),
  /** Stop (with a checkpoint) after this many minutes of this run (0 = no limit). */
  maxMinutes: v.optional(numberIn(0), 0),
  /** Resume from this checkpoint; `true` = outDir/last.ckpt when it exists. */
  resume: v.optional(
    v.union([flag(), nonEmptyString('true, false or a checkpoint path')], resumeMessage),
    false,
  ),
  progress: v.optional(oneOf(PROGRESS_MODES), 'auto'),
  /**
   * The model: `{ kind: 'lifter', …LifterConfig }` (default) or `{ kind: 'mlp', numJoints, hidden, blocks }`;
   * its keys are checked by `resolveModelConfig` (the lifter's by `@lfm/format`'s schema).
   */
  model: v.optional(v.unknown()),
  /** Dataset folders (meta.json + points.f32), or folders of such folders; one folder may be a string. `runTraining` only. */
  data: v.optional(v.union([dataFolder, v.array(dataFolder)], dataMessage)),
};

/** The schema of a training config as written (`model` is resolved by `resolveModelConfig`). */
export const TrainingConfigSchema = configObject('training config', TRAINING_CONFIG_ENTRIES);

/** A resolved training run (see `TrainingConfigSchema` for each field). */
export type TrainingConfig = Readonly<
  Omit<v.InferOutput<typeof TrainingConfigSchema>, 'model' | 'data'> & {
    readonly model: ModelConfig;
    readonly data: readonly string[];
  }
>;

/** Every field but `model` and `data`, in declaration order; optional ones present as undefined. */
export const DEFAULT_TRAINING_CONFIG: Readonly<Omit<TrainingConfig, 'model' | 'data'>> = Object.freeze(
  (({ model: _m, data: _d, ...rest }) => rest)(entryDefaults(TRAINING_CONFIG_ENTRIES, true)) as Omit<
    TrainingConfig,
    'model' | 'data'
  >,
);

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
  const parsed = parseConfig(TrainingConfigSchema, input, 'a training config');
  // The values as given, in the key order they always had (config.json and a checkpoint's
  // `training` metadata are this object's JSON): the defaults' order, then `data` / `model`.
  const c: Record<string, unknown> = { ...DEFAULT_TRAINING_CONFIG };
  for (const [k, value] of Object.entries(input as object)) if (value !== undefined) c[k] = value;
  const dataList = typeof parsed.data === 'string' ? [parsed.data] : (parsed.data ?? []);
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
  if (parsed.anatomicalCodes === true && model.kind === 'lifter' && model.jointCodes > 0) {
    if (model.anatomicalCodes === false) {
      throw new ConfigError(
        'anatomicalCodes: the training option is true but model.anatomicalCodes is false; drop one',
      );
    }
    if (model.anatomicalCodes === undefined) model = resolveModelConfig({ ...model, anatomicalCodes: true });
  }
  return Object.freeze({
    ...(c as unknown as TrainingConfig),
    data: Object.freeze([...dataList]),
    model,
  });
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
