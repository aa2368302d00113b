#!/usr/bin/env node
// A rig without declared mirror pairs lifted with pairs found from its 2D alone (`@lfm/procrustes`
// symmetryFrom2d on the split's synthetic-protocol 2D: NRSfM, Procrustes mean, bilateral symmetry),
// fed as the mirror-partner input of a `mirrorPairs` model, against no pairs. No joint codes
// (the rig is unknown to the model). Usage (after pnpm build):
//   node scripts/experiments/inferred-pairs.mjs --model CKPT --data DIR [--split val] [--limit 1000] [--from train]
import { loadDataset } from '../../packages/datasets/dist/index.js';
import { detectSymmetry, symmetryFrom2d } from '../../packages/procrustes/dist/index.js';
import {
  adaptSamplesFromDataset,
  createGraphPredictor,
  evaluate,
  fitMeanShape,
  loadModelCheckpoint,
} from '../../packages/trainer/dist/index.js';
import { evalRow, experimentArgs } from './common.mjs';

const values = experimentArgs(
  {
    // The 2D the pairs are found on: the evaluated split itself (default, transductive on 2D) or another.
    from: { type: 'string' },
    // --source 3d: the pairs of the train split's 3D mean shape instead (an oracle for the detection).
    source: { type: 'string', default: '2d' },
  },
  'node scripts/experiments/inferred-pairs.mjs --model CKPT --data DIR [--split val]',
);
const ck = await loadModelCheckpoint(values.model);
const k = ck.model.codeSize;
const coded = ck.model.config.codedRigs ?? [];
const ds = await loadDataset(values.data);
const samples = adaptSamplesFromDataset(ds, {
  split: values.from ?? values.split,
  limit: Number(values.limit),
});
const sym =
  values.source === '3d'
    ? (() => {
        const mean = fitMeanShape(ds, { split: 'train', maxFrames: 2000 });
        return detectSymmetry(mean.shape, ds.numJoints, mean.known);
      })()
    : symmetryFrom2d(samples.points2d, samples.mask, samples.count, ds.numJoints);
const p = await createGraphPredictor(ck.model, ck.params, { threads: 1 });
const common = {
  predict: p,
  split: values.split,
  limit: Number(values.limit),
  identity: 'none',
  jointCodes: { k, rigs: coded },
};
const none = await evaluate({ ...common, datasets: [{ ...ds, symmetry: [] }] });
const inferred = await evaluate({ ...common, datasets: [{ ...ds, symmetry: sym.pairs }] });
const declared = ds.symmetry.length ? await evaluate({ ...common, datasets: [ds] }) : null;
await p.dispose();
console.log(
  JSON.stringify({
    dataset: ds.name,
    split: values.split,
    source: values.source,
    pairsFound: sym.pairs.length,
    centre: sym.centre.length,
    coverage: Math.round(sym.coverage * 1e3) / 1e3,
    none: evalRow(none),
    inferred: evalRow(inferred),
    ...(declared && { declared: evalRow(declared) }),
  }),
);
process.exit(0);
