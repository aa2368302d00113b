import { InputError, Rng } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { createBalancedSampler, type SamplerGroup } from './sampler.js';

// The corpus's imbalance, roughly: two large human sets, two small face sets, one tiny object set.
const groups: SamplerGroup[] = [
  { category: 'human', size: 50_000 },
  { category: 'face', size: 200 },
  { category: 'human', size: 40_000 },
  { category: 'chair', size: 8 },
  { category: 'face', size: 300 },
];

/** Observed frequencies of `draws` picks match `p` within 4.5 binomial standard errors each. */
function expectFrequencies(counts: number[], p: ArrayLike<number>, draws: number): void {
  counts.forEach((c, i) => {
    const se = Math.sqrt((p[i]! * (1 - p[i]!)) / draws);
    expect(Math.abs(c / draws - p[i]!), `entry ${i}: ${c / draws} vs ${p[i]}`).toBeLessThanOrEqual(
      4.5 * se + 1e-12,
    );
  });
}

describe('createBalancedSampler', () => {
  it('α = 0: categories uniform; within a category ∝ frames (β = 1)', () => {
    const s = createBalancedSampler(groups);
    expect(s.categories).toEqual(['human', 'face', 'chair']);
    expect(Array.from(s.categoryProbabilities)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    const p = Array.from(s.sourceProbabilities);
    expect(p[0]).toBeCloseTo((1 / 3) * (50 / 90), 12);
    expect(p[1]).toBeCloseTo((1 / 3) * (200 / 500), 12);
    expect(p[3]).toBeCloseTo(1 / 3, 12);
    expect(p.reduce((a, b) => a + b)).toBeCloseTo(1, 12);
  });

  it.each([
    [0, 1],
    [0.5, 1],
    [1, 1],
    [0.3, 0],
  ])('draw frequencies match the target distribution (α = %f, β = %f)', (alpha, beta) => {
    const s = createBalancedSampler(groups, { categoryTemperature: alpha, datasetTemperature: beta });
    const n = [90_000, 500, 8];
    const z = n.reduce((a, m) => a + m ** alpha, 0);
    n.forEach((m, c) => {
      expect(s.categoryProbabilities[c]).toBeCloseTo(m ** alpha / z, 12);
    });
    const rng = new Rng([1, alpha, beta]);
    const draws = 200_000;
    const bySource = [0, 0, 0, 0, 0];
    const byCategory = [0, 0, 0];
    for (let i = 0; i < draws; i++) {
      const src = s.pick(rng);
      bySource[src]!++;
      byCategory[s.sourceCategory[src]!]!++;
    }
    expectFrequencies(byCategory, s.categoryProbabilities, draws);
    expectFrequencies(bySource, s.sourceProbabilities, draws);
  });

  it('α = 1, β = 1 is uniform over all frames (plain pooling)', () => {
    const s = createBalancedSampler(groups, { categoryTemperature: 1 });
    const total = groups.reduce((a, g) => a + g.size, 0);
    groups.forEach((g, i) => {
      expect(s.sourceProbabilities[i]).toBeCloseTo(g.size / total, 12);
    });
  });

  it('weights scale a source within its category; empty sources are never picked', () => {
    const s = createBalancedSampler([
      { category: 'a', size: 10, weight: 3 },
      { category: 'a', size: 10 },
      { category: 'b', size: 0 },
      { category: 'a', size: 5, weight: 0 },
    ]);
    expect(s.categories).toEqual(['a']);
    expect(Array.from(s.sourceProbabilities)).toEqual([0.75, 0.25, 0, 0]);
    expect(Array.from(s.sourceCategory)).toEqual([0, 0, -1, -1]);
    const rng = new Rng(3);
    for (let i = 0; i < 1000; i++) expect(s.pick(rng)).toBeLessThan(2);
  });

  it('categoryWeights scale a category: P(c) ∝ w_c · n_c^α, the split within it unchanged', () => {
    const two = [
      { category: 'face', size: 100 },
      { category: 'body', size: 300 },
      { category: 'body', size: 100 },
    ];
    const s = createBalancedSampler(two, { categoryWeights: { face: 3 } });
    expect(Array.from(s.categoryProbabilities)).toEqual([0.75, 0.25]);
    expect(Array.from(s.sourceProbabilities)).toEqual([0.75, 0.1875, 0.0625]);
    const t = createBalancedSampler(two, { categoryTemperature: 1, categoryWeights: { body: 0.5 } });
    expect(t.categoryProbabilities[0]).toBeCloseTo(100 / (100 + 0.5 * 400), 12);
    const rng = new Rng(5);
    const counts = [0, 0];
    for (let i = 0; i < 20_000; i++) counts[s.sourceCategory[s.pick(rng)]!]!++;
    expect(counts[0]! / 20_000).toBeCloseTo(0.75, 1);
    expect(() => createBalancedSampler(two, { categoryWeights: { fcae: 2 } })).toThrow(
      /categoryWeights names 'fcae', which is no source's category \(categories: face, body\)/,
    );
    expect(() => createBalancedSampler(two, { categoryWeights: { face: 0 } })).toThrow(
      /must be a finite number > 0/,
    );
    expect(() => createBalancedSampler(two, { categoryWeights: { face: Number.NaN } })).toThrow(InputError);
  });

  it('errors: nothing to draw, negative temperature or size', () => {
    expect(() => createBalancedSampler([{ category: 'a', size: 0 }])).toThrow(InputError);
    expect(() => createBalancedSampler(groups, { categoryTemperature: -1 })).toThrow(InputError);
    expect(() => createBalancedSampler([{ category: 'a', size: -2 }])).toThrow(InputError);
  });
});
