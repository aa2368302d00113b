import { DataFormatError } from '@lfm/core';
import { type Lifter, type LoadLifterOptions, loadLifter as loadLifterWith } from './lifter.js';
import {
  createOrtSessionFactory,
  type OrtModule,
  ortApi,
  registerSessionFactory,
  type SessionFactory,
} from './session.js';

/**
 * `@lfm/runtime/web`: the lifter on onnxruntime-web's wasm backend — browsers, and Node where the
 * native package cannot be installed. onnxruntime-web is an optional peer dependency, loaded on first
 * use. Everything of `@lfm/runtime` is re-exported; `loadLifter` here fetches URLs.
 *
 * Threads: onnxruntime-web has ONE process-wide wasm thread count, fixed when its first session is
 * created: `threads` if given, else 1 in Node (measured: 2 threads are slower there, docs/BACKENDS.md §4)
 * and onnxruntime-web's own default in browsers (multi-threading needs a cross-origin-isolated page).
 */
export * from './index.js';

interface OrtWebModule extends OrtModule {
  readonly env: { readonly wasm: { numThreads?: number } };
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
let threadsFixed = false;

/** The onnxruntime-web session factory (wasm execution provider, graph optimisation 'all'). */
export const onnxruntimeWeb: SessionFactory = createOrtSessionFactory({
  name: 'onnxruntime-web',
  load: async () => ortApi(await import('onnxruntime-web')),
  perSessionThreads: false,
  largeBatchThreads: () => 0, // 0 = leave the wasm thread count to onnxruntime-web (see below)
  sessionOptions: (ort, threads) => {
    if (!threadsFixed) {
      const wasm = (ort as OrtWebModule).env.wasm;
      if (threads > 0) wasm.numThreads = threads;
      else if (isNode) wasm.numThreads = 1;
      threadsFixed = true;
    }
    return { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  },
  readModel: async (url) => {
    if (typeof fetch !== 'function')
      throw new DataFormatError('cannot fetch the model: no fetch() here; pass the bytes', url);
    const res = await fetch(url);
    if (!res.ok)
      throw new DataFormatError(`could not fetch the model: HTTP ${res.status} ${res.statusText}`, url);
    return new Uint8Array(await res.arrayBuffer());
  },
});

/** Registers `onnxruntimeWeb` in the shared registry (idempotent) and returns it. */
export function registerWebRuntime(): SessionFactory {
  return registerSessionFactory(onnxruntimeWeb);
}

/** Loads an exported lifter (a URL or the `.onnx` bytes) on onnxruntime-web. See the core `loadLifter`. */
export function loadLifter(
  source: string | Uint8Array | ArrayBuffer,
  options: Omit<LoadLifterOptions, 'runtime'> = {},
): Promise<Lifter> {
  return loadLifterWith(source, { ...options, runtime: registerWebRuntime() });
}
