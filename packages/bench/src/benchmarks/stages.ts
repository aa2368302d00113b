import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '@lfm/core';
import { splitFrames } from '@lfm/datasets';
import {
  type EvalReport,
  evaluate,
  type KeypointPerturbation,
  meanShapePredictor,
  mergeEvalReports,
} from '@lfm/trainer';
import { readJsonIf, writeJson } from './cache.js';
import { type BenchmarkContext, hasSplit } from './context.js';
import type {
  AblationsPayload,
  ArmInfo,
  BaselinesPayload,
  DatasetFacts,
  EvalPayload,
  JointCodeRows,
  MlpConvergedPayload,
  MlpPayload,
  RobustnessPayload,
  SinglePayload,
  UnseenPayload,
} from './types.js';
import { groupOf } from './types.js';

/**
 * The stages of scripts/benchmarks.mjs that measure the shipped model and the arms trained at the
 * benchmark's budget: eval, baselines, mlp, mlp-converged (trained to a validation plateau instead),
 * single, ablations, robustness, unseen. Each returns the payload its cache file holds (`types.ts`).
 */

export async function evalStage(ctx: BenchmarkContext): Promise<EvalPayload> {
  const all = await ctx.allDatasets();
  const m = await ctx.shipped();
  const seen = new Set((await ctx.trainedOn()).names);
  const report = await ctx.evaluateShipped(all);
  const facts = all.map(
    (d): DatasetFacts => ({
      name: d.name,
      category: d.category,
      units: d.units,
      joints: d.numJoints,
      bones: d.perSequenceEdges ? 'per sequence' : d.edges.length,
      symmetryPairs: d.symmetry.length,
      trainFrames: splitFrames(d, 'train').length,
      testFrames: splitFrames(d, 'test').length,
      seen: seen.has(d.name),
      views: d.views ? d.views.count : 0,
    }),
  );
  return { model: m.meta, trainedOn: await ctx.trainedOn(), report, facts };
}

export async function baselinesStage(ctx: BenchmarkContext): Promise<BaselinesPayload> {
  const all = await ctx.allDatasets();
  const shapes = ctx.meanShapes(all);
  const report = await evaluate({
    predict: meanShapePredictor(shapes),
    datasets: all.filter((d) => shapes.some((s) => s.name === d.name)),
    seed: ctx.opts.seed,
    model: 'baseline:mean-shape',
    ...(ctx.opts.limit !== undefined && { limit: ctx.opts.limit }),
  });
  return {
    report,
    fits: shapes.map((s) => ({ name: s.name, frames: s.frames, iterations: s.iterations })),
  };
}

/** The per-rig MLPs' training config: the base config's hyper-parameters, none of the lifter's settings. */
function mlpTraining(ctx: BenchmarkContext): ReturnType<BenchmarkContext['baseTraining']>['training'] {
  const {
    maxPoints: _n,
    model: _m,
    sampling: _s,
    jointCodeDropout: _j,
    ...training
  } = ctx.baseTraining().training;
  return training;
}

export async function mlpStage(ctx: BenchmarkContext): Promise<MlpPayload> {
  const all = (await ctx.allDatasets()).filter((d) => hasSplit(d, 'train'));
  const training = mlpTraining(ctx);
  const arms = [];
  for (const d of all)
    arms.push(await ctx.trainArm(`mlp-${d.name}`, { ...training, model: { kind: 'mlp' } }, [d]));
  const report = await ctx.evaluateArms(arms, all, { route: true });
  return { training, arms: arms.map((a) => a.info), report };
}

/**
 * "Fair specialists" (issue 16 item 5): the per-rig MLP of `mlp`, same training config, trained until
 * its validation plateaus rather than for the budget — val nPA-MPJPE every `valInterval` steps, stopped
 * after `valPatience` validations without a gain above `valMinDelta` (the trainer's count survives
 * resumes), within `maxSteps` (the cosine schedule's length) and `maxMinutes` over all its sessions —
 * and evaluated from best.ckpt (its best validation) on every test split it knows. Datasets without a
 * val split have nothing to stop on and are skipped (listed).
 */
export async function mlpConvergedStage(ctx: BenchmarkContext): Promise<MlpConvergedPayload> {
  const all = (await ctx.allDatasets()).filter((d) => hasSplit(d, 'train'));
  const data = all.filter((d) => hasSplit(d, 'val'));
  if (data.length === 0) throw new InputError('mlp-converged: no dataset has both a train and a val split');
  const c = ctx.opts.converged;
  const training = {
    ...mlpTraining(ctx),
    valInterval: c.valInterval,
    valPatience: c.valPatience,
    valMinDelta: c.valMinDelta,
  };
  const label = 'per-rig MLP, converged';
  // Each rig's MLP trains for up to half an hour, the whole stage for hours over several sessions, and
  // runs/ does not outlive a machine: every finished arm's numbers (its info and its own test rows) go
  // to a committed file as soon as it is evaluated, and stand in for the arm when its run folder is gone.
  const progressFile = join(ctx.resultsDir, 'mlp-converged-arms.json');
  const progress: ConvergedProgress = (!ctx.opts.retrain && readJsonIf<ConvergedProgress>(progressFile)) || {
    arms: {},
  };
  const arms: ArmInfo[] = [];
  const reports: EvalReport[] = [];
  for (const d of data) {
    const config = { ...training, model: { kind: 'mlp' } };
    const budget = { steps: c.maxSteps, maxMinutes: c.maxMinutes };
    const { dir } = ctx.armDir(`mlp-converged-${d.name}`, config, [d], budget);
    const kept = progress.arms[basename(dir)];
    if (kept && !existsSync(join(dir, 'bench-plan.json'))) {
      ctx.log(
        `[mlp-converged-${d.name}] its run folder is gone: the committed numbers of ${ctx.rel(progressFile)}`,
      );
      arms.push(kept.info);
      reports.push(kept.report);
      continue;
    }
    const arm = await ctx.trainArm(`mlp-converged-${d.name}`, config, [d], { ...budget, checkpoint: 'best' });
    const report = await ctx.evaluateArms([arm], [d], { route: true, label });
    arms.push(arm.info);
    reports.push(report);
    if (!ctx.opts.verify) {
      progress.arms[basename(dir)] = { info: arm.info, report };
      writeJson(progressFile, progress);
    }
  }
  return {
    training,
    convergence: { ...c },
    arms,
    report: mergeEvalReports(reports, label),
    skipped: all.filter((d) => !data.includes(d)).map((d) => d.name),
  };
}

/** What mlp-converged-arms.json holds: each finished arm by its run folder's name. */
interface ConvergedProgress {
  arms: Record<string, { info: ArmInfo; report: EvalReport }>;
}

export async function singleStage(ctx: BenchmarkContext): Promise<SinglePayload> {
  const all = await ctx.allDatasets();
  const base = ctx.baseTraining();
  const combined = await ctx.combinedArm(all);
  const groups = [
    ...new Set(all.filter((d) => base.data.includes(d.name)).map((d) => groupOf(d.category))),
  ].sort();
  const out = [];
  for (const g of groups) {
    const train = all.filter(
      (d) => groupOf(d.category) === g && base.data.includes(d.name) && hasSplit(d, 'train'),
    );
    if (train.length === 0) continue;
    const arm = await ctx.trainArm(`single-${g}`, base.training, train);
    const test = all.filter((d) => groupOf(d.category) === g);
    out.push({ group: g, arm: arm.info, report: await ctx.evaluateArms([arm], test) });
  }
  return {
    combined: { arm: combined.info, report: await ctx.evaluateArms([combined], all) },
    groups: out,
  };
}

export async function ablationsStage(ctx: BenchmarkContext): Promise<AblationsPayload> {
  const all = await ctx.allDatasets();
  const base = ctx.baseTraining();
  const model = base.training.model ?? {};
  const variants = [
    { id: 'combined', label: 'base recipe', change: 'none (the base config)', config: base.training },
    {
      id: 'abl-encoding-mlp',
      label: 'learnable-MLP encoding',
      change: 'encoding: mlp (instead of TPE)',
      config: { ...base.training, model: { ...model, encoding: 'mlp' } },
    },
    {
      id: 'abl-attention-global',
      label: 'global attention only',
      change: 'attention: global',
      config: { ...base.training, model: { ...model, attention: 'global' } },
    },
    {
      id: 'abl-attention-local',
      label: 'local graph attention only',
      change: 'attention: local',
      config: { ...base.training, model: { ...model, attention: 'local' } },
    },
    {
      id: 'abl-loss-mse',
      label: 'plain MSE loss',
      change: 'loss: mse (no Procrustes alignment)',
      config: { ...base.training, loss: 'mse' },
    },
    {
      id: 'abl-head-camera',
      label: 'camera head',
      change: "head: camera (S's camera fitted to the 2D in closed form; the loss also on S)",
      config: { ...base.training, model: { ...model, head: 'camera' } },
    },
  ];
  const data = all.filter((d) => base.data.includes(d.name) && hasSplit(d, 'train'));
  const arms = [];
  for (const v of variants) {
    const arm = await ctx.trainArm(v.id, v.config, data);
    arms.push({
      id: v.id,
      label: v.label,
      change: v.change,
      arm: arm.info,
      report: await ctx.evaluateArms([arm], all),
    });
  }
  return { arms };
}

export async function robustnessStage(ctx: BenchmarkContext): Promise<RobustnessPayload> {
  const all = await ctx.allDatasets();
  const limit = ctx.opts.robustnessLimit ?? ctx.opts.limit;
  const shapes = ctx.meanShapes(all);
  const msData = all.filter((d) => shapes.some((s) => s.name === d.name));
  const meanShape = (perturb: KeypointPerturbation) =>
    evaluate({
      predict: meanShapePredictor(shapes),
      datasets: msData,
      seed: ctx.opts.seed,
      limit,
      perturb,
    });
  const occlusion = [];
  for (const fraction of [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) {
    ctx.log(`[robustness] occlusion ${fraction}`);
    const perturb = { occlude: fraction };
    occlusion.push({
      fraction,
      lfm: await ctx.evaluateShipped(all, { limit, perturb }),
      meanShape: await meanShape(perturb),
    });
  }
  const noise = [];
  for (const noisePx of [0, 1, 2, 5, 10, 20, 40]) {
    ctx.log(`[robustness] noise ${noisePx} px`);
    const perturb = { noisePx };
    noise.push({
      noisePx,
      lfm: await ctx.evaluateShipped(all, { limit, perturb }),
      meanShape: await meanShape(perturb),
    });
  }
  return { limit: limit ?? 'all', occlusion, noise };
}

export async function unseenStage(ctx: BenchmarkContext): Promise<UnseenPayload> {
  const all = await ctx.allDatasets();
  const m = await ctx.shipped();
  const seen = await ctx.trainedOn();
  const unseen = all.filter(
    (d) => !seen.names.includes(d.name) && hasSplit(d, 'train') && hasSplit(d, 'test'),
  );
  const shapes = ctx.meanShapes(unseen);
  const lfm = unseen.length > 0 ? await ctx.evaluateShipped(unseen) : null;
  const meanShape =
    unseen.length > 0
      ? await evaluate({
          predict: meanShapePredictor(shapes),
          datasets: unseen,
          seed: ctx.opts.seed,
          model: 'baseline:mean-shape',
          ...(ctx.opts.limit !== undefined && { limit: ctx.opts.limit }),
        })
      : null;
  // Rig identity: the model's joint codes for a rig it knows, vs zero codes (the rig treated as unknown).
  let codes: JointCodeRows = { available: false, reason: `${m.meta.path} takes no joint codes` };
  const jc = m.jointCodes;
  if (jc) {
    const known = all.filter((d) => jc.rigs.includes(d.name));
    const rows = [];
    for (const d of known) {
      const withCodes = (await ctx.evaluateShipped([d])).datasets[0];
      const without = (
        await ctx.evaluateShipped([d], {
          // anatomical: false — zero codes, not the codes of its joints named like another rig's.
          jointCodes: { k: jc.k, rigs: jc.rigs.filter((r) => r !== d.name), anatomical: false },
        })
      ).datasets[0];
      rows.push({ name: d.name, category: d.category, withCodes, withoutCodes: without });
    }
    codes = { available: true, k: jc.k, rows };
  }
  // Rig transfer by training: the combined recipe without one rig, tested on that rig.
  const holdout = [];
  const base = ctx.baseTraining();
  const targets = ctx.opts.holdout.filter((n) => all.some((d) => d.name === n && base.data.includes(d.name)));
  if (targets.length > 0) {
    const combined = await ctx.combinedArm(all);
    for (const name of targets) {
      const data = all.filter((d) => base.data.includes(d.name) && d.name !== name && hasSplit(d, 'train'));
      const arm = await ctx.trainArm(`holdout-${name}`, base.training, data);
      const test = all.filter((d) => d.name === name);
      holdout.push({
        name,
        arm: arm.info,
        without: (await ctx.evaluateArms([arm], test)).datasets[0],
        combined: (await ctx.evaluateArms([combined], test)).datasets[0],
      });
    }
  }
  return {
    seen: seen.names,
    seenSource: seen.source,
    unseen: unseen.map((d) => d.name),
    lfm,
    meanShape,
    codes,
    holdout,
    holdoutSkipped: ctx.opts.holdout.filter((n) => !targets.includes(n)),
  };
}
