import { DataFormatError, LfmError } from '@lfm/core';
import type { ParameterSpec } from '@lfm/encoding';
import { ARCHITECTURE_KEYS, type LifterConfig, resolveLifterConfig } from './config.js';
import { crc32 } from './crc32.js';
import { CheckpointMismatchError, ConfigError } from './errors.js';
import { parameterShapes } from './lifter.js';

/**
 * Checkpoints: a versioned, self-describing binary format, browser-safe (bytes in, bytes out; the
 * file I/O is in `@lfm/model/node`).
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
 * "lifter"`; written without it, so every version-1 reader takes it), or any other model's config with
 * its `kind` (the trainer's MLP baseline: `kind: "mlp"`). Parameters are stored in the model's spec
 * order (`parameterShapes(config)` for a lifter). `encodeCheckpoint`/`decodeCheckpoint` are the
 * lifter's API; `encodeAnyCheckpoint`/`decodeAnyCheckpoint` take any kind, the caller giving the specs
 * of kinds this package does not know.
 */

/** The format version this build writes and the newest it reads. */
export const CHECKPOINT_VERSION = 1;
/** The magic bytes of the format (ASCII). */
export const CHECKPOINT_MAGIC = 'LFMCKPT1';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Adam optimizer state, so training resumes exactly. */
export interface AdamState {
  readonly kind: 'adam';
  /** Completed update steps (drives the bias correction). */
  readonly step: number;
  /** First moments, one per trainable parameter, same sizes. */
  readonly m: Readonly<Record<string, Float32Array>>;
  /** Second moments, one per trainable parameter, same sizes. */
  readonly v: Readonly<Record<string, Float32Array>>;
  /** Hyper-parameters to resume with (`lr`, `beta1`, `beta2`, `epsilon`, …). */
  readonly hyper?: Readonly<Record<string, number>>;
}

export interface Checkpoint {
  readonly config: LifterConfig;
  /** Every parameter of `parameterShapes(config)`, row-major float32. */
  readonly params: Readonly<Record<string, Float32Array>>;
  readonly optimizer?: AdamState;
  /** Training metadata (step, epoch, samples seen, metrics, data, time, …): any JSON object. */
  readonly metadata?: Readonly<Record<string, JsonValue>>;
}

/** The model kind of a lifter config (the default when a stored config has no `kind`). */
export const LIFTER_KIND = 'lifter';

/** Any model's config, as a checkpoint stores it: a JSON object whose `kind` names the model. */
export interface TaggedConfig {
  readonly kind: string;
}

/** A checkpoint of any model kind (`Checkpoint` is the lifter's, whose config has no `kind`). */
export interface AnyCheckpoint {
  /** `{ kind: 'lifter', …LifterConfig }` for a lifter. */
  readonly config: TaggedConfig;
  /** Every parameter of the model's specs, row-major float32. */
  readonly params: Readonly<Record<string, Float32Array>>;
  readonly optimizer?: AdamState;
  readonly metadata?: Readonly<Record<string, JsonValue>>;
}

export interface AnyCheckpointOptions {
  /**
   * The parameter specs (names, shapes, trainability, in storage order) of a config whose kind is not
   * 'lifter'; throws ConfigError for an invalid config. Required to encode such a checkpoint. When
   * decoding, its parameters and moments are checked against them; without, they are returned as the
   * file lists them (structurally checked only).
   */
  readonly specsOf?: (config: TaggedConfig) => readonly ParameterSpec[];
  /** Where the bytes came from, for messages (a file path). Decoding only. */
  readonly source?: string;
}

export interface DecodeCheckpointOptions {
  /**
   * The model the caller wants: the checkpoint must have the same architecture and parameter
   * shapes, else CheckpointMismatchError (naming the parameter and both shapes).
   */
  readonly expect?: LifterConfig;
  /** Where the bytes came from, for messages (a file path). */
  readonly source?: string;
}

type Role = 'param' | 'adam.m' | 'adam.v';
interface TensorEntry {
  role: Role;
  name: string;
  shape: number[];
  offset: number;
}
interface Header {
  format: 'lfm-checkpoint';
  version: number;
  dtype: 'float32';
  config: Record<string, unknown>;
  tensors: TensorEntry[];
  optimizer?: { kind: 'adam'; step: number; hyper?: Record<string, number> };
  metadata?: Record<string, JsonValue>;
  dataBytes: number;
  dataCrc32: number;
}

const PRELUDE = 16;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Serialises a lifter checkpoint. Throws CheckpointMismatchError when `params` (or the optimizer
 * moments) do not match `parameterShapes(config)`, ConfigError for an invalid config.
 */
export function encodeCheckpoint(ckpt: Checkpoint): Uint8Array {
  return encodeAnyCheckpoint({ ...ckpt, config: { ...ckpt.config, kind: LIFTER_KIND } });
}

/**
 * Serialises a checkpoint of any model kind: a lifter (`config.kind` 'lifter'; validated and written
 * as `encodeCheckpoint` does), or another kind whose specs `options.specsOf` gives. Throws
 * CheckpointMismatchError when the parameters or moments do not match the specs, ConfigError for an
 * invalid config (or an unknown kind without `specsOf`).
 */
export function encodeAnyCheckpoint(ckpt: AnyCheckpoint, options: AnyCheckpointOptions = {}): Uint8Array {
  const { stored, specs } = resolveKind(ckpt.config, options.specsOf);
  checkParameters(specs, ckpt.params, 'checkpoint');
  const blocks: { entry: TensorEntry; data: Float32Array }[] = [];
  let offset = 0;
  const add = (role: Role, spec: ParameterSpec, data: Float32Array) => {
    blocks.push({ entry: { role, name: spec.name, shape: [...spec.shape], offset }, data });
    offset += data.byteLength;
  };
  for (const s of specs) add('param', s, ckpt.params[s.name]!);
  let optimizer: Header['optimizer'];
  if (ckpt.optimizer) {
    const o = ckpt.optimizer;
    checkOptimizer(specs, o);
    const trainable = specs.filter((s) => s.trainable);
    for (const s of trainable) add('adam.m', s, o.m[s.name]!);
    for (const s of trainable) add('adam.v', s, o.v[s.name]!);
    if (o.hyper !== undefined && !isNumberRecord(o.hyper)) {
      throw new LfmError('E_CHECKPOINT', 'optimizer hyper-parameters must be finite numbers');
    }
    optimizer = { kind: 'adam', step: o.step, ...(o.hyper && { hyper: { ...o.hyper } }) };
  }
  if (ckpt.metadata !== undefined && (typeof ckpt.metadata !== 'object' || Array.isArray(ckpt.metadata))) {
    throw new LfmError('E_CHECKPOINT', 'checkpoint metadata must be a JSON object');
  }
  const data = new Uint8Array(offset);
  const view = new DataView(data.buffer);
  for (const { entry, data: values } of blocks) {
    if (LITTLE_ENDIAN) {
      data.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), entry.offset);
    } else {
      for (let i = 0; i < values.length; i++) view.setFloat32(entry.offset + 4 * i, values[i]!, true);
    }
  }
  const header: Header = {
    format: 'lfm-checkpoint',
    version: CHECKPOINT_VERSION,
    dtype: 'float32',
    config: stored,
    tensors: blocks.map((b) => b.entry),
    ...(optimizer && { optimizer }),
    ...(ckpt.metadata !== undefined && { metadata: ckpt.metadata as Record<string, JsonValue> }),
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
 * A config's kind, the form it is stored in, and its specs: a lifter config is resolved (defaults,
 * validation) and stored without `kind`; another kind is stored as given, its specs from `specsOf`.
 */
function resolveKind(
  config: unknown,
  specsOf: AnyCheckpointOptions['specsOf'],
): { kind: string; stored: Record<string, unknown>; config: TaggedConfig; specs: readonly ParameterSpec[] } {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ConfigError(
      `a model config must be an object, got ${config === null ? 'null' : typeof config}`,
    );
  }
  const { kind = LIFTER_KIND, ...rest } = config as Record<string, unknown>;
  if (typeof kind !== 'string' || kind.length === 0) {
    throw new ConfigError(`a model config's kind must be a non-empty string, got ${JSON.stringify(kind)}`);
  }
  if (kind === LIFTER_KIND) {
    const lifter = resolveLifterConfig(rest);
    return {
      kind,
      stored: { ...lifter },
      config: { kind, ...lifter },
      specs: parameterShapes(lifter),
    };
  }
  if (!specsOf) {
    throw new ConfigError(
      `a checkpoint of a '${kind}' model needs its parameter specs (specsOf); this package knows only '${LIFTER_KIND}'`,
    );
  }
  const tagged = config as TaggedConfig;
  return { kind, stored: { ...tagged }, config: tagged, specs: specsOf(tagged) };
}

/**
 * Parses a lifter checkpoint. Throws DataFormatError for anything that is not an intact checkpoint of
 * a version this build reads (bad magic, truncated, trailing bytes, CRC mismatch, malformed header),
 * and CheckpointMismatchError when it holds another kind of model (an MLP baseline) or its
 * parameters do not match its own config or `options.expect`.
 */
export function decodeCheckpoint(bytes: Uint8Array, options: DecodeCheckpointOptions = {}): Checkpoint {
  const ckpt = decodeTensors(
    bytes,
    { ...(options.source !== undefined && { source: options.source }) },
    true,
  );
  const { kind: _kind, ...config } = ckpt.config;
  const lifter = config as unknown as LifterConfig;
  if (options.expect) checkExpected(lifter, ckpt.shapes, options.expect);
  return {
    config: lifter,
    params: ckpt.params,
    ...(ckpt.optimizer && { optimizer: ckpt.optimizer }),
    ...(ckpt.metadata && { metadata: ckpt.metadata }),
  };
}

/**
 * Parses a checkpoint of any model kind (see `AnyCheckpointOptions.specsOf` for kinds other than
 * 'lifter'); the returned config carries its `kind` ('lifter' for a file without one). Errors as
 * `decodeCheckpoint`; an invalid config is a DataFormatError naming why.
 */
export function decodeAnyCheckpoint(bytes: Uint8Array, options: AnyCheckpointOptions = {}): AnyCheckpoint {
  const { shapes: _shapes, ...ckpt } = decodeTensors(bytes, options, false);
  return ckpt;
}

function decodeTensors(
  bytes: Uint8Array,
  options: AnyCheckpointOptions,
  lifterOnly: boolean,
): AnyCheckpoint & { shapes: Readonly<Record<string, readonly number[]>> } {
  function fail(message: string): never {
    throw new DataFormatError(`not a valid LFM checkpoint: ${message}`, options.source);
  }
  if (bytes.length < PRELUDE) fail(`truncated: ${bytes.length} bytes, shorter than the 16-byte prelude`);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== CHECKPOINT_MAGIC) {
    if (magic.startsWith('LFMCKPT')) {
      fail(`format '${magic}' is not supported by this build, which reads '${CHECKPOINT_MAGIC}'`);
    }
    fail('bad magic (expected "LFMCKPT1" at the start of the file)');
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
  if (typeof header !== 'object' || header === null || header.format !== 'lfm-checkpoint') {
    fail('the header does not declare format "lfm-checkpoint"');
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
  const kind = header.config.kind ?? LIFTER_KIND;
  if (typeof kind !== 'string' || kind.length === 0)
    fail(`the config's kind ${JSON.stringify(kind)} is not a name`);
  if (lifterOnly && kind !== LIFTER_KIND) {
    throw new CheckpointMismatchError(
      `${options.source === undefined ? '' : `${options.source}: `}the checkpoint holds a '${kind}' model, not a lifter (read it with its kind's decoder, e.g. @lfm/trainer decodeModelCheckpoint)`,
    );
  }
  let resolved: { config: TaggedConfig; specs: readonly ParameterSpec[] } | undefined;
  try {
    if (kind === LIFTER_KIND || options.specsOf) resolved = resolveKind(header.config, options.specsOf);
  } catch (e) {
    if (e instanceof ConfigError) return fail(`its config is invalid: ${e.message}`);
    throw e;
  }

  // Maps, not records, while reading untrusted names (a '__proto__' entry must stay a plain name).
  const groups: Record<Role, Map<string, Float32Array>> = {
    param: new Map(),
    'adam.m': new Map(),
    'adam.v': new Map(),
  };
  const shapeMap = new Map<string, readonly number[]>();
  if (!Array.isArray(header.tensors)) fail('the header has no tensor list');
  for (const t of header.tensors) {
    const where = `tensor ${JSON.stringify(t?.name)}`;
    if (typeof t !== 'object' || t === null || typeof t.name !== 'string' || !Object.hasOwn(groups, t.role)) {
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
    if (groups[t.role].has(t.name)) fail(`${where} (${t.role}) appears twice`);
    groups[t.role].set(t.name, readFloat32(data, t.offset, size));
    if (t.role === 'param') shapeMap.set(t.name, t.shape);
  }
  const shapes = Object.fromEntries(shapeMap);
  const record = (role: Role) => Object.fromEntries(groups[role]) as Record<string, Float32Array>;

  // Without the specs of its kind, the file's own tensor table (trainable = has moments).
  const specs =
    resolved?.specs ??
    [...shapeMap].map(
      ([name, shape]): ParameterSpec => ({
        name,
        shape,
        trainable: groups['adam.m'].has(name),
        init: { kind: 'zeros' },
      }),
    );
  checkStoredShapes(specs, shapes, 'the checkpoint', 'its own config');

  let optimizer: AdamState | undefined;
  if (header.optimizer !== undefined) {
    const o = header.optimizer;
    if (o?.kind !== 'adam' || !Number.isSafeInteger(o.step) || o.step < 0) fail('malformed optimizer state');
    if (o.hyper !== undefined && !isNumberRecord(o.hyper)) fail('malformed optimizer hyper-parameters');
    optimizer = {
      kind: 'adam',
      step: o.step,
      m: record('adam.m'),
      v: record('adam.v'),
      ...(o.hyper && { hyper: o.hyper }),
    };
    checkOptimizer(specs, optimizer);
  } else if (groups['adam.m'].size + groups['adam.v'].size > 0) {
    fail('optimizer moments without optimizer state');
  }
  if (
    header.metadata !== undefined &&
    (typeof header.metadata !== 'object' || Array.isArray(header.metadata))
  ) {
    fail('metadata must be a JSON object');
  }
  return {
    config: resolved?.config ?? (header.config as unknown as TaggedConfig),
    params: record('param'),
    ...(optimizer && { optimizer }),
    ...(header.metadata !== undefined && { metadata: header.metadata }),
    shapes,
  };
}

/**
 * Throws CheckpointMismatchError unless `params` holds exactly the parameters of `config`, each of
 * its shape's size. For a trainer resuming from a record of arrays.
 */
export function checkParameterRecord(
  config: LifterConfig,
  params: Readonly<Record<string, Float32Array>>,
): void {
  checkParameters(parameterShapes(config), params, 'parameters');
}

function checkParameters(
  specs: readonly ParameterSpec[],
  params: Readonly<Record<string, Float32Array>>,
  what: string,
): void {
  const known = new Set(specs.map((s) => s.name));
  for (const s of specs) {
    const p = Object.hasOwn(params, s.name) ? params[s.name] : undefined;
    if (p === undefined)
      throw new CheckpointMismatchError(`${what}: parameter '${s.name}' [${s.shape.join(', ')}] is missing`);
    if (!(p instanceof Float32Array))
      throw new CheckpointMismatchError(`${what}: parameter '${s.name}' is not a Float32Array`);
    const size = s.shape.reduce((n, d) => n * d, 1);
    if (p.length !== size) {
      throw new CheckpointMismatchError(
        `${what}: parameter '${s.name}' must have shape [${s.shape.join(', ')}] (${size} values), got ${p.length} values`,
      );
    }
  }
  for (const name of Object.keys(params)) {
    if (!known.has(name))
      throw new CheckpointMismatchError(`${what}: unexpected parameter '${name}' (not in the config)`);
  }
}

function checkOptimizer(specs: readonly ParameterSpec[], o: AdamState): void {
  if (o.kind !== 'adam')
    throw new LfmError('E_CHECKPOINT', `unsupported optimizer state '${String(o.kind)}'`);
  if (!Number.isSafeInteger(o.step) || o.step < 0) {
    throw new LfmError('E_CHECKPOINT', `optimizer step must be an integer ≥ 0, got ${o.step}`);
  }
  const trainable = specs.filter((s) => s.trainable);
  checkParameters(trainable, o.m, 'optimizer first moments (adam.m)');
  checkParameters(trainable, o.v, 'optimizer second moments (adam.v)');
}

function checkStoredShapes(
  specs: readonly ParameterSpec[],
  shapes: Readonly<Record<string, readonly number[]>>,
  what: string,
  against: string,
): void {
  const known = new Set(specs.map((s) => s.name));
  for (const s of specs) {
    const got = Object.hasOwn(shapes, s.name) ? shapes[s.name] : undefined;
    if (got === undefined) {
      throw new CheckpointMismatchError(
        `${what} lacks parameter '${s.name}' [${s.shape.join(', ')}] of ${against}`,
      );
    }
    if (got.length !== s.shape.length || got.some((d, i) => d !== s.shape[i])) {
      throw new CheckpointMismatchError(
        `${what} has parameter '${s.name}' of shape [${got.join(', ')}], but ${against} needs [${s.shape.join(', ')}]`,
      );
    }
  }
  for (const name of Object.keys(shapes)) {
    if (!known.has(name))
      throw new CheckpointMismatchError(`${what} has parameter '${name}', which ${against} does not have`);
  }
}

function checkExpected(
  config: LifterConfig,
  shapes: Readonly<Record<string, readonly number[]>>,
  expect: LifterConfig,
): void {
  const want = resolveLifterConfig(expect);
  checkStoredShapes(parameterShapes(want), shapes, 'the checkpoint', 'the expected config');
  for (const k of ARCHITECTURE_KEYS) {
    if (config[k] !== want[k]) {
      throw new CheckpointMismatchError(
        `the checkpoint has ${k} = ${JSON.stringify(config[k])}, but the expected config has ${k} = ${JSON.stringify(want[k])}`,
      );
    }
  }
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
