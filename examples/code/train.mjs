// node examples/code/train.mjs (from the repository root; after pnpm build)
import { runTraining } from '@lfm/trainer';

const result = await runTraining({
  data: ['data/demo-shapes'], // dataset folders, or folders of them (the real corpus: '../shared/data')
  outDir: 'runs/examples/train', // last.ckpt, best.ckpt, metrics.jsonl, config.json
  model: { kind: 'lifter', dModel: 16, layers: 1, heads: 2 }, // shipped: configs/lfm-combined-camera.json
  steps: 20,
  batchSize: 8,
  maxPoints: 72,
  lr: 2e-3,
  warmupSteps: 5,
  valInterval: 10,
  valSamples: 8,
  checkpointInterval: 10,
  logInterval: 10,
  maxMinutes: 2,
  resume: false, // true: continue from outDir/last.ckpt
  // engine: 'graph' (default) | 'tfjs'; threads: graph engine intra-op threads; backend: tfjs backend
});
console.log(result.step, result.val?.mean.nPaMpjpe, result.checkpoint);
