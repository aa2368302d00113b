import type { EvalReport, EvalRow } from '@lfm/trainer';
import { fu, fx, mean, rowOf, shortUnits, table } from '../markdown.js';
import { type BarSeries, barChartSvg, type LineSeries, lineChartSvg } from '../plots.js';
import type { ReportContext } from './report.js';
import { stageSection, stageText } from './report.js';
import { groupOf, type RobustnessLevel, type StageResult } from './types.js';

/** The per-test-split table of every model, its note and bar chart. */
export function perSplitSection(ctx: ReportContext): void {
  const { input, R, md, facts, figure } = ctx;
  const ev = stageSection(ctx, 'Per test split', 'eval');
  if (ev) {
    // The converged MLP's column only when its stage ran (the table is otherwise as before it existed).
    const conv = R['mlp-converged'];
    const single = new Map();
    for (const g of R.single?.groups ?? [])
      for (const d of g.report.datasets) single.set(d.name, { ...d, group: g.group });
    const rows = ev.report.datasets.map((d) => {
      const f = facts.get(d.name);
      const ms = rowOf(R.baselines?.report, d.name);
      const mlp = rowOf(R.mlp?.report, d.name);
      const mc = rowOf(conv?.report, d.name);
      const sg = single.get(d.name);
      const cb = rowOf(R.single?.combined.report, d.name);
      const best = Math.min(...[d, ms, mlp, mc, cb, sg].map((r) => r?.nPaMpjpe ?? Infinity));
      const b = (r: EvalRow | undefined) => (r?.nPaMpjpe === best ? `**${fx(best)}**` : fx(r?.nPaMpjpe));
      return [
        `${d.name}${!f ? '' : f.trainFrames === 0 ? ' (test only)' : f.seen ? '' : ' (unseen)'}`,
        d.category,
        String(d.samples),
        shortUnits(f?.units),
        b(d),
        fu(d.paMpjpe),
        b(ms),
        fu(ms?.paMpjpe),
        b(mlp),
        fu(mlp?.paMpjpe),
        ...(conv ? [b(mc)] : []),
        b(cb),
        b(sg),
      ];
    });
    // Means over the datasets every measured column has, so that the columns compare.
    const columns: ({ readonly datasets: readonly EvalRow[] } | undefined)[] = [
      ev.report,
      R.baselines?.report,
      R.mlp?.report,
      R.single?.combined.report,
      R.single && { datasets: [...single.values()] },
      conv?.report,
    ];
    const common = ev.report.datasets
      .map((d) => d.name)
      .filter((n) => columns.every((c) => !c || rowOf(c, n)?.nPaMpjpe != null));
    const col = (c: { readonly datasets: readonly EvalRow[] } | undefined) =>
      c ? fx(mean(common.map((n) => rowOf(c, n)!.nPaMpjpe))) : '—';
    const left = ev.report.datasets.length - common.length;
    rows.push([
      `**mean over ${common.length} datasets**${left > 0 ? ` (those every column has; ${left} left out)` : ''}`,
      '',
      '',
      '',
      col(columns[0]),
      '',
      col(columns[1]),
      '',
      col(columns[2]),
      '',
      ...(conv ? [col(columns[5])] : []),
      col(columns[3]),
      col(columns[4]),
    ]);
    md.push(
      table(
        [
          'dataset',
          'category',
          'samples',
          'units',
          'LFM nPA',
          'LFM PA',
          'mean shape nPA',
          'mean shape PA',
          'MLP nPA',
          'MLP PA',
          ...(conv ? ['MLP converged nPA'] : []),
          `combined @budget nPA`,
          'single-category @budget nPA',
        ],
        rows,
      ),
    );
    md.push('');
    md.push(
      `LFM = \`${ev.model.path}\`. Mean shape = the Procrustes mean of the rig's train split (it knows the joint labels; ${R.baselines ? stageText(R.baselines) : 'not run yet'}). MLP = a per-rig MLP lifter (SimpleBaseline style) trained on the rig's train split for the budget (${R.mlp ? stageText(R.mlp) : 'not run yet'}).${conv ? ` MLP converged = the same MLP and training config trained until its validation plateaued (${stageText(conv)}; see below).` : ''} combined @budget = the combined recipe (\`${R.single?.settings.baseConfig ?? input.baseConfigPath}\`) retrained for the same budget as one MLP, and single-category @budget = the same recipe trained on the dataset's category alone (rigid PASCAL3D+ classes form one group) for the same budget: the paper's claim that combined training helps is the comparison of these two columns. Unseen = not in the model's training data; test only = a dataset with no train split.`,
    );
    md.push('');
    const cats = ev.report.datasets.map((d) => d.name);
    const series: BarSeries[] = [{ name: 'LFM', values: ev.report.datasets.map((d) => d.nPaMpjpe) }];
    const { baselines, mlp, single: sg } = R;
    if (baselines)
      series.push({
        name: 'mean shape',
        values: cats.map((n) => rowOf(baselines.report, n)?.nPaMpjpe ?? null),
      });
    if (mlp)
      series.push({ name: 'per-rig MLP', values: cats.map((n) => rowOf(mlp.report, n)?.nPaMpjpe ?? null) });
    if (conv)
      series.push({
        name: 'per-rig MLP, converged',
        values: cats.map((n) => rowOf(conv.report, n)?.nPaMpjpe ?? null),
      });
    if (sg) {
      series.push({
        name: 'combined @budget',
        values: cats.map((n) => rowOf(sg.combined.report, n)?.nPaMpjpe ?? null),
      });
      series.push({
        name: 'single-category @budget',
        values: cats.map((n) => single.get(n)?.nPaMpjpe ?? null),
      });
    }
    const all = series.flatMap((s) => s.values).filter((v) => v !== null);
    const cap = Math.min(Math.max(...all), 1.0);
    md.push(
      `![nPA-MPJPE per dataset](${figure('npa-per-dataset.svg', barChartSvg({ title: 'nPA-MPJPE per test split (lower is better)', categories: cats, series, yLabel: 'nPA-MPJPE', yMax: cap }))})`,
    );
    md.push('');
    if (conv) md.push(...convergedLines(conv, R.mlp?.report));
  }
}

/** The converged MLPs' runs: how long each trained, why it stopped, and its test score beside the budget MLP's. */
export function convergedLines(
  conv: StageResult<'mlp-converged'>,
  atBudget: EvalReport | undefined,
): string[] {
  const c = conv.convergence;
  const stops = new Map<string, number>();
  for (const a of conv.arms) stops.set(a.stoppedBy ?? '?', (stops.get(a.stoppedBy ?? '?') ?? 0) + 1);
  return [
    '### Per-rig MLP trained to convergence',
    '',
    `Each MLP has the \`mlp\` stage's training config and trains on its rig's train split until its validation plateaus: val nPA-MPJPE (the val split, synthetic protocol) every ${c.valInterval} steps, stopped after ${c.valPatience} validations in a row that did not improve the best by more than ${c.valMinDelta}, within ${c.maxSteps} steps (the length of its cosine schedule) and ${c.maxMinutes} min over all its sessions. It is evaluated from the checkpoint of its best validation (\`best.ckpt\`; \`last.ckpt\` when it never validated). Stopped by: ${[...stops].map(([k, n]) => `${k} ${n}`).join(', ')} (plateau = converged; time = its time cap came first; steps = its step cap came first).${conv.skipped.length > 0 ? ` No val split, not trained: ${conv.skipped.join(', ')}.` : ''}`,
    '',
    table(
      [
        'dataset',
        'steps',
        'samples',
        'minutes',
        'stopped by',
        'evaluated',
        'best val nPA',
        'test nPA',
        'MLP @budget test nPA',
      ],
      conv.arms.map((a) => {
        const name = a.datasets[0]!;
        return [
          name,
          `${a.steps}/${a.plannedSteps}`,
          String(a.samples),
          fx(a.minutes, 1),
          a.stoppedBy ?? '—',
          a.evaluated ? `${a.evaluated.checkpoint} @${a.evaluated.step}` : 'last.ckpt',
          fx(a.evaluated?.valNPaMpjpe ?? null),
          fx(rowOf(conv.report, name)?.nPaMpjpe),
          fx(rowOf(atBudget, name)?.nPaMpjpe),
        ];
      }),
    ),
    '',
  ];
}

/** The ablation arms at equal budget. */
export function ablationsSection(ctx: ReportContext): void {
  const { md, figure } = ctx;
  const ab = stageSection(ctx, 'Ablations at equal budget', 'ablations');
  if (ab) {
    const arms = ab.arms;
    const seenNames = new Set(arms[0]!.arm.datasets);
    const split = (rep: EvalReport, seen: boolean) =>
      mean(rep.datasets.filter((d) => seenNames.has(d.name) === seen).map((d) => d.nPaMpjpe));
    md.push(
      table(
        [
          'arm',
          'change',
          'steps',
          'minutes',
          'mean nPA (trained rigs)',
          'mean nPA (other rigs)',
          'mean nPA (all)',
        ],
        arms.map((a) => [
          a.label,
          a.change,
          `${a.arm.steps}/${a.arm.plannedSteps}`,
          fx(a.arm.minutes, 1),
          fx(split(a.report, true)),
          fx(split(a.report, false)),
          fx(a.report.mean.nPaMpjpe),
        ]),
      ),
    );
    md.push('');
    const names = arms[0]!.report.datasets.map((d) => d.name);
    md.push(
      table(
        ['dataset', ...arms.map((a) => a.label)],
        names.map((n) => {
          const vals = arms.map((a) => rowOf(a.report, n)?.nPaMpjpe ?? null);
          const best = Math.min(...vals.filter((v) => v !== null));
          return [
            `${n}${seenNames.has(n) ? '' : ' (not trained on)'}`,
            ...vals.map((v) => (v === best ? `**${fx(v)}**` : fx(v))),
          ];
        }),
      ),
    );
    md.push('');
    md.push(
      `Each arm is the combined recipe (\`${ab.settings.baseConfig}\`) with one change, trained on the same data for the same wall-clock budget (a cosine schedule whose length comes from a throughput calibration of that arm, capped at 1.25× the budget), evaluated on every test split (nPA-MPJPE; best per row in bold).`,
    );
    md.push('');
    md.push(
      `![ablations](${figure('ablations.svg', barChartSvg({ title: 'Ablations: nPA-MPJPE per test split (equal budget)', categories: names, series: arms.map((a) => ({ name: a.label, values: names.map((n) => rowOf(a.report, n)?.nPaMpjpe ?? null) })), yLabel: 'nPA-MPJPE', yMax: 1 }))})`,
    );
    // (The next section's heading brings its blank line: `renderReport` puts one before every heading.)
  }
}

/** Occlusion and 2D-noise sweeps: tables and line charts. */
export function robustnessSection(ctx: ReportContext): void {
  const { md, figure } = ctx;
  const rb = stageSection(ctx, 'Robustness', 'robustness');
  if (rb) {
    const categories = [...new Set(rb.occlusion[0]!.lfm.datasets.map((d) => groupOf(d.category)))].sort();
    const lines = <L extends RobustnessLevel>(levels: readonly L[], x: (l: L) => number): LineSeries[] => {
      const s: LineSeries[] = categories.map((c) => ({
        name: c,
        points: levels.map((l): [number, number | null] => [
          x(l),
          mean(l.lfm.datasets.filter((d) => groupOf(d.category) === c).map((d) => d.nPaMpjpe)),
        ]),
      }));
      s.push({ name: 'LFM, mean', points: levels.map((l) => [x(l), l.lfm.mean.nPaMpjpe]), color: '#000000' });
      s.push({
        name: 'mean shape, mean',
        points: levels.map((l) => [x(l), l.meanShape.mean.nPaMpjpe]),
        color: '#000000',
        dashed: true,
      });
      return s;
    };
    const tab = <L extends RobustnessLevel>(levels: readonly L[], x: (l: L) => number, head: string) =>
      table(
        [head, 'LFM mean nPA', 'mean-shape mean nPA', ...categories.map((c) => `LFM ${c}`)],
        levels.map((l) => [
          String(x(l)),
          fx(l.lfm.mean.nPaMpjpe),
          fx(l.meanShape.mean.nPaMpjpe),
          ...categories.map((c) =>
            fx(mean(l.lfm.datasets.filter((d) => groupOf(d.category) === c).map((d) => d.nPaMpjpe))),
          ),
        ]),
      );
    const sweep = <L extends RobustnessLevel>(
      heading: string,
      levels: readonly L[],
      x: (l: L) => number,
      column: string,
      [file, alt, title, xLabel]: readonly [string, string, string, string],
    ) => {
      md.push(`### ${heading}`, '', tab(levels, x, column), '');
      const svg = lineChartSvg({ title, xLabel, yLabel: 'nPA-MPJPE', series: lines(levels, x), width: 760 });
      md.push(`![${alt}](${figure(file, svg)})`);
    };
    sweep('Occluded points', rb.occlusion, (l) => l.fraction, 'occluded fraction', [
      'robustness-occlusion.svg',
      'error vs occlusion',
      'nPA-MPJPE vs occluded fraction (per category: LFM)',
      'fraction of visible joints hidden',
    ]);
    md.push('');
    sweep('2D noise', rb.noise, (l) => l.noisePx, 'σ (px)', [
      'robustness-noise.svg',
      'error vs noise',
      'nPA-MPJPE vs 2D noise (per category: LFM)',
      'Gaussian noise σ (px; shapes span about ±170 px)',
    ]);
    md.push('');
  }
}
