import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { InputError } from '@lfm/core';
import type { TfCore } from '@lfm/core/tfjs';
import { createBatcher } from '@lfm/datasets';
import { buildTrainingGraph, createOnnxRecorder } from '@lfm/onnx';
import {
  Adam,
  alignedMaskedMse,
  buildForwardGraph,
  buildModelGraphs,
  clipScale,
  createGraphEngine,
  createModel,
  createSyntheticCorpus,
  createTfjsEngine,
  defaultGraphThreads,
  globalNorm,
  graphSessionOptions,
  type LifterModelConfig,
  loadDatasets,
  loadOnnxRuntime,
  resolveModelConfig,
  type StepBatch,
  solveProcrustesAlignment,
  stepBatch,
  type TfjsBackendName,
  type TrainableModel,
  type TrainEngine,
  type TrainingDataset,
  type TrainingEngine,
} from '@lfm/trainer';

/** Where the result is printed: `process.stdout` or anything with `write`. */
export interface OutputStream {
  write(text: string): unknown;
}

/** onnxruntime-node's types, as the trainer loads it (no direct dependency on it here). */
type OrtModule = Awaited<ReturnType<typeof loadOnnxRuntime>>;
type OrtSession = Awaited<ReturnType<OrtModule['InferenceSession']['create']>>;
type OrtTensor = InstanceType<OrtModule['Tensor']>;

/**
 * `lfm bench train`: training throughput of an engine on a named model/batch configuration, and the
 * model's FLOP rate against onnxruntime's measured MatMul peak on the same machine, same run, same
 * thread count — the number that says how much of the hardware the engine uses.
 */

/** A lifter and a batch shape to benchmark. */
export interface BenchConfig {
  /** Lifter fields (`LifterConfig`; defaults fill the rest). */
  readonly model: Readonly<Record<string, unknown>>;
  readonly batchSize: number;
  readonly maxPoints: number;
}

/** Named configurations; 'd128-l4' is the reference configuration (D = 128, L = 4, 4 heads, B = 64, N = 48). */
export const BENCH_CONFIGS: Readonly<Record<string, BenchConfig>> = Object.freeze({
  'd64-l2': { model: { dModel: 64, layers: 2, heads: 4 }, batchSize: 64, maxPoints: 48 },
  'd128-l4': { model: { dModel: 128, layers: 4, heads: 4 }, batchSize: 64, maxPoints: 48 },
  'd256-l4': { model: { dModel: 256, layers: 4, heads: 4 }, batchSize: 64, maxPoints: 48 },
});

export interface BenchTrainingOptions {
  /** Default 'graph'. */
  readonly engine?: TrainEngine;
  /** A name of BENCH_CONFIGS or a config (default 'd128-l4'). */
  readonly config?: string | BenchConfig;
  /** Timed steps after the warm-up (default 20 on the graph engine, 5 on tfjs). */
  readonly steps?: number;
  /** Untimed first steps (default 3 on the graph engine, 1 on tfjs). */
  readonly warmup?: number;
  /**
   * Graph engine (per session) and MatMul-peak intra-op threads (default `defaultGraphThreads()`, 1
   * with `workers` > 1; tfjs: 1).
   */
  readonly threads?: number;
  /** Graph engine: data-parallel workers (`GraphEngineOptions.workers`; default 1 = in-process). */
  readonly workers?: number;
  /** tfjs engine: this tfjs (gradients registered, backend active) … */
  readonly tf?: TfCore;
  /** … else `loadTfjsBackend(backend)` (default 'wasm'). */
  readonly backend?: TfjsBackendName;
  /**
   * Dataset folders for the batches; default `../shared/data` (from the working directory) when it
   * exists, else the built-in synthetic corpus (`createSyntheticCorpus`). `[]` forces synthetic.
   */
  readonly data?: readonly string[];
  /** Graph engine: also time the alternative alignment (a forward run per step, aligned in JS, fed back). */
  readonly alignment?: boolean;
  /** Print one JSON object instead of text lines. */
  readonly json?: boolean;
  /** Where to print (default process.stdout); `null` prints nothing. */
  readonly output?: OutputStream | null;
}

export interface BenchTrainingResult {
  /** 'graph-onnxruntime', 'tfjs-wasm', … */
  readonly engine: string;
  readonly config: string;
  readonly model: {
    readonly dModel: number;
    readonly layers: number;
    readonly heads: number;
    readonly mlpRatio: number;
    readonly attention: string;
    readonly params: number;
  };
  readonly batchSize: number;
  readonly maxPoints: number;
  /** Intra-op threads (per graph-engine session, and the MatMul peak's); 1 for tfjs. */
  readonly threads: number;
  /** Graph engine data-parallel workers (sessions); 1 for tfjs. */
  readonly workers: number;
  readonly steps: number;
  readonly warmup: number;
  /** Per training step (batch, loss and gradients, clipping, Adam): median, min, max over the timed steps. */
  readonly msPerStep: { readonly median: number; readonly min: number; readonly max: number };
  /** Of which the engine's loss and gradients (median). */
  readonly engineMsPerStep: number;
  /** B · 1000 / median ms. */
  readonly samplesPerSec: number;
  /** Analytic MatMul FLOPs of one step, forward + backward (`trainingMatMulFlops`). */
  readonly gflopPerStep: number;
  /** gflopPerStep / median step time. */
  readonly gflopsPerSec: number;
  /**
   * onnxruntime's MatMul rate on this machine, this run, at the threads the step used in all:
   * `threads` × `workers` (data-parallel workers each run one session, so two 1-thread workers are
   * measured against the two-thread peak).
   */
  readonly matmulPeak: { readonly size: number; readonly threads: number; readonly gflopsPerSec: number };
  /** gflopsPerSec / matmulPeak.gflopsPerSec. */
  readonly peakFraction: number;
  /** The same over the engine's loss-and-gradients time alone (no batcher, no Adam). */
  readonly enginePeakFraction: number;
  /** Graph engine with `alignment`: per-step costs of the two ways to align (medians, ms). */
  readonly alignment?: {
    /** The engine's training graph, alignment solved in the graph. */
    readonly inGraphMs: number;
    /** A forward-only run (what feeding R, s back costs on top). */
    readonly forwardMs: number;
    /** The training graph with R, s as inputs (the Procrustes solve in JS excluded). */
    readonly trainWithInputsMs: number;
    /** JS solve of R, s for the batch. */
    readonly solveMs: number;
    /** forwardMs + trainWithInputsMs + solveMs. */
    readonly feedbackMs: number;
  };
  /** 'synthetic' or the dataset folders. */
  readonly data: 'synthetic' | readonly string[];
  /** os.loadavg() at the end, and the CPU count: the machine's other load. */
  readonly loadAverage: readonly number[];
  readonly cpus: number;
}

/**
 * Benchmarks training steps of `options.engine` on `options.config` and prints the result (text, or
 * one JSON object with `json`). Steps are real training steps (batcher → loss and gradients → global
 * norm → Adam → sync) from a fresh model; the median step time gives samples/s; the model's analytic
 * MatMul FLOPs per step over that time, divided by onnxruntime's MatMul rate measured right after
 * with the same thread count, gives the fraction of the machine's peak the engine reaches.
 */
export async function benchTraining(options: BenchTrainingOptions = {}): Promise<BenchTrainingResult> {
  const engineKind = options.engine ?? 'graph';
  if (engineKind !== 'graph' && engineKind !== 'tfjs') {
    throw new InputError(`engine must be 'graph' or 'tfjs', got ${JSON.stringify(engineKind)}`);
  }
  const named = options.config ?? 'd128-l4';
  const bench = typeof named === 'string' ? BENCH_CONFIGS[named] : named;
  if (!bench) {
    throw new InputError(`unknown bench config '${named}' (known: ${Object.keys(BENCH_CONFIGS).join(', ')})`);
  }
  const graph = engineKind === 'graph';
  const steps = options.steps ?? (graph ? 20 : 5);
  const warmup = options.warmup ?? (graph ? 3 : 1);
  for (const [k, v, min] of [
    ['steps', steps, 1],
    ['warmup', warmup, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new InputError(`${k} must be an integer ≥ ${min}, got ${v}`);
  }
  const workers = graph ? (options.workers ?? 1) : 1;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new InputError(`workers must be an integer ≥ 1, got ${workers}`);
  }
  const threads = graph ? (options.threads ?? (workers > 1 ? 1 : defaultGraphThreads())) : 1;
  const config = resolveModelConfig({ kind: 'lifter', ...bench.model }) as LifterModelConfig;
  const model = createModel(config);
  const { datasets, data } = await benchData(options.data);
  const B = bench.batchSize;
  const N = bench.maxPoints;
  const batcher = createBatcher({
    sources: datasets.map((dataset) => ({ dataset, split: 'train' as const })),
    batchSize: B,
    maxPoints: N,
    seed: 0,
  });

  const params = model.init();
  let engine: TrainingEngine;
  if (graph) {
    engine = await createGraphEngine(model, params, 'procrustes', { threads, workers });
  } else {
    let tf = options.tf;
    if (!tf) {
      const { loadTfjsBackend } = await import('@lfm/trainer/tfjs-backend');
      tf = (await loadTfjsBackend(options.backend ?? 'wasm')).tf;
    }
    engine = createTfjsEngine(tf, model, params, 'procrustes');
  }
  const adam = new Adam(model.specs);
  const stepMs: number[] = [];
  const engineMs: number[] = [];
  let lastBatch: StepBatch | undefined;
  try {
    for (let k = 0; k < warmup + steps; k++) {
      const t0 = performance.now();
      const batch = stepBatch(batcher.next(), model);
      const t1 = performance.now();
      const { grads } = await engine.lossAndGradients(batch);
      const t2 = performance.now();
      adam.update(params, grads, 1e-4, clipScale(globalNorm(grads), 1));
      engine.sync();
      const t3 = performance.now();
      if (k >= warmup) {
        stepMs.push(t3 - t0);
        engineMs.push(t2 - t1);
      }
      lastBatch = batch;
    }
  } finally {
    await engine.dispose();
  }
  // After `dispose` the parameters are ordinary arrays again (with workers they were shared).
  const alignment =
    graph && options.alignment ? await timeAlignment(model, params, lastBatch!, threads) : undefined;
  const peakThreads = threads * workers;
  const peak = await measureMatMulPeak(peakThreads);
  const median = medianOf(stepMs);
  const gflopPerStep = trainingMatMulFlops(config, B, N) / 1e9;
  const gflopsPerSec = gflopPerStep / (median / 1000);
  const result: BenchTrainingResult = {
    engine: engine.name,
    config: typeof named === 'string' ? named : 'custom',
    model: {
      dModel: config.dModel,
      layers: config.layers,
      heads: config.heads,
      mlpRatio: config.mlpRatio,
      attention: config.attention,
      params: model.specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
    },
    batchSize: B,
    maxPoints: N,
    threads,
    workers,
    steps,
    warmup,
    msPerStep: { median, min: Math.min(...stepMs), max: Math.max(...stepMs) },
    engineMsPerStep: medianOf(engineMs),
    samplesPerSec: (B * 1000) / median,
    gflopPerStep,
    gflopsPerSec,
    matmulPeak: { size: PEAK_SIZE, threads: peakThreads, gflopsPerSec: peak },
    peakFraction: gflopsPerSec / peak,
    enginePeakFraction: gflopPerStep / (medianOf(engineMs) / 1000) / peak,
    ...(alignment && { alignment }),
    data,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    cpus: availableParallelism(),
  };
  const out = options.output === undefined ? process.stdout : options.output;
  if (out) out.write(options.json ? `${JSON.stringify(result)}\n` : formatBench(result));
  return result;
}

/** Human-readable lines of a result. */
export function formatBench(r: BenchTrainingResult): string {
  const f = (x: number, d = 1) => x.toFixed(d);
  const m = r.model;
  const lines = [
    `bench train ${r.config}: D=${m.dModel} L=${m.layers} heads=${m.heads} mlpRatio=${m.mlpRatio} ${m.attention}, ` +
      `${(m.params / 1e6).toFixed(2)}M params, B=${r.batchSize} N=${r.maxPoints}, ` +
      `${r.data === 'synthetic' ? 'synthetic data' : `data ${r.data.join(', ')}`}`,
    `  engine ${r.engine}${r.engine.startsWith('graph') ? ` (${r.workers > 1 ? `${r.workers} workers × ` : ''}${r.threads} thread${r.threads > 1 ? 's' : ''})` : ''}: ` +
      `${f(r.samplesPerSec)} samples/s — step median ${f(r.msPerStep.median)} ms ` +
      `(min ${f(r.msPerStep.min)}, max ${f(r.msPerStep.max)}; loss+gradients ${f(r.engineMsPerStep)} ms) ` +
      `over ${r.steps} steps after ${r.warmup} warm-up`,
    `  model MatMul FLOPs ${f(r.gflopPerStep, 2)} GFLOP/step → ${f(r.gflopsPerSec)} GFLOP/s = ` +
      `${f(100 * r.peakFraction, 0)}% of onnxruntime's MatMul peak ` +
      `(${f(r.matmulPeak.gflopsPerSec)} GFLOP/s, ${r.matmulPeak.size}², ${r.matmulPeak.threads} thread${r.matmulPeak.threads > 1 ? 's' : ''}; ` +
      `loss+gradients alone ${f(100 * r.enginePeakFraction, 0)}%)`,
  ];
  if (r.alignment) {
    const a = r.alignment;
    lines.push(
      `  alignment: in-graph ${f(a.inGraphMs)} ms/step; fed back ${f(a.feedbackMs)} ms/step ` +
        `(forward ${f(a.forwardMs)} + training graph ${f(a.trainWithInputsMs)} + JS solve ${f(a.solveMs, 2)})`,
    );
  }
  lines.push(`  load average ${r.loadAverage.join(' ')} on ${r.cpus} CPUs`);
  return `${lines.join('\n')}\n`;
}

/**
 * MatMul FLOPs (2·m·k·n each) of one training step of the lifter, forward and backward, exactly as
 * the training graph computes them: every linear layer's forward product and weight gradient, and
 * its input gradient when its input depends on a trainable parameter (not for the encoder's first
 * layer, whose input is the 2D points, nor for layer 0's projections after the fixed TPE); both
 * attention products (QKᵀ, PV) and both gradients of each. Not counted: the Procrustes solve's
 * 3×3/4×4 products (negligible) and everything that is not a MatMul (softmax, LayerNorm, GELU, …).
 */
export function trainingMatMulFlops(config: LifterModelConfig, B: number, N: number): number {
  for (const [k, v] of [
    ['B', B],
    ['N', N],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InputError(`${k} must be a positive integer, got ${v}`);
  }
  const T = B * N;
  const D = config.dModel;
  const H = config.mlpRatio * D;
  let flops = 0;
  /** A linear layer on T tokens: forward, dW, and dX when its input carries a gradient. */
  const linear = (k: number, n: number, inputGrad = true) => {
    flops += 2 * T * k * n * (inputGrad ? 3 : 2);
  };
  const tpe = config.encoding === 'tpe';
  if (tpe) {
    flops += 2 * T * 2 * (D / 2); // fixed frequencies on the input points: forward only
  } else {
    linear(2, D, false);
    linear(D, D);
  }
  const branches = config.attention === 'hybrid' ? 2 : 1;
  for (let l = 0; l < config.layers; l++) {
    for (let b = 0; b < branches; b++) {
      for (let q = 0; q < 3; q++) linear(D, D, !(tpe && l === 0));
      flops += 3 * 2 * (2 * B * N * N * D); // QKᵀ and PV: forward + both gradients
    }
    linear(branches * D, D);
    linear(D, H);
    linear(H, D);
  }
  linear(D, D);
  linear(D, 3);
  return flops;
}

const PEAK_SIZE = 1024;
const PEAK_CHAIN = 4;

/**
 * onnxruntime's MatMul rate, GFLOP/s: a session of 4 chained 1024² MatMuls (so the output's copy to JS
 * is amortised), median of 15 runs after 3 warm-up runs, `threads` intra-op threads.
 */
export async function measureMatMulPeak(threads: number, size = PEAK_SIZE): Promise<number> {
  const ort = await loadOnnxRuntime();
  const r = createOnnxRecorder({});
  const a = r.input('a', [size, size]);
  const w = r.input('w', [size, size]);
  let y = a;
  for (let k = 0; k < PEAK_CHAIN; k++) y = r.ops.matMul(y, w);
  r.output('y', y);
  const session = await ort.InferenceSession.create(r.toModel(), graphSessionOptions({ threads }));
  const values = new Float32Array(size * size);
  for (let i = 0; i < values.length; i++) values[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  const scaled = values.map((v) => v / Math.sqrt(size)); // keeps the chain's values O(1)
  const feeds = {
    a: new ort.Tensor('float32', values, [size, size]),
    w: new ort.Tensor('float32', scaled, [size, size]),
  };
  const times: number[] = [];
  try {
    for (let k = 0; k < 18; k++) {
      const t0 = performance.now();
      await session.run(feeds);
      if (k >= 3) times.push(performance.now() - t0);
    }
  } finally {
    await session.release();
  }
  return (PEAK_CHAIN * 2 * size ** 3) / (medianOf(times) / 1000) / 1e9;
}

/**
 * The two ways to align inside a graph-engine step, timed on `batch`: the engine's training graph
 * (alignment in the graph) against a forward-only run + the JS solve + a training graph taking R and s
 * as inputs. The sessions' runs are interleaved (round robin, 10 timed rounds after 2) so that a
 * change in the machine's other load hits both alike; medians.
 */
async function timeAlignment(
  model: TrainableModel,
  params: Record<string, Float32Array>,
  batch: StepBatch,
  threads: number,
): Promise<NonNullable<BenchTrainingResult['alignment']>> {
  const ort = await loadOnnxRuntime();
  const options = graphSessionOptions({ threads });
  const { B, N } = batch;
  const feeds: Record<string, OrtTensor> = {
    points: new ort.Tensor('float32', batch.points2d, [B, N, 2]),
    mask: new ort.Tensor('float32', batch.mask, [B, N]),
    adj: new ort.Tensor('float32', batch.adj!, [B, N, N]),
    target: new ort.Tensor('float32', batch.target3d, [B, N, 3]),
  };
  for (const s of model.specs) feeds[s.name] = new ort.Tensor('float32', params[s.name]!, [...s.shape]);
  // The fed-back variant's training graph: the same model, the loss with R and s as graph inputs.
  const r = createOnnxRecorder({ dims: { B: 2, N: 5 }, paramsAs: 'inputs' });
  const mask = r.input('mask', ['B', 'N']);
  const y = model.forward(r.ops, r.params(params), {
    points: r.input('points', ['B', 'N', 2]),
    mask,
    adj: r.input('adj', ['B', 'N', 'N']),
  });
  const loss = alignedMaskedMse(
    r.ops,
    y,
    r.input('target', ['B', 'N', 3]),
    mask,
    r.input('R', ['B', 3, 3]),
    r.input('s', ['B']),
  );
  const trainable = model.specs.filter((x) => x.trainable).map((x) => x.name);
  const graphs = [
    buildModelGraphs(model, params, 'procrustes').training,
    buildForwardGraph(model, params),
    buildTrainingGraph(r, { loss, params: trainable }).toModel(),
  ];
  const sessions = await Promise.all(graphs.map((g) => ort.InferenceSession.create(g, options)));
  const [inGraph, forward, withInputs] = sessions as [OrtSession, OrtSession, OrtSession];
  const pick = (s: OrtSession, extra: Record<string, OrtTensor> = {}) =>
    Object.fromEntries(s.inputNames.map((n) => [n, extra[n] ?? feeds[n]!]));
  const times = {
    inGraph: [] as number[],
    forward: [] as number[],
    withInputs: [] as number[],
    solve: [] as number[],
  };
  try {
    for (let k = 0; k < 12; k++) {
      let t0 = performance.now();
      await inGraph.run(pick(inGraph));
      const tIn = performance.now() - t0;
      t0 = performance.now();
      const out = await forward.run(pick(forward));
      const tFwd = performance.now() - t0;
      t0 = performance.now();
      const a = solveProcrustesAlignment(
        out.points3d!.data as Float32Array,
        batch.target3d,
        batch.mask,
        B,
        N,
      );
      const tSolve = performance.now() - t0;
      t0 = performance.now();
      await withInputs.run(
        pick(withInputs, {
          R: new ort.Tensor('float32', a.R, [B, 3, 3]),
          s: new ort.Tensor('float32', a.s, [B]),
        }),
      );
      const tWith = performance.now() - t0;
      if (k < 2) continue;
      times.inGraph.push(tIn);
      times.forward.push(tFwd);
      times.solve.push(tSolve);
      times.withInputs.push(tWith);
    }
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
  const forwardMs = medianOf(times.forward);
  const trainWithInputsMs = medianOf(times.withInputs);
  const solveMs = medianOf(times.solve);
  return {
    inGraphMs: medianOf(times.inGraph),
    forwardMs,
    trainWithInputsMs,
    solveMs,
    feedbackMs: forwardMs + trainWithInputsMs + solveMs,
  };
}

async function benchData(
  dirs: readonly string[] | undefined,
): Promise<{ datasets: TrainingDataset[]; data: 'synthetic' | readonly string[] }> {
  const shared = resolve('../shared/data');
  const list = dirs ?? (existsSync(shared) ? [shared] : []);
  if (list.length === 0) return { datasets: createSyntheticCorpus(), data: 'synthetic' };
  return { datasets: await loadDatasets(list), data: list };
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
