import { usesAdjacency } from '@lfm/attention';
import { InputError } from '@lfm/core';
import { DEFAULT_KNN_K, JOINT_CODE_SCHEME } from '@lfm/format';
import {
  type Checkpoint,
  checkParameterRecord,
  forwardLifter,
  type LifterConfig,
  resolveLifterConfig,
} from '@lfm/model';
import {
  type JointCodeTableData,
  LIFTER_FORMAT,
  LIFTER_FORMAT_VERSION,
  LIFTER_METADATA_KEYS,
  type LifterIo,
  type LifterPreprocessContract,
} from './export-metadata.js';
import { ONNX_OPSET } from './graph.js';
import { createOnnxRecorder } from './recorder.js';

/** A lifter to export: a decoded checkpoint, or a config with its parameters. */
export interface LifterSource {
  readonly config: LifterConfig | Partial<LifterConfig>;
  /** Every parameter of `parameterShapes(config)`, row-major float32. */
  readonly params: Readonly<Record<string, Float32Array>>;
  /** Training metadata (a checkpoint's), stored as `lfm.training`. */
  readonly metadata?: Checkpoint['metadata'];
}

export interface ExportLifterOptions {
  /** k of the kNN graph the model was trained with for rigs without bones (default DEFAULT_KNN_K). */
  knnK?: number;
  /** Stored as the model's producer and `lfm.producer` (default `@lfm/onnx`). */
  producer?: { name: string; version?: string };
  /**
   * Joint codes stored as data (a model adapted by `lfm adapt`): rig id → its joints and [J, k]
   * table, written to `lfm.preprocess` `jointCodes.tables`. Needs a model with joint codes.
   */
  jointCodeTables?: Readonly<Record<string, JointCodeTableData>>;
  /** Extra metadata_props; keys under `lfm.` are reserved. */
  metadata?: Readonly<Record<string, string>>;
  docString?: string;
}

/** Symbolic sizes the lifter is traced at; both dims stay dynamic in the exported graph. */
const TRACE_DIMS = { B: 2, N: 5 };

/**
 * Exports a lifter as a self-contained ONNX opset-17 model: `forwardLifter` traced by the recorder
 * (the forward graph IS the export — no converter), with every parameter (TPE ω and phase included)
 * as an initializer.
 *
 *   inputs   points [B, N, 2] float32, normalised (see `lfm.preprocess`); mask [B, N] float32 0/1;
 *            adj [B, N, N] float32 0/1 — only when the attention kind has a local branch;
 *            codes [B, N, k] — only with joint codes; pairs [B, N, N] float32 0/1 (mirror
 *            partners) — only with `mirrorPairs`
 *   output   points3d [B, N, 3] float32, canonical frame, normalised units, 0 at masked points
 *
 * B and N are dynamic. metadata_props carry the contract in `LIFTER_METADATA_KEYS`. Throws
 * ConfigError / CheckpointMismatchError when the parameters do not fit the config.
 */
export function exportLifter(
  source: LifterSource | Checkpoint,
  options: ExportLifterOptions = {},
): Uint8Array {
  const config = resolveLifterConfig(source.config);
  checkParameterRecord(config, source.params);
  const knnK = options.knnK ?? DEFAULT_KNN_K;
  if (!Number.isInteger(knnK) || knnK < 1) throw new InputError(`knnK must be an integer ≥ 1, got ${knnK}`);
  for (const key of Object.keys(options.metadata ?? {})) {
    if (key.startsWith('lfm.')) throw new InputError(`metadata key '${key}': keys under 'lfm.' are reserved`);
  }

  // maxPoints is a contract for runtimes (stored in the metadata), not a graph property: trace without it.
  const { maxPoints, codedRigs, ...rest } = config;
  const k = config.jointCodes;
  const traceConfig = resolveLifterConfig(rest);
  const tables = codeTablesJson(options.jointCodeTables, k);
  const withAdj = usesAdjacency(config.attention);
  const r = createOnnxRecorder({ dims: TRACE_DIMS });
  const points = r.input('points', ['B', 'N', 2]);
  const mask = r.input('mask', ['B', 'N']);
  const adj = withAdj ? r.input('adj', ['B', 'N', 'N']) : undefined;
  const codes = k > 0 ? r.input('codes', ['B', 'N', k]) : undefined;
  const withPairs = config.mirrorPairs;
  const pairs = withPairs ? r.input('pairs', ['B', 'N', 'N']) : undefined;
  const y = forwardLifter(
    r.ops,
    r.params(source.params),
    { points, mask, ...(adj && { adj }), ...(codes && { codes }), ...(pairs && { pairs }) },
    traceConfig,
  );
  r.output('points3d', y);

  const io: LifterIo = {
    inputs: [
      { name: 'points', dims: ['B', 'N', 2] },
      { name: 'mask', dims: ['B', 'N'] },
      ...(withAdj ? [{ name: 'adj', dims: ['B', 'N', 'N'] }] : []),
      ...(k > 0 ? [{ name: 'codes', dims: ['B', 'N', k] }] : []),
      ...(withPairs ? [{ name: 'pairs', dims: ['B', 'N', 'N'] }] : []),
    ],
    outputs: [{ name: 'points3d', dims: ['B', 'N', 3] }],
  };
  const preprocess: LifterPreprocessContract = {
    normalize: {
      center: 'visible-mean',
      scale: 'max-abs',
      range: [-1, 1],
      keepAspect: true,
      implementation: '@lfm/core normalizeKeypoints',
    },
    adjacency: withAdj
      ? {
          bones: 'rig-bones-between-present-points',
          noBones: 'knn',
          knnK,
          symmetric: true,
          selfLoops: 'all-slots',
          implementation: '@lfm/datasets/preprocess adjacencyFromBones, knnAdjacency',
        }
      : null,
    jointCodes:
      k > 0
        ? {
            scheme: JOINT_CODE_SCHEME,
            k,
            rigs: [...(codedRigs ?? [])],
            unknown: 'zeros',
            implementation: config.anatomicalCodes
              ? '@lfm/datasets/preprocess anatomicalCodeTable (keys: @lfm/rigs anatomicalKeys, trainedAnatomicalKeys), writeJointCodes'
              : '@lfm/datasets/preprocess jointCodeTable, writeJointCodes',
            ...(tables && { tables }),
          }
        : null,
    // Only written for a model with pairs: the metadata of every other model stays as before.
    ...(withPairs && {
      mirrorPairs: {
        source: 'rig-mirror-pairs' as const,
        unknown: 'zeros' as const,
        implementation: '@lfm/datasets/preprocess writeMirrorPairs',
      },
    }),
    padding: { mask: '1 = present, 0 = absent or padding', maskedPointValue: 0, outputAtMasked: 0 },
  };
  const producer = options.producer ?? { name: '@lfm/onnx' };
  const K = LIFTER_METADATA_KEYS;
  const metadata: Record<string, string> = {
    ...options.metadata,
    [K.format]: `${LIFTER_FORMAT}/${LIFTER_FORMAT_VERSION}`,
    [K.config]: JSON.stringify(config),
    [K.io]: JSON.stringify(io),
    [K.preprocess]: JSON.stringify(preprocess),
    ...(maxPoints !== undefined && { [K.maxPoints]: String(maxPoints) }),
    [K.producer]: `${producer.name}${producer.version ? `@${producer.version}` : ''} exportLifter`,
    ...(source.metadata !== undefined && { [K.training]: JSON.stringify(source.metadata) }),
  };
  return r.toModel({
    opset: ONNX_OPSET,
    producer,
    metadata,
    graphName: 'lfm_lifter',
    docString:
      options.docString ??
      `3D-LFM lifter (D=${config.dModel}, L=${config.layers}, ${config.attention} attention, ${config.encoding} encoding): ` +
        'points [B,N,2] normalised, mask [B,N]' +
        (withAdj ? ', adj [B,N,N]' : '') +
        (k > 0 ? `, codes [B,N,${k}]` : '') +
        (withPairs ? ', pairs [B,N,N]' : '') +
        ' → points3d [B,N,3]. Contract in metadata_props lfm.*',
  });
}

/** The metadata form of stored code tables (numbers at float32 precision), checked; undefined for none. */
function codeTablesJson(
  tables: Readonly<Record<string, JointCodeTableData>> | undefined,
  k: number,
): Record<string, { joints: string[]; codes: number[] }> | undefined {
  if (tables === undefined || Object.keys(tables).length === 0) return undefined;
  if (k === 0) throw new InputError('jointCodeTables: the model has no joint-code input (jointCodes 0)');
  const out: Record<string, { joints: string[]; codes: number[] }> = {};
  for (const [rig, t] of Object.entries(tables)) {
    const J = t.joints.length;
    if (J === 0 || t.codes.length !== J * k) {
      throw new InputError(
        `jointCodeTables: rig '${rig}' has ${J} joints and ${t.codes.length} codes, need J·k = ${J * k}`,
      );
    }
    const codes = Array.from(t.codes, (v) => {
      if (!Number.isFinite(v)) throw new InputError(`jointCodeTables: rig '${rig}' has a non-finite code`);
      // 9 significant digits give back the float32 exactly.
      return Number(Math.fround(v).toPrecision(9));
    });
    out[rig] = { joints: [...t.joints], codes };
  }
  return out;
}
