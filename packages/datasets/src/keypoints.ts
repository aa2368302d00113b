import { readFile } from 'node:fs/promises';
import { DataFormatError } from '@lfm/core';
import { type KeypointParseOptions, type Keypoints2D, parseKeypointJson } from './preprocess/keypoints.js';

/** Reads a keypoint JSON file (errors name the path). */
export async function readKeypoints(path: string, options: KeypointParseOptions = {}): Promise<Keypoints2D> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new DataFormatError('file not found', path);
    throw err;
  }
  return parseKeypointJson(text, { ...options, file: options.file ?? path });
}
