import { fx, table } from '../markdown.js';
import type { LooArmResult, LooPayload, LooScore } from './types.js';

/** A recipe arm of the leave-one-out stage: what it changes, as overrides of the base training config. */
export interface LooArm {
  readonly change: string;
  readonly overrides: Readonly<Record<string, unknown>> & {
    readonly model?: Readonly<Record<string, unknown>>;
  };
}

// Leave-one-out generalisation: each group is held out of training and lifted with no joint codes.
export const LOO_GROUPS: Readonly<Record<string, readonly string[]>> = {
  quadruped: ['dog-body'],
  hand: ['realworld-hand'],
  faces: ['aflw-face', 'torresani-face', 'frgc-face'],
  'human-new-rig': ['cmu-body'],
  // A second new human rig (joints named like Mixamo's), for recipes that name joints (anatomicalCodes).
  'human-bandai': ['bandai-body'],
  'human-markers': ['akhter-markers', 'akhter-dance'],
  rigid: ['pascal3d-aeroplane', 'pascal3d-bicycle', 'pascal3d-chair'],
  shark: ['torresani-shark'],
};
// The shape-space augmentation of the loo arms that use it (@lfm/datasets AugmentOptions).
export const SHAPE_AUGMENT = {
  boneScale: { probability: 0.5, maxLog: 0.2 },
  anisotropic: { probability: 0.3, maxLog: 0.15 },
  rearticulate: { probability: 0.3, maxAngle: 30 },
  mirror: { probability: 0.5 },
  knnGraph: { probability: 0.2 },
  occlusion: { probability: 0.5, maxFraction: 0.5 },
};
// Recipe arms of the leave-one-out benchmark: overrides of the base training config (--loo-base-config).
// Each arm extends the one before it; the key order is part of the run's hash (its runs/bench folder).
const MIRROR = { jointCodeDropout: 0.5, mirrorLoss: true } as const;
const AUG = { ...MIRROR, augment: SHAPE_AUGMENT } as const;
const AUG_PROCEDURAL = { ...AUG, procedural: { creatures: 40, rigid: 20 } } as const;
const PAIRS = { ...AUG_PROCEDURAL, pairsDropout: 0.2 } as const;
export const LOO_ARMS: Readonly<Record<string, LooArm>> = {
  base: { change: 'none (the base config)', overrides: {} },
  mirror: {
    change: 'jointCodeDropout 0.5 + mirror-invariant loss for code-less samples',
    overrides: MIRROR,
  },
  'mirror-sides': {
    change: 'as mirror, + side codes (left/right/centre) for half the code-dropped samples',
    overrides: { ...MIRROR, sideCodes: 0.5 },
  },
  aug: {
    change:
      'as mirror, + shape-space augmentation (bone scaling, anisotropic scaling, re-articulation, L/R mirroring, kNN graph for 20 %, occlusion up to 50 %)',
    overrides: AUG,
  },
  'aug-procedural': {
    change:
      'as aug, + procedural categories (40 random articulated creatures, 20 rigid objects on primitives)',
    overrides: AUG_PROCEDURAL,
  },
  'aug-procedural-structural': {
    change: 'as aug-procedural, + the random-walk structural encoding (K = 8) of the graph',
    overrides: { ...AUG_PROCEDURAL, model: { structural: 8 } },
  },
  'aug-procedural-pairs': {
    change:
      'as aug-procedural, + the mirror-partner input (each joint sees the 2D offset to its left/right partner; dropped for 20 % of samples)',
    overrides: { ...PAIRS, model: { mirrorPairs: true } },
  },
  'aug-procedural-pairs-inferred': {
    change:
      "as aug-procedural-pairs, + training rigs that declare no mirror pairs get those of their 3D mean shape's bilateral symmetry (`inferPairs`)",
    overrides: { ...PAIRS, inferPairs: true, model: { mirrorPairs: true } },
  },
  'aug-procedural-pairs-anatomical': {
    change:
      'as aug-procedural-pairs, + anatomical joint codes (a joint named like a knee gets the knee code of its category, whatever the rig) zeroed at 10–60 % of the joints of 30 % of the samples',
    overrides: { ...PAIRS, anatomicalCodes: true, partialCodes: 0.3, model: { mirrorPairs: true } },
  },
  'aug-procedural-pairs-anatomical-named': {
    change:
      'as aug-procedural-pairs-anatomical, but only rigs with anatomically named joints are partly zeroed (partialCodesRigs named: numbered rigs such as aflw-face keep whole tables)',
    overrides: {
      ...PAIRS,
      anatomicalCodes: true,
      partialCodes: 0.3,
      partialCodesRigs: 'named',
      model: { mirrorPairs: true },
    },
  },
  'aug-procedural-pairs-anatomical-whole': {
    change: 'as aug-procedural-pairs-anatomical, but codes never partly zeroed (partialCodes 0)',
    overrides: { ...PAIRS, anatomicalCodes: true, model: { mirrorPairs: true } },
  },
  'aug-procedural-pairs-structural': {
    change: 'as aug-procedural-pairs, + the random-walk structural encoding (K = 8)',
    overrides: { ...PAIRS, model: { mirrorPairs: true, structural: 8 } },
  },
  'no-codes-structural': {
    change: 'no joint codes + mirror-invariant loss + the random-walk structural encoding (K = 8)',
    overrides: { jointCodeDropout: 0, mirrorLoss: true, model: { jointCodes: 0, structural: 8 } },
  },
  'no-codes-mirror': {
    change: 'no joint codes at all + mirror-invariant loss',
    overrides: { jointCodeDropout: 0, mirrorLoss: true, model: { jointCodes: 0 } },
  },
};

/** The mean of `key` over the scores with samples and a value; null when none has. */
export function looAverage(
  rows: readonly LooScore[] | null | undefined,
  key: 'strict' | 'flipBest' | 'flat',
): number | null {
  const v = (rows ?? []).filter((r) => r.samples > 0 && r[key] != null).map((r) => r[key]!);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** a / b, or null when either is missing or b is not positive. */
function ratio(a: number | null, b: number | null): number | null {
  return a == null || b == null || !(b > 0) ? null : a / b;
}

const meanOf = (v: readonly number[]) => (v.length ? v.reduce((x, y) => x + y, 0) / v.length : null);

type RowSplit = 'test' | 'val' | 'sides' | 'sidesVal' | 'inferred' | 'inferredVal' | 'named' | 'namedVal';

/** Per held-out group of an arm: `metric` ÷ the flat guess on the rows' `split` (null where missing). */
function groupRatios(arm: LooArmResult, split: RowSplit, metric: 'strict' | 'flipBest'): (number | null)[] {
  return arm.rows.map((row) => ratio(looAverage(row[split], metric), looAverage(row[split], 'flat')));
}

/** An arm's flip-best ÷ flat over its groups: the worst group and the mean. */
export function looSummary(
  arm: LooArmResult,
  split: RowSplit,
): { worst: number | null; mean: number | null } {
  const ok = groupRatios(arm, split, 'flipBest').filter((x): x is number => x != null);
  return { worst: ok.length ? Math.max(...ok) : null, mean: meanOf(ok) };
}

/** Code-less ÷ coded strict nPA on the trained rigs (val), when the arm measured rig identity. */
function identityRatio(arm: LooArmResult): number | null {
  if (!arm.identity) return null;
  return ratio(looAverage(arm.identity.codeless, 'strict'), looAverage(arm.identity.coded, 'strict'));
}

/** "worst / mean" of an arm's flip-best ÷ flat with inferred pairs, '—' when it was not measured for every group. */
function inferredCell(arm: LooArmResult, split: 'inferred' | 'inferredVal'): string {
  if (arm.rows.length === 0 || arm.rows.some((r) => !r[split])) return '—';
  const s = looSummary(arm, split);
  return `${fx(s.worst, 2)} / ${fx(s.mean, 2)}`;
}

/** The arms' summary table: one row per arm, flip-best ÷ flat (worst group, mean), strict ÷ flat, identity. */
export function looArmTable(arms: readonly LooArmResult[]): string {
  return table(
    [
      'arm',
      'change',
      'flip-best / flat: worst group',
      'mean over groups',
      'strict / flat (mean)',
      'strict with sides / flat (mean)',
      'flip-best / flat, pairs found from the 2D: worst / mean',
      'code-less / coded on trained rigs (val)',
    ],
    arms.map((a) => {
      const mean = (split: RowSplit, metric: 'strict' | 'flipBest') =>
        meanOf(groupRatios(a, split, metric).filter((x): x is number => x != null));
      const t = looSummary(a, 'test');
      return [
        a.id,
        a.change,
        fx(t.worst, 2),
        fx(t.mean, 2),
        fx(mean('test', 'strict'), 2),
        fx(mean('sides', 'strict'), 2),
        inferredCell(a, 'inferred'),
        fx(identityRatio(a), 2),
      ];
    }),
  );
}

/** The loo section of the report after its heading and note: method, the arm table, per-arm tables, val splits. */
export function looSection(L: LooPayload): string[] {
  const md: string[] = [];
  md.push(
    `Each group is held out of the training data of \`${L.baseConfig}\` (the other datasets of that config are kept), a model is trained for **${L.steps} steps** (equal samples for every arm), and the group is lifted with **no joint codes** (its rigs are unknown to the model) on its test split. **strict** = nPA-MPJPE as everywhere else; **flip-best** = per sample the better of the prediction and its depth mirror (C3DPO's \`EVAL_MPJPE_best\`: without joint identity a view fixes a symmetric shape only up to that mirror); **flat** = the same 2D with z = 0, aligned the same way — the floor every lifter must beat by far; **sides** = the same model given side codes (left / right / centre from the rig's mirror pairs) instead of zero codes; **pairs from the 2D** = the same model, a held-out rig that declares no mirror pairs given those found from its 2D alone (NRSfM of the protocol's views of its frames, every split — the group was never trained on, so all its frames may be used —, then their bilateral symmetry; the 3D is never read). Choices between arms are made on the groups' **val** splits (last table); the test numbers are reported.`,
  );
  md.push('');
  md.push(looArmTable(L.arms));
  md.push('');
  for (const a of L.arms) {
    md.push(`### Arm \`${a.id}\`: ${a.change}`);
    md.push('');
    md.push(
      table(
        [
          'held-out group',
          'datasets',
          'samples',
          'strict nPA',
          'flip-best nPA',
          'flat nPA',
          'flip-best / flat',
          'strict with sides',
          'flip-best with sides',
          'flip-best / flat, pairs from the 2D',
          'strict / flat, anatomical codes',
          'upper bound (trained with it)',
          'mean shape (oracle)',
        ],
        a.rows.map((row) => [
          row.group,
          row.datasets.join(', '),
          String(row.test.reduce((n, r) => n + r.samples, 0)),
          fx(looAverage(row.test, 'strict')),
          fx(looAverage(row.test, 'flipBest')),
          fx(looAverage(row.test, 'flat')),
          fx(ratio(looAverage(row.test, 'flipBest'), looAverage(row.test, 'flat')), 2),
          fx(looAverage(row.sides, 'strict')),
          fx(looAverage(row.sides, 'flipBest')),
          fx(ratio(looAverage(row.inferred, 'flipBest'), looAverage(row.inferred, 'flat')), 2),
          fx(ratio(looAverage(row.named, 'strict'), looAverage(row.named, 'flat')), 2),
          fx(looAverage(row.upper, 'strict')),
          fx(
            looAverage(
              (L.meanShape ?? []).filter((m) => row.datasets.includes(m.name)),
              'strict',
            ),
          ),
        ]),
      ),
    );
    md.push('');
  }
  md.push('### Validation splits (what the choice between arms is made on)');
  md.push('');
  const first = L.arms[0]?.rows ?? [];
  md.push(
    table(
      [
        'arm',
        ...first.map((r) => `${r.group}: flip-best / flat`),
        'mean',
        ...first.map((r) => `${r.group}: strict with sides`),
        'flip-best / flat, pairs from the 2D: worst / mean',
        'strict / flat, anatomical codes: mean',
      ],
      L.arms.map((a) => [
        a.id,
        ...groupRatios(a, 'val', 'flipBest').map((x) => fx(x, 2)),
        fx(looSummary(a, 'val').mean, 2),
        ...a.rows.map((row) => fx(looAverage(row.sidesVal, 'strict'))),
        inferredCell(a, 'inferredVal'),
        fx(meanOf(groupRatios(a, 'namedVal', 'strict').filter((x): x is number => x != null)), 2),
      ]),
    ),
  );
  md.push('');
  md.push(
    'Mean shape = the Procrustes mean of the held-out rig fitted on its own train split: an oracle that knows the rig (it is not available to a model that never saw it). Upper bound = the same recipe trained with every group (present only when the stage ran with `--loo-upper`).',
  );
  md.push('');
  return md;
}

/**
 * The loo payload of this run merged with the cached one (`docs/benchmarks/results/loo.json`), so the
 * table grows across sessions without retraining what was measured (runs/ does not outlive a
 * machine): an arm or a group of an arm this run did not measure keeps its cached rows; what it
 * measured replaces them. Only a cache of the same steps and base config is merged (else `now`).
 * Arms in the cache's order, then the new ones; groups likewise; the mean-shape rows by dataset.
 */
export function mergeLooPayloads(cached: LooPayload | undefined, now: LooPayload): LooPayload {
  if (!cached || cached.steps !== now.steps || cached.baseConfig !== now.baseConfig) return now;
  const nowArms = new Map(now.arms.map((a) => [a.id, a]));
  const merged: LooArmResult[] = [];
  const mergeArm = (old: LooArmResult, fresh: LooArmResult): LooArmResult => {
    const fresher = new Map(fresh.rows.map((r) => [r.group, r]));
    const rows = old.rows.map((r) => fresher.get(r.group) ?? r);
    for (const r of fresh.rows) if (!old.rows.some((o) => o.group === r.group)) rows.push(r);
    return { ...fresh, rows, identity: fresh.identity ?? old.identity, upper: fresh.upper ?? old.upper };
  };
  for (const a of cached.arms) merged.push(nowArms.has(a.id) ? mergeArm(a, nowArms.get(a.id)!) : a);
  for (const a of now.arms) if (!cached.arms.some((c) => c.id === a.id)) merged.push(a);
  const meanShape = [
    ...cached.meanShape.filter((m) => !now.meanShape.some((n) => n.name === m.name)),
    ...now.meanShape,
  ];
  return { ...now, groups: { ...cached.groups, ...now.groups }, arms: merged, meanShape };
}
