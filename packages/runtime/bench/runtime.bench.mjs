// Inference benchmark, one run, side by side: the lifter at d=128, L=4 (the default size), N=48 points,
// latency at B=1 and throughput at B=64 on
//   - onnxruntime-node through @lfm/runtime (forward = the model call; lift = + preprocessing + OnP camera)
//   - onnxruntime-web's wasm EP in Node (1 thread)
//   - tfjs-wasm (the same forwardLifter on tfjs-core + @tensorflow/tfjs-backend-wasm; forward only)
// plus, on onnxruntime-node, the same size with branchWidth 'half' (each hybrid branch D/2 wide with
// heads/2 heads: one MHSA's cost), the 'global' ablation (one branch) and head 'camera'.
// Imports the BUILT packages (dist): `pnpm --filter @lfm/runtime bench` builds first.
// Usage: node bench/runtime.bench.mjs [--quick] [--json]
// Measured numbers, with the load they were taken under: packages/runtime/README.md.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Rng } from '@lfm/core';
import { createTfjsOps, createTfjsParams } from '@lfm/core/tfjs';
import { preprocessKeypoints } from '@lfm/datasets/preprocess';
import { forwardLifter, initParameters, parameterShapes, resolveLifterConfig } from '@lfm/model';
import { exportLifter } from '@lfm/onnx';
import { loadLifter } from '@lfm/runtime/node';
import { loadLifter as loadLifterWeb } from '@lfm/runtime/web';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');
const N = 48;
const BIG = 64;

const config = resolveLifterConfig({ dModel: 128, layers: 4, heads: 4, mlpRatio: 4, seed: 1 });
const params = initParameters(config);
const bytes = exportLifter({ config, params });
// The 'global' ablation has one attention branch per layer, like the single-MHSA prototype that
// docs/BACKENDS.md §4 timed; the paper's hybrid layer adds the local branch (≈ 1.4× the FLOPs).
const globalConfig = resolveLifterConfig({ ...config, attention: 'global' });
const globalBytes = exportLifter({ config: globalConfig, params: initParameters(globalConfig) });
// branchWidth 'half': the hybrid layer with each branch D/2 wide (heads/2 heads of width D/heads),
// concat D, proj [D, D] — the layer's attention costs what one full-width MHSA costs.
const halfConfig = resolveLifterConfig({ ...config, branchWidth: 'half' });
const halfBytes = exportLifter({ config: halfConfig, params: initParameters(halfConfig) });
// head 'camera': the decoder's shape S with its camera fitted to the 2D in closed form (the shipped model's head).
const cameraConfig = resolveLifterConfig({ ...config, head: 'camera' });
const cameraBytes = exportLifter({ config: cameraConfig, params: initParameters(cameraConfig) });

// Inputs in pixels: a random 2D cloud per sample, ~10% of points missing; no rig → kNN graph.
const rng = new Rng(7);
function pixels(B) {
  return Array.from({ length: B }, () =>
    Array.from({ length: N }, () =>
      rng.uniform() < 0.1 ? null : [640 + 150 * rng.normal(), 360 + 150 * rng.normal()],
    ),
  );
}
const raw = { 1: pixels(1), [BIG]: pixels(BIG) };
const pre = Object.fromEntries(
  [1, BIG].map((B) => {
    const xy = new Float32Array(B * N * 2);
    const mask = new Uint8Array(B * N);
    for (const [b, s] of raw[B].entries()) {
      for (const [i, p] of s.entries()) {
        if (p) {
          xy.set(p, 2 * (b * N + i));
          mask[b * N + i] = 1;
        }
      }
    }
    return [B, preprocessKeypoints({ data: xy, shape: [B, N, 2] }, { mask: { data: mask, shape: [B, N] } })];
  }),
);
const feeds = (B) => ({ points: pre[B].points.data, mask: pre[B].mask.data, adj: pre[B].adj.data, batch: B });

// Cases run INTERLEAVED, round-robin (a few calls of each per round), so load from other processes
// on the machine hits every row alike and the rows stay comparable.
const cases = [];
const add = (engine, what, B, fn, perRound) => cases.push({ engine, what, B, fn, perRound, t: [] });

// --- onnxruntime-node: 1 intra-op thread for B=1, 2 for B=64 (docs/BACKENDS.md §4), and 'auto' ---
const ort1 = await loadLifter(bytes, { threads: 1 });
const ort2 = await loadLifter(bytes, { threads: 2 });
const ortAuto = await loadLifter(bytes);
add('onnxruntime-node', 'forward, 1 thread', 1, () => ort1.forward(feeds(1)), 100);
add('onnxruntime-node', 'forward, 2 threads', 1, () => ort2.forward(feeds(1)), 100);
add('onnxruntime-node', 'forward, 1 thread', BIG, () => ort1.forward(feeds(BIG)), 4);
add('onnxruntime-node', 'forward, 2 threads', BIG, () => ort2.forward(feeds(BIG)), 4);
const glob1 = await loadLifter(globalBytes, { threads: 1 });
const glob2 = await loadLifter(globalBytes, { threads: 2 });
const globalFeeds = (B) => ({ ...feeds(B), adj: undefined });
add('onnxruntime-node', "forward, 1 thread, 'global' ablation", 1, () => glob1.forward(globalFeeds(1)), 100);
add(
  'onnxruntime-node',
  "forward, 2 threads, 'global' ablation",
  BIG,
  () => glob2.forward(globalFeeds(BIG)),
  4,
);
const HALF = "branchWidth 'half'";
const half1 = await loadLifter(halfBytes, { threads: 1 });
const half2 = await loadLifter(halfBytes, { threads: 2 });
add('onnxruntime-node', `forward, 1 thread, ${HALF}`, 1, () => half1.forward(feeds(1)), 100);
add('onnxruntime-node', `forward, 2 threads, ${HALF}`, 1, () => half2.forward(feeds(1)), 100);
add('onnxruntime-node', `forward, 1 thread, ${HALF}`, BIG, () => half1.forward(feeds(BIG)), 4);
add('onnxruntime-node', `forward, 2 threads, ${HALF}`, BIG, () => half2.forward(feeds(BIG)), 4);
// The runtime's multi-thread sessions do not spin-wait (nodeSessionOptions); onnxruntime's default
// does. The same 'half' model with spinning workers, to see which wins on the machine at hand.
const halfSpin2 = await loadLifter(halfBytes, { threads: 2, spinning: true });
add(
  'onnxruntime-node',
  `forward, 2 threads, ${HALF}, spin-wait`,
  BIG,
  () => halfSpin2.forward(feeds(BIG)),
  4,
);
const CAMERA = "head 'camera'";
const camera1 = await loadLifter(cameraBytes, { threads: 1 });
const camera2 = await loadLifter(cameraBytes, { threads: 2 });
add('onnxruntime-node', `forward, 1 thread, ${CAMERA}`, 1, () => camera1.forward(feeds(1)), 100);
add('onnxruntime-node', `forward, 2 threads, ${CAMERA}`, BIG, () => camera2.forward(feeds(BIG)), 4);
add('onnxruntime-node', "lift() end to end, threads 'auto'", 1, () => ortAuto.lift(raw[1][0]), 100);
add('onnxruntime-node', "lift() end to end, threads 'auto'", BIG, () => ortAuto.lift(raw[BIG]), 4);

// --- onnxruntime-web, wasm EP in Node, 1 thread ---
const web = await loadLifterWeb(bytes);
add('onnxruntime-web (wasm)', 'forward, 1 thread', 1, () => web.forward(feeds(1)), 10);
add('onnxruntime-web (wasm)', 'forward, 1 thread', BIG, () => web.forward(feeds(BIG)), 1);

// --- tfjs-wasm: the same model definition, eager on tfjs-core (forward only, no gradients) ---
if (!(await tf.setBackend('wasm')) || tf.getBackend() !== 'wasm')
  throw new Error('tfjs wasm backend unavailable');
const tfOps = createTfjsOps(tf);
const tfParams = createTfjsParams(
  Object.fromEntries(parameterShapes(config).map((s) => [s.name, tf.tensor(params[s.name], [...s.shape])])),
);
const tfForward = (B) => () =>
  tf.tidy(() => {
    const f = feeds(B);
    const y = forwardLifter(
      tfOps,
      tfParams,
      {
        points: tf.tensor(f.points, [B, N, 2]),
        mask: tf.tensor(f.mask, [B, N]),
        adj: tf.tensor(f.adj, [B, N, N]),
      },
      config,
    );
    return y.dataSync();
  });
add('tfjs-wasm (1 thread in Node)', 'forward', 1, tfForward(1), 10);
add('tfjs-wasm (1 thread in Node)', 'forward', BIG, tfForward(BIG), 1);

const rounds = quick ? 3 : 12;
for (const c of cases) for (let i = 0; i < 2 * c.perRound; i++) await c.fn(); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const c of cases) {
    for (let i = 0; i < c.perRound; i++) {
      const t0 = performance.now();
      await c.fn();
      c.t.push(performance.now() - t0);
    }
  }
}
await Promise.all(
  [ort1, ort2, ortAuto, glob1, glob2, half1, half2, halfSpin2, camera1, camera2, web].map((l) => l.release()),
);

const rows = cases.map(({ engine, what, B, t }) => {
  t.sort((a, b) => a - b);
  const q = (p) => t[Math.min(t.length - 1, Math.floor(p * t.length))];
  return {
    engine,
    what,
    B,
    calls: t.length,
    median: q(0.5),
    p10: q(0.1),
    p90: q(0.9),
    samplesPerSec: (1000 * B) / q(0.5),
  };
});
const by = (engine, what, B) => rows.find((r) => r.engine === engine && r.what === what && r.B === B);
// The headline rows: ORT with 1 thread at B=1 and its faster thread count at B=64 (2 on a quiet 2-core
// machine; 1 when other processes hold a core), against tfjs-wasm.
const ortB1 = by('onnxruntime-node', 'forward, 1 thread', 1);
const ortBig = [
  by('onnxruntime-node', 'forward, 1 thread', BIG),
  by('onnxruntime-node', 'forward, 2 threads', BIG),
].sort((a, b) => a.median - b.median)[0];
const halfB1 = by('onnxruntime-node', `forward, 1 thread, ${HALF}`, 1);
const halfBig = [
  by('onnxruntime-node', `forward, 1 thread, ${HALF}`, BIG),
  by('onnxruntime-node', `forward, 2 threads, ${HALF}`, BIG),
].sort((a, b) => a.median - b.median)[0];
const tfB1 = by('tfjs-wasm (1 thread in Node)', 'forward', 1);
const tfBig = by('tfjs-wasm (1 thread in Node)', 'forward', BIG);
const summary = {
  machine: `${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, Node ${process.version}`,
  loadAverageAtEnd: loadavg()[0],
  model: `d=${config.dModel} L=${config.layers} heads=${config.heads} N=${N}, ${(bytes.length / 1e6).toFixed(2)} MB`,
  latencyB1: { ortNodeMs: ortB1.median, tfjsWasmMs: tfB1.median, speedup: tfB1.median / ortB1.median },
  throughputB64: {
    ortNode: ortBig.what,
    ortNodeSamplesPerSec: ortBig.samplesPerSec,
    tfjsWasmSamplesPerSec: tfBig.samplesPerSec,
    speedup: ortBig.samplesPerSec / tfBig.samplesPerSec,
  },
  // Issue 5's target, from a single-MHSA prototype: ~0.7 ms at B=1, ~2,300 samples/s at B=64 (2 threads).
  halfBranches: {
    model: `d=${halfConfig.dModel} L=${halfConfig.layers} heads=${halfConfig.heads} branchWidth 'half', ${(halfBytes.length / 1e6).toFixed(2)} MB`,
    latencyB1Ms: halfB1.median,
    throughputB64: halfBig.what,
    samplesPerSec: halfBig.samplesPerSec,
    vsFullLatency: ortB1.median / halfB1.median,
    vsFullThroughput: halfBig.samplesPerSec / ortBig.samplesPerSec,
  },
};

if (asJson) {
  console.log(JSON.stringify({ summary, rows }, null, 2));
} else {
  console.log(
    `${summary.machine}; ${summary.model}; load average ${loadavg()[0].toFixed(2)}${quick ? ' (--quick)' : ''}`,
  );
  const fmt = (x, d = 2) => x.toFixed(d).padStart(9);
  console.log(
    `${'engine'.padEnd(30)}${'call'.padEnd(48)}${'B'.padStart(4)}  median ms      p10      p90   samples/s`,
  );
  for (const r of rows) {
    console.log(
      `${r.engine.padEnd(30)}${r.what.padEnd(48)}${String(r.B).padStart(4)}${fmt(r.median, 3)}${fmt(r.p10, 3)}${fmt(r.p90, 3)}${fmt(r.samplesPerSec, 0).padStart(12)}`,
    );
  }
  console.log(
    `\nB=1 latency: onnxruntime-node ${summary.latencyB1.ortNodeMs.toFixed(3)} ms vs tfjs-wasm ${summary.latencyB1.tfjsWasmMs.toFixed(2)} ms (${summary.latencyB1.speedup.toFixed(1)}×)` +
      `\nB=64 throughput: onnxruntime-node (${ortBig.what}) ${summary.throughputB64.ortNodeSamplesPerSec.toFixed(0)} samples/s vs tfjs-wasm ${summary.throughputB64.tfjsWasmSamplesPerSec.toFixed(0)} samples/s (${summary.throughputB64.speedup.toFixed(1)}×)` +
      `\n${summary.halfBranches.model}: B=1 ${halfB1.median.toFixed(3)} ms (1 thread; ${summary.halfBranches.vsFullLatency.toFixed(2)}× the 'full' hybrid's speed), ` +
      `B=64 ${halfBig.samplesPerSec.toFixed(0)} samples/s (${halfBig.what.replace(`, ${HALF}`, '')}; ${summary.halfBranches.vsFullThroughput.toFixed(2)}×) — issue 5's target: ~0.7 ms, ~2,300 samples/s`,
  );
}
