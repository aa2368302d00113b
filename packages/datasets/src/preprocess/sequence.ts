import { DataFormatError } from '@lfm/core';
import type { Edge } from './graph.js';
import {
  detectKeypointFormat,
  detectRig,
  type KeypointFormat,
  type KeypointParseOptions,
  parseKeypoints,
} from './keypoints.js';

/**
 * 2D keypoint SEQUENCES: the frames of a video with the tracks (people, animals, a person's face or
 * hands) seen in them. Readers: OpenPose JSON (`./openpose.js`), DeepLabCut CSV (`./dlc.js`), our JSON /
 * COCO results / MediaPipe as a list with frame ids (`sequenceFromKeypointValue`) or as a folder of
 * one file per frame (`sequenceFromFrameValues`; @lfm/datasets `readKeypointSequence` reads folders).
 *
 * The layout is per track, sparse in time: a track holds only the frames it appears in, as indices
 * into `frames`, with its points [T, J, 2] — so a temporal filter (One-Euro) runs along a track's rows
 * with the frame index as its clock (gaps visible as jumps of the index), and a player finds the
 * tracks of frame f by searching each track's `frames`.
 */

/** Where a sequence came from. */
export type SequenceFormat = KeypointFormat | 'openpose' | 'dlc';

/** One frame of a sequence. */
export interface SequenceFrame {
  /**
   * The source's id of the frame: a DeepLabCut row index, the frame number in an OpenPose file name
   * (`video_000000000012_keypoints.json` → 12), our `"frame"`, COCO's `frame`/`frame_id`/`image_id`;
   * for a folder, the number in the file name (the file name when those are not unique).
   */
  readonly id: number | string;
  /** The file the frame was read from (a folder's file name). */
  readonly file?: string;
}

/** The part of a person an OpenPose track holds. */
export type TrackPart = 'body' | 'face' | 'hand_left' | 'hand_right';

/** One person / animal (or one part of a person) across the frames it appears in. */
export interface KeypointTrack {
  /**
   * Unique in the sequence: `String(track)`, with `_face`, `_hand_left`, `_hand_right` appended for an
   * OpenPose person's face and hands.
   */
  readonly key: string;
  /**
   * The tracker's id — OpenPose `person_id` when ≥ 0, a DeepLabCut individual, COCO `track_id`, our
   * `"track"` — else the detection's index in its frame (0 for a single-animal DeepLabCut file).
   */
  readonly track: number | string;
  /** OpenPose only: which part of the person. */
  readonly part?: TrackPart;
  /** J, the points per frame (one layout per track). */
  readonly numJoints: number;
  /** The rig of the layout, when known (a file's rig, a detector layout by point count). */
  readonly rig?: string;
  /** The points' names, when the source names them (DeepLabCut body parts). */
  readonly joints?: readonly string[];
  /** Bones given by the source (0-based). */
  readonly bones?: readonly Edge[];
  /** [T] the frames the track appears in: ascending indices into `KeypointSequence.frames`. */
  readonly frames: Int32Array;
  /** [T, J, 2] input units (pixels; see `KeypointSequence.normalized`); 0 where `mask` is 0. */
  readonly points: Float32Array;
  /** [T, J] 1 = present. */
  readonly mask: Uint8Array;
  /**
   * [T, J] the detector's score of each point: OpenPose confidence, DeepLabCut likelihood, COCO `v`,
   * MediaPipe `visibility`; NaN where the source gives none.
   */
  readonly confidence: Float32Array;
}

/** A 2D keypoint sequence. */
export interface KeypointSequence {
  readonly format: SequenceFormat;
  readonly frames: readonly SequenceFrame[];
  /** In order of first appearance. */
  readonly tracks: readonly KeypointTrack[];
  /** MediaPipe landmarks read without `imageSize`: x, y are fractions of the image (see Keypoints2D). */
  readonly normalized: boolean;
}

/** What `SequenceBuilder.add` takes: one track's points in one frame. */
export interface TrackFrameInput {
  readonly track: number | string;
  readonly part?: TrackPart;
  /** [J·2] x, y. */
  readonly xy: ArrayLike<number>;
  /** [J] presence. */
  readonly present: ArrayLike<boolean | number>;
  /** [J] scores (NaN: none). */
  readonly confidence?: ArrayLike<number>;
  readonly rig?: string;
  readonly joints?: readonly string[];
  readonly bones?: readonly Edge[];
}

interface Acc {
  key: string;
  track: number | string;
  part: TrackPart | undefined;
  J: number;
  rig: string | undefined;
  joints: readonly string[] | undefined;
  bones: readonly Edge[] | undefined;
  first: string;
  frames: number[];
  xy: number[];
  mask: number[];
  conf: number[];
}

/** The key of a track: its id, plus the part for an OpenPose face or hand. */
export function trackKey(track: number | string, part?: TrackPart): string {
  return part === undefined || part === 'body' ? String(track) : `${track}_${part}`;
}

/**
 * Collects frames and per-frame track points into a KeypointSequence, checking that a track keeps one
 * layout (point count, rig, joint names, bones) across frames and appears at most once per frame.
 * `fail` raises the reader's error (DataFormatError naming the file).
 */
export class SequenceBuilder {
  readonly #format: SequenceFormat;
  readonly #fail: (msg: string) => never;
  readonly #frames: SequenceFrame[] = [];
  readonly #tracks = new Map<string, Acc>();

  constructor(format: SequenceFormat, fail: (msg: string) => never) {
    this.#format = format;
    this.#fail = fail;
  }

  /** Appends a frame; returns its index. */
  frame(id: number | string, file?: string): number {
    this.#frames.push(file === undefined ? { id } : { id, file });
    return this.#frames.length - 1;
  }

  get frameCount(): number {
    return this.#frames.length;
  }

  /** Adds a track's points in frame `frame` (the latest frame, or an earlier one not yet holding it). */
  add(frame: number, item: TrackFrameInput, where: string): void {
    const key = trackKey(item.track, item.part);
    const J = item.present.length;
    if (item.xy.length !== 2 * J) this.#fail(`${where}: ${item.xy.length} coordinates for ${J} points`);
    let acc = this.#tracks.get(key);
    const frameName = (f: number) => `frame ${JSON.stringify(this.#frames[f]!.id)}`;
    if (!acc) {
      acc = {
        key,
        track: item.track,
        part: item.part,
        J,
        rig: item.rig,
        joints: item.joints,
        bones: item.bones,
        first: where,
        frames: [],
        xy: [],
        mask: [],
        conf: [],
      };
      this.#tracks.set(key, acc);
    } else {
      const what = `track ${JSON.stringify(key)}`;
      if (acc.J !== J) {
        this.#fail(
          `${where}: ${what} has ${J} keypoints, but ${acc.first} has ${acc.J}; the frames of a sequence must keep one keypoint layout per track`,
        );
      }
      if (acc.rig !== item.rig) {
        this.#fail(`${where}: ${what} has rig ${show(item.rig)}, but ${acc.first} has ${show(acc.rig)}`);
      }
      if (JSON.stringify(acc.joints) !== JSON.stringify(item.joints)) {
        this.#fail(`${where}: ${what} names its points differently from ${acc.first}`);
      }
      if (JSON.stringify(acc.bones) !== JSON.stringify(item.bones)) {
        this.#fail(`${where}: ${what} has other bones than ${acc.first}`);
      }
      const last = acc.frames[acc.frames.length - 1]!;
      if (last === frame) this.#fail(`${where}: ${what} appears twice in ${frameName(frame)}`);
      if (last > frame) this.#fail(`${where}: ${what} is added to ${frameName(frame)} out of order`);
    }
    acc.frames.push(frame);
    for (let i = 0; i < 2 * J; i++) acc.xy.push(item.xy[i]!);
    for (let i = 0; i < J; i++) {
      const on = item.present[i] === true || item.present[i] === 1;
      acc.mask.push(on ? 1 : 0);
      acc.conf.push(item.confidence ? item.confidence[i]! : Number.NaN);
    }
  }

  build(normalized = false): KeypointSequence {
    const tracks: KeypointTrack[] = [...this.#tracks.values()].map((a) => {
      const points = Float32Array.from(a.xy);
      const mask = Uint8Array.from(a.mask);
      for (let k = 0; k < mask.length; k++) {
        if (mask[k] === 0) points[2 * k] = points[2 * k + 1] = 0;
      }
      return {
        key: a.key,
        track: a.track,
        ...(a.part !== undefined && { part: a.part }),
        numJoints: a.J,
        ...(a.rig !== undefined && { rig: a.rig }),
        ...(a.joints !== undefined && { joints: a.joints }),
        ...(a.bones !== undefined && { bones: a.bones }),
        frames: Int32Array.from(a.frames),
        points,
        mask,
        confidence: Float32Array.from(a.conf),
      };
    });
    return { format: this.#format, frames: [...this.#frames], tracks, normalized };
  }
}

/** Compares strings with their digit runs as numbers: `f2` < `f10` (file names of frames). */
export function naturalCompare(a: string, b: string): number {
  const ra = a.split(/(\d+)/);
  const rb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i]!;
    const y = rb[i]!;
    if (x === y) continue;
    if (i % 2 === 1) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length; // 007 after 7
    }
    return x < y ? -1 : 1;
  }
  return ra.length - rb.length;
}

/** Keys of a frame id on an item of our JSON, COCO results or a MediaPipe per-frame object, by format. */
const FRAME_KEYS: Readonly<Record<KeypointFormat, readonly string[]>> = {
  lfm: ['frame'],
  coco: ['frame', 'frame_id'],
  mediapipe: ['frame', 'timestamp_ms', 'timestampMs'],
};
const TRACK_KEYS: Readonly<Record<KeypointFormat, readonly string[]>> = {
  lfm: ['track'],
  coco: ['track_id'],
  mediapipe: [],
};

const isId = (v: unknown): v is number | string =>
  (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v !== '');

function idOf(item: unknown, keys: readonly string[]): number | string | undefined {
  if (!isObject(item)) return undefined;
  for (const k of keys) if (isId(item[k])) return item[k] as number | string;
  return undefined;
}

/**
 * True when a parsed JSON value of our JSON / COCO / MediaPipe formats is a sequence: a list whose
 * items carry frame ids (our `"frame"`; COCO `frame`, `frame_id`, or `track_id` with `image_id` as
 * the frame; MediaPipe per-frame objects with `frame` / `timestamp_ms`). Other keypoint JSON is one
 * frame (`lfm lift` keeps its per-item output for it).
 */
export function isKeypointSequenceValue(value: unknown, format = detectKeypointFormat(value)): boolean {
  if (!format || !Array.isArray(value)) return false;
  return value.some(
    (it) =>
      idOf(it, FRAME_KEYS[format]) !== undefined ||
      (format === 'coco' && idOf(it, TRACK_KEYS.coco) !== undefined),
  );
}

/** Options of the sequence readers of our JSON / COCO / MediaPipe. */
export interface SequenceParseOptions extends KeypointParseOptions {}

/**
 * Our JSON / COCO results / MediaPipe as a sequence (see `isKeypointSequenceValue`): items grouped by
 * frame id, frames in natural order of their ids, tracks by track id (our `"track"`, COCO
 * `track_id`), else by the item's index within its frame. A value without frame ids is one frame.
 */
export function sequenceFromKeypointValue(
  value: unknown,
  options: SequenceParseOptions = {},
): KeypointSequence {
  const fail = (msg: string): never => {
    throw new DataFormatError(msg, options.file);
  };
  const format = options.format ?? detectKeypointFormat(value);
  if (!format) parseKeypoints(value, options); // its error names the formats
  const b = new SequenceBuilder(format!, fail);
  if (!isKeypointSequenceValue(value, format)) {
    const normalized = addKeypointFrame(
      b,
      b.frame(0),
      value,
      { ...options, format: format! },
      'the file',
      fail,
    );
    return b.build(normalized);
  }
  const list = value as unknown[];
  const groups = new Map<string, { id: number | string; items: unknown[] }>();
  list.forEach((it, i) => {
    let id = idOf(it, FRAME_KEYS[format!]);
    if (id === undefined && format === 'coco') id = idOf(it, ['image_id']);
    if (id === undefined) {
      fail(`item ${i} has no frame id (${FRAME_KEYS[format!].join(' / ')}) while other items have one`);
    }
    const k = `${typeof id}:${id}`;
    const g = groups.get(k) ?? { id: id!, items: [] };
    g.items.push(it);
    groups.set(k, g);
  });
  const ordered = [...groups.values()].sort((x, y) => naturalCompare(String(x.id), String(y.id)));
  let normalized = false;
  for (const g of ordered) {
    const f = b.frame(g.id);
    const where = `frame ${JSON.stringify(g.id)}`;
    normalized = addKeypointFrame(b, f, g.items, { ...options, format: format! }, where, fail) || normalized;
  }
  return b.build(normalized);
}

/** Frame ids of a folder's files: the last number in each name when those are unique, else the names. */
export function frameIdsFromNames(names: readonly string[]): (number | string)[] {
  const nums = names.map((n) => {
    const m = /(\d+)(?!.*\d)/.exec(n.replace(/\.[^.]*$/, ''));
    return m ? Number(m[1]) : undefined;
  });
  const unique = nums.every((x) => x !== undefined) && new Set(nums).size === nums.length;
  return unique ? (nums as number[]) : [...names];
}

/** Adds one frame of our JSON / COCO / MediaPipe to `b`; returns whether its points are normalised. */
export function addKeypointFrame(
  b: SequenceBuilder,
  frame: number,
  value: unknown,
  options: KeypointParseOptions & { format: KeypointFormat },
  where: string,
  fail: (msg: string) => never,
): boolean {
  let kp: ReturnType<typeof parseKeypoints>;
  try {
    kp = parseKeypoints(value, { ...options, file: undefined });
  } catch (err) {
    if (err instanceof DataFormatError) fail(where === 'the file' ? err.message : `${where}: ${err.message}`);
    throw err;
  }
  // Track ids, when the items carry them (our JSON and COCO map items 1:1 to list entries).
  const raw = Array.isArray(value) ? value : [value];
  const entries =
    options.format === 'coco' && isObject(value) && Array.isArray(value.annotations)
      ? (value.annotations as unknown[]).filter((a) => isObject(a) && Array.isArray(a.keypoints))
      : raw;
  const aligned = options.format !== 'mediapipe' && entries.length === kp.items.length;
  const N = kp.numPoints;
  kp.items.forEach((item, i) => {
    const id = aligned ? idOf(entries[i], TRACK_KEYS[options.format]) : undefined;
    const J = item.count;
    const xy = kp.points.subarray(i * N * 2, i * N * 2 + 2 * J);
    const present = kp.mask.subarray(i * N, i * N + J);
    const rig = detectRig(kp, i);
    b.add(
      frame,
      {
        track: id ?? i,
        xy,
        present,
        ...(rig !== undefined && { rig }),
        ...(item.bones && { bones: item.bones }),
      },
      `${where}, item ${i}`,
    );
  });
  return kp.normalized;
}

/**
 * `track` with its points put in the order of `joints` (a rig's), by name: a joint the track lacks is
 * missing (mask 0) in every frame. Needs the track's `joints`; throws DataFormatError naming the first
 * of its points that `joints` does not have.
 */
export function retargetTrack(
  track: KeypointTrack,
  joints: readonly string[],
  options: { rig?: string; file?: string; what?: string } = {},
): KeypointTrack {
  const names = track.joints;
  if (!names)
    throw new DataFormatError(`track ${JSON.stringify(track.key)} has no point names`, options.file);
  const index = new Map(joints.map((j, i) => [j, i]));
  const to = names.map((n) => index.get(n) ?? -1);
  const lost = names.filter((_, i) => to[i] === -1);
  if (lost.length > 0) {
    throw new DataFormatError(
      `body part${lost.length > 1 ? 's' : ''} ${lost.map((n) => `'${n}'`).join(', ')} of track ${JSON.stringify(track.key)} ${lost.length > 1 ? 'are' : 'is'} not ${options.what ?? 'in the rig'}`,
      options.file,
    );
  }
  const T = track.frames.length;
  const J = track.numJoints;
  const K = joints.length;
  const points = new Float32Array(T * K * 2);
  const mask = new Uint8Array(T * K);
  const confidence = new Float32Array(T * K).fill(Number.NaN);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < J; j++) {
      const k = t * K + to[j]!;
      points[2 * k] = track.points[2 * (t * J + j)]!;
      points[2 * k + 1] = track.points[2 * (t * J + j) + 1]!;
      mask[k] = track.mask[t * J + j]!;
      confidence[k] = track.confidence[t * J + j]!;
    }
  }
  const { bones: _bones, rig: _rig, ...rest } = track;
  return {
    ...rest,
    numJoints: K,
    joints: [...joints],
    ...(options.rig !== undefined && { rig: options.rig }),
    points,
    mask,
    confidence,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return v === undefined ? 'none' : JSON.stringify(v);
}
