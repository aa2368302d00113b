import { describe, expect, it } from 'vitest';
import { createSyntheticDataset } from './synthetic.js';

const dist = (p: Float32Array | Float64Array, o: number, a: number, b: number) =>
  Math.hypot(
    p[o + 3 * a]! - p[o + 3 * b]!,
    p[o + 3 * a + 1]! - p[o + 3 * b + 1]!,
    p[o + 3 * a + 2]! - p[o + 3 * b + 2]!,
  );

describe('createSyntheticDataset', () => {
  it("'similarity': without jitter every frame is a similarity of the base shape (distance ratios kept)", () => {
    const d = createSyntheticDataset({ J: 6, train: 5, val: 1, test: 2, seed: 3 });
    expect(d.frames).toBe(8);
    expect(d.sequences.map((s) => [s.split, s.start, s.count])).toEqual([
      ['train', 0, 5],
      ['val', 5, 1],
      ['test', 6, 2],
    ]);
    for (let f = 0; f < d.frames; f++) {
      const o = 3 * f * 6;
      const s = dist(d.points, o, 0, 1) / dist(d.base, 0, 0, 1);
      expect(s).toBeGreaterThan(50 * 0.8 - 1e-3);
      expect(s).toBeLessThan(50 * 1.25 + 1e-3);
      for (const [a, b] of [
        [2, 5],
        [1, 4],
        [0, 3],
      ] as const) {
        expect(dist(d.points, o, a, b) / dist(d.base, 0, a, b)).toBeCloseTo(s, 3);
      }
    }
  });

  it("'drift': without jitter frame f is the scaled base shape shifted by 0.01·scale·f along (1, 1, 1)", () => {
    const d = createSyntheticDataset({ J: 4, train: 6, val: 0, test: 0, motion: 'drift', scale: 10 });
    expect(d.sequences).toHaveLength(1);
    for (let f = 0; f < 6; f++) {
      for (let i = 0; i < 12; i++) {
        expect(d.points[12 * f + i]).toBeCloseTo(d.base[i]! * 10 + 0.1 * f, 4);
      }
    }
  });

  it('missing joints: NaN, and every frame keeps minPresent of them; same seed → same bytes', () => {
    const opts = { J: 10, train: 30, missing: 0.6, minPresent: 5, seed: 2 } as const;
    const d = createSyntheticDataset(opts);
    let nan = 0;
    for (let f = 0; f < d.frames; f++) {
      let present = 0;
      for (let j = 0; j < 10; j++) {
        if (Number.isNaN(d.points[3 * (10 * f + j)])) nan++;
        else present++;
      }
      expect(present).toBeGreaterThanOrEqual(5);
    }
    expect(nan).toBeGreaterThan(0);
    expect(createSyntheticDataset(opts).points).toEqual(d.points);
    expect(createSyntheticDataset({ ...opts, seed: 3 }).points).not.toEqual(d.points);
  });
});
