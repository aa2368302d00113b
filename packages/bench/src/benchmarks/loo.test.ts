import { describe, expect, it } from 'vitest';
import { LOO_ARMS, looArmTable, looAverage, looSection, looSummary, mergeLooPayloads } from './loo.js';
import type { ArmInfo, LooArmResult, LooPayload, LooScore } from './types.js';

const score = (name: string, strict: number, flipBest: number, flat: number, samples = 10): LooScore => ({
  name,
  samples,
  strict,
  flipBest,
  flat,
  paMpjpe: null,
});
const fold = { id: 'f', dir: 'runs/bench/f' } as unknown as ArmInfo;
/** An arm with two held-out groups: flip-best ÷ flat = 0.5 on the first, 0.9 on the second. */
const arm = (id: string, identity: LooArmResult['identity'] = null): LooArmResult => ({
  id,
  change: `change of ${id}`,
  overrides: {},
  upper: null,
  rows: [
    {
      group: 'quadruped',
      datasets: ['dog-body'],
      fold,
      test: [score('dog-body', 0.6, 0.5, 1)],
      val: [score('dog-body', 0.6, 0.4, 1)],
      sides: [score('dog-body', 0.3, 0.25, 1)],
      sidesVal: [score('dog-body', 0.35, 0.3, 1)],
      upper: null,
    },
    {
      group: 'faces',
      datasets: ['aflw-face', 'frgc-face'],
      fold,
      // Mean over the two datasets (a dataset without samples does not count).
      test: [score('aflw-face', 0.9, 0.8, 1), score('frgc-face', 1.1, 1.0, 1), score('x', 9, 9, 1, 0)],
      val: [score('aflw-face', 1, 0.9, 1)],
      sides: [score('aflw-face', 1, 1, 1)],
      sidesVal: [score('aflw-face', 1, 1, 1)],
      upper: null,
    },
  ],
  identity,
});

describe('the loo arm table', () => {
  it('averages over datasets with samples, and summarises flip-best ÷ flat per arm', () => {
    expect(looAverage(arm('a').rows[1]!.test, 'flipBest')).toBeCloseTo(0.9, 12);
    expect(looAverage([], 'strict')).toBeNull();
    const s = looSummary(arm('a'), 'test');
    expect(s.worst).toBeCloseTo(0.9, 12);
    expect(s.mean).toBeCloseTo(0.7, 12);
  });

  it('one row per arm: worst group, mean, strict and sides ratios, identity', () => {
    const identity = {
      model: 'runs/bench/u',
      coded: [score('h36m', 0.2, 0.2, 1)],
      codeless: [score('h36m', 0.3, 0.3, 1)],
    };
    const lines = looArmTable([arm('base'), arm('pairs', identity)]).split('\n');
    expect(lines[0]).toBe(
      '| arm | change | flip-best / flat: worst group | mean over groups | strict / flat (mean) | strict with sides / flat (mean) | flip-best / flat, pairs found from the 2D: worst / mean | code-less / coded on trained rigs (val) |',
    );
    expect(lines[2]).toBe('| base | change of base | 0.90 | 0.70 | 0.80 | 0.65 | — | — |');
    expect(lines[3]).toBe('| pairs | change of pairs | 0.90 | 0.70 | 0.80 | 0.65 | — | 1.50 |');
    // With inferred pairs measured for every group: their worst and mean.
    const inferred = arm('inferred');
    const withPairs: LooArmResult = {
      ...inferred,
      rows: inferred.rows.map((r, i) => ({ ...r, inferred: [score('d', 0.5, i ? 0.6 : 0.2, 1)] })),
    };
    expect(looArmTable([withPairs]).split('\n')[2]).toBe(
      '| inferred | change of inferred | 0.90 | 0.70 | 0.80 | 0.65 | 0.60 / 0.40 | — |',
    );
  });

  it('renders per-arm tables and the validation table', () => {
    const md = looSection({
      steps: 2000,
      baseConfig: 'configs/x.json',
      groups: {},
      arms: [arm('base')],
      meanShape: [score('dog-body', 0.7, 0.7, 1)],
    }).join('\n');
    expect(md).toContain('### Arm `base`: change of base');
    expect(md).toContain(
      '| quadruped | dog-body | 10 | 0.600 | 0.500 | 1.000 | 0.50 | 0.300 | 0.250 | — | — | — | 0.700 |',
    );
    expect(md).toContain('| faces | aflw-face, frgc-face | 20 |');
    expect(md).toContain('| base | 0.40 | 0.90 | 0.65 | 0.350 | 1.000 | — | — |');
    // An arm with anatomical codes: their strict / flat per group and, on val, the mean over groups.
    const base = arm('anatomical');
    const named: LooArmResult = {
      ...base,
      rows: base.rows.map((r) => ({
        ...r,
        named: [score('d', 0.4, 0.3, 1)],
        namedVal: [score('d', 0.5, 0.3, 1)],
      })),
    };
    const md2 = looSection({
      steps: 2000,
      baseConfig: 'configs/x.json',
      groups: {},
      arms: [named],
      meanShape: [],
    }).join('\n');
    expect(md2).toContain('| 0.50 | 0.300 | 0.250 | — | 0.40 | — |');
    expect(md2).toContain('| — | 0.50 |');
  });

  it('merges a run into the cached payload: unmeasured arms and groups kept, measured ones replaced', () => {
    const payload = (arms: LooArmResult[], steps = 2000): LooPayload => ({
      steps,
      baseConfig: 'configs/x.json',
      groups: Object.fromEntries(arms.flatMap((a) => a.rows.map((r) => [r.group, r.datasets]))),
      arms,
      meanShape: [score('dog-body', 0.7, 0.7, 1)],
    });
    const old = payload([arm('base'), arm('pairs')]);
    const fresh = arm('pairs');
    const shark = { ...fresh.rows[0]!, group: 'shark', datasets: ['torresani-shark'] };
    const quadruped = { ...fresh.rows[0]!, test: [score('dog-body', 0.1, 0.1, 1)] };
    const now = payload([{ ...fresh, rows: [quadruped, shark] }, arm('new')]);
    const m = mergeLooPayloads(old, now);
    expect(m.arms.map((a) => a.id)).toEqual(['base', 'pairs', 'new']);
    expect(m.arms[0]).toBe(old.arms[0]);
    const pairs = m.arms[1]!;
    expect(pairs.rows.map((r) => r.group)).toEqual(['quadruped', 'faces', 'shark']);
    expect(pairs.rows[0]!.test[0]!.strict).toBe(0.1); // re-measured
    expect(pairs.rows[1]).toBe(old.arms[1]!.rows[1]); // kept
    expect(Object.keys(m.groups)).toEqual(['quadruped', 'faces', 'shark']);
    expect(m.meanShape).toHaveLength(1);
    // Another budget is another benchmark: nothing merged.
    expect(mergeLooPayloads(payload([arm('base')], 6000), now)).toBe(now);
    expect(mergeLooPayloads(undefined, now)).toBe(now);
  });

  it('every recipe arm says what it changes', () => {
    for (const [id, a] of Object.entries(LOO_ARMS)) expect(a.change.length, id).toBeGreaterThan(3);
    expect(LOO_ARMS.base!.overrides).toEqual({});
  });
});
