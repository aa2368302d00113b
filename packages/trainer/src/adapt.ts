import { InputError, LfmError, Rng } from '@lfm/core';
import { DEFAULT_KNN_K } from '@lfm/datasets';
import {
  type ConfigError,
  type JsonValue,
  type LifterConfig,
  parameterShapes,
  resolveLifterConfig,
} from '@lfm/model';
import {
  type ExportLifterOptions,
  exportLifter,
  type JointCodeTableData,
  readLifterWeights,
} from '@lfm/onnx';
import type * as Ort from 'onnxruntime-node';
import {
  type AdaptSamples,
  adaptSamplesFromDataset,
  checkAdaptSamples,
  type DatasetSamplesOptions,
} from './adapt-data.js';
import { buildAdaptGraph, buildLiftedForwardGraph, lossesOf } from './adapt-graph.js';
import {
  accumulate,
  emptyLosses,
  emptyWindow,
  fmt,
  losses2json,
  meanWindow,
  termsLine,
} from './adapt-log.js';
import { ShapePrior } from './adapt-prior.js';
import {
  batchFeeds,
  groupsOf,
  initialTable,
  liftAll,
  mergeByRig,
  nextBatch,
  nrsfmTargets,
  type RigState,
} from './adapt-samples.js';
import {
  ADAPT_MODES,
  ADAPT_TERMS,
  ADAPT_WARMUP_STEPS,
  type AdaptBase,
  type AdaptedRig,
  type AdaptLogEntry,
  type AdaptLosses,
  type AdaptMode,
  type AdaptOptions,
  type AdaptResult,
  type AdaptWeights,
  DEFAULT_ADAPT_WEIGHTS,
  lastLayerParams,
  SINGLE_VIEW_ADAPT_MODE,
  SINGLE_VIEW_ADAPT_WEIGHTS,
} from './adapt-types.js';
import { decodeModelCheckpoint } from './checkpoint.js';
import { defaultGraphThreads, graphSessionOptions, loadOnnxRuntime } from './graph-engine.js';
import { lifterConfigOf } from './models.js';
import { Adam } from './optim.js';
import { formatDuration, ProgressReporter } from './progress.js';
import { stopReason, stopWords } from './stop.js';

/**
 * `adapt` (issue 17): teaches a pretrained lifter a new rig from its 2D keypoints alone. The base
 * model's weights stay frozen; what is learned is the rig's joint-code table [J, k] (the identity
 * input the lifter adds to its tokens: tokens += codes · W + b) — and, with `mode: 'last-layers'`,
 * the last graph-transformer layer, the final norm and the decoder as well.
 * The objective (`adapt-loss.ts`) sees only 2D: reprojection of the decoded shape through its fitted
 * camera, multi-view consistency between the cameras of a frame, a low-rank prior with
 * canonicalisation consistency, a regulariser toward the frozen base model's output, and (the
 * single-view default) the pull toward the rig's NRSfM reconstruction from all its 2D. It runs on
 * the graph engine: one ONNX training graph (the model traced twice — the second lift is the
 * canonicalisation's — and the loss), differentiated by `buildTrainingGraph` with respect to the
 * `codes` input (summed per joint into the table's gradient) and the trainable weights, stepped by
 * Adam in JS.
 */

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
  if (options.mode !== undefined && !ADAPT_MODES.includes(options.mode)) {
    throw new InputError(
      `adapt: mode must be ${ADAPT_MODES.map((m) => `'${m}'`).join(' or ')}, got '${options.mode}'`,
    );
  }
  const k = config.jointCodes;
  if (k === 0) {
    throw new InputError(
      "adapt: the base model has no joint-code input (jointCodes 0), so a rig's codes cannot be learned; use a model trained with joint codes",
    );
  }
  const steps = options.steps ?? 300;
  const batchSize = options.batchSize ?? 64;
  const rank = options.rank ?? 6;
  const nrsfmRank = options.nrsfmRank ?? 2;
  const lrOf = (init: AdaptedRig['init']) => options.lr ?? (init === 'zeros' ? 3e-2 : 1e-2);
  const layerLr = options.layerLr ?? 1e-4;
  const seed = options.seed ?? 0;
  const knn = options.base.knnK ?? DEFAULT_KNN_K;
  if (!(Number.isInteger(knn) && knn >= 1)) {
    throw new InputError(`adapt: the base model's knnK must be an integer ≥ 1, got ${knn}`);
  }
  const logInterval = options.logInterval ?? 10;
  const positiveInt = (name: string, v: number, min: number) => {
    if (!(Number.isInteger(v) && v >= min))
      throw new InputError(`adapt: ${name} must be an integer ≥ ${min}, got ${v}`);
  };
  positiveInt('steps', steps, 0);
  positiveInt('batchSize', batchSize, 2);
  positiveInt('rank', rank, 0);
  positiveInt('nrsfmRank', nrsfmRank, 1);
  if (nrsfmRank > 32) throw new InputError(`adapt: nrsfmRank must be an integer in 1..32, got ${nrsfmRank}`);
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
  // Single-view data (no frame seen by two cameras) gets the single-view defaults: the NRSfM term,
  // which there is what lifts (docs/benchmarks/research.md); multi-view data keeps the others. The
  // choice is for the whole run: one multi-view rig among single-view ones gives every rig the others.
  const singleView = bySets.every((s) => groupsOf(s.group).every((g) => g.length === 1));
  const weights: AdaptWeights = {
    ...(singleView ? SINGLE_VIEW_ADAPT_WEIGHTS : DEFAULT_ADAPT_WEIGHTS),
    ...options.weights,
  };
  const mode: AdaptMode = options.mode ?? (singleView ? SINGLE_VIEW_ADAPT_MODE : 'codes');
  for (const t of ADAPT_TERMS) {
    if (!(Number.isFinite(weights[t]) && weights[t] >= 0)) {
      throw new InputError(`adapt: weight ${t} must be a number ≥ 0, got ${weights[t]}`);
    }
  }

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
      const base = await liftAll(ort, predictor, forwardParams, samples, table, k, knn);
      let target: Float32Array | undefined;
      if (weights.nrsfm > 0) {
        if (samples.count < 2)
          throw new InputError(`adapt ${info.id}: the nrsfm term needs ≥ 2 samples, got 1`);
        const t0 = performance.now();
        const r = nrsfmTargets(samples, base, nrsfmRank);
        target = r.target;
        progress.message(
          `nrsfm ${info.id}: rank ${nrsfmRank}, reprojection RMS ${r.reprojectionRms.toPrecision(3)} ` +
            `(rigid ${r.rigidRms.toPrecision(3)}), ` +
            (r.orders > 1
              ? `${r.orders} joint orders reconstructed apart, ${r.mirrored} mirrored`
              : `mirror ${r.mirrored > 0 ? 'flipped' : 'kept'}`) +
            ' to agree with the base model, ' +
            `${formatDuration((performance.now() - t0) / 1000)}`,
        );
      }
      rigs.push({
        samples,
        table,
        base,
        ...(target && { target }),
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
  if (!multiView && weights.nrsfm === 0) {
    progress.message(
      'no frame is seen by more than one camera and the nrsfm term is off: on one view per frame the other terms ' +
        'have not improved on zero-shot in our measurements (the nrsfm term, the single-view default, does)',
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
      const stop = stopReason(options.signal, deadline);
      if (stop) {
        stoppedBy = stop;
        break;
      }
      const t0 = performance.now();
      let pick = rng.uniform() * totalSamples;
      let ri = 0;
      while (ri < rigs.length - 1 && pick >= weightsOfRigs[ri]!) pick -= weightsOfRigs[ri++]!;
      const rig = rigs[ri]!;
      const batch = nextBatch(rig, batchSize, rng);
      const feeds = batchFeeds(ort, rig, batch, k, graph, rank, rng, knn);
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
  const why = stopWords(stoppedBy, options.maxMinutes);
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
    knnK: knn,
  };
}

/**
 * The adapted model as ONNX bytes: `exportLifter` of its config and weights, with every adapted
 * rig's code table stored in the metadata (`jointCodes.tables`: the runtime and `lfm eval` use them
 * for that rig id), the base's kNN graph (`knnK`) and the base's training metadata plus `adaptation`
 * as `lfm.training`.
 */
export function exportAdaptedLifter(
  result: Pick<AdaptResult, 'config' | 'params' | 'jointCodeTables' | 'metadata'> &
    Partial<Pick<AdaptResult, 'knnK'>>,
  options: Omit<ExportLifterOptions, 'jointCodeTables'> = {},
): Uint8Array {
  return exportLifter(
    { config: result.config, params: result.params, metadata: result.metadata },
    {
      producer: { name: '@lfm/trainer adapt' },
      ...(result.knnK !== undefined && { knnK: result.knnK }),
      ...options,
      jointCodeTables: result.jointCodeTables,
    },
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
    const knn = (ckpt.metadata?.training as { knn?: unknown } | undefined)?.knn;
    return {
      config: lifterConfigOf(ckpt.config),
      params: ckpt.params,
      ...(ckpt.metadata && { metadata: ckpt.metadata }),
      // The recipe's kNN graph (`lfm train` keeps the config in the metadata's `training`).
      ...(typeof knn === 'number' && { knnK: knn }),
    };
  }
  const w = readLifterWeights(bytes, source === undefined ? {} : { file: source });
  return {
    config: w.config,
    params: w.params,
    jointCodeTables: w.jointCodeTables,
    ...(w.metadata && { metadata: w.metadata }),
    ...(w.knnK !== undefined && { knnK: w.knnK }),
  };
}
