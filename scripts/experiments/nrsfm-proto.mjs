#!/usr/bin/env node
// NRSfM alone, transductive: `@lfm/procrustes` `nrsfm` on a dataset split's synthetic-protocol 2D,
// scored against its 3D (nPA-MPJPE strict, with one mirror for the set, and the flat guess).
// Usage (after pnpm build): node scripts/experiments/nrsfm-proto.mjs DATA_DIR [--split val]
//   [--limit 1000] [--K 2] [--iters 150] [--lam 0.01]
import { parseArgs } from 'node:util';
import { nd } from '../../packages/core/dist/index.js';
import { createSyntheticEvalSet, loadDataset } from '../../packages/datasets/dist/index.js';
import { nrsfm, poseErrors } from '../../packages/procrustes/dist/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    split: { type: 'string', default: 'val' },
    limit: { type: 'string', default: '1000' },
    K: { type: 'string', default: '2' },
    iters: { type: 'string', default: '150' },
    lam: { type: 'string' },
  },
});
if (positionals.length !== 1) {
  console.error(
    'usage: node scripts/experiments/nrsfm-proto.mjs DATA_DIR [--split val] [--limit N] [--K K] [--iters N] [--lam L]',
  );
  process.exit(1);
}
const ds = await loadDataset(positionals[0]);
const set = createSyntheticEvalSet(ds, { split: values.split, limit: Number(values.limit) });
const S = set.count;
const J = set.numJoints;
const t0 = performance.now();
const r = nrsfm(set.points2d, set.mask, S, J, {
  rank: Number(values.K),
  iterations: Number(values.iters),
  ...(values.lam !== undefined && { ridge: Number(values.lam) }),
});
const ms = performance.now() - t0;
const flat = new Float64Array(S * J * 3);
for (let i = 0; i < S * J; i++) {
  flat[3 * i] = set.points2d[2 * i];
  flat[3 * i + 1] = set.points2d[2 * i + 1];
}
const gt = nd(set.pointsCam, [S, J, 3]);
const mask = nd(Float64Array.from(set.mask), [S, J]);
const e = poseErrors(nd(r.shapes, [S, J, 3]), gt, mask, { flipBest: true });
const f = poseErrors(nd(flat, [S, J, 3]), gt, mask, { flipBest: true });
const setFlip = Math.min(e.nPaMpjpe.mean, e.mirrored.nPaMpjpe.mean);
const fl = f.flipBest.nPaMpjpe.mean;
const r4 = (x) => Math.round(x * 1e4) / 1e4;
console.log(
  JSON.stringify({
    dataset: ds.name,
    split: values.split,
    S,
    K: Number(values.K),
    ms: Math.round(ms),
    rigidRms: r4(r.rigidRms),
    reprojectionRms: r4(r.reprojectionRms),
    strict: r4(e.nPaMpjpe.mean),
    setFlip: r4(setFlip),
    flipBest: r4(e.flipBest.nPaMpjpe.mean),
    flat: r4(fl),
    setFlipRatio: Math.round((setFlip / fl) * 1000) / 1000,
  }),
);
