import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { KeypointSequence, KeypointTrack } from '@lfm/datasets/preprocess';
import type { Rig } from '@lfm/rig';
import type { CameraRequest, LiftedSequence, Lifter, SmoothOptions } from '@lfm/runtime';
import { UsageError } from './errors.js';
import { type CliIo, formatJson, note, resolvePath, writeFileAtomic } from './io.js';

/** `lfm lift --format-out`. */
export const OUTPUT_FORMATS = ['json', 'csv', 'npy'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Track-frames between progress lines when stderr is not a terminal. */
export const PROGRESS_EVERY = 5000;
/** Sequences of fewer track-frames lift without a progress display. */
const PROGRESS_MIN = 1000;

/** The output format: `--format-out`, else the `--out` extension (.csv, .npy), else json. */
export function outputFormat(flag: OutputFormat | undefined, out: string | undefined): OutputFormat {
  if (flag !== undefined) return flag;
  const ext = out === undefined ? '' : extname(out).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.npy' ? 'npy' : 'json';
}

/** The sidecar JSON of a CSV / NPY output (cameras, frame ids, tracks): `lifted.csv` → `lifted.meta.json`. */
export function sidecarPath(out: string): string {
  const ext = extname(out);
  return join(dirname(out), `${basename(out, ext)}.meta.json`);
}

/**
 * Puts every track in a rig's joint order. Named tracks (DeepLabCut body parts) are matched by name:
 * to `--rig`, else to the `--rig-plugin` rig sharing most of their names (a body part the rig lacks is an
 * error), else to a registered rig with exactly their names; else they lift without a rig (kNN graph, a
 * note). Other tracks keep their detected rig; `--rig` replaces it for bodies (not an OpenPose face or
 * hand).
 */
export async function assignRigs(
  io: CliIo,
  seq: KeypointSequence,
  options: {
    rig: string | undefined;
    plugins: readonly Rig[];
    input: string;
    pluginPaths: readonly string[];
  },
): Promise<KeypointSequence> {
  const [{ getRig, matchRigByJoints }, { retargetTrack }] = await Promise.all([
    import('@lfm/rig'),
    import('@lfm/datasets/preprocess'),
  ]);
  const unmatched: string[] = [];
  const tracks = seq.tracks.map((track): KeypointTrack => {
    if (track.joints) {
      const names = track.joints;
      let rig: Rig | undefined;
      let from = '';
      if (options.rig !== undefined) {
        rig = getRig(options.rig);
        from = ' (--rig)';
      } else {
        const match = matchRigByJoints(names, options.plugins);
        rig = match?.rig;
        if (match?.candidate) from = ` (from ${options.pluginPaths.join(', ')})`;
      }
      if (!rig) {
        unmatched.push(track.key);
        return track;
      }
      return retargetTrack(track, rig.joints, {
        rig: rig.id,
        file: options.input,
        what: `a joint of rig '${rig.id}'${from}: is it missing from the project's config.yaml? (write the rig again with lfm rigs from-dlc)`,
      });
    }
    if (options.rig !== undefined && (track.part === undefined || track.part === 'body')) {
      return { ...track, rig: options.rig };
    }
    return track;
  });
  if (unmatched.length > 0) {
    note(
      io,
      `${options.input}: no rig has the body parts of track${unmatched.length > 1 ? 's' : ''} ${unmatched.map((k) => JSON.stringify(k)).join(', ')}; ` +
        'lifting with the kNN graph (a rig from the project: lfm rigs from-dlc config.yaml --out rig.js, then --rig-plugin rig.js)',
    );
  }
  return { ...seq, tracks };
}

/** A progress display on stderr: a line redrawn on a terminal, else a line every PROGRESS_EVERY frames. */
export function progressReporter(
  io: CliIo,
  total: number,
): {
  onProgress?: (done: number, total: number) => void;
  end: () => void;
} {
  const tty = io.stderr.isTTY === true;
  if (tty ? total < PROGRESS_MIN : total < PROGRESS_EVERY) return { end: () => {} };
  let next = PROGRESS_EVERY;
  let drawn = false;
  return {
    onProgress: (done, all) => {
      if (tty) {
        io.stderr.write(`\rlfm: lifted ${done}/${all} frames`);
        drawn = true;
      } else if (done >= next || done === all) {
        note(io, `lifted ${done}/${all} frames`);
        while (next <= done) next += PROGRESS_EVERY;
      }
    },
    end: () => {
      if (drawn) io.stderr.write('\n');
    },
  };
}

/** Lifts a sequence and writes it as `format` to `out` (stdout without --out; NPY needs --out). */
export async function liftAndWriteSequence(
  io: CliIo,
  lifter: Lifter,
  seq: KeypointSequence,
  options: {
    input: string;
    out: string | undefined;
    format: OutputFormat;
    camera: CameraRequest | undefined;
    /** One-Euro smoothing of the 2D (undefined: none). */
    smooth?: SmoothOptions | undefined;
    /** Depth-sign consistency across frames (default keep). */
    flips?: 'fix' | 'keep' | undefined;
  },
): Promise<LiftedSequence> {
  const { liftSequence, liftedSequenceArray, liftedSequenceCsv, liftedSequenceJson } = await import(
    '@lfm/runtime'
  );
  const total = seq.tracks.reduce((n, t) => n + t.frames.length, 0);
  const progress = progressReporter(io, total);
  let lifted: LiftedSequence;
  try {
    lifted = await liftSequence(lifter, seq, {
      camera: options.camera,
      smooth: options.smooth,
      flips: options.flips,
      ...(progress.onProgress && { onProgress: progress.onProgress }),
    });
  } finally {
    progress.end();
  }
  const { out, format } = options;
  const flipped = lifted.tracks.reduce((n, t) => n + (t.flipped?.reduce((a, f) => a + f, 0) ?? 0), 0);
  const stats =
    `${lifted.tracks.length} track${lifted.tracks.length === 1 ? '' : 's'}, ${lifted.frames.length} frame${lifted.frames.length === 1 ? '' : 's'}` +
    (lifted.temporal.smooth ? ', One-Euro smoothed' : '') +
    (lifted.temporal.flips === 'fix' ? `, ${flipped} depth flip${flipped === 1 ? '' : 's'} fixed` : '');
  if (format === 'json') {
    const text = formatJson(liftedSequenceJson(lifted, { input: options.input }));
    if (out === undefined) io.stdout.write(text);
    else {
      await writeFileAtomic(resolvePath(io, out), text);
      note(io, `wrote ${out} (${stats})`);
    }
    return lifted;
  }
  let bytes: string | Uint8Array;
  let points: Record<string, unknown>;
  if (format === 'csv') {
    bytes = liftedSequenceCsv(lifted);
    points = {
      file: out === undefined ? null : basename(out),
      format: 'csv',
      layout:
        'DeepLabCut CSV: header rows scorer / [individuals = track keys /] bodyparts / coords (x, y, z); one row per frame, indexed by the source frame id; empty = missing',
    };
  } else {
    const { encodeNpy } = await import('@lfm/datasets');
    const array = liftedSequenceArray(lifted);
    bytes = encodeNpy(array);
    points = {
      file: out === undefined ? null : basename(out),
      format: 'npy',
      dtype: 'float32',
      shape: array.shape,
      layout:
        "[tracks, frames, joints, 3]: tracks in this file's order, frames = its frames, track k's points in its first numJoints joints; NaN = missing",
    };
  }
  if (out === undefined) {
    if (typeof bytes !== 'string')
      throw new UsageError('--format-out npy writes a file: pass --out FILE.npy');
    io.stdout.write(bytes);
    return lifted;
  }
  const path = resolvePath(io, out);
  const meta = sidecarPath(path);
  if (meta === path)
    throw new UsageError(`--out ${out}: the sidecar would overwrite it; name it .csv or .npy`);
  await writeFileAtomic(path, bytes);
  await writeFileAtomic(
    meta,
    formatJson(liftedSequenceJson(lifted, { input: options.input, withPoints: false, points })),
  );
  note(io, `wrote ${out} (${stats}) and ${basename(meta)} (cameras, frame and track ids)`);
  return lifted;
}

/** True when `path` is a folder. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
