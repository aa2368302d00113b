#!/usr/bin/env node
// How well a rig's left/right mirror pairs are recovered when the rig declares none: `@lfm/procrustes`
// detectSymmetry on the train split's 3D Procrustes mean, and symmetryFrom2d on the 2D alone (the
// synthetic protocol's projections of a split, NRSfM, then the same detection). Scored against the
// pairs the datasets that have them declare (precision = found pairs that are declared, recall =
// declared pairs found). Usage (after pnpm build):
//   node scripts/experiments/symmetry-detect.mjs [--split val] [--rank 2] [--tolerance 0.1] DIR...
import { parseArgs } from 'node:util';
import { loadDataset } from '../../packages/datasets/dist/index.js';
import { detectSymmetry, symmetryFrom2d } from '../../packages/procrustes/dist/index.js';
import { adaptSamplesFromDataset, fitMeanShape } from '../../packages/trainer/dist/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    split: { type: 'string', default: 'val' },
    rank: { type: 'string', default: '2' },
    tolerance: { type: 'string', default: '0.1' },
    search: { type: 'string', default: '0.15' },
    views: { type: 'string', default: '400' },
  },
});
const opts = { tolerance: Number(values.tolerance), searchTolerance: Number(values.search) };
const key = ([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`;
function score(found, truth) {
  if (!truth.length) return { found: found.length };
  const t = new Set(truth.map(key));
  const hit = found.filter((p) => t.has(key(p))).length;
  return {
    found: found.length,
    declared: truth.length,
    precision: found.length ? +(hit / found.length).toFixed(3) : null,
    recall: +(hit / truth.length).toFixed(3),
  };
}
for (const dir of positionals) {
  const ds = await loadDataset(dir);
  if (ds.perSequenceEdges) {
    console.log(JSON.stringify({ dataset: ds.name, skipped: 'joint order differs between sequences' }));
    continue;
  }
  const J = ds.numJoints;
  const mean = fitMeanShape(ds, { split: 'train', maxFrames: 2000 });
  const s3 = detectSymmetry(mean.shape, J, mean.known, opts);
  const samples = adaptSamplesFromDataset(ds, { split: values.split, limit: Number(values.views) });
  const t0 = performance.now();
  const s2 = symmetryFrom2d(samples.points2d, samples.mask, samples.count, J, {
    ...opts,
    rank: Number(values.rank),
  });
  const ms = performance.now() - t0;
  console.log(
    JSON.stringify({
      dataset: ds.name,
      J,
      from3d: {
        ...score(s3.pairs, ds.symmetry),
        centre: s3.centre.length,
        residual: +s3.residual.toFixed(3),
      },
      from2d: {
        ...score(s2.pairs, ds.symmetry),
        centre: s2.centre.length,
        residual: +s2.residual.toFixed(3),
        views: s2.views,
        reprojection: +s2.reprojection.toFixed(3),
        ms: Math.round(ms),
      },
    }),
  );
}
