import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameEdges, listDatasets, loadDataset, SPLITS, sequenceEdges, splitFrames } from './dataset.js';
import { HAVE_SHARED_DATA, SHARED_DATA_DIR, warnIfMissing } from './test-support/shared-data.js';

warnIfMissing(HAVE_SHARED_DATA, 'shared dataset tests');

// The table of shared/data/README.md: J, F, train/val/test frames.
const EXPECTED: Record<string, { J: number; F: number; splits: [number, number, number]; views?: number }> = {
  'aflw-face': { J: 68, F: 2000, splits: [1600, 200, 200] },
  'akhter-dance': { J: 75, F: 264, splits: [211, 27, 26] },
  'akhter-markers': { J: 41, F: 2136, splits: [1459, 370, 307] },
  'bandai-body': { J: 21, F: 53426, splits: [42999, 5249, 5178] },
  'cmu-body': { J: 28, F: 10089, splits: [8025, 428, 1636] },
  'dog-body': { J: 26, F: 24069, splits: [17959, 3210, 2900] },
  'frgc-face': { J: 62, F: 400, splits: [320, 40, 40] },
  'h36m-body': { J: 17, F: 86062, splits: [49450, 13018, 23594] },
  'h36m-cams': { J: 17, F: 1383, splits: [0, 0, 1383], views: 4 },
  'pascal3d-aeroplane': { J: 8, F: 7, splits: [5, 1, 1] },
  'pascal3d-bicycle': { J: 11, F: 5, splits: [3, 1, 1] },
  'pascal3d-boat': { J: 7, F: 6, splits: [4, 1, 1] },
  'pascal3d-bottle': { J: 7, F: 8, splits: [6, 1, 1] },
  'pascal3d-bus': { J: 12, F: 6, splits: [4, 1, 1] },
  'pascal3d-chair': { J: 10, F: 10, splits: [8, 1, 1] },
  'pascal3d-sofa': { J: 10, F: 6, splits: [4, 1, 1] },
  'realworld-hand': { J: 21, F: 583, splits: [467, 58, 58] },
  'torresani-face': { J: 40, F: 316, splits: [253, 31, 32] },
  'torresani-shark': { J: 91, F: 240, splits: [192, 24, 24] },
  'torresani-walking': { J: 55, F: 260, splits: [208, 26, 26] },
};

describe.skipIf(!HAVE_SHARED_DATA)('every dataset of shared/data', async () => {
  const dirs = HAVE_SHARED_DATA ? await listDatasets(SHARED_DATA_DIR) : [];

  it('lists exactly the README’s 20 datasets', () => {
    expect(dirs.map((d) => basename(d))).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const dir of dirs) {
    const name = basename(dir);
    it(`${name}: loads; shape, file size, splits, missing joints all-or-nothing`, async () => {
      const want = EXPECTED[name]!;
      const ds = await loadDataset(dir);
      expect(ds.name).toBe(name);
      expect([ds.numJoints, ds.frames]).toEqual([want.J, want.F]);
      expect(ds.joints).toHaveLength(want.J);
      expect(ds.meta.shape).toEqual([want.F, want.J, 3]);
      expect(ds.points.length).toBe(want.F * want.J * 3);
      expect((await stat(join(dir, 'points.f32'))).size).toBe(12 * want.F * want.J);

      const parts = SPLITS.map((s) => splitFrames(ds, s));
      expect(parts.map((p) => p.length)).toEqual(want.splits);
      const seen = new Int32Array(want.F);
      for (const part of parts) for (const f of part) seen[f]! += 1;
      expect(seen.every((c) => c === 1)).toBe(true); // the splits partition the frames

      // Every joint is finite or NaN in all 3 coordinates, and a dataset is not all missing.
      let missing = 0;
      let bad = 0;
      const p = ds.points;
      for (let i = 0; i < p.length; i += 3) {
        const [x, y, z] = [p[i]!, p[i + 1]!, p[i + 2]!];
        if (Number.isNaN(x) && Number.isNaN(y) && Number.isNaN(z)) missing++;
        else if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) bad++;
      }
      expect(bad).toBe(0);
      expect(missing).toBeLessThan(want.F * want.J);

      const outOfRange = ds.sequences.flatMap((seq) =>
        sequenceEdges(ds, seq).filter(([i, j]) => !(i >= 0 && i < want.J && j >= 0 && j < want.J)),
      );
      expect(outOfRange).toEqual([]);
      if (want.views) {
        expect(ds.views?.count).toBe(want.views);
        expect(ds.views?.data.length).toBe(want.views * want.F * want.J * 2);
        expect(ds.views?.cameraIds).toHaveLength(want.views);
      } else {
        expect(ds.views).toBeUndefined();
      }
    });
  }

  it('akhter-markers: bones are per sequence', async () => {
    const ds = await loadDataset(join(SHARED_DATA_DIR, 'akhter-markers'));
    expect(ds.perSequenceEdges).toBe(true);
    expect(ds.edges).toEqual([]);
    const [drink, pickup] = ds.sequences;
    expect(sequenceEdges(ds, drink!)[0]).toEqual([17, 21]);
    expect(sequenceEdges(ds, pickup!)[0]).toEqual([20, 22]);
    expect(frameEdges(ds, 1101)).toBe(sequenceEdges(ds, drink!));
    expect(frameEdges(ds, 1102)).toBe(sequenceEdges(ds, pickup!));
  });

  it('h36m-body: S8 is the validation subject, S9/S11 the test subjects', async () => {
    const ds = await loadDataset(join(SHARED_DATA_DIR, 'h36m-body'));
    const subjects = (split: string) =>
      [...new Set(ds.sequences.filter((s) => s.split === split).map((s) => s.subject))].sort();
    expect(subjects('train')).toEqual(['S1', 'S5', 'S6', 'S7']);
    expect(subjects('val')).toEqual(['S8']);
    expect(subjects('test')).toEqual(['S11', 'S9']);
  });
});
