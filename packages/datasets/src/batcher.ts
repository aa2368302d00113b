import { DegenerateError, InputError, normalizeKeypoints, Rng, randomRotation, ShapeError } from '@lfm/core';
import type { Rig } from '@lfm/rig';
import { type AugmentOptions, type ResolvedAugment, resolveAugment } from './augment.js';
import { type Dataset, type Split, sequenceEdges, splitFrames } from './dataset.js';
import { projectPoint } from './preprocess/camera.js';
import {
  createKnnScratch,
  DEFAULT_KNN_K,
  flattenBones,
  type KnnScratch,
  writeBoneAdjacency,
  writeKnnAdjacency,
} from './preprocess/graph.js';
import { writeMirrorPairs } from './preprocess/mirror-pairs.js';
import { type BalancedSampler, type BalancedSamplerOptions, createBalancedSampler } from './sampler.js';
import {
  createShapeScratch,
  happens,
  jointCentroid,
  jointTree,
  mirrorIndexOf,
  mirrorShape,
  rearticulate,
  type ShapeScratch,
  scaleAnisotropic,
  scaleBones,
} from './shape-augment.js';

/**
 * What the batcher reads of a dataset (a loaded `Dataset` qualifies; tests build them in memory).
 * `symmetry` (left/right mirror pairs) is only read by the `mirror` and `boneScale` augmentations,
 * when the source has no rig.
 */
export type DatasetLike = Pick<
  Dataset,
  'name' | 'category' | 'numJoints' | 'frames' | 'points' | 'edges' | 'sequences'
> &
  Partial<Pick<Dataset, 'symmetry'>>;

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
/** Pinhole clip: a point nearer than this fraction of the camera distance is treated as invisible. */
const NEAR_FRACTION = 0.1;

interface Source {
  readonly name: string;
  readonly points: Float32Array;
  readonly J: number;
  readonly frames: Int32Array;
  /** Flat bones shared by all frames, or null when they differ per sequence. */
  readonly bones: Int32Array | null;
  /** Per sequence flat bones and starts, when bones differ per sequence. */
  readonly seqBones: Int32Array[] | null;
  readonly seqStart: Int32Array | null;
  /** mirrorOf[j] = j's left/right partner (or j); null without pairs or when no stage reads them. */
  readonly mirrorOf: Int32Array | null;
}

/**
 * The training batch pipeline: category-balanced sampling of (source, frame) → shape-space augmentation
 * of the 3D (mirror, bone scaling, re-articulation, anisotropic scaling; all off by default) → joint
 * selection (random subset, ≤ N) → random point order → uniform SO(3) view, camera at a random
 * multiple of the RMS radius, projection → occlusion → 2D noise → core normalisation and padding → bone
 * or kNN adjacency (and, with `pairs`, the slots' mirror partners), into preallocated Float32Arrays
 * (nothing is allocated per sample).
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
  };
  const scratch: Scratch = {
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
  const pointsNd = { data: points2d, shape: [B, N, 2] };
  const maskNd = { data: mask, shape: [B, N] };
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

  const fill = (b: number, rng: Rng): void => {
    let s = 0;
    let frame = 0;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      s = sampler.pick(rng);
      const src = sources[s]!;
      frame = src.frames[rng.int(src.frames.length)]!;
      if (drawSample(b, s, src, frame, rng, aug, N, batch, scratch)) return;
    }
    throw new DegenerateError(
      `could not draw a sample with ≥ 3 visible, non-coincident 2D points in ${MAX_ATTEMPTS} attempts ` +
        `(the last: ${sources[s]!.name} frame ${frame}); check that source for coincident joints, or lower ` +
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
      for (let b = 0; b < B; b++) fill(b, rng);

      if (aug.noiseStd > 0) {
        let scale: Float64Array | undefined;
        if (scratch.clean2d) {
          // 'normalized' noise: the std is a fraction of the clean sample's 2D scale.
          normalizeKeypoints(pointsNd, maskNd, {
            points: scratch.clean2d,
            center: info.center2d,
            scale: info.scale2d,
          });
          scale = info.scale2d;
        }
        for (let b = 0; b < B; b++) {
          const std = aug.noiseStd * (scale ? scale[b]! : 1);
          for (let i = b * N; i < (b + 1) * N; i++) {
            if (mask[i] !== 1) continue;
            points2d[2 * i] = points2d[2 * i]! + std * rng.normal();
            points2d[2 * i + 1] = points2d[2 * i + 1]! + std * rng.normal();
          }
        }
      }
      normalizeKeypoints(pointsNd, maskNd, { points: points2d, center: info.center2d, scale: info.scale2d });

      for (let b = 0; b < B; b++) {
        const bones = scratch.sampleBones[b];
        if (bones && bones.length > 0) {
          const { slotOfJoint } = scratch;
          const n = info.numPoints[b]!;
          for (let i = 0; i < n; i++) slotOfJoint[info.jointIndex[b * N + i]!] = i;
          writeBoneAdjacency(bones, slotOfJoint, mask, b * N, N, adj, b * N * N);
          for (let i = 0; i < n; i++) slotOfJoint[info.jointIndex[b * N + i]!] = -1;
        } else {
          writeKnnAdjacency(points2d, mask, b * N, N, k, adj, b * N * N, scratch.knn);
        }
      }
      if (pairs) {
        // The relation of the slots' joints: a mirror (which swaps partners' points) keeps it.
        for (let b = 0; b < B; b++) {
          writeMirrorPairs(
            pairs.subarray(b * N * N, (b + 1) * N * N),
            info.jointIndex.subarray(b * N, (b + 1) * N),
            sources[info.source[b]!]!.mirrorOf,
          );
        }
      }
      return batch;
    },
  };
}

interface Scratch {
  readonly sel: Int32Array;
  readonly cam: Float64Array;
  readonly visible: Int32Array;
  readonly q: Float64Array;
  readonly R: Float64Array;
  readonly slotOfJoint: Int32Array;
  readonly knn: KnnScratch;
  readonly clean2d: Float32Array | null;
  readonly sampleBones: (Int32Array | null)[];
  /** [3·J]: the sample's frame (Float64), shape-space augmented in place. */
  readonly world: Float64Array;
  /** [3]: the kept joints' centre. */
  readonly centre: Float64Array;
  readonly shape: ShapeScratch;
}

interface MutableBatch {
  index: number;
  readonly points2d: Float32Array;
  readonly mask: Float32Array;
  readonly target3d: Float32Array;
  readonly info: BatchInfo;
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

function bonesOfFrame(src: Source, frame: number): Int32Array {
  if (src.bones) return src.bones;
  const starts = src.seqStart!;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= frame) lo = mid;
    else hi = mid - 1;
  }
  return src.seqBones![lo]!;
}

/** Fills sample b from (source s, frame); false when the draw is unusable (the caller redraws). */
function drawSample(
  b: number,
  s: number,
  src: Source,
  frame: number,
  rng: Rng,
  aug: ResolvedAugment,
  N: number,
  batch: MutableBatch,
  scratch: Scratch,
): boolean {
  const { sel, cam, visible, q, R, world: X, shape } = scratch;
  const P = src.points;
  const J = src.J;
  const base = 3 * frame * J;
  for (let c = 0; c < 3 * J; c++) X[c] = P[base + c]!; // the frame, Float32 → Float64 (exact)
  const bones = bonesOfFrame(src, frame);

  // 1. Joints: the valid ones (after a mirror, which swaps pairs, missing joints included), then
  // shape-space augmentation of them (dataset frame; a disabled stage draws nothing), then a random
  // subset, at most N (selection sampling keeps their order).
  if (happens(rng, aug.mirrorProbability)) mirrorShape(X, J, src.mirrorOf);
  let n = 0;
  for (let j = 0; j < J; j++) if (!Number.isNaN(X[3 * j])) sel[n++] = j;
  if (n < 3) return false;
  const tree =
    aug.boneScaleProbability > 0 || aug.rearticulateProbability > 0
      ? jointTree(X, bones, sel, n, shape)
      : null;
  if (tree && happens(rng, aug.boneScaleProbability))
    scaleBones(X, tree, aug.boneScaleMaxLog, src.mirrorOf, rng, shape);
  if (tree && happens(rng, aug.rearticulateProbability))
    rearticulate(X, tree, aug.rearticulateMaxAngle, rng, shape);
  if (happens(rng, aug.anisotropicProbability))
    scaleAnisotropic(X, sel, n, aug.anisotropicMaxLog, rng, shape);
  if (aug.subsetProbability > 0 && rng.uniform() < aug.subsetProbability) {
    const lo = Math.min(aug.subsetMinPoints, n);
    n = selectOrdered(sel, n, lo + rng.int(n - lo + 1), rng);
  }
  if (n > N) n = selectOrdered(sel, n, N, rng);
  // 2. Slot order.
  if (aug.permute) {
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = sel[i]!;
      sel[i] = sel[j]!;
      sel[j] = t;
    }
  }

  // 3. Centre and RMS radius of the kept joints (Float64).
  const mean = jointCentroid(X, sel, n, scratch.centre);
  const cx = mean[0]!;
  const cy = mean[1]!;
  const cz = mean[2]!;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const o = 3 * sel[i]!;
    const dx = X[o]! - cx;
    const dy = X[o + 1]! - cy;
    const dz = X[o + 2]! - cz;
    ss += dx * dx + dy * dy + dz * dz;
  }
  const radius = Math.sqrt(ss / n);
  if (!(radius > 0)) return false;

  // 4. View: R uniform on SO(3) (core randomRotation, its quaternion in scratch: no allocation),
  // camera model, distance.
  if (aug.rotate) {
    randomRotation(rng, R, q);
  } else {
    R.fill(0);
    R[0] = R[4] = R[8] = 1;
  }
  const codes = aug.cameraCodes;
  const model = codes.length === 1 ? codes[0]! : codes[rng.int(codes.length)]!;
  const distance = radius * (aug.distanceMin + (aug.distanceMax - aug.distanceMin) * rng.uniform());
  const f = aug.focal;
  const near = NEAR_FRACTION * distance;

  // 5. Project: cam = R (p − c) (kept for the target), 2D of cam + (0, 0, distance).
  const { points2d, mask, target3d, info } = batch;
  const o2 = 2 * b * N;
  let nVisible = 0;
  for (let i = 0; i < n; i++) {
    const o = 3 * sel[i]!;
    const dx = X[o]! - cx;
    const dy = X[o + 1]! - cy;
    const dz = X[o + 2]! - cz;
    const x = R[0]! * dx + R[1]! * dy + R[2]! * dz;
    const y = R[3]! * dx + R[4]! * dy + R[5]! * dz;
    const z = R[6]! * dx + R[7]! * dy + R[8]! * dz;
    cam[3 * i] = x;
    cam[3 * i + 1] = y;
    cam[3 * i + 2] = z;
    if (projectPoint(model, f, f, 0, 0, distance, near, x, y, z + distance, points2d, o2 + 2 * i)) {
      visible[nVisible++] = i;
      mask[b * N + i] = 1;
    } else {
      mask[b * N + i] = 0;
    }
  }
  if (nVisible < 3) return false;

  // 6. Occlusion: m of the visible points, m = ⌊u · maxFraction · n⌋, keeping ≥ 3 visible.
  if (aug.occlusionProbability > 0 && rng.uniform() < aug.occlusionProbability) {
    const m = Math.min(Math.floor(rng.uniform() * aug.occlusionMaxFraction * n), nVisible - 3);
    for (let k = 0; k < m; k++) {
      const pick = k + rng.int(nVisible - k);
      const slot = visible[pick]!;
      visible[pick] = visible[k]!;
      visible[k] = slot;
      mask[b * N + slot] = 0;
    }
  }

  // 7. Reject coincident visible 2D (normalisation would have zero extent); zero masked 2D.
  let umin = Infinity;
  let umax = -Infinity;
  let vmin = Infinity;
  let vmax = -Infinity;
  let mx = 0;
  let my = 0;
  let mz = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const k = o2 + 2 * i;
    if (mask[b * N + i] !== 1) {
      points2d[k] = 0;
      points2d[k + 1] = 0;
      continue;
    }
    const u = points2d[k]!;
    const v = points2d[k + 1]!;
    if (u < umin) umin = u;
    if (u > umax) umax = u;
    if (v < vmin) vmin = v;
    if (v > vmax) vmax = v;
    mx += cam[3 * i]!;
    my += cam[3 * i + 1]!;
    mz += cam[3 * i + 2]!;
    count++;
  }
  const extent = Math.max(umax - umin, vmax - vmin);
  const magnitude = Math.max(Math.abs(umin), Math.abs(umax), Math.abs(vmin), Math.abs(vmax));
  if (!(extent > 1e-6 * magnitude) || !Number.isFinite(magnitude)) return false;

  // 8. Target: visible joints centred on their mean, divided by their RMS radius (camera orientation).
  mx /= count;
  my /= count;
  mz /= count;
  ss = 0;
  for (let i = 0; i < n; i++) {
    if (mask[b * N + i] !== 1) continue;
    const dx = cam[3 * i]! - mx;
    const dy = cam[3 * i + 1]! - my;
    const dz = cam[3 * i + 2]! - mz;
    ss += dx * dx + dy * dy + dz * dz;
  }
  const scale3d = Math.sqrt(ss / count);
  if (!(scale3d > 0)) return false;
  const inv = 1 / scale3d;
  const o3 = 3 * b * N;
  for (let i = 0; i < n; i++) {
    const k = o3 + 3 * i;
    if (mask[b * N + i] !== 1) {
      target3d[k] = target3d[k + 1] = target3d[k + 2] = 0;
    } else {
      target3d[k] = (cam[3 * i]! - mx) * inv;
      target3d[k + 1] = (cam[3 * i + 1]! - my) * inv;
      target3d[k + 2] = (cam[3 * i + 2]! - mz) * inv;
    }
  }
  // Padding.
  points2d.fill(0, o2 + 2 * n, o2 + 2 * N);
  mask.fill(0, b * N + n, (b + 1) * N);
  target3d.fill(0, o3 + 3 * n, o3 + 3 * N);

  // 9. Bookkeeping.
  info.source[b] = s;
  info.frame[b] = frame;
  info.numPoints[b] = n;
  info.numVisible[b] = count;
  const ji = info.jointIndex;
  for (let i = 0; i < n; i++) ji[b * N + i] = sel[i]!;
  ji.fill(-1, b * N + n, (b + 1) * N);
  // center3d = c + Rᵀ m (m: visible mean in the rotated, centred frame).
  info.center3d[3 * b] = cx + R[0]! * mx + R[3]! * my + R[6]! * mz;
  info.center3d[3 * b + 1] = cy + R[1]! * mx + R[4]! * my + R[7]! * mz;
  info.center3d[3 * b + 2] = cz + R[2]! * mx + R[5]! * my + R[8]! * mz;
  info.scale3d[b] = scale3d;
  info.rotation.set(R, 9 * b);
  // camFromWorld: pointsCam = R p + t with t = (0, 0, distance) − R c.
  info.translation[3 * b] = -(R[0]! * cx + R[1]! * cy + R[2]! * cz);
  info.translation[3 * b + 1] = -(R[3]! * cx + R[4]! * cy + R[5]! * cz);
  info.translation[3 * b + 2] = distance - (R[6]! * cx + R[7]! * cy + R[8]! * cz);
  info.focal[b] = f;
  info.camera[b] = model;
  // 10. Graph: the bones, or (knnGraph) the kNN graph an unknown rig gets at inference.
  scratch.sampleBones[b] = bones.length > 0 && happens(rng, aug.knnGraphProbability) ? null : bones;
  return true;
}

/**
 * Keeps a uniformly random k of a[0..n) in place, preserving their order (Knuth's selection
 * sampling, algorithm S); returns k.
 */
function selectOrdered(a: Int32Array, n: number, k: number, rng: Rng): number {
  let kept = 0;
  for (let i = 0; i < n && kept < k; i++) {
    if (rng.uniform() * (n - i) < k - kept) a[kept++] = a[i]!;
  }
  return k;
}
