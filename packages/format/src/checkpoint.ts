import { DataFormatError, LfmError } from '@lfm/core';
import { crc32 } from './crc32.js';

/**
 * The LFM checkpoint container: a versioned, self-describing binary format, browser-safe (bytes in,
 * bytes out). This module knows the layout and checks its integrity; which tensors a model must
 * have is `@lfm/model`'s business (`encodeCheckpoint` / `decodeCheckpoint`).
 *
 * Layout, little-endian:
 *
 *   offset 0   8 B   magic "LFMCKPT1"
 *          8   u32   header length H (bytes)
 *         12   u32   CRC-32 of the header bytes
 *         16   H B   header: UTF-8 JSON, space-padded so the data starts 8-byte aligned
 *     16 + H         data: float32 tensors back to back, at the byte offsets the header lists
 *
 * Header JSON: `{ format: "lfm-checkpoint", version: 1, dtype: "float32", config, tensors: [{ role,
 * name, shape, offset }], optimizer?: { kind: "adam", step, hyper? }, metadata?, dataBytes, dataCrc32 }`
 * with `role` one of `param`, `adam.m`, `adam.v`. The file must be exactly 16 + H + dataBytes long;
 * both CRCs must match.
 *
 * `config` says which model the tensors belong to: a lifter config (no `kind` key, or `kind:
 * "lifter"`; written without it, so every version-1 reader takes it), or any other model's config
 * with its `kind` (the trainer's MLP baseline: `kind: "mlp"`).
 */

/** The format version this build writes and the newest it reads. */
export const CHECKPOINT_VERSION = 1;
/** The magic bytes of the format (ASCII). */
export const CHECKPOINT_MAGIC = 'LFMCKPT1';
/** The header's `format` value. */
export const CHECKPOINT_FORMAT = 'lfm-checkpoint';
/** Bytes before the header: magic, header length, header CRC-32. */
export const CHECKPOINT_PRELUDE_BYTES = 16;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What a stored tensor is: a parameter, or the Adam first / second moment of one. */
export type CheckpointTensorRole = 'param' | 'adam.m' | 'adam.v';
const ROLES: readonly CheckpointTensorRole[] = ['param', 'adam.m', 'adam.v'];

/** One tensor of a checkpoint: float32, row-major, `shape` its dims. */
export interface CheckpointTensor {
  readonly role: CheckpointTensorRole;
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The optimizer state a header stores besides its moment tensors. */
export interface CheckpointOptimizerHeader {
  readonly kind: 'adam';
  readonly step: number;
  readonly hyper?: Readonly<Record<string, number>>;
}

/** A checkpoint's contents as the container holds them, before any model reads them. */
export interface CheckpointContents {
  /** The model's config as stored (a lifter's without `kind`). */
  readonly config: Readonly<Record<string, unknown>>;
  /** In storage order. */
  readonly tensors: readonly CheckpointTensor[];
  readonly optimizer?: CheckpointOptimizerHeader;
  readonly metadata?: Readonly<Record<string, JsonValue>>;
}

interface TensorEntry {
  role: CheckpointTensorRole;
  name: string;
  shape: number[];
  offset: number;
}
interface Header {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  dtype: 'float32';
  config: Record<string, unknown>;
  tensors: TensorEntry[];
  optimizer?: { kind: 'adam'; step: number; hyper?: Record<string, number> };
  metadata?: Record<string, JsonValue>;
  dataBytes: number;
  dataCrc32: number;
}

const PRELUDE = CHECKPOINT_PRELUDE_BYTES;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The container's bytes for `contents`, tensors at consecutive offsets in the order given. Throws
 * LfmError E_CHECKPOINT for optimizer hyper-parameters that are not finite numbers, or metadata that
 * is not a JSON-serialisable object. Does not check tensors against any model (`@lfm/model` does).
 */
export function encodeCheckpointContainer(contents: CheckpointContents): Uint8Array {
  let offset = 0;
  const entries: TensorEntry[] = contents.tensors.map((t) => {
    const entry = { role: t.role, name: t.name, shape: [...t.shape], offset };
    offset += t.data.byteLength;
    return entry;
  });
  let optimizer: Header['optimizer'];
  if (contents.optimizer) {
    const o = contents.optimizer;
    if (o.hyper !== undefined && !isNumberRecord(o.hyper)) {
      throw new LfmError('E_CHECKPOINT', 'optimizer hyper-parameters must be finite numbers');
    }
    optimizer = { kind: 'adam', step: o.step, ...(o.hyper && { hyper: { ...o.hyper } }) };
  }
  const { metadata } = contents;
  if (metadata !== undefined && (typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw new LfmError('E_CHECKPOINT', 'checkpoint metadata must be a JSON object');
  }
  const data = new Uint8Array(offset);
  const view = new DataView(data.buffer);
  contents.tensors.forEach(({ data: values }, i) => {
    const at = entries[i]!.offset;
    if (LITTLE_ENDIAN) data.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
    else for (let j = 0; j < values.length; j++) view.setFloat32(at + 4 * j, values[j]!, true);
  });
  const header: Header = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    dtype: 'float32',
    config: contents.config as Record<string, unknown>,
    tensors: entries,
    ...(optimizer && { optimizer }),
    ...(metadata !== undefined && { metadata: metadata as Record<string, JsonValue> }),
    dataBytes: data.length,
    dataCrc32: crc32(data),
  };
  let json: string;
  try {
    json = JSON.stringify(header);
  } catch (e) {
    throw new LfmError(
      'E_CHECKPOINT',
      `checkpoint metadata is not JSON-serialisable: ${(e as Error).message}`,
    );
  }
  let headerBytes = new TextEncoder().encode(json);
  const pad = (8 - ((PRELUDE + headerBytes.length) % 8)) % 8;
  if (pad > 0) {
    json += ' '.repeat(pad);
    headerBytes = new TextEncoder().encode(json);
  }
  const out = new Uint8Array(PRELUDE + headerBytes.length + data.length);
  out.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, headerBytes.length, true);
  dv.setUint32(12, crc32(headerBytes), true);
  out.set(headerBytes, PRELUDE);
  out.set(data, PRELUDE + headerBytes.length);
  return out;
}

/**
 * Reads and checks the container: throws DataFormatError ("not a valid LFM checkpoint: …", naming
 * `source`) for anything that is not an intact checkpoint of a version this build reads — bad magic,
 * truncated, trailing bytes, a CRC mismatch, a malformed header, tensor table or optimizer state.
 */
export function decodeCheckpointContainer(bytes: Uint8Array, source?: string): CheckpointContents {
  function fail(message: string): never {
    throw new DataFormatError(`not a valid LFM checkpoint: ${message}`, source);
  }
  if (bytes.length < PRELUDE) fail(`truncated: ${bytes.length} bytes, shorter than the 16-byte prelude`);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== CHECKPOINT_MAGIC) {
    if (magic.startsWith('LFMCKPT')) {
      fail(`format '${magic}' is not supported by this build, which reads '${CHECKPOINT_MAGIC}'`);
    }
    fail(`bad magic (expected "${CHECKPOINT_MAGIC}" at the start of the file)`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = dv.getUint32(8, true);
  if (PRELUDE + headerLength > bytes.length) {
    fail(`truncated: the header needs ${PRELUDE + headerLength} bytes, the file has ${bytes.length}`);
  }
  const headerBytes = bytes.subarray(PRELUDE, PRELUDE + headerLength);
  if (crc32(headerBytes) !== dv.getUint32(12, true)) fail('the header is corrupt (CRC-32 mismatch)');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes)) as Header;
  } catch {
    return fail('the header is not valid UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || header.format !== CHECKPOINT_FORMAT) {
    fail(`the header does not declare format "${CHECKPOINT_FORMAT}"`);
  }
  if (header.version !== CHECKPOINT_VERSION) {
    fail(
      typeof header.version === 'number' && header.version > CHECKPOINT_VERSION
        ? `format version ${header.version} was written by a newer LFM; this build reads version ${CHECKPOINT_VERSION}`
        : `unknown format version ${JSON.stringify(header.version)}`,
    );
  }
  if (header.dtype !== 'float32') fail(`unsupported dtype ${JSON.stringify(header.dtype)}`);
  const start = PRELUDE + headerLength;
  if (!Number.isSafeInteger(header.dataBytes) || header.dataBytes < 0)
    fail('the header has no valid dataBytes');
  if (start + header.dataBytes > bytes.length) {
    fail(`truncated: expected ${start + header.dataBytes} bytes, the file has ${bytes.length}`);
  }
  if (start + header.dataBytes < bytes.length) {
    fail(`${bytes.length - start - header.dataBytes} unexpected bytes after the data`);
  }
  const data = bytes.subarray(start, start + header.dataBytes);
  if (crc32(data) !== header.dataCrc32) fail('the tensor data is corrupt (CRC-32 mismatch)');
  if (typeof header.config !== 'object' || header.config === null || Array.isArray(header.config)) {
    fail('the header has no config object');
  }

  if (!Array.isArray(header.tensors)) fail('the header has no tensor list');
  // A Set of `role name` keys, not a record, while reading untrusted names ('__proto__' stays a name).
  const seen = new Set<string>();
  const tensors = header.tensors.map((t): CheckpointTensor => {
    const where = `tensor ${JSON.stringify(t?.name)}`;
    if (typeof t !== 'object' || t === null || typeof t.name !== 'string' || !ROLES.includes(t.role)) {
      fail(`${where}: malformed entry`);
    }
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${where}: malformed shape`);
    }
    const size = t.shape.reduce((n, d) => n * d, 1);
    if (
      !Number.isSafeInteger(t.offset) ||
      t.offset < 0 ||
      t.offset % 4 !== 0 ||
      t.offset + 4 * size > data.length
    ) {
      fail(`${where}: its ${4 * size} bytes at offset ${t.offset} lie outside the ${data.length}-byte data`);
    }
    const key = `${t.role} ${t.name}`;
    if (seen.has(key)) fail(`${where} (${t.role}) appears twice`);
    seen.add(key);
    return { role: t.role, name: t.name, shape: t.shape, data: readFloat32(data, t.offset, size) };
  });

  let optimizer: CheckpointOptimizerHeader | undefined;
  if (header.optimizer !== undefined) {
    const o = header.optimizer;
    if (o?.kind !== 'adam' || !Number.isSafeInteger(o.step) || o.step < 0) fail('malformed optimizer state');
    if (o.hyper !== undefined && !isNumberRecord(o.hyper)) fail('malformed optimizer hyper-parameters');
    optimizer = { kind: 'adam', step: o.step, ...(o.hyper && { hyper: o.hyper }) };
  } else if (tensors.some((t) => t.role !== 'param')) {
    fail('optimizer moments without optimizer state');
  }
  if (
    header.metadata !== undefined &&
    (typeof header.metadata !== 'object' || Array.isArray(header.metadata))
  ) {
    fail('metadata must be a JSON object');
  }
  return {
    config: header.config,
    tensors,
    ...(optimizer && { optimizer }),
    ...(header.metadata !== undefined && { metadata: header.metadata }),
  };
}

function readFloat32(data: Uint8Array, offset: number, size: number): Float32Array {
  const out = new Float32Array(size);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(data.subarray(offset, offset + 4 * size));
  } else {
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < size; i++) out[i] = dv.getFloat32(offset + 4 * i, true);
  }
  return out;
}

function isNumberRecord(x: unknown): x is Record<string, number> {
  return (
    typeof x === 'object' &&
    x !== null &&
    !Array.isArray(x) &&
    Object.values(x).every((v) => typeof v === 'number' && Number.isFinite(v))
  );
}
