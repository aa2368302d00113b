import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeJson } from './cache.js';
import { runBenchmarks } from './main.js';

const root = mkdtempSync(join(tmpdir(), 'lfm-bench-main-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const capture = () => {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s) },
    },
  };
};

describe('runBenchmarks', () => {
  it('--render-only writes the report from the cached results and runs no stage', async () => {
    const out = join(root, 'docs');
    const results = join(out, 'benchmarks', 'results');
    mkdirSync(results, { recursive: true });
    writeJson(join(results, 'real.json'), {
      stage: 'real',
      schema: 1,
      createdAt: '2026-01-02T03:04:05.000Z',
      command: 'node scripts/benchmarks.mjs --stages real',
      durationMinutes: 0.5,
      machine: {
        cpu: 'cpu',
        cores: 2,
        memoryGiB: 8,
        node: 'v20',
        platform: 'linux-x64',
        loadAverage: [0, 0, 0],
      },
      settings: { limit: 'all', datasets: 'all', budgetMinutes: 3 },
      rows: [],
      note: 'no dataset with real camera views (views.f32) loaded',
    });
    const { io, out: text } = capture();
    expect(await runBenchmarks(['--render-only', '--out', out], root, io)).toBe(0);
    const md = readFileSync(join(out, 'BENCHMARKS.md'), 'utf8');
    expect(md).toContain(
      '## Real cameras (h36m-cams)\n\n_no dataset with real camera views (views.f32) loaded_',
    );
    expect(md).toContain('_Not run yet: `node scripts/benchmarks.mjs --stages eval`._');
    expect(readdirSync(join(out, 'benchmarks')).filter((f) => f.endsWith('.svg'))).toEqual([]);
    expect(text.stderr).toMatch(
      /^wrote docs\/BENCHMARKS\.md and docs\/benchmarks\/\*\.svg\ntotal 0\.00 min\n$/,
    );
  });

  it('prints a usage error as one line and exits 2, writing nothing', async () => {
    const { io, out } = capture();
    expect(await runBenchmarks(['--stages', 'warp', '--out', join(root, 'none')], root, io)).toBe(2);
    expect(out.stderr).toBe(
      "benchmarks: unknown stage 'warp' (known: eval, baselines, mlp, mlp-converged, single, ablations, robustness, unseen, real, skeletons, loo)\n",
    );
    expect(existsSync(join(root, 'none'))).toBe(false);
  });

  it('--help prints the options', async () => {
    const { io, out } = capture();
    expect(await runBenchmarks(['--help'], root, io)).toBe(0);
    expect(out.stdout).toMatch(/^Usage: node scripts\/benchmarks\.mjs \[options\]/);
  });

  it('an input error of a stage (here: no dataset in --data) is one line and exit 2', async () => {
    const { io, out } = capture();
    const empty = mkdtempSync(join(root, 'empty-'));
    const argv = ['--stages', 'eval', '--out', join(root, 'docs2'), '--data', empty];
    expect(await runBenchmarks(argv, root, io)).toBe(2);
    const lines = out.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('[eval] running');
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^benchmarks: .*empty-/)]);
    expect(existsSync(join(root, 'docs2', 'BENCHMARKS.md'))).toBe(false);
  });
});
