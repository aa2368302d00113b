// Regenerates docs/BENCHMARKS.md and its figures (docs/benchmarks/*.svg) from the real corpus in
// ../shared/data: the shipped model (models/lfm.onnx) against the mean-shape and per-rig MLP baselines
// (the MLPs at the budget, stage `mlp`, and trained to a validation plateau, stage `mlp-converged`),
// single-category LFMs, ablations at equal budget, robustness to occlusion and 2D noise, unseen rigs and
// rig transfer, the real-camera protocol, and rendered skeletons.
//
// Every stage caches its numbers in docs/benchmarks/results/<stage>.json (small, committed), so a long
// report can be produced across sessions and re-rendered without re-running (--render-only). Trained
// models go to runs/bench/<arm>/ (gitignored) and resume when the script is run again.
//
// The stages, the cache and the report renderer are @lfm/bench (packages/bench/src/benchmarks/); this
// is its command line. Needs the built packages (pnpm build). Run from the repository root:
//   node scripts/benchmarks.mjs                         # every stage, default budgets
//   node scripts/benchmarks.mjs --stages eval,robustness --limit 200
//   node scripts/benchmarks.mjs --stages mlp-converged  # hours: ≤ 20 min per rig, resumes if killed
//   node scripts/benchmarks.mjs --render-only           # rebuild the report from the cached JSON
//   node scripts/benchmarks.mjs --verify --stages eval  # recompute and compare with the cached numbers
// --help lists every option.
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (pkg, file = 'index.js') => join(root, 'packages', pkg, 'dist', file);
for (const f of [
  dist('bench'),
  dist('trainer'),
  dist('runtime', 'node.js'),
  dist('datasets'),
  dist('core'),
]) {
  if (!existsSync(f)) {
    console.error(`benchmarks: ${relative(root, f)} is missing; run \`pnpm build\` first`);
    process.exit(1);
  }
}
const { runBenchmarks } = await import(dist('bench'));
const code = await runBenchmarks(process.argv.slice(2), root);
// onnxruntime-node keeps worker threads alive; the work is done.
process.exit(code);
