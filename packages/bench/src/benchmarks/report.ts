import { fu, fx, shortUnits, table } from '../markdown.js';
import { losses } from './findings.js';
import { looSection } from './loo.js';
import { DEFAULT_BUDGET_MINUTES } from './options.js';
import { ablationsSection, perSplitSection, robustnessSection } from './report-metrics.js';
import { costSection, includedSection, skeletonsSection, unseenSection } from './report-rigs.js';
import type { DatasetFacts, ModelMeta, Stage, StageResult, StageResults } from './types.js';
import { measuredModel, STAGES } from './types.js';

/** What the report is rendered from: the cached results and the few facts of the checkout it needs. */
export interface ReportInput {
  readonly results: StageResults;
  /** The evaluated model's path as the report names it (relative to the repository root). */
  readonly modelPath: string;
  /** sha256 of the file at that path now; null when it is missing (then nothing is marked stale). */
  readonly currentModelSha: string | null;
  /** The combined training config's path as the report names it. */
  readonly baseConfigPath: string;
  /** The notes of docs/benchmarks/ included verbatim, by file name (`readIncludedNotes`). */
  readonly included: Readonly<Record<string, string>>;
}

/** docs/BENCHMARKS.md and its figures (file name → SVG text, written to docs/benchmarks/). */
export interface RenderedReport {
  readonly markdown: string;
  readonly figures: ReadonlyMap<string, string>;
}

/** What every section renders with; sections push their lines onto `md`. */
export interface ReportContext {
  readonly input: ReportInput;
  readonly R: StageResults;
  readonly md: string[];
  readonly facts: ReadonlyMap<string, DatasetFacts>;
  /** Keeps a figure and returns its path relative to the report. */
  readonly figure: (name: string, svg: string) => string;
  /** The line that says a stage has not run. */
  readonly missing: (stage: Stage) => string;
}

/** The paragraph under a stage's note that says how to read its numbers, for the sections that have one. */
const SECTION_INTROS: { readonly [S in Stage]?: string } = {
  robustness:
    "Occlusion hides a seeded random fraction of each sample's visible joints (at least 4 stay visible; the joints hidden at a smaller fraction stay hidden at a larger one) and scores the joints still seen; noise adds seeded Gaussian noise of σ pixels to every visible 2D coordinate (on the synthetic protocol's ±170 px shapes). Both are `evaluate`'s `perturb` option (`@lfm/trainer`). Scoring fewer joints lowers any Procrustes-aligned error by itself (the alignment has fewer points to fit), which is why the mean shape's error falls as occlusion rises: compare the LFM with the mean shape at the same level, not across levels.",
  skeletons:
    "One test sample per category: of 9 evenly spaced test samples, the one with the median nPA-MPJPE (not the best). Black = ground truth, red = the prediction after similarity Procrustes alignment; two orthographic views 90° apart about the vertical (the dataset's up axis when its meta.json names one, else the principal axes). Thin lines = 2-nearest-neighbour graph where the dataset has no bones.",
};

/**
 * Starts a stage's section: its heading, then the line saying when and how the stage ran and the
 * section's paragraph (`SECTION_INTROS`),
 * or that it has not run (then undefined: the section ends there).
 */
export function stageSection<S extends Stage>(ctx: ReportContext, title: string, stage: S): StageResults[S] {
  const intro = SECTION_INTROS[stage];
  const { md } = ctx;
  md.push(`## ${title}`);
  md.push('');
  const r = ctx.R[stage];
  if (!r) md.push(ctx.missing(stage));
  else {
    md.push(stageNote(r));
    md.push('');
    // The paragraph that explains the section's numbers, when it has one.
    if (intro !== undefined) md.push(intro, '');
  }
  return r;
}

/** The italic line under a section's heading: when and how its stage ran. */
export function stageNote(r: StageResult | undefined): string {
  return r ? `_${stageText(r)}._` : '';
}

export function stageText(r: StageResult): string {
  const s = r.settings;
  return `stage \`${r.stage}\`: ${r.createdAt.slice(0, 16).replace('T', ' ')} UTC, ${fx(r.durationMinutes, 1)} min, limit ${s.limit}${
    ['mlp', 'single', 'ablations', 'unseen'].includes(r.stage)
      ? `, budget ${s.budgetMinutes} min per trained model`
      : ''
  }${r.stage === 'mlp-converged' ? `, ${convergedBudget(r as StageResult<'mlp-converged'>)} per trained model` : ''}${
    r.stage === 'robustness'
      ? `, ${(r as StageResult<'robustness'>).limit} samples per dataset and level`
      : ''
  }${s.datasets !== 'all' ? `, datasets ${s.datasets.join(', ')}` : ''}`;
}

/** The mlp-converged stage's budget: to a validation plateau, within its caps. */
function convergedBudget(r: StageResult<'mlp-converged'>): string {
  const c = r.convergence;
  return `until val plateaus (patience ${c.valPatience} × ${c.valInterval} steps), ≤ ${c.maxSteps} steps, ≤ ${c.maxMinutes} min`;
}

/**
 * Renders docs/BENCHMARKS.md from the cached stage results: how to regenerate, the stages and
 * machine, then one section per stage (a stage not run says so), the "where LFM loses" findings, the
 * included notes and each stage's cost. Pure: the caller writes the markdown and the figures.
 */
export function renderReport(input: ReportInput): RenderedReport {
  const R = input.results;
  const present = STAGES.filter((s) => R[s]);
  const md: string[] = [];
  const figures = new Map<string, string>();
  const figure = (name: string, svg: string) => {
    figures.set(name, svg);
    return `benchmarks/${name}`;
  };
  const missing = (stage: Stage) => `_Not run yet: \`node scripts/benchmarks.mjs --stages ${stage}\`._`;
  const model: ModelMeta | undefined = R.eval?.model ?? measuredModel(R.robustness);
  const facts = new Map((R.eval?.facts ?? []).map((f) => [f.name, f]));
  const ctx: ReportContext = { input, R, md, facts, figure, missing };
  /** A stage of `present`. */
  const at = (s: Stage) => R[s] as StageResult;
  const smoke =
    present.some((s) => {
      const st = at(s).settings;
      return (typeof st.limit === 'number' && st.limit < 100) || st.budgetMinutes < 1;
    }) ||
    present.some((s) => at(s).settings.datasets !== 'all') ||
    (R['mlp-converged']?.convergence.maxMinutes ?? Infinity) < 1;

  md.push('# Benchmarks');
  md.push('');
  md.push(
    '_Generated by `scripts/benchmarks.mjs` from the cached results in `docs/benchmarks/results/`; do not edit by hand._',
  );
  md.push('');
  if (smoke) {
    md.push(
      '> **Smoke-test settings.** Some stages below ran with a small sample limit, a training budget under a minute or a subset of the datasets: their numbers check the pipeline, they are not results.',
    );
    md.push('');
  }
  md.push('## How to regenerate');
  md.push('');
  const commands: [string, string][] = [
    ['pnpm build', ''],
    [
      'node scripts/benchmarks.mjs',
      `every stage not cached yet (default: ${DEFAULT_BUDGET_MINUTES} min per trained model), then this file`,
    ],
    ['node scripts/benchmarks.mjs --stages eval,robustness --force', 'recompute some stages'],
    ['node scripts/benchmarks.mjs --verify', 'recompute every cached stage with its settings, compare'],
    ['node scripts/benchmarks.mjs --verify --runs runs/bench-verify', '… and retrain every arm from scratch'],
    ['node scripts/benchmarks.mjs --render-only', 'rebuild this file and the figures from the JSON'],
    [
      'node scripts/benchmarks.mjs --stages loo --loo-groups quadruped,faces --loo-train-only --loo-arms base',
      'train some leave-one-out models (one process per core)',
    ],
  ];
  const width = Math.max(...commands.map(([c]) => c.length));
  md.push('```sh');
  for (const [c, why] of commands) md.push(why ? `${c.padEnd(width)}  # ${why}` : c);
  md.push('```');
  md.push('');
  md.push(
    "The corpus is `../shared/data` (research data under its own terms, never copied here). Evaluation is the protocol of [PROTOCOL.md](PROTOCOL.md): `synthetic` (seed 0: a uniform random rotation, a pinhole camera at 6 RMS radii, f = 1000 px, so a shape spans about ±170 px) unless stated; **nPA-MPJPE** is unit-free (PA-MPJPE / the ground truth's RMS radius) and comparable across datasets; **PA-MPJPE** is in each dataset's units (column `units`). Means are unweighted over datasets. Evaluation is seeded and deterministic, and so is training for a given step count (same seed, batches and schedule): `--verify` recomputes every cached stage with its own settings and compares every metric, and with `--runs runs/bench-verify` it also retrains every arm from scratch for the step count recorded in the cached results. A fresh run at the same budget on another machine or under another load calibrates its own step count, so its trained arms agree with these only within training noise.",
  );
  md.push('');
  if (present.length > 0) {
    md.push('Stages in this report:');
    md.push('');
    md.push(
      table(
        [
          'stage',
          'run (UTC)',
          'minutes',
          'samples per dataset',
          'budget per trained model',
          'command',
          'load (1/5/15 min)',
        ],
        present.map((s) => {
          const r = at(s);
          return [
            s,
            r.createdAt.slice(0, 16).replace('T', ' '),
            fx(r.durationMinutes, 1),
            s === 'robustness'
              ? `${(r as StageResult<'robustness'>).limit}`
              : s === 'skeletons'
                ? '9 candidates'
                : String(r.settings.limit),
            ['mlp', 'single', 'ablations', 'unseen'].includes(s)
              ? `${r.settings.budgetMinutes} min`
              : s === 'mlp-converged'
                ? convergedBudget(r as StageResult<'mlp-converged'>)
                : '—',
            `\`${r.command}\``,
            r.machine.loadAverage.join(' / '),
          ];
        }),
      ),
    );
    md.push('');
    const machines = [
      ...new Set(
        present.map((s) => {
          const m = at(s).machine;
          return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}`;
        }),
      ),
    ];
    md.push(`Machine: ${machines.join('; ')}. Other jobs may have shared it (see the load).`);
    md.push('');
  }
  if (model) {
    md.push(
      `Model: \`${model.path}\` (sha256 \`${model.sha256.slice(0, 12)}…\`, ${(model.bytes / 1e6).toFixed(2)} MB, D=${model.config.dModel}, ${model.config.layers} layers, ${model.config.encoding}/${model.config.attention}, joint codes ${model.jointCodes ? `k=${model.jointCodes.k} for ${model.jointCodes.rigs} rigs` : 'none'}, trained ${model.step ?? '?'} steps on ${model.trainedOn ? model.trainedOn.length : '?'} datasets).`,
    );
    // Stale: measured on another file than the one at the model path now (or than the eval stage's).
    const now = input.currentModelSha ?? model.sha256;
    const stale = present.filter((s) => {
      const measured = measuredModel(at(s))?.sha256;
      return measured && measured !== now;
    });
    if (stale.length > 0)
      md.push(
        `> **Stale:** stages ${stale.join(', ')} measured a model file other than the current \`${input.modelPath}\` (sha256 \`${now.slice(0, 12)}…\`); rerun them: \`node scripts/benchmarks.mjs --force --stages ${stale.join(',')}\`.`,
      );
    md.push('');
  }
  perSplitSection(ctx);
  realSection(ctx);
  ablationsSection(ctx);
  robustnessSection(ctx);
  unseenSection(ctx);
  skeletonsSection(ctx);

  md.push('## Where LFM loses, and why');
  md.push('');
  md.push(...losses(R, facts));
  md.push('');

  const loo = stageSection(ctx, 'Leave-one-out generalisation (categories never trained on)', 'loo');
  if (loo) md.push(...looSection(loo));

  includedSection(ctx);
  costSection(ctx, present);
  md.push('');
  const markdown = md
    .join('\n')
    .replace(/\n(#+ )/g, '\n\n$1')
    .replace(/\n{3,}/g, '\n\n');
  return { markdown, figures };
}

/** The real-camera protocol (h36m-cams). */
export function realSection(ctx: ReportContext): void {
  const { R, md, facts, missing } = ctx;
  md.push('## Real cameras (h36m-cams)');
  md.push('');
  if (!R.real) md.push(missing('real'));
  else if (R.real.rows.length === 0) md.push(`_${R.real.note}_`);
  else {
    md.push(stageNote(R.real));
    md.push('');
    md.push(
      table(
        ['model', 'protocol', 'camera', 'dataset', 'samples', 'PA-MPJPE', 'nPA-MPJPE'],
        R.real.rows.map((r) => [
          r.model,
          r.protocol,
          r.camera,
          r.name,
          String(r.samples),
          `${fu(r.paMpjpe)} ${shortUnits(facts.get(r.name)?.units ?? '')}`,
          fx(r.nPaMpjpe),
        ]),
      ),
    );
    md.push('');
    md.push(
      "`real` feeds each real camera's 2D observation (views.f32); the sources give no intrinsics, so only the rotation-invariant metrics are reported (mpjpe needs the camera). `synthetic` is the same frames under the synthetic protocol. h36m-cams is subject S1, whose 3D frames are in h36m-body's train split: this measures the 2D domain gap (real detections/cameras vs synthetic projections), not generalisation to new poses.",
    );
    md.push('');
  }
}
