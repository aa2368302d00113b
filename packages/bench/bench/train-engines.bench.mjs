// The two training engines side by side on one configuration (default d128-l4: D=128, L=4, 4 heads,
// B=64, N=48), in one process, one after the other: the graph engine (ONNX training graph on
// onnxruntime-node) with 1 and with 2 intra-op threads — its in-graph Procrustes alignment timed
// against the fed-back alternative — then the tfjs engine on wasm. Each run reports samples/s (median
// step after warm-up) and the model's MatMul FLOP rate as a fraction of onnxruntime's MatMul peak
// measured right after it with the same thread count. Ends with the ratio graph / tfjs-wasm.
//
//   pnpm --filter @lfm/bench bench
//   node packages/bench/bench/train-engines.bench.mjs [--config d128-l4] [--steps 20] [--tfjs-steps 5]
//        [--threads 1,2] [--data DIR]… [--json] [--profile]
//
// --profile: one more graph-engine run (default threads) under onnxruntime's profiler, its kernel
// time split by op category (MatMul/Gemm, element-wise, layout, reductions/norms) — where time goes.
//
// Batches come from <repo>/../shared/data when it exists, else from the built-in synthetic corpus.
// The machine's load average is printed with every run: numbers compare only within one run.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// This package's own built dist (its `bench` script builds it first).
import { BENCH_CONFIGS, benchTraining } from '@lfm/bench';
import { createBatcher } from '@lfm/datasets';
import {
  createGraphEngine,
  createModel,
  createSyntheticCorpus,
  defaultGraphThreads,
  loadDatasets,
  resolveModelConfig,
  stepBatch,
} from '@lfm/trainer';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : args[i + 1];
};
const shared = fileURLToPath(new URL('../../../../shared/data', import.meta.url));
const given = args.flatMap((a, i) => (a === '--data' ? [args[i + 1]] : []));
const data = given.length > 0 ? given : existsSync(shared) ? [shared] : [];
const json = args.includes('--json');
const config = flag('config', 'd128-l4');
const steps = Number(flag('steps', 20));
const tfjsSteps = Number(flag('tfjs-steps', 5));
const threadList = flag('threads', '1,2').split(',').map(Number);
const common = {
  config,
  json: false,
  output: json ? null : process.stdout,
  data,
};

const graph = [];
for (const [k, threads] of threadList.entries()) {
  graph.push(await benchTraining({ ...common, engine: 'graph', threads, steps, alignment: k === 0 }));
}
const tfjs = await benchTraining({ ...common, engine: 'tfjs', backend: 'wasm', steps: tfjsSteps, warmup: 1 });
const byDefault = graph.find((r) => r.threads === defaultGraphThreads()) ?? graph[0];
const best = graph.reduce((a, b) => (b.samplesPerSec > a.samplesPerSec ? b : a));
const summary = {
  config,
  defaultThreads: defaultGraphThreads(),
  speedup: byDefault.samplesPerSec / tfjs.samplesPerSec,
  bestSpeedup: best.samplesPerSec / tfjs.samplesPerSec,
  bestThreads: best.threads,
  graphPeakFraction: byDefault.peakFraction,
  alignment: graph[0].alignment,
};
if (json) {
  console.log(JSON.stringify({ ...summary, runs: [...graph, tfjs] }));
} else {
  const f = (x, d = 1) => x.toFixed(d);
  console.log('\nside by side:');
  console.log('  engine                    samples/s   ms/step   GFLOP/s   of MatMul peak   load');
  for (const r of [...graph, tfjs]) {
    const name = r.engine.startsWith('graph') ? `${r.engine} ×${r.threads}` : r.engine;
    console.log(
      `  ${name.padEnd(24)} ${f(r.samplesPerSec).padStart(10)} ${f(r.msPerStep.median).padStart(9)} ${f(r.gflopsPerSec).padStart(9)} ` +
        `${`${f(100 * r.peakFraction, 0)}% of ${f(r.matmulPeak.gflopsPerSec)}`.padStart(16)}   ${r.loadAverage[0]}`,
    );
  }
  console.log(
    `  graph (default ${summary.defaultThreads} thread${summary.defaultThreads > 1 ? 's' : ''}) / tfjs-wasm: ${f(summary.speedup)}×; ` +
      `best graph (${best.threads} thread${best.threads > 1 ? 's' : ''}): ${f(summary.bestSpeedup)}×`,
  );
}

if (args.includes('--profile')) await profile(defaultGraphThreads());

/** Kernel time per training step by op category, from onnxruntime's profiler (8 steps after 3). */
async function profile(threads) {
  const bench = BENCH_CONFIGS[config];
  const model = createModel(resolveModelConfig({ kind: 'lifter', ...bench.model }));
  const params = model.init();
  const datasets = data.length > 0 ? await loadDatasets(data) : createSyntheticCorpus();
  const batcher = createBatcher({
    sources: datasets.map((dataset) => ({ dataset })),
    batchSize: bench.batchSize,
    maxPoints: bench.maxPoints,
    seed: 0,
  });
  const prefix = join(tmpdir(), `lfm-train-profile-${process.pid}`);
  const engine = await createGraphEngine(model, params, 'procrustes', { threads, profilePrefix: prefix });
  const batches = Array.from({ length: 11 }, () => {
    const b = stepBatch(batcher.next(), model);
    return {
      ...b,
      points2d: b.points2d.slice(),
      mask: b.mask.slice(),
      adj: b.adj.slice(),
      target3d: b.target3d.slice(),
    };
  });
  for (const b of batches) await engine.lossAndGradients(b);
  await engine.dispose();
  const dir = tmpdir();
  const file = readdirSync(dir).find((f) => f.startsWith(`lfm-train-profile-${process.pid}`));
  const events = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  rmSync(join(dir, file));
  const runs = events
    .filter((e) => e.cat === 'Session' && e.name === 'model_run')
    .map((e) => e.dur)
    .slice(3);
  const firstTimed = events.filter((e) => e.cat === 'Session' && e.name === 'model_run')[3].ts;
  const category = (op) =>
    ['MatMul', 'FusedMatMul', 'Gemm'].includes(op)
      ? 'MatMul/Gemm'
      : [
            'Transpose',
            'Concat',
            'Split',
            'Slice',
            'Reshape',
            'Squeeze',
            'Unsqueeze',
            'Expand',
            'Gather',
            'Shape',
            'Size',
            'Identity',
          ].includes(op)
        ? 'layout (transpose, concat, …)'
        : ['ReduceSum', 'ReduceMean', 'ReduceMax', 'Softmax', 'LayerNormalization'].includes(op)
          ? 'reductions, softmax, LayerNorm'
          : 'element-wise (add, mul, GELU parts, …)';
  const byCategory = {};
  const byOp = {};
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < firstTimed) continue;
    const op = e.args.op_name;
    byCategory[category(op)] = (byCategory[category(op)] ?? 0) + e.dur;
    byOp[op] = (byOp[op] ?? 0) + e.dur;
  }
  const n = runs.length;
  const runMs = runs.reduce((a, b) => a + b, 0) / n / 1000;
  const kernelMs = Object.values(byCategory).reduce((a, b) => a + b, 0) / n / 1000;
  const rows = Object.entries(byCategory).sort((a, b) => b[1] - a[1]);
  if (json) {
    console.log(
      JSON.stringify({
        profile: {
          threads,
          runMs,
          kernelMs,
          byCategory: Object.fromEntries(rows.map(([k, v]) => [k, v / n / 1000])),
          byOp: Object.fromEntries(Object.entries(byOp).map(([k, v]) => [k, v / n / 1000])),
        },
      }),
    );
    return;
  }
  console.log(
    `\nprofile (${threads} thread${threads > 1 ? 's' : ''}, ${n} steps): run ${runMs.toFixed(1)} ms, kernels ${kernelMs.toFixed(1)} ms per step`,
  );
  for (const [k, v] of rows)
    console.log(
      `  ${k.padEnd(40)} ${(v / n / 1000).toFixed(1).padStart(7)} ms  ${((100 * v) / n / 1000 / kernelMs).toFixed(0).padStart(3)}%`,
    );
  const top = Object.entries(byOp)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  console.log(`  top ops: ${top.map(([k, v]) => `${k} ${(v / n / 1000).toFixed(1)}`).join(', ')} (ms)`);
}
