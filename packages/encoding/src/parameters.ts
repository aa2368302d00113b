// The parameter-spec vocabulary moved to @lfm/core (shared by encoding, attention and model).
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
