#!/usr/bin/env node
// Joint codes borrowed by joint name (`lfm eval --identity named`): a dataset whose rig the model never
// saw gets, for each joint whose anatomical name matches a joint of a coded rig of its category
// (`@lfm/trainer` `namedCodeTable`), that joint's code; the other joints zeros. Against no codes.
// Usage (after pnpm build): node scripts/experiments/named-codes.mjs --model CKPT --data DATA_DIR
//   [--split val] [--limit 1000] [--from RIG,RIG] [--anatomical]
import { loadDataset } from '../../packages/datasets/dist/index.js';
import {
  createGraphPredictor,
  evaluate,
  loadModelCheckpoint,
  namedCodeTable,
  rigAnatomicalCodeTable,
  unseenAnatomicalCodeTable,
} from '../../packages/trainer/dist/index.js';
import { evalRow, experimentArgs } from './common.mjs';

const values = experimentArgs(
  {
    from: { type: 'string' },
    anatomical: { type: 'boolean', default: false },
  },
  'node scripts/experiments/named-codes.mjs --model CKPT --data DIR [--split val] [--limit N]',
);
const ck = await loadModelCheckpoint(values.model);
const k = ck.model.codeSize;
const coded = ck.model.config.codedRigs ?? [];
const ds = await loadDataset(values.data);
const joints = ds.joints ?? [];
// --from RIG,RIG: borrow only from these coded rigs (default: every coded rig; the best match wins).
const from = values.from ? values.from.split(',') : coded;
// --anatomical: a model trained with `anatomicalCodes` — the dataset's anatomical codes (its joints
// without an anatomical name: its rig's codes when the model knows the rig, else zeros).
// For a rig the model does not know, only the keys some trained rig of the category has were trained
// (`unseenAnatomicalCodeTable`); a rig it knows has its full table.
function anatomical() {
  if (coded.includes(ds.name)) {
    const codes = rigAnatomicalCodeTable(ds.name, joints, ds.category, k);
    return { codes, source: `anatomy/${ds.category}`, matched: joints.length };
  }
  const t = unseenAnatomicalCodeTable(ds.name, joints, ds.category, k, coded);
  return { codes: t.codes, source: `anatomy/${ds.category}`, matched: t.coded };
}
const table = values.anatomical ? anatomical() : namedCodeTable(joints, ds.category, k, from);
if (!table) {
  console.error(`no coded ${ds.category} rig shares joint names with ${ds.name}`);
  process.exit(1);
}
const p = await createGraphPredictor(ck.model, ck.params, { threads: 1 });
const common = { predict: p, datasets: [ds], split: values.split, limit: Number(values.limit) };
const none = await evaluate({ ...common, identity: 'none', jointCodes: { k, rigs: coded } });
const named = await evaluate({
  ...common,
  jointCodes: { k, rigs: coded, tables: { [ds.name]: { joints, codes: table.codes } } },
});
await p.dispose();
console.log(
  JSON.stringify({
    dataset: ds.name,
    split: values.split,
    source: table.source,
    matched: table.matched,
    joints: joints.length,
    none: evalRow(none),
    named: evalRow(named),
  }),
);
process.exit(0);
