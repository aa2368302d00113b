import type { EvalReport, EvalRow } from '@lfm/trainer';
import { describe, expect, it } from 'vitest';
import { type ReportInput, renderReport } from './report.js';
import type { StageResults, StageSettings } from './types.js';

const row = (name: string, category: string, nPaMpjpe: number | null, samples = 50): EvalRow => ({
  name,
  category,
  samples,
  mpjpe: null,
  paMpjpe: nPaMpjpe === null ? null : nPaMpjpe * 100,
  nPaMpjpe,
  paMpjpeFlipBest: null,
  nPaMpjpeFlipBest: null,
  flatNPaMpjpe: null,
  depthSpread: null,
  nPaMpjpeSetFlip: null,
});
const report = (rows: EvalRow[]): EvalReport => ({
  model: 'm',
  protocol: 'synthetic',
  seed: 0,
  datasets: rows,
  mean: {
    samples: 0,
    mpjpe: null,
    paMpjpe: null,
    nPaMpjpe: rows.reduce((a, r) => a + (r.nPaMpjpe ?? 0), 0) / rows.length,
    paMpjpeFlipBest: null,
    nPaMpjpeFlipBest: null,
    flatNPaMpjpe: null,
    depthSpread: null,
    nPaMpjpeSetFlip: null,
  },
});
const settings: StageSettings = {
  data: '../shared/data',
  datasets: 'all',
  limit: 200,
  seed: 0,
  budgetMinutes: 3,
  robustnessLimit: 'limit',
  holdout: [],
  threads: 1,
  baseConfig: 'configs/lfm-combined.json',
  looArms: [],
  looGroups: [],
  looSteps: 10,
  looBaseConfig: 'configs/lfm-combined-camera.json',
  looUpper: false,
};
const record = (stage: string) => ({
  stage,
  schema: 1 as const,
  createdAt: '2026-01-02T03:04:05.000Z',
  command: `node scripts/benchmarks.mjs --stages ${stage}`,
  durationMinutes: 1.25,
  machine: { cpu: 'cpu', cores: 2, memoryGiB: 8, node: 'v20', platform: 'linux-x64', loadAverage: [1, 2, 3] },
  settings,
});
const model = {
  path: 'models/lfm.onnx',
  sha256: 'abcdef0123456789',
  bytes: 2_500_000,
  modified: '2026-01-01T00:00:00.000Z',
  config: { dModel: 64, layers: 2, encoding: 'tpe', attention: 'hybrid' },
  jointCodes: null,
  step: 1000,
  samples: 64000,
  trainedOn: ['h36m-body', 'dog-body'],
};
const facts = (name: string, category: string, seen: boolean) => ({
  name,
  category,
  units: 'mm (millimetres)',
  joints: 17,
  bones: 16,
  symmetryPairs: 6,
  trainFrames: 1000,
  testFrames: 100,
  seen,
  views: 0,
});
const results = {
  eval: {
    ...record('eval'),
    model,
    trainedOn: { names: model.trainedOn, source: 'metadata' },
    report: report([row('h36m-body', 'human-body', 0.2), row('dog-body', 'quadruped-dog', 0.5)]),
    facts: [facts('h36m-body', 'human-body', true), facts('dog-body', 'quadruped-dog', true)],
  },
  baselines: {
    ...record('baselines'),
    report: report([row('h36m-body', 'human-body', 0.3), row('dog-body', 'quadruped-dog', 0.4)]),
    fits: [],
  },
} as unknown as StageResults;
const input = (over: Partial<ReportInput> = {}): ReportInput => ({
  results,
  modelPath: 'models/lfm.onnx',
  currentModelSha: model.sha256,
  baseConfigPath: 'configs/lfm-combined.json',
  included: {},
  ...over,
});

describe('renderReport', () => {
  it('renders the per-split table with the best model in bold and the per-dataset figure', () => {
    const { markdown, figures } = renderReport(input());
    expect(markdown.startsWith('# Benchmarks\n\n')).toBe(true);
    // LFM beats the mean shape on h36m-body, loses on dog-body.
    expect(markdown).toMatch(/\| h36m-body \| human-body \| 50 \| mm \| \*\*0\.200\*\* \| 20 \| 0\.300 \|/);
    expect(markdown).toMatch(/\| dog-body \| quadruped-dog \| 50 \| mm \| 0\.500 \| 50 \| \*\*0\.400\*\* \|/);
    expect(markdown).toContain('**mean over 2 datasets**');
    expect([...figures.keys()]).toEqual(['npa-per-dataset.svg']);
    expect(figures.get('npa-per-dataset.svg')).toMatch(/^<svg[\s\S]*<\/svg>\n?$/);
    expect(markdown).toContain('![nPA-MPJPE per dataset](benchmarks/npa-per-dataset.svg)');
  });

  it('says which stages have not run, and what the LFM loses', () => {
    const { markdown } = renderReport(input());
    expect(markdown).toContain('_Not run yet: `node scripts/benchmarks.mjs --stages robustness`._');
    expect(markdown).toContain('_Not run yet: `node scripts/benchmarks.mjs --stages loo`._');
    expect(markdown).toMatch(
      /- \*\*dog-body\*\* \(quadruped-dog\): LFM 0\.500 vs the mean shape 0\.400 \(×1\.25\)/,
    );
    expect(markdown).toMatch(/on 1 of 2 test splits \(h36m-body\)/);
  });

  it('marks stages stale when the model file changed', () => {
    expect(renderReport(input()).markdown).not.toContain('**Stale:**');
    const { markdown } = renderReport(input({ currentModelSha: 'ffff00001111' }));
    expect(markdown).toContain('> **Stale:** stages eval measured a model file other than the current');
  });

  it('flags smoke-test settings', () => {
    expect(renderReport(input()).markdown).not.toContain('Smoke-test settings');
    const small = {
      ...results,
      baselines: { ...results.baselines!, settings: { ...settings, limit: 10 } },
    } as StageResults;
    expect(renderReport(input({ results: small })).markdown).toContain('**Smoke-test settings.**');
  });

  it('includes the notes of other scripts without their first heading', () => {
    const { markdown } = renderReport(input({ included: { 'scaling.md': '# Scaling\n\n| a |\n|---|\n' } }));
    expect(markdown).toContain(
      '## Scaling study (model shape × samples)\n\n_From `node scripts/scaling-study.mjs',
    );
    expect(markdown).not.toContain('# Scaling\n');
    expect(markdown).toContain('| a |\n|---|');
  });

  it('renders an empty report when nothing ran', () => {
    const { markdown, figures } = renderReport(input({ results: {} }));
    expect(figures.size).toBe(0);
    expect(markdown).toContain('_Needs the `eval` stage._');
    expect(markdown).toContain('_Nothing run yet._');
    expect(markdown).not.toMatch(/\n{3}/);
  });

  it('the converged MLP: a column, part of "best", and its runs, only when its stage ran', () => {
    const header =
      '| dataset | category | samples | units | LFM nPA | LFM PA | mean shape nPA | mean shape PA | MLP nPA | MLP PA | combined @budget nPA | single-category @budget nPA |';
    const arm = (name: string, steps: number, stoppedBy: string) => ({
      id: `mlp-converged-${name}`,
      dir: `runs/bench/mlp-converged-${name}-0123abcd`,
      datasets: [name],
      budgetMinutes: null,
      plannedSteps: 60000,
      steps,
      samples: steps * 64,
      minutes: 12.5,
      stoppedBy,
      calibratedStepsPerSec: null,
      model: { kind: 'mlp' },
      loss: 'procrustes',
      evaluated: { checkpoint: 'best.ckpt', step: steps - 3000, valNPaMpjpe: 0.123 },
    });
    const mlp = {
      ...record('mlp'),
      training: {},
      arms: [],
      report: report([row('h36m-body', 'human-body', 0.25), row('dog-body', 'quadruped-dog', 0.45)]),
    };
    const converged = {
      ...record('mlp-converged'),
      training: {},
      convergence: { maxSteps: 60000, maxMinutes: 20, valInterval: 500, valPatience: 6, valMinDelta: 0.001 },
      arms: [arm('h36m-body', 41000, 'plateau'), arm('dog-body', 52000, 'time')],
      skipped: ['frgc-face'],
      report: report([row('h36m-body', 'human-body', 0.22), row('dog-body', 'quadruped-dog', 0.35)]),
    };
    const without = renderReport(input({ results: { ...results, mlp } as unknown as StageResults }));
    expect(without.markdown).toContain(header);
    expect(without.markdown).not.toMatch(/converged/i);
    expect(without.markdown).toMatch(
      /\| dog-body \| quadruped-dog \| 50 \| mm \| 0\.500 \| 50 \| \*\*0\.400\*\* \| 40 \| 0\.450 \| 45 \| — \| — \|/,
    );

    const withIt = renderReport(
      input({ results: { ...results, mlp, 'mlp-converged': converged } as unknown as StageResults }),
    ).markdown;
    expect(withIt).toContain(header.replace('| MLP PA |', '| MLP PA | MLP converged nPA |'));
    // The converged MLP is the best on dog-body (0.35 < the mean shape's 0.40), the LFM on h36m-body.
    expect(withIt).toMatch(
      /\| dog-body \| quadruped-dog \| 50 \| mm \| 0\.500 \| 50 \| 0\.400 \| 40 \| 0\.450 \| 45 \| \*\*0\.350\*\* \| — \| — \|/,
    );
    expect(withIt).toMatch(
      /\| h36m-body \| human-body \| 50 \| mm \| \*\*0\.200\*\* \| 20 \| 0\.300 \| 30 \| 0\.250 \| 25 \| 0\.220 \| — \| — \|/,
    );
    expect(withIt).toContain(
      '| **mean over 2 datasets** |  |  |  | 0.350 |  | 0.350 |  | 0.350 |  | 0.285 | — | — |',
    );
    expect(withIt).toContain('### Per-rig MLP trained to convergence');
    expect(withIt).toContain('Stopped by: plateau 1, time 1');
    expect(withIt).toContain('No val split, not trained: frgc-face.');
    expect(withIt).toContain(
      '| h36m-body | 41000/60000 | 2624000 | 12.5 | plateau | best.ckpt @38000 | 0.123 | 0.220 | 0.250 |',
    );
    expect(withIt).toContain('until val plateaus (patience 6 × 500 steps), ≤ 60000 steps, ≤ 20 min');
    // "Where LFM loses" counts it as a baseline too.
    expect(withIt).toMatch(/the per-rig MLP trained to convergence 0\.350 \(×1\.43\)/);
  });
});
