import { normalizeKeypoints, type Rng, randomRotation } from '@lfm/core';
import type { ResolvedAugment } from './augment.js';
import type { Batch } from './batcher.js';
import { projectPoint } from './preprocess/camera.js';
import { type KnnScratch, writeBoneAdjacency, writeKnnAdjacency } from './preprocess/graph.js';
import { writeMirrorPairs } from './preprocess/mirror-pairs.js';
import {
  happens,
  type JointTree,
  jointCentroid,
  jointTree,
  mirrorShape,
  rearticulate,
  type ShapeScratch,
  scaleAnisotropic,
  scaleBones,
} from './shape-augment.js';

/*
 * The batch pipeline as named stages. A sample is made by `SAMPLE_STAGES` in order (each reads and
 * writes the sample's state; `false` = an unusable draw, the batcher redraws); then the batch-level
 * stages (`BATCH_STAGES`) run over all B samples. A new augmentation is one more stage in its place.
 * The order of the stages is the order of the random draws: moving one changes every batch (the
 * golden hashes in golden.test.ts guard it). A disabled stage draws no random number.
 */

/** What a stage reads of a batch source (the batcher's resolved form of a `BatchSource`). */
export interface StageSource {
  readonly name: string;
  readonly points: Float32Array;
  readonly J: number;
  /** Flat bones shared by all frames, or null when they differ per sequence. */
  readonly bones: Int32Array | null;
  /** Per sequence flat bones and starts, when bones differ per sequence. */
  readonly seqBones: Int32Array[] | null;
  readonly seqStart: Int32Array | null;
  /** mirrorOf[j] = j's left/right partner (or j); null without pairs or when no stage reads them. */
  readonly mirrorOf: Int32Array | null;
}

/** The batch arrays the stages fill (the batcher's `Batch`). */
export type StageBatch = Pick<Batch, 'points2d' | 'mask' | 'adj' | 'pairs' | 'target3d' | 'info'>;

/** Preallocated working memory (nothing is allocated per sample). */
export interface StageScratch {
  /** [J]: the kept joints (slot i holds joint sel[i]). */
  readonly sel: Int32Array;
  /** [N, 3]: the kept joints centred on their mean, then (projection) in the camera orientation. */
  readonly cam: Float64Array;
  /** [N]: slots of the visible points. */
  readonly visible: Int32Array;
  readonly q: Float64Array;
  /** [9]: camFromWorld rotation. */
  readonly R: Float64Array;
  readonly slotOfJoint: Int32Array;
  readonly knn: KnnScratch;
  /** [B, N, 2]: the clean normalised 2D, for 'normalized' noise; null otherwise. */
  readonly clean2d: Float32Array | null;
  /** Per sample: its bones, or null for the kNN graph. */
  readonly sampleBones: (Int32Array | null)[];
  /** [3·J]: the sample's frame (Float64), shape-space augmented in place. */
  readonly world: Float64Array;
  /** [3]: the kept joints' centre. */
  readonly centre: Float64Array;
  readonly shape: ShapeScratch;
}

/** Everything a stage sees: the batcher's fixed context and the current sample's state. */
export interface SampleContext {
  readonly aug: ResolvedAugment;
  /** N: slots per sample. */
  readonly N: number;
  /** k of the kNN graph. */
  readonly k: number;
  readonly batch: StageBatch;
  readonly scratch: StageScratch;
  readonly sources: readonly StageSource[];
  /** The batch's generator (batch k: Rng([seed, k])). */
  rng: Rng;
  // The sample being drawn.
  /** Sample index in the batch, its source index, source and frame. */
  b: number;
  s: number;
  src: StageSource;
  frame: number;
  /** The frame's flat bones. */
  bones: Int32Array;
  /** Joints kept (sel[0..n)). */
  n: number;
  /** The kinematic tree, when a stage needs one. */
  tree: JointTree | null;
  /** RMS radius of the kept joints about their centre. */
  radius: number;
  /** Camera model code, distance and near clip. */
  model: number;
  distance: number;
  near: number;
  nVisible: number;
  /** Visible points after occlusion, and their camera-frame mean. */
  count: number;
  mx: number;
  my: number;
  mz: number;
  scale3d: number;
}

/** A step of making one sample; false when the draw is unusable. */
export type SampleStage = (c: SampleContext) => boolean;

/** Pinhole clip: a point nearer than this fraction of the camera distance is treated as invisible. */
const NEAR_FRACTION = 0.1;

/** The frame, Float32 → Float64 (exact), and its bones. */
export function readFrame(c: SampleContext): boolean {
  const { src, frame } = c;
  const X = c.scratch.world;
  const P = src.points;
  const base = 3 * frame * src.J;
  for (let i = 0; i < 3 * src.J; i++) X[i] = P[base + i]!;
  c.bones = bonesOfFrame(src, frame);
  return true;
}

function bonesOfFrame(src: StageSource, frame: number): Int32Array {
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

/** Augmentation `mirror`: a left/right mirror image (missing joints swap too). */
export function mirrorStage(c: SampleContext): boolean {
  const mirrored = happens(c.rng, c.aug.mirrorProbability);
  if (mirrored) mirrorShape(c.scratch.world, c.src.J, c.src.mirrorOf);
  c.batch.info.mirrored[c.b] = mirrored ? 1 : 0; // set on every attempt: a redrawn sample starts over
  return true;
}

/** The valid (non-NaN) joints, in order; at least 3. */
export function validJoints(c: SampleContext): boolean {
  const { sel, world: X } = c.scratch;
  let n = 0;
  for (let j = 0; j < c.src.J; j++) if (!Number.isNaN(X[3 * j])) sel[n++] = j;
  c.n = n;
  return n >= 3;
}

/** The kinematic tree of the valid joints, when boneScale or rearticulate may use it. */
export function kinematicTree(c: SampleContext): boolean {
  const { aug, scratch } = c;
  c.tree =
    aug.boneScaleProbability > 0 || aug.rearticulateProbability > 0
      ? jointTree(scratch.world, c.bones, scratch.sel, c.n, scratch.shape)
      : null;
  return true;
}

/** Augmentation `boneScale`: per-bone length scaling along the tree. */
export function boneScaleStage(c: SampleContext): boolean {
  const { aug, scratch, tree } = c;
  if (tree && happens(c.rng, aug.boneScaleProbability))
    scaleBones(scratch.world, tree, aug.boneScaleMaxLog, c.src.mirrorOf, c.rng, scratch.shape);
  return true;
}

/** Augmentation `rearticulate`: a random subtree turned about its root joint. */
export function rearticulateStage(c: SampleContext): boolean {
  const { aug, scratch, tree } = c;
  if (tree && happens(c.rng, aug.rearticulateProbability))
    rearticulate(scratch.world, tree, aug.rearticulateMaxAngle, c.rng, scratch.shape);
  return true;
}

/** Augmentation `anisotropic`: scaling along three random orthogonal axes. */
export function anisotropicStage(c: SampleContext): boolean {
  const { aug, scratch } = c;
  if (happens(c.rng, aug.anisotropicProbability))
    scaleAnisotropic(scratch.world, scratch.sel, c.n, aug.anisotropicMaxLog, c.rng, scratch.shape);
  return true;
}

/** Augmentation `subset` (a random k of the joints, order kept), then at most N joints. */
export function subsetStage(c: SampleContext): boolean {
  const { aug, rng } = c;
  const { sel } = c.scratch;
  if (aug.subsetProbability > 0 && rng.uniform() < aug.subsetProbability) {
    const lo = Math.min(aug.subsetMinPoints, c.n);
    c.n = selectOrdered(sel, c.n, lo + rng.int(c.n - lo + 1), rng);
  }
  if (c.n > c.N) c.n = selectOrdered(sel, c.n, c.N, rng);
  return true;
}

/** Augmentation `permute`: a uniformly random slot order (Fisher–Yates). */
export function permuteStage(c: SampleContext): boolean {
  if (!c.aug.permute) return true;
  const { sel } = c.scratch;
  for (let i = c.n - 1; i > 0; i--) {
    const j = c.rng.int(i + 1);
    const t = sel[i]!;
    sel[i] = sel[j]!;
    sel[j] = t;
  }
  return true;
}

/**
 * Centre and RMS radius of the kept joints (Float64); a zero radius is unusable. Leaves the centred
 * joints p − c in `cam` (slot order) for the projection.
 */
export function centreStage(c: SampleContext): boolean {
  const { sel, world: X, cam } = c.scratch;
  const n = c.n;
  const mean = jointCentroid(X, sel, n, c.scratch.centre);
  const cx = mean[0]!;
  const cy = mean[1]!;
  const cz = mean[2]!;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const o = 3 * sel[i]!;
    const dx = X[o]! - cx;
    const dy = X[o + 1]! - cy;
    const dz = X[o + 2]! - cz;
    cam[3 * i] = dx;
    cam[3 * i + 1] = dy;
    cam[3 * i + 2] = dz;
    ss += dx * dx + dy * dy + dz * dz;
  }
  c.radius = Math.sqrt(ss / n);
  return c.radius > 0;
}

/**
 * The view: R uniform on SO(3) (core randomRotation, its quaternion in scratch: no allocation) or
 * the identity, a camera model, the distance (a multiple of the radius).
 */
export function viewStage(c: SampleContext): boolean {
  const { aug, rng } = c;
  const { R, q } = c.scratch;
  if (aug.rotate) {
    randomRotation(rng, R, q);
  } else {
    R.fill(0);
    R[0] = R[4] = R[8] = 1;
  }
  const codes = aug.cameraCodes;
  c.model = codes.length === 1 ? codes[0]! : codes[rng.int(codes.length)]!;
  c.distance = c.radius * (aug.distanceMin + (aug.distanceMax - aug.distanceMin) * rng.uniform());
  c.near = NEAR_FRACTION * c.distance;
  return true;
}

/** Projection: cam = R (p − c) in place (kept for the target), 2D of cam + (0, 0, distance); ≥ 3 visible. */
export function projectStage(c: SampleContext): boolean {
  const { cam, visible, R } = c.scratch;
  const { points2d, mask } = c.batch;
  const { b, N, n, model, distance, near } = c;
  const f = c.aug.focal;
  const o2 = 2 * b * N;
  let nVisible = 0;
  for (let i = 0; i < n; i++) {
    const dx = cam[3 * i]!;
    const dy = cam[3 * i + 1]!;
    const dz = cam[3 * i + 2]!;
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
  c.nVisible = nVisible;
  return nVisible >= 3;
}

/** Augmentation `occlusion`: m of the visible points, m = ⌊u · maxFraction · n⌋, keeping ≥ 3 visible. */
export function occlusionStage(c: SampleContext): boolean {
  const { aug, rng, b, N, nVisible } = c;
  const { visible } = c.scratch;
  const { mask } = c.batch;
  if (aug.occlusionProbability > 0 && rng.uniform() < aug.occlusionProbability) {
    const m = Math.min(Math.floor(rng.uniform() * aug.occlusionMaxFraction * c.n), nVisible - 3);
    for (let k = 0; k < m; k++) {
      const pick = k + rng.int(nVisible - k);
      const slot = visible[pick]!;
      visible[pick] = visible[k]!;
      visible[k] = slot;
      mask[b * N + slot] = 0;
    }
  }
  return true;
}

/**
 * Rejects coincident visible 2D (normalisation would have zero extent); zeroes masked 2D; the
 * visible points' count and camera-frame mean.
 */
export function visibleExtentStage(c: SampleContext): boolean {
  const { b, N, n } = c;
  const { points2d, mask } = c.batch;
  const { cam } = c.scratch;
  const o2 = 2 * b * N;
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
  c.count = count;
  c.mx = mx / count;
  c.my = my / count;
  c.mz = mz / count;
  return true;
}

/** The target: visible joints centred on their mean, divided by their RMS radius (camera orientation). */
export function targetStage(c: SampleContext): boolean {
  const { b, N, n, count, mx, my, mz } = c;
  const { mask, target3d } = c.batch;
  const { cam } = c.scratch;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    if (mask[b * N + i] !== 1) continue;
    const dx = cam[3 * i]! - mx;
    const dy = cam[3 * i + 1]! - my;
    const dz = cam[3 * i + 2]! - mz;
    ss += dx * dx + dy * dy + dz * dz;
  }
  const scale3d = Math.sqrt(ss / count);
  if (!(scale3d > 0)) return false;
  c.scale3d = scale3d;
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
  return true;
}

/** Padding, and the sample's BatchInfo (where it came from, how to get back to dataset units). */
export function bookkeepingStage(c: SampleContext): boolean {
  const { b, N, n, mx, my, mz, distance } = c;
  const { points2d, mask, target3d, info } = c.batch;
  const { sel, R, centre } = c.scratch;
  const cx = centre[0]!;
  const cy = centre[1]!;
  const cz = centre[2]!;
  points2d.fill(0, 2 * b * N + 2 * n, 2 * b * N + 2 * N);
  mask.fill(0, b * N + n, (b + 1) * N);
  target3d.fill(0, 3 * b * N + 3 * n, 3 * b * N + 3 * N);
  info.source[b] = c.s;
  info.frame[b] = c.frame;
  info.numPoints[b] = n;
  info.numVisible[b] = c.count;
  const ji = info.jointIndex;
  for (let i = 0; i < n; i++) ji[b * N + i] = sel[i]!;
  ji.fill(-1, b * N + n, (b + 1) * N);
  // center3d = c + Rᵀ m (m: visible mean in the rotated, centred frame).
  info.center3d[3 * b] = cx + R[0]! * mx + R[3]! * my + R[6]! * mz;
  info.center3d[3 * b + 1] = cy + R[1]! * mx + R[4]! * my + R[7]! * mz;
  info.center3d[3 * b + 2] = cz + R[2]! * mx + R[5]! * my + R[8]! * mz;
  info.scale3d[b] = c.scale3d;
  info.rotation.set(R, 9 * b);
  // camFromWorld: pointsCam = R p + t with t = (0, 0, distance) − R c.
  info.translation[3 * b] = -(R[0]! * cx + R[1]! * cy + R[2]! * cz);
  info.translation[3 * b + 1] = -(R[3]! * cx + R[4]! * cy + R[5]! * cz);
  info.translation[3 * b + 2] = distance - (R[6]! * cx + R[7]! * cy + R[8]! * cz);
  info.focal[b] = c.aug.focal;
  info.camera[b] = c.model;
  return true;
}

/** Augmentation `knnGraph`: the bones, or the kNN graph an unknown rig gets at inference. */
export function graphChoiceStage(c: SampleContext): boolean {
  const { bones } = c;
  c.scratch.sampleBones[c.b] = bones.length > 0 && happens(c.rng, c.aug.knnGraphProbability) ? null : bones;
  return true;
}

/** The stages of one sample, in the order of their random draws. */
export const SAMPLE_STAGES: readonly SampleStage[] = [
  readFrame,
  mirrorStage,
  validJoints,
  kinematicTree,
  boneScaleStage,
  rearticulateStage,
  anisotropicStage,
  subsetStage,
  permuteStage,
  centreStage,
  viewStage,
  projectStage,
  occlusionStage,
  visibleExtentStage,
  targetStage,
  bookkeepingStage,
  graphChoiceStage,
];

/** Augmentation `noise`: Gaussian noise on the visible 2D, std in pixels or of the clean 2D scale. */
export function noiseStage(c: SampleContext, B: number): void {
  const { aug, N, rng } = c;
  if (!(aug.noiseStd > 0)) return;
  const { points2d, mask, info } = c.batch;
  let scale: Float64Array | undefined;
  const clean2d = c.scratch.clean2d;
  if (clean2d) {
    // 'normalized' noise: the std is a fraction of the clean sample's 2D scale.
    normalizeBatch(c, B, clean2d);
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

/** Core normalisation of the 2D (centre, scale into BatchInfo), written to `out`. */
export function normalizeBatch(c: SampleContext, B: number, out: Float32Array): void {
  const { points2d, mask, info } = c.batch;
  normalizeKeypoints(
    { data: points2d, shape: [B, c.N, 2] },
    { data: mask, shape: [B, c.N] },
    { points: out, center: info.center2d, scale: info.scale2d },
  );
}

/** The adjacency of every sample: its bones between the slots' joints, or the kNN graph of its 2D. */
export function adjacencyStage(c: SampleContext, B: number): void {
  const { N, k, scratch } = c;
  const { points2d, mask, adj, info } = c.batch;
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
}

/** With `pairs`: the slots' mirror partners (a mirror, which swaps partners' points, keeps them). */
export function mirrorPairsStage(c: SampleContext, B: number): void {
  const { pairs, info } = c.batch;
  if (!pairs) return;
  const { N } = c;
  for (let b = 0; b < B; b++) {
    writeMirrorPairs(
      pairs.subarray(b * N * N, (b + 1) * N * N),
      info.jointIndex.subarray(b * N, (b + 1) * N),
      c.sources[info.source[b]!]!.mirrorOf,
    );
  }
}

/** A step over the whole batch, after every sample is drawn. */
export type BatchStage = (c: SampleContext, B: number) => void;

/** The batch-level stages, in order: noise, normalisation, the graph, the mirror partners. */
export const BATCH_STAGES: readonly BatchStage[] = [
  noiseStage,
  (c, B) => normalizeBatch(c, B, c.batch.points2d),
  adjacencyStage,
  mirrorPairsStage,
];

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
