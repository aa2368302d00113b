import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readFileOr } from '@lfm/core/node';
import type { TfCore } from '@lfm/core/tfjs';
import type { Checkpoint } from '@lfm/model';
import type { Lifter } from '@lfm/runtime';
import { CliError, UsageError } from './errors.js';
import { type CliIo, resolvePath } from './io.js';

/**
 * The pretrained model `lfm` uses when no `--model` is given, relative to the repository root and to
 * the installed package's `dist/` (the one place this path is written).
 */
export const DEFAULT_MODEL_FILE = 'models/lfm.onnx';

/** Where the default model is looked for: inside the package's dist/, then the repository root. */
export function defaultModelCandidates(): string[] {
  return [
    fileURLToPath(new URL(`./${DEFAULT_MODEL_FILE}`, import.meta.url)),
    fileURLToPath(new URL(`../../../${DEFAULT_MODEL_FILE}`, import.meta.url)),
  ];
}

/** The message when no `--model` is given and no default model is shipped. */
export const NO_DEFAULT_MODEL = 'no default model shipped yet; pass --model PATH';

/** `--model PATH` resolved, or the shipped default; CliError when neither exists. */
export function resolveModelPath(io: CliIo, flag: string | undefined): string {
  if (flag !== undefined) return resolvePath(io, flag);
  const found = defaultModelCandidates().find((p) => existsSync(p));
  if (found === undefined) throw new CliError(NO_DEFAULT_MODEL, 'E_NO_MODEL');
  return found;
}

/** Runtimes a lifter can run on. */
export const RUNTIMES = ['onnx', 'tfjs'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

/** tfjs backends (`--backend`, with `--runtime tfjs` or for training). */
export const TFJS_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type TfjsBackendName = (typeof TFJS_BACKENDS)[number];

/**
 * A model file: an exported ONNX lifter, or an LFM checkpoint — by its magic bytes, or by its `.ckpt`
 * extension (so a `.ckpt` that is not one is reported by the checkpoint reader, not as bad ONNX).
 */
export interface ModelFile {
  readonly path: string;
  readonly kind: 'onnx' | 'ckpt';
  readonly bytes: Uint8Array;
}

/** The start of an LFM checkpoint's magic (`LFMCKPT1`; a later version also reads as a checkpoint). */
const CKPT_MAGIC_PREFIX = 'LFMCKPT';

export async function readModelFile(path: string): Promise<ModelFile> {
  const bytes = await readFileOr(path, {
    missing: 'model file not found',
    directory: 'is a directory; pass a model file (.onnx or .ckpt)',
  });
  const magic = new TextDecoder().decode(bytes.subarray(0, CKPT_MAGIC_PREFIX.length));
  const ckpt = magic === CKPT_MAGIC_PREFIX || /\.ckpt$/i.test(path);
  return { path, kind: ckpt ? 'ckpt' : 'onnx', bytes };
}

/** A model-format error (from bytes, so without a file name) named with the file. */
function withPath(path: string, err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || typeof code !== 'string' || err.message.includes(path)) return err;
  return new CliError(`${path}: ${err.message}`, code);
}

/**
 * A lifter checkpoint from a model file; CliError when it is an MLP-baseline checkpoint (fixed rig
 * and joint count: `lfm eval` runs those, lift and export need the lifter).
 */
/**
 * k of the kNN graph a checkpoint was trained with for rigs without bones: its recipe's `knn` (the
 * checkpoint metadata's `training`, as `lfm train` writes it), so that an export of it (metadata
 * `knnK`) builds the training graph at inference. Undefined when the recipe left it at the default.
 */
export function trainedKnnK(ckpt: Pick<Checkpoint, 'metadata'>): number | undefined {
  const training = ckpt.metadata?.training;
  if (training === null || typeof training !== 'object' || Array.isArray(training)) return undefined;
  const k = (training as { knn?: unknown }).knn;
  return typeof k === 'number' && Number.isInteger(k) && k >= 1 ? k : undefined;
}

export async function decodeLifterCheckpoint(file: ModelFile): Promise<Checkpoint> {
  const { decodeCheckpoint } = await import('@lfm/model');
  try {
    return decodeCheckpoint(file.bytes, { source: file.path });
  } catch (err) {
    // Not a lifter checkpoint: the trainer's reader tells whether it is an MLP baseline's.
    const { decodeModelCheckpoint } = await import('@lfm/trainer');
    let kind: string | undefined;
    try {
      kind = decodeModelCheckpoint(file.bytes, file.path).config.kind;
    } catch {
      kind = undefined;
    }
    if (kind === 'mlp') {
      throw new CliError(
        `${file.path}: an MLP-baseline checkpoint (one rig, fixed joints), not a lifter; ` +
          '`lfm eval --model` runs it, lift and export need a lifter checkpoint',
        'E_MODEL_KIND',
      );
    }
    throw err;
  }
}

export interface OpenLifterOptions {
  /** `--model`, or undefined for the default model. */
  readonly model: string | undefined;
  readonly runtime: RuntimeName;
  /** tfjs backend for `--runtime tfjs` (default: loadTfjsBackend's order: tensorflow, then wasm). */
  readonly backend?: TfjsBackendName | undefined;
}

/**
 * Loads a lifter to run: an `.onnx` model on onnxruntime-node; a `.ckpt` exported in memory and run
 * on onnxruntime-node, or with `runtime: 'tfjs'` run by `forwardLifter` on tfjs (same preprocessing
 * and camera recovery either way: both go through @lfm/runtime's Lifter).
 */
export async function openLifter(io: CliIo, options: OpenLifterOptions): Promise<Lifter> {
  const file = await readModelFile(resolveModelPath(io, options.model));
  if (options.runtime === 'tfjs' && file.kind !== 'ckpt') {
    throw new UsageError(
      `--runtime tfjs runs a checkpoint (.ckpt), but ${file.path} is an ONNX model; drop --runtime tfjs or pass a .ckpt`,
    );
  }
  if (file.kind === 'onnx') {
    const { loadLifter } = await import('@lfm/runtime/node');
    return loadLifter(file.bytes).catch((err: unknown) => {
      throw withPath(file.path, err);
    });
  }
  const ckpt = await decodeLifterCheckpoint(file);
  const { exportLifter } = await import('@lfm/onnx');
  const knnK = trainedKnnK(ckpt);
  const bytes = exportLifter(ckpt, knnK !== undefined ? { knnK } : {});
  if (options.runtime === 'onnx') {
    const { loadLifter } = await import('@lfm/runtime/node');
    return loadLifter(bytes);
  }
  const [tf, { createTfjsSessionFactory }, runtime] = await Promise.all([
    loadTfjs(options.backend),
    import('./tfjs-session.js'),
    import('@lfm/runtime'),
  ]);
  return runtime.loadLifter(bytes, { runtime: await createTfjsSessionFactory(tf, ckpt) });
}

/**
 * tfjs with gradients and the best backend (`loadTfjsBackend`), in production mode: no debug checks,
 * and no "install tfjs-node" banner from the cpu backend on the user's terminal.
 */
export async function loadTfjs(backend: TfjsBackendName | undefined): Promise<TfCore> {
  const { loadTfjsBackend } = await import('@lfm/trainer/tfjs-backend');
  const { tf } = await loadTfjsBackend(backend);
  tf.env().set('PROD', true);
  return tf;
}
