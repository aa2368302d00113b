import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { readKeypoints } from './keypoints.js';
import { detectKeypointFormat, parseKeypointJson, parseKeypoints } from './preprocess/keypoints.js';
import { useTmpDir } from './test-support/tmp.js';

const tmp = useTmpDir('keypoints');

const lm = (x: number, y: number, visibility?: number) => ({
  x,
  y,
  z: -0.1,
  ...(visibility !== undefined ? { visibility } : {}),
});

describe('detectKeypointFormat', () => {
  it.each([
    [{ points: [[1, 2]] }, 'lfm'],
    [[{ points: [] }], 'lfm'],
    [[{ image_id: 1, category_id: 1, keypoints: [1, 2, 2], score: 0.9 }], 'coco'],
    [{ annotations: [], categories: [] }, 'coco'],
    [{ landmarks: [lm(0.1, 0.2)] }, 'mediapipe'],
    [{ landmarks: [[lm(0.1, 0.2)]] }, 'mediapipe'],
    [{ poseLandmarks: [lm(0.1, 0.2)] }, 'mediapipe'],
    [{ multiHandLandmarks: [[lm(0.1, 0.2)]] }, 'mediapipe'],
    [[lm(0.1, 0.2)], 'mediapipe'],
    [[[lm(0.1, 0.2)], [lm(0.3, 0.4)]], 'mediapipe'],
    [[{ landmarks: [lm(0.1, 0.2)] }], 'mediapipe'],
    [{ foo: 1 }, undefined],
    [[1, 2, 3], undefined],
    [null, undefined],
  ])('%j → %s', (value, format) => {
    expect(detectKeypointFormat(value)).toBe(format);
  });
});

describe('our lift format', () => {
  it('one input: null → masked; rig and bones kept', () => {
    const k = parseKeypoints({ points: [[1, 2], null, [5.5, -6]], rig: 'hand-21', bones: [[0, 2]] });
    expect([k.format, k.batch, k.numPoints, k.normalized]).toEqual(['lfm', 1, 3, false]);
    expect(Array.from(k.points)).toEqual([1, 2, 0, 0, 5.5, -6]);
    expect(Array.from(k.mask)).toEqual([1, 0, 1]);
    expect([k.rig, k.bones]).toEqual(['hand-21', [[0, 2]]]);
  });

  it('a list pads to the longest item; shared rig/bones only when all agree', () => {
    const k = parseKeypoints([
      {
        points: [
          [1, 1],
          [2, 2],
          [3, 3],
        ],
        rig: 'a',
      },
      { points: [[4, 4]], rig: 'b' },
    ]);
    expect([k.batch, k.numPoints]).toEqual([2, 3]);
    expect(Array.from(k.mask)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(Array.from(k.points.subarray(6))).toEqual([4, 4, 0, 0, 0, 0]);
    expect(k.rig).toBeUndefined();
    expect(k.items.map((it) => [it.count, it.rig])).toEqual([
      [3, 'a'],
      [1, 'b'],
    ]);
  });

  it('bad inputs name the item, point and problem', () => {
    const err = (v: unknown) => () => parseKeypoints(v, { file: 'in.json' });
    expect(err({ points: [[1, 2, 3]] })).toThrow(
      /^in\.json: input point 0: expected \[x, y\] or null, got \[1,2,3\]/,
    );
    expect(err({ points: [[1]] })).toThrow(/input point 0: expected \[x, y\] or null/);
    expect(err([{ points: [[1, 2]] }, { points: [[0, Number.NaN]] }])).toThrow(
      /item 1 point 0 has a NaN coordinate/,
    );
    expect(err({ points: [['1', 2]] })).toThrow(/coordinates must be numbers/);
    expect(err({ points: [[1, 2]], bones: [[0, 1]] })).toThrow(
      /"bones"\[0\] = \[0,1\] is not a pair of distinct point indices in \[0, 1\)/,
    );
    expect(err({ points: [[1, 2]], rig: 3 })).toThrow(/"rig" must be a rig id string/);
    expect(err({ points: 'no' })).toThrow(DataFormatError);
    expect(err([])).toThrow(/empty keypoint list/);
    expect(err({ what: 1 })).toThrow(/unrecognised keypoint JSON/);
  });

  it('Python-style NaN in the JSON text is reported as such', () => {
    expect(() => parseKeypointJson('{"points": [[1, NaN], [2, 3]]}', { file: 'p.json' })).toThrow(
      /^p\.json: contains a NaN coordinate, which is not valid JSON; write null for a missing point/,
    );
    expect(() => parseKeypointJson('{"points": [[1, 2]', { file: 'p.json' })).toThrow(
      /^p\.json: invalid JSON/,
    );
  });
});

describe('COCO keypoint results', () => {
  const results = [
    { image_id: 7, category_id: 1, keypoints: [10, 20, 2, 0, 0, 0, 30, 40, 1], score: 0.9 },
    { image_id: 8, category_id: 1, keypoints: [1, 2, 0.4, 3, 4, 0.01, 0, 0, 0], score: 0.5 },
  ];

  it('v = 0 → missing; ids and scores kept', () => {
    const k = parseKeypoints(results);
    expect([k.format, k.batch, k.numPoints]).toEqual(['coco', 2, 3]);
    expect(Array.from(k.points.subarray(0, 6))).toEqual([10, 20, 0, 0, 30, 40]);
    expect(Array.from(k.mask)).toEqual([1, 0, 1, 1, 1, 0]);
    expect(k.items[0]).toEqual({ count: 3, imageId: 7, categoryId: 1, score: 0.9 });
  });

  it('minVisibility raises the threshold (for results whose v is a confidence)', () => {
    expect(Array.from(parseKeypoints(results, { minVisibility: 0.3 }).mask)).toEqual([1, 0, 1, 1, 0, 0]);
  });

  it('an annotation file: category skeletons (1-based) become bones', () => {
    const k = parseKeypoints({
      images: [{ id: 1 }],
      annotations: [
        { image_id: 1, category_id: 3, keypoints: [1, 1, 2, 2, 2, 2, 3, 3, 2] },
        { image_id: 1, category_id: 3, bbox: [] },
      ],
      categories: [
        {
          id: 3,
          name: 'x',
          skeleton: [
            [1, 2],
            [2, 3],
          ],
        },
      ],
    });
    expect(k.batch).toBe(1);
    expect(k.bones).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });

  it('wrong lengths and NaN coordinates', () => {
    expect(() => parseKeypoints([{ keypoints: [1, 2, 2, 3] }], { file: 'r.json' })).toThrow(
      /^r\.json: detection 0: "keypoints" has 4 numbers, not a multiple of 3 \(x, y, v\)/,
    );
    expect(() => parseKeypoints([{ keypoints: [Number.NaN, 2, 2] }])).toThrow(
      /detection 0 keypoint 0 has a NaN coordinate/,
    );
    expect(() => parseKeypoints([{ keypoints: [1, 2, 'v'] }])).toThrow(/visibility must be a number/);
  });
});

describe('MediaPipe landmarks (normalised coordinates)', () => {
  it('{landmarks: [...]}: normalised unless imageSize is given', () => {
    const value = { landmarks: [lm(0.5, 0.25, 0.9), lm(1, 0, 0.8)] };
    const k = parseKeypoints(value);
    expect([k.format, k.batch, k.numPoints, k.normalized]).toEqual(['mediapipe', 1, 2, true]);
    expect(Array.from(k.points)).toEqual([0.5, 0.25, 1, 0]);
    const px = parseKeypoints(value, { imageSize: { width: 640, height: 480 } });
    expect(px.normalized).toBe(false);
    expect(Array.from(px.points)).toEqual([320, 120, 640, 0]);
  });

  it('Tasks API result (one list per detected pose), lists of lists, per-frame objects', () => {
    const two = parseKeypoints({
      landmarks: [[lm(0.1, 0.1), lm(0.2, 0.2)], [lm(0.3, 0.3)]],
      worldLandmarks: [],
    });
    expect([two.batch, two.numPoints, Array.from(two.mask)]).toEqual([2, 2, [1, 1, 1, 0]]);
    expect(parseKeypoints([[lm(0.1, 0.1)], [lm(0.2, 0.2)]]).batch).toBe(2);
    expect(
      parseKeypoints([{ landmarks: [lm(0.1, 0.1)] }, { landmarks: [[lm(0.1, 0.1)], [lm(0.2, 0.2)]] }]).batch,
    ).toBe(3);
    expect(parseKeypoints({ multiHandLandmarks: [[lm(0.1, 0.1)]] }).batch).toBe(1);
  });

  it('visibility ≤ minVisibility masks a landmark', () => {
    const k = parseKeypoints([lm(0.1, 0.1, 0.9), lm(0.2, 0.2, 0.2), lm(0.3, 0.3)], { minVisibility: 0.5 });
    expect(Array.from(k.mask)).toEqual([1, 0, 1]);
  });

  it('bad landmarks', () => {
    expect(() => parseKeypoints({ landmarks: [lm(0.1, Number.NaN)] })).toThrow(
      /\$\.landmarks\[0\] has a NaN coordinate/,
    );
    expect(() => parseKeypoints({ landmarks: [lm(0.1, 0.1), { x: 1 }] })).toThrow(
      /coordinates must be numbers/,
    );
    expect(() =>
      parseKeypoints({ landmarks: [lm(0.1, 0.1)] }, { imageSize: { width: 0, height: 1 } }),
    ).toThrow(/imageSize/);
  });
});

describe('readKeypoints', () => {
  it('reads a file and names it in errors', async () => {
    const file = join(tmp, 'lift.json');
    writeFileSync(
      file,
      JSON.stringify([
        { points: [[1, 2], null] },
        {
          points: [
            [3, 4],
            [5, 6],
          ],
        },
      ]),
    );
    const k = await readKeypoints(file);
    expect([k.batch, k.numPoints, Array.from(k.mask)]).toEqual([2, 2, [1, 0, 1, 1]]);
    const badFile = join(tmp, 'bad.json');
    writeFileSync(badFile, '[{"points": [[1, 2], [NaN, 3]]}]');
    await expect(readKeypoints(badFile)).rejects.toThrow(`${badFile}: contains a NaN coordinate`);
    await expect(readKeypoints(join(tmp, 'none.json'))).rejects.toThrow(/none\.json: file not found/);
  });
});
