import { InputError } from '@lfm/core';
import {
  createSyntheticEvalSet,
  type Dataset,
  type Edge,
  type KeypointSequence,
  type Keypoints2D,
  mirrorIndexOf,
  type Split,
  sequenceEdges,
  sequenceIndexOfFrame,
  splitFrames,
} from '@lfm/datasets';

/**
 * The 2D that `adapt` learns from, and nothing else: per rig, S samples of J 2D points with their
 * visibility and which samples are views of the same frame. No field holds 3D — the 3D of a dataset
 * is only read by the synthetic protocol to MAKE the 2D (it is the evaluation protocol's projection),
 * never kept (`adaptSamplesFromDataset`).
 */

/** The rig a sample set follows: its id (the name the adapted codes are stored under), joints and bones. */
export interface AdaptRig {
  readonly id: string;
  /** J joint names. */
  readonly joints: readonly string[];
  /** Bones (0-based index pairs) of the local attention; empty = the kNN graph of each sample's 2D. */
  readonly bones: readonly Edge[];
  /**
   * Length J: j's left/right mirror partner, or j (`@lfm/rig` `Rig.mirrorIndex`), fed to a model
   * with `mirrorPairs`; absent = no pairs known (zeros).
   */
  readonly mirrorIndex?: ArrayLike<number>;
  /** Its object category (a model with `anatomicalCodes` starts a rig it never saw from the codes of its named joints). */
  readonly category?: string;
}

/** The 2D samples of one rig. */
export interface AdaptSamples {
  readonly rig: AdaptRig;
  /** Where they came from, for messages (a dataset folder or name, a file). */
  readonly source: string;
  /** S. */
  readonly count: number;
  /** J. */
  readonly numJoints: number;
  /** [S, J, 2] 2D points in any units (pixels); 0 where masked. */
  readonly points2d: Float64Array;
  /** [S, J] 1 = visible. */
  readonly mask: Uint8Array;
  /**
   * [S] samples with the same group are views of one frame by different cameras (multi-view
   * consistency applies between them); every sample its own group for single-view data.
   */
  readonly group: Int32Array;
  /** Per-sample bones when they differ between samples (`perSequenceEdges` datasets): index into `boneSets`. */
  readonly boneSet?: Int32Array;
  readonly boneSets?: readonly (readonly Edge[])[];
}

/** Fewer visible points than this and a sample cannot be adapted on (Procrustes and the camera fit need 3). */
export const MIN_ADAPT_POINTS = 3;

/** Samples read from data, those with fewer than MIN_ADAPT_POINTS visible points left out. */
export interface KeptAdaptSamples extends AdaptSamples {
  /** How many were left out. */
  readonly dropped: number;
}

/** What `adaptSamplesFromDataset` reads of a dataset: a loaded `Dataset` qualifies. */
export type AdaptDataset = Pick<Dataset, 'name' | 'numJoints' | 'frames' | 'points' | 'sequences' | 'edges'> &
  Partial<Pick<Dataset, 'joints' | 'views' | 'dir' | 'perSequenceEdges' | 'category' | 'units' | 'symmetry'>>;

/** How a dataset's 2D is read (see `adaptSamplesFromDataset`). */
export interface DatasetSamplesOptions {
  /**
   * 'synthetic' (default): the evaluation protocol's projection of each frame of the split (one seeded
   * random view per frame, `createSyntheticEvalSet`); 'real': every real camera's observation
   * (`views.f32`) of each frame, the cameras of one frame grouped together.
   */
  readonly protocol?: 'synthetic' | 'real';
  /** Default 'train'. */
  readonly split?: Split | readonly Split[];
  /** Seed of the synthetic protocol (default 0 — `lfm eval`'s, so 'test' adapts transductively on its very views). */
  readonly seed?: number;
  /** At most this many frames, evenly spaced over the split. */
  readonly limit?: number;
  /** The rig id the adapted codes are stored under (default the dataset name). */
  readonly rigId?: string;
  /** That rig's category (default the dataset's): where a model with `anatomicalCodes` finds its joints' codes. */
  readonly category?: string;
}

/**
 * A dataset's 2D for `adapt`: `synthetic` projects the split's frames as `lfm eval` does (the 3D is
 * read here to make the 2D and dropped), `real` reads `views.f32` only (visibility from the 2D alone).
 * Samples with fewer than MIN_ADAPT_POINTS visible points are dropped (`dropped` counts them).
 * InputError (one line, naming the dataset) when the split has no frames, `real` finds no views.f32,
 * or no sample has ≥ 3 visible points.
 */
export function adaptSamplesFromDataset(
  ds: AdaptDataset,
  options: DatasetSamplesOptions = {},
): KeptAdaptSamples {
  const protocol = options.protocol ?? 'synthetic';
  const split = options.split ?? 'train';
  const J = ds.numJoints;
  let frames = splitFrames(ds, split);
  if (frames.length === 0) {
    const has = ['train', 'val', 'test'].filter((s) =>
      ds.sequences.some((q) => q.split === s && q.count > 0),
    );
    throw new InputError(
      `${ds.name}: no frames in split ${[split].flat().join('+')} (the data has ${has.length > 0 ? has.join(', ') : 'no frames'})`,
    );
  }
  if (options.limit !== undefined) {
    const n = Math.min(frames.length, options.limit);
    frames = Int32Array.from({ length: n }, (_, k) => frames[Math.floor((k * frames.length) / n)]!);
  }
  let points2d: Float64Array;
  let mask: Uint8Array;
  let group: Int32Array;
  let frameOf: Int32Array;
  if (protocol === 'synthetic') {
    const set = createSyntheticEvalSet(
      { category: '', units: '', ...ds },
      { frames, seed: options.seed ?? 0 },
    );
    ({ points2d, mask } = set);
    group = Int32Array.from(set.frame);
    frameOf = set.frame;
  } else {
    const views = ds.views;
    if (!views) {
      throw new InputError(
        `${ds.name}: no 2D from real cameras (views.f32); use --protocol synthetic for 3D-only data`,
      );
    }
    const V = views.count;
    const F = ds.frames;
    const S = V * frames.length;
    points2d = new Float64Array(S * J * 2);
    mask = new Uint8Array(S * J);
    group = new Int32Array(S);
    frameOf = new Int32Array(S);
    // Frame-major: the cameras of one frame are neighbours.
    let s = 0;
    for (const f of frames) {
      for (let v = 0; v < V; v++, s++) {
        group[s] = f;
        frameOf[s] = f;
        for (let j = 0; j < J; j++) {
          const w = 2 * ((v * F + f) * J + j);
          const u = views.data[w]!;
          const y = views.data[w + 1]!;
          if (!Number.isFinite(u) || !Number.isFinite(y)) continue;
          mask[s * J + j] = 1;
          points2d[2 * (s * J + j)] = u;
          points2d[2 * (s * J + j) + 1] = y;
        }
      }
    }
  }
  const joints = ds.joints ?? Array.from({ length: J }, (_, j) => `j${j}`);
  const partners =
    (ds.symmetry?.length ?? 0) > 0 ? mirrorIndexOf(ds.symmetry!, J, `${ds.name} symmetry`) : null;
  const rig: AdaptRig = {
    id: options.rigId ?? ds.name,
    joints,
    bones: ds.edges,
    ...(partners && { mirrorIndex: partners }),
    category: options.category ?? ds.category,
  };
  const bones = ds.perSequenceEdges ? perSequenceBones(ds, frameOf) : undefined;
  return keepVisible(
    {
      rig,
      source: ds.dir ?? ds.name,
      count: group.length,
      numJoints: J,
      points2d,
      mask,
      group,
      ...bones,
    },
    protocol === 'real'
      ? `${ds.name}: no camera view has ${MIN_ADAPT_POINTS} or more visible points (views.f32 is empty or nearly so)`
      : `${ds.name}: no frame of split ${[split].flat().join('+')} has ${MIN_ADAPT_POINTS} or more visible points`,
  );
}

function perSequenceBones(ds: AdaptDataset, frameOf: Int32Array): Pick<AdaptSamples, 'boneSet' | 'boneSets'> {
  const boneSets = ds.sequences.map((q) => sequenceEdges(ds, q));
  return { boneSets, boneSet: Int32Array.from(frameOf, (f) => sequenceIndexOfFrame(ds, f)) };
}

/** InputError unless `what` (an item, a track of `source`) has the rig's J points. */
function checkRigSize(source: string, what: string, n: number, rig: AdaptRig): void {
  const J = rig.joints.length;
  if (n !== J) {
    throw new InputError(
      `${source}: ${what} has ${n} points, but rig ${rig.id} has ${J} joints (the rig must match the data)`,
    );
  }
}

/**
 * 2D keypoints read from a file (`parseKeypointJson`: our JSON list, COCO results, MediaPipe) as
 * samples of `rig`: every item must have the rig's J points (InputError naming the first that does
 * not), each item its own group (single camera). Items with fewer than 3 visible points are dropped.
 */
export function adaptSamplesFromKeypoints(
  kp: Keypoints2D,
  rig: AdaptRig,
  source = 'the input',
): KeptAdaptSamples {
  const N = kp.numPoints;
  const J = rig.joints.length;
  const items = kp.items.map((item, b) => ({
    what: `item ${b}`,
    numJoints: item.count,
    count: 1,
    points: kp.points.subarray(2 * b * N, 2 * (b * N + J)),
    mask: kp.mask.subarray(b * N, b * N + J),
  }));
  return singleCameraSamples(rig, source, items, 'item');
}

/**
 * A keypoint sequence (`readKeypointSequence`: our JSON, COCO, MediaPipe, OpenPose, DeepLabCut CSV;
 * what `lfm lift` reads) as samples of `rig`: every frame of every track is a sample, each its own
 * group (one camera). Every track must have the rig's J points (InputError naming the first that
 * does not). Samples with fewer than 3 visible points are dropped.
 */
export function adaptSamplesFromSequence(
  seq: KeypointSequence,
  rig: AdaptRig,
  source = 'the input',
): KeptAdaptSamples {
  const tracks = seq.tracks.map((t) => ({ ...t, what: `track ${t.key}`, count: t.frames.length }));
  return singleCameraSamples(rig, source, tracks, 'frame');
}

/**
 * Checks a sample set a caller built (`adapt({ samples })`): sizes agree with S and J, the 2D of a
 * visible point is finite, bones are in range. InputError naming the set otherwise.
 */
export function checkAdaptSamples(s: AdaptSamples): void {
  const { count: S, numJoints: J, source } = s;
  const fail = (why: string): never => {
    throw new InputError(`${source}: ${why}`);
  };
  if (!(Number.isInteger(S) && S >= 1)) fail(`no samples (count ${S})`);
  if (s.rig.joints.length !== J) {
    fail(`rig ${s.rig.id} has ${s.rig.joints.length} joints, the samples ${J} (the rig must match the data)`);
  }
  if (s.points2d.length !== S * J * 2)
    fail(`points2d has ${s.points2d.length} values, need S·J·2 = ${S * J * 2}`);
  if (s.mask.length !== S * J) fail(`mask has ${s.mask.length} values, need S·J = ${S * J}`);
  if (s.group.length !== S) fail(`group has ${s.group.length} values, need S = ${S}`);
  for (let k = 0; k < S * J; k++) {
    if (
      s.mask[k] === 1 &&
      !(Number.isFinite(s.points2d[2 * k]!) && Number.isFinite(s.points2d[2 * k + 1]!))
    ) {
      fail(`sample ${Math.floor(k / J)} point ${k % J} is visible but not finite`);
    }
  }
  const sets = s.boneSets ?? [s.rig.bones];
  for (const bones of sets) {
    for (const [i, j] of bones) {
      if (!(Number.isInteger(i) && Number.isInteger(j) && i >= 0 && j >= 0 && i < J && j < J && i !== j)) {
        fail(`bone [${i}, ${j}] is not a pair of joint indices in [0, ${J})`);
      }
    }
  }
}

/** One camera's 2D of a rig: an item of a keypoint file, or a track of a sequence (its frames). */
interface CameraPart {
  /** What it is, for messages: `item 3`, `track 0`. */
  readonly what: string;
  /** Points per sample (must be the rig's J). */
  readonly numJoints: number;
  /** Samples. */
  readonly count: number;
  /** [count, J, 2]. */
  readonly points: ArrayLike<number>;
  /** [count, J] 1 = present. */
  readonly mask: ArrayLike<number>;
}

/**
 * The samples of `parts`, each its own group (one camera): every part must have the rig's J points
 * (InputError naming the first that does not); a point is visible where present with finite 2D; samples
 * with fewer than MIN_ADAPT_POINTS visible are dropped (InputError when none is left: no `item` has enough).
 */
function singleCameraSamples(
  rig: AdaptRig,
  source: string,
  parts: readonly CameraPart[],
  item: string,
): KeptAdaptSamples {
  const J = rig.joints.length;
  let count = 0;
  for (const p of parts) {
    checkRigSize(source, p.what, p.numJoints, rig);
    count += p.count;
  }
  if (count === 0) throw new InputError(`${source}: no keypoints`);
  const points2d = new Float64Array(count * J * 2);
  const mask = new Uint8Array(count * J);
  let k = 0;
  for (const p of parts) {
    for (let i = 0; i < p.count * J; i++, k++) {
      const x = p.points[2 * i]!;
      const y = p.points[2 * i + 1]!;
      if (p.mask[i] !== 1 || !Number.isFinite(x) || !Number.isFinite(y)) continue;
      mask[k] = 1;
      points2d[2 * k] = x;
      points2d[2 * k + 1] = y;
    }
  }
  return keepVisible(
    {
      rig,
      source,
      count,
      numJoints: J,
      points2d,
      mask,
      group: Int32Array.from({ length: count }, (_, s) => s),
    },
    `${source}: no ${item} has ${MIN_ADAPT_POINTS} or more visible points`,
  );
}

/** The samples with ≥ MIN_ADAPT_POINTS visible points; InputError `empty` when none. */
function keepVisible(s: AdaptSamples, empty: string): KeptAdaptSamples {
  const J = s.numJoints;
  const keep: number[] = [];
  for (let k = 0; k < s.count; k++) {
    let n = 0;
    for (let j = 0; j < J; j++) n += s.mask[k * J + j]!;
    if (n >= MIN_ADAPT_POINTS) keep.push(k);
  }
  if (keep.length === 0) throw new InputError(empty);
  if (keep.length === s.count) return { ...s, dropped: 0 };
  const S = keep.length;
  const points2d = new Float64Array(S * J * 2);
  const mask = new Uint8Array(S * J);
  keep.forEach((k, i) => {
    points2d.set(s.points2d.subarray(2 * k * J, 2 * (k + 1) * J), 2 * i * J);
    mask.set(s.mask.subarray(k * J, (k + 1) * J), i * J);
  });
  return {
    ...s,
    count: S,
    points2d,
    mask,
    group: Int32Array.from(keep, (k) => s.group[k]!),
    ...(s.boneSet && { boneSet: Int32Array.from(keep, (k) => s.boneSet![k]!) }),
    dropped: s.count - S,
  };
}
