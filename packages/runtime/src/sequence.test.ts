import { Rng } from '@lfm/core';
import { encodeNpy, parseNpy, readDlcTable } from '@lfm/datasets';
import { type KeypointSequence, SequenceBuilder } from '@lfm/datasets/preprocess';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lifter } from './index.js';
import { loadLifter } from './node.js';
import { liftedSequenceArray, liftedSequenceCsv, liftedSequenceJson, liftSequence } from './sequence.js';
import { makeModel, randomPixels } from './test-support/fixtures.js';

let lifter: Lifter;
beforeAll(async () => {
  lifter = await loadLifter(makeModel().bytes);
});
afterAll(() => lifter.release());

/** Two tracks over 5 frames: "a" (hand-21) in every frame, frame 2 with only 2 visible points; "b" (8 points, no rig) in frames 1 and 3. */
function sequence(): KeypointSequence {
  const rng = new Rng(5);
  const b = new SequenceBuilder('lfm', (m) => {
    throw new Error(m);
  });
  for (let f = 0; f < 5; f++) {
    const frame = b.frame(100 + f);
    const a = randomPixels(rng, 21);
    const present = a.map((_, j) => (f === 2 ? j < 2 : j !== 4));
    b.add(frame, { track: 'a', xy: a.flat(), present, rig: 'hand-21' }, `frame ${f}`);
    if (f % 2 === 1) {
      const p = randomPixels(rng, 8);
      b.add(frame, { track: 'b', xy: p.flat(), present: p.map(() => true) }, `frame ${f}`);
    }
  }
  return b.build();
}

describe('liftSequence', () => {
  it('equals Lifter.lift frame by frame, in any batch size; a frame with < 3 visible points is not lifted', async () => {
    const seq = sequence();
    const progress: [number, number][] = [];
    const lifted = await liftSequence(lifter, seq, {
      batchSize: 2,
      onProgress: (d, t) => progress.push([d, t]),
    });
    expect(progress).toEqual([
      [2, 7],
      [4, 7],
      [5, 7],
      [7, 7],
    ]);
    const big = await liftSequence(lifter, seq);
    const [a, b] = lifted.tracks;
    expect([a!.key, a!.rig, a!.numJoints, Array.from(a!.frames)]).toEqual([
      'a',
      'hand-21',
      21,
      [0, 1, 2, 3, 4],
    ]);
    expect([b!.key, b!.rig, Array.from(b!.frames), b!.joints]).toEqual(['b', undefined, [1, 3], undefined]);
    expect(a!.cameras[2]).toBeNull();
    expect(Array.from(a!.mask.subarray(2 * 21, 3 * 21)).every((m) => m === 0)).toBe(true);
    expect(Number.isNaN(a!.points3d[2 * 21 * 3])).toBe(true);
    for (const [k, track] of lifted.tracks.entries()) {
      expect(big.tracks[k]!.points3d).toEqual(track.points3d);
      const src = seq.tracks[k]!;
      const J = src.numJoints;
      for (let t = 0; t < src.frames.length; t++) {
        if (track.cameras[t] === null) continue;
        const pts = Array.from({ length: J }, (_, j): [number, number] | null =>
          src.mask[t * J + j] ? [src.points[2 * (t * J + j)]!, src.points[2 * (t * J + j) + 1]!] : null,
        );
        const one = await lifter.lift(pts, src.rig ? { rig: src.rig } : {});
        one.points3d.forEach((p, j) => {
          if (p === null) expect(track.mask[t * J + j]).toBe(0);
          else for (let c = 0; c < 3; c++) expect(track.points3d[3 * (t * J + j) + c]!).toBeCloseTo(p[c]!, 4);
        });
        expect(track.cameras[t]!.rmse).toBeCloseTo(one.camera!.rmse, 3);
      }
    }
  });

  it("names the track and the source frame in the lifter's errors", async () => {
    const seq = sequence();
    await expect(
      liftSequence(lifter, seq, { rig: (t) => (t.key === 'b' ? 'coco-17' : 'hand-21') }),
    ).rejects.toThrow(`track "b", rig 'coco-17' has 17 joints, but frame 101 has 8 points`);
  });
});

describe('sequence output', () => {
  it('json, csv and npy hold the same points; absent tracks and missing points are null / empty / NaN', async () => {
    const lifted = await liftSequence(lifter, sequence());
    const doc = liftedSequenceJson(lifted) as {
      frames: { id: number }[];
      tracks: {
        key: string;
        frames: number[];
        frameIds: number[];
        points3d: (number[] | null)[][];
        joints: string[];
      }[];
    };
    expect(doc.frames.map((f) => f.id)).toEqual([100, 101, 102, 103, 104]);
    expect(doc.tracks.map((t) => [t.key, t.frameIds])).toEqual([
      ['a', [100, 101, 102, 103, 104]],
      ['b', [101, 103]],
    ]);
    expect(doc.tracks[1]!.joints).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);
    const point = (k: number, f: number, j: number) => {
      const t = doc.tracks[k]!;
      const r = t.frames.indexOf(f);
      return r < 0 ? null : t.points3d[r]![j]!;
    };
    const table = readDlcTable(liftedSequenceCsv(lifted, { scorer: 'me' }));
    expect([table.scorer, table.multiAnimal, table.index, table.groups.length]).toEqual([
      'me',
      true,
      [100, 101, 102, 103, 104],
      29,
    ]);
    const npy = parseNpy(encodeNpy(liftedSequenceArray(lifted)));
    expect(npy.shape).toEqual([2, 5, 21, 3]);
    table.groups.forEach((g) => {
      const k = g.individual === 'a' ? 0 : 1;
      const j = Number(/\d+$/.exec(g.bodypart)?.[0] ?? doc.tracks[0]!.joints.indexOf(g.bodypart));
      for (let f = 0; f < 5; f++) {
        const p = point(k, f, j);
        for (let c = 0; c < 3; c++) {
          const v = table.values[f * table.columns + g.column + c]!;
          const w = npy.data[((k * 5 + f) * 21 + j) * 3 + c] as number;
          if (p === null) expect([Number.isNaN(v), Number.isNaN(w)]).toEqual([true, true]);
          else {
            expect(v).toBeCloseTo(p[c]!, 4);
            expect(w).toBeCloseTo(p[c]!, 5);
          }
        }
      }
    });
    // Track b's padding joints 8…20 are NaN.
    expect(Number.isNaN(npy.data[((1 * 5 + 1) * 21 + 8) * 3] as number)).toBe(true);
  });
});
