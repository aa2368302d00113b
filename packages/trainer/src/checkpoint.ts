import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DataFormatError } from '@lfm/core';
import type { ParameterSpec } from '@lfm/encoding';
import {
  type AdamState,
  CHECKPOINT_MAGIC,
  CHECKPOINT_VERSION,
  CheckpointMismatchError,
  ConfigError,
  decodeCheckpoint,
  encodeCheckpoint,
  type JsonValue,
} from '@lfm/model';
import {
  createModel,
  type LifterModelConfig,
  lifterConfigOf,
  type MlpModelConfig,
  type ModelConfig,
  resolveModelConfig,
  type TrainableModel,
} from './models.js';

/**
 * Checkpoints of any trainer model, in `@lfm/model`'s LFMCKPT1 format. A lifter checkpoint is written
 * by `@lfm/model` itself (its header `config` is a plain `LifterConfig`, so every lifter reader takes
 * it); an MLP-baseline checkpoint uses the same layout with `config.kind = 'mlp'` and the MLP's
 * parameters (a lifter reader refuses it, naming the unknown `kind` key).
 */

export interface ModelCheckpoint {
  readonly config: ModelConfig;
  /** Every parameter of the model's specs, row-major float32. */
  readonly params: Readonly<Record<string, Float32Array>>;
  readonly optimizer?: AdamState;
  readonly metadata?: Readonly<Record<string, JsonValue>>;
}

/** Serialises a checkpoint of a lifter or an MLP baseline. CheckpointMismatchError for missing/mis-sized arrays. */
export function encodeModelCheckpoint(ckpt: ModelCheckpoint): Uint8Array {
  const config = resolveModelConfig(ckpt.config);
  const rest = {
    params: ckpt.params,
    ...(ckpt.optimizer && { optimizer: ckpt.optimizer }),
    ...(ckpt.metadata && { metadata: ckpt.metadata }),
  };
  if (config.kind === 'lifter') return encodeCheckpoint({ config: lifterConfigOf(config), ...rest });
  return encodeTensors(config, createModel(config).specs, rest);
}

/**
 * Parses a checkpoint of either kind: DataFormatError when the bytes are not an intact checkpoint,
 * CheckpointMismatchError when its arrays do not fit its config.
 */
export function decodeModelCheckpoint(bytes: Uint8Array, source?: string): ModelCheckpoint {
  const header = peekHeader(bytes, source);
  const config = header?.config;
  if (typeof config === 'object' && config !== null && (config as { kind?: unknown }).kind === 'mlp') {
    return decodeTensors(bytes, source);
  }
  const ckpt = decodeCheckpoint(bytes, source === undefined ? {} : { source });
  return {
    config: { kind: 'lifter', ...ckpt.config } as LifterModelConfig,
    params: ckpt.params,
    ...(ckpt.optimizer && { optimizer: ckpt.optimizer }),
    ...(ckpt.metadata && { metadata: ckpt.metadata }),
  };
}

/** Writes a checkpoint atomically (temporary sibling, fsync, rename); creates missing folders. */
export async function saveModelCheckpoint(path: string, ckpt: ModelCheckpoint): Promise<void> {
  const bytes = encodeModelCheckpoint(ckpt);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Reads a checkpoint file of either kind; DataFormatError naming the file when missing or corrupt. */
export async function loadModelCheckpoint(
  path: string,
): Promise<ModelCheckpoint & { model: TrainableModel }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new DataFormatError('file not found', path);
    throw err;
  }
  const ckpt = decodeModelCheckpoint(bytes, path);
  return { ...ckpt, model: createModel(ckpt.config) };
}

// --- the LFMCKPT1 layout for non-lifter models (see @lfm/model checkpoint.ts for the layout) ---

const PRELUDE = 16;
type Role = 'param' | 'adam.m' | 'adam.v';
interface Entry {
  role: Role;
  name: string;
  shape: number[];
  offset: number;
}

function encodeTensors(
  config: MlpModelConfig,
  specs: readonly ParameterSpec[],
  ckpt: Omit<ModelCheckpoint, 'config'>,
): Uint8Array {
  const blocks: { entry: Entry; data: Float32Array }[] = [];
  let offset = 0;
  const add = (
    role: Role,
    spec: ParameterSpec,
    from: Readonly<Record<string, Float32Array>>,
    what: string,
  ) => {
    const data = Object.hasOwn(from, spec.name) ? from[spec.name] : undefined;
    const size = spec.shape.reduce((n, d) => n * d, 1);
    if (!(data instanceof Float32Array) || data.length !== size) {
      throw new CheckpointMismatchError(
        `${what} '${spec.name}' must be a Float32Array of ${size} values [${spec.shape.join(', ')}], got ${data === undefined ? 'none' : `${data.length} values`}`,
      );
    }
    blocks.push({ entry: { role, name: spec.name, shape: [...spec.shape], offset }, data });
    offset += data.byteLength;
  };
  for (const s of specs) add('param', s, ckpt.params, 'parameter');
  for (const name of Object.keys(ckpt.params)) {
    if (!specs.some((s) => s.name === name)) {
      throw new CheckpointMismatchError(`unexpected parameter '${name}' (not in the ${config.kind} config)`);
    }
  }
  const o = ckpt.optimizer;
  if (o) {
    const trainable = specs.filter((s) => s.trainable);
    for (const s of trainable) add('adam.m', s, o.m, 'adam.m');
    for (const s of trainable) add('adam.v', s, o.v, 'adam.v');
  }
  const data = new Uint8Array(offset);
  for (const { entry, data: values } of blocks) {
    data.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), entry.offset);
  }
  const header = {
    format: 'lfm-checkpoint',
    version: CHECKPOINT_VERSION,
    dtype: 'float32',
    config,
    tensors: blocks.map((b) => b.entry),
    ...(o && { optimizer: { kind: 'adam', step: o.step, ...(o.hyper && { hyper: { ...o.hyper } }) } }),
    ...(ckpt.metadata && { metadata: ckpt.metadata }),
    dataBytes: data.length,
    dataCrc32: crc32(data),
  };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((PRELUDE + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(PRELUDE + headerBytes.length + data.length);
  out.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, headerBytes.length, true);
  dv.setUint32(12, crc32(headerBytes), true);
  out.set(headerBytes, PRELUDE);
  out.set(data, PRELUDE + headerBytes.length);
  return out;
}

/** The header JSON of an LFMCKPT1 file, or undefined when it cannot be read (the full decoder then reports why). */
function peekHeader(bytes: Uint8Array, _source?: string): Record<string, unknown> | undefined {
  if (bytes.length < PRELUDE) return undefined;
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== CHECKPOINT_MAGIC) return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (PRELUDE + length > bytes.length) return undefined;
  try {
    const h = JSON.parse(new TextDecoder().decode(bytes.subarray(PRELUDE, PRELUDE + length)));
    return typeof h === 'object' && h !== null ? (h as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function decodeTensors(bytes: Uint8Array, source?: string): ModelCheckpoint {
  const fail = (message: string): never => {
    throw new DataFormatError(`not a valid LFM checkpoint: ${message}`, source);
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = dv.getUint32(8, true);
  const headerBytes = bytes.subarray(PRELUDE, PRELUDE + length);
  if (crc32(headerBytes) !== dv.getUint32(12, true)) fail('the header is corrupt (CRC-32 mismatch)');
  const h = JSON.parse(new TextDecoder().decode(headerBytes)) as {
    format?: unknown;
    version?: unknown;
    dtype?: unknown;
    config: unknown;
    tensors?: unknown;
    optimizer?: { kind?: unknown; step?: unknown; hyper?: Record<string, number> };
    metadata?: Record<string, JsonValue>;
    dataBytes?: unknown;
    dataCrc32?: unknown;
  };
  if (h.format !== 'lfm-checkpoint') fail('the header does not declare format "lfm-checkpoint"');
  if (h.version !== CHECKPOINT_VERSION) fail(`unsupported format version ${JSON.stringify(h.version)}`);
  if (h.dtype !== 'float32') fail(`unsupported dtype ${JSON.stringify(h.dtype)}`);
  const start = PRELUDE + length;
  const dataBytes = h.dataBytes;
  if (typeof dataBytes !== 'number' || !Number.isSafeInteger(dataBytes) || dataBytes < 0) {
    return fail('the header has no valid dataBytes');
  }
  if (start + dataBytes !== bytes.length) {
    fail(`expected ${start + dataBytes} bytes, the file has ${bytes.length} (truncated or trailing bytes)`);
  }
  const data = bytes.subarray(start);
  if (crc32(data) !== h.dataCrc32) fail('the tensor data is corrupt (CRC-32 mismatch)');
  let config: ModelConfig;
  try {
    config = resolveModelConfig(h.config);
  } catch (e) {
    if (e instanceof ConfigError) return fail(`its config is invalid: ${e.message}`);
    throw e;
  }
  const groups: Record<Role, Map<string, Float32Array>> = {
    param: new Map(),
    'adam.m': new Map(),
    'adam.v': new Map(),
  };
  if (!Array.isArray(h.tensors)) fail('the header has no tensor list');
  for (const t of h.tensors as Entry[]) {
    if (typeof t !== 'object' || t === null || typeof t.name !== 'string' || !Object.hasOwn(groups, t.role)) {
      fail(`tensor ${JSON.stringify(t?.name)}: malformed entry`);
    }
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor ${JSON.stringify(t.name)}: malformed shape`);
    }
    const size = t.shape.reduce((n, d) => n * d, 1);
    if (
      !Number.isSafeInteger(t.offset) ||
      t.offset < 0 ||
      t.offset % 4 !== 0 ||
      t.offset + 4 * size > data.length
    ) {
      fail(`tensor ${JSON.stringify(t.name)}: its bytes lie outside the data`);
    }
    const values = new Float32Array(size);
    new Uint8Array(values.buffer).set(data.subarray(t.offset, t.offset + 4 * size));
    groups[t.role].set(t.name, values);
  }
  const specs = createModel(config).specs;
  const params = Object.fromEntries(groups.param);
  for (const s of specs) {
    const size = s.shape.reduce((n, d) => n * d, 1);
    if (params[s.name]?.length !== size) {
      throw new CheckpointMismatchError(
        `${source ?? 'checkpoint'}: parameter '${s.name}' [${s.shape.join(', ')}] is missing or mis-sized`,
      );
    }
  }
  let optimizer: AdamState | undefined;
  if (h.optimizer !== undefined) {
    const o = h.optimizer;
    if (o.kind !== 'adam' || typeof o.step !== 'number' || !Number.isSafeInteger(o.step) || o.step < 0) {
      fail('malformed optimizer state');
    }
    optimizer = {
      kind: 'adam',
      step: o.step as number,
      m: Object.fromEntries(groups['adam.m']),
      v: Object.fromEntries(groups['adam.v']),
      ...(o.hyper && { hyper: o.hyper }),
    };
  }
  return {
    config,
    params,
    ...(optimizer && { optimizer }),
    ...(h.metadata !== undefined && { metadata: h.metadata }),
  };
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, the zlib/PNG one). */
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
