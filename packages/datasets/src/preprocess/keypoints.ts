import { DataFormatError } from '@lfm/core';
import type { Edge } from './graph.js';

/**
 * 2D keypoint files we read:
 * - `lfm`: our lift input `{ "points": [[x, y] | null, …], "rig"?: id, "bones"?: [[i, j], …] }` or a list of them;
 * - `coco`: COCO keypoint results `[{ image_id, category_id, keypoints: [x, y, v, …], score }, …]`
 *   (also a COCO annotation file `{ annotations, categories }`, whose category skeletons become bones);
 * - `mediapipe`: MediaPipe landmarks `{ landmarks: [{ x, y, z, visibility }, …] }`, the Tasks API's
 *   `{ landmarks: [[…], …] }` (one list per detected pose/hand/face), legacy `poseLandmarks`,
 *   `multiHandLandmarks`, `faceLandmarks`, `multiFaceLandmarks`, `landmark`, a bare list of
 *   landmarks, a list of such lists, or a list of such objects (e.g. one per video frame).
 */
export type KeypointFormat = 'lfm' | 'coco' | 'mediapipe';

/** What is known about one item (one detection / one person / one frame) of a keypoint file. */
export interface KeypointItem {
  /** Number of points of this item before padding to N. */
  readonly count: number;
  readonly rig?: string;
  /** 0-based point index pairs. */
  readonly bones?: readonly Edge[];
  readonly imageId?: number | string;
  readonly categoryId?: number;
  readonly score?: number;
}

/** 2D keypoints of B items padded to N points. */
export interface Keypoints2D {
  readonly format: KeypointFormat;
  /** B. */
  readonly batch: number;
  /** N: the largest item's point count. */
  readonly numPoints: number;
  /** [B, N, 2] float32; 0 where `mask` is 0. Pixels, except MediaPipe without `imageSize` (see `normalized`). */
  readonly points: Float32Array;
  /** [B, N]: 1 = present, 0 = missing or padding. */
  readonly mask: Uint8Array;
  /** Set when every item names the same rig. */
  readonly rig?: string;
  /** Set when every item has the same bones. */
  readonly bones?: readonly Edge[];
  readonly items: readonly KeypointItem[];
  /**
   * True for MediaPipe landmarks read without `imageSize`: x, y are fractions of the image width and
   * height, so for a non-square image the two axes have different scales (aspect ratio distorted).
   * Pass `imageSize` to get pixels.
   */
  readonly normalized: boolean;
}

export interface KeypointParseOptions {
  /** Skip detection and read as this format. */
  format?: KeypointFormat;
  /** Named in error messages. */
  file?: string;
  /**
   * A point is present iff its visibility is > this (default 0): COCO `v` (0 = not labelled),
   * MediaPipe `visibility` (when given). Lift-format points are present iff not null.
   */
  minVisibility?: number;
  /** MediaPipe: image size in pixels, to turn normalised [0, 1] coordinates into pixels. */
  imageSize?: { width: number; height: number };
}

interface RawItem {
  xy: number[];
  present: boolean[];
  info: Omit<KeypointItem, 'count'>;
}

const MP_KEYS = [
  'landmarks',
  'poseLandmarks',
  'multiHandLandmarks',
  'handLandmarks',
  'faceLandmarks',
  'multiFaceLandmarks',
  'landmark',
] as const;

/** Which keypoint format a parsed JSON value is in, or undefined when it is none of them. */
export function detectKeypointFormat(value: unknown): KeypointFormat | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (isObject(first)) {
    if ('points' in first) return 'lfm';
    if (Array.isArray(first.keypoints) || Array.isArray(first.annotations)) return 'coco';
    if (MP_KEYS.some((k) => k in first) || isLandmark(first)) return 'mediapipe';
  }
  if (Array.isArray(first) && (first.length === 0 || isLandmark(first[0]))) return 'mediapipe';
  return undefined;
}

/** Reads a parsed keypoint JSON value (see `KeypointFormat`) into padded arrays. */
export function parseKeypoints(value: unknown, options: KeypointParseOptions = {}): Keypoints2D {
  const fail = (msg: string): never => {
    throw new DataFormatError(msg, options.file);
  };
  const format = options.format ?? detectKeypointFormat(value);
  if (!format) {
    return fail(
      Array.isArray(value) && value.length === 0
        ? 'empty keypoint list'
        : 'unrecognised keypoint JSON: expected our lift format ({"points": [[x, y] | null, …]}), ' +
            'COCO keypoint results ([{"keypoints": [x, y, v, …]}]) or MediaPipe landmarks ({"landmarks": [{x, y}, …]})',
    );
  }
  const minV = options.minVisibility ?? 0;
  let items: RawItem[];
  let normalized = false;
  if (format === 'lfm') items = readLift(value, fail);
  else if (format === 'coco') items = readCoco(value, minV, fail);
  else {
    items = readMediapipe(value, minV, options.imageSize, fail);
    normalized = !options.imageSize;
  }
  if (items.length === 0) fail('no keypoints in the file');
  return pack(format, items, normalized);
}

/** Parses keypoint JSON text. Python-style `NaN`/`Infinity` literals are reported as such. */
export function parseKeypointJson(text: string, options: KeypointParseOptions = {}): Keypoints2D {
  return parseKeypoints(parseJsonValue(text, options.file), options);
}

/** JSON.parse, its error a DataFormatError naming `file`; Python-style `NaN`/`Infinity` are named as such. */
export function parseJsonValue(text: string, file: string | undefined): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const nan = /(^|[\s,[:])-?(NaN|Infinity)\b/.exec(text);
    throw new DataFormatError(
      nan
        ? `contains a ${nan[2]} coordinate, which is not valid JSON; write null for a missing point`
        : `invalid JSON (${(err as Error).message})`,
      file,
    );
  }
}

function readLift(value: unknown, fail: (msg: string) => never): RawItem[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((it, b) => {
    const where = Array.isArray(value) ? `item ${b}` : 'input';
    if (!isObject(it) || !Array.isArray(it.points)) fail(`${where}: expected an object with a "points" list`);
    const o = it as Record<string, unknown>;
    const pts = o.points as unknown[];
    const xy: number[] = [];
    const present: boolean[] = [];
    pts.forEach((p, i) => {
      if (p === null) {
        xy.push(0, 0);
        present.push(false);
        return;
      }
      if (!Array.isArray(p) || p.length !== 2) {
        fail(`${where} point ${i}: expected [x, y] or null, got ${short(p)}`);
      }
      const [x, y] = p as unknown[];
      checkCoord(x, y, `${where} point ${i}`, fail);
      xy.push(x as number, y as number);
      present.push(true);
    });
    let rig: string | undefined;
    if (o.rig !== undefined && o.rig !== null) {
      if (typeof o.rig !== 'string') fail(`${where}: "rig" must be a rig id string, got ${short(o.rig)}`);
      rig = o.rig as string;
    }
    const bones =
      o.bones === undefined || o.bones === null
        ? undefined
        : readBones(o.bones, pts.length, `${where} "bones"`, 0, fail);
    return { xy, present, info: { ...(rig !== undefined ? { rig } : {}), ...(bones ? { bones } : {}) } };
  });
}

function readCoco(value: unknown, minV: number, fail: (msg: string) => never): RawItem[] {
  let dets: unknown[];
  const skeletons = new Map<number, unknown>();
  if (isObject(value) && Array.isArray(value.annotations)) {
    dets = (value.annotations as unknown[]).filter((a) => isObject(a) && Array.isArray(a.keypoints));
    if (Array.isArray(value.categories)) {
      for (const c of value.categories as unknown[]) {
        if (isObject(c) && typeof c.id === 'number' && Array.isArray(c.skeleton))
          skeletons.set(c.id, c.skeleton);
      }
    }
  } else if (Array.isArray(value)) {
    dets = value;
  } else {
    return fail('COCO keypoints: expected a list of results or an object with "annotations"');
  }
  return dets.map((d, b) => {
    const where = `detection ${b}`;
    if (!isObject(d) || !Array.isArray(d.keypoints))
      fail(`${where}: expected an object with a "keypoints" list`);
    const o = d as Record<string, unknown>;
    const kp = o.keypoints as unknown[];
    if (kp.length % 3 !== 0)
      fail(`${where}: "keypoints" has ${kp.length} numbers, not a multiple of 3 (x, y, v)`);
    const n = kp.length / 3;
    const xy: number[] = [];
    const present: boolean[] = [];
    for (let i = 0; i < n; i++) {
      const v = kp[3 * i + 2];
      if (typeof v !== 'number' || Number.isNaN(v))
        fail(`${where} keypoint ${i}: visibility must be a number, got ${short(v)}`);
      const on = (v as number) > minV;
      if (on) checkCoord(kp[3 * i], kp[3 * i + 1], `${where} keypoint ${i}`, fail);
      xy.push(on ? (kp[3 * i] as number) : 0, on ? (kp[3 * i + 1] as number) : 0);
      present.push(on);
    }
    const categoryId = typeof o.category_id === 'number' ? o.category_id : undefined;
    const skeleton = categoryId !== undefined ? skeletons.get(categoryId) : undefined;
    // COCO skeletons are 1-based.
    const bones = skeleton ? readBones(skeleton, n, `category ${categoryId} "skeleton"`, 1, fail) : undefined;
    const imageId = typeof o.image_id === 'number' || typeof o.image_id === 'string' ? o.image_id : undefined;
    return {
      xy,
      present,
      info: {
        ...(imageId !== undefined ? { imageId } : {}),
        ...(categoryId !== undefined ? { categoryId } : {}),
        ...(typeof o.score === 'number' ? { score: o.score } : {}),
        ...(bones ? { bones } : {}),
      },
    };
  });
}

function readMediapipe(
  value: unknown,
  minV: number,
  imageSize: { width: number; height: number } | undefined,
  fail: (msg: string) => never,
): RawItem[] {
  const lists: { list: unknown[]; where: string }[] = [];
  const collect = (v: unknown, where: string): void => {
    if (Array.isArray(v)) {
      if (v.length === 0 || isLandmark(v[0])) lists.push({ list: v, where });
      else
        v.forEach((x, i) => {
          collect(x, `${where}[${i}]`);
        });
      return;
    }
    if (isObject(v)) {
      const key = MP_KEYS.find((k) => k in v);
      if (key) {
        collect(v[key], `${where}.${key}`);
        return;
      }
    }
    fail(`${where}: expected MediaPipe landmarks ({x, y, …} objects), got ${short(v)}`);
  };
  collect(value, '$');
  if (imageSize && !(imageSize.width > 0 && imageSize.height > 0)) {
    fail(`imageSize must have positive width and height, got ${JSON.stringify(imageSize)}`);
  }
  const sx = imageSize?.width ?? 1;
  const sy = imageSize?.height ?? 1;
  return lists.map(({ list, where }) => {
    const xy: number[] = [];
    const present: boolean[] = [];
    list.forEach((lm, i) => {
      if (!isObject(lm)) fail(`${where}[${i}]: expected a landmark {x, y, …}, got ${short(lm)}`);
      const o = lm as Record<string, unknown>;
      checkCoord(o.x, o.y, `${where}[${i}]`, fail);
      const vis = o.visibility;
      const on = typeof vis !== 'number' || vis > minV;
      xy.push(on ? (o.x as number) * sx : 0, on ? (o.y as number) * sy : 0);
      present.push(on);
    });
    return { xy, present, info: {} };
  });
}

function pack(format: KeypointFormat, items: RawItem[], normalized: boolean): Keypoints2D {
  const B = items.length;
  const N = items.reduce((n, it) => Math.max(n, it.present.length), 0);
  const points = new Float32Array(B * N * 2);
  const mask = new Uint8Array(B * N);
  items.forEach((it, b) => {
    points.set(it.xy, b * N * 2);
    it.present.forEach((on, i) => {
      mask[b * N + i] = on ? 1 : 0;
    });
  });
  const first = items[0]!.info;
  const rig =
    first.rig !== undefined && items.every((it) => it.info.rig === first.rig) ? first.rig : undefined;
  const key = first.bones ? JSON.stringify(first.bones) : undefined;
  const bones =
    key !== undefined && items.every((it) => it.info.bones && JSON.stringify(it.info.bones) === key)
      ? first.bones
      : undefined;
  return {
    format,
    batch: B,
    numPoints: N,
    points,
    mask,
    ...(rig !== undefined ? { rig } : {}),
    ...(bones ? { bones } : {}),
    items: items.map((it) => ({ count: it.present.length, ...it.info })),
    normalized,
  };
}

function readBones(v: unknown, n: number, where: string, base: number, fail: (msg: string) => never): Edge[] {
  if (!Array.isArray(v)) fail(`${where} must be a list of [i, j] pairs`);
  return (v as unknown[]).map((e, k) => {
    if (!Array.isArray(e) || e.length !== 2) fail(`${where}[${k}]: expected an [i, j] pair, got ${short(e)}`);
    const [i, j] = (e as unknown[]).map((x) => (typeof x === 'number' ? x - base : Number.NaN)) as [
      number,
      number,
    ];
    const ok = (x: number): boolean => Number.isInteger(x) && x >= 0 && x < n;
    if (!ok(i) || !ok(j) || i === j) {
      fail(`${where}[${k}] = ${short(e)} is not a pair of distinct point indices in [${base}, ${n + base})`);
    }
    return [i, j] as Edge;
  });
}

function checkCoord(x: unknown, y: unknown, where: string, fail: (msg: string) => never): void {
  if (typeof x !== 'number' || typeof y !== 'number')
    fail(`${where}: coordinates must be numbers, got ${short([x, y])}`);
  if (Number.isNaN(x) || Number.isNaN(y))
    fail(`${where} has a NaN coordinate (use null / visibility 0 for a missing point)`);
  if (!Number.isFinite(x) || !Number.isFinite(y)) fail(`${where} has an infinite coordinate`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isLandmark(v: unknown): boolean {
  return isObject(v) && typeof v.x === 'number' && typeof v.y === 'number';
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The rig a detector's layout implies, by file format and point count (COCO-17/133, MediaPipe pose/hand). */
export const FORMAT_RIGS: Readonly<Partial<Record<KeypointFormat, Readonly<Record<number, string>>>>> =
  Object.freeze({
    coco: Object.freeze({ 17: 'coco-17', 133: 'coco-wholebody-133' }),
    mediapipe: Object.freeze({ 33: 'mediapipe-pose-33', 21: 'hand-21' }),
  });

/**
 * The rig id item b of a parsed file is lifted with by default: the file's own rig, else — when the
 * file gives no bones — the rig its layout implies (`FORMAT_RIGS`), else none (kNN graph).
 * `lfm lift` and the viewer both pick rigs with this.
 */
export function detectRig(kp: Pick<Keypoints2D, 'format' | 'items'>, b: number): string | undefined {
  const item = kp.items[b];
  if (!item) throw new RangeError(`item ${b} out of range: the file has ${kp.items.length}`);
  return item.rig ?? (item.bones ? undefined : FORMAT_RIGS[kp.format]?.[item.count]);
}

/** Item b's points as `[x, y] | null` (null = missing), in its own length. */
export function keypointItemPoints(
  kp: Pick<Keypoints2D, 'numPoints' | 'items' | 'mask' | 'points'>,
  b: number,
): ([number, number] | null)[] {
  const N = kp.numPoints;
  const item = kp.items[b];
  if (!item) throw new RangeError(`item ${b} out of range: the file has ${kp.items.length}`);
  return Array.from({ length: item.count }, (_, i): [number, number] | null =>
    kp.mask[b * N + i] === 1 ? [kp.points[2 * (b * N + i)]!, kp.points[2 * (b * N + i) + 1]!] : null,
  );
}
