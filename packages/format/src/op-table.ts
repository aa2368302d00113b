/**
 * Operators of the default ONNX domain (ai.onnx): the opset that introduced each, and for the two
 * removed ones the first opset without them. From the ONNX operator changelog.
 */
const SINCE: Record<number, string> = {
  1: `Abs Add And ArgMax ArgMin AveragePool BatchNormalization Cast Ceil Clip Concat Constant Conv
      ConvTranspose DepthToSpace Div Dropout Elu Equal Exp Flatten Floor GRU Gather Gemm GlobalAveragePool
      GlobalLpPool GlobalMaxPool Greater HardSigmoid Hardmax Identity If InstanceNormalization LRN LSTM
      LeakyRelu Less Log LogSoftmax Loop LpNormalization LpPool MatMul Max MaxPool MaxRoiPool Mean Min Mul
      Neg Not Or PRelu Pad Pow RNN RandomNormal RandomNormalLike RandomUniform RandomUniformLike Reciprocal
      ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum
      ReduceSumSquare Relu Reshape Selu Shape Sigmoid Size Slice Softmax Softplus Softsign SpaceToDepth
      Split Sqrt Squeeze Sub Sum Tanh Tile TopK Transpose Unsqueeze Xor`,
  7: 'Acos Asin Atan Cos Multinomial Sin Tan Upsample',
  8: 'Expand Scan',
  9: `Acosh Asinh Atanh Compress ConstantOfShape Cosh Erf EyeLike IsNaN MaxUnpool MeanVarianceNormalization
      NonZero OneHot Scatter Shrink Sign Sinh TfIdfVectorizer Where`,
  10: `ConvInteger DequantizeLinear IsInf MatMulInteger Mod NonMaxSuppression QLinearConv QLinearMatMul
       QuantizeLinear Resize ReverseSequence RoiAlign StringNormalizer ThresholdedRelu`,
  11: `BitShift ConcatFromSequence CumSum Det DynamicQuantizeLinear GatherElements GatherND Range Round
       ScatterElements ScatterND SequenceAt SequenceConstruct SequenceEmpty SequenceErase SequenceInsert
       SequenceLength SplitToSequence Unique`,
  12: 'Celu Einsum GreaterOrEqual LessOrEqual NegativeLogLikelihoodLoss SoftmaxCrossEntropyLoss',
  14: 'HardSwish Trilu',
  15: 'Bernoulli CastLike Optional OptionalGetElement OptionalHasElement',
  16: 'GridSample',
  17: 'BlackmanWindow DFT HammingWindow HannWindow LayerNormalization MelWeightMatrix STFT SequenceMap',
  18: 'BitwiseAnd BitwiseNot BitwiseOr BitwiseXor CenterCropPad Col2Im GroupNormalization Mish',
  19: 'DeformConv',
  20: 'AffineGrid Gelu ImageDecoder RegexFullMatch StringConcat StringSplit',
  21: '',
  22: '',
  23: 'Attention RMSNormalization RotaryEmbedding',
  24: 'Swish TensorScatter',
};

/** Operators removed from the default domain: the first opset in which they no longer exist. */
const REMOVED: Record<string, number> = { Upsample: 10, Scatter: 11 };

const OPS = new Map<string, number>();
for (const [since, names] of Object.entries(SINCE)) {
  for (const name of names.split(/\s+/).filter(Boolean)) OPS.set(name, Number(since));
}

/** The highest default-domain opset this table knows. */
export const MAX_KNOWN_OPSET = 24;

/** Why `opType` is not available in ai.onnx opset `opset`, or undefined when it is. */
export function defaultDomainOpProblem(opType: string, opset: number): string | undefined {
  const since = OPS.get(opType);
  if (since === undefined) return `'${opType}' is not an operator of the default ONNX domain`;
  if (since > opset) return `'${opType}' needs opset ≥ ${since}, the model imports opset ${opset}`;
  const removed = REMOVED[opType];
  if (removed !== undefined && opset >= removed) return `'${opType}' was removed in opset ${removed}`;
  return undefined;
}

/** The lowest IR version that may carry a default-domain opset (onnx/helper.py's version table). */
export function minIrVersionForOpset(opset: number): number {
  if (opset <= 8) return 3;
  if (opset === 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  if (opset === 23) return 11;
  return 12;
}
