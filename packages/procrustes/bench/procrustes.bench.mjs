// Benchmark of the batched solvers on the BUILT package (run `pnpm --filter @lfm/procrustes bench`,
// which compiles first; @lfm/core must be built: `turbo run bench` does that).
// Prints the median over repetitions of whole batched calls, one thread, Float64.
// Cases come from the tests' factories (`@lfm/procrustes/testing`), seeded.

import { Rng } from '@lfm/core';
import {
  alignOrthogonal,
  alignSimilarity,
  MOMENTS,
  paMpjpe,
  rotationFromCrossCovariance,
  solveOnP,
  solvePnP,
  weightedMoments,
} from '../dist/index.js';
import { makeOnPCase, makePnPCase, makeSimilarityCase } from '../dist/testing.js';

const quick = process.argv.includes('--quick');

/** Median milliseconds of `reps` calls of fn() after `warmup` untimed ones. */
function median(fn, reps, warmup) {
  for (let i = 0; i < warmup; i++) fn();
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] };
}

const rows = [];
function run(name, J, B, reps, fn) {
  const t = median(fn, quick ? 3 : reps, quick ? 1 : 3);
  rows.push({
    case: name,
    J,
    B,
    'µs/sample (median)': +((t.median * 1000) / B).toFixed(3),
    'samples/s': Math.round(B / (t.median / 1000)),
    'batch ms (min–max)': `${t.min.toFixed(2)}–${t.max.toFixed(2)}`,
  });
}

for (const J of [17, 133]) {
  const B = 4096;
  const c = makeSimilarityCase(new Rng([1, J]), { B, N: J, noise: 0.01 });
  run('alignSimilarity', J, B, 21, () => alignSimilarity(c.x, c.y));
  run('alignOrthogonal', J, B, 21, () => alignOrthogonal(c.x, c.y));
  const mask = new Uint8Array(B * J).map((_, i) => (i % 7 === 3 ? 0 : 1));
  const weights = { data: mask, shape: [B, J] };
  run('alignSimilarity, masked', J, B, 21, () => alignSimilarity(c.x, c.y, { weights }));
  run('paMpjpe', J, B, 21, () => paMpjpe(c.x, c.y));
  // The split: centring + cross-covariance alone, and the QCP kernel alone on precomputed moments.
  const mom = new Float64Array(MOMENTS.size * B);
  const R = new Float64Array(9 * B);
  run('  moments only', J, B, 21, () => {
    for (let b = 0; b < B; b++) {
      weightedMoments(c.x.data, 3 * b * J, c.y.data, 3 * b * J, undefined, 0, J, mom, MOMENTS.size * b);
    }
  });
  run('  QCP kernel only', J, B, 21, () => {
    for (let b = 0; b < B; b++) {
      const o = MOMENTS.size * b;
      rotationFromCrossCovariance(
        mom,
        o + MOMENTS.cov,
        mom[o + MOMENTS.gx],
        mom[o + MOMENTS.gy],
        false,
        R,
        9 * b,
      );
    }
  });
}

for (const J of [17, 133]) {
  const B = 1024;
  const c = makeOnPCase(new Rng([2, J]), { B, N: J, noise: 1 });
  run('solveOnP', J, B, 7, () => solveOnP(c.x3d, c.y2d));
}

for (const J of [17, 133]) {
  const B = 512;
  const c = makePnPCase(new Rng([3, J]), { B, N: J, distance: 6, noisePx: 1 });
  run('solvePnP (EPnP + LM)', J, B, 7, () => solvePnP(c.x3d, c.y2d, c.intrinsics));
}

console.log(`node ${process.version}, ${process.arch}, one thread${quick ? ' (quick)' : ''}`);
console.table(rows);
