import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DegenerateError, InputError, normalizeKeypoints, Rng } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { numbers } from '../test-support/numbers.js';
import { adjacencyFromBones, knnAdjacency } from './graph.js';
import { padKeypoints, preprocessKeypoints } from './pad.js';

describe('padKeypoints', () => {
  it('pads [B, n, 2] to [B, N, 2] with a mask; absent points (NaN) and padding are 0', () => {
    const nan = Number.NaN;
    const pts = { data: Float64Array.from([1, 2, nan, nan, 5, 6, 7, 8, 9, 10, 11, 12]), shape: [2, 3, 2] };
    const { points, mask } = padKeypoints(pts, { size: 5 });
    expect(points.shape).toEqual([2, 5, 2]);
    expect(mask.shape).toEqual([2, 5]);
    expect(numbers(points.data)).toEqual([1, 2, 0, 0, 5, 6, 0, 0, 0, 0, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0]);
    expect(numbers(mask.data)).toEqual([1, 0, 1, 0, 0, 1, 1, 1, 0, 0]);
  });

  it('uses an explicit mask (> 0 = present) and defaults N to n', () => {
    const pts = { data: Float64Array.from([1, 2, 3, 4]), shape: [1, 2, 2] };
    const { points, mask } = padKeypoints(pts, { mask: { data: Uint8Array.from([0, 1]), shape: [1, 2] } });
    expect(numbers(points.data)).toEqual([0, 0, 3, 4]);
    expect(numbers(mask.data)).toEqual([0, 1]);
  });

  it('errors: more points than N, a present point that is not finite', () => {
    const pts = { data: new Float64Array(8), shape: [1, 4, 2] };
    expect(() => padKeypoints(pts, { size: 3 })).toThrow(/at most 3/);
    const bad = { data: Float64Array.from([1, Number.NaN]), shape: [1, 1, 2] };
    expect(() => padKeypoints(bad, { mask: { data: Uint8Array.from([1]), shape: [1, 1] } })).toThrow(
      InputError,
    );
  });
});

describe('preprocessKeypoints', () => {
  const rng = new Rng(4);
  const B = 3;
  const n = 6;
  const raw = Float64Array.from({ length: B * n * 2 }, () => 500 + 100 * rng.normal());
  raw[2] = raw[3] = Number.NaN; // sample 0, point 1 missing

  it('= pad, then core normalizeKeypoints, then bones or kNN per sample', () => {
    const bones = (b: number) =>
      b === 1
        ? undefined
        : ([
            [0, 1],
            [1, 2],
            [4, 5],
          ] as const);
    const got = preprocessKeypoints({ data: raw, shape: [B, n, 2] }, { size: 8, bones, k: 2 });
    const padded = padKeypoints({ data: raw, shape: [B, n, 2] }, { size: 8 });
    const norm = normalizeKeypoints(padded.points, padded.mask);
    expect(numbers(got.points.data)).toEqual(numbers(norm.points.data));
    expect(numbers(got.mask.data)).toEqual(numbers(padded.mask.data));
    expect(numbers(got.center.data)).toEqual(numbers(norm.center.data));
    expect(numbers(got.scale.data)).toEqual(numbers(norm.scale.data));
    const N = 8;
    for (let b = 0; b < B; b++) {
      const mask = { data: padded.mask.data.subarray(b * N, (b + 1) * N), shape: [1, N] };
      const bb = bones(b);
      const want = bb
        ? adjacencyFromBones(bb, mask)
        : knnAdjacency(
            { data: norm.points.data.subarray(2 * b * N, 2 * (b + 1) * N), shape: [1, N, 2] },
            mask,
            {
              k: 2,
            },
          );
      expect(numbers(got.adj.data.subarray(b * N * N, (b + 1) * N * N))).toEqual(numbers(want.data));
    }
    // Sample 0: bone [0, 1] is dropped (point 1 missing), [1, 2] too; [4, 5] kept.
    expect(got.adj.data[0 * N + 1]).toBe(0);
    expect(got.adj.data[4 * N + 5]).toBe(1);
  });

  it('errors: a bone outside the sample’s points, coincident points', () => {
    expect(() => preprocessKeypoints({ data: raw, shape: [B, n, 2] }, { size: 8, bones: [[0, 6]] })).toThrow(
      /\[0, 6\]/,
    );
    const same = { data: new Float64Array(6).fill(3), shape: [1, 3, 2] };
    expect(() => preprocessKeypoints(same)).toThrow(DegenerateError);
  });
});

describe('@lfm/datasets/preprocess is browser-safe', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  // Third-party packages it may import for values: pure-JS and browser-ready (yaml: the DeepLabCut
  // config.yaml reader, the viewer bundles it; valibot: @lfm/format's config and meta schemas).
  const BROWSER_DEPS = new Set(['yaml', 'valibot']);

  it('no module it loads imports node:* (followed through relative imports and into @lfm/core, @lfm/format)', () => {
    const coreIndex = resolve(here, '../../../core/src/index.ts');
    const formatIndex = resolve(here, '../../../format/src/index.ts');
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, 'utf8');
      expect(src, `${file} mentions a node: module`).not.toMatch(/['"]node:/); // static, side-effect or dynamic
      for (const m of src.matchAll(/^\s*(?:import|export)[^;]*?from\s+'([^']+)'/gm)) {
        const spec = m[1]!;
        const typeOnly = /^\s*(?:import|export)\s+type\s/.test(m[0]);
        expect(spec.startsWith('node:'), `${file} imports ${spec}`).toBe(false);
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else if (spec === '@lfm/core') visit(coreIndex);
        else if (spec === '@lfm/format') visit(formatIndex);
        else if (BROWSER_DEPS.has(spec)) continue;
        else expect(typeOnly, `${file} imports ${spec}`).toBe(true);
      }
    };
    visit(join(here, 'index.ts'));
    expect(seen.has(coreIndex)).toBe(true);
    expect(seen.has(formatIndex)).toBe(true);
    expect(seen.has(resolve(here, '../dlc-config.ts'))).toBe(true);
    for (const f of readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      expect(seen.has(join(here, f)), `${f} is not reachable from preprocess/index.ts`).toBe(true);
    }
  });

  it('is in the exports map with the @lfm/source condition', () => {
    const pkg = JSON.parse(readFileSync(join(here, '../../package.json'), 'utf8'));
    expect(pkg.exports['./preprocess']).toEqual({
      '@lfm/source': './src/preprocess/index.ts',
      types: './dist/preprocess/index.d.ts',
      import: './dist/preprocess/index.js',
    });
  });
});
