import { LfmError } from '@lfm/core';
import { assertTfjsGradients, type TfCore } from '@lfm/core/tfjs';

/**
 * `@lfm/trainer/tfjs-backend`: loads tfjs with gradients and the best available backend, for apps
 * and scripts (libraries take an injected `tf` and never load a backend).
 *
 * - `@tensorflow/tfjs` (the umbrella, CommonJS in Node) is what registers tfjs's gradients in plain
 *   Node: `@tensorflow/tfjs-core` alone registers none, and its `register_all_gradients` entry only
 *   resolves under bundlers/vitest. All tfjs packages are pinned to 4.22.0 so one tfjs-core serves all
 *   (its engine and registries live on globalThis anyway).
 * - `'tensorflow'`: `@tensorflow/tfjs-node-gpu`, else `@tensorflow/tfjs-node`, when the user installed
 *   one (`npm i --no-save @tensorflow/tfjs-node-gpu@4.22.0`); neither is a dependency, as their install
 *   downloads libtensorflow.
 * - `'wasm'`: `@tensorflow/tfjs-backend-wasm` (a dependency; one thread in Node).
 * - `'cpu'`: only when asked for by name — it trains ~15× slower than wasm (docs/BACKENDS.md).
 * tfjs's `setBackend` can fail silently (it resolves false, or leaves the previous backend), so every
 * selection is verified: `await tf.setBackend(x) === true && tf.getBackend() === x`.
 * The loaded tfjs is put in production mode (`tf.enableProdMode()`, tfjs's documented switch; in 4.22
 * it only turns off tfjs's own `warn`/`log`): no "install our node backend" banner from the cpu
 * backend on the user's terminal — the backend is chosen here on purpose.
 */

export type TfjsBackend = 'tensorflow' | 'wasm' | 'cpu';

/** Default preference: the native backend if installed, else wasm. */
export const DEFAULT_BACKEND_ORDER: readonly TfjsBackend[] = ['tensorflow', 'wasm'];

export interface LoadedTfjs {
  /** The tfjs module (gradients registered, `backend` active). */
  readonly tf: TfCore;
  readonly backend: TfjsBackend;
}

export interface LoadTfjsOptions {
  /** Module loader (default: dynamic `import`). Tests inject a fake tfjs here. */
  readonly importModule?: (specifier: string) => Promise<unknown>;
}

/** Backend selection failed; the message lists what was tried and why each failed. */
export class TfjsBackendError extends LfmError {
  constructor(message: string) {
    super('E_TFJS_BACKEND', message);
  }
}

/**
 * Loads tfjs and activates the first working backend of `preferred` (a name or an ordered list;
 * default DEFAULT_BACKEND_ORDER). Throws TfjsBackendError naming every attempt when none works, and
 * LfmError when tfjs's gradients are missing.
 */
export async function loadTfjsBackend(
  preferred?: TfjsBackend | readonly TfjsBackend[],
  options: LoadTfjsOptions = {},
): Promise<LoadedTfjs> {
  const importModule = options.importModule ?? ((s: string) => import(s));
  const order: readonly TfjsBackend[] =
    preferred === undefined ? DEFAULT_BACKEND_ORDER : typeof preferred === 'string' ? [preferred] : preferred;
  for (const b of order) {
    if (!['tensorflow', 'wasm', 'cpu'].includes(b)) {
      throw new TfjsBackendError(`unknown tfjs backend '${b}' (known: tensorflow, wasm, cpu)`);
    }
  }
  let tf: TfCore;
  try {
    tf = moduleValue(await importModule('@tensorflow/tfjs')) as TfCore;
  } catch (err) {
    throw new TfjsBackendError(`cannot load @tensorflow/tfjs: ${(err as Error).message}`);
  }
  tf.enableProdMode();
  const failures: string[] = [];
  for (const backend of order) {
    const why = await registerBackend(backend, importModule);
    if (why !== undefined) {
      failures.push(`${backend}: ${why}`);
      continue;
    }
    if (tf.findBackendFactory(backend) == null) {
      failures.push(`${backend}: not registered after loading its package`);
      continue;
    }
    const error = await trySelectBackend(tf, backend);
    if (error === undefined) {
      assertTfjsGradients(tf);
      return { tf, backend };
    }
    failures.push(`${backend}: ${error}`);
  }
  throw new TfjsBackendError(`no usable tfjs backend among ${order.join(', ')} — ${failures.join('; ')}`);
}

/**
 * Activates `backend` and checks that it really is active. Returns undefined on success, else why not
 * (setBackend resolving false, or another backend left active — tfjs's silent failure mode).
 */
export async function trySelectBackend(
  tf: Pick<TfCore, 'setBackend' | 'getBackend'>,
  backend: string,
): Promise<string | undefined> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(backend);
  } catch (err) {
    return `setBackend threw: ${(err as Error).message}`;
  }
  const active = tf.getBackend();
  if (ok !== true)
    return `setBackend('${backend}') resolved ${String(ok)} (initialisation failed; '${active}' is active)`;
  if (active !== backend) return `setBackend('${backend}') succeeded but '${active}' is active`;
  return undefined;
}

/** Imports the package that registers `backend`; undefined on success, else why it failed. */
async function registerBackend(
  backend: TfjsBackend,
  importModule: (specifier: string) => Promise<unknown>,
): Promise<string | undefined> {
  const attempt = async (specifier: string) => {
    try {
      await importModule(specifier);
      return undefined;
    } catch (err) {
      return `${specifier} not loadable (${firstLine((err as Error).message)})`;
    }
  };
  if (backend === 'cpu') return undefined; // registered by @tensorflow/tfjs
  if (backend === 'wasm') return attempt('@tensorflow/tfjs-backend-wasm');
  const gpu = await attempt('@tensorflow/tfjs-node-gpu');
  if (gpu === undefined) return undefined;
  const cpu = await attempt('@tensorflow/tfjs-node');
  return cpu === undefined ? undefined : `${gpu}; ${cpu}`;
}

function moduleValue(m: unknown): unknown {
  // A CommonJS module imported from ESM: its module.exports is the default export.
  const d = (m as { default?: unknown }).default;
  return d !== undefined && typeof (d as { setBackend?: unknown }).setBackend === 'function' ? d : m;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}
