import { DegenerateError, InputError, Rng, ShapeError } from '@lfm/core';
import type { Rig } from '@lfm/rig';
import { type AugmentOptions, resolveAugment } from './augment.js';
import { type Dataset, type DatasetFrames, type Split, sequenceEdges, splitFrames } from './dataset.js';
import { createKnnScratch, DEFAULT_KNN_K, flattenBones } from './preprocess/graph.js';
import {
  BATCH_STAGES,
  SAMPLE_STAGES,
  type SampleContext,
  type StageScratch,
  type StageSource,
} from './sample-stages.js';
import { type BalancedSampler, type BalancedSamplerOptions, createBalancedSampler } from './sampler.js';
import { createShapeScratch, mirrorIndexOf } from './shape-augment.js';

/**
 * What the batcher reads of a dataset (a loaded `Dataset` qualifies; tests build them in memory).
 * `symmetry` (left/right mirror pairs) is only read by the `mirror` and `boneScale` augmentations,
 * when the source has no rig.
 */
export type DatasetLike = DatasetFrames & Pick<Dataset, 'edges'> & Partial<Pick<Dataset, 'symmetry'>>;

/** One dataset (or part of one) to draw training samples from. */
export interface BatchSource {
  readonly dataset: DatasetLike;
  /** Frames of these splits (default 'train'), from meta.json's sequences. */
  readonly split?: Split | readonly Split[];
  /** Explicit frame indices; overrides `split`. */
  readonly frames?: ArrayLike<number>;
  /**
   * Bones from this rig (its joints must be the dataset's, J of them). Default: the dataset's own edges,
   * per sequence where they differ (akhter-markers), which equal its built-in rig's bones. No bones →
   * the kNN graph of the 2D points. The rig's mirror pairs, else the dataset's `symmetry`, are the
   * left/right pairs of the `mirror` and `boneScale` augmentations.
   */
  readonly rig?: Rig;
  /** Category for balanced sampling (default the dataset's). */
  readonly category?: string;
  /** Multiplies the source's share within its category (default 1). */
  readonly weight?: number;
}

export interface BatcherOptions {
  readonly sources: readonly BatchSource[];
  /** B. */
  readonly batchSize: number;
  /** N: slots per sample. A frame with more valid joints than N gets a uniformly random N of them. */
  readonly maxPoints: number;
  /** Merged over DEFAULT_AUGMENT. */
  readonly augment?: AugmentOptions;
  /** Batch k depends only on (seed, k) (default seed 0). */
  readonly seed?: number;
  /** Category balancing (default: categories uniform, frames uniform within a category). */
  readonly sampling?: BalancedSamplerOptions;
  /** k of the kNN graph for sources without bones (default DEFAULT_KNN_K). */
  readonly knn?: number;
  /**
   * Also fill `Batch.pairs` (the mirror partners of a lifter with `mirrorPairs`) from each source's
   * left/right pairs: its rig's mirror pairs, else the dataset's `symmetry` (none: zeros). Default
   * false (no `pairs` in the batches). Draws no random numbers: the batches are otherwise unchanged.
   */
  readonly pairs?: boolean;
}

/** Per-sample bookkeeping: where a sample came from and how to get back to dataset units. */
export interface BatchInfo {
  /** [B]: index into `sources`. */
  readonly source: Int32Array;
  /** [B]: frame index in the source's dataset. */
  readonly frame: Int32Array;
  /** [B]: slots used (visible + occluded); slots ≥ numPoints are padding. */
  readonly numPoints: Int32Array;
  /** [B]: visible points (mask 1), ≥ 3. */
  readonly numVisible: Int32Array;
  /** [B, N]: the dataset joint in each slot, −1 for padding. The permutation and subset applied. */
  readonly jointIndex: Int32Array;
  /** [B, 2]: 2D centre subtracted by `normalizeKeypoints`, pixels of the virtual camera. */
  readonly center2d: Float64Array;
  /** [B]: 2D scale divided by, pixels. */
  readonly scale2d: Float64Array;
  /**
   * [B, 3]: mean of the visible joints, world (dataset) frame and units. With shape-space augmentation
   * on (see `AugmentOptions`), the world points are the augmented ones, not the dataset's.
   */
  readonly center3d: Float64Array;
  /** [B]: RMS radius of the visible joints about center3d, dataset units (what target3d is divided by). */
  readonly scale3d: Float64Array;
  /** [B, 9]: camFromWorld rotation R (row-major); pointsCam = R·pointsWorld + t. */
  readonly rotation: Float64Array;
  /** [B, 3]: camFromWorld translation t, dataset units. */
  readonly translation: Float64Array;
  /** [B]: focal length fx = fy, pixels (principal point 0). */
  readonly focal: Float64Array;
  /** [B]: camera model code, an index into CAMERA_MODELS. */
  readonly camera: Uint8Array;
  /**
   * [B]: 1 when the `mirror` augmentation reflected the sample. For a rig without mirror pairs the
   * reflection keeps every joint's label on the other side of the body, so its labels no longer
   * identify its joints (a right hand's labels on a left hand): trainers treat such a sample as
   * identity-less.
   */
  readonly mirrored: Uint8Array;
}

/**
 * One batch, as views of arrays the batcher owns: the next `next()` overwrites them (copy what you keep).
 * Float32 on the model path; 0/1 masks and adjacency as floats so they feed a graph directly.
 */
export interface Batch {
  readonly batchSize: number;
  readonly maxPoints: number;
  /** Which batch this is (batch k depends on (seed, k) only). */
  readonly index: number;
  /** [B, N, 2]: normalised 2D (core `normalizeKeypoints`), 0 where mask is 0. */
  readonly points2d: Float32Array;
  /** [B, N]: 1 = visible; 0 = occluded or padding. */
  readonly mask: Float32Array;
  /** [B, N, N]: local-attention graph (bones, or kNN when the source has none); diagonal all 1. */
  readonly adj: Float32Array;
  /**
   * [B, N, N] with `BatcherOptions.pairs`: P[b,i,j] = 1 iff slot j holds the left/right mirror
   * partner of slot i's joint (`writeMirrorPairs`), after every stage that selects, reorders or
   * mirrors joints — a kept joint whose partner was not kept gets a zero row, as do centre-line
   * joints, padding, and every slot of a source without pairs. Occluded slots keep their pairs (the
   * model masks them). Undefined without the option.
   */
  readonly pairs?: Float32Array;
  /**
   * [B, N, 3]: the loss target, camera-frame orientation (R applied), centred on the visible joints'
   * mean and divided by their RMS radius (so its visible RMS radius is 1); 0 where mask is 0.
   * Dataset units: target3d · scale3d; world frame: Rᵀ (target3d · scale3d) + center3d.
   */
  readonly target3d: Float32Array;
  readonly info: BatchInfo;
}

export interface Batcher {
  readonly batchSize: number;
  readonly maxPoints: number;
  readonly sampler: BalancedSampler;
  /** Per source: the frames it draws from (those with ≥ 3 valid joints in its split). */
  readonly sourceFrames: readonly Int32Array[];
  /** Index of the batch the next `next()` returns. */
  readonly position: number;
  /** The next batch (views of preallocated arrays, overwritten by the next call). */
  next(): Batch;
  /** Make batch `index` the next one (resume a run without replaying it). */
  seek(index: number): void;
}

/** Attempts per sample before giving up (a source whose frames never give 3 distinct visible points). */
const MAX_ATTEMPTS = 100;

type Source = StageSource & {
  readonly frames: Int32Array;
};

/**
 * The training batch pipeline: category-balanced sampling of (source, frame) → shape-space augmentation
 * of the 3D (mirror, bone scaling, re-articulation, anisotropic scaling; all off by default) → joint
 * selection (random subset, ≤ N) → random point order → uniform SO(3) view, camera at a random
 * multiple of the RMS radius, projection → occlusion → 2D noise → core normalisation and padding → bone
 * or kNN adjacency (and, with `pairs`, the slots' mirror partners), into preallocated Float32Arrays
 * (nothing is allocated per sample). Each step is a named stage of sample-stages.ts (`SAMPLE_STAGES`
 * per sample, then `BATCH_STAGES`), run in the order of their random draws.
 * Same seed → identical batches. InputError for bad options or a rig/dataset joint-count mismatch.
 */
export function createBatcher(options: BatcherOptions): Batcher {
  const B = options.batchSize;
  const N = options.maxPoints;
  if (!Number.isInteger(B) || B < 1) throw new InputError(`batchSize must be an integer ≥ 1, got ${B}`);
  if (!Number.isInteger(N) || N < 3) throw new InputError(`maxPoints must be an integer ≥ 3, got ${N}`);
  if (options.sources.length === 0) throw new InputError('createBatcher: no sources');
  const k = options.knn ?? DEFAULT_KNN_K;
  if (!Number.isInteger(k) || k < 1) throw new InputError(`knn must be an integer ≥ 1, got ${k}`);
  const aug = resolveAugment(options.augment);
  const seed = options.seed ?? 0;
  const needsMirrorPairs =
    aug.mirrorProbability > 0 || aug.boneScaleProbability > 0 || options.pairs === true;
  const sources = options.sources.map((source, i) => resolveSource(source, i, needsMirrorPairs));
  const sampler = createBalancedSampler(
    options.sources.map((s, i) => ({
      category: s.category ?? s.dataset.category,
      size: sources[i]!.frames.length,
      ...(s.weight !== undefined ? { weight: s.weight } : {}),
    })),
    options.sampling,
  );
  const maxJ = sources.reduce((m, s) => Math.max(m, s.J), 0);
  const maxBoneEntries = sources.reduce(
    (m, s) => Math.max(m, s.bones?.length ?? 0, ...(s.seqBones ?? []).map((b) => b.length)),
    0,
  );

  const points2d = new Float32Array(B * N * 2);
  const mask = new Float32Array(B * N);
  const adj = new Float32Array(B * N * N);
  const pairs = options.pairs === true ? new Float32Array(B * N * N) : undefined;
  const target3d = new Float32Array(B * N * 3);
  const info: BatchInfo = {
    source: new Int32Array(B),
    frame: new Int32Array(B),
    numPoints: new Int32Array(B),
    numVisible: new Int32Array(B),
    jointIndex: new Int32Array(B * N),
    center2d: new Float64Array(B * 2),
    scale2d: new Float64Array(B),
    center3d: new Float64Array(B * 3),
    scale3d: new Float64Array(B),
    rotation: new Float64Array(B * 9),
    translation: new Float64Array(B * 3),
    focal: new Float64Array(B),
    camera: new Uint8Array(B),
    mirrored: new Uint8Array(B),
  };
  const scratch: StageScratch = {
    sel: new Int32Array(maxJ),
    cam: new Float64Array(N * 3),
    visible: new Int32Array(N),
    q: new Float64Array(4),
    R: new Float64Array(9),
    slotOfJoint: new Int32Array(maxJ).fill(-1),
    knn: createKnnScratch(N, k),
    clean2d: aug.noiseStd > 0 && aug.noiseNormalized ? new Float32Array(B * N * 2) : null,
    sampleBones: new Array<Int32Array | null>(B).fill(null),
    world: new Float64Array(3 * maxJ),
    centre: new Float64Array(3),
    shape: createShapeScratch(maxJ, maxBoneEntries),
  };
  let position = 0;
  const batch = {
    batchSize: B,
    maxPoints: N,
    index: 0,
    points2d,
    mask,
    adj,
    ...(pairs && { pairs }),
    target3d,
    info,
  };

  const c: SampleContext = {
    aug,
    N,
    k,
    batch,
    scratch,
    sources,
    rng: new Rng([seed, 0]),
    b: 0,
    s: 0,
    src: sources[0]!,
    frame: 0,
    bones: new Int32Array(0),
    n: 0,
    tree: null,
    radius: 0,
    model: 0,
    distance: 0,
    near: 0,
    nVisible: 0,
    count: 0,
    mx: 0,
    my: 0,
    mz: 0,
    scale3d: 0,
  };
  const drawSample = (): boolean => {
    for (const stage of SAMPLE_STAGES) if (!stage(c)) return false;
    return true;
  };
  const fill = (b: number, rng: Rng): void => {
    c.b = b;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      c.s = sampler.pick(rng);
      const src = sources[c.s]!;
      c.src = src;
      c.frame = src.frames[rng.int(src.frames.length)]!;
      if (drawSample()) return;
    }
    throw new DegenerateError(
      `could not draw a sample with ≥ 3 visible, non-coincident 2D points in ${MAX_ATTEMPTS} attempts ` +
        `(the last: ${c.src.name} frame ${c.frame}); check that source for coincident joints, or lower ` +
        'the camera distance range if points fall behind the camera',
    );
  };

  return {
    batchSize: B,
    maxPoints: N,
    sampler,
    sourceFrames: sources.map((s) => s.frames),
    get position() {
      return position;
    },
    seek(index: number) {
      if (!Number.isInteger(index) || index < 0)
        throw new InputError(`seek: index must be an integer ≥ 0, got ${index}`);
      position = index;
    },
    next(): Batch {
      const rng = new Rng([seed, position]);
      batch.index = position++;
      c.rng = rng;
      for (let b = 0; b < B; b++) fill(b, rng);
      for (const stage of BATCH_STAGES) stage(c, B);
      return batch;
    },
  };
}

function resolveSource(source: BatchSource, i: number, needsMirrorPairs: boolean): Source {
  const ds = source.dataset;
  const J = ds.numJoints;
  const where = `source ${i} (${ds.name})`;
  if (ds.points.length !== ds.frames * J * 3) {
    throw new ShapeError(`${where}: points has ${ds.points.length} values, expected [${ds.frames}, ${J}, 3]`);
  }
  const wanted = source.frames ? Int32Array.from(source.frames) : splitFrames(ds, source.split ?? 'train');
  // Keep frames with ≥ 3 valid (non-NaN) joints: fewer can never make a sample.
  let n = 0;
  const frames = new Int32Array(wanted.length);
  for (const f of wanted) {
    if (!(f >= 0 && f < ds.frames)) throw new InputError(`${where}: frame ${f} is outside [0, ${ds.frames})`);
    let valid = 0;
    for (let j = 0; j < J && valid < 3; j++) if (!Number.isNaN(ds.points[3 * (f * J + j)])) valid++;
    if (valid >= 3) frames[n++] = f;
  }
  let bones: Int32Array | null = null;
  let seqBones: Int32Array[] | null = null;
  let seqStart: Int32Array | null = null;
  if (source.rig) {
    if (source.rig.numJoints !== J) {
      throw new InputError(
        `${where}: rig '${source.rig.id}' has ${source.rig.numJoints} joints but the dataset has ${J}`,
      );
    }
    bones = flattenBones(source.rig.boneIndices, J);
  } else if (ds.sequences.some((s) => s.edges)) {
    seqBones = ds.sequences.map((s) => flattenBones(sequenceEdges(ds, s), J));
    seqStart = Int32Array.from(ds.sequences, (s) => s.start);
  } else {
    bones = flattenBones(ds.edges, J);
  }
  let mirrorOf: Int32Array | null = null;
  if (needsMirrorPairs) {
    const pairs = source.rig
      ? source.rig.mirrorIndex.flatMap((m, j) => (m > j ? [[j, m] as const] : []))
      : (ds.symmetry ?? []);
    mirrorOf = mirrorIndexOf(pairs, J, `${where} symmetry`);
  }
  return {
    name: ds.name,
    points: ds.points,
    J,
    frames: frames.slice(0, n),
    bones,
    seqBones,
    seqStart,
    mirrorOf,
  };
}
