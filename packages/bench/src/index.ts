export { cacheStatus, compareNumbers, type NumberDiff, readResults } from './benchmarks/cache.js';
export {
  type ArmBudget,
  BenchmarkContext,
  hasSplit,
  jointCodesOf,
  type TrainedArm,
} from './benchmarks/context.js';
export {
  LOO_ARMS,
  LOO_GROUPS,
  type LooArm,
  looArmTable,
  looSection,
  SHAPE_AUGMENT,
} from './benchmarks/loo.js';
export { type BenchmarkIo, runBenchmarks } from './benchmarks/main.js';
export {
  type BenchmarkOptions,
  DEFAULT_BUDGET_MINUTES,
  DEFAULT_CONVERGENCE,
  HELP as BENCHMARKS_HELP,
  type NumberFlagOptions,
  numberFlag,
  parseBenchmarkOptions,
  splitList,
} from './benchmarks/options.js';
export { type RenderedReport, type ReportInput, renderReport } from './benchmarks/report.js';
export { INCLUDED_NOTES, readIncludedNotes } from './benchmarks/report-rigs.js';
export { runStages, STAGE_RUNNERS, writeReport } from './benchmarks/run.js';
export { TrainOnlyDone } from './benchmarks/stages-more.js';
export {
  type AblationArm,
  type AblationsPayload,
  type ArmInfo,
  type BaselinesPayload,
  type ConvergenceSettings,
  type DatasetFacts,
  type EvalPayload,
  groupOf,
  type JointCodeRows,
  type LooArmResult,
  type LooPayload,
  type LooRow,
  type LooScore,
  type Machine,
  type MlpConvergedPayload,
  type MlpPayload,
  type ModelMeta,
  measuredModel,
  type RealPayload,
  type RealRow,
  type RobustnessLevel,
  type RobustnessPayload,
  type SinglePayload,
  type SkeletonSample,
  type SkeletonsPayload,
  STAGES,
  type Stage,
  type StagePayloads,
  type StageRecord,
  type StageResult,
  type StageResults,
  type StageSettings,
  type TrainedOn,
  type UnseenPayload,
} from './benchmarks/types.js';
export { type ColumnAlign, fu, fx, mean, rowOf, shortUnits, table, upperMedian } from './markdown.js';
export {
  type BarChartOptions,
  type BarSeries,
  barChartSvg,
  escapeXml,
  type LineChartOptions,
  type LineSeries,
  lineChartSvg,
  niceTicks,
  PALETTE,
  type SkeletonSvgOptions,
  skeletonSvg,
} from './plots.js';
export {
  BENCH_CONFIGS,
  type BenchConfig,
  type BenchTrainingOptions,
  type BenchTrainingResult,
  benchTraining,
  formatBench,
  measureMatMulPeak,
  type OutputStream,
  trainingMatMulFlops,
} from './train-bench.js';
