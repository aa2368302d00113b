import type {
  KeypointSequence,
  KeypointTrack,
  SequenceFormat,
  SequenceFrame,
  TrackPart,
} from '@lfm/datasets/preprocess';
import type { Rig } from '@lfm/rig';
import type { CameraRequest, CameraResult } from './camera.js';
import { fixMirrorFlips } from './flips.js';
import { type RigInput, resolveRig } from './input.js';
import { type Lifter, type LiftResult, MIN_VISIBLE_POINTS } from './lifter.js';
import { type MissingPolicy, resolveSmoothOptions, type SmoothOptions, smoothTrack } from './smoothing.js';

/**
 * Lifting 2D keypoint sequences (@lfm/datasets `KeypointSequence`: OpenPose folders, DeepLabCut CSVs,
 * our JSON / COCO / MediaPipe with frame ids) frame by frame, in batches, and writing the result as
 * JSON, a DeepLabCut-layout CSV with a z column, or an NPY array.
 *
 * A `LiftedSequence` keeps the input's layout: per track, the frames it appears in (indices into
 * `frames`) with [T, J, 3] points and one camera per frame — the form a temporal filter or a player
 * consumes (see @lfm/datasets/preprocess `KeypointSequence`).
 */

export interface LiftSequenceOptions {
  /**
   * The rig of each track (a rig id or Rig; undefined = none: the track's own bones or the kNN graph).
   * Default: the track's detected rig (`track.rig`). The track's points must be in the rig's joint
   * order (see @lfm/datasets `retargetTrack`).
   */
  rig?: ((track: KeypointTrack) => RigInput | undefined) | undefined;
  /** As `Lifter.lift`: with a camera, `points3d` are in its frame. */
  camera?: CameraRequest | undefined;
  /** Frames per `Lifter.lift` call (default 512). */
  batchSize?: number | undefined;
  /** Called after every batch with the frames lifted so far and the total (over all tracks). */
  onProgress?: ((done: number, total: number) => void) | undefined;
  /**
   * One-Euro smoothing of each track's 2D before lifting (./smoothing.js `smoothTrack`: per point and
   * coordinate, the clock the frame index ÷ `fps`); undefined = none.
   */
  smooth?: SmoothOptions | undefined;
  /**
   * 'fix': make the depth sign consistent across each track's frames (./flips.js `fixMirrorFlips`:
   * a frame closer to its predecessor's mirror image is flipped, with its camera); 'keep' (default):
   * every frame as lifted.
   */
  flips?: 'fix' | 'keep' | undefined;
}

/** The temporal processing a sequence was lifted with (`LiftedSequence.temporal`). */
export interface TemporalSettings {
  /** The One-Euro filter's parameters (defaults filled in), or null: no smoothing. */
  readonly smooth: {
    readonly filter: 'one-euro';
    readonly minCutoff: number;
    readonly beta: number;
    readonly dCutoff: number;
    /** null = unit steps (cutoffs in cycles per frame). */
    readonly fps: number | null;
    readonly missing: MissingPolicy;
  } | null;
  readonly flips: 'fix' | 'keep';
}

/** One track's lift. */
export interface LiftedTrack {
  readonly key: string;
  readonly track: number | string;
  readonly part?: TrackPart;
  /** The rig it was lifted with. */
  readonly rig?: string;
  /** Its point names: the rig's joints, else the source's names (DeepLabCut body parts), else none. */
  readonly joints?: readonly string[];
  readonly numJoints: number;
  /** [T] indices into `LiftedSequence.frames`, as in the input track. */
  readonly frames: Int32Array;
  /**
   * [T, J, 3] the lifted points — canonical, or in the camera frame when a camera was requested
   * (`LiftedSequence.space`); NaN where a point was missing, and for the whole row of a frame with too
   * few visible points to lift (fewer than 3; 4 for a perspective camera).
   */
  readonly points3d: Float32Array;
  /** [T, J] 1 where `points3d` holds a lifted point. */
  readonly mask: Uint8Array;
  /** [T] each frame's camera; null for a frame that was not lifted. */
  readonly cameras: (CameraResult | null)[];
  /** [T] with `flips: 'fix'`: 1 where the frame's depth was flipped (points and camera re-posed). */
  readonly flipped?: Uint8Array;
}

export interface LiftedSequence {
  readonly format: SequenceFormat;
  readonly frames: readonly SequenceFrame[];
  readonly tracks: readonly LiftedTrack[];
  /** 'canonical' (the model's frame) or 'camera' (`LiftSequenceOptions.camera`). */
  readonly space: 'canonical' | 'camera';
  /** The 2D input was MediaPipe's normalised [0, 1] coordinates. */
  readonly normalized: boolean;
  /** The smoothing and flip fixing applied. */
  readonly temporal: TemporalSettings;
}

/**
 * Lifts every track of a sequence, `batchSize` frames per `lifter.lift` call. A frame with fewer
 * visible points than a camera needs is not lifted (NaN points, null camera) instead of failing the
 * batch. Errors of the lift name the track and the source frame id.
 */
export async function liftSequence(
  lifter: Pick<Lifter, 'lift'>,
  sequence: KeypointSequence,
  options: LiftSequenceOptions = {},
): Promise<LiftedSequence> {
  const batchSize = options.batchSize ?? 512;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be an integer ≥ 1, got ${batchSize}`);
  }
  const smooth = options.smooth === undefined ? undefined : resolveSmoothOptions(options.smooth);
  const flips = options.flips ?? 'keep';
  if (flips !== 'fix' && flips !== 'keep') {
    throw new RangeError(`flips must be 'fix' or 'keep', got ${JSON.stringify(flips)}`);
  }
  const persp = options.camera !== undefined && options.camera.kind !== 'ortho';
  const minVisible = persp ? 4 : MIN_VISIBLE_POINTS;
  const total = sequence.tracks.reduce((n, t) => n + t.frames.length, 0);
  let done = 0;
  const tracks: LiftedTrack[] = [];
  for (const input of sequence.tracks) {
    const track = smooth ? smoothTrack(input, smooth) : input;
    const given = options.rig ? options.rig(track) : track.rig;
    const rig: Rig | undefined = given === undefined ? undefined : resolveRig(given);
    const J = track.numJoints;
    const T = track.frames.length;
    const points3d = new Float32Array(T * J * 3).fill(Number.NaN);
    const mask = new Uint8Array(T * J);
    const cameras: (CameraResult | null)[] = new Array(T).fill(null);
    // The rows that can be lifted.
    const rows: number[] = [];
    for (let t = 0; t < T; t++) {
      let visible = 0;
      for (let j = 0; j < J; j++) visible += track.mask[t * J + j]!;
      if (visible >= minVisible) rows.push(t);
    }
    for (let r0 = 0; r0 < rows.length; r0 += batchSize) {
      const batch = rows.slice(r0, r0 + batchSize);
      const B = batch.length;
      const xy = new Float32Array(B * J * 2);
      const m = new Uint8Array(B * J);
      batch.forEach((t, b) => {
        xy.set(track.points.subarray(t * J * 2, (t + 1) * J * 2), b * J * 2);
        m.set(track.mask.subarray(t * J, (t + 1) * J), b * J);
      });
      let results: LiftResult[];
      try {
        results = await lifter.lift(xy, {
          batch: B,
          mask: m,
          ...(rig ? { rig } : track.bones ? { bones: track.bones } : {}),
          ...(options.camera && { camera: options.camera }),
        });
      } catch (err) {
        throw renameSample(err, track, sequence.frames, batch);
      }
      results.forEach((res, b) => {
        const t = batch[b]!;
        const pts = options.camera ? res.pointsCamera! : res.points3d;
        for (let j = 0; j < J; j++) {
          const p = pts[j];
          if (!p) continue;
          const k = t * J + j;
          points3d[3 * k] = p[0];
          points3d[3 * k + 1] = p[1];
          points3d[3 * k + 2] = p[2];
          mask[k] = 1;
        }
        cameras[t] = res.camera;
      });
      done += B;
      options.onProgress?.(done, total);
    }
    done += T - rows.length;
    if (T > rows.length) options.onProgress?.(done, total);
    const joints = rig?.joints ?? track.joints;
    const rigId = rig?.id;
    let fixed: { points3d: Float32Array; cameras: (CameraResult | null)[]; flipped?: Uint8Array } = {
      points3d,
      cameras,
    };
    if (flips === 'fix') {
      fixed = fixMirrorFlips(
        { numJoints: J, points3d, mask, cameras },
        { space: options.camera ? 'camera' : 'canonical', input: track },
      );
    }
    tracks.push({
      key: track.key,
      track: track.track,
      ...(track.part !== undefined && { part: track.part }),
      ...(rigId !== undefined && { rig: rigId }),
      ...(joints !== undefined && { joints }),
      numJoints: J,
      frames: track.frames,
      mask,
      ...fixed,
    });
  }
  return {
    format: sequence.format,
    frames: sequence.frames,
    tracks,
    space: options.camera ? 'camera' : 'canonical',
    normalized: sequence.normalized,
    temporal: {
      smooth: smooth
        ? {
            filter: 'one-euro',
            minCutoff: smooth.minCutoff,
            beta: smooth.beta,
            dCutoff: smooth.dCutoff,
            fps: smooth.fps ?? null,
            missing: smooth.missing,
          }
        : null,
      flips,
    },
  };
}

/** The lifter's "sample b" → the track and the source frame id of that batch row. */
function renameSample(
  err: unknown,
  track: KeypointTrack,
  frames: readonly SequenceFrame[],
  batch: readonly number[],
): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || typeof code !== 'string' || !code.startsWith('E_')) return err;
  const frameOf = (b: number) => JSON.stringify(frames[track.frames[batch[b]!]!]?.id);
  let named = false;
  const message = err.message.replace(/\bsample (\d+)\b/g, (_, b: string) => {
    named = true;
    return `frame ${frameOf(Number(b))}`;
  });
  err.message = `track ${JSON.stringify(track.key)}${named ? ', ' : ': '}${message}`;
  return err;
}

// --- output -----------------------------------------------------------------------------------------

/** The camera as `lfm lift` prints it: R, t, s, kind, rmse (+ fx, fy, cx, cy for persp, s = 1). */
export function cameraJson(c: CameraResult): Record<string, unknown> {
  if (c.kind === 'ortho') return { R: c.R, t: c.t, s: c.s, kind: c.kind, rmse: c.rmse };
  // PnP: camera-frame points are R X + t in the model's units (scale 1).
  return { R: c.R, t: c.t, s: 1, kind: c.kind, rmse: c.rmse, fx: c.fx, fy: c.fy, cx: c.cx, cy: c.cy };
}

/** The format tag of our sequence JSON. */
export const SEQUENCE_FORMAT = 'lfm-sequence';

/** Names of a track's points for files that need names: its joints, else p0, p1, … */
export function trackJointNames(track: Pick<LiftedTrack, 'joints' | 'numJoints'>): readonly string[] {
  return track.joints ?? Array.from({ length: track.numJoints }, (_, j) => `p${j}`);
}

/**
 * The JSON document of a lifted sequence (`lfm lift --format-out json`):
 *
 *     { "format": "lfm-sequence", "version": 1, "source": "openpose", "space": "canonical",
 *       "frames": [{ "id": 12, "file": "video_000000000012_keypoints.json" }, …],
 *       "tracks": [{ "key": "0", "track": 0, "part": "body", "rig": "openpose-body-25",
 *                    "joints": [...], "frames": [0, 1, 2], "frameIds": [12, 13, 14],
 *                    "points3d": [[[x, y, z] | null, …J], …T], "cameras": [{R, t, s, kind, rmse} | null, …T] }] }
 *
 * A track lists the frames it appears in (`frames`: indices into the top-level `frames`; `frameIds`:
 * their source ids); `points3d[k]` and `cameras[k]` belong to frame `frames[k]`. With
 * `withPoints: false`, the tracks have no points3d (the sidecar of a CSV / NPY file).
 */
export function liftedSequenceJson(
  seq: LiftedSequence,
  options: { input?: string; withPoints?: boolean; points?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const withPoints = options.withPoints ?? true;
  return {
    format: SEQUENCE_FORMAT,
    version: 1,
    source: seq.format,
    ...(options.input !== undefined && { input: options.input }),
    space: seq.space,
    ...(seq.normalized && { normalized: true }),
    ...(options.points && { points3d: options.points }),
    ...((seq.temporal.smooth !== null || seq.temporal.flips === 'fix') && { temporal: seq.temporal }),
    frames: seq.frames.map((f) => ({ id: f.id, ...(f.file !== undefined && { file: f.file }) })),
    tracks: seq.tracks.map((t) => {
      const J = t.numJoints;
      return {
        key: t.key,
        track: t.track,
        ...(t.part !== undefined && { part: t.part }),
        ...(t.rig !== undefined && { rig: t.rig }),
        joints: trackJointNames(t),
        frames: Array.from(t.frames),
        frameIds: Array.from(t.frames, (f) => seq.frames[f]!.id),
        ...(withPoints && {
          points3d: Array.from({ length: t.frames.length }, (_, k) =>
            Array.from({ length: J }, (_, j) =>
              t.mask[k * J + j] === 1
                ? Array.from(t.points3d.subarray(3 * (k * J + j), 3 * (k * J + j) + 3))
                : null,
            ),
          ),
        }),
        cameras: t.cameras.map((c) => (c ? cameraJson(c) : null)),
        ...(t.flipped && {
          flippedFrames: Array.from(t.frames).filter((_, k) => t.flipped![k] === 1),
        }),
      };
    }),
  };
}

/**
 * The lifted points in DeepLabCut's CSV layout, with z: header rows scorer / bodyparts / coords (one
 * track) or scorer / individuals / bodyparts / coords (several: individuals are the track keys), coords
 * x, y, z per point; one row per frame of the sequence, its index the source frame id; empty cells
 * where a point is missing or the track absent (as pandas writes NaN). DeepLabCut reads it with
 * `pd.read_csv(path, header=[0, 1, 2], index_col=0)` (`[0, 1, 2, 3]` for several tracks), as its 3D
 * (triangulated) output; `readDlcTable` reads it too. Cameras are not in it (see the sidecar JSON).
 */
export function liftedSequenceCsv(seq: LiftedSequence, options: { scorer?: string } = {}): string {
  const scorer = options.scorer ?? 'LFM';
  const multi = seq.tracks.length !== 1;
  const header: string[][] = [['scorer'], ...(multi ? [['individuals']] : []), ['bodyparts'], ['coords']];
  for (const t of seq.tracks) {
    for (const name of trackJointNames(t)) {
      for (const c of ['x', 'y', 'z']) {
        let r = 0;
        header[r++]!.push(scorer);
        if (multi) header[r++]!.push(t.key);
        header[r++]!.push(name);
        header[r]!.push(c);
      }
    }
  }
  const F = seq.frames.length;
  const width = header[0]!.length - 1;
  const cells: string[][] = Array.from({ length: F }, () => new Array<string>(width).fill(''));
  let col = 0;
  for (const t of seq.tracks) {
    const J = t.numJoints;
    t.frames.forEach((f, k) => {
      const row = cells[f]!;
      for (let j = 0; j < J; j++) {
        if (t.mask[k * J + j] !== 1) continue;
        for (let c = 0; c < 3; c++) row[col + 3 * j + c] = num(t.points3d[3 * (k * J + j) + c]!);
      }
    });
    col += 3 * J;
  }
  const lines = header.map((r) => r.map(csvCell).join(','));
  seq.frames.forEach((f, i) => {
    lines.push(`${csvCell(String(f.id))},${cells[i]!.join(',')}`);
  });
  return `${lines.join('\n')}\n`;
}

/**
 * The lifted points as one float32 array [tracks, frames, J, 3] (`lfm lift --format-out npy`): track
 * k's points at sequence frame f in [k, f, :numJoints_k], NaN where missing, where the track is absent
 * and in the padding of tracks with fewer points than the widest (J = the largest numJoints).
 */
export function liftedSequenceArray(seq: LiftedSequence): { data: Float32Array; shape: number[] } {
  const K = seq.tracks.length;
  const F = seq.frames.length;
  const J = seq.tracks.reduce((m, t) => Math.max(m, t.numJoints), 0);
  const data = new Float32Array(K * F * J * 3).fill(Number.NaN);
  seq.tracks.forEach((t, k) => {
    const n = t.numJoints;
    t.frames.forEach((f, r) => {
      for (let j = 0; j < n; j++) {
        if (t.mask[r * n + j] !== 1) continue;
        data.set(t.points3d.subarray(3 * (r * n + j), 3 * (r * n + j) + 3), ((k * F + f) * J + j) * 3);
      }
    });
  });
  return { data, shape: [K, F, J, 3] };
}

function num(v: number): string {
  return String(Number(v.toPrecision(7)));
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
