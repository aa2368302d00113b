import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { cacheStatus, compareNumbers, readJsonIf, readResults, sha256, writeJson } from './cache.js';
import type { BenchmarkContext } from './context.js';
import { renderReport } from './report.js';
import { readIncludedNotes } from './report-rigs.js';
import {
  ablationsStage,
  baselinesStage,
  evalStage,
  mlpConvergedStage,
  mlpStage,
  robustnessStage,
  singleStage,
  unseenStage,
} from './stages.js';
import { looStage, realStage, skeletonsStage } from './stages-more.js';
import type { Machine, Stage, StagePayloads, StageResult, StageSettings } from './types.js';

/** The stage runners, by stage. */
export const STAGE_RUNNERS: { readonly [S in Stage]: (ctx: BenchmarkContext) => Promise<StagePayloads[S]> } =
  {
    eval: evalStage,
    baselines: baselinesStage,
    mlp: mlpStage,
    'mlp-converged': mlpConvergedStage,
    single: singleStage,
    ablations: ablationsStage,
    robustness: robustnessStage,
    unseen: unseenStage,
    real: realStage,
    skeletons: skeletonsStage,
    loo: looStage,
  };

/** Stages that measure the shipped model besides eval: their results record its file. */
const USES_SHIPPED: readonly Stage[] = ['robustness', 'unseen', 'real', 'skeletons'];

export function machine(): Machine {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The options a result records (what --verify reruns it with). */
export function settingsOf(ctx: BenchmarkContext): StageSettings {
  const { opts } = ctx;
  return {
    data: ctx.rel(opts.dataDir),
    datasets: opts.datasets ?? 'all',
    limit: opts.limit ?? 'all',
    seed: opts.seed,
    budgetMinutes: opts.budgetMinutes,
    robustnessLimit: opts.robustnessLimit ?? 'limit',
    holdout: opts.holdout,
    threads: opts.threads,
    baseConfig: ctx.rel(opts.baseConfig),
    looArms: opts.looArms,
    looGroups: opts.looGroups,
    looSteps: opts.looSteps,
    looBaseConfig: ctx.rel(opts.looBaseConfig),
    looUpper: opts.looUpper,
  };
}

/** --verify recomputes a stage with the settings it was cached with. */
function useSettings(ctx: BenchmarkContext, s: StageSettings): void {
  const datasets = s.datasets === 'all' ? undefined : s.datasets;
  if (JSON.stringify(datasets) !== JSON.stringify(ctx.opts.datasets)) ctx.resetDatasets();
  Object.assign(ctx.opts, {
    datasets,
    limit: s.limit === 'all' ? undefined : s.limit,
    seed: s.seed,
    budgetMinutes: s.budgetMinutes,
    robustnessLimit: s.robustnessLimit === 'limit' ? undefined : s.robustnessLimit,
    holdout: s.holdout,
    threads: s.threads,
  });
}

const minutesSince = (t0: number) => (Date.now() - t0) / 60_000;

/**
 * Runs the selected stages: a cached stage is skipped unless --force (or it measured another model
 * file); with --verify each cached stage is recomputed with its own settings and compared. Returns
 * the number of numbers --verify found different.
 */
export async function runStages(ctx: BenchmarkContext, argv: readonly string[]): Promise<number> {
  const { opts, log } = ctx;
  let mismatches = 0;
  for (const stage of opts.stages) {
    const file = join(ctx.resultsDir, `${stage}.json`);
    const cached = readJsonIf<StageResult>(file);
    if (cached && !opts.force && !opts.verify) {
      // A stage that measured the model is reused only while the model file is the same.
      const m = existsSync(opts.model) ? sha256(readFileSync(opts.model)) : null;
      if (cacheStatus(cached, m) === 'valid') {
        log(`[${stage}] cached (${ctx.rel(file)}, ${cached.createdAt}); --force recomputes`);
        continue;
      }
      log(`[${stage}] cached result measured another ${ctx.rel(opts.model)}: recomputing`);
    }
    if (opts.verify && !cached) {
      log(`[${stage}] nothing cached to verify`);
      continue;
    }
    if (opts.verify) {
      useSettings(ctx, cached!.settings);
      // The convergence settings are the payload's (not every stage's settings).
      const c = (cached as Partial<StageResult<'mlp-converged'>>).convergence;
      if (stage === 'mlp-converged' && c) opts.converged = { ...c };
    }
    log(`[${stage}] running`);
    const t0 = Date.now();
    const payload = await STAGE_RUNNERS[stage](ctx);
    const result = {
      stage,
      schema: 1,
      createdAt: new Date().toISOString(),
      command: `node scripts/benchmarks.mjs ${argv.join(' ')}`.trim(),
      durationMinutes: minutesSince(t0),
      machine: machine(),
      settings: settingsOf(ctx),
      ...(stage !== 'eval' && USES_SHIPPED.includes(stage) && { model: (await ctx.shipped()).meta }),
      ...payload,
    };
    if (opts.verify) {
      const diffs = compareNumbers(cached, result, opts.tolerance);
      mismatches += diffs.length;
      const worst = diffs.reduce((a, d) => Math.max(a, d.rel ?? Number.POSITIVE_INFINITY), 0);
      log(
        `[${stage}] verify: ${diffs.length === 0 ? `every number reproduced within ${opts.tolerance}` : `${diffs.length} numbers differ (worst relative ${worst})`} — ${result.durationMinutes.toFixed(2)} min`,
      );
      for (const d of diffs.slice(0, 20)) log(`    ${d.path}: cached ${d.cached} now ${d.now}`);
    } else {
      writeJson(file, result);
      log(`[${stage}] done in ${result.durationMinutes.toFixed(2)} min → ${ctx.rel(file)}`);
    }
  }
  await ctx.release();
  return mismatches;
}

/** Renders docs/BENCHMARKS.md and its figures from the cached results, and writes them. */
export function writeReport(ctx: BenchmarkContext): void {
  const { opts } = ctx;
  const { markdown, figures } = renderReport({
    results: readResults(ctx.resultsDir),
    modelPath: ctx.rel(opts.model),
    currentModelSha: existsSync(opts.model) ? sha256(readFileSync(opts.model)) : null,
    baseConfigPath: ctx.rel(opts.baseConfig),
    included: readIncludedNotes(ctx.figDir),
  });
  if (figures.size > 0) mkdirSync(ctx.figDir, { recursive: true });
  for (const [name, svg] of figures) writeFileSync(join(ctx.figDir, name), svg);
  mkdirSync(dirname(ctx.reportFile), { recursive: true });
  writeFileSync(ctx.reportFile, markdown);
  ctx.log(`wrote ${ctx.rel(ctx.reportFile)} and ${ctx.rel(ctx.figDir)}/*.svg`);
}
