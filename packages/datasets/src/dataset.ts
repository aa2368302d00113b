import type { Dirent } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFormatError, ShapeError } from '@lfm/core';
import { onFile, readFileOr, writeFileAtomic } from '@lfm/core/node';
import { formatCount, readTyped, toLittleEndianBytes } from './bytes.js';
import type { Edge } from './preprocess/graph.js';

/** The dataset splits, in order. Every sequence belongs to exactly one. */
export const SPLITS = Object.freeze(['train', 'val', 'test'] as const);
/** A dataset split (one of `SPLITS`). */
export type Split = (typeof SPLITS)[number];

/** A run of consecutive frames `[start, start + count)` recorded together (one take, one instance). */
export interface DatasetSequence {
  readonly id: string;
  readonly start: number;
  readonly count: number;
  readonly split: Split;
  readonly subject?: string;
  /** Bones of this sequence when they differ per sequence (`akhter-markers`); else the dataset's. */
  readonly edges?: readonly Edge[];
}

/** Real 2D observations of the 3D points by V cameras. */
export interface DatasetViews {
  /** V. */
  readonly count: number;
  readonly kind: string;
  readonly cameraIds: readonly string[];
  readonly notes?: string;
  /** [V, F, J, 2] float32, pixel x (right), y (down); NaN = not observed by that camera. */
  readonly data: Float32Array;
}

/** A dataset in the `shared/data` format: `meta.json` + `points.f32` (+ `views.f32`). */
export interface Dataset {
  /** The folder it was loaded from (undefined when built in memory). */
  readonly dir: string | undefined;
  readonly name: string;
  readonly category: string;
  readonly description: string;
  readonly units: string;
  /** Stored frame rate; null when the frames are not a time series or it is unknown. */
  readonly fps: number | null;
  /** Joint names, J of them. */
  readonly joints: readonly string[];
  /** Bones (0-based). Empty when unknown, or when `perSequenceEdges` (see `sequenceEdges`). */
  readonly edges: readonly Edge[];
  /** Left/right mirror pairs (0-based); empty when unknown. */
  readonly symmetry: readonly Edge[];
  /** True when bones are given per sequence because the joint order differs between sequences. */
  readonly perSequenceEdges: boolean;
  /** F: frames of all sequences, concatenated in `sequences` order. */
  readonly frames: number;
  /** J. */
  readonly numJoints: number;
  /** [F, J, 3] float32 in `units`; a missing joint is NaN in all three coordinates. */
  readonly points: Float32Array;
  readonly views?: DatasetViews;
  /** Tile [0, F) in order, without gaps or overlap. */
  readonly sequences: readonly DatasetSequence[];
  /** The parsed meta.json as stored (source, license, notes, dataset-specific extras …). */
  readonly meta: Readonly<Record<string, unknown>>;
}

/** The frames of a dataset, what every consumer of one reads (the batcher and evaluation add their fields). */
export type DatasetFrames = Pick<
  Dataset,
  'name' | 'category' | 'numJoints' | 'frames' | 'points' | 'sequences'
>;

export interface LoadDatasetOptions {
  /** Read `views.f32` when the dataset has one (default true). */
  views?: boolean;
}

const META = 'meta.json';
const POINTS = 'points.f32';
const VIEWS = 'views.f32';
const REQUIRED_KEYS = [
  'name',
  'category',
  'units',
  'joints',
  'edges',
  'symmetry',
  'frames',
  'sequences',
] as const;

/**
 * Loads and validates a dataset folder. Throws DataFormatError naming the file and the problem:
 * a missing file or meta.json key, a file size that disagrees with meta.json, sequences that do
 * not tile [0, F), edges out of range, a joint that is partly NaN, a non-finite coordinate.
 */
export async function loadDataset(dir: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  const metaFile = join(dir, META);
  const metaText = await readText(metaFile, `dataset folder ${dir} has no ${META}`);
  let raw: unknown;
  try {
    raw = JSON.parse(metaText);
  } catch (err) {
    throw new DataFormatError(`invalid JSON (${(err as Error).message})`, metaFile);
  }
  const meta = parseMeta(raw, metaFile);
  const F = meta.frames;
  const J = meta.joints.length;

  const pointsFile = join(dir, POINTS);
  const pointBytes = await readBytes(pointsFile);
  const want = 12 * F * J;
  if (pointBytes.byteLength !== want) {
    throw new DataFormatError(
      `file has ${formatCount(pointBytes.byteLength)} bytes but meta.json (frames=${F}, ${J} joints) ` +
        `implies [${F}, ${J}, 3] float32 = ${formatCount(want)} bytes`,
      pointsFile,
    );
  }
  const points = readTyped(Float32Array, pointBytes, 0, F * J * 3, true);
  checkMissingAllOrNothing(points, 3, pointsFile, (i) => {
    const f = Math.floor(i / J);
    const j = i % J;
    return `frame ${f} joint ${j} (${JSON.stringify(meta.joints[j])})`;
  });

  const viewsFile = join(dir, VIEWS);
  let views: DatasetViews | undefined;
  if (meta.views) {
    if (options.views !== false) {
      const V = meta.views.count;
      const bytes = await readBytes(
        viewsFile,
        `meta.json declares views (count ${V}) but ${VIEWS} is missing`,
      );
      const wantViews = 8 * V * F * J;
      if (bytes.byteLength !== wantViews) {
        throw new DataFormatError(
          `file has ${formatCount(bytes.byteLength)} bytes but meta.json (views.count=${V}, frames=${F}, ` +
            `${J} joints) implies [${V}, ${F}, ${J}, 2] float32 = ${formatCount(wantViews)} bytes`,
          viewsFile,
        );
      }
      const data = readTyped(Float32Array, bytes, 0, V * F * J * 2, true);
      checkMissingAllOrNothing(data, 2, viewsFile, (i) => {
        const j = i % J;
        const f = Math.floor(i / J) % F;
        const v = Math.floor(i / (J * F));
        return `view ${v} frame ${f} joint ${j} (${JSON.stringify(meta.joints[j])})`;
      });
      views = { ...meta.views, data };
    }
  } else if (await exists(viewsFile)) {
    throw new DataFormatError(`${VIEWS} exists but meta.json has no "views" entry describing it`, metaFile);
  }

  return {
    dir,
    name: meta.name,
    category: meta.category,
    description: meta.description,
    units: meta.units,
    fps: meta.fps,
    joints: meta.joints,
    edges: meta.edges,
    symmetry: meta.symmetry,
    perSequenceEdges: meta.perSequenceEdges,
    frames: F,
    numJoints: J,
    points,
    ...(views ? { views } : {}),
    sequences: meta.sequences,
    meta: raw as Record<string, unknown>,
  };
}

/** The dataset folders (those holding a meta.json) directly inside `root`, sorted by name. */
export async function listDatasets(root: string): Promise<string[]> {
  const entries: Dirent[] = await onFile(root, () => readdir(root, { withFileTypes: true }), {
    missing: 'folder not found',
  });
  const dirs: string[] = [];
  for (const e of entries) {
    if (e.isDirectory() && (await exists(join(root, e.name, META)))) dirs.push(join(root, e.name));
  }
  return dirs.sort();
}

/** Frame indices of the sequences in `split` (or any of several splits), ascending. */
export function splitFrames(ds: Pick<Dataset, 'sequences'>, split: Split | readonly Split[]): Int32Array {
  const want = typeof split === 'string' ? [split] : split;
  let n = 0;
  for (const s of ds.sequences) if (want.includes(s.split)) n += s.count;
  const out = new Int32Array(n);
  let k = 0;
  for (const s of ds.sequences) {
    if (!want.includes(s.split)) continue;
    for (let f = s.start; f < s.start + s.count; f++) out[k++] = f;
  }
  return out;
}

/** Index into `ds.sequences` of the sequence holding `frame` (binary search). */
export function sequenceIndexOfFrame(ds: Pick<Dataset, 'sequences' | 'frames'>, frame: number): number {
  if (!Number.isInteger(frame) || frame < 0 || frame >= ds.frames) {
    throw new RangeError(`frame ${frame} is outside [0, ${ds.frames})`);
  }
  let lo = 0;
  let hi = ds.sequences.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ds.sequences[mid]!.start <= frame) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The bones that apply to a sequence: its own when the dataset has per-sequence edges, else the dataset's. */
export function sequenceEdges(ds: Pick<Dataset, 'edges'>, sequence: DatasetSequence): readonly Edge[] {
  return sequence.edges ?? ds.edges;
}

/** The bones that apply to one frame (see `sequenceEdges`). */
export function frameEdges(
  ds: Pick<Dataset, 'edges' | 'sequences' | 'frames'>,
  frame: number,
): readonly Edge[] {
  return sequenceEdges(ds, ds.sequences[sequenceIndexOfFrame(ds, frame)]!);
}

/** What `writeDataset` needs; a loaded `Dataset` qualifies (so load → write round-trips). */
export interface DatasetInput {
  readonly name: string;
  readonly category: string;
  readonly units: string;
  readonly joints: readonly string[];
  /** [F, J, 3] float32; F is inferred from the length. */
  readonly points: Float32Array;
  readonly description?: string;
  readonly fps?: number | null;
  readonly edges?: readonly Edge[];
  readonly symmetry?: readonly Edge[];
  readonly perSequenceEdges?: boolean;
  /** Default: one 'train' sequence named after the dataset covering every frame. */
  readonly sequences?: readonly DatasetSequence[];
  readonly views?: Omit<DatasetViews, 'count' | 'kind' | 'cameraIds'> &
    Partial<Pick<DatasetViews, 'count' | 'kind' | 'cameraIds'>>;
  /** Extra meta.json keys (source, license, notes, …), written as given; typed fields win. */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/**
 * Writes a dataset folder (meta.json, points.f32, views.f32 when given), validating it exactly as
 * `loadDataset` would. Each file is written atomically (temporary name, then rename); meta.json is
 * written last, and a stale views.f32 is removed when the dataset has no views.
 */
export async function writeDataset(dir: string, input: DatasetInput): Promise<void> {
  const J = input.joints.length;
  if (J === 0 || input.points.length % (J * 3) !== 0) {
    throw new ShapeError(
      `points has ${input.points.length} values, not a multiple of J*3 = ${J * 3} (J = ${J} joints)`,
    );
  }
  const F = input.points.length / (J * 3);
  const sequences = input.sequences ?? [{ id: input.name, start: 0, count: F, split: 'train' as const }];
  const extra = { ...(input.meta ?? {}) };
  const meta: Record<string, unknown> = {
    name: input.name,
    category: input.category,
    description: input.description ?? (typeof extra.description === 'string' ? extra.description : ''),
    ...pick(extra, ['source', 'license']),
    units: input.units,
    fps: input.fps ?? null,
    joints: [...input.joints],
    edges: (input.edges ?? []).map((e) => [e[0], e[1]]),
    symmetry: (input.symmetry ?? []).map((e) => [e[0], e[1]]),
    frames: F,
    shape: [F, J, 3],
    sequences: sequences.map((s) => ({
      id: s.id,
      start: s.start,
      count: s.count,
      split: s.split,
      ...(s.subject !== undefined ? { subject: s.subject } : {}),
      ...(s.edges ? { edges: s.edges.map((e) => [e[0], e[1]]) } : {}),
    })),
  };
  if (input.perSequenceEdges ?? sequences.some((s) => s.edges)) meta.per_sequence_edges = true;
  if (input.views) {
    const V = input.views.count ?? input.views.data.length / (F * J * 2);
    if (!Number.isInteger(V) || V * F * J * 2 !== input.views.data.length) {
      throw new ShapeError(
        `views.data has ${input.views.data.length} values; expected [V, ${F}, ${J}, 2]` +
          (input.views.count !== undefined ? ` with V = ${input.views.count}` : ''),
      );
    }
    meta.views = {
      count: V,
      kind: input.views.kind ?? '',
      camera_ids: [...(input.views.cameraIds ?? Array.from({ length: V }, (_, v) => `cam${v}`))],
      ...(input.views.notes !== undefined ? { notes: input.views.notes } : {}),
      shape: [V, F, J, 2],
    };
  }
  for (const [k, v] of Object.entries(extra)) {
    if (!(k in meta) && k !== 'views' && k !== 'per_sequence_edges') meta[k] = v;
  }

  // Validate before touching the folder, with the paths a later load would report.
  const metaFile = join(dir, META);
  parseMeta(meta, metaFile);
  checkMissingAllOrNothing(
    input.points,
    3,
    join(dir, POINTS),
    (i) => `frame ${Math.floor(i / J)} joint ${i % J}`,
  );
  if (input.views) {
    checkMissingAllOrNothing(input.views.data, 2, join(dir, VIEWS), (i) => `view-frame-joint #${i}`);
  }

  await writeFileAtomic(join(dir, POINTS), toLittleEndianBytes(input.points));
  if (input.views) await writeFileAtomic(join(dir, VIEWS), toLittleEndianBytes(input.views.data));
  else await rm(join(dir, VIEWS), { force: true });
  await writeFileAtomic(metaFile, `${JSON.stringify(meta, null, 2)}\n`);
}

interface ParsedMeta {
  name: string;
  category: string;
  description: string;
  units: string;
  fps: number | null;
  joints: string[];
  edges: Edge[];
  symmetry: Edge[];
  perSequenceEdges: boolean;
  frames: number;
  sequences: DatasetSequence[];
  views?: Omit<DatasetViews, 'data'>;
}

/** Validates a parsed meta.json object (everything that does not need the binary files). */
function parseMeta(raw: unknown, file: string): ParsedMeta {
  const fail = (msg: string): never => {
    throw new DataFormatError(msg, file);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('must be a JSON object');
  const m = raw as Record<string, unknown>;
  const missing = REQUIRED_KEYS.filter((k) => !(k in m));
  if (missing.length > 0)
    fail(`missing key${missing.length > 1 ? 's' : ''} ${missing.map((k) => `"${k}"`).join(', ')}`);

  const str = (k: string, v: unknown): string =>
    typeof v === 'string' ? v : fail(`"${k}" must be a string`);
  const name = str('name', m.name);
  const category = str('category', m.category);
  const units = str('units', m.units);
  const description = m.description === undefined ? '' : str('description', m.description);
  const fps =
    m.fps === undefined || m.fps === null
      ? null
      : typeof m.fps === 'number'
        ? m.fps
        : fail('"fps" must be a number or null');

  if (!Array.isArray(m.joints) || m.joints.length === 0 || !m.joints.every((j) => typeof j === 'string')) {
    fail('"joints" must be a non-empty list of names');
  }
  const joints = m.joints as string[];
  const J = joints.length;
  const frames = m.frames;
  if (typeof frames !== 'number' || !Number.isInteger(frames) || frames < 0)
    fail('"frames" must be an integer >= 0');
  const F = frames as number;
  if (m.shape !== undefined) {
    const s = m.shape;
    if (!Array.isArray(s) || s.length !== 3 || s[0] !== F || s[1] !== J || s[2] !== 3) {
      fail(
        `"shape" ${JSON.stringify(s)} disagrees with frames=${F} and ${J} joints (expected [${F}, ${J}, 3])`,
      );
    }
  }
  const edges = parseEdges(m.edges, '"edges"', J, fail);
  const symmetry = parseEdges(m.symmetry, '"symmetry"', J, fail);
  const perSequenceEdges = m.per_sequence_edges === true;

  if (!Array.isArray(m.sequences)) fail('"sequences" must be a list');
  const sequences: DatasetSequence[] = [];
  let end = 0;
  (m.sequences as unknown[]).forEach((s, i) => {
    if (typeof s !== 'object' || s === null) fail(`sequence ${i} must be an object`);
    const q = s as Record<string, unknown>;
    const where = `sequence ${i}${typeof q.id === 'string' ? ` ("${q.id}")` : ''}`;
    if (typeof q.id !== 'string') fail(`${where}: "id" must be a string`);
    if (typeof q.start !== 'number' || !Number.isInteger(q.start))
      fail(`${where}: "start" must be an integer`);
    if (typeof q.count !== 'number' || !Number.isInteger(q.count) || q.count < 0) {
      fail(`${where}: "count" must be an integer >= 0`);
    }
    if (typeof q.split !== 'string' || !SPLITS.includes(q.split as Split)) {
      fail(`${where}: "split" must be one of ${SPLITS.join('|')}, got ${JSON.stringify(q.split)}`);
    }
    const start = q.start as number;
    const count = q.count as number;
    if (start !== end) {
      fail(
        `sequences must tile [0, ${F}) in order: ${where} starts at ${start} but ` +
          (i === 0 ? 'the first must start at 0' : `the previous one ends at ${end}`),
      );
    }
    end = start + count;
    if (end > F) fail(`sequences must tile [0, ${F}): ${where} ends at ${end}, past frames=${F}`);
    const seqEdges = q.edges === undefined ? undefined : parseEdges(q.edges, `${where} "edges"`, J, fail);
    if (perSequenceEdges && !seqEdges) fail(`per_sequence_edges is true but ${where} has no "edges"`);
    sequences.push({
      id: q.id as string,
      start,
      count,
      split: q.split as Split,
      ...(typeof q.subject === 'string' ? { subject: q.subject } : {}),
      ...(seqEdges ? { edges: seqEdges } : {}),
    });
  });
  if (end !== F) fail(`sequences must tile [0, ${F}): they end at frame ${end}`);

  let views: ParsedMeta['views'];
  if (m.views !== undefined && m.views !== null) {
    const v = m.views as Record<string, unknown>;
    if (typeof v !== 'object' || typeof v.count !== 'number' || !Number.isInteger(v.count) || v.count < 1) {
      fail('"views.count" must be an integer >= 1');
    }
    const V = v.count as number;
    if (v.shape !== undefined) {
      const s = v.shape;
      if (!Array.isArray(s) || s.length !== 4 || s[0] !== V || s[1] !== F || s[2] !== J || s[3] !== 2) {
        fail(`"views.shape" ${JSON.stringify(s)} disagrees with views.count=${V}, frames=${F}, ${J} joints`);
      }
    }
    const cameraIds = v.camera_ids === undefined ? [] : v.camera_ids;
    if (!Array.isArray(cameraIds) || !cameraIds.every((c) => typeof c === 'string')) {
      fail('"views.camera_ids" must be a list of strings');
    }
    if ((cameraIds as string[]).length !== 0 && (cameraIds as string[]).length !== V) {
      fail(`"views.camera_ids" has ${(cameraIds as string[]).length} entries but views.count is ${V}`);
    }
    views = {
      count: V,
      kind: typeof v.kind === 'string' ? v.kind : '',
      cameraIds: cameraIds as string[],
      ...(typeof v.notes === 'string' ? { notes: v.notes } : {}),
    };
  }
  return {
    name,
    category,
    description,
    units,
    fps,
    joints,
    edges,
    symmetry,
    perSequenceEdges,
    frames: F,
    sequences,
    ...(views ? { views } : {}),
  };
}

function parseEdges(v: unknown, what: string, J: number, fail: (msg: string) => never): Edge[] {
  if (!Array.isArray(v)) fail(`${what} must be a list of [i, j] pairs`);
  return (v as unknown[]).map((e, k) => {
    if (!Array.isArray(e) || e.length !== 2)
      fail(`${what}[${k}] must be an [i, j] pair, got ${JSON.stringify(e)}`);
    const [i, j] = e as unknown[];
    const ok = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < J;
    if (!ok(i) || !ok(j))
      fail(`${what}[${k}] = ${JSON.stringify(e)} is not a pair of joint indices in [0, ${J})`);
    return [i, j] as Edge;
  });
}

/**
 * Every group of `width` values (one joint) must be all finite or all NaN. Names the first bad
 * group (via `describe(groupIndex)`) and counts them.
 */
function checkMissingAllOrNothing(
  data: Float32Array,
  width: number,
  file: string,
  describe: (group: number) => string,
): void {
  let bad = 0;
  let first = -1;
  let infinite = false;
  for (let g = 0, o = 0; o < data.length; g++, o += width) {
    let nan = 0;
    let inf = false;
    for (let c = 0; c < width; c++) {
      const x = data[o + c]!;
      if (Number.isNaN(x)) nan++;
      else if (x === Infinity || x === -Infinity) inf = true;
    }
    if (inf || (nan !== 0 && nan !== width)) {
      if (bad === 0) {
        first = g;
        infinite = inf;
      }
      bad++;
    }
  }
  if (bad === 0) return;
  const vals = Array.from(data.subarray(first * width, first * width + width), (x) => String(x)).join(', ');
  const problem = infinite
    ? 'has an infinite coordinate'
    : `is partly NaN; a missing joint must be NaN in all ${width} coordinates`;
  throw new DataFormatError(
    `${describe(first)} ${problem} (${vals})${bad > 1 ? `; ${formatCount(bad)} such joints in the file` : ''}`,
    file,
  );
}

async function readText(file: string, missing?: string): Promise<string> {
  return new TextDecoder().decode(await readBytes(file, missing));
}

function readBytes(file: string, missing?: string): Promise<Uint8Array> {
  return readFileOr(file, missing === undefined ? {} : { missing });
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in o) out[k] = o[k];
  return out;
}
