import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fu, fx, rowOf, shortUnits, table } from '../markdown.js';
import { skeletonSvg } from '../plots.js';
import { armsOf } from './cache.js';
import type { ReportContext } from './report.js';
import { stageSection } from './report.js';
import type { Stage, StageResult } from './types.js';

/** Unseen rigs, rig identity (joint codes) and rig transfer by training. */
export function unseenSection(ctx: ReportContext): void {
  const { R, md, facts } = ctx;
  const u = stageSection(ctx, 'Unseen rigs and rig transfer', 'unseen');
  if (u) {
    md.push(
      `Seen = the model's training data (${u.seenSource}: ${u.seen.length} datasets). Not seen: ${u.unseen.join(', ') || 'none'}.`,
    );
    md.push('');
    if (u.lfm) {
      md.push(
        table(
          [
            'dataset',
            'category',
            'samples',
            'LFM nPA',
            'LFM PA',
            'mean shape nPA (fitted on its own train split)',
            'per-rig MLP nPA (trained on it)',
          ],
          u.lfm.datasets.map((d) => {
            const ms = rowOf(u.meanShape, d.name);
            return [
              d.name,
              d.category,
              String(d.samples),
              fx(d.nPaMpjpe),
              `${fu(d.paMpjpe)} ${shortUnits(facts.get(d.name)?.units)}`,
              fx(ms?.nPaMpjpe),
              fx(rowOf(R.mlp?.report, d.name)?.nPaMpjpe),
            ];
          }),
        ),
      );
      md.push('');
      md.push(
        "The baselines here are oracles for an unseen rig: they are fitted on that rig's own training frames, which the LFM never saw.",
      );
      md.push('');
    }
    md.push('### Rig identity (joint codes)');
    md.push('');
    if (!u.codes.available) md.push(`_Not measured: ${u.codes.reason}._`);
    else {
      md.push(
        `The model with its joint codes (k = ${u.codes.k}) for a rig it knows, against zero codes for that rig (the rig treated as unknown; every other input the same).`,
      );
      md.push('');
      md.push(
        table(
          ['dataset', 'category', 'nPA with codes', 'nPA without', 'change'],
          u.codes.rows.map((r) => [
            r.name,
            r.category,
            fx(r.withCodes?.nPaMpjpe),
            fx(r.withoutCodes?.nPaMpjpe),
            r.withCodes && r.withoutCodes
              ? `${fx((100 * (r.withoutCodes.nPaMpjpe! - r.withCodes.nPaMpjpe!)) / r.withCodes.nPaMpjpe!, 1)} %`
              : '—',
          ]),
        ),
      );
    }
    md.push('');
    md.push('### Train without a rig, test on it');
    md.push('');
    if (u.holdout.length === 0)
      md.push(
        `_Not run (${u.holdoutSkipped.length ? `not loaded: ${u.holdoutSkipped.join(', ')}` : '--holdout none'})._`,
      );
    else {
      md.push(
        table(
          [
            'held-out rig',
            'samples',
            'nPA, trained without it',
            'nPA, combined (with it)',
            'steps / minutes (without)',
          ],
          u.holdout.map((h) => [
            h.name,
            String(h.without?.samples ?? '—'),
            fx(h.without?.nPaMpjpe),
            fx(h.combined?.nPaMpjpe),
            `${h.arm.steps} / ${fx(h.arm.minutes, 1)}`,
          ]),
        ),
      );
      md.push('');
      md.push(
        "Both arms use the combined recipe and the same budget; only the held-out rig's training data differs.",
      );
    }
    md.push('');
  }
}

/** One rendered skeleton per category. */
export function skeletonsSection(ctx: ReportContext): void {
  const { md, figure } = ctx;
  const sk = stageSection(ctx, 'Rendered skeletons', 'skeletons');
  if (sk) {
    for (const s of sk.samples) {
      const svg = skeletonSvg({
        title: `${s.category} — ${s.dataset}, test frame ${s.frame}`,
        subtitle: `nPA-MPJPE ${fx(s.nPaMpjpe)}, PA-MPJPE ${fu(s.paMpjpe)} ${shortUnits(s.units)} (median of ${s.candidates} samples)`,
        groundTruth: s.gt,
        prediction: s.pred,
        mask: s.mask,
        edges: s.edges,
        ...(s.up && { up: s.up }),
      });
      md.push(`![${s.category}](${figure(`skeleton-${s.category}.svg`, svg)})`);
      md.push('');
    }
  }
}

/** The notes of docs/benchmarks/ the report includes: file, section title, where it comes from. */
export const INCLUDED_NOTES: readonly (readonly [string, string, string])[] = [
  [
    'research.md',
    'Recipe research notes (generalisation, scale, adaptation)',
    'written by hand with the command of every number',
  ],
  [
    'scaling.md',
    'Scaling study (model shape × samples)',
    '`node scripts/scaling-study.mjs --held-out ../shared/data/dog-body`; figure [benchmarks/scaling.svg](benchmarks/scaling.svg)',
  ],
  [
    'adapt.md',
    '`lfm adapt` on held-out groups (2D only)',
    '`node scripts/adapt-bench.mjs` (command in [benchmarks/results/adapt.json](benchmarks/results/adapt.json))',
  ],
  [
    'smoothing.md',
    'Temporal smoothing of sequences (h36m-cams)',
    '`node scripts/smoothing-bench.mjs`: `lfm lift --smooth one-euro` and the depth-flip fixer on the real 4-camera sequences',
  ],
];

/** The notes of `dir` (docs/benchmarks/) that exist, by file name, for `ReportInput.included`. */
export function readIncludedNotes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file] of INCLUDED_NOTES) {
    const path = join(dir, file);
    if (existsSync(path)) out[file] = readFileSync(path, 'utf8');
  }
  return out;
}

/** The notes other scripts write into docs/benchmarks/, included verbatim (their own first heading dropped). */
export function includedSection(ctx: ReportContext): void {
  const { input, md } = ctx;
  for (const [file, title, from] of INCLUDED_NOTES) {
    const text = input.included[file];
    if (text === undefined) continue;
    md.push(`## ${title}`);
    md.push('');
    md.push(`_From ${from} (its own file, [benchmarks/${file}](benchmarks/${file}), included here)._`);
    md.push('');
    md.push(text.replace(/^#[^\n]*\n/, '').trim());
    md.push('');
  }
}

/** What each stage cost: minutes, trained models, training minutes. */
export function costSection(ctx: ReportContext, present: readonly Stage[]): void {
  const { R, md } = ctx;
  md.push('## Cost of each stage');
  md.push('');
  if (present.length === 0) md.push('_Nothing run yet._');
  else {
    md.push(
      table(
        ['stage', 'minutes', 'trained models', 'training minutes'],
        present.map((s) => {
          const r = R[s] as StageResult;
          const arms = armsOf(s, r);
          return [
            s,
            fx(r.durationMinutes, 1),
            String(arms.length),
            fx(
              arms.reduce((a, x) => a + (x.minutes ?? 0), 0),
              1,
            ),
          ];
        }),
      ),
    );
    md.push('');
    md.push(
      'Trained arms are shared between stages (the combined arm serves `single`, `ablations` and `unseen`) and reused from `runs/bench/` when present, so a stage that found its runs trained costs only its evaluation.',
    );
  }
}
