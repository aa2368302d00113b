import { DataFormatError } from '@lfm/core';
import * as v from 'valibot';
import { type LifterConfig, resolveLifterConfig } from './config.js';
import { JOINT_CODE_SCHEME, usesAdjacency } from './constants.js';
import { ConfigError } from './errors.js';
import { anyObject } from './schema.js';

/**
 * The contract between an exported LFM lifter (`exportLifter`) and every runtime that runs it, kept
 * in the model's ONNX `metadata_props` so a `.onnx` file is self-describing. One source of truth:
 * the exporter writes these keys, `@lfm/runtime` reads them with `parseLifterMetadata`.
 *
 * | key              | value                                                                      |
 * |------------------|----------------------------------------------------------------------------|
 * | `lfm.format`     | `lfm-lifter/1` — the kind of model and the version of this contract        |
 * | `lfm.config`     | JSON: the full `LifterConfig` (architecture, init seed, σ, maxPoints)      |
 * | `lfm.io`         | JSON: graph inputs and outputs with symbolic dims (`B`, `N`)               |
 * | `lfm.preprocess` | JSON `LifterPreprocessContract`: normalisation, adjacency, padding/masks   |
 * | `lfm.max_points` | the most points N the model accepts (decimal), only when the config has it |
 * | `lfm.producer`   | who exported it (`@lfm/onnx exportLifter`, or what the caller names)       |
 * | `lfm.training`   | JSON: the checkpoint's training metadata (step, metrics, …), when present  |
 */
export const LIFTER_METADATA_KEYS = Object.freeze({
  format: 'lfm.format',
  config: 'lfm.config',
  io: 'lfm.io',
  preprocess: 'lfm.preprocess',
  maxPoints: 'lfm.max_points',
  producer: 'lfm.producer',
  training: 'lfm.training',
} as const);

/** The `lfm.format` kind of a lifter model. */
export const LIFTER_FORMAT = 'lfm-lifter';
/** The contract version this build writes and the newest it reads. */
export const LIFTER_FORMAT_VERSION = 1;

/** One graph input or output: name and dims (numbers fixed, `'B'` / `'N'` symbolic). */
export interface LifterTensorSpec {
  readonly name: string;
  readonly dims: readonly (number | string)[];
}

/** `lfm.io`: what a caller feeds and reads. */
export interface LifterIo {
  readonly inputs: readonly LifterTensorSpec[];
  readonly outputs: readonly LifterTensorSpec[];
}

/**
 * `lfm.preprocess`: how a runtime must prepare the model's inputs — the same steps as training, named
 * by the function that implements them, with the parameters a runtime needs.
 */
export interface LifterPreprocessContract {
  /**
   * `points` [B, N, 2]: per sample, subtract the mean of the visible points (`center: 'visible-mean'`),
   * divide both axes by ONE scalar, the largest |coordinate| of the centred visible points
   * (`scale: 'max-abs'`), so they lie in [−1, 1] with the aspect ratio kept.
   */
  readonly normalize: {
    readonly center: 'visible-mean';
    readonly scale: 'max-abs';
    readonly range: readonly [-1, 1];
    readonly keepAspect: true;
    readonly implementation: string;
  };
  /**
   * `adj` [B, N, N] 0/1 (null when the model has no local attention): the rig's bones between two
   * present points, symmetric; without bones, each present point's k nearest present 2D neighbours
   * (`knnK`), symmetrised; plus 1 on the WHOLE diagonal (padding and masked slots included).
   */
  readonly adjacency: {
    readonly bones: 'rig-bones-between-present-points';
    readonly noBones: 'knn';
    readonly knnK: number;
    readonly symmetric: true;
    readonly selfLoops: 'all-slots';
    readonly implementation: string;
  } | null;
  /**
   * `codes` [B, N, k] (absent — undefined/null — when the model has none): per point, the joint code
   * of (rig id, joint name) by `scheme` (`@lfm/datasets/preprocess` `jointCode`) when the sample's
   * rig is one of `rigs`, else zeros; zeros at masked and padding slots. `tables` (optional; models
   * adapted by `lfm adapt`): rigs whose codes are stored as data — rig id → its joint names and the
   * [J, k] table row-major — used instead of `scheme` for those rigs (a reader that predates `tables`
   * gives them zeros, the identity-unknown input). A model with `config.anatomicalCodes` draws a
   * joint's code by its anatomical key instead (see that field; `@lfm/datasets` `anatomicalCodeTable`).
   */
  readonly jointCodes?: {
    readonly scheme: string;
    readonly k: number;
    readonly rigs: readonly string[];
    readonly unknown: 'zeros';
    readonly implementation: string;
    readonly tables?: Readonly<
      Record<string, { readonly joints: readonly string[]; readonly codes: readonly number[] }>
    >;
  } | null;
  /**
   * `pairs` [B, N, N] (absent — undefined/null — when the model has none, `config.mirrorPairs`
   * false): P[b,i,j] = 1 iff point j is point i's left/right mirror partner in the sample's rig
   * (`@lfm/rig` `Rig.mirrorIndex`; j ≠ i), else 0; all zeros for a sample without a rig or with a rig
   * that declares no pairs (`unknown: 'zeros'`). The model masks it by presence itself.
   */
  readonly mirrorPairs?: {
    readonly source: 'rig-mirror-pairs';
    readonly unknown: 'zeros';
    readonly implementation: string;
  } | null;
  /**
   * Padding: samples are padded to the batch's N; `mask` [B, N] is 1 for a present point, 0 for an
   * absent or padding slot; `points` holds 0 there; `points3d` comes out 0 there.
   */
  readonly padding: {
    readonly mask: '1 = present, 0 = absent or padding';
    readonly maskedPointValue: 0;
    readonly outputAtMasked: 0;
  };
}

/** What a runtime needs to know about an exported lifter, read from its metadata. */
export interface LifterModelInfo {
  /** `lfm.format` version. */
  readonly formatVersion: number;
  readonly config: LifterConfig;
  /** The most points N per sample, or undefined for no limit. */
  readonly maxPoints: number | undefined;
  readonly io: LifterIo;
  readonly preprocess: LifterPreprocessContract;
  /** True when the model takes `adj` (local graph attention). */
  readonly usesAdjacency: boolean;
  /** The joint-code input `codes` [B, N, k], or null when the model takes none. */
  readonly jointCodes: {
    readonly scheme: string;
    readonly k: number;
    /** Rigs whose codes are `scheme`'s (the rigs the model was trained with). */
    readonly rigs: readonly string[];
    /** Rigs whose codes are stored in the model (adapted by `lfm adapt`), by rig id; absent for other models. */
    readonly tables?: Readonly<Record<string, JointCodeTableData>>;
    /** Codes by what a joint is, not by rig (`config.anatomicalCodes`). */
    readonly anatomical: boolean;
  } | null;
  /** True when the model takes the mirror partners `pairs` [B, N, N] (`config.mirrorPairs`). */
  readonly mirrorPairs: boolean;
  /** k of the kNN graph for inputs without bones. */
  readonly knnK: number;
  readonly producer: string | undefined;
  /** The exporting checkpoint's training metadata, when it had any. */
  readonly training: unknown;
}

/** A rig's joint codes stored as data: its joint names (J) and the [J, k] table, row-major. */
export interface JointCodeTableData {
  readonly joints: readonly string[];
  readonly codes: Float32Array;
}

// The parts of the contract this build checks, as schemas (extra keys, e.g. `implementation`, are
// informative and pass). Each names the values this build implements; the messages are the
// decoder's ("the model expects … this build does not implement"), since a mismatch means "update".
const TensorSpecSchema = v.object({
  name: v.string(),
  dims: v.array(v.union([v.string(), v.pipe(v.number(), v.integer())])),
});
const IoSchema = v.object({ inputs: v.array(TensorSpecSchema), outputs: v.array(TensorSpecSchema) });
const NormalizeSchema = v.object({
  center: v.literal('visible-mean'),
  scale: v.literal('max-abs'),
  keepAspect: v.literal(true),
});
const AdjacencySchema = v.object({
  bones: v.literal('rig-bones-between-present-points'),
  noBones: v.literal('knn'),
  selfLoops: v.literal('all-slots'),
  knnK: v.pipe(v.number(), v.integer(), v.minValue(1)),
});
const JointCodesSchema = v.object({
  scheme: v.literal(JOINT_CODE_SCHEME),
  k: v.number(),
  unknown: v.literal('zeros'),
  rigs: v.array(v.string()),
  tables: v.nullish(v.unknown()),
});
const MirrorPairsSchema = v.object({ source: v.literal('rig-mirror-pairs'), unknown: v.literal('zeros') });
const JointNamesSchema = v.pipe(v.array(v.string()), v.minLength(1));
const codesSchema = (size: number) => v.pipe(v.array(v.pipe(v.number(), v.finite())), v.length(size));
const MaxPointsSchema = v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number), v.minValue(1));

// The schemas check what the documented contract types say (a compile-time check of both).
type Contract = LifterPreprocessContract;
type Extends<A, B> = [A] extends [B] ? true : false;
const _checked: [
  Extends<v.InferOutput<typeof IoSchema>, LifterIo>,
  Extends<
    v.InferOutput<typeof NormalizeSchema>,
    Pick<Contract['normalize'], 'center' | 'scale' | 'keepAspect'>
  >,
  Extends<
    v.InferOutput<typeof AdjacencySchema>,
    Pick<NonNullable<Contract['adjacency']>, 'bones' | 'noBones' | 'selfLoops' | 'knnK'>
  >,
  Extends<
    v.InferOutput<typeof JointCodesSchema>,
    Pick<NonNullable<Contract['jointCodes']>, 'scheme' | 'k' | 'unknown' | 'rigs'>
  >,
  Extends<
    v.InferOutput<typeof MirrorPairsSchema>,
    Pick<NonNullable<Contract['mirrorPairs']>, 'source' | 'unknown'>
  >,
] = [true, true, true, true, true];

/**
 * An ONNX model that is not an LFM lifter this build can run: no or foreign `lfm.format` metadata,
 * a newer contract version, malformed metadata, or graph inputs/outputs that disagree with it.
 */
export class LifterFormatError extends DataFormatError {}

/**
 * Reads and validates the lifter contract from an ONNX model's metadata_props (see
 * `readModelMetadata`). Throws LifterFormatError naming the first problem (and `source`, a file name).
 */
export function parseLifterMetadata(
  metadata: Readonly<Record<string, string>>,
  source?: string,
): LifterModelInfo {
  const K = LIFTER_METADATA_KEYS;
  const fail = (message: string): never => {
    throw new LifterFormatError(message, source);
  };
  const get = (key: string) => (Object.hasOwn(metadata, key) ? metadata[key] : undefined);
  const format = get(K.format);
  if (format === undefined) {
    const keys = Object.keys(metadata);
    return fail(
      `not an LFM lifter: the ONNX model has no '${K.format}' metadata (export one with \`lfm export\` / exportLifter)` +
        (keys.length ? `; its metadata keys are ${keys.slice(0, 5).join(', ')}` : ''),
    );
  }
  const m = /^([a-z-]+)\/(\d+)$/.exec(format);
  if (!m || m[1] !== LIFTER_FORMAT) {
    return fail(
      `not an LFM lifter: '${K.format}' is ${JSON.stringify(format)}, expected '${LIFTER_FORMAT}/N'`,
    );
  }
  const version = Number(m[2]);
  if (version > LIFTER_FORMAT_VERSION) {
    fail(
      `the model uses lifter format version ${version}, newer than this build reads (${LIFTER_FORMAT_VERSION}); update @lfm/runtime`,
    );
  }
  if (version < 1) fail(`unknown lifter format version ${version}`);

  const json = (key: string): unknown => {
    const text = get(key);
    if (text === undefined) return fail(`the lifter metadata lacks '${key}'`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return fail(`the lifter metadata '${key}' is not valid JSON`);
    }
  };
  let config: LifterConfig;
  try {
    config = resolveLifterConfig(json(K.config));
  } catch (e) {
    if (e instanceof ConfigError) return fail(`the lifter metadata '${K.config}' is invalid: ${e.message}`);
    throw e;
  }

  // The JSON as written is what `info.io` returns (a reader may look at keys this build ignores).
  const io = json(K.io);
  if (!v.is(IoSchema, io)) {
    return fail(
      `the lifter metadata '${K.io}' must be { inputs: [{ name, dims }], outputs: [{ name, dims }] }`,
    );
  }
  const names = io.inputs.map((s) => s.name);
  const adjacency = usesAdjacency(config.attention);
  const want = [
    'points',
    'mask',
    ...(adjacency ? ['adj'] : []),
    ...(config.jointCodes > 0 ? ['codes'] : []),
    ...(config.mirrorPairs ? ['pairs'] : []),
  ];
  if (names.join() !== want.join()) {
    fail(
      `the lifter's inputs are [${names.join(', ')}], expected [${want.join(', ')}] for attention '${config.attention}'` +
        (config.mirrorPairs ? ' with mirror pairs' : ''),
    );
  }
  if (io.outputs.length !== 1 || io.outputs[0]!.name !== 'points3d') {
    fail(`the lifter's outputs are [${io.outputs.map((s) => s.name).join(', ')}], expected [points3d]`);
  }

  const pre = json(K.preprocess) as LifterPreprocessContract;
  if (typeof pre !== 'object' || pre === null)
    return fail(`the lifter metadata '${K.preprocess}' must be an object`);
  if (!v.is(NormalizeSchema, pre.normalize)) {
    fail(
      `the model expects a normalisation this build does not implement (${JSON.stringify(pre.normalize)}); ` +
        `supported: center 'visible-mean', scale 'max-abs', keepAspect true`,
    );
  }
  let knnK = 0;
  if (adjacency) {
    const a = v.safeParse(AdjacencySchema, pre.adjacency);
    if (!a.success) {
      return fail(
        `the model expects an adjacency this build does not implement (${JSON.stringify(pre.adjacency)})`,
      );
    }
    knnK = a.output.knnK;
  }

  let jointCodes: LifterModelInfo['jointCodes'] = null;
  if (config.jointCodes > 0) {
    const parsed = v.safeParse(JointCodesSchema, pre.jointCodes);
    if (!parsed.success || parsed.output.k !== config.jointCodes) {
      return fail(
        `the model expects joint codes this build does not implement (${JSON.stringify(pre.jointCodes)})`,
      );
    }
    const c = parsed.output;
    const tables = parseCodeTables(c.tables, c.k, fail);
    jointCodes = {
      scheme: c.scheme,
      k: c.k,
      rigs: Object.freeze([...c.rigs]),
      ...(tables && { tables }),
      anatomical: config.anatomicalCodes === true,
    };
  }

  if (config.mirrorPairs) {
    if (!v.is(MirrorPairsSchema, pre.mirrorPairs)) {
      fail(
        `the model expects mirror pairs this build does not implement (${JSON.stringify(pre.mirrorPairs)})`,
      );
    }
  }

  let maxPoints: number | undefined;
  const mp = get(K.maxPoints);
  if (mp !== undefined) {
    const parsed = v.safeParse(MaxPointsSchema, mp);
    if (!parsed.success)
      return fail(`'${K.maxPoints}' must be a positive integer, got ${JSON.stringify(mp)}`);
    maxPoints = parsed.output;
    if (config.maxPoints !== undefined && config.maxPoints !== maxPoints) {
      fail(`'${K.maxPoints}' (${mp}) disagrees with the config's maxPoints (${config.maxPoints})`);
    }
  } else maxPoints = config.maxPoints;

  const trainingText = get(K.training);
  return {
    formatVersion: version,
    config,
    maxPoints,
    io,
    preprocess: pre,
    usesAdjacency: adjacency,
    jointCodes,
    mirrorPairs: config.mirrorPairs,
    knnK,
    producer: get(K.producer),
    training: trainingText === undefined ? undefined : json(K.training),
  };
}

/** `jointCodes.tables` of the metadata, checked (each table J·k finite numbers, J joint names). */
function parseCodeTables(
  raw: unknown,
  k: number,
  fail: (message: string) => never,
): Readonly<Record<string, JointCodeTableData>> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!v.is(anyObject(), raw)) fail('the joint-code tables must be an object: rig id → table');
  const out: Record<string, JointCodeTableData> = {};
  for (const [rig, table] of Object.entries(raw as Record<string, unknown>)) {
    const t = table as { joints?: unknown; codes?: unknown } | null;
    const joints = v.safeParse(JointNamesSchema, t?.joints);
    if (!joints.success)
      return fail(`the joint-code table of rig '${rig}' needs joints: a list of joint names`);
    const J = joints.output.length;
    const codes = v.safeParse(codesSchema(J * k), t?.codes);
    if (!codes.success) {
      return fail(`the joint-code table of rig '${rig}' needs codes: ${J}·${k} = ${J * k} finite numbers`);
    }
    out[rig] = Object.freeze({
      joints: Object.freeze([...joints.output]),
      codes: Float32Array.from(codes.output),
    });
  }
  return Object.freeze(out);
}
