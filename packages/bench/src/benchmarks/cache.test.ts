import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { armsOf, cacheStatus, compareNumbers, hashOf, readResults, writeJson } from './cache.js';
import type { StageResult } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'lfm-bench-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const result = (model?: unknown) =>
  ({ stage: 'robustness', createdAt: 'x', ...(model !== undefined && { model }) }) as unknown as StageResult;

describe('cacheStatus', () => {
  it('keeps a result while the model file it measured is the same, and marks it stale after', () => {
    const r = result({ path: 'models/lfm.onnx', sha256: 'aaa' });
    expect(cacheStatus(r, 'aaa')).toBe('valid');
    expect(cacheStatus(r, 'bbb')).toBe('stale');
    // The model file missing now: the result is kept.
    expect(cacheStatus(r, null)).toBe('valid');
  });

  it('keeps results that measured no model file, or name it only by path', () => {
    expect(cacheStatus(result(), 'bbb')).toBe('valid');
    expect(cacheStatus(result('models/lfm.onnx'), 'bbb')).toBe('valid');
    expect(cacheStatus(undefined, 'bbb')).toBe('missing');
  });
});

describe('readResults / writeJson', () => {
  it('reads the stages present and ignores other files', () => {
    writeJson(join(dir, 'results', 'eval.json'), { stage: 'eval', n: 1 });
    writeFileSync(join(dir, 'results', 'scaling.json'), '{"rows": []}');
    const r = readResults(join(dir, 'results'));
    expect(Object.keys(r)).toEqual(['eval']);
    expect(r.eval).toEqual({ stage: 'eval', n: 1 });
  });
});

describe('hashOf', () => {
  it('names equal inputs alike and different inputs apart', () => {
    expect(hashOf({ a: 1, b: [2] })).toBe(hashOf({ a: 1, b: [2] }));
    expect(hashOf({ a: 1 })).not.toBe(hashOf({ a: 2 }));
    expect(hashOf({ a: 1 })).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('compareNumbers', () => {
  it('reports metrics beyond the tolerance, not timings or run bookkeeping', () => {
    const cached = {
      report: { mean: { nPaMpjpe: 0.5 } },
      durationMinutes: 3,
      arms: [{ dir: 'a', steps: 10 }],
    };
    const now = {
      report: { mean: { nPaMpjpe: 0.5000001 } },
      durationMinutes: 9,
      arms: [{ dir: 'b', steps: 12 }],
    };
    expect(compareNumbers(cached, now, 1e-6)).toEqual([]);
    const worse = { ...now, report: { mean: { nPaMpjpe: 0.6 } } };
    const diffs = compareNumbers(cached, worse, 1e-6);
    expect(diffs.map((d) => d.path)).toEqual(['.report.mean.nPaMpjpe']);
    expect(diffs[0]!.rel).toBeCloseTo(0.1 / 0.6, 12);
    expect(compareNumbers({ x: 'a' }, { x: 'b' }, 1)).toEqual([
      { path: '.x', cached: 'a', now: 'b', rel: null },
    ]);
  });
});

describe('armsOf', () => {
  it('lists the trained runs a result names', () => {
    const arm = (id: string) => ({ id, dir: `runs/bench/${id}`, plannedSteps: 5 });
    const single = { combined: { arm: arm('combined') }, groups: [{ arm: arm('single-hand') }] };
    expect(armsOf('single', single as unknown as StageResult).map((a) => a.id)).toEqual([
      'combined',
      'single-hand',
    ]);
    expect(armsOf('eval', {} as StageResult)).toEqual([]);
  });
});
