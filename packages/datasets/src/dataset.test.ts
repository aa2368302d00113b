import { readdirSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import {
  type DatasetInput,
  frameEdges,
  loadDataset,
  sequenceIndexOfFrame,
  splitFrames,
  writeDataset,
} from './dataset.js';
import { useTmpDir } from './test-support/tmp.js';

const tmp = useTmpDir('dataset');
let dirCount = 0;
const freshDir = (): string => join(tmp, `ds${dirCount++}`);

/** F = 6 frames, J = 4 joints; joint 3 of frame 2 is missing (NaN ×3); 2 views. */
function tinyDataset(): DatasetInput {
  const F = 6;
  const J = 4;
  const points = new Float32Array(F * J * 3).map((_, i) => Math.sin(i) * 10 + i / 7);
  points.fill(Number.NaN, (2 * J + 3) * 3, (2 * J + 3) * 3 + 3);
  const views = new Float32Array(2 * F * J * 2).map((_, i) => i * 0.5);
  views.fill(Number.NaN, 10, 12);
  return {
    name: 'tiny',
    category: 'test-shape',
    units: 'cm',
    description: 'four points',
    fps: 30,
    joints: ['a', 'b', 'c', 'd'],
    edges: [
      [0, 1],
      [1, 2],
      [2, 3],
    ],
    symmetry: [[1, 2]],
    points,
    sequences: [
      { id: 's0', start: 0, count: 3, split: 'train', subject: 'A' },
      { id: 's1', start: 3, count: 2, split: 'val' },
      { id: 's2', start: 5, count: 1, split: 'test' },
    ],
    views: { kind: 'perspective image coordinates', cameraIds: ['c0', 'c1'], data: views },
    meta: { license: 'made by the test', notes: 'x', coordinate_frame: 'y up' },
  };
}

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

async function expectFormatError(p: Promise<unknown>, file: string, message: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataFormatError);
  expect((err as DataFormatError).file).toBe(file);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message.startsWith(file)).toBe(true);
}

describe('writeDataset → loadDataset round trip', () => {
  it('restores points (NaN included, bit-exact), views, meta and sequences', async () => {
    const dir = freshDir();
    const input = tinyDataset();
    await writeDataset(dir, input);
    expect(readdirSync(dir).sort()).toEqual(['meta.json', 'points.f32', 'views.f32']); // no temp files left
    expect(readFileSync(join(dir, 'points.f32')).byteLength).toBe(12 * 6 * 4);

    const ds = await loadDataset(dir);
    expect([ds.name, ds.category, ds.units, ds.description, ds.fps]).toEqual([
      'tiny',
      'test-shape',
      'cm',
      'four points',
      30,
    ]);
    expect([ds.frames, ds.numJoints]).toEqual([6, 4]);
    expect(ds.joints).toEqual(['a', 'b', 'c', 'd']);
    expect(ds.edges).toEqual(input.edges);
    expect(ds.symmetry).toEqual(input.symmetry);
    expect(bits(ds.points)).toEqual(bits(input.points));
    expect(ds.sequences).toEqual(input.sequences);
    expect(ds.views?.count).toBe(2);
    expect(ds.views?.cameraIds).toEqual(['c0', 'c1']);
    expect(bits(ds.views!.data)).toEqual(bits(input.views!.data));
    expect(ds.meta.license).toBe('made by the test');
    expect(ds.meta.shape).toEqual([6, 4, 3]);
    expect((ds.meta.views as { shape: number[] }).shape).toEqual([2, 6, 4, 2]);

    // A loaded dataset is a valid writeDataset input: writing it again gives the same bytes.
    const dir2 = freshDir();
    await writeDataset(dir2, ds);
    for (const f of ['meta.json', 'points.f32', 'views.f32']) {
      expect(readFileSync(join(dir2, f)).equals(readFileSync(join(dir, f))), f).toBe(true);
    }
  });

  it('splitFrames returns each split’s frame indices; sequenceIndexOfFrame finds the sequence', async () => {
    const dir = freshDir();
    await writeDataset(dir, tinyDataset());
    const ds = await loadDataset(dir);
    expect(Array.from(splitFrames(ds, 'train'))).toEqual([0, 1, 2]);
    expect(Array.from(splitFrames(ds, 'val'))).toEqual([3, 4]);
    expect(Array.from(splitFrames(ds, 'test'))).toEqual([5]);
    expect(Array.from(splitFrames(ds, ['train', 'val']))).toEqual([0, 1, 2, 3, 4]);
    expect(splitFrames(ds, 'train')).toBeInstanceOf(Int32Array);
    expect([0, 2, 3, 4, 5].map((f) => sequenceIndexOfFrame(ds, f))).toEqual([0, 0, 1, 1, 2]);
    expect(() => sequenceIndexOfFrame(ds, 6)).toThrow(RangeError);
  });

  it('per-sequence edges', async () => {
    const dir = freshDir();
    const base = tinyDataset();
    await writeDataset(dir, {
      ...base,
      edges: [],
      sequences: [
        { id: 'x', start: 0, count: 4, split: 'train', edges: [[0, 1]] },
        { id: 'y', start: 4, count: 2, split: 'test', edges: [[3, 2]] },
      ],
    });
    const ds = await loadDataset(dir);
    expect(ds.perSequenceEdges).toBe(true);
    expect(ds.meta.per_sequence_edges).toBe(true);
    expect(frameEdges(ds, 3)).toEqual([[0, 1]]);
    expect(frameEdges(ds, 4)).toEqual([[3, 2]]);
  });

  it('defaults to one train sequence; rewriting without views removes a stale views.f32', async () => {
    const dir = freshDir();
    await writeDataset(dir, tinyDataset());
    const { views: _views, sequences: _seqs, ...rest } = tinyDataset();
    await writeDataset(dir, rest);
    expect(readdirSync(dir).sort()).toEqual(['meta.json', 'points.f32']);
    const ds = await loadDataset(dir);
    expect(ds.views).toBeUndefined();
    expect(ds.sequences).toEqual([{ id: 'tiny', start: 0, count: 6, split: 'train' }]);
  });

  it('loads without views when asked', async () => {
    const dir = freshDir();
    await writeDataset(dir, tinyDataset());
    expect((await loadDataset(dir, { views: false })).views).toBeUndefined();
  });

  it('refuses to write a partly-NaN joint or a points length that is not F·J·3', async () => {
    const input = tinyDataset();
    const points = input.points.slice();
    points[7] = Number.NaN;
    const dir = freshDir();
    await expectFormatError(
      writeDataset(dir, { ...input, points }),
      join(dir, 'points.f32'),
      /frame 0 joint 2 .*partly NaN/,
    );
    await expect(writeDataset(freshDir(), { ...input, points: input.points.subarray(1) })).rejects.toThrow(
      /multiple of J\*3/,
    );
  });
});

describe('loadDataset rejects bad folders with DataFormatError naming the file and the problem', () => {
  /** Writes the tiny dataset, then lets `corrupt` damage it. */
  async function broken(corrupt: (dir: string, meta: Record<string, unknown>) => void): Promise<string> {
    const dir = freshDir();
    await writeDataset(dir, tinyDataset());
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
    corrupt(dir, meta);
    return dir;
  }
  const rewriteMeta = (dir: string, meta: Record<string, unknown>) =>
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));

  it('missing meta.json', async () => {
    const dir = await broken((d) => unlinkSync(join(d, 'meta.json')));
    await expectFormatError(loadDataset(dir), join(dir, 'meta.json'), /has no meta\.json/);
  });

  it('meta.json that is not JSON', async () => {
    const dir = await broken((d) => writeFileSync(join(d, 'meta.json'), '{"name": "tiny",'));
    await expectFormatError(loadDataset(dir), join(dir, 'meta.json'), /invalid JSON/);
  });

  it('meta.json missing keys', async () => {
    const dir = await broken((d, m) => {
      delete m.units;
      delete m.symmetry;
      rewriteMeta(d, m);
    });
    await expectFormatError(loadDataset(dir), join(dir, 'meta.json'), /missing keys "units", "symmetry"/);
  });

  it('meta.json whose frames disagree with the points.f32 size (names both sizes)', async () => {
    const dir = await broken((d, m) => {
      m.frames = 7;
      m.shape = [7, 4, 3];
      (m.sequences as { count: number }[])[2]!.count = 2;
      delete m.views;
      unlinkSync(join(d, 'views.f32'));
      rewriteMeta(d, m);
    });
    await expectFormatError(loadDataset(dir), join(dir, 'points.f32'), /has 288 bytes .* = 336 bytes/);
  });

  it('a truncated points.f32', async () => {
    const dir = await broken((d) => truncateSync(join(d, 'points.f32'), 280));
    await expectFormatError(
      loadDataset(dir),
      join(dir, 'points.f32'),
      /has 280 bytes .*frames=6, 4 joints.* = 288 bytes/,
    );
  });

  it('a views.f32 of the wrong size, or missing', async () => {
    const dir = await broken((d) => truncateSync(join(d, 'views.f32'), 100));
    await expectFormatError(
      loadDataset(dir),
      join(dir, 'views.f32'),
      /has 100 bytes .*\[2, 6, 4, 2\] float32 = 384 bytes/,
    );
    const dir2 = await broken((d) => unlinkSync(join(d, 'views.f32')));
    await expectFormatError(loadDataset(dir2), join(dir2, 'views.f32'), /declares views .* missing/);
  });

  it('a shape entry that disagrees with frames and joints', async () => {
    const dir = await broken((d, m) => {
      m.shape = [6, 5, 3];
      rewriteMeta(d, m);
    });
    await expectFormatError(
      loadDataset(dir),
      join(dir, 'meta.json'),
      /"shape" \[6,5,3\] disagrees .*expected \[6, 4, 3\]/,
    );
  });

  it('sequences that do not tile [0, F)', async () => {
    const gap = await broken((d, m) => {
      (m.sequences as { start: number }[])[1]!.start = 4;
      rewriteMeta(d, m);
    });
    await expectFormatError(
      loadDataset(gap),
      join(gap, 'meta.json'),
      /tile \[0, 6\).*sequence 1 \("s1"\) starts at 4 but the previous one ends at 3/,
    );
    const short = await broken((d, m) => {
      (m.sequences as unknown[]).pop();
      rewriteMeta(d, m);
    });
    await expectFormatError(loadDataset(short), join(short, 'meta.json'), /they end at frame 5/);
  });

  it('an unknown split, an edge out of range', async () => {
    const split = await broken((d, m) => {
      (m.sequences as { split: string }[])[0]!.split = 'training';
      rewriteMeta(d, m);
    });
    await expectFormatError(
      loadDataset(split),
      join(split, 'meta.json'),
      /"split" must be one of train\|val\|test, got "training"/,
    );
    const edge = await broken((d, m) => {
      m.edges = [[0, 4]];
      rewriteMeta(d, m);
    });
    await expectFormatError(
      loadDataset(edge),
      join(edge, 'meta.json'),
      /"edges"\[0\] = \[0,4\] is not a pair of joint indices in \[0, 4\)/,
    );
  });

  it('a partly-NaN joint (names frame, joint and count)', async () => {
    const dir = await broken((d) => {
      const buf = readFileSync(join(d, 'points.f32'));
      const p = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      p[(4 * 4 + 1) * 3 + 2] = Number.NaN; // frame 4, joint 1, z
      p[(5 * 4 + 0) * 3] = Number.NaN; // frame 5, joint 0, x
      writeFileSync(join(d, 'points.f32'), buf);
    });
    await expectFormatError(
      loadDataset(dir),
      join(dir, 'points.f32'),
      /frame 4 joint 1 \("b"\) is partly NaN.*2 such joints/,
    );
  });

  it('an infinite coordinate', async () => {
    const dir = await broken((d) => {
      const buf = readFileSync(join(d, 'points.f32'));
      new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)[0] = Number.POSITIVE_INFINITY;
      writeFileSync(join(d, 'points.f32'), buf);
    });
    await expectFormatError(
      loadDataset(dir),
      join(dir, 'points.f32'),
      /frame 0 joint 0 \("a"\) has an infinite coordinate/,
    );
  });
});
