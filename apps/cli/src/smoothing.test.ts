import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKeypointSequence } from '@lfm/datasets';
import { liftSequence, smoothSequence } from '@lfm/runtime';
import { describe, expect, it } from 'vitest';
import { examples } from './test-support/cli.js';
import { useTinyLifter } from './test-support/lifter.js';

// `lfm lift --smooth one-euro` (the 2D of each track One-Euro filtered before lifting) and
// `--flips fix` (depth-sign consistency) on a sequence: the output equals @lfm/runtime's liftSequence
// with the same options, records them, and the flags are checked.

const tiny = useTinyLifter('lfm-cli-smoothing-');
const { dir, lift } = tiny;
const openpose = join(examples, 'trackers', 'openpose-body25');

interface Doc {
  temporal?: {
    smooth: { filter: string; minCutoff: number; beta: number; dCutoff: number; fps: number | null } | null;
    flips: string;
  };
  tracks: { key: string; points3d: ([number, number, number] | null)[][]; flippedFrames?: number[] }[];
}

describe('lfm lift --smooth', () => {
  it('one-euro: lifts the smoothed 2D, fixes flips by default, and records both in the JSON', async () => {
    const r = await lift('--input', openpose, '--smooth', 'one-euro', '--fps', '25', '--beta', '0.02');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.temporal).toEqual({
      smooth: { filter: 'one-euro', minCutoff: 1, beta: 0.02, dCutoff: 1, fps: 25, missing: 'hold' },
      flips: 'fix',
    });
    const seq = await readKeypointSequence(openpose);
    const options = { smooth: { fps: 25, beta: 0.02 }, flips: 'fix' as const };
    const want = await liftSequence(tiny.lifter, seq, options);
    expect(doc.tracks.map((t) => t.key)).toEqual(want.tracks.map((t) => t.key));
    doc.tracks.forEach((t, k) => {
      const w = want.tracks[k]!;
      const J = w.numJoints;
      t.points3d.forEach((row, f) => {
        row.forEach((p, j) => {
          if (p === null) expect(w.mask[f * J + j]).toBe(0);
          else for (let c = 0; c < 3; c++) expect(p[c]!).toBeCloseTo(w.points3d[3 * (f * J + j) + c]!, 5);
        });
      });
      expect(t.flippedFrames).toEqual(Array.from(w.frames).filter((_, i) => w.flipped![i] === 1));
    });
    // It is the smoothed 2D that was lifted: not the raw lift.
    const raw = await liftSequence(tiny.lifter, seq);
    const smoothed = smoothSequence(seq, { fps: 25, beta: 0.02 });
    expect(smoothed.tracks[0]!.points).not.toEqual(seq.tracks[0]!.points);
    expect(want.tracks[0]!.points3d).not.toEqual(raw.tracks[0]!.points3d);
    expect(r.stderr).toBe('');
  });

  it('writes the smoothed CSV with --out and says so; --flips keep turns the fixer off', async () => {
    const out = join(dir, 'smoothed.csv');
    const r = await lift('--input', openpose, '--smooth', 'one-euro', '--flips', 'keep', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/One-Euro smoothed/);
    expect(r.stderr).not.toMatch(/flips? fixed/);
    const meta = JSON.parse(readFileSync(join(dir, 'smoothed.meta.json'), 'utf8')) as Doc;
    expect(meta.temporal!.smooth!.fps).toBeNull(); // unit steps
    expect(meta.temporal!.smooth!.minCutoff).toBeCloseTo(1 / 30, 6);
    expect(meta.temporal!.flips).toBe('keep');
    expect(meta.tracks.every((t) => t.flippedFrames === undefined)).toBe(true);
    // --flips fix alone (no smoothing).
    const fix = await lift('--input', openpose, '--flips', 'fix');
    expect(fix.code, fix.stderr).toBe(0);
    expect((JSON.parse(fix.stdout) as Doc).temporal).toEqual({ smooth: null, flips: 'fix' });
    // Without either: the plain output.
    const plain = await lift('--input', openpose);
    expect('temporal' in (JSON.parse(plain.stdout) as Doc)).toBe(false);
  });

  it.each([
    [['--smooth', 'kalman'], /--smooth must be one of one-euro, none, got 'kalman'/],
    [['--beta', '0.1'], /--beta needs --smooth one-euro/],
    [['--smooth', 'none', '--fps', '30'], /--fps needs --smooth one-euro/],
    [['--smooth', 'one-euro', '--min-cutoff', '0'], /--min-cutoff must be a number > 0, got '0'/],
    [['--smooth', 'one-euro', '--beta', '-1'], /--beta must be a number ≥ 0, got '-1'/],
    [['--smooth', 'one-euro', '--fps', 'fast'], /--fps must be a number > 0/],
    [['--flips', 'maybe'], /--flips must be one of fix, keep/],
  ])('a usage error for %j', async (args, message) => {
    const r = await lift('--input', openpose, ...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a single frame is not a sequence: --smooth is a usage error', async () => {
    const r = await lift('--input', join(examples, 'hand.json'), '--smooth', 'one-euro');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--smooth is for sequences .*hand\.json is a single frame/);
  });
});
