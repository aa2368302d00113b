import type { EvalReport, EvalRow } from '@lfm/trainer';
import { fx, mean, rowOf, upperMedian } from '../markdown.js';
import type { DatasetFacts, RobustnessLevel, RobustnessPayload, StageResults } from './types.js';

/** A comparison the LFM loses on a test split. */
interface Loss {
  readonly d: EvalRow;
  readonly who: string;
  readonly b: EvalRow;
  readonly ratio: number;
}

import { groupOf } from './types.js';

/** "Where LFM loses": every comparison the numbers support, with the facts that go with it (no fixed conclusions). */
export function losses(R: StageResults, facts: ReadonlyMap<string, DatasetFacts>): string[] {
  if (!R.eval) return ['_Needs the `eval` stage._'];
  const out: string[] = [];
  const lfm = R.eval.report.datasets;
  const comparisons: [string, EvalReport | undefined][] = [
    ['the mean shape', R.baselines?.report],
    ['the per-rig MLP', R.mlp?.report],
    ['the per-rig MLP trained to convergence', R['mlp-converged']?.report],
  ];
  const lost: Loss[] = [];
  for (const d of lfm) {
    for (const [who, rep] of comparisons) {
      const b = rowOf(rep, d.name);
      if (b?.nPaMpjpe == null || d.nPaMpjpe == null) continue;
      if (d.nPaMpjpe > b.nPaMpjpe) lost.push({ d, who, b, ratio: d.nPaMpjpe / b.nPaMpjpe });
    }
  }
  const wins = lfm.filter((d) =>
    comparisons.every(([, rep]) => {
      const b = rowOf(rep, d.name);
      return b?.nPaMpjpe == null || (d.nPaMpjpe as number) <= b.nPaMpjpe;
    }),
  );
  const nBase = comparisons.filter(([, r]) => r).length;
  if (nBase === 0) return ['_Needs the `baselines` and/or `mlp` stages._'];
  out.push(
    `Per test split, nPA-MPJPE. The LFM (\`${R.eval.model.path}\`) is at least as good as every available baseline (${comparisons
      .filter(([, r]) => r)
      .map(([w]) => w)
      .join(
        ', ',
      )}) on ${wins.length} of ${lfm.length} test splits${wins.length ? ` (${wins.map((d) => d.name).join(', ')})` : ''}, and loses ${lost.length} comparison${lost.length === 1 ? '' : 's'} on ${new Set(lost.map((l) => l.d.name)).size} datasets (worst ratio first; the facts listed are measured, not a diagnosis):`,
  );
  out.push('');
  const medianTrain = upperMedian([...facts.values()].map((f) => f.trainFrames));
  // One bullet per dataset, worst ratio first: the comparisons it loses, then the facts that go with it.
  const byDataset = new Map<string, Loss[]>();
  for (const l of lost) byDataset.set(l.d.name, [...(byDataset.get(l.d.name) ?? []), l]);
  const ordered = [...byDataset.values()].sort(
    (a, c) => Math.max(...c.map((l) => l.ratio)) - Math.max(...a.map((l) => l.ratio)),
  );
  for (const ls of ordered) {
    const d = ls[0]!.d;
    const f = facts.get(d.name);
    const worst = Math.max(...ls.map((l) => l.ratio));
    const facts_: string[] = [];
    if (d.samples < 5) {
      facts_.push(`only ${d.samples} test sample${d.samples === 1 ? '' : 's'}: anecdotal either way`);
    } else if (d.samples < 30 && worst < 1.3) {
      facts_.push(`a small gap on ${d.samples} test samples, possibly sampling noise`);
    }
    if (f && !f.seen && f.trainFrames > 0)
      facts_.push('a rig the LFM never trained on, while the baselines were fitted on it');
    const ms = ls.find((l) => l.who === 'the mean shape');
    if (ms && (ms.b.nPaMpjpe as number) < 0.1)
      facts_.push(
        `the mean shape alone reaches nPA ${fx(ms.b.nPaMpjpe)}, i.e. the rig's shapes vary little about their mean`,
      );
    if (f && f.trainFrames < medianTrain / 10)
      facts_.push(`${f.trainFrames} training frames (median over the datasets: ${medianTrain})`);
    if (f && f.bones === 0)
      facts_.push('no bones in its meta.json (local attention runs on a kNN graph of the 2D)');
    if (f && f.symmetryPairs > 0 && R.eval.model?.jointCodes == null)
      facts_.push(
        `${f.symmetryPairs} left/right pairs, and the model takes no joint identity (no joint codes)`,
      );
    const abl = bestAblation(R, d.name);
    if (abl)
      facts_.push(
        `at equal budget the "${abl.label}" arm does better here (${fx(abl.v)} vs the base recipe's ${fx(abl.base)})`,
      );
    const sg = R.single?.groups.flatMap((g) => g.report.datasets).find((x) => x.name === d.name);
    const cb = rowOf(R.single?.combined.report, d.name);
    if (sg && cb && (sg.nPaMpjpe as number) < (cb.nPaMpjpe as number))
      facts_.push(
        `training on its category alone beats combined training at equal budget (${fx(sg.nPaMpjpe)} vs ${fx(cb.nPaMpjpe)})`,
      );
    const vs = ls.map((l) => `${l.who} ${fx(l.b.nPaMpjpe)} (×${l.ratio.toFixed(2)})`).join(', ');
    out.push(
      `- **${d.name}** (${d.category}): LFM ${fx(d.nPaMpjpe)} vs ${vs}.${facts_.length ? ` ${facts_.join('; ')}.` : ''}`.replace(
        /\. ([a-z])/,
        (_, c) => `. ${c.toUpperCase()}`,
      ),
    );
  }
  const single = R.single;
  if (single) {
    out.push('');
    const pairs = single.groups.flatMap((g) =>
      g.report.datasets.map((s) => ({ s, c: rowOf(single.combined.report, s.name), g: g.group })),
    );
    const better = pairs.filter((p) => p.c && (p.s.nPaMpjpe as number) < (p.c.nPaMpjpe as number));
    out.push(
      `Combined vs single-category training at equal budget: combined is better on ${pairs.length - better.length} of ${pairs.length} test splits${
        better.length
          ? `; single-category is better on ${better.map((p) => `${p.s.name} (${fx(p.s.nPaMpjpe)} vs ${fx(p.c!.nPaMpjpe)})`).join(', ')}`
          : ''
      }. Note that at equal wall-clock a single-category model sees its category's data several times more often than the combined one.`,
    );
  }
  if (R.robustness) {
    out.push('');
    out.push('Robustness (nPA-MPJPE, means over datasets; per category in the Robustness section):');
    out.push('');
    out.push(...robustnessFindings(R.robustness));
  }
  return out;
}

/** Robustness, from the numbers: growth per category, and where the LFM falls behind the mean shape. */
function robustnessFindings(rb: RobustnessPayload): string[] {
  const out: string[] = [];
  const sweeps: [readonly RobustnessLevel[], string, (l: RobustnessLevel) => string][] = [
    [
      rb.occlusion,
      'occlusion',
      (l) => `${Math.round((l as (typeof rb.occlusion)[number]).fraction * 100)} %`,
    ],
    [rb.noise, 'noise', (l) => `σ = ${(l as (typeof rb.noise)[number]).noisePx} px`],
  ];
  for (const [levels, what, x] of sweeps) {
    const first = levels[0]!;
    const last = levels.at(-1)!;
    const groups = [...new Set(first.lfm.datasets.map((d) => groupOf(d.category)))];
    const byGroup = (l: RobustnessLevel, g: string) =>
      mean(l.lfm.datasets.filter((d) => groupOf(d.category) === g).map((d) => d.nPaMpjpe));
    const growth = groups
      .map((g) => ({ g, a: byGroup(first, g), b: byGroup(last, g) }))
      .filter((r) => r.a && r.b)
      .map((r) => ({ ...r, rel: r.b! / r.a! }))
      .sort((p, q) => q.rel - p.rel);
    const behind: string[] = [];
    for (const d of first.lfm.datasets) {
      const ms0 = rowOf(first.meanShape, d.name)?.nPaMpjpe;
      if (ms0 == null || !((d.nPaMpjpe as number) < ms0)) continue; // only where the LFM starts ahead
      // As in JS: a missing (undefined) metric compares false, a null one as 0.
      const l = levels.find(
        (lv) =>
          (rowOf(lv.lfm, d.name)?.nPaMpjpe as number) > (rowOf(lv.meanShape, d.name)?.nPaMpjpe as number),
      );
      if (l) behind.push(`${d.name} from ${x(l)}`);
    }
    const fmtG = (r: { g: string; a: number | null; b: number | null; rel: number }) =>
      `${r.g} ×${r.rel.toFixed(2)} (${fx(r.a)} → ${fx(r.b)})`;
    out.push(
      `- **${what}** (${x(first)} → ${x(last)}): mean nPA-MPJPE ${fx(first.lfm.mean.nPaMpjpe)} → ${fx(last.lfm.mean.nPaMpjpe)} (mean shape ${fx(first.meanShape.mean.nPaMpjpe)} → ${fx(last.meanShape.mean.nPaMpjpe)}). ` +
        (growth.length > 0
          ? `Most sensitive: ${growth.slice(0, 2).map(fmtG).join(', ')}; least: ${fmtG(growth.at(-1)!)}. `
          : '') +
        (behind.length > 0
          ? `Where the LFM beats the mean shape unperturbed, it falls behind on ${behind.join(', ')}.`
          : 'Where the LFM beats the mean shape unperturbed, it stays ahead at every level.'),
    );
  }
  return out;
}

function bestAblation(R: StageResults, name: string): { label: string; v: number; base: number } | null {
  if (!R.ablations) return null;
  const arms = R.ablations.arms;
  const base = rowOf(arms[0]!.report, name)?.nPaMpjpe;
  let best: { label: string; v: number; base: number } | null = null;
  for (const a of arms.slice(1)) {
    const v = rowOf(a.report, name)?.nPaMpjpe;
    if (v != null && base != null && v < base && (!best || v < best.v)) best = { label: a.label, v, base };
  }
  return best;
}
