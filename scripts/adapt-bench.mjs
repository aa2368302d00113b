#!/usr/bin/env node
// `lfm adapt` on held-out groups (issue 17, item 4): for each case (a dataset and a base model that
// never trained on it — a leave-one-out fold), adapt the model on the dataset's 2D alone (the train
// split's synthetic-protocol projections; `--split test` = transductive) with N frames, then score
// the test split: adapted vs zero-shot (the base model, no joint codes) vs the flat guess vs an
// oracle (a model trained WITH the dataset's 3D). Strict nPA and nPA with one mirror for the whole
// set (`nPaMpjpeSetFlip`; NRSfM's convention), flip-best beside them, and the depth spread.
//
// Drives the CLI (`lfm adapt`, `lfm eval`; pnpm build first). Writes docs/benchmarks/adapt.md and
// docs/benchmarks/results/adapt.json, and prints the table.
//
// Usage: node scripts/adapt-bench.mjs --case NAME=DATA_DIR@BASE_CKPT [--case …] [--oracle MODEL]
//          [--frames 10,100,1000] [--transductive] [--arm NAME=ARGS …] [--out DIR]
//   --arm  named `lfm adapt` option sets, e.g. --arm "codes=--lr 0.01" (default: one arm, the
//          command's defaults)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    case: { type: 'string', multiple: true, default: [] },
    oracle: { type: 'string', default: join(root, 'models', 'lfm.onnx') },
    frames: { type: 'string', default: '10,100,1000' },
    transductive: { type: 'boolean', default: false },
    arm: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: join(root, 'docs') },
  },
});
const fail = (msg) => {
  console.error(`adapt-bench: ${msg}`);
  process.exit(1);
};
const rel = (p) => relative(root, p) || '.';
const cli = join(root, 'apps', 'cli', 'dist', 'bin.js');
const benchDist = join(root, 'packages', 'bench', 'dist', 'index.js');
for (const f of [cli, benchDist]) if (!existsSync(f)) fail(`${rel(f)} is missing; run \`pnpm build\` first`);
const B = await import(benchDist);
const cases = opts.case.map((c) => {
  const m = /^([^=]+)=([^@]+)@(.+)$/.exec(c);
  if (!m) fail(`--case must be NAME=DATA_DIR@BASE_CKPT, got '${c}'`);
  const [, name, data, base] = m;
  for (const p of [data, base]) if (!existsSync(p)) fail(`--case ${name}: ${p} not found`);
  return { name, data: resolve(data), base: resolve(base) };
});
if (cases.length === 0) fail('give at least one --case NAME=DATA_DIR@BASE_CKPT');
const frames = opts.frames.split(',').map((s) => {
  const n = Number(s);
  if (!(Number.isInteger(n) && n > 0)) fail(`--frames: '${s}' is not a positive integer`);
  return n;
});
const arms = (opts.arm.length ? opts.arm : ['default=']).map((a) => {
  const i = a.indexOf('=');
  if (i < 1) fail(`--arm must be NAME=ARGS, got '${a}'`);
  return {
    name: a.slice(0, i),
    args: a
      .slice(i + 1)
      .split(/\s+/)
      .filter(Boolean),
  };
});

const lfm = (args) =>
  execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const evalRow = (data, model, extra = []) => {
  const r = JSON.parse(lfm(['eval', '--data', data, '--model', model, '--json', ...extra]));
  const d = r.datasets[0];
  return {
    samples: d.samples,
    strict: d.nPaMpjpe,
    setFlip: d.nPaMpjpeSetFlip,
    flipBest: d.nPaMpjpeFlipBest,
    flat: d.flatNPaMpjpe,
    depthSpread: d.depthSpread,
  };
};
const tmp = mkdtempSync(join(tmpdir(), 'lfm-adapt-bench-'));
const rows = [];
try {
  for (const c of cases) {
    const zero = evalRow(c.data, c.base, ['--identity', 'none']);
    const oracle = existsSync(opts.oracle) ? evalRow(c.data, opts.oracle) : null;
    rows.push({ case: c.name, setting: 'zero-shot (no codes)', minutes: 0, ...zero, oracle });
    const settings = [
      ...frames.map((n) => ({ label: `${n} train frames`, args: ['--frames', String(n)] })),
      ...(opts.transductive ? [{ label: 'transductive (test frames)', args: ['--split', 'test'] }] : []),
    ];
    for (const arm of arms) {
      for (const s of settings) {
        const out = join(tmp, `${c.name}-${arm.name}-${rows.length}.onnx`);
        const t0 = Date.now();
        const res = JSON.parse(
          lfm(['adapt', '--data', c.data, '--model', c.base, '--out', out, '--json', ...s.args, ...arm.args]),
        );
        const minutes = (Date.now() - t0) / 60000;
        rows.push({
          case: c.name,
          setting: `${arm.name}: ${s.label}`,
          minutes,
          steps: res.steps,
          ...evalRow(c.data, out),
          oracle,
        });
        console.error(`adapt-bench: ${c.name} ${arm.name} ${s.label}: ${minutes.toFixed(1)} min`);
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const f3 = (x) => B.fx(x);
const md = B.table(
  [
    'case',
    'setting',
    'minutes',
    'strict nPA',
    'set-flip nPA',
    'flip-best',
    'flat',
    'set-flip ÷ flat',
    'depth spread',
    'oracle (3D-trained, codes)',
  ],
  rows.map((r) => [
    r.case,
    r.setting,
    r.minutes.toFixed(1),
    f3(r.strict),
    f3(r.setFlip),
    f3(r.flipBest),
    f3(r.flat),
    f3(r.setFlip / r.flat),
    f3(r.depthSpread),
    f3(r.oracle?.strict),
  ]),
  ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
);
const outDir = resolve(opts.out);
mkdirSync(join(outDir, 'benchmarks', 'results'), { recursive: true });
// What the columns compare against: each case's base (never trained on it) and the oracle model.
const legend = [
  '',
  `Bases (each never trained on its case's data): ${cases.map((c) => `${c.name} \`${rel(c.base)}\``).join(', ')}. ` +
    `Oracle: \`${rel(opts.oracle)}\`, a model trained with the cases' 3D, scored with its joint codes on the same test split. ` +
    'set-flip = strict nPA with one mirror chosen for the whole set (2D alone cannot tell a rig from its mirror).',
].join('\n');
writeFileSync(join(outDir, 'benchmarks', 'adapt.md'), `${md}\n${legend}\n`);
writeFileSync(
  join(outDir, 'benchmarks', 'results', 'adapt.json'),
  `${JSON.stringify({ createdAt: new Date().toISOString(), command: `node scripts/adapt-bench.mjs ${process.argv.slice(2).join(' ')}`, rows }, null, 2)}\n`,
);
console.log(md);
