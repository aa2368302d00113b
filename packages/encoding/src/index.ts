export { type EncodingConfig, type EncodingKind, encodeTokens, encodingParameterSpecs } from './encode.js';
export { encodeMlp, mlpEncodingParameterSpecs } from './mlp-encoding.js';
export {
  initParameterRecord,
  initParameterValue,
  layerNormSpecs,
  linearSpecs,
  type ParameterInit,
  type ParameterSpec,
  parameterRng,
  prefixSpecs,
} from './parameters.js';
export { encodeTpe, tpeParameterSpecs } from './tpe.js';
