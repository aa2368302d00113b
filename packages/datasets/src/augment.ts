import { InputError } from '@lfm/core';
import { type CameraModel, cameraModelCode } from './preprocess/camera.js';

/** Units of the 2D noise std: see `AugmentOptions.noise`. */
export type NoiseUnits = 'normalized' | 'pixels';

/**
 * How a training sample is made from a 3D frame. Every random choice is drawn from the batcher's
 * seeded generator. Fields left out take `DEFAULT_AUGMENT`'s values; inside a given `occlusion`,
 * `subset` or shape-space stage (`boneScale`, `anisotropic`, `mirror`, `rearticulate`, `knnGraph`), a
 * left-out `probability` is 1 and other left-out fields take DEFAULT_AUGMENT's.
 *
 * Shape-space stages change the frame's 3D shape (dataset frame, all its present joints, before joint
 * selection, the view rotation and projection), in this order: mirror, boneScale, rearticulate,
 * anisotropic. All are off by default (probability 0), and a disabled stage draws no random number, so
 * leaving them out gives exactly the batches of a batcher without them. With any of them on, target3d
 * and BatchInfo's world frame (center3d, translation) are those of the augmented shape.
 */
export interface AugmentOptions {
  /** View rotation: 'uniform' on SO(3) (Haar), or 'none' (identity: the dataset's own axes). */
  readonly rotation?: 'uniform' | 'none';
  /** Camera models; one is drawn uniformly per sample. */
  readonly cameras?: readonly CameraModel[];
  /**
   * [min, max] camera distance in multiples of the shape's RMS radius (of the points kept for the
   * sample, about their mean), drawn uniformly; the camera looks at the shape's centre along +z.
   */
  readonly distance?: readonly [number, number];
  /** Focal length fx = fy in pixels (principal point 0). It only sets the unit of pixel noise. */
  readonly focal?: number;
  /**
   * Additive Gaussian noise on the visible 2D points, std in `units` (default 'normalized'):
   * 'normalized' = a fraction of the sample's 2D scale, i.e. of what `normalizeKeypoints` divides by
   * (max |coordinate| of the clean visible points about their mean), so 0.01 moves a point by ~1% of
   * the half-extent whatever the camera distance; 'pixels' = pixels of the virtual camera (`focal`).
   * The noisy points are then normalised, exactly as a noisy detection is at inference.
   */
  readonly noise?: { readonly std: number; readonly units?: NoiseUnits };
  /**
   * With `probability`, occlude m = ⌊u · maxFraction · n⌋ of the sample's n points, u ~ U[0, 1),
   * chosen uniformly among the visible ones; maxFraction ≤ 0.7, and at least 3 points stay visible.
   * An occluded point is masked (mask 0, its 2D and target 0) but keeps its slot.
   */
  readonly occlusion?: { readonly probability?: number; readonly maxFraction: number };
  /**
   * With `probability`, keep only a uniformly random subset of k points, k uniform in
   * [minPoints, n] (order kept): a sparser layout, as a different rig would give. Dropped points leave
   * no slot (more padding).
   */
  readonly subset?: { readonly probability?: number; readonly minPoints?: number };
  /** Shuffle the points' slot order (points, mask, adjacency and target move together). */
  readonly permute?: boolean;
  /**
   * With `probability`, per-bone length scaling along the rig's kinematic tree: each bone's length is
   * multiplied by exp(u), u ~ U[−maxLog, maxLog] (default maxLog 0.2: ±22%), and every joint moves with
   * its parent (forward from the root, which stays put). The tree is the rig's bones (breadth-first,
   * rooted at the lowest joint index of each connected part), or for a rig without bones the minimum
   * spanning tree (Euclidean 3D) of the present joints, rooted at the joint nearest their mean. For a
   * rig with left/right mirror pairs (the source rig's `mirror`, else the dataset's `symmetry`), a fair
   * coin per sample decides whether the two bones of a pair share one factor (a symmetric body) or get
   * their own (an asymmetric one). maxLog in [0, 1].
   */
  readonly boneScale?: { readonly probability?: number; readonly maxLog?: number };
  /**
   * With `probability`, scale the shape about its mean along three random orthogonal axes (a uniform
   * rotation's rows) by exp(u_i) each, u_i ~ U[−maxLog, maxLog] (default maxLog 0.1). maxLog in [0, 1].
   */
  readonly anisotropic?: { readonly probability?: number; readonly maxLog?: number };
  /**
   * With `probability`, a left/right mirror image: x → 2·mean − x in the dataset frame, and the points of
   * every mirror pair swapped, so the joint labelled left (jointIndex) is still on the left and the
   * rig's chirality is kept; a rig without pairs is only reflected.
   */
  readonly mirror?: { readonly probability?: number };
  /**
   * With `probability`, re-articulate: a uniformly random non-root joint of the kinematic tree (see
   * `boneScale`) that has children, and the subtree below it rotated about it by a rotation of uniform
   * random axis and angle uniform in [0, maxAngle] degrees (default 30; maxAngle in [0, 180]). Bone
   * lengths are kept; nothing outside the subtree moves.
   */
  readonly rearticulate?: { readonly probability?: number; readonly maxAngle?: number };
  /**
   * With `probability`, a sample of a rig WITH bones gets the kNN graph of its 2D points instead of its
   * bones — the graph an unknown rig gets at inference — so the model also trains on that graph.
   * Samples of bone-less rigs always get kNN.
   */
  readonly knnGraph?: { readonly probability?: number };
}

/** The augmentation a batcher uses for any field left out. */
export const DEFAULT_AUGMENT = Object.freeze({
  rotation: 'uniform',
  cameras: Object.freeze(['pinhole'] as CameraModel[]),
  distance: Object.freeze([3, 10] as [number, number]),
  focal: 1000,
  noise: Object.freeze({ std: 0.005, units: 'normalized' as NoiseUnits }),
  occlusion: Object.freeze({ probability: 0.5, maxFraction: 0.3 }),
  subset: Object.freeze({ probability: 0, minPoints: 3 }),
  permute: true,
  boneScale: Object.freeze({ probability: 0, maxLog: 0.2 }),
  anisotropic: Object.freeze({ probability: 0, maxLog: 0.1 }),
  mirror: Object.freeze({ probability: 0 }),
  rearticulate: Object.freeze({ probability: 0, maxAngle: 30 }),
  knnGraph: Object.freeze({ probability: 0 }),
} as const);

/** The largest occlusion fraction allowed (at least 3 points always stay visible). */
export const MAX_OCCLUSION_FRACTION = 0.7;

/** The largest `maxLog` of `boneScale` and `anisotropic` (factors within [1/e, e]). */
export const MAX_SHAPE_LOG_SCALE = 1;

/** Resolved, validated augmentation (numbers only, for the hot loop). */
export interface ResolvedAugment {
  readonly rotate: boolean;
  readonly cameraCodes: Int32Array;
  readonly distanceMin: number;
  readonly distanceMax: number;
  readonly focal: number;
  readonly noiseStd: number;
  readonly noiseNormalized: boolean;
  readonly occlusionProbability: number;
  readonly occlusionMaxFraction: number;
  readonly subsetProbability: number;
  readonly subsetMinPoints: number;
  readonly permute: boolean;
  readonly boneScaleProbability: number;
  readonly boneScaleMaxLog: number;
  readonly anisotropicProbability: number;
  readonly anisotropicMaxLog: number;
  readonly mirrorProbability: number;
  readonly rearticulateProbability: number;
  /** Radians. */
  readonly rearticulateMaxAngle: number;
  readonly knnGraphProbability: number;
}

/** Merges `options` over DEFAULT_AUGMENT and validates; InputError names the bad field. */
export function resolveAugment(options: AugmentOptions = {}): ResolvedAugment {
  const d = DEFAULT_AUGMENT;
  const fail = (msg: string): never => {
    throw new InputError(`augment: ${msg}`);
  };
  const rotation = options.rotation ?? d.rotation;
  if (rotation !== 'uniform' && rotation !== 'none')
    fail(`rotation must be 'uniform' or 'none', got ${rotation}`);
  const cameras = options.cameras ?? d.cameras;
  if (cameras.length === 0) fail('cameras must name at least one camera model');
  const [dmin, dmax] = options.distance ?? d.distance;
  if (!(dmin > 0 && dmax >= dmin && Number.isFinite(dmax))) {
    fail(
      `distance must be [min, max] with 0 < min ≤ max (multiples of the RMS radius), got [${dmin}, ${dmax}]`,
    );
  }
  const focal = options.focal ?? d.focal;
  if (!(focal > 0 && Number.isFinite(focal))) fail(`focal must be a positive number of pixels, got ${focal}`);
  const noise = options.noise ?? d.noise;
  const units = noise.units ?? 'normalized';
  if (!(noise.std >= 0 && Number.isFinite(noise.std))) fail(`noise.std must be ≥ 0, got ${noise.std}`);
  if (units !== 'normalized' && units !== 'pixels')
    fail(`noise.units must be 'normalized' or 'pixels', got ${units}`);
  const occ = options.occlusion ?? d.occlusion;
  const occP = occ.probability ?? 1;
  if (!(occP >= 0 && occP <= 1)) fail(`occlusion.probability must be in [0, 1], got ${occP}`);
  if (!(occ.maxFraction >= 0 && occ.maxFraction <= MAX_OCCLUSION_FRACTION)) {
    fail(`occlusion.maxFraction must be in [0, ${MAX_OCCLUSION_FRACTION}], got ${occ.maxFraction}`);
  }
  const sub = options.subset ?? d.subset;
  const subP = sub.probability ?? 1;
  const subMin = sub.minPoints ?? 3;
  if (!(subP >= 0 && subP <= 1)) fail(`subset.probability must be in [0, 1], got ${subP}`);
  if (!Number.isInteger(subMin) || subMin < 3) fail(`subset.minPoints must be an integer ≥ 3, got ${subMin}`);
  const probability = (name: string, given: { readonly probability?: number } | undefined): number => {
    const p = given ? (given.probability ?? 1) : 0;
    if (!(p >= 0 && p <= 1)) fail(`${name}.probability must be in [0, 1], got ${p}`);
    return p;
  };
  const maxLog = (name: string, value: number): number => {
    if (!(value >= 0 && value <= MAX_SHAPE_LOG_SCALE)) {
      fail(`${name}.maxLog must be in [0, ${MAX_SHAPE_LOG_SCALE}] (a log factor), got ${value}`);
    }
    return value;
  };
  const boneScaleP = probability('boneScale', options.boneScale);
  const boneScaleMaxLog = maxLog('boneScale', options.boneScale?.maxLog ?? d.boneScale.maxLog);
  const anisoP = probability('anisotropic', options.anisotropic);
  const anisoMaxLog = maxLog('anisotropic', options.anisotropic?.maxLog ?? d.anisotropic.maxLog);
  const mirrorP = probability('mirror', options.mirror);
  const rearticulateP = probability('rearticulate', options.rearticulate);
  const maxAngle = options.rearticulate?.maxAngle ?? d.rearticulate.maxAngle;
  if (!(maxAngle >= 0 && maxAngle <= 180))
    fail(`rearticulate.maxAngle must be in [0, 180] degrees, got ${maxAngle}`);
  const knnP = probability('knnGraph', options.knnGraph);
  return {
    rotate: rotation === 'uniform',
    cameraCodes: Int32Array.from(cameras, cameraModelCode),
    distanceMin: dmin,
    distanceMax: dmax,
    focal,
    noiseStd: noise.std,
    noiseNormalized: units === 'normalized',
    occlusionProbability: occP,
    occlusionMaxFraction: occ.maxFraction,
    subsetProbability: subP,
    subsetMinPoints: subMin,
    permute: options.permute ?? d.permute,
    boneScaleProbability: boneScaleP,
    boneScaleMaxLog,
    anisotropicProbability: anisoP,
    anisotropicMaxLog: anisoMaxLog,
    mirrorProbability: mirrorP,
    rearticulateProbability: rearticulateP,
    rearticulateMaxAngle: (maxAngle * Math.PI) / 180,
    knnGraphProbability: knnP,
  };
}
