import { availableParallelism } from 'node:os';
import { readFileOr } from '@lfm/core/node';
import { type Lifter, type LoadLifterOptions, loadLifter as loadLifterWith } from './lifter.js';
import { createOrtSessionFactory, ortApi, registerSessionFactory, type SessionFactory } from './session.js';

/**
 * `@lfm/runtime/node`: the lifter on onnxruntime-node (native CPU kernels; the fastest path in Node).
 * onnxruntime-node is an optional peer dependency, loaded on first use. Everything of `@lfm/runtime`
 * is re-exported; `loadLifter` here reads file paths and needs no registration.
 */
export * from './index.js';

/**
 * onnxruntime-node session options for `threads` intra-op threads: CPU EP, graph optimisation 'all',
 * sequential execution; with more than one thread the workers do not spin-wait between kernels
 * (`session.intra_op.allow_spinning` '0'; onnxruntime's default '1' spins). Measured with
 * `bench/` on the shared 2-core dev machine (load ≈ 5): 2 threads at B=64 ran ~1.7× faster without
 * spinning (spinning workers fight other processes for the cores); B=1 runs on the 1-thread session
 * under `threads: 'auto'`, where there are no workers to spin.
 */
export function nodeSessionOptions(threads: number, spinning = false): Record<string, unknown> {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    ...(threads > 1 && { extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } } }),
  };
}

function nodeFactory(spinning: boolean): SessionFactory {
  return createOrtSessionFactory({
    name: spinning ? 'onnxruntime-node (spin-wait)' : 'onnxruntime-node',
    load: async () => ortApi(await import('onnxruntime-node')),
    perSessionThreads: true,
    // docs/BACKENDS.md §4: 2 threads beat 1 at B = 64 on 2 cores; more cores help large batches a little.
    largeBatchThreads: () => Math.max(1, Math.min(4, availableParallelism())),
    sessionOptions: (_ort, threads) => nodeSessionOptions(threads, spinning),
    readModel: (path) =>
      readFileOr(path, {
        missing: 'model file not found',
        directory: 'is a directory, not an .onnx model file',
      }),
  });
}

/** The onnxruntime-node session factory: `nodeSessionOptions` (CPU EP, graph optimisation 'all', sequential execution). */
export const onnxruntimeNode: SessionFactory = nodeFactory(false);

/**
 * The same with spin-waiting intra-op workers (onnxruntime's own default): faster on a machine whose
 * cores the process has to itself (bench: 'half' d=128 L=4, B=64, 2 threads, idle 2-core machine:
 * 27.3 ms vs 30.2 ms), slower on a shared one. `loadLifter(…, { spinning: true })` uses it.
 */
export const onnxruntimeNodeSpinning: SessionFactory = nodeFactory(true);

/** Registers `onnxruntimeNode` in the shared registry (idempotent) and returns it. */
export function registerNodeRuntime(): SessionFactory {
  return registerSessionFactory(onnxruntimeNode);
}

/** Options of the Node `loadLifter` beyond the core ones. */
export interface NodeLoadOptions {
  /**
   * Let multi-thread sessions' workers spin-wait between kernels (onnxruntime's default). Default
   * false: on a shared machine spinning workers fight other processes for the cores; on cores of
   * its own a spinning 2-thread session is ~10% faster at B=64.
   */
  spinning?: boolean;
}

/**
 * Loads an exported lifter (`.onnx` path or bytes) on onnxruntime-node. See the core `loadLifter`
 * for the errors.
 *
 * ```ts
 * import { loadLifter } from '@lfm/runtime/node';
 * const lifter = await loadLifter('lfm.onnx');
 * const { points3d, camera } = await lifter.lift([[412, 80], [398, 130], null, …], { rig: 'coco-17' });
 * ```
 */
export function loadLifter(
  source: string | Uint8Array | ArrayBuffer,
  options: Omit<LoadLifterOptions, 'runtime'> & NodeLoadOptions = {},
): Promise<Lifter> {
  const { spinning = false, ...rest } = options;
  return loadLifterWith(source, {
    ...rest,
    runtime: spinning ? onnxruntimeNodeSpinning : registerNodeRuntime(),
  });
}
