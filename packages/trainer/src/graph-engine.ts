import { availableParallelism } from 'node:os';
import { type Dim, LfmError } from '@lfm/core';
import { buildTrainingGraph, createOnnxRecorder, type Graph, type OnnxRecorder, type Sym } from '@lfm/onnx';
import type * as Ort from 'onnxruntime-node';
import {
  createDataParallelSession,
  resolveWorkers,
  type TrainingSession,
  withPrivateCopies,
} from './data-parallel.js';
import type { LossAndGradients, StepBatch, TrainingEngine } from './engine.js';
import type { PredictBatch, PredictFn } from './evaluate.js';
import {
  type LossKind,
  maskedMse,
  maskedMsePerSample,
  mirrorInvariantLoss,
  procrustesLossOps,
  procrustesLossPerSampleOps,
} from './loss.js';
import type { TrainableModel } from './models.js';

/**
 * The graph engine: the model's own `forward` (the code the tfjs engine runs) traced by the ONNX
 * recorder, its loss traced after it, and `buildTrainingGraph` turning that into ONE training graph
 * (inputs: the batch and every parameter; outputs: the loss and `grad/<param>`), run by
 * onnxruntime-node. The parameters stay Float32Arrays in TS (Adam updates them in place) and are fed
 * as graph inputs at every run, so nothing is re-exported between steps. The Procrustes alignment is
 * solved inside the graph (`procrustesLossOps`: Horn's quaternion by repeated squaring, constant in the
 * backward pass) — measured cheaper than the alternative, a forward-only run per step whose prediction
 * is aligned in JS and fed back (README, "The alignment inside the graph": +21 % per step).
 *
 * Data-parallel mode (`workers` W > 1, `data-parallel.ts`): instead of one in-process session, W
 * worker_threads each run their own session of the same training graph (`threads` intra-op threads
 * each, default 1) on a contiguous shard of the batch, and the main thread combines their losses and
 * gradients, weighted by shard size, into exactly the full-batch values (the loss is a mean over
 * samples of per-sample terms; see there). Why: with several intra-op threads each of the step's
 * ~900 small ops ends in a thread synchronisation, which stalls whenever a thread is descheduled;
 * W one-thread sessions on separate shards synchronise once per step. The parameters live in shared
 * memory (Adam still updates the record in place); every batch input is sharded generically, by
 * name, along its leading 'B' dimension. Deterministic for a given W (not across W: float rounding).
 */

/** onnxruntime session settings of the graph engine. */
export interface GraphEngineOptions {
  /** Intra-op threads (default `defaultGraphThreads()`). */
  readonly threads?: number;
  /** onnxruntime graph optimisation level (default 'all': MatMul+Transpose fusion, Gemm, …). */
  readonly optimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Write an onnxruntime profile (JSON) with this file prefix; `engine.dispose()` ends it. */
  readonly profilePrefix?: string;
  /**
   * The training graph takes a `mirror` [B] input: samples with mirror 1 get the mirror-invariant loss
   * (`mirrorInvariantLoss`), the others the plain one (`StepBatch.mirror`; default all 0).
   */
  readonly mirror?: boolean;
  /**
   * Data-parallel worker threads (default 1: the in-process session). W > 1: W sessions in
   * worker_threads, each on a 1/W shard of every batch (see above), each with `threads` intra-op
   * threads (default 1 then). The engine moves the graph's parameter arrays of `params` into shared
   * memory (replacing `params[name]` by a SharedArrayBuffer-backed copy, the same values) and puts
   * ordinary arrays back at `dispose`: hold the record, not its arrays. `dispose` ends the workers.
   */
  readonly workers?: number;
}

/**
 * Intra-op threads when not given: one core left to the JS thread (batches, Adam) and to whatever else
 * runs, at most 4 — so 1 on a 2-core machine. Measured there (README, "Graph engine threads and
 * session settings"): while another job uses a core, 2 threads run a d128-l4 step 1.3–2.3× SLOWER
 * than 1 (each of ~900 ops waits for a descheduled worker); on an otherwise idle machine 2 threads
 * were ~1.5× faster (docs/BACKENDS.md §3b) — pass `threads: 2` there.
 */
export function defaultGraphThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** The serialised graphs of a model (parameters as graph inputs), and the names to feed and read. */
export interface ModelGraphs {
  /**
   * Inputs: points, mask, adj, codes, pairs (those the model reads), target, mirror (with the mirror
   * loss), then every parameter. Outputs: loss, grad/<param>.
   */
  readonly training: Uint8Array;
  /** Output name of the loss. */
  readonly lossName: string;
  /** Gradient output name of each trainable parameter. */
  readonly gradients: Readonly<Record<string, string>>;
  /** Parameter inputs of the graphs (every parameter the model reads, trainable or not). */
  readonly paramNames: readonly string[];
  /** The training graph in memory (traced shapes at B = 2, N = 5), for inspection. */
  readonly graph: Graph;
}

/** The symbolic sizes graphs are traced at (≥ 2 each; both stay dynamic). */
const TRACE = { B: 2, N: 5 };

interface Traced {
  readonly recorder: OnnxRecorder;
  readonly pred: Sym;
  /** The model's extra training predictions (`TrainableModel.trainingForward`); not in the forward graph. */
  readonly extra: Sym[];
  readonly inputs: {
    points: Sym;
    mask: Sym;
    adj: Sym | undefined;
    codes: Sym | undefined;
    pairs: Sym | undefined;
  };
}

/** The model's forward pass traced with the parameters as graph inputs: points, mask, adj → points3d. */
function traceForward(model: TrainableModel, params: Readonly<Record<string, Float32Array>>): Traced {
  const J = model.numJoints;
  const maxPoints = model.config.kind === 'lifter' ? model.config.maxPoints : undefined;
  const traceN = Math.max(2, Math.min(TRACE.N, maxPoints ?? TRACE.N));
  const r = createOnnxRecorder({
    dims: J === undefined ? { B: TRACE.B, N: traceN } : { B: TRACE.B },
    paramsAs: 'inputs',
  });
  const N: Dim = J ?? 'N';
  const points = r.input('points', ['B', N, 2]);
  const mask = r.input('mask', ['B', N]);
  const adj = model.needsAdjacency ? r.input('adj', ['B', N, N]) : undefined;
  const codes = model.codeSize > 0 ? r.input('codes', ['B', N, model.codeSize]) : undefined;
  const pairs = model.readsPairs ? r.input('pairs', ['B', N, N]) : undefined;
  const { output: pred, extra } = model.trainingForward(r.ops, r.params(params), {
    points,
    mask,
    ...(adj && { adj }),
    ...(codes && { codes }),
    ...(pairs && { pairs }),
  });
  return { recorder: r, pred, extra, inputs: { points, mask, adj, codes, pairs } };
}

/** The training graph of `model` with `loss` (see `ModelGraphs`). `params` only fix the shapes. */
export function buildModelGraphs(
  model: TrainableModel,
  params: Readonly<Record<string, Float32Array>>,
  loss: LossKind,
  options: { readonly mirror?: boolean } = {},
): ModelGraphs {
  const { recorder: r, pred, extra, inputs } = traceForward(model, params);
  const target = r.input('target', ['B', model.numJoints ?? 'N', 3]);
  const mirror = options.mirror ? r.input('mirror', ['B']) : undefined;
  const perSample = (p: Sym) =>
    loss === 'mse'
      ? maskedMsePerSample(r.ops, p, target, inputs.mask)
      : procrustesLossPerSampleOps(r.ops, p, target, inputs.mask);
  const lossOf = (p: Sym) =>
    mirror
      ? mirrorInvariantLoss(r.ops, perSample, p, mirror)
      : loss === 'mse'
        ? maskedMse(r.ops, p, target, inputs.mask)
        : procrustesLossOps(r.ops, p, target, inputs.mask);
  const value = extra.reduce((sum, p) => r.ops.add(sum, lossOf(p)), lossOf(pred));
  const trainable = model.specs.filter((s) => s.trainable).map((s) => s.name);
  const tg = buildTrainingGraph(r, { loss: value, params: trainable });
  return {
    training: tg.toModel(),
    lossName: tg.lossName,
    gradients: tg.gradients,
    paramNames: tg.paramNames,
    graph: tg.graph,
  };
}

/** The forward graph of `model` (parameters as graph inputs): points, mask, adj → points3d. */
export function buildForwardGraph(
  model: TrainableModel,
  params: Readonly<Record<string, Float32Array>>,
): Uint8Array {
  const { recorder, pred } = traceForward(model, params);
  recorder.output('points3d', pred);
  return recorder.toModel();
}

let ortModule: Promise<typeof Ort> | undefined;

/** onnxruntime-node, loaded on first use (importing the trainer does not load the native library). */
export function loadOnnxRuntime(): Promise<typeof Ort> {
  ortModule ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: typeof Ort }).default ?? m) as typeof Ort,
    (err: Error) => {
      ortModule = undefined;
      throw new LfmError('E_ONNXRUNTIME', `cannot load onnxruntime-node: ${err.message.split('\n')[0]}`);
    },
  );
  return ortModule;
}

/** The session options of `options` (threads, optimisation level, profiling). */
export function graphSessionOptions(options: GraphEngineOptions = {}): Ort.InferenceSession.SessionOptions {
  const threads = options.threads ?? defaultGraphThreads();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new LfmError('E_CONFIG', `threads must be an integer ≥ 1, got ${threads}`);
  }
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: options.optimizationLevel ?? 'all',
    // The memory-pattern planner allocates each run's intermediates as one fresh block whose pages
    // fault in again at every run (sys time); per-tensor arena allocations are reused instead.
    // Measured on the d128-l4 training graph: 225–263 → 213–219 ms CPU time per step.
    enableMemPattern: false,
    enableCpuMemArena: true,
    logSeverityLevel: 3,
    ...(options.profilePrefix !== undefined && {
      enableProfiling: true,
      profileFilePrefix: options.profilePrefix,
    }),
  };
}

/** Tensors over the parameter record (no copy: onnxruntime reads the arrays at each run). */
function paramTensors(
  ort: typeof Ort,
  model: TrainableModel,
  params: Readonly<Record<string, Float32Array>>,
  names: readonly string[],
): Record<string, Ort.Tensor> {
  const feeds: Record<string, Ort.Tensor> = {};
  for (const name of names) {
    const spec = model.specs.find((s) => s.name === name);
    const data = params[name];
    if (!spec || !data) throw new LfmError('E_PARAM', `parameter '${name}' is missing`);
    feeds[name] = new ort.Tensor('float32', data, [...spec.shape]);
  }
  return feeds;
}

/**
 * A `PredictFn` over `model` on onnxruntime (its forward graph, the parameters as inputs read at each
 * call: an in-place update of `params` is seen by the next call).
 */
export async function createGraphPredictor(
  model: TrainableModel,
  params: Readonly<Record<string, Float32Array>>,
  options: GraphEngineOptions = {},
): Promise<PredictFn & { dispose(): Promise<void> }> {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(
    buildForwardGraph(model, params),
    graphSessionOptions({ ...options, profilePrefix: undefined }),
  );
  const paramNames = session.inputNames.filter((n) => !DATA_INPUTS.includes(n));
  // Tensors over shared parameters (the data-parallel engine's) read a private copy at each call.
  const fixed = withPrivateCopies(ort, paramTensors(ort, model, params, paramNames));
  const maxPoints = model.config.kind === 'lifter' ? model.config.maxPoints : undefined;
  const predict = async (batch: PredictBatch): Promise<Float32Array> => {
    const { batchSize: B, numPoints: N } = batch;
    if (maxPoints !== undefined && N > maxPoints) {
      throw new LfmError('E_INPUT', `${N} points exceed the model's maximum of ${maxPoints}`);
    }
    const out = await session.run({
      ...fixed(),
      points: new ort.Tensor('float32', batch.points2d, [B, N, 2]),
      mask: new ort.Tensor('float32', batch.mask, [B, N]),
      ...(model.needsAdjacency && { adj: new ort.Tensor('float32', batch.adj, [B, N, N]) }),
      ...codesFeed(ort, model, batch.codes, B, N),
      ...pairsFeed(ort, model, batch.pairs, B, N),
    });
    return (out.points3d!.data as Float32Array).slice();
  };
  return Object.assign(predict, { dispose: () => session.release() });
}

/**
 * The graph engine over a shared parameter record (see `TrainingEngine`). Builds the training graph
 * (tens to hundreds of ms) and its session; the validation predictor's session is created on first use.
 */
export async function createGraphEngine(
  model: TrainableModel,
  params: Record<string, Float32Array>,
  loss: LossKind,
  options: GraphEngineOptions = {},
): Promise<TrainingEngine & { readonly threads: number; readonly workers: number }> {
  const ort = await loadOnnxRuntime();
  const graphs = buildModelGraphs(model, params, loss, { mirror: options.mirror ?? false });
  const workers = resolveWorkers(options.workers);
  const sessionOptions = graphSessionOptions(
    workers > 1 ? { ...options, threads: options.threads ?? 1 } : options,
  );
  const session: TrainingSession =
    workers > 1
      ? await createDataParallelSession(
          ort,
          graphs,
          params,
          Object.fromEntries(model.specs.map((s) => [s.name, s.shape])),
          sessionOptions,
          workers,
        )
      : await ort.InferenceSession.create(graphs.training, sessionOptions);
  const fixed = paramTensors(ort, model, params, graphs.paramNames);
  const trainable = Object.entries(graphs.gradients);
  let predictor: Promise<PredictFn & { dispose(): Promise<void> }> | undefined;

  const lossAndGradients = async (batch: StepBatch): Promise<LossAndGradients> => {
    const { B, N } = batch;
    if (model.needsAdjacency && batch.adj === undefined) {
      throw new LfmError('E_INPUT', 'this model reads the adjacency: the batch has none');
    }
    const out = await session.run({
      ...fixed,
      points: new ort.Tensor('float32', batch.points2d, [B, N, 2]),
      mask: new ort.Tensor('float32', batch.mask, [B, N]),
      ...(model.needsAdjacency && { adj: new ort.Tensor('float32', batch.adj!, [B, N, N]) }),
      ...codesFeed(ort, model, batch.codes, B, N),
      ...pairsFeed(ort, model, batch.pairs, B, N),
      target: new ort.Tensor('float32', batch.target3d, [B, N, 3]),
      ...(options.mirror && { mirror: new ort.Tensor('float32', batch.mirror ?? new Float32Array(B), [B]) }),
    });
    const grads: Record<string, Float32Array> = {};
    for (const [name, output] of trainable) grads[name] = out[output]!.data as Float32Array;
    return { loss: (out[graphs.lossName]!.data as Float32Array)[0]!, grads, fallback: 0 };
  };
  return {
    name: 'graph-onnxruntime',
    model,
    threads: sessionOptions.intraOpNumThreads!,
    workers,
    lossAndGradients,
    sync: () => {},
    predict: async (batch) => {
      predictor ??= createGraphPredictor(model, params, options);
      return (await predictor)(batch);
    },
    dispose: async () => {
      if (options.profilePrefix !== undefined) session.endProfiling();
      await session.release();
      if (predictor) await (await predictor).dispose();
    },
  };
}

/** The forward graph's data inputs (everything else is a parameter). */
const DATA_INPUTS = ['points', 'mask', 'adj', 'codes', 'pairs'];

/** The `codes` feed of a model with joint codes: the batch's, or zeros (identity unknown). */
function codesFeed(
  ort: typeof Ort,
  model: TrainableModel,
  codes: Float32Array | undefined,
  B: number,
  N: number,
): Record<string, Ort.Tensor> {
  const k = model.codeSize;
  if (k === 0) return {};
  if (codes !== undefined && codes.length !== B * N * k) {
    throw new LfmError('E_INPUT', `codes have ${codes.length} values, need B·N·k = ${B * N * k}`);
  }
  return { codes: new ort.Tensor('float32', codes ?? new Float32Array(B * N * k), [B, N, k]) };
}

/** The `pairs` feed of a model that reads mirror partners: the batch's, or zeros (none known). */
function pairsFeed(
  ort: typeof Ort,
  model: TrainableModel,
  pairs: Float32Array | undefined,
  B: number,
  N: number,
): Record<string, Ort.Tensor> {
  if (!model.readsPairs) return {};
  if (pairs !== undefined && pairs.length !== B * N * N) {
    throw new LfmError('E_INPUT', `pairs have ${pairs.length} values, need B·N·N = ${B * N * N}`);
  }
  return { pairs: new ort.Tensor('float32', pairs ?? new Float32Array(B * N * N), [B, N, N]) };
}
