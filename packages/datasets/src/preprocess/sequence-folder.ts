import { DataFormatError } from '@lfm/core';
import { detectKeypointFormat, type KeypointFormat, parseKeypoints } from './keypoints.js';
import { addOpenPoseFrame, isOpenPose } from './openpose.js';
import {
  addKeypointFrame,
  frameIdsFromNames,
  isKeypointSequenceValue,
  type KeypointSequence,
  SequenceBuilder,
  type SequenceFormat,
  type SequenceParseOptions,
} from './sequence.js';

/**
 * A folder's JSON files as a sequence, one frame per file, in the order given (`readKeypointSequence`
 * passes them in natural order of their names): OpenPose JSON, or one frame of our JSON / COCO /
 * MediaPipe each — all files in one format. Frame ids: the last number of each file name when those
 * are unique (`video_000000000012_keypoints.json` → 12), else the file names. DataFormatError (naming
 * the folder and file) for an empty folder, mixed formats, a file holding several frames, and a track
 * whose keypoint count changes between frames.
 */
export function sequenceFromFrameValues(
  files: readonly { name: string; value: unknown }[],
  options: SequenceParseOptions & { folder?: string } = {},
): KeypointSequence {
  const folder = options.folder;
  const fail = (msg: string): never => {
    throw new DataFormatError(msg, folder);
  };
  if (files.length === 0) fail('no keypoint files (*.json) in the folder');
  const formats = files.map(({ name, value }): SequenceFormat => {
    if (isOpenPose(value)) return 'openpose';
    const f = options.format ?? detectKeypointFormat(value);
    if (!f) parseKeypoints(value, { ...options, file: joinPath(folder, name) }); // names the formats
    return f!;
  });
  const format = formats[0]!;
  const other = formats.findIndex((f) => f !== format);
  if (other >= 0) {
    fail(
      `mixed formats: ${files[0]!.name} is ${format}, ${files[other]!.name} is ${formats[other]}; a folder holds one sequence in one format`,
    );
  }
  const ids = frameIdsFromNames(files.map((f) => f.name));
  const b = new SequenceBuilder(format, fail);
  let normalized = false;
  files.forEach(({ name, value }, i) => {
    const frame = b.frame(ids[i]!, name);
    if (format === 'openpose') {
      addOpenPoseFrame(
        b,
        frame,
        value,
        { where: name, ...(options.minVisibility !== undefined && { minVisibility: options.minVisibility }) },
        fail,
      );
      return;
    }
    const kf = format as KeypointFormat;
    if (isKeypointSequenceValue(value, kf)) {
      fail(`${name} holds frame ids of its own; a folder's files are one frame each`);
    }
    normalized = addKeypointFrame(b, frame, value, { ...options, format: kf }, name, fail) || normalized;
  });
  return b.build(normalized);
}

function joinPath(folder: string | undefined, name: string): string {
  if (folder === undefined) return name;
  return /[\\/]$/.test(folder) ? `${folder}${name}` : `${folder}/${name}`;
}
