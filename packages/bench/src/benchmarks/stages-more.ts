import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, nd } from '@lfm/core';
import { type Dataset, frameEdges, splitFrames } from '@lfm/datasets';
import { poseErrors } from '@lfm/procrustes';
import {
  createGraphPredictor,
  type EvalReport,
  evaluate,
  fitMeanShape,
  loadModelCheckpoint,
  meanShapePredictor,
  OUTPUT_FILES,
  type PredictBatch,
} from '@lfm/trainer';
import { readJsonIf } from './cache.js';
import { type BenchmarkContext, hasSplit, jointCodesOf, type TrainedArm } from './context.js';
import { LOO_ARMS, LOO_GROUPS, mergeLooPayloads } from './loo.js';
import type {
  LooArmResult,
  LooPayload,
  LooScore,
  MlpPayload,
  RealPayload,
  RealRow,
  SkeletonSample,
  SkeletonsPayload,
} from './types.js';

/** `--loo-train-only`: the loo models are trained and no result is written (the script exits 0). */
export class TrainOnlyDone extends Error {
  constructor() {
    super('--loo-train-only: models trained, no results written');
  }
}

/** A test sample the skeletons stage saw: the prediction, then its ground truth and errors. */
interface Captured {
  frame: number;
  pred: number[];
  mask: number[];
  gt?: number[];
  paMpjpe?: number;
  nPaMpjpe?: number;
}

/** The stages of scripts/benchmarks.mjs on real cameras, left-out categories, and rendered skeletons. */

export async function realStage(ctx: BenchmarkContext): Promise<RealPayload> {
  const all = await ctx.allDatasets();
  const withViews = all.filter((d) => d.views);
  if (withViews.length === 0)
    return { rows: [], note: 'no dataset with real camera views (views.f32) loaded' };
  const rows: RealRow[] = [];
  const add = (model: string, protocol: string, camera: string, report: EvalReport) => {
    for (const r of report.datasets) rows.push({ model, protocol, camera, ...r });
  };
  const m = await ctx.shipped();
  add('LFM', 'real', 'all', await ctx.evaluateShipped(withViews, { protocol: 'real' }));
  add('LFM', 'synthetic', '—', await ctx.evaluateShipped(withViews));
  for (const d of withViews) {
    const views = d.views!;
    const { count, cameraIds, data } = views;
    const per = data.length / count;
    for (let v = 0; v < count; v++) {
      const one: Dataset = {
        ...d,
        views: {
          ...views,
          count: 1,
          cameraIds: [cameraIds[v]!],
          data: data.subarray(v * per, (v + 1) * per),
        },
      };
      add('LFM', 'real', cameraIds[v]!, await ctx.evaluateShipped([one], { protocol: 'real' }));
    }
  }
  // Baselines from a dataset of the same rig (same joint names) with a train split: h36m-body for h36m-cams.
  for (const d of withViews) {
    const donor = all.find(
      (o) => o !== d && hasSplit(o, 'train') && JSON.stringify(o.joints) === JSON.stringify(d.joints),
    );
    if (!donor) continue;
    const shape = { ...fitMeanShape(donor), name: d.name };
    const ms = (protocol: 'real' | 'synthetic') =>
      evaluate({
        predict: meanShapePredictor([shape]),
        datasets: [d],
        protocol,
        seed: ctx.opts.seed,
        ...(ctx.opts.limit !== undefined && { limit: ctx.opts.limit }),
      });
    add(`mean shape of ${donor.name}`, 'real', 'all', await ms('real'));
    add(`mean shape of ${donor.name}`, 'synthetic', '—', await ms('synthetic'));
    // The donor's per-rig MLP, when the mlp stage has trained it.
    const mlpArm = readJsonIf<MlpPayload>(join(ctx.resultsDir, 'mlp.json'))?.arms.find(
      (a) => a.datasets[0] === donor.name,
    );
    const mlpCkpt = mlpArm && join(resolve(ctx.root, mlpArm.dir), OUTPUT_FILES.last);
    if (mlpCkpt && existsSync(mlpCkpt)) {
      const ck = await loadModelCheckpoint(mlpCkpt);
      const p = await createGraphPredictor(ck.model, ck.params, { threads: ctx.opts.threads });
      try {
        for (const protocol of ['real', 'synthetic'] as const) {
          const r = await evaluate({
            predict: p,
            datasets: [d],
            protocol,
            seed: ctx.opts.seed,
            ...(ctx.opts.limit !== undefined && { limit: ctx.opts.limit }),
          });
          add(`MLP of ${donor.name} (${ctx.rel(mlpCkpt)})`, protocol, protocol === 'real' ? 'all' : '—', r);
        }
      } finally {
        await p.dispose();
      }
    }
  }
  return { model: m.meta.path, rows };
}

export async function looStage(ctx: BenchmarkContext): Promise<LooPayload> {
  const all = await ctx.allDatasets();
  const byName = new Map(all.map((d) => [d.name, d]));
  const base = ctx.baseTraining(ctx.opts.looBaseConfig);
  const trainable = (d: Dataset) => hasSplit(d, 'train');
  const inGroups = new Set(Object.values(LOO_GROUPS).flat());
  const groups = ctx.opts.looGroups.map((g) => ({
    id: g,
    datasets: LOO_GROUPS[g]!.filter((n) => byName.has(n)).map((n) => byName.get(n)!),
  }));
  for (const g of groups)
    if (g.datasets.length === 0)
      throw new InputError(`loo group ${g.id}: none of ${LOO_GROUPS[g.id]!.join(', ')} is loaded`);
  const configOf = (arm: string) => {
    const o = LOO_ARMS[arm]!.overrides;
    return { ...base.training, ...o, model: { ...base.training.model, ...(o.model ?? {}) } };
  };
  // Training data of a fold: the base config's datasets without the group's.
  const foldData = (g: { id: string }) =>
    all.filter((d) => base.data.includes(d.name) && trainable(d) && !LOO_GROUPS[g.id]!.includes(d.name));
  // The upper bound: the base data and every group dataset with a train split.
  const upperData = all.filter((d) => trainable(d) && (base.data.includes(d.name) || inGroups.has(d.name)));
  const train = (arm: string, tag: string, data: readonly Dataset[]) =>
    ctx.trainArm(`loo-${arm}-${tag}`, configOf(arm), data, { steps: ctx.opts.looSteps });
  const evalArm = async (
    a: TrainedArm,
    datasets: readonly Dataset[],
    {
      split = 'test',
      identity = 'codes',
      limit = ctx.opts.limit,
      pairs = true,
      anatomical = false,
    }: {
      split?: 'test' | 'val';
      identity?: 'codes' | 'sides' | 'none';
      limit?: number | undefined;
      pairs?: boolean | 'infer';
      /** Give a held-out rig the anatomical codes of its named joints (an arm with `anatomicalCodes`); default zeros. */
      anatomical?: boolean;
    } = {},
  ) => {
    const m = a.ckpt.model;
    const modelCodes = jointCodesOf(m, a.ckpt.metadata);
    // A rig the model knows gets its own (anatomical or rig) table; an unknown rig zeros unless `anatomical`.
    const codes = modelCodes && {
      ...modelCodes,
      unseen: anatomical ? ('anatomy' as const) : ('zeros' as const),
    };
    const p = await createGraphPredictor(m, a.ckpt.params, { threads: ctx.opts.threads });
    try {
      return await evaluate({
        predict: p,
        datasets: datasets.filter((d) => hasSplit(d, split)),
        seed: ctx.opts.seed,
        split,
        identity,
        pairs,
        model: a.info.dir,
        ...(limit !== undefined && { limit }),
        ...(codes && { jointCodes: codes }),
      });
    } finally {
      await p.dispose();
    }
  };
  const pick = (report: EvalReport): LooScore[] =>
    report.datasets.map((r) => ({
      name: r.name,
      samples: r.samples,
      strict: r.nPaMpjpe,
      flipBest: r.nPaMpjpeFlipBest,
      flat: r.flatNPaMpjpe,
      paMpjpe: r.paMpjpe,
    }));
  const arms: LooArmResult[] = [];
  for (const arm of ctx.opts.looArms) {
    const folds: { g: (typeof groups)[number]; arm: TrainedArm }[] = [];
    for (const g of groups) folds.push({ g, arm: await train(arm, g.id, foldData(g)) });
    const upper = ctx.opts.looUpper ? await train(arm, 'upper', upperData) : null;
    if (ctx.opts.looTrainOnly) continue;
    const rows: LooArmResult['rows'][number][] = [];
    for (const { g, arm: a } of folds) {
      const held = g.datasets;
      rows.push({
        group: g.id,
        datasets: held.map((d) => d.name),
        fold: a.info,
        test: pick(await evalArm(a, held)),
        val: pick(await evalArm(a, held, { split: 'val' })),
        sides: pick(await evalArm(a, held, { identity: 'sides' })),
        sidesVal: pick(await evalArm(a, held, { split: 'val', identity: 'sides' })),
        inferred: pick(await evalArm(a, held, { pairs: 'infer' })),
        inferredVal: pick(await evalArm(a, held, { split: 'val', pairs: 'infer' })),
        ...(jointCodesOf(a.ckpt.model, a.ckpt.metadata)?.anatomical && {
          named: pick(await evalArm(a, held, { anatomical: true })),
          namedVal: pick(await evalArm(a, held, { split: 'val', anatomical: true })),
        }),
        upper: upper ? pick(await evalArm(upper, held)) : null,
      });
    }
    // Rig identity on trained rigs: the upper-bound model (or the first fold) with and without codes (val splits).
    const ref = upper ?? folds[0]?.arm;
    let identity: LooArmResult['identity'] = null;
    if (ref && ref.ckpt.model.codeSize > 0) {
      const trained = all.filter((d) => ref.info.datasets.includes(d.name));
      identity = {
        model: ref.info.dir,
        coded: pick(await evalArm(ref, trained, { split: 'val', limit: ctx.opts.limit ?? 256 })),
        codeless: pick(
          await evalArm(ref, trained, { split: 'val', identity: 'none', limit: ctx.opts.limit ?? 256 }),
        ),
      };
    }
    arms.push({
      id: arm,
      change: LOO_ARMS[arm]!.change,
      overrides: LOO_ARMS[arm]!.overrides,
      upper: upper?.info ?? null,
      rows,
      identity,
    });
  }
  if (ctx.opts.looTrainOnly) {
    ctx.log('[loo] --loo-train-only: models trained, no results written');
    throw new TrainOnlyDone();
  }
  const heldOut = groups
    .flatMap((g) => g.datasets)
    .filter((d) => hasSplit(d, 'train') && hasSplit(d, 'test'));
  const meanShape = await evaluate({
    predict: meanShapePredictor(ctx.meanShapes(heldOut)),
    datasets: heldOut,
    seed: ctx.opts.seed,
    model: 'baseline:mean-shape',
    ...(ctx.opts.limit !== undefined && { limit: ctx.opts.limit }),
  });
  // Arms and groups measured before (the committed loo.json) are kept: runs/ does not outlive a machine.
  const cached = readJsonIf<LooPayload>(join(ctx.resultsDir, 'loo.json'));
  return mergeLooPayloads(cached, {
    steps: ctx.opts.looSteps,
    baseConfig: base.file,
    groups: Object.fromEntries(groups.map((g) => [g.id, g.datasets.map((d) => d.name)])),
    arms,
    meanShape: pick(meanShape),
  });
}

export async function skeletonsStage(ctx: BenchmarkContext): Promise<SkeletonsPayload> {
  const all = (await ctx.allDatasets()).filter((d) => hasSplit(d, 'test'));
  const m = await ctx.shipped();
  const byCategory = new Map<string, Dataset>();
  for (const d of all) {
    const cur = byCategory.get(d.category);
    if (!cur || splitFrames(d, 'test').length > splitFrames(cur, 'test').length)
      byCategory.set(d.category, d);
  }
  const samples: SkeletonSample[] = [];
  for (const [category, d] of [...byCategory].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (m.maxPoints !== undefined && d.numJoints > m.maxPoints) continue;
    const captured: Captured[] = [];
    const predict = async (b: PredictBatch) => {
      const out = await m.predict(b);
      const J = b.numPoints;
      for (let i = 0; i < b.batchSize; i++) {
        captured.push({
          frame: b.frame[i]!,
          pred: Array.from(out.subarray(i * J * 3, (i + 1) * J * 3)),
          mask: Array.from(b.mask.subarray(i * J, (i + 1) * J)),
        });
      }
      return out;
    };
    await evaluate({
      predict,
      datasets: [d],
      seed: ctx.opts.seed,
      limit: 9,
      ...(m.jointCodes && { jointCodes: m.jointCodes }),
    });
    const J = d.numJoints;
    for (const c of captured) {
      c.gt = Array.from(d.points.subarray(c.frame * J * 3, (c.frame + 1) * J * 3), (v) =>
        Number.isNaN(v) ? 0 : v,
      );
      const e = poseErrors(
        nd(Float64Array.from(c.pred), [1, J, 3]),
        nd(Float64Array.from(c.gt), [1, J, 3]),
        nd(Float64Array.from(c.mask), [1, J]),
      );
      c.paMpjpe = e.paMpjpe.perSample[0]!;
      c.nPaMpjpe = e.nPaMpjpe.perSample[0]!;
    }
    if (captured.length === 0) continue;
    const sorted = [...captured].sort((a, b) => a.nPaMpjpe! - b.nPaMpjpe!);
    const pick = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const round = (xs: readonly number[]) => xs.map((v) => Number(v.toPrecision(6)));
    samples.push({
      category,
      dataset: d.name,
      units: d.units,
      frame: pick.frame,
      candidates: captured.length,
      paMpjpe: pick.paMpjpe!,
      nPaMpjpe: pick.nPaMpjpe!,
      gt: round(pick.gt!),
      pred: round(pick.pred),
      mask: pick.mask,
      edges: frameEdges(d, pick.frame).map((e): [number, number] => [e[0]!, e[1]!]),
      up: upAxis(d.meta?.coordinate_frame),
    });
  }
  return { model: m.meta.path, samples };
}

/** The up direction from a meta.json coordinate_frame text ("Y up", "Z up", "y down"), if it says. */
function upAxis(text: unknown): [number, number, number] | null {
  if (typeof text !== 'string') return null;
  const m = /\b([xyz])\s+(up|down)\b/i.exec(text);
  if (!m) return null;
  const v: [number, number, number] = [0, 0, 0];
  v['xyz'.indexOf(m[1]!.toLowerCase())] = m[2]!.toLowerCase() === 'up' ? 1 : -1;
  return v;
}
