// The parameter-spec vocabulary lives in @lfm/core (shared by encoding, attention and model).
export {
  initParameterRecord,
  initParameterValue,
  layerNormSpecs,
  linearSpecs,
  type ParameterInit,
  type ParameterSpec,
  parameterRng,
  prefixSpecs,
} from '@lfm/core';
export { type EncodingConfig, type EncodingKind, encodeTokens, encodingParameterSpecs } from './encode.js';
export { encodeMlp, mlpEncodingParameterSpecs } from './mlp-encoding.js';
export { encodeTpe, tpeParameterSpecs } from './tpe.js';
