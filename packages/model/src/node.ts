import { readFileOr, writeFileAtomic } from '@lfm/core/node';
import {
  type Checkpoint,
  type DecodeCheckpointOptions,
  decodeCheckpoint,
  encodeCheckpoint,
} from './checkpoint.js';

/**
 * Checkpoint files in Node (`@lfm/model/node`); the main entry stays free of `node:` imports so it
 * bundles for browsers.
 */

/**
 * Writes `ckpt` to `path` atomically: to a temporary sibling, flushed to disk, then renamed over
 * `path` (atomic on POSIX within one file system) — a crash never leaves a half-written checkpoint.
 * Creates missing parent folders.
 */
export async function saveCheckpoint(path: string, ckpt: Checkpoint): Promise<void> {
  const bytes = encodeCheckpoint(ckpt);
  await writeFileAtomic(path, bytes);
}

/**
 * Reads a checkpoint file. DataFormatError (naming the file) when it is missing, corrupt or
 * truncated; CheckpointMismatchError when it does not fit `options.expect`.
 */
export async function loadCheckpoint(
  path: string,
  options: DecodeCheckpointOptions = {},
): Promise<Checkpoint> {
  return decodeCheckpoint(await readFileOr(path), { ...options, source: options.source ?? path });
}
