import { fnv1a32, InputError, Rng, randomRotation } from '@lfm/core';
import { type Dataset, type DatasetFrames, type Split, splitFrames } from './dataset.js';
import { type Intrinsics, PINHOLE, projectPoint } from './preprocess/camera.js';
import { jointCentroid } from './shape-augment.js';

/**
 * The evaluation protocols of docs/PROTOCOL.md, as data generators (the metrics are core's).
 *
 * `synthetic`: sample i of dataset d ↔ frame `frames[i]` of the evaluated split (ascending). A generator
 * seeded by (seed, d, i) — `new Rng([seed, d, i])` — draws R uniform on SO(3) (core `randomRotation`);
 * the shape is centred on the mean c of its valid joints, r is their RMS radius about c, and the pinhole
 * camera camFromWorld = { R, t = (0, 0, 6r) − R c } with fx = fy = 1000 px, principal point (0, 0)
 * views it. The 2D is that projection; missing (NaN) joints are masked (and a joint at or behind the
 * camera, z ≤ 0, which a shape 6 radii away essentially never has).
 * d = `evalDatasetKey(name)` (FNV-1a of the dataset name), so a dataset's samples do not depend on
 * which other datasets are evaluated with it or in what order; pass `datasetKey` to override.
 *
 * `real`: every real camera's observation (views.f32) of each evaluated frame. The 3D ground truth is
 * in the dataset's world frame and the source gives no intrinsics or extrinsics, so the camera frame is
 * unknown: `mpjpe` (camera frame, no rotation fitted) cannot be computed and is omitted; `paMpjpe` and
 * `nPaMpjpe` are rotation-invariant and are computed against the world-frame ground truth.
 */
export const SYNTHETIC_EVAL = Object.freeze({
  /** Camera distance in multiples of the shape's RMS radius. */
  distanceRadii: 6,
  intrinsics: Object.freeze({ fx: 1000, fy: 1000, cx: 0, cy: 0 }) as Intrinsics,
});

/** What evaluation reads of a dataset (a loaded `Dataset` qualifies). */
export type EvalDataset = DatasetFrames & Pick<Dataset, 'units'> & Partial<Pick<Dataset, 'views'>>;

export interface EvalSetOptions {
  /** Frames of these splits (default 'test'). */
  readonly split?: Split | readonly Split[];
  /** Explicit frame list (overrides `split`); sample i is frames[i]. */
  readonly frames?: ArrayLike<number>;
  /** Evaluate at most this many samples, evenly spaced over the frame list (i = ⌊k·n/limit⌋). */
  readonly limit?: number;
}

export interface SyntheticEvalOptions extends EvalSetOptions {
  /** Default 0. */
  readonly seed?: number;
  /** d of the protocol (default `evalDatasetKey(dataset.name)`). */
  readonly datasetKey?: number;
}

/** One `synthetic` sample. Shapes: J joints of the dataset. */
export interface SyntheticEvalSample {
  /** Sample index i (into the evaluated frame list) and the dataset frame it shows. */
  readonly index: number;
  readonly frame: number;
  /** [J, 2] pixels; 0 where masked. */
  readonly points2d: Float64Array;
  /** [J]: 1 = valid joint in front of the camera. */
  readonly mask: Uint8Array;
  /** [J, 3] ground truth in the camera frame (camFromWorld applied), dataset units; 0 where masked. */
  readonly pointsCam: Float64Array;
  /** camFromWorld (row-major R, t in dataset units). */
  readonly rotation: Float64Array;
  readonly translation: Float64Array;
  /** RMS radius r of the valid joints about their mean, dataset units (camera distance = 6r). */
  readonly radius: number;
}

/** A dataset's `synthetic` evaluation set: S samples stacked. */
export interface SyntheticEvalSet {
  readonly protocol: 'synthetic';
  readonly name: string;
  readonly category: string;
  readonly units: string;
  readonly seed: number;
  readonly datasetKey: number;
  readonly intrinsics: Intrinsics;
  /** S. */
  readonly count: number;
  /** J. */
  readonly numJoints: number;
  /** [S]: sample index i, and the frame it shows. */
  readonly index: Int32Array;
  readonly frame: Int32Array;
  /** [S, J, 2] pixels, 0 where masked. */
  readonly points2d: Float64Array;
  /** [S, J]. */
  readonly mask: Uint8Array;
  /** [S, J, 3] ground truth, world (dataset) frame and units; 0 where masked. */
  readonly points3d: Float64Array;
  /** [S, J, 3] ground truth in the camera frame; 0 where masked. */
  readonly pointsCam: Float64Array;
  /** [S, 9], [S, 3]: camFromWorld. */
  readonly rotation: Float64Array;
  readonly translation: Float64Array;
  /** [S]: RMS radius of the valid joints. */
  readonly radius: Float64Array;
}

/** The `real` evaluation set: each real camera's 2D of each evaluated frame (S = V · frames). */
export interface RealEvalSet {
  readonly protocol: 'real';
  readonly name: string;
  readonly category: string;
  readonly units: string;
  readonly count: number;
  readonly numJoints: number;
  readonly cameraIds: readonly string[];
  /** [S]: view v and frame of each sample (view-major: all frames of view 0 first). */
  readonly view: Int32Array;
  readonly frame: Int32Array;
  /** [S, J, 2] pixels as observed (x right, y down); 0 where masked. */
  readonly points2d: Float64Array;
  /** [S, J]: 1 = observed in that view and valid in 3D. */
  readonly mask: Uint8Array;
  /** [S, J, 3] ground truth, WORLD frame (the camera frame is unknown), dataset units; 0 where masked. */
  readonly points3d: Float64Array;
  /** Always null: no intrinsics/extrinsics in the source, so mpjpe is omitted (see above). */
  readonly camera: null;
}

/** d of the synthetic protocol for a dataset name: FNV-1a 32-bit of its UTF-16 code units. */
export function evalDatasetKey(name: string): number {
  return fnv1a32(name);
}

/** The sample indices evaluated out of n with a limit: all, or ⌊k·n/limit⌋ for k < limit. */
export function evalSampleIndices(n: number, limit?: number): Int32Array {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
    throw new InputError(`limit must be an integer ≥ 1, got ${limit}`);
  }
  const S = limit === undefined ? n : Math.min(n, limit);
  return Int32Array.from({ length: S }, (_, k) => Math.floor((k * n) / S));
}

/** Sample i of the `synthetic` protocol (see above); i indexes the evaluated frame list. */
export function syntheticEvalSample(
  dataset: EvalDataset,
  index: number,
  options: SyntheticEvalOptions = {},
): SyntheticEvalSample {
  const frames = evalFrames(dataset, options);
  if (!(Number.isInteger(index) && index >= 0 && index < frames.length)) {
    throw new InputError(`${dataset.name}: sample ${index} is outside [0, ${frames.length})`);
  }
  const J = dataset.numJoints;
  const out = {
    points2d: new Float64Array(J * 2),
    mask: new Uint8Array(J),
    pointsCam: new Float64Array(J * 3),
    rotation: new Float64Array(9),
    translation: new Float64Array(3),
  };
  const radius = writeSyntheticSample(dataset, frames[index]!, index, seedOf(dataset, options), out, 0);
  return { index, frame: frames[index]!, radius, ...out };
}

/** Every (or `limit` evenly spaced) `synthetic` sample of a dataset's evaluated split (default 'test'). */
export function createSyntheticEvalSet(
  dataset: EvalDataset,
  options: SyntheticEvalOptions = {},
): SyntheticEvalSet {
  const frames = evalFrames(dataset, options);
  const index = evalSampleIndices(frames.length, options.limit);
  const S = index.length;
  const J = dataset.numJoints;
  const [seed, datasetKey] = seedOf(dataset, options);
  const set = {
    protocol: 'synthetic' as const,
    name: dataset.name,
    category: dataset.category,
    units: dataset.units,
    seed,
    datasetKey,
    intrinsics: SYNTHETIC_EVAL.intrinsics,
    count: S,
    numJoints: J,
    index,
    frame: Int32Array.from(index, (i) => frames[i]!),
    points2d: new Float64Array(S * J * 2),
    mask: new Uint8Array(S * J),
    points3d: new Float64Array(S * J * 3),
    pointsCam: new Float64Array(S * J * 3),
    rotation: new Float64Array(S * 9),
    translation: new Float64Array(S * 3),
    radius: new Float64Array(S),
  };
  for (let s = 0; s < S; s++) {
    set.radius[s] = writeSyntheticSample(dataset, set.frame[s]!, index[s]!, [seed, datasetKey], set, s);
    copyGroundTruth(dataset, set.frame[s]!, set.mask, s * J, set.points3d);
  }
  return set;
}

/** The `real` protocol's samples (see above). InputError when the dataset has no views.f32. */
export function createRealEvalSet(dataset: EvalDataset, options: EvalSetOptions = {}): RealEvalSet {
  const views = dataset.views;
  if (!views) {
    throw new InputError(
      `${dataset.name} has no real camera views (views.f32), so the 'real' protocol does not apply; use 'synthetic'`,
    );
  }
  const frames = evalFrames(dataset, options);
  const picked = Int32Array.from(evalSampleIndices(frames.length, options.limit), (i) => frames[i]!);
  const V = views.count;
  const F = dataset.frames;
  const J = dataset.numJoints;
  const S = V * picked.length;
  const set = {
    protocol: 'real' as const,
    name: dataset.name,
    category: dataset.category,
    units: dataset.units,
    count: S,
    numJoints: J,
    cameraIds: views.cameraIds,
    view: new Int32Array(S),
    frame: new Int32Array(S),
    points2d: new Float64Array(S * J * 2),
    mask: new Uint8Array(S * J),
    points3d: new Float64Array(S * J * 3),
    camera: null,
  };
  const P = dataset.points;
  for (let v = 0, s = 0; v < V; v++) {
    for (const f of picked) {
      set.view[s] = v;
      set.frame[s] = f;
      for (let j = 0; j < J; j++) {
        const w = 2 * ((v * F + f) * J + j);
        const u = views.data[w]!;
        const y = views.data[w + 1]!;
        const p = 3 * (f * J + j);
        if (Number.isNaN(u) || Number.isNaN(y) || Number.isNaN(P[p])) continue;
        set.mask[s * J + j] = 1;
        set.points2d[2 * (s * J + j)] = u;
        set.points2d[2 * (s * J + j) + 1] = y;
        set.points3d.set(P.subarray(p, p + 3), 3 * (s * J + j));
      }
      s++;
    }
  }
  return set;
}

function evalFrames(dataset: EvalDataset, options: EvalSetOptions): Int32Array {
  const frames = options.frames
    ? Int32Array.from(options.frames)
    : splitFrames(dataset, options.split ?? 'test');
  for (const f of frames) {
    if (!(f >= 0 && f < dataset.frames))
      throw new InputError(`${dataset.name}: frame ${f} is outside [0, ${dataset.frames})`);
  }
  return frames;
}

function seedOf(dataset: EvalDataset, options: SyntheticEvalOptions): [number, number] {
  return [options.seed ?? 0, options.datasetKey ?? evalDatasetKey(dataset.name)];
}

interface SampleOut {
  readonly points2d: Float64Array;
  readonly mask: Uint8Array;
  readonly pointsCam: Float64Array;
  readonly rotation: Float64Array;
  readonly translation: Float64Array;
}

/** Writes sample `index` (frame `frame`) at slot s of `out`; returns the RMS radius. */
function writeSyntheticSample(
  dataset: EvalDataset,
  frame: number,
  index: number,
  [seed, key]: [number, number],
  out: SampleOut,
  s: number,
): number {
  const J = dataset.numJoints;
  const P = dataset.points;
  const base = 3 * frame * J;
  const present: number[] = [];
  for (let j = 0; j < J; j++) if (!Number.isNaN(P[base + 3 * j])) present.push(j);
  const n = present.length;
  if (n === 0) throw new InputError(`${dataset.name}: frame ${frame} has no valid joint`);
  const centre = jointCentroid(P.subarray(base, base + 3 * J), present, n);
  const [cx, cy, cz] = [centre[0]!, centre[1]!, centre[2]!];
  let ss = 0;
  for (const j of present) {
    const o = base + 3 * j;
    ss += (P[o]! - cx) ** 2 + (P[o + 1]! - cy) ** 2 + (P[o + 2]! - cz) ** 2;
  }
  const radius = Math.sqrt(ss / n);
  const R = out.rotation.subarray(9 * s, 9 * s + 9);
  randomRotation(new Rng([seed, key, index]), R);
  const d = SYNTHETIC_EVAL.distanceRadii * radius;
  const t = out.translation.subarray(3 * s, 3 * s + 3);
  t[0] = -(R[0]! * cx + R[1]! * cy + R[2]! * cz);
  t[1] = -(R[3]! * cx + R[4]! * cy + R[5]! * cz);
  t[2] = d - (R[6]! * cx + R[7]! * cy + R[8]! * cz);
  const { fx, fy, cx: px, cy: py } = SYNTHETIC_EVAL.intrinsics;
  for (let j = 0; j < J; j++) {
    const o = base + 3 * j;
    const k = s * J + j;
    if (Number.isNaN(P[o])) continue;
    const x = R[0]! * P[o]! + R[1]! * P[o + 1]! + R[2]! * P[o + 2]! + t[0]!;
    const y = R[3]! * P[o]! + R[4]! * P[o + 1]! + R[5]! * P[o + 2]! + t[1]!;
    const z = R[6]! * P[o]! + R[7]! * P[o + 1]! + R[8]! * P[o + 2]! + t[2]!;
    if (projectPoint(PINHOLE, fx, fy, px, py, 1, 0, x, y, z, out.points2d, 2 * k)) {
      out.mask[k] = 1;
      out.pointsCam[3 * k] = x;
      out.pointsCam[3 * k + 1] = y;
      out.pointsCam[3 * k + 2] = z;
    } else {
      out.points2d[2 * k] = 0;
      out.points2d[2 * k + 1] = 0;
    }
  }
  return radius;
}

function copyGroundTruth(
  dataset: EvalDataset,
  frame: number,
  mask: Uint8Array,
  first: number,
  out: Float64Array,
): void {
  const J = dataset.numJoints;
  for (let j = 0; j < J; j++) {
    if (mask[first + j] !== 1) continue;
    const p = 3 * (frame * J + j);
    out[3 * (first + j)] = dataset.points[p]!;
    out[3 * (first + j) + 1] = dataset.points[p + 1]!;
    out[3 * (first + j) + 2] = dataset.points[p + 2]!;
  }
}
