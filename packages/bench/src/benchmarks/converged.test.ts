import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createSyntheticDataset, type Dataset } from '@lfm/datasets';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readJson, writeJson } from './cache.js';
import { BenchmarkContext } from './context.js';
import { parseBenchmarkOptions } from './options.js';
import { runStages } from './run.js';
import { mlpConvergedStage } from './stages.js';
import type { StageResult } from './types.js';

// The mlp-converged stage on two tiny synthetic rigs (one without a val split), no corpus needed: what
// trainArm receives, that a plateau-stopped arm is done (not retrained next time), and that a run
// whose plan was left unfinished (a killed session) resumes and stops where its checkpoint says.

const root = mkdtempSync(join(tmpdir(), 'lfm-bench-converged-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const baseConfig = join(root, 'base.json');
writeFileSync(
  baseConfig,
  JSON.stringify({
    model: { kind: 'lifter', dModel: 16, layers: 1, heads: 2 },
    batchSize: 4,
    lr: 0.001,
    maxPoints: 12,
    sampling: { categoryTemperature: 0.5 },
    valInterval: 4000,
    steps: 99,
    seed: 0,
  }),
);
const datasets = [
  createSyntheticDataset({ name: 'toy-a', category: 'toy', J: 6, train: 16, val: 8, test: 6, seed: 5 }),
  createSyntheticDataset({ name: 'toy-noval', category: 'toy', J: 5, train: 16, val: 0, test: 6, seed: 6 }),
] as unknown as Dataset[];

// A tiny MLP: the stage's model is `{ kind: 'mlp' }` (hidden 1024); min delta 1 ends every run on its
// plateau after the first validation + `patience` more (nPA-MPJPE stays below 1): step 3.
const argv = [
  '--stages',
  'mlp-converged',
  '--base-config',
  baseConfig,
  '--runs',
  join(root, 'runs'),
  '--out',
  join(root, 'docs'),
  '--converged-max-steps',
  '40',
  '--converged-max-minutes',
  '5',
  '--converged-val-interval',
  '1',
  '--converged-patience',
  '2',
  '--converged-min-delta',
  '1',
];
function context(extra: readonly string[] = []) {
  const opts = parseBenchmarkOptions([...argv, ...extra], root);
  if (opts === 'help') throw new Error('unexpected help');
  const lines: string[] = [];
  const ctx = new BenchmarkContext(opts, root, (s) => lines.push(s));
  ctx.allDatasets = async () => datasets;
  return { ctx, lines };
}
const silenced = () => vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

describe('the mlp-converged stage', () => {
  let planFile = '';

  it('trains a per-rig MLP per dataset with a val split, until its validation plateaus', async () => {
    const { ctx } = context();
    const quiet = silenced();
    const trainArm = vi.spyOn(ctx, 'trainArm');
    try {
      const p = await mlpConvergedStage(ctx);
      expect(trainArm).toHaveBeenCalledTimes(1);
      const [id, config, data, budget] = trainArm.mock.calls[0]!;
      expect(id).toBe('mlp-converged-toy-a');
      expect(data.map((d) => d.name)).toEqual(['toy-a']);
      // The base config's hyper-parameters without its run settings and lifter settings, plus the plateau stop.
      expect(config).toEqual({
        batchSize: 4,
        lr: 0.001,
        seed: 0,
        valInterval: 1,
        valPatience: 2,
        valMinDelta: 1,
        model: { kind: 'mlp' },
      });
      expect(budget).toEqual({ steps: 40, maxMinutes: 5, checkpoint: 'best' });
      expect(p.skipped).toEqual(['toy-noval']);
      expect(p.convergence).toEqual({
        maxSteps: 40,
        maxMinutes: 5,
        valInterval: 1,
        valPatience: 2,
        valMinDelta: 1,
      });
      const [arm] = p.arms;
      expect(arm).toMatchObject({ stoppedBy: 'plateau', steps: 3, plannedSteps: 40, samples: 12 });
      expect(arm!.minutes).toBeGreaterThan(0);
      // best.ckpt: the step of the best of the three validations.
      expect(arm!.evaluated!.checkpoint).toBe('best.ckpt');
      expect(arm!.evaluated!.step).toBeGreaterThanOrEqual(1);
      expect(arm!.evaluated!.valNPaMpjpe).toBeGreaterThan(0);
      expect(p.report.model).toBe('per-rig MLP, converged');
      expect(p.report.datasets.map((d) => d.name)).toEqual(['toy-a']);
      planFile = join(root, arm!.dir, 'bench-plan.json');
      expect(readJson<{ done: boolean; sessions: unknown[] }>(planFile)).toMatchObject({ done: true });
    } finally {
      quiet.mockRestore();
    }
  });

  it('a plateau-stopped arm is done: the next run trains nothing and writes the result', async () => {
    const { ctx, lines } = context();
    const last = join(dirname(planFile), 'last.ckpt');
    const before = statSync(last).mtimeMs;
    expect(await runStages(ctx, argv)).toBe(0);
    expect(lines.some((l) => l.includes('] training '))).toBe(false);
    expect(statSync(last).mtimeMs).toBe(before);
    expect(readJson<{ sessions: unknown[] }>(planFile).sessions).toHaveLength(1);
    const r = readJson<StageResult<'mlp-converged'>>(join(ctx.resultsDir, 'mlp-converged.json'));
    expect(r.stage).toBe('mlp-converged');
    expect(r.arms[0]).toMatchObject({ stoppedBy: 'plateau', steps: 3 });
  });

  it('an unfinished plan (a killed session) resumes; the checkpoint remembers the plateau', async () => {
    const plan = readJson<{ done: boolean }>(planFile);
    writeJson(planFile, { ...plan, done: false });
    const { ctx, lines } = context();
    const quiet = silenced();
    try {
      const p = await mlpConvergedStage(ctx);
      expect(lines.find((l) => l.includes('] training '))).toMatch(
        /^\[mlp-converged-toy-a\] training 40 steps \(≤ 4\.\d\d min, until 2 validations \(every 1 steps\) without a gain > 1\) on toy-a, resuming$/,
      );
      expect(p.arms[0]).toMatchObject({ stoppedBy: 'plateau', steps: 3 });
      const after = readJson<{ done: boolean; sessions: { toStep: number; stoppedBy: string }[] }>(planFile);
      expect(after.done).toBe(true);
      expect(after.sessions.map((s) => [s.toStep, s.stoppedBy])).toEqual([
        [3, 'plateau'],
        [3, 'plateau'],
      ]);
    } finally {
      quiet.mockRestore();
    }
  });

  it('a finished arm whose run folder is gone (a new machine): its committed numbers stand in', async () => {
    const { ctx: before } = context();
    const quiet = silenced();
    try {
      const first = await mlpConvergedStage(before);
      const progress = readJson<{ arms: Record<string, unknown> }>(
        join(before.resultsDir, 'mlp-converged-arms.json'),
      );
      expect(Object.keys(progress.arms)).toEqual([basename(dirname(planFile))]);
      rmSync(dirname(planFile), { recursive: true });
      const { ctx, lines } = context();
      const trainArm = vi.spyOn(ctx, 'trainArm');
      const again = await mlpConvergedStage(ctx);
      expect(trainArm).not.toHaveBeenCalled();
      expect(lines.some((l) => l.includes('its run folder is gone'))).toBe(true);
      expect(again.arms).toEqual(first.arms);
      expect(again.report).toEqual(first.report);
      // --retrain ignores them: the arm trains again.
      const { ctx: fresh } = context(['--retrain']);
      const retrain = vi.spyOn(fresh, 'trainArm');
      await mlpConvergedStage(fresh);
      expect(retrain).toHaveBeenCalledTimes(1);
      expect(existsSync(planFile)).toBe(true);
    } finally {
      quiet.mockRestore();
    }
  });

  it('a run stopped by its time cap is done too (its minutes recorded), and not resumed', async () => {
    // No plateau possible (min delta 0, patience 1000) and a step cap it cannot reach in 0.6 s.
    const extra = ['--converged-max-minutes', '0.01', '--converged-max-steps', '100000'];
    extra.push(
      '--converged-val-interval',
      '1000',
      '--converged-patience',
      '1000',
      '--converged-min-delta',
      '0',
    );
    const quiet = silenced();
    try {
      const first = context(extra);
      const [arm] = (await mlpConvergedStage(first.ctx)).arms;
      expect(arm).toMatchObject({ stoppedBy: 'time', plannedSteps: 100000 });
      expect(arm!.steps).toBeLessThan(100000);
      // The final validation of a time stop wrote best.ckpt.
      expect(arm!.evaluated).toMatchObject({ checkpoint: 'best.ckpt', step: arm!.steps });
      const again = context(extra);
      expect((await mlpConvergedStage(again.ctx)).arms[0]).toEqual(arm);
      expect(again.lines.some((l) => l.includes('] training '))).toBe(false);
    } finally {
      quiet.mockRestore();
    }
  });
});
