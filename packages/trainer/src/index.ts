export type { SymmetryResult } from '@lfm/procrustes';
export { adapt, exportAdaptedLifter, loadAdaptBase } from './adapt.js';
export {
  type AdaptDataset,
  type AdaptRig,
  type AdaptSamples,
  adaptSamplesFromDataset,
  adaptSamplesFromKeypoints,
  adaptSamplesFromSequence,
  checkAdaptSamples,
  type DatasetSamplesOptions,
  type KeptAdaptSamples,
  MIN_ADAPT_POINTS,
} from './adapt-data.js';
export {
  type AdaptObjectiveInputs,
  adaptObjectiveOps,
  adaptTraceConfig,
  buildAdaptGraph,
} from './adapt-graph.js';
export * from './adapt-loss.js';
export { procrustesMean, topEigenvectors } from './adapt-prior.js';
export * from './adapt-types.js';
export { routeByDataset, type TrainMlpBaselinesOptions, trainMlpBaselines } from './baselines.js';
export {
  decodeModelCheckpoint,
  encodeModelCheckpoint,
  loadModelCheckpoint,
  type ModelCheckpoint,
  saveModelCheckpoint,
} from './checkpoint.js';
export {
  DEFAULT_TRAINING_CONFIG,
  type ProgressMode,
  resolveTrainingConfig,
  type TfjsBackendName,
  TRAIN_ENGINES,
  type TrainEngine,
  type TrainingConfig,
  type TrainingContext,
} from './config.js';
export type { LossAndGradients, StepBatch, TrainingEngine } from './engine.js';
export {
  anatomicalCodeRig,
  hasJointIdentity,
  namedCodeTable,
  rigAnatomicalCodeTable,
  unseenAnatomicalCodeTable,
} from './eval-codes.js';
export { type KeypointPerturbation, MIN_EVAL_JOINTS, perturbKeypoints } from './eval-perturb.js';
export {
  EVAL_PROTOCOLS,
  type EvalProtocol,
  type EvalReport,
  type EvalRow,
  type EvaluateOptions,
  type EvaluationDataset,
  evaluate,
  type ForwardModel,
  forwardPredictor,
  mergeEvalReports,
  type PredictBatch,
  type PredictFn,
} from './evaluate.js';
export {
  buildForwardGraph,
  buildModelGraphs,
  createGraphEngine,
  createGraphPredictor,
  defaultGraphThreads,
  type GraphEngineOptions,
  graphSessionOptions,
  loadOnnxRuntime,
  type ModelGraphs,
} from './graph-engine.js';
export {
  acceptedPairs,
  inferredPairs2d,
  inferredPairs3d,
  MIN_SYMMETRY_COVERAGE,
  symmetryOf2d,
  symmetryOf3d,
} from './inferred-pairs.js';
export {
  ALIGNMENT_SQUARINGS,
  alignedMaskedMse,
  LOSS_KINDS,
  type LossKind,
  maskedMse,
  type ProcrustesAlignment,
  procrustesLossOps,
  solveProcrustesAlignment,
  solveProcrustesAlignmentOps,
} from './loss.js';
export { fitMeanShape, type MeanShape, type MeanShapeOptions, meanShapePredictor } from './mean-shape.js';
export {
  createModel,
  DEFAULT_MLP_CONFIG,
  forwardMlp,
  type LifterModelConfig,
  lifterConfigOf,
  type MlpModelConfig,
  type ModelConfig,
  mlpParameterShapes,
  resolveModelConfig,
  type TrainableModel,
} from './models.js';
export {
  Adam,
  type AdamHyper,
  clipScale,
  DEFAULT_ADAM,
  globalNorm,
  LR_SCHEDULES,
  type LrSchedule,
  type LrScheduleKind,
  learningRateAt,
} from './optim.js';
export { loadDatasets, type RunTrainingOptions, runTraining } from './run.js';
export { type RunStatus, readRunStatus, shellQuote } from './status.js';
export { createSyntheticCorpus, createSyntheticDataset, type SyntheticDatasetOptions } from './synthetic.js';
export {
  createTfjsEngine,
  createTfjsModelState,
  createTfjsPredictor,
  type TfjsModelState,
  tfjsLossAndGradients,
} from './tfjs-engine.js';
export {
  type MetricsEntry,
  OUTPUT_FILES,
  type TrainCheckpointMetadata,
  type TrainingDataset,
  type TrainOptions,
  type TrainResult,
  type TrainTfjsOptions,
  train,
  trainGraph,
  trainTfjs,
} from './train.js';
export { stepBatch } from './train-inputs.js';
