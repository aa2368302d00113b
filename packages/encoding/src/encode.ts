import type { Ops, ParameterSpec, Params } from '@lfm/core';
import type { EncodingKind } from '@lfm/format';
import { encodeMlp, mlpEncodingParameterSpecs } from './mlp-encoding.js';
import { encodeTpe, tpeParameterSpecs } from './tpe.js';

// Part of the model format (`lfm.config`): defined in @lfm/format.
export type { EncodingKind };

export interface EncodingConfig {
  /** `'tpe'`: fixed random Fourier features (the paper); `'mlp'`: the learnable ablation. */
  readonly kind: EncodingKind;
  /** Token width D. */
  readonly dModel: number;
  /** TPE frequency scale σ (ignored by `'mlp'`). */
  readonly sigma: number;
}

/** The parameters `encodeTokens` reads, unprefixed. */
export function encodingParameterSpecs(config: EncodingConfig): ParameterSpec[] {
  return config.kind === 'tpe'
    ? tpeParameterSpecs(config.dModel, config.sigma)
    : mlpEncodingParameterSpecs(config.dModel);
}

/** points [B, N, 2] (normalised) → tokens [B, N, D] with the configured encoding. */
export function encodeTokens<T>(ops: Ops<T>, params: Params<T>, points: T, config: EncodingConfig): T {
  return config.kind === 'tpe'
    ? encodeTpe(ops, params, points, config.dModel)
    : encodeMlp(ops, params, points, config.dModel);
}
