// Sequence lifting throughput: `liftSequence` (batched `Lifter.lift`: input checks, preprocessing,
// the model on onnxruntime-node, the OnP camera of every frame) on a synthetic video of one 20-joint
// animal with a chain-and-limbs skeleton, ~5% of its points missing — frames per second, end to end
// as `lfm lift --input <sequence>` runs it (file reading and writing excluded).
// The model: the shipped models/lfm.onnx when present, else an untrained one of the default size
// (d=128, L=4). Issue 19 asks for ≥ 1,000 frames/s for a 20-joint rig on the dev machine.
// Imports the BUILT packages (dist): build first (pnpm build), or `lfm bench sequence`.
// Usage: node bench/sequence.bench.mjs [--quick] [--json] [--frames N] [--batch B]
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Rng } from '@lfm/core';
import { SequenceBuilder } from '@lfm/datasets/preprocess';
import { initParameters, resolveLifterConfig } from '@lfm/model';
import { exportLifter } from '@lfm/onnx';
import { defineRig } from '@lfm/rig';
import { liftSequence, loadLifter } from '@lfm/runtime/node';

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : undefined;
};
const quick = args.includes('--quick');
const asJson = args.includes('--json');
const FRAMES = flag('frames') ?? (quick ? 1000 : 10_000);
const BATCH = flag('batch') ?? 512;
const J = 20;

const shipped = fileURLToPath(new URL('../../../models/lfm.onnx', import.meta.url));
const source = existsSync(shipped)
  ? shipped
  : exportLifter(
      (() => {
        const config = resolveLifterConfig({ dModel: 128, layers: 4, heads: 4, mlpRatio: 4, seed: 1 });
        return { config, params: initParameters(config) };
      })(),
    );
const lifter = await loadLifter(source);

// A 20-joint rig: a spine of 6, a tail of 2, four legs of 3.
const joints = Array.from({ length: J }, (_, j) => `j${j}`);
const chain = (a, b) => Array.from({ length: b - a }, (_, k) => [joints[a + k], joints[a + k + 1]]);
const rig = defineRig({
  id: 'bench-animal-20',
  category: 'quadruped',
  joints,
  bones: [
    ...chain(0, 5),
    ...chain(5, 7),
    ['j1', 'j8'],
    ...chain(8, 10),
    ['j1', 'j11'],
    ...chain(11, 13),
    ['j4', 'j14'],
    ...chain(14, 16),
    ['j4', 'j17'],
    ...chain(17, 19),
  ],
  citation: 'LFM sequence benchmark (packages/runtime/bench/sequence.bench.mjs)',
});

// A smoothly moving 2D animal, in pixels.
const rng = new Rng(19);
const base = Array.from({ length: J }, () => [rng.normal() * 80, rng.normal() * 60]);
const b = new SequenceBuilder('dlc', (m) => {
  throw new Error(m);
});
for (let f = 0; f < FRAMES; f++) {
  const frame = b.frame(f);
  const a = f / 30;
  const xy = base.flatMap(([x, y], j) => [
    640 + x * Math.cos(a) + 5 * Math.sin(a + j),
    360 + y + 3 * Math.cos(2 * a + j),
  ]);
  const present = joints.map(() => rng.uniform() > 0.05);
  b.add(frame, { track: 0, xy, present, rig: rig.id }, `frame ${f}`);
}
const sequence = b.build();

// Warm-up (sessions, JIT), then the timed run.
await liftSequence(lifter, sequence, { rig: () => rig, batchSize: BATCH });
const t0 = performance.now();
const lifted = await liftSequence(lifter, sequence, { rig: () => rig, batchSize: BATCH });
const seconds = (performance.now() - t0) / 1000;
const framesPerSecond = FRAMES / seconds;
await lifter.release();

const result = {
  bench: 'sequence',
  model: typeof source === 'string' ? 'models/lfm.onnx' : 'untrained d128-l4',
  joints: J,
  frames: FRAMES,
  batch: BATCH,
  lifted: lifted.tracks[0].cameras.filter(Boolean).length,
  seconds: Number(seconds.toFixed(3)),
  framesPerSecond: Math.round(framesPerSecond),
  cores: availableParallelism(),
  loadAverage: loadavg()[0],
};
if (asJson) console.log(JSON.stringify(result, null, 2));
else {
  console.log(
    `liftSequence: ${FRAMES} frames × ${J} joints (${result.model}, batch ${BATCH}) in ${result.seconds} s: ` +
      `${result.framesPerSecond} frames/s (${result.cores} cores, load ${result.loadAverage.toFixed(2)})`,
  );
}
