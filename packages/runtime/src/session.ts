import { LfmError } from '@lfm/core';

/**
 * The seam between the runtime-agnostic lifter and an inference engine: a `SessionFactory` turns model
 * bytes into sessions. `@lfm/runtime/node` (onnxruntime-node) and `@lfm/runtime/web` (onnxruntime-web)
 * are thin adapters providing one each; anything with the same shape (another onnxruntime build, a
 * mock) plugs in the same way.
 */

/** A float32 tensor crossing the seam: row-major data and its dims. */
export interface FloatTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** One loaded model in an engine. */
export interface ModelSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model on float32 feeds; returns every output by name. */
  run(feeds: Readonly<Record<string, FloatTensor>>): Promise<Record<string, FloatTensor>>;
  release(): Promise<void>;
}

export interface SessionOptions {
  /** Intra-op threads of this session (engines with a process-wide setting apply it once). */
  readonly threads: number;
}

export interface SessionFactory {
  /** Registry key and the name in messages, e.g. `'onnxruntime-node'`. */
  readonly name: string;
  /**
   * Whether sessions of one process can differ in thread count. When true and the caller leaves
   * `threads` to 'auto', a lifter keeps a 1-thread session for small batches (thread hand-offs cost
   * more than the work, docs/BACKENDS.md §4) and a `largeBatchThreads` one for large batches.
   */
  readonly perSessionThreads: boolean;
  /** Threads for large batches under 'auto' (and for every batch when `perSessionThreads` is false). */
  largeBatchThreads(): number;
  createSession(model: Uint8Array, options: SessionOptions): Promise<ModelSession>;
  /** Model bytes from a string source: a file path (Node) or a URL (browsers). */
  readModel(location: string): Promise<Uint8Array>;
}

/** No engine is available: none registered, or the onnxruntime package is not installed. */
export class RuntimeUnavailableError extends LfmError {
  constructor(message: string) {
    super('E_RUNTIME', message);
  }
}

/** Two copies of @lfm/runtime in one realm share the registry (tfjs's pattern). */
const REGISTRY_KEY = Symbol.for('@lfm/runtime.sessionFactories');

function registry(): Map<string, SessionFactory> {
  const g = globalThis as unknown as Record<symbol, Map<string, SessionFactory> | undefined>;
  let map = g[REGISTRY_KEY];
  if (!map) {
    map = new Map();
    Object.defineProperty(globalThis, REGISTRY_KEY, { value: map, enumerable: false, writable: false });
  }
  return map;
}

/**
 * Registers a session factory under its name and returns the registered one. Registering the same
 * object again is harmless; a different factory under a taken name throws (onnxruntime's rule).
 */
export function registerSessionFactory(factory: SessionFactory): SessionFactory {
  const map = registry();
  const existing = map.get(factory.name);
  if (existing === undefined) {
    map.set(factory.name, factory);
    return factory;
  }
  if (existing === factory) return existing;
  throw new LfmError(
    'E_RUNTIME_CONFLICT',
    `a different session factory is already registered as '${factory.name}'; register yours under another name`,
  );
}

/**
 * The factory named `name`, or with no name the first registered. Throws RuntimeUnavailableError
 * saying how to get one.
 */
export function getSessionFactory(name?: string): SessionFactory {
  const map = registry();
  const found = name === undefined ? map.values().next().value : map.get(name);
  if (found) return found;
  const known = [...map.keys()];
  throw new RuntimeUnavailableError(
    (name === undefined
      ? 'no inference runtime is registered'
      : `no inference runtime '${name}' is registered`) +
      (known.length ? ` (registered: ${known.join(', ')})` : '') +
      ": import { loadLifter } from '@lfm/runtime/node' (onnxruntime-node) or '@lfm/runtime/web' (onnxruntime-web)",
  );
}

/** Names of the registered factories, in registration order. */
export function listSessionFactories(): string[] {
  return [...registry().keys()];
}

// --- onnxruntime (node and web share onnxruntime-common's API) ---------------------------------------

/** The part of an onnxruntime module (`onnxruntime-node` or `onnxruntime-web`) the adapters use. */
export interface OrtModule {
  readonly InferenceSession: {
    create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession>;
  };
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}

interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
  release(): Promise<void>;
}

export interface OrtFactoryOptions {
  readonly name: string;
  /** Loads the onnxruntime module (a dynamic import, so the package stays an optional peer). */
  readonly load: () => Promise<OrtModule>;
  readonly perSessionThreads: boolean;
  readonly largeBatchThreads: () => number;
  /** Session options for `threads` (execution providers, thread counts, optimisation level). */
  readonly sessionOptions: (ort: OrtModule, threads: number) => Record<string, unknown>;
  readonly readModel: (location: string) => Promise<Uint8Array>;
}

/**
 * The onnxruntime API of a dynamically imported package: on the module namespace, or (CommonJS in
 * Node) on its default export.
 */
export function ortApi(imported: unknown): OrtModule {
  const m = imported as Partial<OrtModule> & { default?: OrtModule };
  return (m.InferenceSession ? m : m.default) as OrtModule;
}

/** A SessionFactory over an onnxruntime JS package. */
export function createOrtSessionFactory(o: OrtFactoryOptions): SessionFactory {
  let loaded: Promise<OrtModule> | undefined;
  const load = () => {
    loaded ??= o.load().catch((err: unknown) => {
      loaded = undefined;
      throw new RuntimeUnavailableError(
        `${o.name} could not be loaded (${firstLine(err)}); install it next to @lfm/runtime: npm i ${o.name}`,
      );
    });
    return loaded;
  };
  return {
    name: o.name,
    perSessionThreads: o.perSessionThreads,
    largeBatchThreads: o.largeBatchThreads,
    readModel: o.readModel,
    async createSession(model, { threads }) {
      const ort = await load();
      const session = await ort.InferenceSession.create(model, o.sessionOptions(ort, threads));
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds) {
          const ortFeeds: Record<string, unknown> = {};
          for (const [k, t] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor('float32', t.data, t.dims);
          const out = await session.run(ortFeeds);
          const result: Record<string, FloatTensor> = {};
          for (const [k, t] of Object.entries(out)) {
            result[k] = { data: t.data as Float32Array, dims: t.dims.map(Number) };
          }
          return result;
        },
        release: () => session.release(),
      };
    },
  };
}

/** The first line of an error's message (engine errors can be long). */
export function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.trim();
}
