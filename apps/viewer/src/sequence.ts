import {
  dlcRigSpecs,
  isDlcCsv,
  isKeypointSequenceValue,
  isOpenPose,
  type KeypointSequence,
  type KeypointTrack,
  naturalCompare,
  parseDlcConfig,
  parseDlcCsv,
  parseOpenPose,
  retargetTrack,
  sequenceFromFrameValues,
  sequenceFromKeypointValue,
} from '@lfm/datasets/preprocess';
import { defineRig, matchRigByJoints, type Rig } from '@lfm/rig';
import { registerBuiltinRigs } from '@lfm/rigs';
import {
  type CameraResult,
  DataFormatError,
  type LiftedSequence,
  type Lifter,
  type LiftSequenceOptions,
  liftSequence,
  resolveRig,
  smoothSequence,
} from '@lfm/runtime';

import { frameOf } from './view3d.js';

registerBuiltinRigs();

/**
 * The page's sequence path, free of DOM and of any inference engine (the end-to-end test runs it in
 * Node against @lfm/runtime/node): dropped files → a KeypointSequence (a DeepLabCut predictions CSV,
 * optionally with the project's config.yaml for its rig; several OpenPose / our-JSON files, one frame
 * each, as a folder; one OpenPose file; our JSON / COCO / MediaPipe list with frame ids) → rigs
 * matched as `lfm lift` does → `liftSequence` with the orthographic camera (optionally One-Euro
 * smoothed, with the depth-flip fixer) → per-frame views of every track.
 */

/** A dropped or chosen file, read as text. */
export interface InputFile {
  readonly name: string;
  readonly text: string;
}

/** What the page does with a set of files. */
export type ViewerInput =
  | { readonly kind: 'single'; readonly name: string; readonly text: string }
  | {
      readonly kind: 'sequence';
      /** For the page: the files' names. */
      readonly name: string;
      readonly sequence: KeypointSequence;
      /** Rigs from a config.yaml dropped alongside, by id. */
      readonly rigs: ReadonlyMap<string, Rig>;
      /** One-line notes for the page (tracks without a rig, …). */
      readonly notes: readonly string[];
    };

const ext = (name: string) => name.slice(name.lastIndexOf('.') + 1).toLowerCase();

function parseJsonFile(f: InputFile): unknown {
  try {
    return JSON.parse(f.text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new DataFormatError(`invalid JSON (${(err as Error).message.split('\n')[0]})`, f.name);
  }
}

/**
 * Reads the files the page was given. One keypoint JSON file of a single frame (our lift JSON, COCO
 * results, MediaPipe landmarks) is `single` (the page's per-item view); everything else is a
 * sequence. DataFormatError (naming the file) for what cannot be read.
 */
export function readInputFiles(files: readonly InputFile[]): ViewerInput {
  if (files.length === 0) throw new DataFormatError('no file');
  const yaml = files.filter((f) => ext(f.name) === 'yaml' || ext(f.name) === 'yml');
  const csv = files.filter((f) => ext(f.name) === 'csv' || (ext(f.name) !== 'json' && isDlcCsv(f.text)));
  const json = files.filter((f) => !yaml.includes(f) && !csv.includes(f));
  const names = filesName(files);
  const rigs = new Map<string, Rig>();
  for (const y of yaml) {
    for (const spec of dlcRigSpecs(parseDlcConfig(y.text, y.name))) rigs.set(spec.id, defineRig(spec));
  }
  if (csv.length > 1) {
    throw new DataFormatError(
      `${csv.length} CSV files (${csv.map((f) => f.name).join(', ')}): drop one DeepLabCut predictions CSV at a time`,
    );
  }
  if (csv.length === 1 && json.length > 0) {
    throw new DataFormatError(
      `${csv[0]!.name} and ${json[0]!.name}: drop a DeepLabCut CSV (with its config.yaml) or JSON files, not both`,
    );
  }
  let sequence: KeypointSequence;
  if (csv.length === 1) {
    sequence = parseDlcCsv(csv[0]!.text, { file: csv[0]!.name });
  } else if (json.length > 1) {
    const sorted = [...json].sort((a, b) => naturalCompare(a.name, b.name));
    sequence = sequenceFromFrameValues(
      sorted.map((f) => ({ name: f.name, value: parseJsonFile(f) })),
      { folder: `${json.length} files` },
    );
  } else if (json.length === 1) {
    const f = json[0]!;
    if (!/^\uFEFF?\s*[[{]/.test(f.text)) {
      throw new DataFormatError(
        'neither JSON nor a DeepLabCut CSV (whose first cell is "scorer"): expected our JSON, COCO results, MediaPipe landmarks, OpenPose JSON or DeepLabCut predictions',
        f.name,
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(f.text.replace(/^\uFEFF/, ''));
    } catch {
      // The single-frame reader words JSON errors (line, column) as the page always has.
      if (yaml.length === 0) return { kind: 'single', name: f.name, text: f.text };
      value = parseJsonFile(f);
    }
    if (isOpenPose(value)) sequence = parseOpenPose(value, { file: f.name });
    else if (isKeypointSequenceValue(value)) sequence = sequenceFromKeypointValue(value, { file: f.name });
    else if (yaml.length > 0) {
      throw new DataFormatError(
        `${yaml[0]!.name} goes with a DeepLabCut predictions CSV, not with ${f.name}`,
      );
    } else return { kind: 'single', name: f.name, text: f.text };
  } else {
    throw new DataFormatError(
      'a config.yaml alone has no keypoints: drop it together with the predictions CSV',
      names,
    );
  }
  const notes: string[] = [];
  const assigned = assignRigs(sequence, rigs, notes, yaml[0]?.name);
  if (assigned.tracks.length === 0) {
    throw new DataFormatError(
      `no keypoints to lift: none of its ${assigned.frames.length} frame${assigned.frames.length === 1 ? ' has' : 's have'} a visible point`,
      names,
    );
  }
  return { kind: 'sequence', name: names, sequence: assigned, rigs, notes };
}

/** How the page names a set of files: `a + b`, or `first … last (N files)`. */
export function filesName(files: readonly { name: string }[]): string {
  if (files.length <= 2) return files.map((f) => f.name).join(' + ');
  const sorted = files.map((f) => f.name).sort(naturalCompare);
  return `${sorted[0]} … ${sorted[sorted.length - 1]} (${files.length} files)`;
}

/**
 * Puts named tracks (DeepLabCut body parts) in a rig's joint order, as `lfm lift` does: the
 * config.yaml rig sharing most of their names (a body part it lacks is an error), else a registered
 * rig with exactly their names; else they lift without a rig (kNN graph; a note).
 */
export function assignRigs(
  seq: KeypointSequence,
  rigs: ReadonlyMap<string, Rig>,
  notes: string[] = [],
  config?: string,
): KeypointSequence {
  const unmatched: string[] = [];
  const tracks = seq.tracks.map((track): KeypointTrack => {
    if (!track.joints) return track;
    const names = track.joints;
    const rig = matchRigByJoints(names, rigs.values())?.rig;
    if (!rig) {
      unmatched.push(track.key);
      return track;
    }
    return retargetTrack(track, rig.joints, {
      rig: rig.id,
      ...(config !== undefined && { file: config }),
      what: `a joint of rig '${rig.id}'${config ? ` (from ${config})` : ''}: is it missing from the project's config.yaml?`,
    });
  });
  if (unmatched.length > 0) {
    notes.push(
      `no rig has the body parts of track${unmatched.length > 1 ? 's' : ''} ${unmatched.map((k) => JSON.stringify(k)).join(', ')}: lifted with the kNN graph (drop the project's config.yaml with the CSV for its skeleton)`,
    );
  }
  return { ...seq, tracks };
}

/** The playback and smoothing settings of the page. */
export interface SequenceSettings {
  /** One-Euro smoothing of the 2D (at `fps`) and the depth-flip fixer. */
  readonly smooth: boolean;
  /** Frames per second: playback, and the filter's clock (cutoffs in Hz). */
  readonly fps: number;
}

/** The options the page passes to `liftSequence` (the test passes the same). */
export function sequenceLiftOptions(
  rigs: ReadonlyMap<string, Rig>,
  settings: SequenceSettings,
): LiftSequenceOptions {
  return {
    camera: { kind: 'ortho' },
    rig: (track) => (track.rig === undefined ? undefined : (rigs.get(track.rig) ?? track.rig)),
    ...(settings.smooth && { smooth: { fps: settings.fps }, flips: 'fix' as const }),
  };
}

/** Lifts the sequence as the page does. */
export function liftViewerSequence(
  lifter: Pick<Lifter, 'lift'>,
  input: Extract<ViewerInput, { kind: 'sequence' }>,
  settings: SequenceSettings,
): Promise<LiftedSequence> {
  return liftSequence(lifter, input.sequence, sequenceLiftOptions(input.rigs, settings));
}

/** The 2D the page draws: the input, or what the filter made of it when smoothing is on. */
export function displaySequence(
  input: Extract<ViewerInput, { kind: 'sequence' }>,
  settings: SequenceSettings,
): KeypointSequence {
  return settings.smooth ? smoothSequence(input.sequence, { fps: settings.fps }) : input.sequence;
}

/** Distinct colours for tracks (r, g, b). */
export const TRACK_COLORS: readonly (readonly [number, number, number])[] = [
  [255, 204, 77],
  [79, 195, 255],
  [255, 110, 140],
  [120, 220, 120],
  [200, 150, 255],
  [255, 160, 80],
  [90, 230, 210],
  [240, 240, 240],
];

export const trackColor = (k: number): readonly [number, number, number] =>
  TRACK_COLORS[k % TRACK_COLORS.length]!;

type Vec3 = [number, number, number];

/** One track at one frame, as the page shows it and exposes it (`window.__lfm.sequence.current`). */
export interface TrackFrame {
  readonly key: string;
  /** The track's index in the sequence (its colour). */
  readonly index: number;
  /** The row of the track at this frame (index into its `frames`), or -1: absent. */
  readonly row: number;
  /** [J] the 2D input (after smoothing, when on); null = missing. */
  readonly points2d: ([number, number] | null)[];
  /** [J] the camera-frame 3D (orthographic: x, y pixels, z depth in pixels); null = missing. */
  readonly points3d: (Vec3 | null)[];
  readonly camera: CameraResult | null;
  /** The depth-flip fixer flipped this frame. */
  readonly flipped: boolean;
}

/** The bones to draw for a track: its rig's (a config.yaml rig or a registered one), else the file's. */
export function trackBones(
  track: KeypointTrack,
  rigs: ReadonlyMap<string, Rig>,
): readonly (readonly [number, number])[] {
  if (track.rig !== undefined) {
    const rig = rigs.get(track.rig) ?? resolveRig(track.rig);
    return rig.boneIndices;
  }
  return track.bones ?? [];
}

/** Every track's view at sequence frame f (absent tracks: row −1, all null); `shown`: its 2D. */
export function framesAt(lifted: LiftedSequence, shown: KeypointSequence, f: number): TrackFrame[] {
  return lifted.tracks.map((t, index) => {
    const src = shown.tracks[index]!;
    const J = t.numJoints;
    const row = binarySearch(t.frames, f);
    const points2d: ([number, number] | null)[] = new Array(J).fill(null);
    const points3d: (Vec3 | null)[] = new Array(J).fill(null);
    if (row >= 0) {
      for (let j = 0; j < J; j++) {
        const k = row * J + j;
        if (src.mask[k] === 1) points2d[j] = [src.points[2 * k]!, src.points[2 * k + 1]!];
        if (t.mask[k] === 1)
          points3d[j] = [t.points3d[3 * k]!, t.points3d[3 * k + 1]!, t.points3d[3 * k + 2]!];
      }
    }
    return {
      key: t.key,
      index,
      row,
      points2d,
      points3d,
      camera: row >= 0 ? t.cameras[row]! : null,
      flipped: row >= 0 && t.flipped?.[row] === 1,
    };
  });
}

function binarySearch(a: Int32Array, v: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! === v) return mid;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Fits fixed over a whole sequence, so the view does not jump between frames: the corners of the
 * bounding box of every visible 2D point (`shown`) and the centre and radius of every visible 3D
 * point (`frameOf`).
 */
export function sequenceFits(
  shown: KeypointSequence,
  lifted: LiftedSequence,
): { box2d: [number, number][]; frame3d: ReturnType<typeof frameOf> } {
  const box = [
    Number.POSITIVE_INFINITY,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ];
  for (const t of shown.tracks) {
    for (let k = 0; k < t.mask.length; k++) {
      if (t.mask[k] !== 1) continue;
      const x = t.points[2 * k]!;
      const y = t.points[2 * k + 1]!;
      box[0] = Math.min(box[0]!, x);
      box[1] = Math.min(box[1]!, y);
      box[2] = Math.max(box[2]!, x);
      box[3] = Math.max(box[3]!, y);
    }
  }
  const all3d: Vec3[] = [];
  for (const t of lifted.tracks) {
    for (let k = 0; k < t.mask.length; k++) {
      if (t.mask[k] === 1) all3d.push([t.points3d[3 * k]!, t.points3d[3 * k + 1]!, t.points3d[3 * k + 2]!]);
    }
  }
  return {
    box2d: [
      [box[0]!, box[1]!],
      [box[2]!, box[3]!],
    ],
    frame3d: frameOf(all3d),
  };
}

/**
 * Every track of a frame as one 3D scene: the tracks' points one after another, their bones
 * (`bones[track index]`) shifted to those positions, each point in its track's colour.
 */
export function sequenceScene(
  cur: readonly TrackFrame[],
  trackBones: readonly (readonly (readonly [number, number])[])[],
): { points: (Vec3 | null)[]; bones: [number, number][]; colors: (readonly [number, number, number])[] } {
  const points: (Vec3 | null)[] = [];
  const bones: [number, number][] = [];
  const colors: (readonly [number, number, number])[] = [];
  for (const t of cur) {
    const o = points.length;
    for (const [i, j] of trackBones[t.index]!) bones.push([o + i, o + j]);
    for (const p of t.points3d) {
      points.push(p);
      colors.push(trackColor(t.index));
    }
  }
  return { points, bones, colors };
}
