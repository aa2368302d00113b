// Throughput of the full training batch pipeline on the BUILT package (`pnpm --filter @lfm/datasets
// bench` compiles first; `pnpm bench` at the root runs every package's bench through turbo).
// One thread. Each batch = category-balanced sampling, joint selection, permutation, uniform SO(3)
// view, projection, occlusion, 2D noise, core normalisation + padding, bone or kNN adjacency, target.
// Prints the median (and min–max) over repetitions of `batches` consecutive next() calls.
//   node bench/pipeline.bench.mjs [--quick]
// Uses ../shared/data (or $LFM_SHARED_DATA) when present, plus in-memory datasets that always exist.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Rng } from '@lfm/core';
import { createBatcher, listDatasets, loadDataset } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const B = 64;
const N = 64;

/** In-memory dataset: F frames of J points around a random base shape; `edges` = chain or none. */
function fake(name, category, J, F, bones) {
  const rng = new Rng([J, F]);
  const base = Float64Array.from({ length: J * 3 }, () => rng.normal() * 50);
  const points = new Float32Array(F * J * 3).map((_, i) => base[i % (J * 3)] + 5 * rng.normal());
  return {
    name,
    category,
    numJoints: J,
    frames: F,
    points,
    edges: bones ? Array.from({ length: J - 1 }, (_, j) => [j, j + 1]) : [],
    sequences: [{ id: name, start: 0, count: F, split: 'train' }],
  };
}

function measure(label, options) {
  const batcher = createBatcher({ batchSize: B, maxPoints: N, seed: 1, ...options });
  const batches = quick ? 5 : 20;
  const reps = quick ? 5 : 25;
  for (let i = 0; i < (quick ? 5 : 30); i++) batcher.next(); // warm-up (JIT)
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batches; i++) batcher.next();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6 / batches);
  }
  times.sort((a, b) => a - b);
  const med = times[times.length >> 1];
  return {
    case: label,
    B,
    N,
    'ms/batch (median)': +med.toFixed(3),
    'samples/s (median)': Math.round((B * 1000) / med),
    'ms/batch min–max': `${times[0].toFixed(2)}–${times[times.length - 1].toFixed(2)}`,
  };
}

const full = {
  cameras: ['pinhole', 'weak-perspective', 'orthographic'],
  noise: { std: 0.01, units: 'normalized' },
  occlusion: { probability: 1, maxFraction: 0.6 },
  subset: { probability: 0.3, minPoints: 5 },
  permute: true,
};

const synthetic = [
  fake('body-17', 'human-body', 17, 5000, true),
  fake('body-28', 'human-body', 28, 5000, true),
  fake('hand-21', 'hand', 21, 500, true),
  fake('face-68', 'face', 68, 500, false),
  fake('markers-41', 'human-markers', 41, 500, false),
  fake('shark-91', 'shark', 91, 200, false),
  fake('chair-10', 'rigid-chair', 10, 10, false),
];
const rows = [];
rows.push(
  measure('in-memory mix (7 sets, bones + kNN), full augmentation', {
    sources: synthetic.map((d) => ({ dataset: d })),
    augment: full,
  }),
);
rows.push(measure('in-memory mix, DEFAULT_AUGMENT', { sources: synthetic.map((d) => ({ dataset: d })) }));
rows.push(measure('  bones only (body-17)', { sources: [{ dataset: synthetic[0] }], augment: full }));
rows.push(measure('  kNN only (face-68)', { sources: [{ dataset: synthetic[3] }], augment: full }));
rows.push(
  measure('  kNN only, > N joints subsampled (shark-91)', {
    sources: [{ dataset: synthetic[5] }],
    augment: full,
  }),
);

const shared =
  process.env.LFM_SHARED_DATA ?? fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
if (existsSync(`${shared.replace(/\/$/, '')}/README.md`)) {
  const datasets = await Promise.all((await listDatasets(shared)).map((d) => loadDataset(d)));
  const sources = datasets.map((dataset) => ({ dataset }));
  rows.push(
    measure(`shared/data (${datasets.length} sets, balanced), full augmentation`, { sources, augment: full }),
  );
  rows.push(measure(`shared/data (${datasets.length} sets, balanced), DEFAULT_AUGMENT`, { sources }));
} else {
  console.warn(`[@lfm/datasets bench] ${shared} not found — shared/data cases skipped`);
}

console.log(`@lfm/datasets batch pipeline, node ${process.version}, one thread`);
console.table(rows);
