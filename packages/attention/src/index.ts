export {
  attentionParameterSpecs,
  globalSelfAttention,
  graphAttentionBias,
  keyPaddingBias,
  localGraphAttention,
  MASKED_BIAS,
  multiHeadAttention,
} from './attention.js';
export {
  type AttentionBiases,
  type AttentionKind,
  attentionBiases,
  checkGraphLayerConfig,
  feedForward,
  feedForwardParameterSpecs,
  type GraphLayerConfig,
  graphLayerParameterSpecs,
  graphTransformerLayer,
  type NormStyle,
  usesAdjacency,
} from './layer.js';
