import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { InputError } from '@lfm/core';
import type { Dataset } from '@lfm/datasets';
import { loadLifter } from '@lfm/runtime/node';
import {
  createGraphPredictor,
  DEFAULT_TRAINING_CONFIG,
  type EvalReport,
  type EvaluateOptions,
  evaluate,
  fitMeanShape,
  forwardPredictor,
  loadDatasets,
  loadModelCheckpoint,
  type MeanShape,
  type ModelCheckpoint,
  OUTPUT_FILES,
  type PredictFn,
  routeByDataset,
  type TrainableModel,
  train,
} from '@lfm/trainer';
import { armsOf, hashOf, readJson, readJsonIf, sha256, writeJson } from './cache.js';
import type { BenchmarkOptions } from './options.js';
import { type ArmInfo, type ModelMeta, STAGES, type StageResult, type TrainedOn } from './types.js';

/** A trained arm: its checkpoint (model built) and what the results record of it. */
export interface TrainedArm {
  readonly id: string;
  readonly ckpt: ModelCheckpoint & { model: TrainableModel };
  readonly info: ArmInfo;
}

/** The evaluated model on onnxruntime-node. */
export interface ShippedModel {
  readonly lifter: Awaited<ReturnType<typeof loadLifter>>;
  readonly predict: PredictFn;
  readonly jointCodes: {
    readonly k: number;
    readonly rigs: readonly string[];
    readonly anatomical: boolean;
  } | null;
  readonly maxPoints: number | undefined;
  readonly meta: ModelMeta;
}

/** A run's plan file (bench-plan.json): its step count, and the sessions that trained it. */
interface ArmPlan {
  id: string;
  key: string;
  datasets: string[];
  budgetMinutes: number | null;
  calibratedStepsPerSec: number | null;
  steps: number;
  pinnedFrom?: string;
  sessions: { minutes: number; toStep: number; samplesPerSec: number; stoppedBy: string }[];
  done: boolean;
}

type TrainingConfig = Readonly<Record<string, unknown>> & {
  readonly model?: Readonly<Record<string, unknown>>;
  readonly batchSize?: number;
  readonly warmupSteps?: number;
  readonly loss?: string;
};

/** How `trainArm` budgets an arm when not by --budget-minutes, and which checkpoint it evaluates. */
export interface ArmBudget {
  /** A budget in steps (equal samples for every arm, whatever the machine's load): the schedule's length. */
  readonly steps?: number;
  /**
   * With `steps`: a wall-clock cap over all the arm's sessions, minutes (a killed session counts up to
   * its last checkpoint). Without it a step budget trains its steps however long.
   */
  readonly maxMinutes?: number;
  /** The weights the arm stands for: 'best' = best.ckpt (the best validation; last.ckpt if none). */
  readonly checkpoint?: 'last' | 'best';
}

export const hasSplit = (d: Dataset, split: string): boolean =>
  d.sequences.some((s) => s.split === split && s.count > 0);

/** Joint codes of a trained checkpoint's model, when it takes them. */
export function jointCodesOf(
  m: TrainableModel,
  metadata?: { readonly training?: unknown },
): { k: number; rigs: readonly string[]; anatomical: boolean } | undefined {
  if (m.codeSize <= 0) return undefined;
  const c = m.config as { codedRigs?: readonly string[]; anatomicalCodes?: boolean };
  // A checkpoint made before the lifter config carried the scheme: the training option says it.
  const training = metadata?.training as { anatomicalCodes?: unknown } | undefined;
  const anatomical = c.anatomicalCodes === true || training?.anatomicalCodes === true;
  return { k: m.codeSize, rigs: c.codedRigs ?? [], anatomical };
}

/**
 * What the stages share: the options, the corpus, the shipped model, and trained arms (planned once,
 * trained within the budget, resumed when interrupted), each loaded or trained once per process.
 */
export class BenchmarkContext {
  private datasetsPromise: Promise<Dataset[]> | undefined;
  private shippedPromise: Promise<ShippedModel> | undefined;
  /** Arms --retrain has already retrained in this process (the combined arm serves several stages). */
  private readonly retrained = new Set<string>();
  readonly resultsDir: string;
  readonly figDir: string;
  readonly reportFile: string;

  constructor(
    readonly opts: BenchmarkOptions,
    readonly root: string,
    readonly log: (line: string) => void = (s) => process.stderr.write(`${s}\n`),
  ) {
    this.resultsDir = join(opts.outDir, 'benchmarks', 'results');
    this.figDir = join(opts.outDir, 'benchmarks');
    this.reportFile = join(opts.outDir, 'BENCHMARKS.md');
  }

  /** A path as the results and the report name it: relative to the repository root. */
  rel(p: string): string {
    return relative(this.root, p) || '.';
  }

  /** --verify reruns a stage with the datasets it was cached with: forget the loaded corpus. */
  resetDatasets(): void {
    this.datasetsPromise = undefined;
  }

  /** Every dataset of --data (filtered by --datasets), views included (only h36m-cams has them). */
  allDatasets(): Promise<Dataset[]> {
    const { opts } = this;
    this.datasetsPromise ??= (async () => {
      let ds = await loadDatasets([opts.dataDir], { views: true });
      const only = opts.datasets;
      if (only) {
        const unknown = only.filter((n) => !ds.some((d) => d.name === n));
        if (unknown.length > 0)
          throw new InputError(`--datasets: not in ${this.rel(opts.dataDir)}: ${unknown.join(', ')}`);
        ds = ds.filter((d) => only.includes(d.name));
      }
      return ds;
    })();
    return this.datasetsPromise;
  }

  /** The combined training config the arms copy: its training hyper-parameters and model, not its run settings. */
  baseTraining(file = this.opts.baseConfig): { file: string; data: string[]; training: TrainingConfig } {
    const raw = readJson<Record<string, unknown>>(file);
    const data = ((raw.data as string[] | undefined) ?? []).map(
      (p) => p.split(/[\\/]/).filter(Boolean).pop()!,
    );
    const {
      outDir: _o,
      steps: _s,
      maxMinutes: _m,
      resume: _r,
      valInterval: _v,
      valSamples: _vs,
      checkpointInterval: _c,
      logInterval: _l,
      progress: _p,
      data: _d,
      threads: _t,
      ...training
    } = raw;
    return { file: this.rel(file), data, training };
  }

  /** The evaluated model (models/lfm.onnx by default) on onnxruntime-node, as a PredictFn. */
  shipped(): Promise<ShippedModel> {
    const { opts } = this;
    this.shippedPromise ??= (async () => {
      if (!existsSync(opts.model)) throw new InputError(`${this.rel(opts.model)}: model not found`);
      const bytes = readFileSync(opts.model);
      const lifter = await loadLifter(new Uint8Array(bytes), { threads: opts.threads });
      const info = lifter.info;
      const training = (info.training && typeof info.training === 'object' ? info.training : {}) as Record<
        string,
        unknown
      >;
      const codes = info.jointCodes;
      return {
        lifter,
        predict: forwardPredictor(lifter),
        jointCodes: codes ? { k: codes.k, rigs: codes.rigs, anatomical: codes.anatomical } : null,
        maxPoints: info.maxPoints,
        meta: {
          path: this.rel(opts.model),
          sha256: sha256(bytes),
          bytes: bytes.length,
          modified: statSync(opts.model).mtime.toISOString(),
          config: info.config as unknown as ModelMeta['config'],
          jointCodes: codes ? { k: codes.k, rigs: codes.rigs.length } : null,
          step: (training.step as number | undefined) ?? null,
          samples: (training.samples as number | undefined) ?? null,
          trainedOn: Array.isArray(training.datasets) ? (training.datasets as string[]) : null,
        },
      };
    })();
    return this.shippedPromise;
  }

  /** Releases the shipped model's session, if it was loaded. */
  async release(): Promise<void> {
    if (this.shippedPromise) await (await this.shippedPromise).lifter.release();
  }

  /** The datasets the shipped model was trained on: its metadata, else the base config's data. */
  async trainedOn(): Promise<TrainedOn> {
    const m = await this.shipped();
    if (m.meta.trainedOn) return { names: m.meta.trainedOn, source: `${m.meta.path} metadata` };
    if (m.jointCodes) return { names: m.jointCodes.rigs, source: `${m.meta.path} joint-code rigs` };
    const base = this.baseTraining();
    return { names: base.data, source: base.file };
  }

  /** `evaluate` with the options every stage shares: the seed and, when set, --limit. */
  evaluate(options: EvaluateOptions): Promise<EvalReport> {
    return evaluate({
      seed: this.opts.seed,
      ...(this.opts.limit !== undefined && { limit: this.opts.limit }),
      ...options,
    });
  }

  async evaluateShipped(
    datasets: readonly Dataset[],
    extra: Partial<EvaluateOptions> = {},
  ): Promise<EvalReport> {
    const m = await this.shipped();
    const fits = datasets.filter((d) => m.maxPoints === undefined || d.numJoints <= m.maxPoints);
    return this.evaluate({
      predict: m.predict,
      datasets: fits,
      model: m.meta.path,
      ...(m.jointCodes && { jointCodes: m.jointCodes }),
      ...extra,
    });
  }

  meanShapes(datasets: readonly Dataset[]): MeanShape[] {
    return datasets.filter((d) => hasSplit(d, 'train')).map((d) => fitMeanShape(d));
  }

  /** Planned steps of every trained run named in the cached results, by run folder name. */
  private cachedSteps(): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of STAGES) {
      const r = readJsonIf<StageResult>(join(this.resultsDir, `${s}.json`));
      if (!r) continue;
      for (const a of armsOf(s, r)) out.set(basename(a.dir), a.plannedSteps);
    }
    return out;
  }

  /**
   * The folder of an arm, one per (arm, config, data, budget): a run made with other settings is never
   * overwritten. `key` is the hash the folder name ends with.
   */
  armDir(
    id: string,
    config: TrainingConfig,
    datasets: readonly Dataset[],
    { steps, maxMinutes }: Pick<ArmBudget, 'steps' | 'maxMinutes'> = {},
  ): { dir: string; key: string } {
    if (maxMinutes !== undefined && steps === undefined)
      throw new InputError(`${id}: a time cap (maxMinutes) goes with a step budget (steps)`);
    const names = datasets.map((d) => d.name);
    const key = hashOf(
      steps === undefined
        ? { config, names, budget: this.opts.budgetMinutes }
        : { config, names, steps, ...(maxMinutes !== undefined && { maxMinutes }) },
    );
    return { dir: join(this.opts.runsDir, `${id}-${key.slice(0, 8)}`), key };
  }

  /** A training run of the benchmark ("arm"): planned once, trained within the budget, resumed when interrupted. */
  async trainArm(
    id: string,
    config: TrainingConfig,
    datasets: readonly Dataset[],
    { steps: fixedSteps, maxMinutes, checkpoint = 'last' }: ArmBudget = {},
  ): Promise<TrainedArm> {
    const { opts } = this;
    const { dir, key } = this.armDir(id, config, datasets, { steps: fixedSteps, maxMinutes });
    const names = datasets.map((d) => d.name);
    const planFile = join(dir, 'bench-plan.json');
    let plan = readJsonIf<ArmPlan>(planFile);
    if (plan && opts.retrain && !this.retrained.has(dir)) {
      this.log(`[${id}] --retrain: training afresh in ${this.rel(dir)}`);
      rmSync(dir, { recursive: true, force: true });
      plan = undefined;
    }
    const pinned = this.cachedSteps().get(basename(dir));
    // Key order as the plan files have always had it.
    const planOf = (budgetMinutes: number | null, rest: Pick<ArmPlan, 'steps' | 'pinnedFrom'>): ArmPlan => ({
      id,
      key,
      datasets: names,
      budgetMinutes,
      calibratedStepsPerSec: null,
      ...rest,
      sessions: [],
      done: false,
    });
    if (!plan && pinned !== undefined) {
      // The cached results name this very run (same arm, config, data, budget): train the same number of
      // steps, so that a retrained arm reproduces the cached one (same seed, same batches, same schedule).
      plan = planOf(opts.budgetMinutes, { steps: pinned, pinnedFrom: 'cached results' });
      writeJson(planFile, plan);
      this.retrained.add(dir);
    }
    if (!plan && fixedSteps !== undefined) {
      // A budget in steps (equal samples for every arm, whatever the machine's load).
      plan = planOf(null, { steps: fixedSteps, pinnedFrom: 'fixed step budget' });
      writeJson(planFile, plan);
      this.retrained.add(dir);
    }
    if (!plan) {
      // Throughput on this machine now → the step count whose schedule fills the budget.
      const B = config.batchSize ?? DEFAULT_TRAINING_CONFIG.batchSize;
      const cal = await train({
        config: {
          ...config,
          steps: 30,
          warmupSteps: 0,
          valInterval: 0,
          progress: 'none',
          threads: opts.threads,
        },
        datasets,
      });
      const stepsPerSec = cal.samplesPerSec / B;
      // 85 %: checkpoints and logging are not in the measured step time.
      const steps = Math.max(20, Math.floor(0.85 * stepsPerSec * opts.budgetMinutes * 60));
      plan = {
        id,
        key,
        datasets: names,
        budgetMinutes: opts.budgetMinutes,
        calibratedStepsPerSec: stepsPerSec,
        steps,
        sessions: [],
        done: false,
      };
      writeJson(planFile, plan);
      this.retrained.add(dir);
    }
    if (!plan.done) await this.trainPlanned(id, plan, config, datasets, dir, planFile, maxMinutes);
    const last = await loadModelCheckpoint(join(dir, OUTPUT_FILES.last));
    const step = Number(last.metadata?.step ?? last.optimizer?.step ?? Number.NaN);
    const bestFile = join(dir, OUTPUT_FILES.best);
    const best =
      checkpoint === 'best' && existsSync(bestFile) ? await loadModelCheckpoint(bestFile) : undefined;
    const ckpt = best ?? last;
    const modelConfig = ckpt.model.config as { kind: string; codedRigs?: readonly string[] };
    return {
      id,
      ckpt,
      info: {
        id,
        dir: this.rel(dir),
        datasets: names,
        budgetMinutes: plan.budgetMinutes,
        plannedSteps: plan.steps,
        steps: step,
        samples: Number(last.metadata?.samples ?? Number.NaN),
        minutes: Math.max(
          plan.sessions.reduce((a, s) => a + s.minutes, 0),
          // Time-capped: a killed session's minutes too, up to its checkpoint (what the cap counted).
          maxMinutes === undefined ? 0 : (numberOrNull(last.metadata?.wallSec) ?? 0) / 60,
        ),
        stoppedBy: plan.sessions.at(-1)?.stoppedBy ?? null,
        calibratedStepsPerSec: plan.calibratedStepsPerSec,
        model: modelConfig.kind === 'lifter' ? lifterSummary(modelConfig) : modelConfig,
        loss: config.loss ?? 'procrustes',
        ...(checkpoint === 'best' && {
          evaluated: {
            checkpoint: best ? OUTPUT_FILES.best : OUTPUT_FILES.last,
            step: Number(ckpt.metadata?.step ?? ckpt.optimizer?.step ?? Number.NaN),
            valNPaMpjpe: numberOrNull(ckpt.metadata?.bestScore),
          },
        }),
      },
    };
  }

  /**
   * Trains a planned arm (or resumes it) for its steps, capped at 1.25× the budget unless pinned, or
   * at `timeCap` minutes over all its sessions. A config with `valInterval` validates (and checkpoints)
   * that often, so its `valPatience` can stop it on a plateau; any stop but a signal makes the arm done.
   */
  private async trainPlanned(
    id: string,
    plan: ArmPlan,
    config: TrainingConfig,
    datasets: readonly Dataset[],
    dir: string,
    planFile: string,
    timeCap: number | undefined,
  ): Promise<void> {
    const { opts } = this;
    const names = datasets.map((d) => d.name);
    const lastFile = join(dir, OUTPUT_FILES.last);
    const resume = existsSync(lastFile);
    let used = plan.sessions.reduce((a, s) => a + s.minutes, 0);
    // A killed session never wrote its minutes into the plan: its checkpoint's wall time counts them.
    if (timeCap !== undefined && resume)
      used = Math.max(
        used,
        (numberOrNull((await loadModelCheckpoint(lastFile)).metadata?.wallSec) ?? 0) / 60,
      );
    const maxMinutes =
      timeCap !== undefined
        ? Math.max(0.05, timeCap - used)
        : plan.pinnedFrom
          ? 0 // a pinned run trains its steps, however long
          : Math.max(0.05, 1.25 * plan.budgetMinutes! - used);
    const valInterval = typeof config.valInterval === 'number' ? config.valInterval : 0;
    const until =
      valInterval > 0 && Number(config.valPatience ?? 0) > 0
        ? `, until ${config.valPatience} validations (every ${valInterval} steps) without a gain > ${config.valMinDelta ?? 0}`
        : '';
    this.log(
      `[${id}] training ${plan.steps} steps (${plan.pinnedFrom && timeCap === undefined ? `pinned by the ${plan.pinnedFrom}` : `≤ ${maxMinutes.toFixed(2)} min`}${until}) on ${names.join(', ')}${resume ? ', resuming' : ''}`,
    );
    const t0 = Date.now();
    const base = config.warmupSteps ?? DEFAULT_TRAINING_CONFIG.warmupSteps;
    const r = await train({
      config: {
        ...config,
        steps: plan.steps,
        warmupSteps: Math.min(base, Math.floor(plan.steps / 10)),
        maxMinutes,
        outDir: dir,
        resume,
        valInterval,
        // Validating: a checkpoint after every validation, so that a killed run resumes with its count.
        checkpointInterval: valInterval || Math.max(50, Math.floor(plan.steps / 10)),
        logInterval: valInterval || Math.max(10, Math.floor(plan.steps / 10)),
        progress: 'lines',
        threads: opts.threads,
      },
      datasets,
      output: process.stderr,
    });
    plan.sessions.push({
      minutes: (Date.now() - t0) / 60_000,
      toStep: r.step,
      samplesPerSec: r.samplesPerSec,
      stoppedBy: r.stoppedBy,
    });
    plan.done = r.stoppedBy !== 'signal';
    writeJson(planFile, plan);
  }

  /**
   * Evaluates trained arms (one predictor per dataset name with `route`, or the first for all),
   * memoised in the first arm's folder; `label` names the model in the report (`EvalReport.model`).
   */
  async evaluateArms(
    arms: readonly TrainedArm[],
    datasets: readonly Dataset[],
    { route = false, label }: { route?: boolean; label?: string } = {},
  ): Promise<EvalReport> {
    const { opts } = this;
    const first = arms[0]!;
    const key = hashOf({
      arms: arms.map((a) => [a.id, a.info.steps, a.info.plannedSteps]),
      names: datasets.map((d) => d.name),
      limit: opts.limit ?? null,
      seed: opts.seed,
    });
    const memo = join(resolve(this.root, first.info.dir), `bench-eval-${route ? 'routed-' : ''}${key}.json`);
    if (!opts.verify && existsSync(memo) && !opts.force) return readJson<EvalReport>(memo);
    const predictors = new Map<string, Awaited<ReturnType<typeof createGraphPredictor>>>();
    for (const a of arms)
      predictors.set(
        a.id,
        await createGraphPredictor(a.ckpt.model, a.ckpt.params, { threads: opts.threads }),
      );
    try {
      let predict: PredictFn;
      let jointCodes: { k: number; rigs: readonly string[] } | undefined;
      if (route) {
        const byName = new Map(arms.map((a) => [a.info.datasets[0]!, predictors.get(a.id)!]));
        predict = routeByDataset(byName);
        datasets = datasets.filter((d) => byName.has(d.name));
      } else {
        predict = predictors.get(first.id)!;
        jointCodes = jointCodesOf(first.ckpt.model);
      }
      const report = await this.evaluate({
        predict,
        datasets,
        model: label ?? (route ? 'per-rig MLP' : first.info.dir),
        ...(jointCodes && { jointCodes }),
      });
      if (!opts.verify) writeJson(memo, report);
      return report;
    } finally {
      for (const p of predictors.values()) await p.dispose();
    }
  }

  /** The combined LFM at the benchmark's budget (the reference arm of `single`, `ablations` and `unseen`). */
  async combinedArm(all: readonly Dataset[]): Promise<TrainedArm> {
    const base = this.baseTraining();
    const data = all.filter((d) => base.data.includes(d.name) && hasSplit(d, 'train'));
    if (data.length === 0) throw new InputError(`none of the datasets of ${base.file} is loaded`);
    return this.trainArm('combined', base.training, data);
  }
}

const numberOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function lifterSummary(c: { codedRigs?: readonly string[] }): unknown {
  const { codedRigs, ...rest } = c;
  return { ...rest, ...(codedRigs && { codedRigs: codedRigs.length }) };
}
