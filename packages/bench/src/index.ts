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
