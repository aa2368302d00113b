import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { LfmError } from '@lfm/core';
import type * as Ort from 'onnxruntime-node';
import type { ModelGraphs } from './graph-engine.js';

/**
 * The graph engine's data-parallel mode (`GraphEngineOptions.workers` = W > 1): W worker_threads,
 * each with its own onnxruntime session of the SAME training graph (`ModelGraphs.training`), in place
 * of the one in-process session. Why: a training step is ~900 small ops, and with several intra-op
 * threads every op ends in a thread synchronisation, which costs most when another job holds a core
 * (a descheduled thread stalls every op). W single-threaded sessions on W contiguous shards of the
 * batch synchronise once per step instead (the main thread waits for the W results).
 *
 * A step (`run`, the drop-in of `InferenceSession.run` for the engine): every data feed whose first
 * graph dimension is the batch symbol 'B' (points, mask, adj, codes, target, mirror, and whatever
 * input a model adds later: the protocol knows no input by name) is cut into W contiguous sample
 * shards, sizes ⌊B/W⌋ or ⌈B/W⌉ (only min(W, B) workers get one: a batch smaller than W leaves the
 * rest idle); feeds without a leading 'B' go to every worker whole. Shards are copies transferred to
 * the workers (no copy on arrival). Each worker runs the graph on its shard and transfers its outputs
 * back (the loss and `grad/<param>`, no copy). The main thread combines each output as
 *   out = Σ_s (B_s / B) · out_s     (Float64 accumulation, in shard order: deterministic for a given W),
 * which is exactly the full-batch value (up to float rounding) because the graph's loss is a mean
 * over samples of per-sample terms — `buildModelGraphs`: L = Σ_k (1/B) Σ_b ℓ_k(b) over the prediction
 * and the model's extra training predictions k, each ℓ_k(b) the sample's own normalised loss (mean
 * over its visible joints, Procrustes or MSE, mirror-invariant or not), and the model has no
 * cross-sample op (every reduction is over a sample's points or features) — so the shard's loss
 * L_s = Σ_k (1/B_s) Σ_{b∈s} ℓ_k(b) and L = Σ_s (B_s/B) L_s, and the same for its gradient (linear).
 * A loss normalised over the whole batch (e.g. by the batch's total count of something) would not
 * decompose like this and would need the global normaliser fed to every shard. "Float rounding":
 * float32 kernels round a shard differently from the whole batch; where a graph amplifies rounding
 * (the camera head's closed-form fit: ~1e-4 relative in some gradients), one in-process session run
 * on the same shards differs from its full-batch run just as much — the result here is bit for bit
 * that session's weighted shard sums (tested).
 *
 * Parameters: each parameter array of the record is moved once into shared memory (a
 * SharedArrayBuffer-backed copy replaces `params[name]`; Adam keeps updating the record in place, and
 * `release` puts ordinary copies back), so nothing is sent per step. onnxruntime-node refuses a
 * tensor over shared memory ("Invalid argument"), so each worker copies the shared values into its
 * own arrays at the start of each run (in parallel, a memcpy of the parameters per worker and step).
 *
 * Failures never hang a step: an error inside a worker rejects the step with the worker's message; a
 * worker that throws outside a run or exits rejects every pending step, and every later one, with
 * the cause. `release` ends the workers (a graceful close, then `terminate`); idle workers are
 * unref'd, so a forgotten `release` does not keep the process alive.
 */

/** The stand-in for the engine's `InferenceSession`: the same `run`, W workers behind it. */
export interface DataParallelSession {
  /** The workers (index s computes shard s). For inspection and tests. */
  readonly workers: readonly Worker[];
  /** Loss and gradients of the batch in `feeds` (parameter feeds are ignored: read from shared memory). */
  run(feeds: Readonly<Record<string, Ort.Tensor>>): Promise<Record<string, Ort.Tensor>>;
  /** Ends each worker's onnxruntime profile (when the session options enabled one) at `release`. */
  endProfiling(): void;
  /** Ends the workers (every pending step rejects) and gives `params` ordinary arrays again. */
  release(): Promise<void>;
}

/** The session the graph engine runs a step on: onnxruntime's own, or a `DataParallelSession`. */
export type TrainingSession = Pick<DataParallelSession, 'run' | 'endProfiling' | 'release'>;

/** `workers` checked (an integer ≥ 1; default 1 = the in-process session). */
export function resolveWorkers(workers: number | undefined): number {
  const w = workers ?? 1;
  if (!Number.isInteger(w) || w < 1) {
    throw new LfmError('E_CONFIG', `workers must be an integer ≥ 1, got ${w}`);
  }
  return w;
}

/**
 * Feeds as given, except that a tensor over shared memory (a parameter the data-parallel engine
 * shared) is replaced by one over a private copy, refreshed at each call: onnxruntime-node refuses
 * shared memory. For a session of the main thread (the validation predictor).
 */
export function withPrivateCopies(
  ort: typeof Ort,
  feeds: Readonly<Record<string, Ort.Tensor>>,
): () => Record<string, Ort.Tensor> {
  const copies: [Float32Array, Float32Array][] = [];
  const out: Record<string, Ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const data = t.data as unknown;
    if (data instanceof Float32Array && data.buffer instanceof SharedArrayBuffer) {
      const own = new Float32Array(data.length);
      copies.push([data, own]);
      out[name] = new ort.Tensor('float32', own, [...t.dims]);
    } else {
      out[name] = t;
    }
  }
  return () => {
    for (const [from, to] of copies) to.set(from);
    return out;
  };
}

let live = 0;

/** Data-parallel workers started and not yet exited (in this thread): 0 once every engine is disposed. */
export function liveGraphWorkers(): number {
  return live;
}

/** How long `release` waits for a worker's graceful close before it terminates it. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * W workers over `graphs.training` (see above). `params` is the engine's parameter record: the
 * graph's parameters (`graphs.paramNames`) are moved into shared memory in place; `shapes` gives their
 * dims. `sessionOptions` are each worker's (intra-op threads per session); a profile prefix gets
 * `-worker<s>` appended. Resolves once every worker's session exists; rejects (workers ended) otherwise.
 */
export async function createDataParallelSession(
  ort: typeof Ort,
  graphs: Pick<ModelGraphs, 'training' | 'paramNames' | 'graph'>,
  params: Record<string, Float32Array>,
  shapes: Readonly<Record<string, readonly number[]>>,
  sessionOptions: Ort.InferenceSession.SessionOptions,
  workers: number,
): Promise<DataParallelSession> {
  resolveWorkers(workers);
  const paramNames = new Set(graphs.paramNames);
  const batched = new Set(graphs.graph.inputs.filter((v) => v.dims[0] === 'B').map((v) => v.name));
  const shared = shareParams(params, graphs.paramNames, shapes);
  const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');

  type Pending = { resolve: (outputs: WorkerOutput[]) => void; reject: (err: Error) => void };
  let failure: Error | undefined;
  let profiling = false;
  let nextId = 0;
  const slots = Array.from({ length: workers }, (_, s) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        ortPath,
        graph: graphs.training,
        sessionOptions: {
          ...sessionOptions,
          ...(sessionOptions.profileFilePrefix !== undefined && {
            profileFilePrefix: `${sessionOptions.profileFilePrefix}-worker${s}`,
          }),
        },
        params: graphs.paramNames.map((name) => ({ name, data: params[name]!, dims: [...shapes[name]!] })),
      },
    });
    live++;
    const pending = new Map<number, Pending>();
    const label = `graph worker ${s} of ${workers}`;
    let started: { resolve: () => void; reject: (err: Error) => void } | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      started = { resolve, reject };
    });
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    const failAll = (err: Error) => {
      failure ??= err;
      started?.reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'ready') {
        started?.resolve();
        started = undefined;
        worker.unref();
      } else if (msg.type === 'done' || msg.type === 'error') {
        const p = pending.get(msg.id);
        if (msg.type === 'error' && msg.id < 0) {
          failAll(new LfmError('E_WORKER', `${label} could not start: ${msg.message}`));
          return;
        }
        if (!p) return;
        pending.delete(msg.id);
        if (pending.size === 0) worker.unref();
        if (msg.type === 'done') p.resolve(msg.outputs);
        else p.reject(new LfmError('E_WORKER', `${label}: ${msg.message}`));
      }
    });
    worker.on('error', (err) => failAll(new LfmError('E_WORKER', `${label} failed: ${err.message}`)));
    worker.on('messageerror', (err) => failAll(new LfmError('E_WORKER', `${label}: ${err.message}`)));
    worker.once('exit', (code) => {
      live--;
      failAll(new LfmError('E_WORKER', `${label} exited (code ${code})`));
    });
    const run = (feeds: ShardFeed[]): Promise<WorkerOutput[]> => {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<WorkerOutput[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.ref();
        try {
          worker.postMessage(
            { type: 'run', id, feeds },
            feeds.map((f) => f.data.buffer as ArrayBuffer),
          );
        } catch (err) {
          pending.delete(id);
          if (pending.size === 0) worker.unref();
          reject(new LfmError('E_WORKER', `${label}: cannot send the batch: ${(err as Error).message}`));
        }
      });
    };
    return { worker, ready, exited, run };
  });

  let released: Promise<void> | undefined;
  const release = (): Promise<void> => {
    released ??= (async () => {
      failure ??= new LfmError('E_WORKER', 'the data-parallel graph engine was disposed');
      await Promise.all(
        slots.map(async ({ worker, exited }) => {
          if (worker.threadId < 0) return;
          worker.ref();
          try {
            worker.postMessage({ type: 'close', endProfiling: profiling });
          } catch {
            // Already gone.
          }
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS);
          });
          const how = await Promise.race([exited, timeout]);
          clearTimeout(timer);
          if (how === 'timeout') await worker.terminate();
        }),
      );
      for (const p of slots) p.worker.removeAllListeners('message');
      unshareParams(params, shared);
    })();
    return released;
  };

  try {
    await Promise.all(slots.map((s) => s.ready));
  } catch (err) {
    await Promise.all(slots.map((s) => s.worker.terminate()));
    unshareParams(params, shared);
    throw err;
  }

  const run = async (feeds: Readonly<Record<string, Ort.Tensor>>): Promise<Record<string, Ort.Tensor>> => {
    if (failure) throw failure;
    const data = Object.entries(feeds).filter(([name]) => !paramNames.has(name));
    const sizes = new Set(data.filter(([name]) => batched.has(name)).map(([, t]) => t.dims[0]));
    if (sizes.size !== 1) {
      throw new LfmError(
        'E_INPUT',
        sizes.size === 0
          ? 'the data-parallel engine got no batched input'
          : `the batched inputs disagree on the batch size: ${[...sizes].join(' vs ')}`,
      );
    }
    const B = [...sizes][0]!;
    const S = Math.min(workers, B);
    const bounds = Array.from({ length: S + 1 }, (_, s) => Math.floor((s * B) / S));
    const shards = await Promise.all(
      Array.from({ length: S }, (_, s) =>
        slots[s]!.run(
          data.map(([name, t]) => shardFeed(name, t, batched.has(name), bounds[s]!, bounds[s + 1]!, B)),
        ),
      ),
    );
    const weights = Array.from({ length: S }, (_, s) => (bounds[s + 1]! - bounds[s]!) / B);
    return combineOutputs(ort, shards, weights);
  };

  return {
    workers: slots.map((s) => s.worker),
    run,
    endProfiling: () => {
      profiling = true;
    },
    release,
  };
}

/** A feed as sent to a worker (a typed array it gets the buffer of). */
interface ShardFeed {
  readonly name: string;
  readonly type: Ort.Tensor.Type;
  readonly data: ArrayBufferView;
  readonly dims: readonly number[];
}

interface WorkerOutput {
  readonly name: string;
  readonly type: Ort.Tensor.Type;
  readonly data: ArrayBufferView;
  readonly dims: readonly number[];
}

type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number; readonly outputs: WorkerOutput[] }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/** Samples [from, to) of a batched feed (a copy, its buffer transferred), or all of an unbatched one. */
function shardFeed(
  name: string,
  t: Ort.Tensor,
  isBatched: boolean,
  from: number,
  to: number,
  B: number,
): ShardFeed {
  const data = t.data as unknown;
  if (!ArrayBuffer.isView(data) || data instanceof DataView) {
    throw new LfmError('E_INPUT', `input '${name}': the data-parallel engine takes typed-array tensors only`);
  }
  const values = data as unknown as Float32Array;
  if (!isBatched) return { name, type: t.type, data: values.slice(), dims: [...t.dims] };
  const stride = values.length / B;
  return {
    name,
    type: t.type,
    data: values.slice(from * stride, to * stride),
    dims: [to - from, ...t.dims.slice(1)],
  };
}

/** Σ_s weights[s] · shards[s][name] per output (Float64 sums, shard order), as tensors. */
function combineOutputs(
  ort: typeof Ort,
  shards: readonly WorkerOutput[][],
  weights: readonly number[],
): Record<string, Ort.Tensor> {
  const result: Record<string, Ort.Tensor> = {};
  const first = shards[0]!;
  for (const [k, head] of first.entries()) {
    const size = head.data.byteLength / 4;
    if (head.type !== 'float32') {
      throw new LfmError('E_WORKER', `output '${head.name}' is ${head.type}: only float32 outputs combine`);
    }
    const parts = shards.map((outs) => {
      const o = outs[k];
      if (o?.name !== head.name || !(o.data instanceof Float32Array) || o.data.length !== size) {
        throw new LfmError('E_WORKER', `the workers' outputs disagree at '${head.name}'`);
      }
      return o.data;
    });
    const acc = parts[0]!; // a fresh buffer of shard 0: summed into in place
    if (parts.length === 2) {
      const [w0, w1] = weights as [number, number];
      const b = parts[1]!;
      for (let i = 0; i < acc.length; i++) acc[i] = w0 * acc[i]! + w1 * b[i]!;
    } else if (parts.length > 2 || weights[0] !== 1) {
      for (let i = 0; i < acc.length; i++) {
        let v = 0;
        for (let s = 0; s < parts.length; s++) v += weights[s]! * parts[s]![i]!;
        acc[i] = v;
      }
    }
    result[head.name] = new ort.Tensor('float32', acc, [...head.dims]);
  }
  return result;
}

/** Moves `names` of `params` into shared memory (in place); returns the shared arrays it made. */
function shareParams(
  params: Record<string, Float32Array>,
  names: readonly string[],
  shapes: Readonly<Record<string, readonly number[]>>,
): Map<string, Float32Array> {
  const made = new Map<string, Float32Array>();
  for (const name of names) {
    const data = Object.hasOwn(params, name) ? params[name] : undefined;
    const dims = shapes[name];
    const size = dims?.reduce((n, d) => n * d, 1);
    if (data === undefined || dims === undefined || data.length !== size) {
      throw new LfmError('E_PARAM', `parameter '${name}' is missing or of the wrong size`);
    }
    if (data.buffer instanceof SharedArrayBuffer) continue;
    const copy = new Float32Array(new SharedArrayBuffer(data.byteLength));
    copy.set(data);
    params[name] = copy;
    made.set(name, copy);
  }
  return made;
}

/** Ordinary copies in place of the shared arrays `shareParams` made (those still in the record). */
function unshareParams(params: Record<string, Float32Array>, made: Map<string, Float32Array>): void {
  for (const [name, copy] of made) if (params[name] === copy) params[name] = copy.slice();
  made.clear();
}

/**
 * The worker (CommonJS, run with `eval`: no file to resolve from src/ or dist/). workerData: ortPath,
 * graph (the training graph's bytes), sessionOptions, params [{ name, data (shared), dims }].
 * Messages in: { type: 'run', id, feeds: [{ name, type, data, dims }] }, { type: 'close', endProfiling }.
 * Out: { type: 'ready' }, { type: 'done', id, outputs: [{ name, type, data, dims }] } (buffers
 * transferred), { type: 'error', id, message } (id −1: the session could not be created).
 */
const WORKER_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const params = workerData.params.map((p) => {
  const own = new Float32Array(p.data.length);
  return { name: p.name, shared: p.data, own, tensor: new ort.Tensor('float32', own, p.dims) };
});
const messageOf = (e) => (e && e.message ? e.message : String(e));
let session;
const started = ort.InferenceSession.create(workerData.graph, workerData.sessionOptions).then(
  (s) => {
    session = s;
    parentPort.postMessage({ type: 'ready' });
  },
  (e) => parentPort.postMessage({ type: 'error', id: -1, message: messageOf(e) }),
);
let queue = started;
parentPort.on('message', (msg) => {
  queue = queue
    .then(() => handle(msg))
    .catch((e) => parentPort.postMessage({ type: 'error', id: msg.id, message: messageOf(e) }));
});
async function handle(msg) {
  if (msg.type === 'run') {
    let outputs;
    try {
      if (!session) throw new Error('no session');
      const feeds = {};
      for (const p of params) {
        p.own.set(p.shared);
        feeds[p.name] = p.tensor;
      }
      for (const f of msg.feeds) feeds[f.name] = new ort.Tensor(f.type, f.data, f.dims);
      const out = await session.run(feeds);
      outputs = session.outputNames.map((name) => {
        const t = out[name];
        return { name, type: t.type, data: t.data, dims: t.dims };
      });
    } catch (e) {
      parentPort.postMessage({ type: 'error', id: msg.id, message: messageOf(e) });
      return;
    }
    const buffers = [...new Set(outputs.map((o) => o.data.buffer))];
    try {
      parentPort.postMessage({ type: 'done', id: msg.id, outputs }, buffers);
    } catch {
      parentPort.postMessage({ type: 'done', id: msg.id, outputs });
    }
  } else if (msg.type === 'close') {
    try {
      if (session && msg.endProfiling) session.endProfiling();
      if (session) await session.release();
    } finally {
      process.exit(0);
    }
  }
}
`;
