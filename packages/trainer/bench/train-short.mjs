// A short real training run in plain Node (no vitest, no bundler) through `runTraining`, the entry
// the long runs use: loads datasets, trains for a few steps on the chosen engine (the graph engine by
// default; tfjs through `@lfm/trainer/tfjs-backend`, verifying the backend really switched) and
// prints the throughput. The engines' benchmark proper is packages/bench/bench/train-engines.bench.mjs.
//
//   node packages/trainer/bench/train-short.mjs --steps 20 --dModel 128 --engine tfjs --backend wasm --data DIR
//
// Flags: --data DIR (repeatable; a dataset folder or a folder of them; default <repo>/../shared/data),
// --steps, --batch, --dModel, --layers, --heads, --maxPoints, --lr, --engine graph|tfjs,
// --threads (graph), --backend tensorflow|wasm|cpu (tfjs), --out DIR (default: a temporary folder),
// --val N (validation interval, 0 = off), --maxMinutes.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTraining } from '@lfm/trainer';
import { loadTfjsBackend } from '@lfm/trainer/tfjs-backend';

const args = process.argv.slice(2);
const flags = { data: [] };
for (let i = 0; i < args.length; i += 2) {
  const key = args[i]?.replace(/^--/, '');
  const value = args[i + 1];
  if (!key || value === undefined) throw new Error(`bad arguments near '${args[i]}'`);
  if (key === 'data') flags.data.push(value);
  else flags[key] = value;
}
const num = (k, d) => (flags[k] === undefined ? d : Number(flags[k]));
const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../../../shared/data');
const data = flags.data.length > 0 ? flags.data : [shared];
if (!data.every((d) => existsSync(d))) {
  console.error(`no data at ${data.join(', ')}; pass --data DIR`);
  process.exit(2);
}

const engine = flags.engine ?? 'graph';
let tf;
if (engine === 'tfjs') {
  const t0 = performance.now();
  const loaded = await loadTfjsBackend(flags.backend ?? 'wasm');
  tf = loaded.tf;
  console.log(
    `tfjs ${tf.version_core} on '${tf.getBackend()}' (requested ${flags.backend ?? 'wasm'}, got ${loaded.backend}) in ${(performance.now() - t0).toFixed(0)} ms`,
  );
}

const steps = num('steps', 6);
const out = flags.out ?? mkdtempSync(join(tmpdir(), 'lfm-train-short-'));
const config = {
  data,
  engine,
  ...(flags.threads !== undefined && { threads: num('threads') }),
  outDir: out,
  steps,
  batchSize: num('batch', 64),
  maxPoints: num('maxPoints', 48),
  lr: num('lr', 1e-3),
  warmupSteps: Math.min(200, Math.floor(steps / 10)),
  model: { kind: 'lifter', dModel: num('dModel', 64), layers: num('layers', 4), heads: num('heads', 4) },
  valInterval: num('val', 0),
  valSamples: 64,
  logInterval: Math.max(1, Math.floor(steps / 20)),
  checkpointInterval: 0,
  maxMinutes: num('maxMinutes', 2),
};
const perStep = [];
let last = performance.now();
const result = await runTraining(config, {
  ...(tf && { tf }),
  onLog: (e) => {
    const now = performance.now();
    perStep.push(e.samplesPerSec);
    last = now;
  },
});
void last;
const sorted = perStep.slice(1).sort((a, b) => a - b);
const median = sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)] : result.samplesPerSec;
console.log(
  JSON.stringify({
    engine: result.engine,
    backend: result.backend,
    dModel: config.model.dModel,
    layers: config.model.layers,
    batch: config.batchSize,
    maxPoints: config.maxPoints,
    steps: result.step,
    loss: result.loss,
    samplesPerSecMean: Number(result.samplesPerSec.toFixed(1)),
    samplesPerSecMedianAfterFirst: Number(median.toFixed(1)),
    checkpoint: result.checkpoint,
    ...(tf && { numTensors: tf.memory().numTensors }),
  }),
);
