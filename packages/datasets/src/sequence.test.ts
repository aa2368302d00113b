import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataFormatError } from '@lfm/core';
import { defineRig } from '@lfm/rig';
import { openposeBody25 } from '@lfm/rigs';
import { describe, expect, it } from 'vitest';
import { dlcRigSpecs, mirrorPairs, parseDlcConfig } from './dlc-config.js';
import { parseSequenceText, readKeypointSequence } from './keypoints.js';
import { isDlcCsv, parseCsv, parseDlcCsv, readDlcTable } from './preprocess/dlc.js';
import { parseOpenPose } from './preprocess/openpose.js';
import {
  isKeypointSequenceValue,
  type KeypointTrack,
  naturalCompare,
  retargetTrack,
  sequenceFromKeypointValue,
} from './preprocess/sequence.js';
import { useTmpDir } from './test-support/tmp.js';

const tmp = useTmpDir('sequence');
const trackers = fileURLToPath(new URL('../../../examples/trackers/', import.meta.url));
const fixture = (p: string) => join(trackers, p);
const text = (p: string) => readFileSync(fixture(p), 'utf8');

/** Track row t's points as [x, y] | null. */
function row(track: KeypointTrack, t: number): ([number, number] | null)[] {
  const J = track.numJoints;
  return Array.from({ length: J }, (_, j) =>
    track.mask[t * J + j] ? [track.points[2 * (t * J + j)]!, track.points[2 * (t * J + j) + 1]!] : null,
  );
}

const triples = (n: number, f: (i: number) => [number, number, number]) =>
  Array.from({ length: n }, (_, i) => f(i)).flat();

describe('OpenPose JSON', () => {
  it('the BODY_25 fixture folder: 3 frames in name order, 2 people kept apart by index, confidence 0 = missing', async () => {
    const seq = await readKeypointSequence(fixture('openpose-body25'));
    expect(seq.format).toBe('openpose');
    expect(seq.frames).toEqual(
      [0, 1, 2].map((f) => ({ id: f, file: `video_00000000000${f}_keypoints.json` })),
    );
    expect(seq.tracks.map((t) => [t.key, t.track, t.part, t.rig, t.numJoints, Array.from(t.frames)])).toEqual(
      [
        ['0', 0, 'body', 'openpose-body-25', 25, [0, 1, 2]],
        ['1', 1, 'body', 'openpose-body-25', 25, [0, 1, 2]],
      ],
    );
    const leftEar = openposeBody25.indexOf('left_ear');
    expect(row(seq.tracks[1]!, 1)[leftEar]).toBeNull(); // 0, 0, 0 in frame 1
    expect(row(seq.tracks[1]!, 0)[leftEar]).not.toBeNull();
    const first = JSON.parse(text('openpose-body25/video_000000000000_keypoints.json'));
    const kp = first.people[0].pose_keypoints_2d as number[];
    expect(row(seq.tracks[0]!, 0)[0]![0]).toBeCloseTo(kp[0]!, 3);
    expect(seq.tracks[0]!.confidence[0]).toBeCloseTo(kp[2]!, 5);
  });

  it('face (70 points: the pupils dropped → ibug-face-68) and hands (hand-21) are tracks of their own; person_id tracks', () => {
    const person = (id: number, shift: number) => ({
      person_id: [id],
      pose_keypoints_2d: triples(25, (i) => [100 + i + shift, 200 + i, 0.9]),
      face_keypoints_2d: triples(70, (i) => [300 + i, 50 + (i % 7), 0.8]),
      hand_left_keypoints_2d: triples(21, (i) => [10 + i, 20 + i, i === 3 ? 0 : 0.7]),
      hand_right_keypoints_2d: triples(21, () => [0, 0, 0]), // not detected: no track
    });
    const seq = parseOpenPose({ version: 1.3, people: [person(7, 0), person(3, 50)] }, { frameId: 12 });
    expect(seq.frames).toEqual([{ id: 12 }]);
    expect(seq.tracks.map((t) => [t.key, t.track, t.part, t.rig, t.numJoints])).toEqual([
      ['7', 7, 'body', 'openpose-body-25', 25],
      ['7_face', 7, 'face', 'ibug-face-68', 68],
      ['7_hand_left', 7, 'hand_left', 'hand-21', 21],
      ['3', 3, 'body', 'openpose-body-25', 25],
      ['3_face', 3, 'face', 'ibug-face-68', 68],
      ['3_hand_left', 3, 'hand_left', 'hand-21', 21],
    ]);
    expect(row(seq.tracks[2]!, 0)[3]).toBeNull();
    expect(row(seq.tracks[3]!, 0)[0]).toEqual([150, 200]);
  });

  it('COCO-18 bodies get openpose-coco-18; --min-visibility raises the confidence threshold', () => {
    const seq = parseOpenPose(
      { people: [{ pose_keypoints_2d: triples(18, (i) => [i, 2 * i, i < 5 ? 0.2 : 0.9]) }] },
      { minVisibility: 0.5 },
    );
    expect(seq.tracks[0]!.rig).toBe('openpose-coco-18');
    expect(Array.from(seq.tracks[0]!.mask.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 1]);
  });

  it('a keypoint array whose length is not a multiple of 3 is a one-line error naming the file', () => {
    const bad = { version: 1.3, people: [{ person_id: [-1], pose_keypoints_2d: [1, 2, 0.5, 4] }] };
    expect(() => parseOpenPose(bad, { file: 'f.json' })).toThrow(
      new DataFormatError(
        'people[0].pose_keypoints_2d has 4 numbers, not a multiple of 3 (x, y, confidence)',
        'f.json',
      ),
    );
  });

  it('a folder: natural order of the names; a person whose layout changes between frames is an error', async () => {
    const dir = join(tmp, 'op-natural');
    mkdirSync(dir);
    const frame = (n: number, x: number) => ({
      people: [{ pose_keypoints_2d: triples(n, (i) => [x + i, i, 1]) }],
    });
    writeFileSync(join(dir, 'f10.json'), JSON.stringify(frame(25, 10)));
    writeFileSync(join(dir, 'f2.json'), JSON.stringify(frame(25, 2)));
    writeFileSync(join(dir, 'notes.txt'), 'not a frame');
    const seq = await readKeypointSequence(dir);
    expect(seq.frames.map((f) => [f.id, f.file])).toEqual([
      [2, 'f2.json'],
      [10, 'f10.json'],
    ]);
    expect(row(seq.tracks[0]!, 0)[0]).toEqual([2, 0]);
    writeFileSync(join(dir, 'f11.json'), JSON.stringify(frame(18, 11)));
    await expect(readKeypointSequence(dir)).rejects.toThrow(
      /op-natural: f11\.json: people\[0\]\.pose_keypoints_2d: track "0" has 18 keypoints, but f2\.json: people\[0\]\.pose_keypoints_2d has 25; the frames of a sequence must keep one keypoint layout per track/,
    );
  });

  it('an empty folder, and a folder of mixed formats, are errors', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    await expect(readKeypointSequence(empty)).rejects.toThrow(
      /empty: no keypoint files \(\*\.json\) in the folder/,
    );
    const mixed = join(tmp, 'mixed');
    mkdirSync(mixed);
    writeFileSync(join(mixed, 'a1.json'), JSON.stringify({ people: [] }));
    writeFileSync(join(mixed, 'a2.json'), JSON.stringify({ points: [[1, 2]] }));
    await expect(readKeypointSequence(mixed)).rejects.toThrow(
      /mixed formats: a1\.json is openpose, a2\.json is lfm/,
    );
  });
});

describe('DeepLabCut CSV', () => {
  it('the single-animal fixture: one track 0, named body parts, likelihood < 0.6 = missing', () => {
    const csv = text('dlc-quadruped/predictions.csv');
    expect(isDlcCsv(csv)).toBe(true);
    const seq = parseDlcCsv(csv);
    expect(seq.format).toBe('dlc');
    expect(seq.frames.map((f) => f.id)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seq.tracks).toHaveLength(1);
    const t = seq.tracks[0]!;
    expect([t.key, t.track, t.numJoints, t.rig]).toEqual(['0', 0, 25, undefined]);
    const config = parseDlcConfig(text('dlc-quadruped/config.yaml'));
    expect(t.joints).toEqual(config.bodyparts);
    const tail = t.joints!.indexOf('tail_tip');
    expect(row(t, 3)[tail]).toBeNull(); // likelihood 0.31
    expect(t.confidence[3 * 25 + tail]).toBeCloseTo(0.31, 5);
    expect(row(t, 2)[tail]).not.toBeNull();
    const loose = parseDlcCsv(csv, { minLikelihood: 0.3 });
    expect(row(loose.tracks[0]!, 3)[tail]).not.toBeNull();
    // The first data cell is frame 0's pelvis x.
    const firstX = Number(csv.split('\n')[3]!.split(',')[1]);
    expect(row(t, 0)[0]![0]).toBeCloseTo(firstX, 3);
  });

  it('the multi-animal fixture: a track per individual and one for the unique body parts; an undetected animal is absent', () => {
    const seq = parseDlcCsv(text('dlc-multi/predictions.csv'));
    expect(seq.tracks.map((t) => [t.key, t.numJoints, Array.from(t.frames)])).toEqual([
      ['animal1', 25, [0, 1, 2, 3]],
      ['animal2', 25, [0, 1, 2]],
      ['single', 4, [0, 1, 2, 3]],
    ]);
    expect(seq.tracks[2]!.joints).toEqual([
      'arena_top_left',
      'arena_top_right',
      'arena_bottom_right',
      'arena_bottom_left',
    ]);
  });

  it('labelled data (three index columns, x, y without likelihood) and quoted cells read too', () => {
    const csv = [
      'scorer,,,me,me,me,me',
      'bodyparts,,,"nose, tip","nose, tip",ear,ear',
      'coords,,,x,y,x,y',
      'labeled-data,video1,img001.png,1.5,2.5,,',
      'labeled-data,video1,img002.png,3,4,5,6',
      '',
    ].join('\r\n');
    const table = readDlcTable(csv);
    expect(table.groups.map((g) => [g.bodypart, g.coords.join('')])).toEqual([
      ['nose, tip', 'xy'],
      ['ear', 'xy'],
    ]);
    expect(table.index).toEqual(['labeled-data/video1/img001.png', 'labeled-data/video1/img002.png']);
    const seq = parseDlcCsv(csv);
    expect(row(seq.tracks[0]!, 0)).toEqual([[1.5, 2.5], null]);
  });

  it('parseCsv: quotes, "" escapes, CRLF, a BOM, no empty last row', () => {
    expect(parseCsv('\uFEFFa,"b,c","d""e"\r\n1,,2\n')).toEqual([
      ['a', 'b,c', 'd"e'],
      ['1', '', '2'],
    ]);
    expect(() => parseCsv('a,"b\n', 'x.csv')).toThrow(/x\.csv: unterminated quoted field/);
  });

  it.each([
    [
      'wrong header rows',
      'scorer,s,s,s\nbodypart,a,a,a\ncoords,x,y,likelihood\n0,1,2,0.9\n',
      "x.csv: not a DeepLabCut predictions CSV: its header rows are 'scorer' / 'bodypart' / 'coords'; expected 'scorer' / 'bodyparts' / 'coords' (single animal) or 'scorer' / 'individuals' / 'bodyparts' / 'coords' (multi-animal)",
    ],
    [
      'a multi-animal file without its bodyparts row',
      'scorer,s,s,s\nindividuals,m,m,m\ncoords,x,y,likelihood\n0,1,2,0.9\n',
      "x.csv: not a DeepLabCut predictions CSV: its header rows are 'scorer' / 'individuals' / 'coords' / '0'",
    ],
    [
      'coords that are not x, y, likelihood',
      'scorer,s,s,s\nbodyparts,a,a,a\ncoords,x,likelihood,y\n0,1,2,0.9\n',
      'x.csv: column 2 (a): coords x, likelihood, y; expected x, y, likelihood per body part',
    ],
    [
      'mixed row sizes',
      'scorer,s,s,s\nbodyparts,a,a,a\ncoords,x,y,likelihood\n0,1,2,0.9\n1,1,2\n',
      'x.csv: line 5 has 3 cells, the header has 4 columns (mixed row sizes)',
    ],
    [
      'a cell that is not a number',
      'scorer,s,s,s\nbodyparts,a,a,a\ncoords,x,y,likelihood\n0,1,abc,0.9\n',
      "x.csv: line 4, column 3: 'abc' is not a number",
    ],
    [
      'a 3D file',
      'scorer,s,s,s\nbodyparts,a,a,a\ncoords,x,y,z\n0,1,2,3\n',
      'x.csv: a 3D DeepLabCut CSV (coords x, y, z): lifting reads 2D predictions (x, y, likelihood)',
    ],
  ])('%s: a one-line error naming the file', (_what, csv, message) => {
    expect(() => parseDlcCsv(csv, { file: 'x.csv' })).toThrow(message);
  });
});

describe('DeepLabCut config.yaml → rigs', () => {
  it('single animal: bodyparts → joints (config order), skeleton → bones, left/right names → mirror pairs', () => {
    const config = parseDlcConfig(text('dlc-quadruped/config.yaml'), 'config.yaml');
    expect([
      config.task,
      config.multiAnimal,
      config.bodyparts.length,
      config.skeleton.length,
      config.pcutoff,
    ]).toEqual(['quadruped', false, 25, 24, 0.6]);
    const [spec, ...more] = dlcRigSpecs(config);
    expect(more).toEqual([]);
    const rig = defineRig(spec!);
    expect([rig.id, rig.category, rig.numJoints, rig.bones.length]).toEqual([
      'dlc-quadruped',
      'animal',
      25,
      24,
    ]);
    expect(rig.mirror).toHaveLength(8);
    expect(rig.mirror).toContainEqual(['left_front_paw', 'right_front_paw']);
    expect(rig.citation).toMatch(/DeepLabCut project 'quadruped' \(scorer lfm, Jan1\)/);
  });

  it('multi-animal: multianimalbodyparts → one rig, uniquebodyparts → <id>-unique; bones between the sets dropped', () => {
    const config = parseDlcConfig(text('dlc-multi/config.yaml'));
    expect([config.multiAnimal, config.individuals, config.uniqueBodyparts.length]).toEqual([
      true,
      ['animal1', 'animal2'],
      4,
    ]);
    const rigs = dlcRigSpecs(config, { id: 'arena-mice', category: 'quadruped' }).map((s) => defineRig(s));
    expect(rigs.map((r) => [r.id, r.category, r.numJoints, r.bones.length])).toEqual([
      ['arena-mice', 'quadruped', 25, 24],
      ['arena-mice-unique', 'quadruped', 4, 4],
    ]);
  });

  it('mirror pairs by name: left/right words, l/r tokens, case kept', () => {
    expect(
      mirrorPairs([
        'leftear',
        'rightear',
        'ear_L',
        'ear_R',
        'r-paw',
        'l-paw',
        'Right Eye',
        'Left Eye',
        'snout',
      ]),
    ).toEqual([
      ['leftear', 'rightear'],
      ['ear_L', 'ear_R'],
      ['l-paw', 'r-paw'],
      ['Left Eye', 'Right Eye'],
    ]);
  });

  it.each([
    [
      'a skeleton bone naming a body part missing from bodyparts',
      'Task: t\nbodyparts:\n- snout\n- tail\nskeleton:\n- - snout\n  - tailtip\n',
      "config.yaml: skeleton[0] [snout, tailtip]: 'tailtip' is not a body part of the project (not in bodyparts)",
    ],
    [
      'no bodyparts',
      'Task: t\nskeleton: []\n',
      "config.yaml: no bodyparts: a DeepLabCut config.yaml lists its body parts under 'bodyparts'",
    ],
    ['a duplicate body part', 'bodyparts: [a, b, a]\n', "config.yaml: bodyparts lists 'a' twice"],
    ['YAML that does not parse', 'bodyparts: [a, b\n', /^config\.yaml: not valid YAML: /],
  ])('%s: a one-line error naming the file', (_what, yaml, message) => {
    expect(() => parseDlcConfig(yaml, 'config.yaml')).toThrow(message);
  });
});

describe('sequences of our JSON, COCO results and MediaPipe', () => {
  it('our JSON with "frame" and "track": frames in natural order of their ids, tracks by id', () => {
    const value = [
      {
        frame: 'f10',
        track: 'a',
        points: [
          [1, 1],
          [2, 2],
          [3, 3],
        ],
      },
      { frame: 'f2', track: 'b', points: [[4, 4], [5, 5], null] },
      {
        frame: 'f2',
        track: 'a',
        points: [
          [6, 6],
          [7, 7],
          [8, 8],
        ],
      },
    ];
    expect(isKeypointSequenceValue(value)).toBe(true);
    const seq = sequenceFromKeypointValue(value);
    expect(seq.frames.map((f) => f.id)).toEqual(['f2', 'f10']);
    expect(seq.tracks.map((t) => [t.key, Array.from(t.frames)])).toEqual([
      ['b', [0]],
      ['a', [0, 1]],
    ]);
    expect(row(seq.tracks[1]!, 1)).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('COCO results with track_id: frames by image_id, tracks by track_id, the COCO-17 rig by count', () => {
    const det = (image_id: number, track_id: number, x: number) => ({
      image_id,
      track_id,
      category_id: 1,
      keypoints: triples(17, (i) => [x + i, i, 2]),
      score: 0.9,
    });
    const seq = sequenceFromKeypointValue([det(3, 5, 0), det(3, 9, 100), det(1, 9, 50)]);
    expect(seq.frames.map((f) => f.id)).toEqual([1, 3]);
    expect(seq.tracks.map((t) => [t.key, t.rig, Array.from(t.frames)])).toEqual([
      ['9', 'coco-17', [0, 1]],
      ['5', 'coco-17', [1]],
    ]);
    // Without track ids or frame ids a COCO file is one frame (the per-detection output of lfm lift).
    expect(isKeypointSequenceValue([{ image_id: 1, keypoints: [1, 2, 2] }])).toBe(false);
  });

  it('MediaPipe per-frame objects with "frame": hands by index', () => {
    const hand = (x: number) => Array.from({ length: 21 }, (_, i) => ({ x: x + i / 100, y: 0.5 }));
    const seq = sequenceFromKeypointValue(
      [
        { frame: 0, landmarks: [hand(0.1), hand(0.5)] },
        { frame: 1, landmarks: [hand(0.2)] },
      ],
      { imageSize: { width: 100, height: 100 } },
    );
    expect(seq.tracks.map((t) => [t.key, t.rig, Array.from(t.frames)])).toEqual([
      ['0', 'hand-21', [0, 1]],
      ['1', 'hand-21', [0]],
    ]);
    expect(row(seq.tracks[0]!, 1)[0]![0]).toBeCloseTo(20, 4);
    expect(seq.normalized).toBe(false);
  });

  it('a folder of our JSON, one frame per file; a keypoint count that changes is an error', async () => {
    const dir = join(tmp, 'lfm-frames');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'frame_1.json'),
      JSON.stringify({
        points: [
          [1, 1],
          [2, 2],
          [3, 4],
        ],
      }),
    );
    writeFileSync(
      join(dir, 'frame_2.json'),
      JSON.stringify({
        points: [
          [1, 1],
          [2, 2],
          [3, 5],
        ],
      }),
    );
    const seq = await readKeypointSequence(dir);
    expect([seq.format, seq.frames.map((f) => f.id), seq.tracks.length]).toEqual(['lfm', [1, 2], 1]);
    writeFileSync(
      join(dir, 'frame_3.json'),
      JSON.stringify({
        points: [
          [1, 1],
          [2, 2],
        ],
      }),
    );
    await expect(readKeypointSequence(dir)).rejects.toThrow(
      /lfm-frames: frame_3\.json, item 0: track "0" has 2 keypoints, but frame_1\.json, item 0 has 3/,
    );
  });

  it('a list item without a frame id among items with one is an error', () => {
    expect(() =>
      sequenceFromKeypointValue([{ frame: 1, points: [[1, 2]] }, { points: [[1, 2]] }], { file: 'x.json' }),
    ).toThrow('x.json: item 1 has no frame id (frame) while other items have one');
  });

  it('parseSequenceText tells JSON, OpenPose and DeepLabCut apart by content', () => {
    expect(parseSequenceText(text('dlc-quadruped/predictions.csv')).format).toBe('dlc');
    expect(parseSequenceText(text('openpose-body25/video_000000000000_keypoints.json')).format).toBe(
      'openpose',
    );
    expect(parseSequenceText('{"points": [[1, 2], [3, 4], [5, 6]]}').format).toBe('lfm');
    expect(() => parseSequenceText('hello', { file: 'h.txt' })).toThrow(
      /h\.txt: neither JSON nor a DeepLabCut CSV/,
    );
  });
});

describe('retargetTrack and naturalCompare', () => {
  it("puts a named track in a rig's joint order; joints it lacks are missing; a point the rig lacks is an error", () => {
    const seq = parseDlcCsv(
      'scorer,s,s,s,s,s,s\nbodyparts,b,b,b,a,a,a\ncoords,x,y,likelihood,x,y,likelihood\n0,1,2,0.9,3,4,0.9\n',
    );
    const t = retargetTrack(seq.tracks[0]!, ['a', 'c', 'b'], { rig: 'abc' });
    expect([t.rig, t.joints, t.numJoints]).toEqual(['abc', ['a', 'c', 'b'], 3]);
    expect(row(t, 0)).toEqual([[3, 4], null, [1, 2]]);
    expect(() => retargetTrack(seq.tracks[0]!, ['a'], { what: "a joint of rig 'r'", file: 'p.csv' })).toThrow(
      `p.csv: body part 'b' of track "0" is not a joint of rig 'r'`,
    );
  });

  it('orders digit runs as numbers', () => {
    expect(['f10', 'f2', 'f1', 'g', 'f02'].sort(naturalCompare)).toEqual(['f1', 'f2', 'f02', 'f10', 'g']);
  });
});
