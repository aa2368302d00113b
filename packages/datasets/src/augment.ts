import { InputError } from '@lfm/core';
import { type CameraModel, cameraModelCode } from './preprocess/camera.js';

/** Units of the 2D noise std: see `AugmentOptions.noise`. */
export type NoiseUnits = 'normalized' | 'pixels';

/**
 * How a training sample is made from a 3D frame. Every random choice is drawn from the batcher's
 * seeded generator. Fields left out take `DEFAULT_AUGMENT`'s values; inside a given `occlusion` or
 * `subset`, a left-out `probability` is 1.
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
   * chosen uniformly among the visible ones; maxFraction ≤ 0.6, and at least 3 points stay visible.
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
} as const);

/** The largest occlusion fraction allowed. */
export const MAX_OCCLUSION_FRACTION = 0.6;

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
  };
}
