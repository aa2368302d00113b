import { readTextFileOr } from '@lfm/core/node';
import {
  detectRig,
  type Edge,
  type KeypointSequence,
  type Keypoints2D,
  keypointItemPoints,
} from '@lfm/datasets/preprocess';
import type { CameraRequest, LiftResult, SmoothOptions } from '@lfm/runtime';
import { choiceFlag, type FlagSpecs, numberFlag, parseFlags, required } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { type CliIo, formatJson, note, resolvePath, writeFileAtomic } from '../io.js';
import { openLifter, RUNTIMES, TFJS_BACKENDS } from '../model.js';
import { loadRigs } from '../rigs.js';
import { assignRigs, isDirectory, liftAndWriteSequence, OUTPUT_FORMATS, outputFormat } from '../sequence.js';

/** `--format`: the input formats. */
export const INPUT_FORMATS = ['lfm', 'coco', 'mediapipe', 'openpose', 'dlc'] as const;
type InputFormat = (typeof INPUT_FORMATS)[number];

export const LIFT_FLAGS = {
  input: { type: 'string', short: 'i' },
  rig: { type: 'string' },
  'rig-plugin': { type: 'string', multiple: true },
  model: { type: 'string', short: 'm' },
  camera: { type: 'string' },
  focal: { type: 'string' },
  cx: { type: 'string' },
  cy: { type: 'string' },
  out: { type: 'string', short: 'o' },
  runtime: { type: 'string' },
  backend: { type: 'string' },
  'image-size': { type: 'string' },
  'min-visibility': { type: 'string' },
  format: { type: 'string' },
  'format-out': { type: 'string' },
  'min-likelihood': { type: 'string' },
  smooth: { type: 'string' },
  'min-cutoff': { type: 'string' },
  beta: { type: 'string' },
  'd-cutoff': { type: 'string' },
  fps: { type: 'string' },
  flips: { type: 'string' },
} as const satisfies FlagSpecs;

/** `--smooth`. */
export const SMOOTH_FILTERS = ['one-euro', 'none'] as const;
/** `--flips`. */
export const FLIP_MODES = ['fix', 'keep'] as const;

export const LIFT_HELP = `Usage: lfm lift --input FILE|DIR [options]

Lifts 2D keypoints to 3D and recovers the camera. FILE holds our JSON
({"points": [[x, y] | null, ...], "rig"?: ID, "bones"?: [[i, j], ...]}, or a list of them),
COCO keypoint results ([{"keypoints": [x, y, v, ...], ...}]) or MediaPipe landmarks.
Prints, per input, {"points3d": [N][3] (null where masked), "camera": {R, t, s, ...}}:
one object for one input, a list for a list.

Sequences (detected by content, or --format): an OpenPose JSON file or a folder of them
(DIR: its *.json files in natural order of their names, one frame each, of any format), a
DeepLabCut predictions CSV, or a list of our JSON / COCO / MediaPipe items with frame ids
("frame"; COCO "track_id" / "frame_id"). People and animals are told apart by their track id
(OpenPose person_id, DeepLabCut individuals, COCO track_id, our "track"), else their index in
the frame; an OpenPose face (pupils dropped: ibug-face-68) and hands are tracks of their own.
A sequence is written as ONE file holding every track: --format-out json (default): per track
its frames, source frame ids, points3d [T][J][3] (null where missing) and a camera per frame;
csv: DeepLabCut's layout with x, y, z per body part (individuals = tracks), plus FILE.meta.json
with the cameras and ids; npy: float32 [tracks, frames, joints, 3] (NaN = missing), plus
FILE.meta.json. A frame with fewer than 3 visible points is not lifted (null).

Temporal (sequences): --smooth one-euro filters each track's 2D before lifting, per point
and coordinate, with the One-Euro filter (Casiez et al., CHI 2012: a low-pass whose cutoff
rises with the speed: minCutoff + beta·|speed|); a missing point stays missing and its filter
keeps its state through the gap (the next sample is filtered over the elapsed time). Frame f
is at time f / --fps (cutoffs in Hz), else at f (unit steps: cutoffs in cycles per frame; the
defaults are then the Hz defaults at 30 fps). --flips fix makes the depth sign consistent
along each track: frames whose lifted shape is closer to the previous frame's mirror image
than to it are flipped back, with their camera (decided for the whole track at once; the 2D
they project to is unchanged). The JSON output (or the sidecar) records both ("temporal",
and per track "flippedFrames").

Options:
  -i, --input FILE|DIR      2D keypoints (required)
      --format NAME         input format: lfm, coco, mediapipe, openpose or dlc (default: detected)
      --rig ID              rig of every input (bones for the local attention); default: the
                            input's "rig", else COCO-17 / MediaPipe layouts by their point count,
                            else the k-nearest-neighbour graph of the points
      --rig-plugin PATH     load rigs from a plugin module (repeatable)
  -m, --model PATH          .onnx model or .ckpt checkpoint (default: the shipped model)
      --camera ortho|persp  return points3d in the camera frame: ortho (OnP; x, y in pixels)
                            or persp (PnP; needs --focal, --cx, --cy; canonical units)
      --focal F --cx X --cy Y  pinhole intrinsics in pixels (with --camera persp)
  -o, --out FILE            write the result here (atomically) instead of stdout
      --format-out FMT      a sequence's output: json, csv or npy (default: by --out's
                            extension, else json; npy needs --out)
      --runtime onnx|tfjs   onnx (default; onnxruntime-node) or tfjs (a .ckpt on tfjs)
      --backend NAME        tfjs backend with --runtime tfjs: tensorflow, wasm or cpu
      --image-size WxH      pixels of the image, for MediaPipe's normalised [0, 1] landmarks
      --min-visibility V    a COCO/MediaPipe/OpenPose point is visible when its visibility
                            (OpenPose: confidence) > V (default 0)
      --min-likelihood L    a DeepLabCut point is present when its likelihood >= L (default 0.6)
      --smooth one-euro|none  smooth a sequence's 2D before lifting (default none)
      --min-cutoff F        One-Euro cutoff at rest, > 0 (default 1 Hz; without --fps
                            1/30 per frame)
      --beta B              One-Euro speed coefficient, >= 0, per pixel/s = per pixel/frame
                            (default 0.01)
      --d-cutoff F          the speed estimate's cutoff, > 0 (default: as --min-cutoff's)
      --fps F               the sequence's frame rate: the filter's clock (default: unit steps)
      --flips fix|keep      fix depth-sign flips between frames (default: fix with --smooth
                            one-euro, keep without)

A DeepLabCut CSV's body parts are matched by name to --rig, else to the --rig-plugin rig
(lfm rigs from-dlc config.yaml --out rig.js writes one), else lift with the kNN graph.
`;

export async function liftCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags } = parseFlags('lift', argv, LIFT_FLAGS);
  const input = required('lift', 'input', flags.input, 'FILE');
  const runtime = choiceFlag('runtime', flags.runtime, RUNTIMES) ?? 'onnx';
  const backend = choiceFlag('backend', flags.backend, TFJS_BACKENDS);
  if (backend !== undefined && runtime !== 'tfjs')
    throw new UsageError('--backend applies to --runtime tfjs');
  const camera = cameraRequest(flags);
  const imageSize = parseImageSize(flags['image-size']);
  const minVisibility = numberFlag('min-visibility', flags['min-visibility']);
  const format = choiceFlag('format', flags.format, INPUT_FORMATS);
  const formatOut = choiceFlag('format-out', flags['format-out'], OUTPUT_FORMATS);
  const minLikelihood = numberFlag('min-likelihood', flags['min-likelihood'], { min: 0, max: 1 });
  const temporal = temporalFlags(flags);

  const plugins = await loadRigs(io, flags['rig-plugin'] ?? []);
  let rigFlag: string | undefined;
  if (flags.rig !== undefined) {
    const { resolveRig } = await import('@lfm/runtime');
    rigFlag = resolveRig(flags.rig).id; // an unknown id fails here, before the model loads
  }

  const file = resolvePath(io, input);
  const read = await readInput(file, {
    ...(imageSize && { imageSize }),
    ...(minVisibility !== undefined && { minVisibility }),
    ...(minLikelihood !== undefined && { minLikelihood }),
    ...(format !== undefined && { format }),
  });
  if (minLikelihood !== undefined && read.sequence?.format !== 'dlc') {
    throw new UsageError('--min-likelihood applies to DeepLabCut CSV input');
  }
  if (read.sequence) {
    const out = outputFormat(formatOut, flags.out);
    if (out === 'npy' && flags.out === undefined) {
      throw new UsageError('--format-out npy writes a file: pass --out FILE.npy');
    }
    const seq = read.sequence;
    if (seq.tracks.length === 0) {
      throw new CliError(
        `${input}: no keypoints to lift: none of its ${seq.frames.length} frame${seq.frames.length === 1 ? ' has' : 's have'} a visible point`,
        'E_DATA_FORMAT',
      );
    }
    if (seq.normalized) {
      note(io, 'MediaPipe landmarks are normalised to the image ([0, 1]); pass --image-size WxH for pixels');
    }
    const rigged = await assignRigs(io, seq, {
      rig: rigFlag,
      plugins,
      input,
      pluginPaths: flags['rig-plugin'] ?? [],
    });
    const lifter = await openLifter(io, { model: flags.model, runtime, backend });
    try {
      await liftAndWriteSequence(io, lifter, rigged, {
        input,
        out: flags.out,
        format: out,
        camera,
        smooth: temporal.smooth,
        flips: temporal.flips,
      });
    } catch (err) {
      throw withFile(input, err, false);
    } finally {
      await lifter.release();
    }
    return 0;
  }
  if (temporal.given !== undefined) {
    throw new UsageError(
      `--${temporal.given} is for sequences (a folder, OpenPose, DeepLabCut, or items with frame ids); ${input} is a single frame`,
    );
  }
  if (formatOut !== undefined && formatOut !== 'json') {
    throw new UsageError(
      `--format-out ${formatOut} is for sequences (a folder, OpenPose, DeepLabCut, or items with frame ids); ${input} is a single frame`,
    );
  }
  const kp = read.file!;
  if (kp.keypoints.normalized) {
    note(io, 'MediaPipe landmarks are normalised to the image ([0, 1]); pass --image-size WxH for pixels');
  }
  const { samples, rigs, bones } = toSamples(kp.keypoints, rigFlag);

  const lifter = await openLifter(io, { model: flags.model, runtime, backend });
  let results: LiftResult[];
  try {
    results = await lifter.lift(samples, { rig: rigs, bones, ...(camera && { camera }) });
  } catch (err) {
    throw withFile(input, err, !kp.isList);
  } finally {
    await lifter.release();
  }
  const out = results.map((r, b) => {
    const item = kp.keypoints.items[b]!;
    return {
      points3d: camera ? r.pointsCamera! : r.points3d,
      camera: r.camera && cameraJson(r.camera),
      ...(rigs[b] !== undefined && { rig: rigs[b] }),
      ...(item.imageId !== undefined && { imageId: item.imageId }),
      ...(item.score !== undefined && { score: item.score }),
    };
  });
  const text = formatJson(kp.isList ? out : out[0]);
  if (flags.out !== undefined) {
    const path = resolvePath(io, flags.out);
    await writeFileAtomic(path, text);
    note(io, `wrote ${flags.out} (${out.length} result${out.length === 1 ? '' : 's'})`);
  } else {
    io.stdout.write(text);
  }
  return 0;
}

/**
 * An input problem the runtime found, named with the input file; its "sample b" is the file's item b
 * ("the input" for a file of one object).
 */
function withFile(input: string, err: unknown, single: boolean): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || typeof code !== 'string' || !code.startsWith('E_')) return err;
  const message = err.message.replace(/\bsample (\d+)\b/g, (_, b: string) =>
    single ? 'the input' : `item ${b}`,
  );
  return new CliError(`${input}: ${message}`, code);
}

/** The temporal flags: the One-Euro options (or none), the flip mode, and the first flag given. */
function temporalFlags(flags: {
  smooth?: string;
  'min-cutoff'?: string;
  beta?: string;
  'd-cutoff'?: string;
  fps?: string;
  flips?: string;
}): { smooth: SmoothOptions | undefined; flips: 'fix' | 'keep'; given: string | undefined } {
  const filter = choiceFlag('smooth', flags.smooth, SMOOTH_FILTERS) ?? 'none';
  const params = (['min-cutoff', 'beta', 'd-cutoff', 'fps'] as const).filter((k) => flags[k] !== undefined);
  if (filter === 'none' && params.length > 0) {
    throw new UsageError(`--${params[0]} needs --smooth one-euro`);
  }
  const flips = choiceFlag('flips', flags.flips, FLIP_MODES) ?? (filter === 'one-euro' ? 'fix' : 'keep');
  const given = (['smooth', 'flips'] as const).find((k) => flags[k] !== undefined);
  if (filter === 'none') return { smooth: undefined, flips, given };
  const minCutoff = numberFlag('min-cutoff', flags['min-cutoff'], { positive: true });
  const beta = numberFlag('beta', flags.beta, { min: 0 });
  const dCutoff = numberFlag('d-cutoff', flags['d-cutoff'], { positive: true });
  const fps = numberFlag('fps', flags.fps, { positive: true });
  return {
    smooth: {
      ...(minCutoff !== undefined && { minCutoff }),
      ...(beta !== undefined && { beta }),
      ...(dCutoff !== undefined && { dCutoff }),
      ...(fps !== undefined && { fps }),
    },
    flips,
    given,
  };
}

function cameraRequest(flags: {
  camera?: string;
  focal?: string;
  cx?: string;
  cy?: string;
}): CameraRequest | undefined {
  const kind = choiceFlag('camera', flags.camera, ['ortho', 'persp'] as const);
  const intrinsics = (['focal', 'cx', 'cy'] as const).filter((k) => flags[k] !== undefined);
  if (kind !== 'persp' && intrinsics.length > 0) {
    throw new UsageError(`--${intrinsics[0]} needs --camera persp`);
  }
  if (kind === undefined) return undefined;
  if (kind === 'ortho') return { kind: 'ortho' };
  const missing = (['focal', 'cx', 'cy'] as const).filter((k) => flags[k] === undefined);
  if (missing.length > 0) {
    throw new UsageError(`--camera persp needs ${missing.map((k) => `--${k}`).join(', ')} (pixels)`);
  }
  return {
    kind: 'persp',
    focal: numberFlag('focal', flags.focal, { positive: true })!,
    cx: numberFlag('cx', flags.cx)!,
    cy: numberFlag('cy', flags.cy)!,
  };
}

function parseImageSize(value: string | undefined): { width: number; height: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)[xX×](\d+(?:\.\d+)?)$/.exec(value.trim());
  const width = m ? Number(m[1]) : 0;
  const height = m ? Number(m[2]) : 0;
  if (!(width > 0 && height > 0)) throw new UsageError(`--image-size must be WxH in pixels, got '${value}'`);
  return { width, height };
}

interface InputFile {
  readonly keypoints: Keypoints2D;
  /** The file holds a list (print a list back), not one object. */
  readonly isList: boolean;
}

/** A single-frame keypoint file (the per-item output), or a sequence. */
interface Input {
  readonly file?: InputFile;
  readonly sequence?: KeypointSequence;
}

async function readInput(
  file: string,
  options: {
    imageSize?: { width: number; height: number };
    minVisibility?: number;
    minLikelihood?: number;
    format?: InputFormat;
  },
): Promise<Input> {
  if (await isDirectory(file)) {
    const { readKeypointSequence } = await import('@lfm/datasets');
    return { sequence: await readKeypointSequence(file, options) };
  }
  const text = await readTextFileOr(file, { missing: 'input file not found' });
  const pre = await import('@lfm/datasets/preprocess');
  const { format, minLikelihood: _dlcOnly, ...rest } = options;
  const notJson = !/^\uFEFF?\s*[[{]/.test(text);
  if (format === 'dlc' || (format === undefined && (pre.isDlcCsv(text) || notJson))) {
    // parseSequenceText names both formats for a file that is neither JSON nor a DeepLabCut CSV.
    const { parseSequenceText } = await import('@lfm/datasets');
    return { sequence: parseSequenceText(text, { ...options, file }) };
  }
  const jsonFormat = format === 'openpose' ? undefined : format;
  const keypointOptions = { ...rest, ...(jsonFormat !== undefined && { format: jsonFormat }), file };
  let top: unknown;
  try {
    top = JSON.parse(text);
  } catch {
    pre.parseKeypointJson(text, keypointOptions); // throws the reader's message (NaN literals, …)
  }
  if (format === 'openpose' || (format === undefined && pre.isOpenPose(top))) {
    const { parseSequenceText } = await import('@lfm/datasets');
    return { sequence: parseSequenceText(text, { ...options, file }) };
  }
  if (pre.isKeypointSequenceValue(top, jsonFormat)) {
    return { sequence: pre.sequenceFromKeypointValue(top, keypointOptions) };
  }
  const keypoints = pre.parseKeypoints(top, keypointOptions);
  const isList = keypoints.batch > 1 || (Array.isArray(top) && keypoints.format !== 'mediapipe');
  return { file: { keypoints, isList } };
}

/** Per-item point lists `[N][2] | null` (each item its own N), rig ids and bones. */
function toSamples(
  kp: Keypoints2D,
  rigFlag: string | undefined,
): {
  samples: ([number, number] | null)[][];
  rigs: (string | undefined)[];
  bones: (readonly Edge[] | undefined)[];
} {
  const samples = kp.items.map((_, b) => keypointItemPoints(kp, b));
  const rigs = kp.items.map((_, b) => rigFlag ?? detectRig(kp, b));
  return { samples, rigs, bones: kp.items.map((item) => item.bones) };
}

function cameraJson(c: NonNullable<LiftResult['camera']>): Record<string, unknown> {
  if (c.kind === 'ortho') return { R: c.R, t: c.t, s: c.s, kind: c.kind, rmse: c.rmse };
  // PnP: camera-frame points are R X + t in the model's units (scale 1). (@lfm/runtime cameraJson: the same.)
  return { R: c.R, t: c.t, s: 1, kind: c.kind, rmse: c.rmse, fx: c.fx, fy: c.fy, cx: c.cx, cy: c.cy };
}
