// node examples/code/adapt.mjs (from the repository root; after pnpm build)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadLifter } from '@lfm/runtime/node';
import {
  adapt,
  evaluate,
  exportAdaptedLifter,
  forwardPredictor,
  loadAdaptBase,
  loadDatasets,
} from '@lfm/trainer';

const datasets = await loadDatasets(['data/demo-shapes/demo-quadruped'], { views: true });
const base = loadAdaptBase(readFileSync('models/lfm.ckpt')); // a lifter .ckpt, or an .onnx
const result = await adapt({
  base,
  datasets, // read as 2D only: protocol 'synthetic' (default) or 'real' (views.f32, all cameras of a frame)
  split: 'train',
  steps: 10, // and/or maxMinutes; mode: 'codes' | 'last-layers' (default for single-view data); samples: 2D arrays of your own
  progress: 'none',
});
console.log(result.rigs[0].id, result.steps, Object.keys(result.final).join(' '));
const bytes = exportAdaptedLifter(result); // an .onnx whose metadata holds the rig's adapted codes
mkdirSync('runs/examples', { recursive: true });
writeFileSync('runs/examples/adapted.onnx', bytes);
const lifter = await loadLifter(bytes);
const report = await evaluate({
  predict: forwardPredictor(lifter),
  datasets,
  split: 'test',
  jointCodes: lifter.info.jointCodes, // with the adapted table of demo-quadruped
});
console.log(report.datasets[0].samples, report.datasets[0].nPaMpjpe > 0);
await lifter.release();
