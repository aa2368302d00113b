import { InputError, LfmError, nd, type Ops, type Params, Rng, randomRotation } from '@lfm/core';
import { DEFAULT_KNN_K, type Edge, preprocessKeypoints, type Split, writeMirrorPairs } from '@lfm/datasets';
import {
  type ConfigError,
  forwardLifterParts,
  type JsonValue,
  type LifterConfig,
  parameterShapes,
  resolveLifterConfig,
} from '@lfm/model';
import {
  buildTrainingGraph,
  createOnnxRecorder,
  type ExportLifterOptions,
  exportLifter,
  type JointCodeTableData,
  readLifterWeights,
  type Sym,
} from '@lfm/onnx';
import { alignSimilarity } from '@lfm/procrustes';
import type * as Ort from 'onnxruntime-node';
import {
  type AdaptDataset,
  type AdaptSamples,
  adaptSamplesFromDataset,
  checkAdaptSamples,
  type DatasetSamplesOptions,
} from './adapt-data.js';
import {
  baseRegularizerOps,
  cameraFitOps,
  canonicalizationLossOps,
  lowRankLossOps,
  multiViewLossOps,
  reprojectionLossOps,
} from './adapt-loss.js';
import { decodeModelCheckpoint } from './checkpoint.js';
import type { ProgressMode } from './config.js';
import { rigCodeTable } from './evaluate.js';
import { defaultGraphThreads, graphSessionOptions, loadOnnxRuntime } from './graph-engine.js';
import { lifterConfigOf } from './models.js';
import { Adam } from './optim.js';
import { formatDuration, ProgressReporter, type ProgressStream } from './progress.js';

/**
 * `adapt` (issue 17): teaches a pretrained lifter a new rig from its 2D keypoints alone. The base
 * model's weights stay frozen; what is learned is the rig's joint-code table [J, k] (the identity
 * input the lifter adds to its tokens: tokens += codes · W + b) — and, with `mode: 'last-layers'`,
 * the last graph-transformer layer, the final norm and the decoder as well.
 * The objective (`adapt-loss.ts`) sees only 2D: reprojection of the decoded shape through its fitted
 * camera, multi-view consistency between the cameras of a frame, a low-rank prior with
 * canonicalisation consistency, and a regulariser toward the frozen base model's output. It runs on
 * the graph engine: one ONNX training graph (the model traced twice — the second lift is the
 * canonicalisation's — and the loss), differentiated by `buildTrainingGraph` with respect to the
 * `codes` input (summed per joint into the table's gradient) and the trainable weights, stepped by
 * Adam in JS.
 */

/** What is adapted: the rig's joint codes only (default), or also the network's last layers. */
export type AdaptMode = 'codes' | 'last-layers';
export const ADAPT_MODES: readonly AdaptMode[] = ['codes', 'last-layers'];

/** Weights of the objective's terms (0 drops a term from the graph). */
export interface AdaptWeights {
  /** (a) the decoded shape S through the head's fitted camera vs the observed 2D. */
  readonly reprojection: number;
  /** (b) one shape for every camera of a frame (only with multi-view data). */
  readonly multiView: number;
  /** (c) the batch's aligned shapes near a rank-`rank` affine basis. */
  readonly lowRank: number;
  /** (c′) a rotated, re-projected and re-lifted prediction is the same shape. */
  readonly canonical: number;
  /** (d) the lifted shape stays near the frozen base model's (normalised Procrustes distance). */
  readonly base: number;
}

/** The default weights (docs: packages/trainer/README.md, "Adapting to a new rig"). */
export const DEFAULT_ADAPT_WEIGHTS: Readonly<AdaptWeights> = Object.freeze({
  reprojection: 1,
  multiView: 1,
  lowRank: 0.1,
  canonical: 0,
  base: 0.1,
});

/** The term names, in report order. */
export const ADAPT_TERMS = ['reprojection', 'multiView', 'lowRank', 'canonical', 'base'] as const;
export type AdaptTerm = (typeof ADAPT_TERMS)[number];

/** The terms' values (unweighted) and the weighted total. */
export type AdaptLosses = { readonly total: number } & { readonly [K in AdaptTerm]: number | null };

/** The model to adapt: a lifter checkpoint's config and weights (a decoded .ckpt, or an .onnx's `readLifterWeights`). */
export interface AdaptBase {
  readonly config: LifterConfig | (LifterConfig & { readonly kind: 'lifter' });
  readonly params: Readonly<Record<string, Float32Array>>;
  /** Code tables the base model stores as data (a model adapted before), by rig id. */
  readonly jointCodeTables?: Readonly<Record<string, JointCodeTableData>>;
  /** Its training metadata (kept in the adapted model's `lfm.training`). */
  readonly metadata?: Readonly<Record<string, JsonValue>>;
}

export interface AdaptOptions {
  readonly base: AdaptBase;
  /** Loaded datasets: their 2D is read by `protocol` from `split` (the 3D never reaches the loss). */
  readonly datasets?: readonly AdaptDataset[];
  /** How a dataset's 2D is read (default 'synthetic'; see `adaptSamplesFromDataset`). */
  readonly protocol?: 'synthetic' | 'real';
  /** Split of the datasets to adapt on (default 'train'). */
  readonly split?: Split | readonly Split[];
  /** At most this many frames per dataset (evenly spaced). */
  readonly frames?: number;
  /** 2D sample sets (one rig each): keypoint files, or arrays of your own. */
  readonly samples?: readonly AdaptSamples[];
  /** Default 'codes'. */
  readonly mode?: AdaptMode;
  /** Adam updates (default 300). */
  readonly steps?: number;
  /** Wall-clock budget in minutes (default none); whichever of steps and time comes first stops. */
  readonly maxMinutes?: number;
  /** Samples per step (default 64; all cameras of a frame go into the same batch). */
  readonly batchSize?: number;
  /**
   * Learning rate of the codes (default per rig: 3e-2 from zero codes — out of the near-flat start
   * quickly; 1e-2 from codes the model has — a trained rig's or an adapted table).
   */
  readonly lr?: number;
  /** Learning rate of the network layers with mode 'last-layers' (default 1e-4). */
  readonly layerLr?: number;
  /** Term weights (defaults `DEFAULT_ADAPT_WEIGHTS`). */
  readonly weights?: Partial<AdaptWeights>;
  /** K of the low-rank prior (default 6). */
  readonly rank?: number;
  /** Seed of the batches, rotations and the synthetic protocol's views (default 0). */
  readonly seed?: number;
  /** onnxruntime intra-op threads (default `defaultGraphThreads()`). */
  readonly threads?: number;
  /** Progress (default process.stderr), in `progress` mode (default 'auto'). */
  readonly output?: ProgressStream;
  readonly progress?: ProgressMode;
  /** Steps between progress lines and `history` entries (default 10). */
  readonly logInterval?: number;
  /** Stops after the current step. */
  readonly signal?: AbortSignal;
  /** Called with every history entry. */
  readonly onLog?: (entry: AdaptLogEntry) => void;
}

export interface AdaptLogEntry {
  readonly step: number;
  readonly elapsedSec: number;
  /** Means over the steps since the previous entry. */
  readonly losses: AdaptLosses;
}

/** One adapted rig. */
export interface AdaptedRig {
  readonly id: string;
  readonly numJoints: number;
  /** Samples it was adapted on (after dropping those with < 3 visible points). */
  readonly samples: number;
  /** Multi-view groups (frames seen by ≥ 2 cameras). */
  readonly multiViewGroups: number;
  /** Where its initial codes came from. */
  readonly init: 'adapted' | 'coded' | 'zeros';
}

export interface AdaptResult {
  /** The lifter config (with `kind` removed), as the base's. */
  readonly config: LifterConfig;
  /** Every parameter: the base's, with the adapted layers replaced under mode 'last-layers'. */
  readonly params: Record<string, Float32Array>;
  /** The code tables to store in the model: the base's, with every adapted rig's. */
  readonly jointCodeTables: Record<string, JointCodeTableData>;
  readonly rigs: readonly AdaptedRig[];
  readonly mode: AdaptMode;
  readonly weights: AdaptWeights;
  readonly steps: number;
  readonly seconds: number;
  readonly stoppedBy: 'steps' | 'time' | 'signal';
  /** The objective at the base model (the first step's batch), and over the last log window. */
  readonly initial: AdaptLosses;
  readonly final: AdaptLosses;
  readonly history: readonly AdaptLogEntry[];
  /** The training metadata to export with: the base's, plus `adaptation`. */
  readonly metadata: Record<string, JsonValue>;
}

/**
 * The parameter names `mode: 'last-layers'` trains: the last graph-transformer layer, the final norm
 * and the decoder. (Not the camera head's gate: the objective constrains the lifted shape — the
 * observed 2D with the fitted depth — which the gate does not change.)
 */
export function lastLayerParams(config: LifterConfig): string[] {
  const last = `layers.${config.layers - 1}.`;
  return parameterShapes(config)
    .filter(
      (s) =>
        s.trainable &&
        (s.name.startsWith(last) || s.name.startsWith('final_norm.') || s.name.startsWith('decoder.')),
    )
    .map((s) => s.name);
}

/** Steps of the learning rate's linear warm-up. */
export const ADAPT_WARMUP_STEPS = 20;

/** The symbolic sizes the adaptation graph is traced at. */
const TRACE = { B: 2, N: 5 };

interface AdaptGraph {
  readonly bytes: Uint8Array;
  readonly lossName: string;
  readonly codesGrad: string;
  readonly gradients: Readonly<Record<string, string>>;
  readonly paramNames: readonly string[];
  readonly terms: readonly AdaptTerm[];
  readonly inputs: readonly string[];
}

/** What the adaptation objective reads (see `buildAdaptGraph`); the optional ones turn their term on. */
export interface AdaptObjectiveInputs<T> {
  readonly points: T;
  readonly mask: T;
  readonly adj?: T;
  readonly codes: T;
  /** [B, N, N] mirror partners, for a model with `mirrorPairs`. */
  readonly pairs?: T;
  readonly base?: T;
  readonly partner?: T;
  readonly rotation?: T;
  readonly reference?: T;
  readonly basis?: T;
}

/**
 * The adaptation objective of a lifter, against `Ops<T>` (the graph engine traces it; the tests run
 * it on the Float64 reference engine): the lift of `points` — the output, and for the camera head
 * the lifted shape (observed 2D, fitted depth) and the reprojection of S (`cameraFitOps`) — then
 * Σ weight · term over the terms whose inputs are given and weight > 0 (reprojection always):
 * multiView needs partner, canonical rotation, lowRank reference (and basis for K > 0), base base
 * (the frozen base model's lifted shapes). Every term but the reprojection constrains the lifted shape.
 * Returns the weighted loss, each term's value and the low-rank term's aligned shapes.
 */
export function adaptObjectiveOps<T>(
  ops: Ops<T>,
  params: Params<T>,
  inputs: AdaptObjectiveInputs<T>,
  config: LifterConfig,
  weights: AdaptWeights,
): { loss: T; terms: Partial<Record<AdaptTerm, T>>; aligned: T | undefined } {
  const { mask, adj, codes, pairs } = inputs;
  // The lifted shape the prior terms constrain: the observed 2D with the head's fitted depth
  // (`cameraFitOps`); for a model with the paper's head, its output.
  const lift = (p: T) => {
    const { output, shape } = forwardLifterParts(
      ops,
      params,
      { points: p, mask, ...(adj && { adj }), codes, ...(pairs && { pairs }) },
      config,
    );
    if (shape === undefined) return { output, lifted: output, reprojection: undefined };
    const fit = cameraFitOps(ops, shape, p, mask);
    return { output, lifted: fit.lifted, reprojection: fit.reprojection };
  };
  const first = lift(inputs.points);
  const y = first.lifted;
  const w = weights;
  const values: Partial<Record<AdaptTerm, T>> = {};
  if (w.reprojection > 0) {
    values.reprojection =
      first.reprojection === undefined
        ? reprojectionLossOps(ops, first.output, inputs.points, mask)
        : ops.reduceMean(first.reprojection);
  }
  if (inputs.partner && w.multiView > 0) values.multiView = multiViewLossOps(ops, y, mask, inputs.partner);
  let aligned: T | undefined;
  if (inputs.reference && w.lowRank > 0) {
    const prior = lowRankLossOps(ops, y, mask, inputs.reference, inputs.basis);
    values.lowRank = prior.loss;
    aligned = prior.aligned;
  }
  if (inputs.rotation && w.canonical > 0) {
    values.canonical = canonicalizationLossOps(ops, y, mask, inputs.rotation, (p) => lift(p).lifted);
  }
  if (inputs.base && w.base > 0) values.base = baseRegularizerOps(ops, y, inputs.base, mask);
  let loss: T | undefined;
  for (const t of ADAPT_TERMS) {
    if (values[t] === undefined) continue;
    const term = ops.mul(values[t]!, w[t]);
    loss = loss === undefined ? term : ops.add(loss, term);
  }
  if (loss === undefined) throw new InputError('adapt: every term has weight 0: nothing to learn from');
  return { loss, terms: values, aligned };
}

/** The lifter config `adaptObjectiveOps` traces (maxPoints and codedRigs are runtime contracts, not the network). */
export function adaptTraceConfig(config: LifterConfig): LifterConfig {
  const { maxPoints: _m, codedRigs: _c, ...rest } = config;
  return resolveLifterConfig(rest);
}

/**
 * The adaptation training graph of a lifter (`adaptObjectiveOps` traced): inputs points, mask, adj
 * (when the model reads it), codes, base, and per term partner [B, B] (multi-view), rotation
 * [B, 3, 3] (canonicalisation), reference [N, 3] and basis [K, N, 3] (low rank), then the
 * parameters; outputs the weighted loss, each term's value (`term/<name>`), the low-rank term's
 * aligned shapes `aligned` [B, 3N], grad/codes and grad/<param> of `trainable`.
 */
export function buildAdaptGraph(
  config: LifterConfig,
  params: Readonly<Record<string, Float32Array>>,
  options: {
    readonly weights: AdaptWeights;
    readonly multiView: boolean;
    readonly rank: number;
    readonly trainable: readonly string[];
  },
): AdaptGraph {
  const lifter = adaptTraceConfig(config);
  const k = lifter.jointCodes;
  const w = options.weights;
  const r = createOnnxRecorder({ dims: TRACE, paramsAs: 'inputs' });
  const lowRank = w.lowRank > 0;
  const inputs: AdaptObjectiveInputs<Sym> = {
    points: r.input('points', ['B', 'N', 2]),
    mask: r.input('mask', ['B', 'N']),
    ...(config.attention !== 'global' && { adj: r.input('adj', ['B', 'N', 'N']) }),
    codes: r.input('codes', ['B', 'N', k]),
    ...(lifter.mirrorPairs && { pairs: r.input('pairs', ['B', 'N', 'N']) }),
    ...(w.base > 0 && { base: r.input('base', ['B', 'N', 3]) }),
    ...(options.multiView && w.multiView > 0 && { partner: r.input('partner', ['B', 'B']) }),
    ...(w.canonical > 0 && { rotation: r.input('rotation', ['B', 3, 3]) }),
    ...(lowRank && { reference: r.input('reference', ['N', 3]) }),
    ...(lowRank && options.rank > 0 && { basis: r.input('basis', [options.rank, 'N', 3]) }),
  };
  const { loss, terms: values, aligned } = adaptObjectiveOps(r.ops, r.params(params), inputs, lifter, w);
  const terms = ADAPT_TERMS.filter((t) => values[t] !== undefined);
  const tg = buildTrainingGraph(r, {
    loss,
    params: options.trainable,
    inputs: ['codes'],
    outputs: {
      ...Object.fromEntries(terms.map((t) => [`term/${t}`, values[t]!])),
      ...(aligned && { aligned }),
    },
  });
  return {
    bytes: tg.toModel(),
    lossName: tg.lossName,
    codesGrad: tg.gradients.codes!,
    gradients: Object.fromEntries(options.trainable.map((n) => [n, tg.gradients[n]!])),
    paramNames: tg.paramNames,
    terms,
    inputs: tg.inputNames,
  };
}

/** One rig's state during adaptation. */
interface RigState {
  readonly samples: AdaptSamples;
  readonly table: Float32Array; // [J, k], the trained parameter
  readonly base: Float32Array; // [S, J, 3] the frozen base model's predictions
  readonly prior: ShapePrior; // the low-rank term's reference and basis
  readonly groups: readonly (readonly number[])[]; // sample indices per group
  readonly info: AdaptedRig;
  order: Int32Array;
  cursor: number;
}

/**
 * Adapts `options.base` to the rigs of `options.datasets` (read as 2D by `protocol`/`split`) and
 * `options.samples`: see the module comment. Resolves with the adapted model (config, params, code
 * tables: export it with `exportAdaptedLifter`), its losses and history. InputError for bad input
 * (no 2D, no sample with ≥ 3 visible points, a rig whose joints disagree with the data, a model
 * without joint codes in mode 'codes', two sample sets of one rig id with different joints).
 */
export async function adapt(options: AdaptOptions): Promise<AdaptResult> {
  const startMs = Date.now();
  const { kind: _kind, ...lifterFields } = options.base.config as LifterConfig & { kind?: string };
  let config: LifterConfig;
  try {
    config = resolveLifterConfig(lifterFields);
  } catch (err) {
    throw new InputError(`adapt: the base model is not a lifter: ${(err as ConfigError).message}`);
  }
  const mode = options.mode ?? 'codes';
  if (!ADAPT_MODES.includes(mode)) {
    throw new InputError(
      `adapt: mode must be ${ADAPT_MODES.map((m) => `'${m}'`).join(' or ')}, got '${mode}'`,
    );
  }
  const k = config.jointCodes;
  if (k === 0) {
    throw new InputError(
      "adapt: the base model has no joint-code input (jointCodes 0), so a rig's codes cannot be learned; use a model trained with joint codes",
    );
  }
  const weights: AdaptWeights = { ...DEFAULT_ADAPT_WEIGHTS, ...options.weights };
  for (const t of ADAPT_TERMS) {
    if (!(Number.isFinite(weights[t]) && weights[t] >= 0)) {
      throw new InputError(`adapt: weight ${t} must be a number ≥ 0, got ${weights[t]}`);
    }
  }
  const steps = options.steps ?? 300;
  const batchSize = options.batchSize ?? 64;
  const rank = options.rank ?? 6;
  const lrOf = (init: AdaptedRig['init']) => options.lr ?? (init === 'zeros' ? 3e-2 : 1e-2);
  const layerLr = options.layerLr ?? 1e-4;
  const seed = options.seed ?? 0;
  const logInterval = options.logInterval ?? 10;
  const positiveInt = (name: string, v: number, min: number) => {
    if (!(Number.isInteger(v) && v >= min))
      throw new InputError(`adapt: ${name} must be an integer ≥ ${min}, got ${v}`);
  };
  positiveInt('steps', steps, 0);
  positiveInt('batchSize', batchSize, 2);
  positiveInt('rank', rank, 0);
  positiveInt('logInterval', logInterval, 1);
  if (options.maxMinutes !== undefined && !(options.maxMinutes >= 0)) {
    throw new InputError(`adapt: maxMinutes must be ≥ 0, got ${options.maxMinutes}`);
  }
  const progress = new ProgressReporter(options.output ?? process.stderr, options.progress ?? 'auto');

  // --- the 2D ---
  const sets: AdaptSamples[] = [];
  const sampleOptions: DatasetSamplesOptions = {
    protocol: options.protocol ?? 'synthetic',
    split: options.split ?? 'train',
    seed,
    ...(options.frames !== undefined && { limit: options.frames }),
  };
  for (const ds of options.datasets ?? []) {
    const s = adaptSamplesFromDataset(ds, sampleOptions);
    if (s.dropped > 0) progress.message(`${ds.name}: ${s.dropped} sample(s) with < 3 visible points skipped`);
    sets.push(s);
  }
  for (const s of options.samples ?? []) {
    checkAdaptSamples(s);
    sets.push(s);
  }
  if (sets.length === 0) throw new InputError('adapt: no 2D to adapt on (no datasets and no samples)');
  for (const s of sets) {
    if (config.maxPoints !== undefined && s.numJoints > config.maxPoints) {
      throw new InputError(
        `${s.source}: rig ${s.rig.id} has ${s.numJoints} joints, more than the model's maximum ${config.maxPoints}`,
      );
    }
  }
  const bySets = mergeByRig(sets);

  // --- initial codes, the frozen base model's predictions and the reference shapes ---
  const trainableLayers = mode === 'last-layers' ? lastLayerParams(config) : [];
  const params: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(options.base.params)) {
    params[name] = trainableLayers.includes(name) ? v.slice() : (v as Float32Array);
  }
  const threads = options.threads ?? defaultGraphThreads();
  const ort = await loadOnnxRuntime();
  const specs = parameterShapes(config);
  const paramFeeds = (names: readonly string[]): Record<string, Ort.Tensor> => {
    const feeds: Record<string, Ort.Tensor> = {};
    for (const name of names) {
      const spec = specs.find((s) => s.name === name);
      if (!spec || !params[name]) throw new LfmError('E_PARAM', `parameter '${name}' is missing`);
      feeds[name] = new ort.Tensor('float32', params[name]!, [...spec.shape]);
    }
    return feeds;
  };
  const forward = buildLiftedForwardGraph(config, params);
  const predictor = await ort.InferenceSession.create(forward.bytes, graphSessionOptions({ threads }));
  const forwardParams = paramFeeds(forward.paramNames);
  const rigs: RigState[] = [];
  try {
    for (const samples of bySets) {
      const { table, init } = initialTable(samples.rig, config, options.base.jointCodeTables);
      const groups = groupsOf(samples.group);
      const info: AdaptedRig = {
        id: samples.rig.id,
        numJoints: samples.numJoints,
        samples: samples.count,
        multiViewGroups: groups.filter((g) => g.length > 1).length,
        init,
      };
      // The 2D is made: from here on nothing reads a dataset (the tests poison its 3D at this line).
      progress.message(
        `adapt ${info.id}: ${info.samples} samples of ${info.numJoints} joints` +
          (info.multiViewGroups > 0 ? `, ${info.multiViewGroups} multi-view frames` : '') +
          `, initial codes ${init}`,
      );
      const base = await liftAll(ort, predictor, forwardParams, samples, table, k);
      rigs.push({
        samples,
        table,
        base,
        prior: ShapePrior.fromShapes(base, samples.mask, samples.count, samples.numJoints, rank),
        groups,
        info,
        order: new Int32Array(0),
        cursor: 0,
      });
    }
  } finally {
    await predictor.release();
  }

  // --- the graph ---
  const multiView = rigs.some((r) => r.info.multiViewGroups > 0);
  if (!multiView && weights.multiView > 0) {
    progress.message(
      'no frame is seen by more than one camera: only the single-view terms apply (on one view per frame they ' +
        'have not improved on zero-shot in our measurements; real cameras — views.f32, protocol real — are what adapt learns from)',
    );
  }
  const graph = buildAdaptGraph(config, params, { weights, multiView, rank, trainable: trainableLayers });
  const session = await ort.InferenceSession.create(graph.bytes, graphSessionOptions({ threads }));
  const fixed = paramFeeds(graph.paramNames);
  const adamCodes = rigs.map(
    (r) =>
      new Adam([{ name: 'codes', shape: [r.info.numJoints, k], trainable: true, init: { kind: 'zeros' } }]),
  );
  const adamLayers =
    trainableLayers.length > 0 ? new Adam(specs.filter((s) => trainableLayers.includes(s.name))) : undefined;

  const rng = new Rng([seed, 0x61646170]); // 'adap'
  const weightsOfRigs = rigs.map((r) => r.samples.count);
  const totalSamples = weightsOfRigs.reduce((a, b) => a + b, 0);
  const deadline = options.maxMinutes === undefined ? Infinity : startMs + options.maxMinutes * 60_000;
  const history: AdaptLogEntry[] = [];
  let initial: AdaptLosses | undefined;
  let window = emptyWindow();
  let last: AdaptLosses | undefined;
  let step = 0;
  let stoppedBy: AdaptResult['stoppedBy'] = 'steps';
  let trainMs = 0;
  try {
    while (step < steps) {
      if (options.signal?.aborted) {
        stoppedBy = 'signal';
        break;
      }
      if (Date.now() >= deadline) {
        stoppedBy = 'time';
        break;
      }
      const t0 = performance.now();
      let pick = rng.uniform() * totalSamples;
      let ri = 0;
      while (ri < rigs.length - 1 && pick >= weightsOfRigs[ri]!) pick -= weightsOfRigs[ri++]!;
      const rig = rigs[ri]!;
      const batch = nextBatch(rig, batchSize, rng);
      const feeds = batchFeeds(ort, rig, batch, k, graph, rank, rng);
      const out = await session.run({ ...fixed, ...feeds });
      const losses = lossesOf(out, graph);
      if (!Number.isFinite(losses.total)) {
        throw new LfmError(
          'E_DIVERGED',
          `the adaptation loss is ${losses.total} at step ${step}; lower the learning rate (${lrOf(rig.info.init)})`,
        );
      }
      initial ??= losses;
      // grad/codes [B, J, k] → the table's gradient [J, k] (masked slots carry 0).
      const gc = out[graph.codesGrad]!.data as Float32Array;
      const J = rig.info.numJoints;
      const gTable = new Float32Array(J * k);
      const B = gc.length / (J * k);
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < J * k; i++) gTable[i]! += gc[b * J * k + i]!;
      }
      // A short linear warm-up: Adam's first steps move every code entry by about lr at once.
      const warm = Math.min(1, (step + 1) / ADAPT_WARMUP_STEPS);
      const lr = lrOf(rig.info.init) * warm;
      adamCodes[ri]!.update({ codes: rig.table }, { codes: gTable }, lr);
      if (out.aligned) rig.prior.update(out.aligned.data as Float32Array, B);
      if (adamLayers) {
        const grads: Record<string, Float32Array> = {};
        for (const n of trainableLayers) grads[n] = out[graph.gradients[n]!]!.data as Float32Array;
        adamLayers.update(params, grads, layerLr * warm);
      }
      step++;
      trainMs += performance.now() - t0;
      accumulate(window, losses);
      const sps = (step * batchSize * 1000) / Math.max(trainMs, 1);
      const eta = Math.min(((steps - step) * trainMs) / step / 1000, (deadline - Date.now()) / 1000);
      progress.tick({
        step,
        totalSteps: steps,
        loss: losses.total,
        lr,
        samplesPerSec: sps,
        etaSec: eta,
      });
      if (step % logInterval === 0 || step === steps) {
        last = meanWindow(window);
        const entry = { step, elapsedSec: (Date.now() - startMs) / 1000, losses: last };
        history.push(entry);
        options.onLog?.(entry);
        progress.log({
          step,
          totalSteps: steps,
          loss: last.total,
          lr,
          samplesPerSec: sps,
          etaSec: eta,
        });
        window = emptyWindow();
      }
    }
    if (window.n > 0) {
      last = meanWindow(window);
      const entry = { step, elapsedSec: (Date.now() - startMs) / 1000, losses: last };
      history.push(entry);
      options.onLog?.(entry);
    }
  } finally {
    progress.done();
    await session.release();
  }
  const seconds = (Date.now() - startMs) / 1000;
  const why =
    stoppedBy === 'steps'
      ? 'done'
      : stoppedBy === 'time'
        ? `time budget (${options.maxMinutes} min)`
        : 'stopped';
  progress.message(
    `${why} at step ${step} in ${formatDuration(seconds)}` +
      (last ? `: loss ${fmt(initial!.total)} → ${fmt(last.total)} (${termsLine(last)})` : ''),
  );

  const jointCodeTables: Record<string, JointCodeTableData> = { ...options.base.jointCodeTables };
  for (const r of rigs)
    jointCodeTables[r.info.id] = { joints: [...r.samples.rig.joints], codes: r.table.slice() };
  const none = emptyLosses();
  const adaptation: JsonValue = {
    mode,
    steps: step,
    seconds: Math.round(seconds * 10) / 10,
    stoppedBy,
    weights: { ...weights },
    rank,
    lr: rigs.map((r) => lrOf(r.info.init)),
    ...(mode === 'last-layers' && { layerLr }),
    rigs: rigs.map((r) => ({ ...r.info })),
    initial: losses2json(initial ?? none),
    final: losses2json(last ?? initial ?? none),
  };
  return {
    config,
    params,
    jointCodeTables,
    rigs: rigs.map((r) => r.info),
    mode,
    weights,
    steps: step,
    seconds,
    stoppedBy,
    initial: initial ?? none,
    final: last ?? initial ?? none,
    history,
    metadata: { ...(options.base.metadata ?? {}), adaptation },
  };
}

/**
 * The adapted model as ONNX bytes: `exportLifter` of its config and weights, with every adapted
 * rig's code table stored in the metadata (`jointCodes.tables`: the runtime and `lfm eval` use them
 * for that rig id) and the base's training metadata plus `adaptation` as `lfm.training`.
 */
export function exportAdaptedLifter(
  result: Pick<AdaptResult, 'config' | 'params' | 'jointCodeTables' | 'metadata'>,
  options: Omit<ExportLifterOptions, 'jointCodeTables'> = {},
): Uint8Array {
  return exportLifter(
    { config: result.config, params: result.params, metadata: result.metadata },
    { producer: { name: '@lfm/trainer adapt' }, ...options, jointCodeTables: result.jointCodeTables },
  );
}

/**
 * A base model for `adapt` from file bytes: a lifter checkpoint (.ckpt; its optimizer state is not
 * needed) or an exported lifter (.onnx: its weights are its initializers, `readLifterWeights`; the
 * code tables of a model adapted before come along). InputError for an MLP-baseline checkpoint;
 * DataFormatError / LifterFormatError for bytes that are neither.
 */
export function loadAdaptBase(bytes: Uint8Array, source?: string): AdaptBase {
  const magic = new TextDecoder().decode(bytes.subarray(0, 7));
  if (magic === 'LFMCKPT') {
    const ckpt = decodeModelCheckpoint(bytes, source);
    if (ckpt.config.kind !== 'lifter') {
      throw new InputError(
        `${source ?? 'the base model'}: an MLP-baseline checkpoint (one rig, fixed joints), not a lifter; adapt needs a lifter`,
      );
    }
    return {
      config: lifterConfigOf(ckpt.config),
      params: ckpt.params,
      ...(ckpt.metadata && { metadata: ckpt.metadata }),
    };
  }
  const w = readLifterWeights(bytes, source === undefined ? {} : { file: source });
  return {
    config: w.config,
    params: w.params,
    jointCodeTables: w.jointCodeTables,
    ...(w.metadata && { metadata: w.metadata }),
  };
}

/** The sample sets of one rig id merged (InputError when their joints differ). */
function mergeByRig(sets: readonly AdaptSamples[]): AdaptSamples[] {
  const byId = new Map<string, AdaptSamples[]>();
  for (const s of sets) byId.set(s.rig.id, [...(byId.get(s.rig.id) ?? []), s]);
  const out: AdaptSamples[] = [];
  for (const [id, list] of byId) {
    const first = list[0]!;
    for (const s of list.slice(1)) {
      if (s.rig.joints.join('\n') !== first.rig.joints.join('\n')) {
        throw new InputError(
          `rig ${id}: ${s.source} and ${first.source} have different joints (${s.numJoints} vs ${first.numJoints}); give them different rig ids`,
        );
      }
    }
    if (list.length === 1) {
      out.push(first);
      continue;
    }
    const J = first.numJoints;
    const S = list.reduce((n, s) => n + s.count, 0);
    const points2d = new Float64Array(S * J * 2);
    const mask = new Uint8Array(S * J);
    const group = new Int32Array(S);
    const boneSets: (readonly Edge[])[] = [];
    const boneSet = new Int32Array(S);
    let o = 0;
    let groupBase = 0;
    for (const s of list) {
      points2d.set(s.points2d, o * J * 2);
      mask.set(s.mask, o * J);
      let maxGroup = 0;
      const setBase = boneSets.length;
      boneSets.push(...(s.boneSets ?? [s.rig.bones]));
      for (let i = 0; i < s.count; i++) {
        group[o + i] = groupBase + s.group[i]!;
        maxGroup = Math.max(maxGroup, s.group[i]!);
        boneSet[o + i] = setBase + (s.boneSet?.[i] ?? 0);
      }
      groupBase += maxGroup + 1;
      o += s.count;
    }
    out.push({
      rig: first.rig,
      source: list.map((s) => s.source).join(', '),
      count: S,
      numJoints: J,
      points2d,
      mask,
      group,
      boneSets,
      boneSet,
    });
  }
  return out;
}

/**
 * The rig's initial code table [J, k]: the base model's adapted table of the rig when it has one,
 * else the hashed codes of a rig it was trained with (its own id, or a built-in rig's
 * `SAME_JOINTS_AS` dataset rig), else zeros (identity unknown — the base model's zero-shot input).
 */
function initialTable(
  rig: AdaptSamples['rig'],
  config: LifterConfig,
  tables: AdaptBase['jointCodeTables'],
): { table: Float32Array; init: AdaptedRig['init'] } {
  const k = config.jointCodes;
  const t = rigCodeTable(rig.id, rig.joints, k, config.codedRigs ?? [], tables);
  if (t === null) return { table: new Float32Array(rig.joints.length * k), init: 'zeros' };
  return t.from === 'stored'
    ? { table: t.codes.slice(), init: 'adapted' }
    : { table: t.codes, init: 'coded' };
}

/** Sample indices grouped by `group`, in first-seen order. */
function groupsOf(group: Int32Array): number[][] {
  const map = new Map<number, number[]>();
  for (let s = 0; s < group.length; s++) {
    const g = map.get(group[s]!);
    if (g) g.push(s);
    else map.set(group[s]!, [s]);
  }
  return [...map.values()];
}

/** The model's inputs for samples `idx` of a set: normalised points, mask, adjacency. */
function preprocessSamples(samples: AdaptSamples, idx: readonly number[], knn = DEFAULT_KNN_K) {
  const J = samples.numJoints;
  const B = idx.length;
  const p2 = new Float64Array(B * J * 2);
  const m = new Float32Array(B * J);
  idx.forEach((s, b) => {
    p2.set(samples.points2d.subarray(2 * s * J, 2 * (s + 1) * J), 2 * b * J);
    for (let j = 0; j < J; j++) m[b * J + j] = samples.mask[s * J + j]!;
  });
  const bones = (b: number): readonly Edge[] =>
    samples.boneSets && samples.boneSet ? samples.boneSets[samples.boneSet[idx[b]!]!]! : samples.rig.bones;
  const pre = preprocessKeypoints(nd(p2, [B, J, 2]), { mask: nd(m, [B, J]), bones, k: knn });
  return { points: pre.points.data, mask: pre.mask.data, adj: pre.adj.data };
}

/** [B, J, J] copies of a rig's mirror partners (`AdaptRig.mirrorIndex`; zeros without). */
function tiledPairs(rig: AdaptSamples['rig'], B: number): Float32Array {
  const J = rig.joints.length;
  const out = new Float32Array(B * J * J);
  if (rig.mirrorIndex === undefined) return out;
  const first = out.subarray(0, J * J);
  writeMirrorPairs(
    first,
    Int32Array.from({ length: J }, (_, j) => j),
    rig.mirrorIndex,
  );
  for (let b = 1; b < B; b++) out.set(first, b * J * J);
  return out;
}

/** [B, J, k] copies of a rig's table. */
function tiledCodes(table: Float32Array, B: number): Float32Array {
  const out = new Float32Array(B * table.length);
  for (let b = 0; b < B; b++) out.set(table, b * table.length);
  return out;
}

/**
 * The forward graph of the shape the objective constrains (`adaptObjectiveOps`' lift): points, mask,
 * adj, codes → `lifted` [B, N, 3] — for the camera head the observed 2D with the fitted depth, else
 * the output. The parameters are graph inputs.
 */
function buildLiftedForwardGraph(
  config: LifterConfig,
  params: Readonly<Record<string, Float32Array>>,
): { bytes: Uint8Array; paramNames: readonly string[] } {
  const lifter = adaptTraceConfig(config);
  const r = createOnnxRecorder({ dims: TRACE, paramsAs: 'inputs' });
  const points = r.input('points', ['B', 'N', 2]);
  const mask = r.input('mask', ['B', 'N']);
  const adj = config.attention === 'global' ? undefined : r.input('adj', ['B', 'N', 'N']);
  const codes = r.input('codes', ['B', 'N', lifter.jointCodes]);
  const pairs = lifter.mirrorPairs ? r.input('pairs', ['B', 'N', 'N']) : undefined;
  const { output, shape } = forwardLifterParts(
    r.ops,
    r.params(params),
    { points, mask, ...(adj && { adj }), codes, ...(pairs && { pairs }) },
    lifter,
  );
  r.output('lifted', shape === undefined ? output : cameraFitOps(r.ops, shape, points, mask).lifted);
  return { bytes: r.toModel(), paramNames: r.graph.params.map((p) => p.name) };
}

/** The frozen base model's lifted shapes [S, J, 3] of every sample, with the initial codes. */
async function liftAll(
  ort: typeof Ort,
  session: Ort.InferenceSession,
  params: Record<string, Ort.Tensor>,
  samples: AdaptSamples,
  table: Float32Array,
  k: number,
): Promise<Float32Array> {
  const J = samples.numJoints;
  const S = samples.count;
  const out = new Float32Array(S * J * 3);
  const chunk = 256;
  const wantsAdj = session.inputNames.includes('adj');
  const wantsPairs = session.inputNames.includes('pairs');
  for (let s0 = 0; s0 < S; s0 += chunk) {
    const idx = Array.from({ length: Math.min(chunk, S - s0) }, (_, i) => s0 + i);
    const B = idx.length;
    const pre = preprocessSamples(samples, idx);
    const y = await session.run({
      ...params,
      points: new ort.Tensor('float32', pre.points, [B, J, 2]),
      mask: new ort.Tensor('float32', pre.mask, [B, J]),
      ...(wantsAdj && { adj: new ort.Tensor('float32', pre.adj, [B, J, J]) }),
      codes: new ort.Tensor('float32', tiledCodes(table, B), [B, J, k]),
      ...(wantsPairs && { pairs: new ort.Tensor('float32', tiledPairs(samples.rig, B), [B, J, J]) }),
    });
    out.set(y.lifted!.data as Float32Array, s0 * J * 3);
  }
  return out;
}

/**
 * The Procrustes mean of shapes [S, J, 3] over their visible points (mask [S, J]): each shape
 * normalised (centred, unit RMS radius), then 4 rounds of aligning every shape onto the current mean
 * (similarity, proper rotation) and averaging per joint. [J, 3]; a joint never visible stays 0.
 */
export function procrustesMean(shapes: Float32Array, mask: Uint8Array, S: number, J: number): Float32Array {
  return generalizedProcrustes(shapes, mask, S, J).mean;
}

/** `procrustesMean`, and every shape aligned onto it [S, J, 3] (the mean at masked points and for a degenerate shape). */
function generalizedProcrustes(
  shapes: Float32Array,
  mask: Uint8Array,
  S: number,
  J: number,
): { mean: Float32Array; aligned: Float64Array } {
  const norm = new Float64Array(S * J * 3);
  for (let s = 0; s < S; s++) {
    let n = 0;
    const c = [0, 0, 0];
    for (let j = 0; j < J; j++) {
      if (mask[s * J + j] !== 1) continue;
      n++;
      for (let d = 0; d < 3; d++) c[d]! += shapes[3 * (s * J + j) + d]!;
    }
    let e = 0;
    for (let j = 0; j < J; j++) {
      if (mask[s * J + j] !== 1) continue;
      for (let d = 0; d < 3; d++) {
        const v = shapes[3 * (s * J + j) + d]! - c[d]! / n;
        norm[3 * (s * J + j) + d] = v;
        e += v * v;
      }
    }
    const r = Math.sqrt(e / Math.max(n, 1)) || 1;
    for (let i = 3 * s * J; i < 3 * (s + 1) * J; i++) norm[i]! /= r;
  }
  // Start from the sample with the most visible points.
  let best = 0;
  let bestN = -1;
  for (let s = 0; s < S; s++) {
    let n = 0;
    for (let j = 0; j < J; j++) n += mask[s * J + j]!;
    if (n > bestN) [best, bestN] = [s, n];
  }
  let mean = norm.slice(3 * best * J, 3 * (best + 1) * J);
  const weights = Float64Array.from(mask);
  const aligned = new Float64Array(S * J * 3);
  for (let it = 0; it < 5; it++) {
    const last = it === 4;
    const target = new Float64Array(S * J * 3);
    for (let s = 0; s < S; s++) target.set(mean, 3 * s * J);
    // Joints of the mean that are unknown (0) are weighted out by the samples' masks only.
    const sum = new Float64Array(J * 3);
    const cnt = new Float64Array(J);
    for (let s = 0; s < S; s++) {
      let R: ArrayLike<number>;
      let sc: number;
      let t: ArrayLike<number>;
      try {
        const a = alignSimilarity(
          nd(norm.subarray(3 * s * J, 3 * (s + 1) * J), [1, J, 3]),
          nd(target.subarray(3 * s * J, 3 * (s + 1) * J), [1, J, 3]),
          { weights: nd(weights.subarray(s * J, (s + 1) * J), [1, J]) },
        );
        R = a.R.data;
        sc = a.s.data[0]!;
        t = a.t.data;
      } catch {
        // A degenerate (collinear, collapsed) prediction does not vote.
        if (last) aligned.set(mean, 3 * s * J);
        continue;
      }
      for (let j = 0; j < J; j++) {
        const o = 3 * (s * J + j);
        if (mask[s * J + j] !== 1) {
          if (last) for (let d = 0; d < 3; d++) aligned[o + d] = mean[3 * j + d]!;
          continue;
        }
        for (let d = 0; d < 3; d++) {
          const v =
            sc * (R[3 * d]! * norm[o]! + R[3 * d + 1]! * norm[o + 1]! + R[3 * d + 2]! * norm[o + 2]!) + t[d]!;
          sum[3 * j + d]! += v;
          if (last) aligned[o + d] = v;
        }
        cnt[j]!++;
      }
    }
    if (last) break;
    const next = new Float64Array(J * 3);
    for (let j = 0; j < J; j++)
      for (let d = 0; d < 3; d++) next[3 * j + d] = cnt[j]! > 0 ? sum[3 * j + d]! / cnt[j]! : 0;
    mean = next;
  }
  return { mean: Float32Array.from(mean), aligned };
}

/** Weight of a step's batch in the running statistics of the low-rank prior. */
const PRIOR_RATE = 0.05;

/**
 * The low-rank term's constants for one rig: the reference shape (unit RMS radius) and the top-K
 * eigenvectors of the second moment M = E[x xᵀ] of the aligned, normalised predictions x (3J-vectors),
 * both running averages: started from the base model's predictions (`fromShapes`: their Procrustes
 * mean, every prediction aligned onto it), then moved by each step's aligned predictions with weight
 * PRIOR_RATE (`update`: two warm-started subspace iterations per step).
 */
class ShapePrior {
  private constructor(
    private readonly d: number,
    private readonly K: number,
    private readonly moment: Float64Array,
    private readonly first: Float64Array,
    /** [J, 3] float32, the graph's `reference`. */
    readonly reference: Float32Array,
    /** [K, J, 3] float32, the graph's `basis`. */
    readonly basis: Float32Array,
    private vectors: Float64Array,
  ) {}

  static fromShapes(shapes: Float32Array, mask: Uint8Array, S: number, J: number, K: number): ShapePrior {
    const { aligned } = generalizedProcrustes(shapes, mask, S, J);
    const d = 3 * J;
    const moment = new Float64Array(d * d);
    const first = new Float64Array(d);
    addMoments(moment, first, aligned, S, d, 1 / S);
    const vectors = topEigenvectors(moment, d, K, undefined, 60);
    const prior = new ShapePrior(d, K, moment, first, new Float32Array(d), new Float32Array(K * d), vectors);
    prior.publish();
    return prior;
  }

  /** Moves the statistics by a batch of aligned shapes x [B, 3J] (the graph's `aligned`). */
  update(x: Float32Array, B: number): void {
    const rate = PRIOR_RATE;
    for (let i = 0; i < this.moment.length; i++) this.moment[i]! *= 1 - rate;
    for (let i = 0; i < this.d; i++) this.first[i]! *= 1 - rate;
    addMoments(this.moment, this.first, x, B, this.d, rate / B);
    this.vectors = topEigenvectors(this.moment, this.d, this.K, this.vectors, 2);
    this.publish();
  }

  private publish(): void {
    let e = 0;
    for (let i = 0; i < this.d; i++) e += this.first[i]! ** 2;
    const scale = Math.sqrt(this.d / 3 / Math.max(e, 1e-30));
    for (let i = 0; i < this.d; i++) this.reference[i] = this.first[i]! * scale;
    this.basis.set(this.vectors);
  }
}

/** moment += w Σ_b x_b x_bᵀ, first += w Σ_b x_b for x [B, d]. */
function addMoments(
  moment: Float64Array,
  first: Float64Array,
  x: ArrayLike<number>,
  B: number,
  d: number,
  w: number,
): void {
  for (let b = 0; b < B; b++) {
    const o = b * d;
    for (let i = 0; i < d; i++) {
      const xi = w * x[o + i]!;
      first[i]! += xi;
      const row = i * d;
      for (let j = 0; j < d; j++) moment[row + j]! += xi * x[o + j]!;
    }
  }
}

/**
 * The top-K eigenvectors [K, d] (orthonormal rows) of a symmetric PSD matrix M [d, d] by `iterations`
 * subspace iterations (V ← orth(V M), Gram–Schmidt), from `init` or a fixed pseudo-random start.
 */
export function topEigenvectors(
  M: Float64Array,
  d: number,
  K: number,
  init: Float64Array | undefined,
  iterations: number,
): Float64Array {
  let V =
    init?.slice() ??
    Float64Array.from({ length: K * d }, (_, i) => (Math.sin(12.9898 * (i + 1)) * 43758.5453) % 1);
  const W = new Float64Array(K * d);
  for (let it = 0; it <= iterations; it++) {
    if (it > 0) {
      W.fill(0);
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < d; i++) {
          const v = V[k * d + i]!;
          if (v === 0) continue;
          const row = i * d;
          for (let j = 0; j < d; j++) W[k * d + j]! += v * M[row + j]!;
        }
      }
      V = W.slice();
    }
    for (let k = 0; k < K; k++) {
      for (let q = 0; q < k; q++) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += V[k * d + i]! * V[q * d + i]!;
        for (let i = 0; i < d; i++) V[k * d + i]! -= dot * V[q * d + i]!;
      }
      let n = 0;
      for (let i = 0; i < d; i++) n += V[k * d + i]! ** 2;
      n = Math.sqrt(n);
      // A direction M annihilates (rank < K) is left as a unit vector orthogonal to the others.
      const inv = n > 1e-300 ? 1 / n : 0;
      for (let i = 0; i < d; i++) V[k * d + i]! *= inv;
    }
  }
  return V;
}

/**
 * The next batch of a rig: whole groups (every camera of a frame) from a shuffled order, until B
 * samples (a group larger than B is cut to B). At most one pass over the groups per batch.
 */
function nextBatch(rig: RigState, B: number, rng: Rng): (readonly number[])[] {
  const out: (readonly number[])[] = [];
  const G = rig.groups.length;
  let n = 0;
  for (let tries = 0; n < B && tries < G; tries++) {
    if (rig.cursor >= rig.order.length) {
      rig.order = rng.permutation(G);
      rig.cursor = 0;
    }
    const g = rig.groups[rig.order[rig.cursor++]!]!;
    if (n + g.length <= B) {
      out.push(g);
      n += g.length;
    } else if (n === 0) {
      out.push(g.slice(0, B));
      n = B;
    } else {
      rig.cursor--; // next batch starts with it
      break;
    }
  }
  return out;
}

/** The session feeds of a batch (groups of sample indices). */
function batchFeeds(
  ort: typeof Ort,
  rig: RigState,
  groups: readonly (readonly number[])[],
  k: number,
  graph: AdaptGraph,
  rank: number,
  rng: Rng,
): Record<string, Ort.Tensor> {
  const idx = groups.flat();
  const B = idx.length;
  const J = rig.info.numJoints;
  const pre = preprocessSamples(rig.samples, idx);
  const feeds: Record<string, Ort.Tensor> = {
    points: new ort.Tensor('float32', pre.points, [B, J, 2]),
    mask: new ort.Tensor('float32', pre.mask, [B, J]),
    codes: new ort.Tensor('float32', tiledCodes(rig.table, B), [B, J, k]),
  };
  const wants = (name: string) => graph.inputs.includes(name);
  if (wants('adj')) feeds.adj = new ort.Tensor('float32', pre.adj, [B, J, J]);
  if (wants('pairs')) feeds.pairs = new ort.Tensor('float32', tiledPairs(rig.samples.rig, B), [B, J, J]);
  if (wants('base')) {
    const base = new Float32Array(B * J * 3);
    idx.forEach((s, b) => {
      base.set(rig.base.subarray(3 * s * J, 3 * (s + 1) * J), 3 * b * J);
    });
    feeds.base = new ort.Tensor('float32', base, [B, J, 3]);
  }
  if (wants('partner')) {
    const partner = new Float32Array(B * B);
    let o = 0;
    for (const g of groups) {
      if (g.length > 1)
        for (let i = 0; i < g.length; i++) partner[(o + i) * B + o + ((i + 1) % g.length)] = 1;
      o += g.length;
    }
    feeds.partner = new ort.Tensor('float32', partner, [B, B]);
  }
  if (wants('rotation')) {
    const R = new Float32Array(B * 9);
    const q = new Float64Array(9);
    for (let b = 0; b < B; b++) {
      randomRotation(rng, q);
      R.set(q, 9 * b);
    }
    feeds.rotation = new ort.Tensor('float32', R, [B, 3, 3]);
  }
  if (wants('reference')) feeds.reference = new ort.Tensor('float32', rig.prior.reference, [J, 3]);
  if (wants('basis')) feeds.basis = new ort.Tensor('float32', rig.prior.basis, [rank, J, 3]);
  return feeds;
}

function lossesOf(out: Record<string, Ort.Tensor>, graph: AdaptGraph): AdaptLosses {
  const value = (name: string) => (out[name]!.data as Float32Array)[0]!;
  const terms = Object.fromEntries(
    ADAPT_TERMS.map((t) => [t, graph.terms.includes(t) ? value(`term/${t}`) : null]),
  ) as Record<AdaptTerm, number | null>;
  return { total: value(graph.lossName), ...terms };
}

interface Window {
  n: number;
  sums: Record<string, number>;
  counts: Record<string, number>;
}
const emptyWindow = (): Window => ({ n: 0, sums: {}, counts: {} });
function accumulate(w: Window, l: AdaptLosses): void {
  w.n++;
  for (const [key, v] of Object.entries(l)) {
    if (v === null) continue;
    w.sums[key] = (w.sums[key] ?? 0) + v;
    w.counts[key] = (w.counts[key] ?? 0) + 1;
  }
}
function meanWindow(w: Window): AdaptLosses {
  const mean = (key: string) => (w.counts[key] ? w.sums[key]! / w.counts[key]! : null);
  return {
    total: mean('total') ?? Number.NaN,
    ...(Object.fromEntries(ADAPT_TERMS.map((t) => [t, mean(t)])) as Record<AdaptTerm, number | null>),
  };
}
function emptyLosses(): AdaptLosses {
  return {
    total: Number.NaN,
    ...(Object.fromEntries(ADAPT_TERMS.map((t) => [t, null])) as Record<AdaptTerm, null>),
  };
}
function losses2json(l: AdaptLosses): JsonValue {
  return Object.fromEntries(
    Object.entries(l).map(([key, v]) => [key, v === null || !Number.isFinite(v) ? null : v]),
  );
}
function termsLine(l: AdaptLosses): string {
  return ADAPT_TERMS.filter((t) => l[t] !== null)
    .map((t) => `${t} ${fmt(l[t]!)}`)
    .join(', ');
}
function fmt(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(4) : String(x);
}
