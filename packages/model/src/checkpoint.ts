import { DataFormatError, LfmError } from '@lfm/core';
import type { ParameterSpec } from '@lfm/encoding';
import {
  type CheckpointTensor,
  type CheckpointTensorRole,
  decodeCheckpointContainer,
  encodeCheckpointContainer,
  type JsonValue,
} from '@lfm/format';
import { ARCHITECTURE_KEYS, type LifterConfig, resolveLifterConfig } from './config.js';
import { CheckpointMismatchError, ConfigError } from './errors.js';
import { parameterShapes } from './lifter.js';

// The container (magic, version, header layout) is the spec package's; old import paths keep working.
export {
  CHECKPOINT_MAGIC,
  CHECKPOINT_VERSION,
  type JsonValue,
} from '@lfm/format';

/**
 * Checkpoints of a model: the parameters (and Adam moments) a config's specs call for, in the
 * `@lfm/format` checkpoint container (`LFMCKPT1`: magic, CRC-checked JSON header, float32 tensors —
 * see `encodeCheckpointContainer`). Browser-safe (bytes in, bytes out; the file I/O is in
 * `@lfm/model/node`).
 *
 * Parameters are stored in the model's spec order (`parameterShapes(config)` for a lifter), then the
 * first and second moments of the trainable ones. `encodeCheckpoint`/`decodeCheckpoint` are the
 * lifter's API; `encodeAnyCheckpoint`/`decodeAnyCheckpoint` take any kind, the caller giving the
 * specs of kinds this package does not know.
 */

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
  const tensors: CheckpointTensor[] = specs.map((s) => tensor('param', s, ckpt.params));
  if (ckpt.optimizer) {
    const o = ckpt.optimizer;
    checkOptimizer(specs, o);
    const trainable = specs.filter((s) => s.trainable);
    for (const s of trainable) tensors.push(tensor('adam.m', s, o.m));
    for (const s of trainable) tensors.push(tensor('adam.v', s, o.v));
  }
  return encodeCheckpointContainer({
    config: stored,
    tensors,
    ...(ckpt.optimizer && { optimizer: ckpt.optimizer }),
    ...(ckpt.metadata !== undefined && { metadata: ckpt.metadata }),
  });
}

function tensor(
  role: CheckpointTensorRole,
  spec: ParameterSpec,
  values: Readonly<Record<string, Float32Array>>,
): CheckpointTensor {
  return { role, name: spec.name, shape: spec.shape, data: values[spec.name]! };
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
  const contents = decodeCheckpointContainer(bytes, options.source);
  const fail = (message: string): never => {
    throw new DataFormatError(`not a valid LFM checkpoint: ${message}`, options.source);
  };
  const kind = contents.config.kind ?? LIFTER_KIND;
  if (typeof kind !== 'string' || kind.length === 0)
    fail(`the config's kind ${JSON.stringify(kind)} is not a name`);
  if (lifterOnly && kind !== LIFTER_KIND) {
    throw new CheckpointMismatchError(
      `${options.source === undefined ? '' : `${options.source}: `}the checkpoint holds a '${kind}' model, not a lifter (read it with its kind's decoder, e.g. @lfm/trainer decodeModelCheckpoint)`,
    );
  }
  let resolved: { config: TaggedConfig; specs: readonly ParameterSpec[] } | undefined;
  try {
    if (kind === LIFTER_KIND || options.specsOf) resolved = resolveKind(contents.config, options.specsOf);
  } catch (e) {
    if (e instanceof ConfigError) return fail(`its config is invalid: ${e.message}`);
    throw e;
  }

  // Maps, not records, while reading untrusted names (a '__proto__' entry must stay a plain name).
  const groups: Record<CheckpointTensorRole, Map<string, Float32Array>> = {
    param: new Map(),
    'adam.m': new Map(),
    'adam.v': new Map(),
  };
  const shapeMap = new Map<string, readonly number[]>();
  for (const t of contents.tensors) {
    groups[t.role].set(t.name, t.data);
    if (t.role === 'param') shapeMap.set(t.name, t.shape);
  }
  const shapes = Object.fromEntries(shapeMap);
  const record = (role: CheckpointTensorRole) =>
    Object.fromEntries(groups[role]) as Record<string, Float32Array>;

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
  if (contents.optimizer) {
    const o = contents.optimizer;
    optimizer = {
      kind: 'adam',
      step: o.step,
      m: record('adam.m'),
      v: record('adam.v'),
      ...(o.hyper && { hyper: o.hyper }),
    };
    checkOptimizer(specs, optimizer);
  }
  return {
    config: resolved?.config ?? (contents.config as unknown as TaggedConfig),
    params: record('param'),
    ...(optimizer && { optimizer }),
    ...(contents.metadata !== undefined && { metadata: contents.metadata }),
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
