#!/usr/bin/env node
// The scaling study (issue 16, item 3): model shapes trained with one recipe on the same data, their
// validation nPA-MPJPE against samples seen (from each run's metrics.jsonl, the mean over the val
// splits the run validated on, strict, with joint codes), and — when the runs held a group out — the
// held-out group lifted with no joint codes (flip-best nPA ÷ its flat guess, test split).
//
// Runs are made with `lfm train --config configs/experiments/scaling-<shape>-<tag>.json` (see
// docs/BENCHMARKS.md, "Scaling study"); this script only reads them and evaluates their last.ckpt.
// Writes docs/benchmarks/scaling.svg, docs/benchmarks/scaling.md and docs/benchmarks/results/scaling.json.
// Imports the BUILT packages (pnpm build first). Skips, with a message and exit 0, when no run is there.
//
// Usage: node scripts/scaling-study.mjs [--runs DIR] [--held-out DIR[,DIR…]] [--out DIR] [--limit N]
//   --runs      folder of run folders (default runs/scaling)
//   --held-out  dataset folders the runs did not train on, lifted code-less (default: none)
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: join(root, 'runs', 'scaling') },
    'held-out': { type: 'string' },
    out: { type: 'string', default: join(root, 'docs') },
    limit: { type: 'string' },
  },
});
const fail = (msg) => {
  console.error(`scaling-study: ${msg}`);
  process.exit(1);
};
const rel = (p) => relative(root, p) || '.';
const dist = (pkg) => join(root, 'packages', pkg, 'dist', 'index.js');
for (const f of [dist('trainer'), dist('bench')])
  if (!existsSync(f)) fail(`${rel(f)} is missing; run \`pnpm build\` first`);
const T = await import(dist('trainer'));
const B = await import(dist('bench'));

const runsDir = resolve(opts.runs);
const runs = existsSync(runsDir)
  ? readdirSync(runsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(runsDir, e.name, 'metrics.jsonl')))
      .map((e) => join(runsDir, e.name))
      .sort()
  : [];
if (runs.length === 0) {
  console.log(`scaling-study: skipped: no run folder with metrics.jsonl under ${rel(runsDir)}`);
  process.exit(0);
}
let limit;
try {
  limit = B.numberFlag('limit', opts.limit, undefined, { int: true, min: 1 });
} catch (e) {
  fail(e.message);
}
const heldOut =
  opts['held-out'] === undefined
    ? []
    : await T.loadDatasets(opts['held-out'].split(',').map((p) => resolve(p)));

const rows = [];
for (const dir of runs) {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean);
  const entries = lines.map((l) => JSON.parse(l));
  const vals = entries
    .filter((e) => e.val?.datasets?.length)
    .map((e) => ({
      step: e.step,
      samples: e.samples,
      minutes: e.elapsedSec / 60,
      nPa: B.mean(e.val.datasets.map((d) => d.nPaMpjpe)),
      perDataset: Object.fromEntries(e.val.datasets.map((d) => [d.name, d.nPaMpjpe])),
    }));
  const speeds = entries.map((e) => e.samplesPerSec).filter((s) => Number.isFinite(s));
  const m = config.model;
  const row = {
    run: rel(dir),
    shape: `d${m.dModel}-l${m.layers}`,
    dModel: m.dModel,
    layers: m.layers,
    steps: entries.at(-1)?.step ?? 0,
    plannedSteps: config.steps,
    samples: entries.at(-1)?.samples ?? 0,
    medianSamplesPerSec: speeds.length ? B.upperMedian(speeds) : null,
    val: vals,
    heldOut: [],
  };
  const ckptFile = join(dir, 'last.ckpt');
  if (heldOut.length > 0 && existsSync(ckptFile)) {
    const ckpt = await T.loadModelCheckpoint(ckptFile);
    const predict = await T.createGraphPredictor(ckpt.model, ckpt.params, { threads: 1 });
    try {
      const report = await T.evaluate({
        predict,
        datasets: heldOut,
        identity: 'none',
        seed: 0,
        model: rel(dir),
        ...(limit !== undefined && { limit }),
        ...(ckpt.model.codeSize > 0 && { jointCodes: B.jointCodesOf(ckpt.model) }),
      });
      row.heldOut = report.datasets.map((d) => ({
        name: d.name,
        samples: d.samples,
        strict: d.nPaMpjpe,
        flipBest: d.nPaMpjpeFlipBest,
        flat: d.flatNPaMpjpe,
        ratio: d.nPaMpjpeFlipBest / d.flatNPaMpjpe,
      }));
    } finally {
      await predict.dispose();
    }
  }
  // elapsedSec restarts at a resume: minutes are the samples at the run's median speed.
  row.minutes = row.medianSamplesPerSec ? row.samples / row.medianSamplesPerSec / 60 : 0;
  rows.push(row);
  console.error(`scaling-study: ${row.shape} ${row.steps} steps, ${row.val.length} val points`);
}

const outDir = resolve(opts.out);
mkdirSync(join(outDir, 'benchmarks', 'results'), { recursive: true });
const svg = B.lineChartSvg({
  title: 'Scaling study: validation nPA-MPJPE (mean over val splits, with codes) vs samples seen',
  xLabel: 'samples seen (thousands)',
  yLabel: 'mean val nPA-MPJPE',
  series: rows.map((r, i) => ({
    name: `${r.shape} (${r.medianSamplesPerSec?.toFixed(0) ?? '?'} samples/s)`,
    color: B.PALETTE[i % B.PALETTE.length],
    points: r.val.map((v) => [v.samples / 1000, v.nPa]),
  })),
});
writeFileSync(join(outDir, 'benchmarks', 'scaling.svg'), svg);
writeFileSync(
  join(outDir, 'benchmarks', 'results', 'scaling.json'),
  `${JSON.stringify({ createdAt: new Date().toISOString(), command: `node scripts/scaling-study.mjs ${process.argv.slice(2).join(' ')}`.trim(), rows }, null, 2)}\n`,
);
const f3 = (x) => B.fx(x);
const md = B.table(
  [
    'shape',
    'steps',
    'samples',
    'minutes (samples ÷ median speed)',
    'median samples/s',
    'best val nPA (at samples)',
    'last val nPA',
    'held out: flip-best ÷ flat (strict)',
  ],
  rows.map((r) => {
    const best = r.val.reduce((a, v) => (a === null || v.nPa < a.nPa ? v : a), null);
    const held = r.heldOut
      .map((h) => `${h.name} ${f3(h.ratio)} (${f3(h.strict)} / flat ${f3(h.flat)})`)
      .join('; ');
    return [
      r.shape,
      `${r.steps} / ${r.plannedSteps}`,
      r.samples.toLocaleString('en'),
      r.minutes.toFixed(1),
      r.medianSamplesPerSec?.toFixed(0) ?? '—',
      best ? `${f3(best.nPa)} (${(best.samples / 1000).toFixed(0)}k)` : '—',
      f3(r.val.at(-1)?.nPa),
      held || '—',
    ];
  }),
  ['l', 'r', 'r', 'r', 'r', 'l', 'r', 'l'],
);
writeFileSync(join(outDir, 'benchmarks', 'scaling.md'), `${md}\n`);
console.log(md);
