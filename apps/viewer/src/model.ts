import { type Lifter, loadLifter } from '@lfm/runtime/web';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import modelUrl from '../../../models/lfm.onnx?url';

/** The shipped model's URL in this build (dev server, or dist/assets/ after `vite build`). */
export const MODEL_URL: string = new URL(modelUrl, document.baseURI).href;

/**
 * Points onnxruntime-web at the .wasm this build serves (never a CDN), fixes one wasm thread (no
 * cross-origin isolation needed) and loads the shipped model with @lfm/runtime/web.
 *
 * `onnxruntime-web` is aliased to its CPU-only wasm build in vite.config.ts, and @lfm/runtime/web
 * imports the same module, so these settings apply to its sessions. Loaded lazily, in its own chunk:
 * the page (and any error message) shows before the engine arrives.
 */
export async function loadShippedLifter(): Promise<Lifter> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, document.baseURI).href };
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  return loadLifter(MODEL_URL, { threads: 1 });
}
