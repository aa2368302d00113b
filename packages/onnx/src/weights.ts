import { decodeModel, OnnxFormatError, tensorToFloat32 } from '@lfm/format';
import type { JsonValue, LifterConfig } from '@lfm/model';
import { parameterShapes } from '@lfm/model';
import { type JointCodeTableData, LifterFormatError, parseLifterMetadata } from './export-metadata.js';

/** A lifter's config and weights read back from an exported model (`readLifterWeights`). */
export interface LifterWeights {
  readonly config: LifterConfig;
  /** Every parameter of `parameterShapes(config)`, from the model's initializers. */
  readonly params: Record<string, Float32Array>;
  /** The code tables the model stores as data (`jointCodes.tables`), by rig id. */
  readonly jointCodeTables: Readonly<Record<string, JointCodeTableData>>;
  /** The exporting checkpoint's training metadata (`lfm.training`), when it had any. */
  readonly metadata: Readonly<Record<string, JsonValue>> | undefined;
  /** k of the model's kNN graph for inputs without bones (undefined for a global-attention model). */
  readonly knnK: number | undefined;
}

/**
 * The weights of an exported lifter (`exportLifter` writes every parameter as an initializer under
 * its name): the config from the contract metadata, each parameter of `parameterShapes(config)` from
 * the initializer of that name. An exported model has no optimizer state. Throws LifterFormatError
 * for a model that is not an LFM lifter, OnnxFormatError for a missing or mis-sized parameter.
 */
export function readLifterWeights(bytes: Uint8Array, options: { file?: string } = {}): LifterWeights {
  const proto = decodeModel(bytes, options);
  const metadata: Record<string, string> = {};
  for (const e of proto.metadataProps) metadata[e.key] = e.value;
  const info = parseLifterMetadata(metadata, options.file);
  const byName = new Map((proto.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const params: Record<string, Float32Array> = {};
  for (const spec of parameterShapes(info.config)) {
    const t = byName.get(spec.name);
    const where = options.file === undefined ? {} : { file: options.file };
    if (!t) {
      throw new OnnxFormatError(
        `the model has no initializer '${spec.name}': not an exportLifter model`,
        where,
      );
    }
    if (t.dims.join() !== spec.shape.join()) {
      throw new OnnxFormatError(
        `initializer '${spec.name}' is [${t.dims.join(', ')}], the config needs [${spec.shape.join(', ')}]`,
        where,
      );
    }
    params[spec.name] = tensorToFloat32(t);
  }
  const training = info.training;
  if (
    training !== undefined &&
    (typeof training !== 'object' || training === null || Array.isArray(training))
  ) {
    throw new LifterFormatError("the lifter metadata 'lfm.training' must be a JSON object", options.file);
  }
  return {
    config: info.config,
    params,
    jointCodeTables: info.jointCodes?.tables ?? {},
    metadata: training as Record<string, JsonValue> | undefined,
    knnK: info.knnK > 0 ? info.knnK : undefined,
  };
}
