import { InputError, type Rng } from '@lfm/core';

/** One source of samples for the balanced sampler: its category and how many frames it has. */
export interface SamplerGroup {
  readonly category: string;
  /** Frames this source can give (≥ 0; a source with 0 is never picked). */
  readonly size: number;
  /** Multiplies the source's share within its category (default 1). */
  readonly weight?: number;
}

export interface BalancedSamplerOptions {
  /**
   * α: P(category c) ∝ n_c^α, n_c = frames of all sources in c. 0 (default) = every category equally
   * often, whatever its size; 1 = proportional to data (as if every frame were pooled); in between
   * tempers the imbalance (humans dominate the corpus).
   */
  readonly categoryTemperature?: number;
  /** β: P(source s | its category) ∝ weight_s · n_s^β. Default 1 (each frame of the category equally). */
  readonly datasetTemperature?: number;
  /**
   * w_c > 0 by category name: P(category c) ∝ w_c · n_c^α (default 1 each) — to give a category more
   * or fewer samples than the temperature alone would (leave a category out of the data to drop it). A name that matches no source's category is an
   * InputError (a typo would otherwise do nothing).
   */
  readonly categoryWeights?: Readonly<Record<string, number>>;
}

/** Every key of `BalancedSamplerOptions` (for config validation: an unknown key is a typo). */
export const BALANCED_SAMPLER_KEYS = Object.freeze([
  'categoryTemperature',
  'datasetTemperature',
  'categoryWeights',
] as const satisfies readonly (keyof BalancedSamplerOptions)[]);

/** Picks a source index: a category first, then a source within it. The caller draws the frame. */
export interface BalancedSampler {
  /** Categories with at least one frame, in order of first appearance among the sources. */
  readonly categories: readonly string[];
  /** [C]: P(category). */
  readonly categoryProbabilities: Float64Array;
  /** [S]: index into `categories` of each source (−1 for a source that is never picked). */
  readonly sourceCategory: Int32Array;
  /** [S]: marginal P(source) = P(category) · P(source | category). Sums to 1. */
  readonly sourceProbabilities: Float64Array;
  /** One source index from two uniforms of `rng`. */
  pick(rng: Rng): number;
}

/**
 * Category-balanced sampling over heavily imbalanced sources (see `BalancedSamplerOptions`).
 * InputError when no source has a frame, or for a negative size, weight or temperature.
 */
export function createBalancedSampler(
  groups: readonly SamplerGroup[],
  options: BalancedSamplerOptions = {},
): BalancedSampler {
  const alpha = options.categoryTemperature ?? 0;
  const beta = options.datasetTemperature ?? 1;
  if (!(alpha >= 0) || !(beta >= 0)) {
    throw new InputError(
      `sampler temperatures must be ≥ 0, got categoryTemperature=${alpha}, datasetTemperature=${beta}`,
    );
  }
  const weights = options.categoryWeights ?? {};
  for (const [name, w] of Object.entries(weights)) {
    if (!(typeof w === 'number' && w > 0 && Number.isFinite(w))) {
      throw new InputError(`categoryWeights.${name} must be a finite number > 0, got ${JSON.stringify(w)}`);
    }
    if (!groups.some((g) => g.category === name)) {
      throw new InputError(
        `categoryWeights names '${name}', which is no source's category (categories: ${[...new Set(groups.map((g) => g.category))].join(', ')})`,
      );
    }
  }
  const S = groups.length;
  const categories: string[] = [];
  const sourceCategory = new Int32Array(S).fill(-1);
  const within = new Float64Array(S); // unnormalised P(source | category)
  const catFrames: number[] = [];
  groups.forEach((g, s) => {
    const w = g.weight ?? 1;
    if (!(g.size >= 0) || !Number.isInteger(g.size) || !(w >= 0)) {
      throw new InputError(`sampler source ${s} (${g.category}): size must be an integer ≥ 0 and weight ≥ 0`);
    }
    if (g.size === 0 || w === 0) return;
    let c = categories.indexOf(g.category);
    if (c < 0) {
      c = categories.length;
      categories.push(g.category);
      catFrames.push(0);
    }
    sourceCategory[s] = c;
    catFrames[c]! += g.size;
    within[s] = w * g.size ** beta;
  });
  const C = categories.length;
  if (C === 0) throw new InputError('the sampler has no source with a frame (all sizes or weights are 0)');

  const categoryProbabilities = new Float64Array(C);
  let total = 0;
  for (let c = 0; c < C; c++) {
    total += categoryProbabilities[c] = (weights[categories[c]!] ?? 1) * catFrames[c]! ** alpha;
  }
  for (let c = 0; c < C; c++) categoryProbabilities[c]! /= total;

  // Per category: its sources and their cumulative conditional probabilities.
  const members: number[][] = categories.map(() => []);
  for (let s = 0; s < S; s++) if (sourceCategory[s]! >= 0) members[sourceCategory[s]!]!.push(s);
  const memberStart = new Int32Array(C + 1);
  const memberIndex = new Int32Array(S);
  const memberCdf = new Float64Array(S);
  const sourceProbabilities = new Float64Array(S);
  let k = 0;
  for (let c = 0; c < C; c++) {
    memberStart[c] = k;
    const list = members[c]!;
    let sum = 0;
    for (const s of list) sum += within[s]!;
    let acc = 0;
    for (const s of list) {
      acc += within[s]! / sum;
      memberIndex[k] = s;
      memberCdf[k++] = acc;
      sourceProbabilities[s] = (categoryProbabilities[c]! * within[s]!) / sum;
    }
    memberCdf[k - 1] = 1; // no rounding gap at the top
  }
  memberStart[C] = k;
  const categoryCdf = new Float64Array(C);
  let acc = 0;
  for (let c = 0; c < C; c++) categoryCdf[c] = acc += categoryProbabilities[c]!;
  categoryCdf[C - 1] = 1;

  return {
    categories,
    categoryProbabilities,
    sourceCategory,
    sourceProbabilities,
    pick(rng: Rng): number {
      const u = rng.uniform();
      let c = 0;
      while (c < C - 1 && u >= categoryCdf[c]!) c++;
      const v = rng.uniform();
      let m = memberStart[c]!;
      const end = memberStart[c + 1]! - 1;
      while (m < end && v >= memberCdf[m]!) m++;
      return memberIndex[m]!;
    },
  };
}
