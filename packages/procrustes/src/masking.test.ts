// One masking spec over every batched solver: a point with weight 0 is never read, so garbage there
// changes nothing, and a sample's result equals solving its visible points alone.
import { type NdArray, nd, Rng } from '@lfm/core';
import { maxAbsDiff } from '@lfm/core/testing';
import { describe, expect, it } from 'vitest';
import { alignSimilarity } from './align.js';
import { solveOnP } from './onp.js';
import { solvePnP } from './pnp.js';
import {
  makeOnPCase,
  makePnPCase,
  makeSimilarityCase,
  pickVisible,
  poisonMasked,
  randomMask,
} from './testing.js';

type Result = Readonly<Record<string, NdArray<Float64Array>>>;
interface MaskCase {
  readonly x: NdArray<Float64Array>;
  readonly y: NdArray<Float64Array>;
  readonly solve: (
    x: NdArray<Float64Array>,
    y: NdArray<Float64Array>,
    weights?: NdArray<Uint8Array>,
  ) => Result;
}

const solvers: readonly {
  readonly name: string;
  /** Points always visible per sample (the solver's minimum, and then some). */
  readonly keep: number;
  readonly make: (rng: Rng, B: number, N: number) => MaskCase;
}[] = [
  {
    name: 'alignSimilarity',
    keep: 4,
    make: (rng, B, N) => {
      const c = makeSimilarityCase(rng, { B, N, noise: 0.05 });
      return { x: c.x, y: c.y, solve: (x, y, weights) => ({ ...alignSimilarity(x, y, { weights }) }) };
    },
  },
  {
    name: 'solveOnP',
    keep: 5,
    make: (rng, B, N) => {
      const c = makeOnPCase(rng, { B, N, noise: 0.5 });
      return { x: c.x3d, y: c.y2d, solve: (x, y, weights) => ({ ...solveOnP(x, y, { weights }) }) };
    },
  },
  {
    name: 'solvePnP',
    keep: 6,
    make: (rng, B, N) => {
      const c = makePnPCase(rng, { B, N, noisePx: 1 });
      return {
        x: c.x3d,
        y: c.y2d,
        solve: (x, y, weights) => ({ ...solvePnP(x, y, c.intrinsics, { weights }) }),
      };
    },
  },
];

describe.each(solvers)('$name with a mask', ({ keep, make }) => {
  const B = 12;
  const N = 17;

  it('never reads a masked point: NaN, ±Infinity or ±1e300 there change nothing', () => {
    const rng = new Rng([5, keep]);
    const { x, y, solve } = make(rng, B, N);
    const mask = randomMask(rng, B, N, keep, 0.6);
    const weights = nd(mask, [B, N]);
    const clean = solve(x, y, weights);
    for (const [vx, vy] of [
      [Number.NaN, Number.POSITIVE_INFINITY],
      [1e300, -1e300],
    ] as const) {
      const dirty = solve(poisonMasked(x, mask, vx), poisonMasked(y, mask, vy), weights);
      for (const key of Object.keys(clean)) {
        expect(Array.from(dirty[key]!.data), key).toEqual(Array.from(clean[key]!.data));
      }
    }
    // The mask matters: the same batch unmasked gives another answer.
    expect(Array.from(solve(x, y).R!.data)).not.toEqual(Array.from(clean.R!.data));
  });

  it('solves each sample as if only its visible points existed', () => {
    const rng = new Rng([6, keep]);
    const { x, y, solve } = make(rng, B, N);
    const mask = randomMask(rng, B, N, keep, 0.6);
    const batch = solve(x, y, nd(mask, [B, N]));
    for (let b = 0; b < B; b++) {
      const one = solve(pickVisible(x, mask, b), pickVisible(y, mask, b));
      expect(maxAbsDiff(one.R!.data, batch.R!.data, 0, 9 * b, 9)).toBeLessThan(1e-12);
    }
  });
});
