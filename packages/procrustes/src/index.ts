export {
  type AlignOptions,
  alignOrthogonal,
  alignSimilarity,
  applySimilarity,
  type OrthogonalOptions,
  type RigidAlignment,
  type SimilarityAlignment,
  type SimilarityLike,
} from './align.js';
export {
  mpjpe,
  nPaMpjpe,
  type PoseError,
  type PoseErrorOptions,
  type PoseErrors,
  type PoseMetric,
  paMpjpe,
  poseErrors,
} from './metrics.js';
export { type NrsfmOptions, type NrsfmResult, nrsfm } from './nrsfm.js';
export {
  type OnPOptions,
  type OrthographicCamera,
  type OrthographicLike,
  projectOrthographic,
  solveOnP,
} from './onp.js';
export {
  type PinholeIntrinsics,
  type PinholePose,
  type PnPOptions,
  type PoseLike,
  projectPinhole,
  solvePnP,
} from './pnp.js';
export { MOMENTS, rank2Measure3, rotationFromCrossCovariance, weightedMoments } from './qcp.js';
export {
  detectSymmetry,
  type Symmetry2dOptions,
  type Symmetry2dResult,
  type SymmetryOptions,
  type SymmetryResult,
  symmetryFrom2d,
} from './symmetry.js';
export type { Points, Weights } from './validate.js';
