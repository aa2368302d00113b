import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFormatError } from '@lfm/core';
import { onFile, readTextFileOr } from '@lfm/core/node';
import { type DlcParseOptions, isDlcCsv, parseDlcCsv } from './preprocess/dlc.js';
import {
  type KeypointParseOptions,
  type Keypoints2D,
  parseJsonValue,
  parseKeypointJson,
} from './preprocess/keypoints.js';
import { isOpenPose, parseOpenPose } from './preprocess/openpose.js';
import {
  type KeypointSequence,
  naturalCompare,
  type SequenceParseOptions,
  sequenceFromKeypointValue,
} from './preprocess/sequence.js';
import { sequenceFromFrameValues } from './preprocess/sequence-folder.js';

/** Reads a keypoint JSON file (errors name the path). */
export async function readKeypoints(path: string, options: KeypointParseOptions = {}): Promise<Keypoints2D> {
  return parseKeypointJson(await readText(path), { ...options, file: options.file ?? path });
}

/** Options of `readKeypointSequence`. */
export interface ReadSequenceOptions extends Omit<SequenceParseOptions, 'format'>, DlcParseOptions {
  /** Skip detection: read as this format (`openpose`, `dlc`, or one of the keypoint JSON formats). */
  format?: SequenceParseOptions['format'] | 'openpose' | 'dlc';
  /** Named in errors (default: the path). */
  file?: string;
}

/**
 * Reads a keypoint sequence from a file or a folder:
 * - a folder: its `*.json` files in natural order of their names (`f2` before `f10`), one frame each —
 *   OpenPose's `--write_json` output, or one file per frame of our JSON / COCO / MediaPipe;
 * - a DeepLabCut predictions CSV (detected by its `scorer` first cell);
 * - an OpenPose JSON file: one frame;
 * - our JSON / COCO / MediaPipe: a list with frame ids (see `isKeypointSequenceValue`), else one frame.
 * DataFormatError naming the path for a missing file, an empty folder, and every format problem.
 */
export async function readKeypointSequence(
  path: string,
  options: ReadSequenceOptions = {},
): Promise<KeypointSequence> {
  const isDir = (await onFile(path, () => stat(path))).isDirectory();
  const { format, ...rest } = options;
  const jsonFormat = format === 'openpose' || format === 'dlc' ? undefined : format;
  const jsonOptions = { ...rest, ...(jsonFormat !== undefined && { format: jsonFormat }) };
  if (isDir) {
    if (format === 'dlc') {
      throw new DataFormatError('a folder: DeepLabCut input is one CSV file per video', path);
    }
    const names = (await readdir(path)).filter((n) => n.toLowerCase().endsWith('.json')).sort(naturalCompare);
    const files = [];
    for (const name of names) {
      const file = join(path, name);
      const value = parseJson(await readText(file), file);
      if (format === 'openpose' && !isOpenPose(value)) {
        throw new DataFormatError('not OpenPose JSON: expected an object with a "people" list', file);
      }
      files.push({ name, value });
    }
    return sequenceFromFrameValues(files, { ...jsonOptions, folder: path });
  }
  const text = await readText(path);
  return parseSequenceText(text, { ...options, file: path });
}

/** A sequence from the text of one file (see `readKeypointSequence`). */
export function parseSequenceText(text: string, options: ReadSequenceOptions = {}): KeypointSequence {
  const { format, minLikelihood, ...rest } = options;
  if (format === 'dlc' || (format === undefined && isDlcCsv(text))) {
    return parseDlcCsv(text, {
      ...(minLikelihood !== undefined && { minLikelihood }),
      ...(options.file !== undefined && { file: options.file }),
    });
  }
  const value = parseJson(text, options.file);
  if (format === 'openpose' || (format === undefined && isOpenPose(value))) {
    return parseOpenPose(value, {
      ...(options.minVisibility !== undefined && { minVisibility: options.minVisibility }),
      ...(options.file !== undefined && { file: options.file }),
    });
  }
  return sequenceFromKeypointValue(value, { ...rest, ...(format !== undefined && { format }) });
}

function readText(path: string): Promise<string> {
  return readTextFileOr(path, { directory: 'is a directory, not a keypoint file' });
}

function parseJson(text: string, file: string | undefined): unknown {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) {
    throw new DataFormatError(
      'neither JSON nor a DeepLabCut CSV (whose first cell is "scorer"): expected our JSON, COCO results, MediaPipe landmarks, OpenPose JSON or DeepLabCut predictions',
      file,
    );
  }
  return parseJsonValue(t, file);
}
