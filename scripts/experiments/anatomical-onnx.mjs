#!/usr/bin/env node
// A model trained with `anatomicalCodes` as an ONNX file every tool reads right: its codes are stored
// as code tables (the metadata's `jointCodes.tables`, as `lfm adapt` stores an adapted rig's), one
// per rig it was trained with (`rigAnatomicalCodeTable`) and one per extra dataset given with --rig-data
// (a rig it never saw: the codes of its joints named like a trained rig's joint, zeros elsewhere).
// `lfm eval`, `lfm lift` and `lfm adapt` (which starts a stored rig from its table) then use them.
// Usage (after pnpm build): node scripts/experiments/anatomical-onnx.mjs --model CKPT --out FILE.onnx
//   [--rig-data DIR …]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadDataset } from '../../packages/datasets/dist/index.js';
import { exportLifter } from '../../packages/onnx/dist/index.js';
import { datasetRigs } from '../../packages/rigs/dist/index.js';
import {
  loadModelCheckpoint,
  rigAnatomicalCodeTable,
  unseenAnatomicalCodeTable,
} from '../../packages/trainer/dist/index.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    out: { type: 'string' },
    'rig-data': { type: 'string', multiple: true, default: [] },
  },
});
if (!values.model || !values.out) {
  console.error(
    'usage: node scripts/experiments/anatomical-onnx.mjs --model CKPT --out FILE.onnx [--rig-data DIR …]',
  );
  process.exit(1);
}
const ck = await loadModelCheckpoint(values.model);
const k = ck.model.codeSize;
const coded = ck.model.config.codedRigs ?? [];
const tables = {};
for (const id of coded) {
  const rig = datasetRigs.find((r) => r.id === id);
  if (!rig) throw new Error(`${id}: not a built-in dataset rig`);
  tables[id] = { joints: rig.joints, codes: rigAnatomicalCodeTable(id, rig.joints, rig.category, k) };
}
for (const dir of values['rig-data']) {
  const ds = await loadDataset(dir);
  const joints = ds.joints ?? [];
  const { codes, coded: n } = unseenAnatomicalCodeTable(ds.name, joints, ds.category, k, coded);
  tables[ds.name] = { joints, codes };
  console.error(`${ds.name}: ${n} of ${joints.length} joints coded`);
}
const bytes = exportLifter(
  {
    config: (({ kind: _kind, ...c }) => c)(ck.config),
    params: ck.params,
    ...(ck.metadata && { metadata: ck.metadata }),
  },
  { producer: { name: 'scripts/experiments/anatomical-onnx.mjs' }, jointCodeTables: tables },
);
writeFileSync(values.out, bytes);
console.error(`wrote ${values.out} (${Object.keys(tables).length} code tables)`);
