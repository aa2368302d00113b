import { DataFormatError } from '@lfm/core';
import { type KeypointSequence, SequenceBuilder, type TrackPart } from './sequence.js';

/**
 * OpenPose JSON (`--write_json`): one file per frame,
 * `{ "version": 1.3, "people": [{ "person_id": [-1], "pose_keypoints_2d": [x, y, c, …],
 * "face_keypoints_2d": […], "hand_left_keypoints_2d": […], "hand_right_keypoints_2d": […] }] }`.
 * A point is present iff its confidence c > `minVisibility` (default 0: OpenPose writes 0, 0, 0 for a
 * missing point). Each person's body, face and hands become their own tracks (an empty or all-missing
 * array: no track in that frame), with these rigs:
 * - body: 25 points → `openpose-body-25`, 18 → `openpose-coco-18` (other layouts, e.g. MPI-15: none —
 *   the kNN graph);
 * - face: OpenPose's 70 points are the 68 iBUG landmarks then the two pupils (points 68, 69).
 *   The pupils are DROPPED and the face is lifted as `ibug-face-68` — the layout the model knows
 *   (joint codes of aflw-face); a 70-point face rig would lift without identity codes;
 * - hands: 21 points, the order of `hand-21`.
 * Tracks: `person_id` when ≥ 0 (OpenPose's tracking), else the person's index in `people`.
 */

/** The rig of an OpenPose body array, by point count. */
export const OPENPOSE_BODY_RIGS: Readonly<Record<number, string>> = Object.freeze({
  25: 'openpose-body-25',
  18: 'openpose-coco-18',
});

/** Points of an OpenPose face array that are kept: the 68 iBUG landmarks (the pupils 68, 69 are dropped). */
export const OPENPOSE_FACE_POINTS = 68;

const PARTS: readonly { key: string; part: TrackPart }[] = [
  { key: 'pose_keypoints_2d', part: 'body' },
  { key: 'face_keypoints_2d', part: 'face' },
  { key: 'hand_left_keypoints_2d', part: 'hand_left' },
  { key: 'hand_right_keypoints_2d', part: 'hand_right' },
];

/** True for OpenPose JSON: an object with a `people` list. */
export function isOpenPose(value: unknown): boolean {
  return isObject(value) && Array.isArray(value.people);
}

export interface OpenPoseOptions {
  /** A point is present iff its confidence is > this (default 0). */
  minVisibility?: number;
  /** Named in errors. */
  file?: string;
  /** The frame's id (default 0). */
  frameId?: number | string;
}

/** One OpenPose file (one frame) as a sequence of one frame. */
export function parseOpenPose(value: unknown, options: OpenPoseOptions = {}): KeypointSequence {
  const fail = (msg: string): never => {
    throw new DataFormatError(msg, options.file);
  };
  const b = new SequenceBuilder('openpose', fail);
  addOpenPoseFrame(b, b.frame(options.frameId ?? 0), value, options, fail);
  return b.build();
}

/** Adds the people of one OpenPose frame to `b`'s frame `frame`. */
export function addOpenPoseFrame(
  b: SequenceBuilder,
  frame: number,
  value: unknown,
  options: { minVisibility?: number; where?: string },
  fail: (msg: string) => never,
): void {
  if (!isOpenPose(value)) fail('not OpenPose JSON: expected an object with a "people" list');
  const minV = options.minVisibility ?? 0;
  const people = (value as { people: unknown[] }).people;
  people.forEach((person, p) => {
    const where = `${options.where ? `${options.where}: ` : ''}people[${p}]`;
    if (!isObject(person)) fail(`${where}: expected an object, got ${short(person)}`);
    const o = person as Record<string, unknown>;
    const id = personId(o.person_id, where, fail);
    const track = id ?? p;
    for (const { key, part } of PARTS) {
      const arr = o[key];
      if (arr === undefined || arr === null) continue;
      if (!Array.isArray(arr)) fail(`${where}.${key}: expected a list of numbers, got ${short(arr)}`);
      const list = arr as unknown[];
      if (list.length === 0) continue;
      if (list.length % 3 !== 0) {
        fail(`${where}.${key} has ${list.length} numbers, not a multiple of 3 (x, y, confidence)`);
      }
      let n = list.length / 3;
      const xy: number[] = [];
      const present: boolean[] = [];
      const confidence: number[] = [];
      for (let i = 0; i < n; i++) {
        const [x, y, c] = [list[3 * i], list[3 * i + 1], list[3 * i + 2]];
        if (typeof x !== 'number' || typeof y !== 'number' || typeof c !== 'number') {
          fail(`${where}.${key} point ${i}: expected numbers x, y, confidence, got ${short([x, y, c])}`);
        }
        const on = (c as number) > minV;
        if (on && !(Number.isFinite(x) && Number.isFinite(y))) {
          fail(`${where}.${key} point ${i} has a non-finite coordinate`);
        }
        xy.push(on ? (x as number) : 0, on ? (y as number) : 0);
        present.push(on);
        confidence.push(c as number);
      }
      if (part === 'face' && n === OPENPOSE_FACE_POINTS + 2) {
        n = OPENPOSE_FACE_POINTS;
        xy.length = 2 * n;
        present.length = n;
        confidence.length = n;
      }
      if (!present.includes(true)) continue; // this part was not detected in this frame
      const rig =
        part === 'body'
          ? OPENPOSE_BODY_RIGS[n]
          : part === 'face'
            ? n === OPENPOSE_FACE_POINTS
              ? 'ibug-face-68'
              : undefined
            : n === 21
              ? 'hand-21'
              : undefined;
      b.add(
        frame,
        { track, part, xy, present, confidence, ...(rig !== undefined && { rig }) },
        `${where}.${key}`,
      );
    }
  });
}

/** OpenPose `person_id`: `[-1]` (no tracking) / `-1` → undefined; `[n]` / `n` with n ≥ 0 → n. */
function personId(v: unknown, where: string, fail: (msg: string) => never): number | undefined {
  if (v === undefined || v === null) return undefined;
  const x = Array.isArray(v) ? v[0] : v;
  if (Array.isArray(v) && v.length === 0) return undefined;
  if (typeof x !== 'number' || !Number.isInteger(x)) {
    fail(`${where}.person_id: expected an integer or [integer], got ${short(v)}`);
  }
  return (x as number) >= 0 ? (x as number) : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
