import type { Edge } from '@lfm/datasets';
import { detectSymmetry, type SymmetryResult, symmetryFrom2d } from '@lfm/procrustes';
import { hasJointIdentity } from './eval-codes.js';
import { fitMeanShape, type MeanShapeDataset } from './mean-shape.js';

/**
 * Mirror pairs for rigs that declare none (numbered markers: torresani-face, frgc-face, the shark,
 * the marker sets), found as the bilateral symmetry of the rig's shape (`@lfm/procrustes`
 * `detectSymmetry`): from 3D, of the train split's Procrustes mean (training data); from 2D alone,
 * of the NRSfM reconstruction of the 2D (`symmetryFrom2d`: a rig nobody gave pairs for, at
 * evaluation or before adapting). A symmetry that explains less than MIN_SYMMETRY_COVERAGE of the
 * points is none: an asymmetric shape (a hand) always has a few points that happen to mirror.
 *
 * Measured (scripts/experiments/symmetry-detect.mjs, val 2D; docs/benchmarks/research.md, stop 19):
 * on the rigs that declare pairs, every pair found from 2D is a declared one (aflw-face, h36m-body,
 * cmu-body, dog-body, bandai-body), and from 3D all but one of cmu-body's six; recall is complete
 * for the rigid face (29 of 29 pairs, from 2D too) and partial for articulated bodies, whose mean
 * pose is not quite symmetric.
 */
export const MIN_SYMMETRY_COVERAGE = 0.5;

/** `s.pairs` when the symmetry explains at least MIN_SYMMETRY_COVERAGE of the points, else none. */
export function acceptedPairs(s: SymmetryResult): Edge[] {
  return s.coverage >= MIN_SYMMETRY_COVERAGE ? s.pairs.map(([a, b]) => [a, b] as Edge) : [];
}

/**
 * Pairs of a dataset from its 3D: its own `symmetry` when it declares some, none for a dataset
 * whose joint order differs between sequences (one joint index is several markers), else the
 * accepted symmetry of its train split's Procrustes mean (none when it has no train frames).
 */
export function inferredPairs3d(
  ds: MeanShapeDataset & { readonly symmetry?: readonly Edge[]; readonly perSequenceEdges?: boolean },
): Edge[] {
  if ((ds.symmetry?.length ?? 0) > 0) return ds.symmetry!.map(([a, b]) => [a, b] as Edge);
  if (!hasJointIdentity(ds) || ds.numJoints < 4 || ds.numJoints > 400) return [];
  if (!ds.sequences.some((q) => q.split === 'train' && q.count > 0)) return [];
  return acceptedPairs(symmetryOf3d(ds).symmetry);
}

/** The bilateral symmetry (not yet accepted) of a dataset's train-split Procrustes mean, and the frames it used. */
export function symmetryOf3d(ds: MeanShapeDataset): { symmetry: SymmetryResult; frames: number } {
  const mean = fitMeanShape(ds, { split: 'train', maxFrames: 2000 });
  return { symmetry: detectSymmetry(mean.shape, ds.numJoints, mean.known), frames: mean.frames };
}

/** The bilateral symmetry (not yet accepted) of 2D views: `@lfm/procrustes` symmetryFrom2d. */
export function symmetryOf2d(
  points2d: ArrayLike<number>,
  mask: ArrayLike<number>,
  S: number,
  J: number,
): SymmetryResult {
  return symmetryFrom2d(points2d, mask, S, J);
}

/**
 * Pairs of a rig from 2D views alone (points2d [S, J, 2], mask [S, J]): the accepted symmetry of
 * their NRSfM reconstruction (`symmetryFrom2d`, rank 2, at most 400 views); none with fewer than 2
 * views or 4 points.
 */
export function inferredPairs2d(
  points2d: ArrayLike<number>,
  mask: ArrayLike<number>,
  S: number,
  J: number,
): Edge[] {
  if (S < 2 || J < 4 || J > 400) return [];
  return acceptedPairs(symmetryOf2d(points2d, mask, S, J));
}
