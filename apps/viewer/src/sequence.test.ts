import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { liftSequence, smoothSequence } from '@lfm/runtime';
import { type Lifter, loadLifter } from '@lfm/runtime/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLine } from './pipeline.js';
import {
  displaySequence,
  framesAt,
  type InputFile,
  liftViewerSequence,
  readInputFiles,
  sequenceFits,
  sequenceLiftOptions,
  sequenceScene,
  TRACK_COLORS,
  trackBones,
  trackColor,
} from './sequence.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const TRACKERS = join(ROOT, 'examples', 'trackers');
const file = (...p: string[]): InputFile => ({
  name: p[p.length - 1]!,
  text: readFileSync(join(...p), 'utf8'),
});
const quadruped = () => [
  file(TRACKERS, 'dlc-quadruped', 'predictions.csv'),
  file(TRACKERS, 'dlc-quadruped', 'config.yaml'),
];
const openposeFolder = () =>
  readdirSync(join(TRACKERS, 'openpose-body25'))
    .sort()
    .reverse() // the page sorts them itself
    .map((n) => file(TRACKERS, 'openpose-body25', n));

const sequenceOf = (files: InputFile[]) => {
  const input = readInputFiles(files);
  if (input.kind !== 'sequence') throw new Error('not a sequence');
  return input;
};

const failure = (files: InputFile[]): string => {
  try {
    readInputFiles(files);
  } catch (err) {
    return errorLine(err);
  }
  return 'no error';
};

describe('viewer sequences: reading dropped files', () => {
  it('a DeepLabCut CSV with its config.yaml: one track in the rig of the project (bones from its skeleton)', () => {
    const input = sequenceOf(quadruped());
    expect(input.name).toBe('predictions.csv + config.yaml');
    expect(input.sequence.format).toBe('dlc');
    expect(input.sequence.frames).toHaveLength(6);
    const [t] = input.sequence.tracks;
    expect(t!.rig).toBe('dlc-quadruped');
    expect([...input.rigs.keys()]).toEqual(['dlc-quadruped']);
    expect(trackBones(t!, input.rigs)).toHaveLength(24);
    expect(input.notes).toEqual([]);
    // tail_tip at likelihood 0.31 in frame 3 is missing.
    const tip = input.rigs.get('dlc-quadruped')!.jointIndex.get('tail_tip')!;
    expect(t!.mask[3 * t!.numJoints + tip]).toBe(0);
  });

  it('the CSV alone lifts without a rig (kNN graph) and says so', () => {
    const input = sequenceOf([file(TRACKERS, 'dlc-quadruped', 'predictions.csv')]);
    expect(input.sequence.tracks[0]!.rig).toBeUndefined();
    expect(trackBones(input.sequence.tracks[0]!, input.rigs)).toEqual([]);
    expect(input.notes[0]).toMatch(/no rig has the body parts of track "0": lifted with the kNN graph/);
  });

  it('a multi-animal CSV: a track per individual plus the unique body parts, absent frames kept apart', () => {
    const input = sequenceOf([
      file(TRACKERS, 'dlc-multi', 'config.yaml'),
      file(TRACKERS, 'dlc-multi', 'predictions.csv'),
    ]);
    expect(input.sequence.tracks.map((t) => [t.key, t.rig, t.frames.length])).toEqual([
      ['animal1', 'dlc-twoquadrupeds', 4],
      ['animal2', 'dlc-twoquadrupeds', 3],
      ['single', 'dlc-twoquadrupeds-unique', 4],
    ]);
  });

  it('the JSON files of an OpenPose folder, in natural order of their names; one OpenPose file is a 1-frame sequence', () => {
    const input = sequenceOf(openposeFolder());
    expect(input.sequence.format).toBe('openpose');
    expect(input.sequence.frames.map((f) => f.id)).toEqual([0, 1, 2]);
    expect(input.sequence.frames[0]!.file).toBe('video_000000000000_keypoints.json');
    expect(input.sequence.tracks.map((t) => t.rig)).toEqual(['openpose-body-25', 'openpose-body-25']);
    const one = sequenceOf([openposeFolder()[0]!]);
    expect(one.sequence.frames).toHaveLength(1);
    expect(one.sequence.tracks).toHaveLength(2);
  });

  it('our JSON list with frame ids is a sequence; a single-frame keypoint file is not', () => {
    const list = JSON.stringify([
      { frame: 0, track: 'a', rig: 'hand-21', points: Array.from({ length: 21 }, (_, i) => [i, i * i]) },
      { frame: 1, track: 'a', rig: 'hand-21', points: Array.from({ length: 21 }, (_, i) => [i + 1, i * i]) },
    ]);
    const input = sequenceOf([{ name: 'hands.json', text: list }]);
    expect(input.sequence.tracks.map((t) => [t.key, t.rig, t.frames.length])).toEqual([['a', 'hand-21', 2]]);
    const single = readInputFiles([file(ROOT, 'examples', 'hand.json')]);
    expect(single.kind).toBe('single');
    // Broken JSON goes to the single-file reader, which words it as the page always has.
    expect(readInputFiles([{ name: 'broken.json', text: '{"points": [[1, 2], [3' }]).kind).toBe('single');
  });

  it('gives one readable line, naming the files, for what it cannot read', () => {
    const csv = file(TRACKERS, 'dlc-quadruped', 'predictions.csv');
    const yaml = file(TRACKERS, 'dlc-quadruped', 'config.yaml');
    expect(failure([csv, { ...csv, name: 'b.csv' }])).toMatch(
      /2 CSV files \(predictions\.csv, b\.csv\): drop one DeepLabCut predictions CSV at a time/,
    );
    expect(failure([csv, file(ROOT, 'examples', 'hand.json')])).toMatch(/not both/);
    expect(failure([yaml])).toMatch(/a config\.yaml alone has no keypoints/);
    expect(failure([yaml, file(ROOT, 'examples', 'hand.json')])).toMatch(
      /config\.yaml goes with a DeepLabCut predictions CSV, not with hand\.json/,
    );
    const fewer = { ...yaml, text: yaml.text.replaceAll('tail_tip', 'tail_end') };
    expect(failure([csv, fewer])).toMatch(
      /^config\.yaml: body part 'tail_tip' of track "0" is not a joint of rig 'dlc-quadruped' \(from config\.yaml\)/,
    );
    const [f0, f1] = openposeFolder();
    expect(failure([f0!, { ...f1!, text: '{"people": [' }])).toMatch(/invalid JSON/);
    expect(failure([{ name: 'x.txt', text: 'hello' }])).toMatch(/neither JSON nor a DeepLabCut CSV/);
  });
});

describe('viewer sequences: lifting and frames', () => {
  let lifter: Lifter;
  beforeAll(async () => {
    lifter = await loadLifter(readFileSync(join(ROOT, 'models', 'lfm.onnx')));
  });
  afterAll(() => lifter?.release());

  it('lifts as liftSequence with the orthographic camera (and the rig of config.yaml); framesAt reads a frame', async () => {
    const input = sequenceOf(quadruped());
    const settings = { smooth: false, fps: 30 };
    const lifted = await liftViewerSequence(lifter, input, settings);
    expect(lifted.space).toBe('camera');
    expect(lifted.tracks[0]!.rig).toBe('dlc-quadruped');
    const want = await liftSequence(lifter, input.sequence, {
      camera: { kind: 'ortho' },
      rig: () => input.rigs.get('dlc-quadruped')!,
    });
    expect(lifted.tracks[0]!.points3d).toEqual(want.tracks[0]!.points3d);
    const [t] = framesAt(lifted, displaySequence(input, settings), 2);
    const J = lifted.tracks[0]!.numJoints;
    expect(t!.row).toBe(2);
    expect(t!.points3d[5]).toEqual(
      Array.from(want.tracks[0]!.points3d.subarray(3 * (2 * J + 5), 3 * (2 * J + 6))),
    );
    expect(t!.points2d[5]).toEqual(
      Array.from(input.sequence.tracks[0]!.points.subarray(2 * (2 * J + 5), 2 * (2 * J + 6))),
    );
    expect(t!.camera).toEqual(want.tracks[0]!.cameras[2]);
    expect(t!.flipped).toBe(false);
  });

  it('smoothing on: One-Euro at the page fps and the flip fixer; the 2D shown is the filtered one', async () => {
    const input = sequenceOf(openposeFolder());
    const settings = { smooth: true, fps: 12 };
    const opts = sequenceLiftOptions(input.rigs, settings);
    expect(opts.smooth).toEqual({ fps: 12 });
    expect(opts.flips).toBe('fix');
    const lifted = await liftViewerSequence(lifter, input, settings);
    expect(lifted.temporal.smooth).toMatchObject({ filter: 'one-euro', fps: 12 });
    const shown = displaySequence(input, settings);
    expect(shown.tracks[0]!.points).toEqual(smoothSequence(input.sequence, { fps: 12 }).tracks[0]!.points);
    const frames = framesAt(lifted, shown, 1);
    expect(frames.map((f) => f.key)).toEqual(['0', '1']);
    expect(frames[1]!.points2d[18]).toBeNull(); // person 1's left ear is missing in frame 1
  });

  it('a track absent from a frame: row −1, no points, no camera; tracks get distinct colours', async () => {
    const input = sequenceOf([
      file(TRACKERS, 'dlc-multi', 'config.yaml'),
      file(TRACKERS, 'dlc-multi', 'predictions.csv'),
    ]);
    const settings = { smooth: false, fps: 30 };
    const lifted = await liftViewerSequence(lifter, input, settings);
    const at3 = framesAt(lifted, displaySequence(input, settings), 3);
    expect(at3[1]).toMatchObject({ key: 'animal2', row: -1, camera: null });
    expect(at3[1]!.points3d.every((p) => p === null)).toBe(true);
    expect(new Set(at3.map((t) => trackColor(t.index).join())).size).toBe(3);
    expect(trackColor(TRACK_COLORS.length)).toEqual(trackColor(0));
  });

  it('sequenceScene puts every track of a frame in one scene; sequenceFits bounds every frame', async () => {
    const input = sequenceOf([
      file(TRACKERS, 'dlc-multi', 'config.yaml'),
      file(TRACKERS, 'dlc-multi', 'predictions.csv'),
    ]);
    const settings = { smooth: false, fps: 30 };
    const lifted = await liftViewerSequence(lifter, input, settings);
    const shown = displaySequence(input, settings);
    const bones = input.sequence.tracks.map((t) => trackBones(t, input.rigs));
    const cur = framesAt(lifted, shown, 0);
    const scene = sequenceScene(cur, bones);
    expect(scene.points).toEqual(cur.flatMap((t) => t.points3d));
    expect(scene.colors).toEqual(cur.flatMap((t) => t.points3d.map(() => trackColor(t.index))));
    // Track k's bone (i, j) joins its own points: at the offset of the tracks before it.
    const J0 = cur[0]!.points3d.length;
    const [i, j] = bones[1]![0]!;
    expect(scene.bones).toHaveLength(cur.reduce((n, t) => n + bones[t.index]!.length, 0));
    expect(scene.bones[bones[0]!.length]).toEqual([J0 + i, J0 + j]);

    const { box2d, frame3d } = sequenceFits(shown, lifted);
    const [[x0, y0], [x1, y1]] = box2d as [[number, number], [number, number]];
    let inside = 0;
    let onEdge = 0;
    for (let f = 0; f < lifted.frames.length; f++) {
      for (const t of framesAt(lifted, shown, f)) {
        for (const p of t.points2d) {
          if (p === null) continue;
          expect(p[0] >= x0 && p[0] <= x1 && p[1] >= y0 && p[1] <= y1).toBe(true);
          inside++;
          if (p[0] === x0 || p[0] === x1 || p[1] === y0 || p[1] === y1) onEdge++;
        }
        for (const p of t.points3d) {
          if (p === null) continue;
          expect(
            Math.hypot(p[0] - frame3d.center[0], p[1] - frame3d.center[1], p[2] - frame3d.center[2]),
          ).toBeLessThanOrEqual(frame3d.radius * (1 + 1e-9));
        }
      }
    }
    expect(inside).toBeGreaterThan(0);
    expect(onEdge).toBeGreaterThanOrEqual(2); // the box is tight: points lie on its edges
  });
});
