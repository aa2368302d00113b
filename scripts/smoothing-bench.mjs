#!/usr/bin/env node
// Temporal smoothing on real camera sequences (issue 19, item 3): h36m-cams' four Human3.6M cameras
// (views.f32 [V, F, J, 2]: real 2D per camera; points.f32 [F, J, 3]: the 3D; 50 fps) lifted as
// sequences by the shipped model (models/lfm.onnx, rig h36m-17, orthographic camera), raw and with
// `lfm lift --smooth one-euro` / `--flips fix`, also with added 2D Gaussian noise — and per setting:
//
//   jitter        mean over frames and joints of the frame-to-frame 3D acceleration of the
//                 camera-frame lift, ‖P(t+1) − 2P(t) + P(t−1)‖, ÷ that frame's RMS radius of the lift
//                 (unit-free, per frame²); the ground truth's own (its true motion, the same way on
//                 points.f32) is the floor
//   depth jitter  the same with the depth (camera z) component only — the part the 2D does not pin
//   nPA-MPJPE     per frame: mean joint error after similarity Procrustes (det +1) to the ground truth
//                 ÷ its RMS radius; strict (a depth-flipped frame counts as wrong)
//   flips         frames whose depth the fixer flipped
//
// Writes docs/benchmarks/smoothing.md (a table, linked from docs/BENCHMARKS.md) and prints it.
// Imports the BUILT packages (pnpm build first). Skips, with a message and exit 0, when the corpus
// is absent.
//
// Usage: node scripts/smoothing-bench.mjs [--data DIR] [--out FILE] [--cameras N] [--frames N]
//          [--grid] [--seed S]
//   --grid   also sweep a few One-Euro settings (min-cutoff × beta) at each noise level
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (pkg, file = 'index.js') => join(root, 'packages', pkg, 'dist', file);
const { values: opts } = parseArgs({
  options: {
    data: { type: 'string', default: join(root, '..', 'shared', 'data', 'h36m-cams') },
    out: { type: 'string', default: join(root, 'docs', 'benchmarks', 'smoothing.md') },
    cameras: { type: 'string' },
    frames: { type: 'string' },
    grid: { type: 'boolean', default: false },
    seed: { type: 'string' },
  },
});
const dataDir = resolve(opts.data);
if (!existsSync(join(dataDir, 'meta.json'))) {
  console.log(
    `smoothing-bench: skipped: ${dataDir} (h36m-cams: views.f32, points.f32, meta.json) is not there; pass --data DIR`,
  );
  process.exit(0);
}
for (const f of [
  dist('runtime', 'node.js'),
  dist('datasets', 'preprocess/index.js'),
  dist('core'),
  dist('procrustes'),
  dist('bench'),
]) {
  if (!existsSync(f)) {
    console.error(`smoothing-bench: ${relative(root, f)} is missing; run \`pnpm build\` first`);
    process.exit(1);
  }
}
const R = await import(dist('runtime', 'node.js'));
const { SequenceBuilder } = await import(dist('datasets', 'preprocess/index.js'));
const { Rng, nd } = await import(dist('core'));
const { nPaMpjpe } = await import(dist('procrustes'));
const B = await import(dist('bench'));

const meta = JSON.parse(readFileSync(join(dataDir, 'meta.json'), 'utf8'));
const [V0, F0, J] = meta.views.shape;
const f32 = (name) => {
  const b = readFileSync(join(dataDir, name));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const views = f32('views.f32');
const points = f32('points.f32');
if (views.length !== V0 * F0 * J * 2 || points.length !== F0 * J * 3) {
  console.error(`smoothing-bench: ${dataDir}: views.f32 / points.f32 do not match meta.json's shapes`);
  process.exit(1);
}
/** A numeric flag (@lfm/bench's checks); a bad value ends the script with its message. */
function numberFlag(name, fallback, options) {
  try {
    return B.numberFlag(name, opts[name], fallback, options);
  } catch (e) {
    console.error(`smoothing-bench: ${e.message}`);
    process.exit(1);
  }
}
const V = Math.min(V0, numberFlag('cameras', V0, { int: true, min: 1 }));
const F = Math.min(F0, numberFlag('frames', F0, { int: true, min: 3 }));
const seed = numberFlag('seed', 19, { int: true });
const fps = meta.fps ?? 50;
const rig = 'h36m-17';

const model = join(root, 'models', 'lfm.onnx');
const lifter = await R.loadLifter(readFileSync(model));

/** Camera v's 2D (+ Gaussian noise of σ px) as a one-track sequence. */
function sequence(v, sigma, rng) {
  const b = new SequenceBuilder('lfm', (m) => {
    throw new Error(m);
  });
  const present = new Array(J).fill(true);
  for (let f = 0; f < F; f++) {
    const o = (v * F0 + f) * J * 2;
    const xy = Array.from(views.subarray(o, o + J * 2), (x) => x + (sigma > 0 ? sigma * rng.normal() : 0));
    b.add(b.frame(f), { track: 0, xy, present, rig }, `frame ${f}`);
  }
  return b.build();
}

/** RMS radius of frame f's J points (stride 3) about their centroid. */
function radius(p, f) {
  const c = [0, 0, 0];
  for (let j = 0; j < J; j++) for (let k = 0; k < 3; k++) c[k] += p[3 * (f * J + j) + k] / J;
  let s = 0;
  for (let j = 0; j < J; j++) for (let k = 0; k < 3; k++) s += (p[3 * (f * J + j) + k] - c[k]) ** 2;
  return Math.sqrt(s / J);
}

/** Mean normalised acceleration (3D and depth-only) over frames 1..n−2 of [n, J, 3] points. */
function jitter(p, n, lifted = () => true) {
  let sum = 0;
  let sumZ = 0;
  let count = 0;
  for (let f = 1; f < n - 1; f++) {
    if (!lifted(f - 1) || !lifted(f) || !lifted(f + 1)) continue;
    const r = radius(p, f);
    let a = 0;
    let az = 0;
    for (let j = 0; j < J; j++) {
      const acc = [0, 1, 2].map(
        (k) => p[3 * ((f + 1) * J + j) + k] - 2 * p[3 * (f * J + j) + k] + p[3 * ((f - 1) * J + j) + k],
      );
      a += Math.hypot(...acc);
      az += Math.abs(acc[2]);
    }
    sum += a / J / r;
    sumZ += az / J / r;
    count++;
  }
  return { jitter: sum / count, depth: sumZ / count };
}

/** nPA-MPJPE of [F, J, 3] predictions against the ground truth: per frame, averaged over frames. */
function npa(pred) {
  const gt = Float64Array.from(points.subarray(0, F * J * 3));
  return nPaMpjpe(nd(Float64Array.from(pred), [F, J, 3]), nd(gt, [F, J, 3])).mean;
}

const defaults = R.resolveSmoothOptions({ fps });
const settings = [
  { name: 'none (per-frame lifts)', options: {} },
  { name: '--flips fix', options: { flips: 'fix' } },
  {
    name: `--smooth one-euro (defaults: min-cutoff ${defaults.minCutoff} Hz, beta ${defaults.beta}, d-cutoff ${defaults.dCutoff} Hz; flips fixed)`,
    options: { smooth: { fps }, flips: 'fix' },
  },
  { name: '--smooth one-euro --flips keep (the filter alone)', options: { smooth: { fps }, flips: 'keep' } },
];
if (opts.grid) {
  for (const minCutoff of [0.3, 0.6, 1, 2]) {
    for (const beta of [0, 0.01, 0.05, 0.2]) {
      settings.push({
        name: `one-euro min-cutoff ${minCutoff}, beta ${beta}`,
        options: { smooth: { fps, minCutoff, beta }, flips: 'fix' },
      });
    }
  }
}
const NOISE = [0, 2, 5];

const t0 = performance.now();
const rows = [];
let gtJitter;
{
  const p = Float64Array.from(points.subarray(0, F * J * 3));
  gtJitter = jitter(p, F).jitter;
}
for (const sigma of NOISE) {
  // The same noise for every setting of this level.
  const seqs = Array.from({ length: V }, (_, v) => sequence(v, sigma, new Rng(seed * 1000 + 10 * sigma + v)));
  for (const s of settings) {
    let jit = 0;
    let jitZ = 0;
    let err = 0;
    let flips = 0;
    for (let v = 0; v < V; v++) {
      const lifted = await R.liftSequence(lifter, seqs[v], { camera: { kind: 'ortho' }, ...s.options });
      const tr = lifted.tracks[0];
      const j = jitter(tr.points3d, F, (f) => tr.cameras[f] !== null);
      jit += j.jitter / V;
      jitZ += j.depth / V;
      err += npa(tr.points3d) / V;
      flips += tr.flipped ? tr.flipped.reduce((a, b) => a + b, 0) : 0;
    }
    rows.push({ sigma, setting: s.name, jitter: jit, depth: jitZ, npa: err, flips });
    console.error(
      `σ=${sigma} px  ${s.name}: jitter ${jit.toFixed(4)}, depth jitter ${jitZ.toFixed(4)}, nPA-MPJPE ${err.toFixed(4)}, flips ${flips}`,
    );
  }
}
const seconds = (performance.now() - t0) / 1000;
await lifter.release();

const f4 = (x) => x.toFixed(4);
const lines = [
  '# Temporal smoothing on real camera sequences (h36m-cams)',
  '',
  `_Written by \`node scripts/smoothing-bench.mjs\`${opts.grid ? ' --grid' : ''} — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${seconds.toFixed(0)} s._`,
  '',
  `Human3.6M S1 "Directions" (h36m-cams: ${V} real camera${V === 1 ? '' : 's'} × ${F} frames at ${fps} fps, 17 joints) lifted as sequences by the shipped \`models/lfm.onnx\` (rig h36m-17, orthographic camera: \`lfm lift --camera ortho\`), per frame (none) and with the temporal options of \`lfm lift\`: \`--flips fix\` (depth-sign consistency across frames) and \`--smooth one-euro --fps ${fps}\` (the One-Euro filter on each joint's 2D before lifting, with the fixer). 2D noise: i.i.d. Gaussian of σ px added to every coordinate of the real 2D (seeded; the same noise for every setting).`,
  '',
  `- **jitter**: the mean frame-to-frame 3D acceleration of the camera-frame lift, ‖P(t+1) − 2P(t) + P(t−1)‖ averaged over joints, ÷ the lift's RMS radius in that frame (unit-free, per frame²); the ground truth's true motion measured the same way is **${f4(gtJitter)}** — the floor a perfect lift would show.`,
  '- **depth jitter**: its depth (camera z) component alone — the part the 2D does not pin.',
  '- **nPA-MPJPE**: per frame, the mean joint error after similarity Procrustes (rotation det +1, scale, translation) to the 3D ground truth ÷ its RMS radius, averaged over frames and cameras; strict: a frame lifted as the depth mirror counts as wrong.',
  '- **flips**: frames whose depth sign the fixer flipped (with their camera), over all cameras.',
  '',
  B.table(
    ['2D noise σ', 'setting', 'jitter', 'depth jitter', 'nPA-MPJPE', 'flips'],
    rows.map((r) => [`${r.sigma} px`, r.setting, f4(r.jitter), f4(r.depth), f4(r.npa), String(r.flips)]),
  ),
  '',
];
const md = lines.join('\n');
mkdirSync(dirname(resolve(opts.out)), { recursive: true });
writeFileSync(resolve(opts.out), md);
console.log(md);
console.error(`smoothing-bench: wrote ${relative(root, resolve(opts.out))}`);
