import { readFileOr, writeFileAtomic } from '@lfm/core/node';
import { type AdamState, decodeAnyCheckpoint, encodeAnyCheckpoint, type JsonValue } from '@lfm/model';
import { createModel, type ModelConfig, resolveModelConfig, type TrainableModel } from './models.js';

/**
 * Checkpoints of any trainer model, in `@lfm/model`'s format (its `encodeAnyCheckpoint`: one layout,
 * one CRC). A lifter checkpoint is exactly what `@lfm/model` writes for a lifter (every lifter reader
 * takes it); an MLP-baseline checkpoint stores `config.kind = 'mlp'` and the MLP's parameters (a
 * lifter reader refuses it, naming the kind). Checkpoints do not depend on the engine that wrote them.
 */

export interface ModelCheckpoint {
  readonly config: ModelConfig;
  /** Every parameter of the model's specs, row-major float32. */
  readonly params: Readonly<Record<string, Float32Array>>;
  readonly optimizer?: AdamState;
  readonly metadata?: Readonly<Record<string, JsonValue>>;
}

/** The specs of a trainer model config (ConfigError when invalid): what `@lfm/model` checks tensors against. */
const specsOf = (config: unknown) => createModel(resolveModelConfig(config)).specs;

/** Serialises a checkpoint of a lifter or an MLP baseline. CheckpointMismatchError for missing/mis-sized arrays. */
export function encodeModelCheckpoint(ckpt: ModelCheckpoint): Uint8Array {
  return encodeAnyCheckpoint({ ...ckpt, config: resolveModelConfig(ckpt.config) }, { specsOf });
}

/**
 * Parses a checkpoint of either kind: DataFormatError when the bytes are not an intact checkpoint,
 * CheckpointMismatchError when its arrays do not fit its config.
 */
export function decodeModelCheckpoint(bytes: Uint8Array, source?: string): ModelCheckpoint {
  const ckpt = decodeAnyCheckpoint(bytes, { specsOf, ...(source !== undefined && { source }) });
  return { ...ckpt, config: resolveModelConfig(ckpt.config) };
}

/** Writes a checkpoint atomically (temporary sibling, fsync, rename); creates missing folders. */
export async function saveModelCheckpoint(path: string, ckpt: ModelCheckpoint): Promise<void> {
  const bytes = encodeModelCheckpoint(ckpt);
  await writeFileAtomic(path, bytes);
}

/** Reads a checkpoint file of either kind; DataFormatError naming the file when missing or corrupt. */
export async function loadModelCheckpoint(
  path: string,
): Promise<ModelCheckpoint & { model: TrainableModel }> {
  const ckpt = decodeModelCheckpoint(await readFileOr(path), path);
  return { ...ckpt, model: createModel(ckpt.config) };
}
