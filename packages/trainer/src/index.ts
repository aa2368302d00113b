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
  type TrainEngine,
  type TrainingConfig,
  type TrainingContext,
} from './config.js';
export {
  EVAL_PROTOCOLS,
  type EvalProtocol,
  type EvalReport,
  type EvalRow,
  type EvaluateOptions,
  type EvaluationDataset,
  evaluate,
  MIN_EVAL_JOINTS,
  type PredictBatch,
  type PredictFn,
} from './evaluate.js';
export {
  alignedMaskedMse,
  LOSS_KINDS,
  type LossKind,
  maskedMse,
  type ProcrustesAlignment,
  solveProcrustesAlignment,
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
export { formatDuration, ProgressReporter, type ProgressState, type ProgressStream } from './progress.js';
export { loadDatasets, type RunTrainingOptions, runTraining } from './run.js';
export {
  createTfjsModelState,
  createTfjsPredictor,
  type LossAndGradients,
  type StepBatch,
  type TfjsModelState,
  tfjsLossAndGradients,
} from './tfjs-engine.js';
export {
  type MetricsEntry,
  OUTPUT_FILES,
  stepBatch,
  type TrainingDataset,
  type TrainResult,
  type TrainTfjsOptions,
  trainTfjs,
} from './train.js';
