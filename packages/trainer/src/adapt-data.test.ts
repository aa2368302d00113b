import { InputError } from '@lfm/core';
import type { KeypointSequence, Keypoints2D } from '@lfm/datasets';
import { describe, expect, it } from 'vitest';
import { type AdaptRig, adaptSamplesFromKeypoints, adaptSamplesFromSequence } from './adapt-data.js';

// The single-camera sample sets of `adapt`: a keypoint file's items and a sequence's track frames.

const rig: AdaptRig = { id: 'tri', joints: ['a', 'b', 'c'], bones: [[0, 1]] };

describe('adaptSamplesFromKeypoints / adaptSamplesFromSequence', () => {
  it('items padded to N: the rig’s J points of each, one group each; too few visible points dropped', () => {
    // N = 4 (padding after J = 3); item 1 has two visible points only.
    const kp = {
      batch: 3,
      numPoints: 4,
      points: Float32Array.from([
        1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 0, 0, 9, 10, 0, 0, 11, 12, 13, 14, 15, 16, 0, 0,
      ]),
      mask: Uint8Array.from([1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0]),
      items: [{ count: 3 }, { count: 3 }, { count: 3 }],
    } as unknown as Keypoints2D;
    const s = adaptSamplesFromKeypoints(kp, rig, 'kp.json');
    expect(s).toMatchObject({ source: 'kp.json', count: 2, numJoints: 3, dropped: 1 });
    expect(Array.from(s.points2d)).toEqual([1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]);
    expect(Array.from(s.mask)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(s.group)).toEqual([0, 2]);
    const wrong = { ...kp, items: [{ count: 3 }, { count: 4 }, { count: 3 }] } as unknown as Keypoints2D;
    expect(() => adaptSamplesFromKeypoints(wrong, rig)).toThrow(
      /item 1 has 4 points, but rig tri has 3 joints/,
    );
    const none = { ...kp, batch: 0, items: [] } as unknown as Keypoints2D;
    expect(() => adaptSamplesFromKeypoints(none, rig)).toThrow(/the input: no keypoints/);
  });

  it('every frame of every track a sample; a present point with non-finite 2D is not visible', () => {
    const track = (key: string, points: number[], mask: number[]) => ({
      key,
      numJoints: 3,
      frames: Int32Array.from({ length: mask.length / 3 }, (_, f) => f),
      points: Float32Array.from(points),
      mask: Uint8Array.from(mask),
    });
    const seq = {
      tracks: [
        track('0', [1, 1, 2, 2, 3, 3, 4, 4, Number.NaN, 5, 6, 6], [1, 1, 1, 1, 1, 1]),
        track('1', [7, 7, 8, 8, 9, 9], [1, 1, 1]),
      ],
    } as unknown as KeypointSequence;
    const s = adaptSamplesFromSequence(seq, rig, 'seq.json');
    // Frame 1 of track 0 keeps two visible points: dropped.
    expect(s).toMatchObject({ count: 2, dropped: 1 });
    expect(Array.from(s.points2d)).toEqual([1, 1, 2, 2, 3, 3, 7, 7, 8, 8, 9, 9]);
    expect(Array.from(s.group)).toEqual([0, 2]);
    expect(adaptSamplesFromSequence({ ...seq, tracks: [seq.tracks[0]!] }, rig).count).toBe(1);
    const short = { tracks: [{ ...seq.tracks[0]!, numJoints: 2 }] } as unknown as KeypointSequence;
    expect(() => adaptSamplesFromSequence(short, rig, 'seq.json')).toThrow(InputError);
    expect(() => adaptSamplesFromSequence(short, rig, 'seq.json')).toThrow(/seq.json: track 0 has 2 points/);
  });
});
