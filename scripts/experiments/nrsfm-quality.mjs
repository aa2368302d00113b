#!/usr/bin/env node
// Can the 2D alone tell when single-view `lfm adapt`'s NRSfM pseudo-labels are wrong? For each dataset:
// the synthetic protocol's projections of a split's frames (as `lfm adapt` reads them), `@lfm/procrustes`
// nrsfm of them, and
//   - truth: the reconstruction's nPA-MPJPE against the ground truth in the camera frame, with one
//     mirror for the whole set (set-flip), and ÷ the flat guess (the 2D with z = 0) — needs the 3D;
//   - 2D-only candidates of a detector: the reprojection RMS ÷ the 2D's RMS radius, and split-half
//     stability: NRSfM of two overlapping halves (A∪C and B∪C of a shuffled three-way split) and the
//     set-flip nPA between their reconstructions of the common frames C (0 = the 2D fixes the depth;
//     as large as flat = it does not); held-out points: NRSfM with 10 % of the visible points hidden
//     (a view keeps ≥ 4), the RMS of its 2D prediction of them (`predicted2d`) ÷ the 2D's RMS radius —
//     cross-validation of the rank, as for matrix completion; bone spread (rigs with bones): the
//     coefficient of variation over frames of each bone's length ÷ the frame's total bone length,
//     averaged over bones (0 for a skeleton of fixed bones; rank 1 is rigid and always 0).
// Usage (after pnpm build):
//   node scripts/experiments/nrsfm-quality.mjs [--split train] [--limit 1000] [--ranks 2] DIR...
import { parseArgs } from 'node:util';
import { nd, Rng } from '../../packages/core/dist/index.js';
import { createSyntheticEvalSet, loadDataset, splitFrames } from '../../packages/datasets/dist/index.js';
import { nrsfm, poseErrors } from '../../packages/procrustes/dist/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    split: { type: 'string', default: 'train' },
    limit: { type: 'string', default: '1000' },
    ranks: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
  },
});
if (positionals.length === 0) {
  console.error(
    'usage: node scripts/experiments/nrsfm-quality.mjs [--split S] [--limit N] [--ranks 1,2,4] DIR...',
  );
  process.exit(1);
}
const ranks = values.ranks.split(',').map(Number);
const f4 = (x) => Math.round(x * 1e4) / 1e4;

/** Set-flip nPA of shapes a [S, J, 3] against b, over mask [S, J]: one mirror of a for the whole set. */
function setFlip(a, b, mask, S, J) {
  const e = poseErrors(nd(a, [S, J, 3]), nd(b, [S, J, 3]), nd(Float64Array.from(mask), [S, J]), {
    flipBest: true,
  });
  return Math.min(e.nPaMpjpe.mean, e.mirrored.nPaMpjpe.mean);
}
/** Rows `idx` of a [S, J, w] array. */
function rows(a, idx, J, w) {
  const out = new a.constructor(idx.length * J * w);
  idx.forEach((s, k) => {
    out.set(a.subarray(s * J * w, (s + 1) * J * w), k * J * w);
  });
  return out;
}
/** Mean over bones of the coefficient of variation of its length ÷ the frame's total bone length. */
function boneSpread(shapes, mask, S, J, edges) {
  const len = edges.map(() => []);
  for (let s = 0; s < S; s++) {
    if (!edges.every(([a, b]) => mask[s * J + a] && mask[s * J + b])) continue;
    const l = edges.map(([a, b]) =>
      Math.hypot(...[0, 1, 2].map((d) => shapes[3 * (s * J + a) + d] - shapes[3 * (s * J + b) + d])),
    );
    const total = l.reduce((x, y) => x + y, 0);
    if (total > 0) {
      l.forEach((v, e) => {
        len[e].push(v / total);
      });
    }
  }
  const cv = len.map((v) => {
    const m = v.reduce((x, y) => x + y, 0) / v.length;
    return Math.sqrt(v.reduce((x, y) => x + (y - m) ** 2, 0) / v.length) / m;
  });
  return cv.reduce((x, y) => x + y, 0) / cv.length;
}

for (const dir of positionals) {
  const ds = await loadDataset(dir);
  if (ds.perSequenceEdges) {
    console.log(JSON.stringify({ dataset: ds.name, skipped: 'joint order differs between sequences' }));
    continue;
  }
  let frames = splitFrames(ds, values.split);
  const n = Math.min(frames.length, Number(values.limit));
  frames = Int32Array.from({ length: n }, (_, k) => frames[Math.floor((k * frames.length) / n)]);
  const set = createSyntheticEvalSet(ds, { frames, seed: 0 });
  const S = set.count;
  const J = ds.numJoints;
  const flat = new Float64Array(S * J * 3);
  let r2 = 0;
  let nv = 0;
  for (let s = 0; s < S; s++) {
    let cx = 0;
    let cy = 0;
    let c = 0;
    for (let j = 0; j < J; j++) {
      if (!set.mask[s * J + j]) continue;
      cx += set.points2d[2 * (s * J + j)];
      cy += set.points2d[2 * (s * J + j) + 1];
      c++;
    }
    for (let j = 0; j < J; j++) {
      const i = s * J + j;
      flat[3 * i] = set.points2d[2 * i];
      flat[3 * i + 1] = set.points2d[2 * i + 1];
      if (set.mask[i]) {
        r2 += (set.points2d[2 * i] - cx / c) ** 2 + (set.points2d[2 * i + 1] - cy / c) ** 2;
        nv++;
      }
    }
  }
  const radius2d = Math.sqrt(r2 / nv);
  const flatNpa = setFlip(flat, set.pointsCam, set.mask, S, J);
  const perm = [...new Rng(Number(values.seed)).permutation(S)];
  const third = Math.floor(S / 3);
  const A = perm.slice(0, third);
  const B = perm.slice(third, 2 * third);
  const C = perm.slice(2 * third);
  for (const rank of ranks) {
    const t0 = performance.now();
    const r = nrsfm(set.points2d, set.mask, S, J, { rank });
    const ms = performance.now() - t0;
    const truth = setFlip(r.shapes, set.pointsCam, set.mask, S, J);
    let stability = null;
    if (C.length >= 2 && A.length >= 2) {
      const half = (idx) => {
        const all = [...idx, ...C];
        const h = nrsfm(rows(set.points2d, all, J, 2), rows(set.mask, all, J, 1), all.length, J, { rank });
        return h.shapes.subarray(idx.length * J * 3);
      };
      const cMask = rows(set.mask, C, J, 1);
      stability = setFlip(Float64Array.from(half(A)), Float64Array.from(half(B)), cMask, C.length, J);
    }
    // Held-out points: hide 10 % of the visible ones (a seeded choice; every view keeps ≥ 4).
    const hide = new Rng(Number(values.seed) + 7).permutation(S * J);
    const held = Uint8Array.from(set.mask);
    const left = new Int32Array(S);
    for (let s = 0; s < S; s++) for (let j = 0; j < J; j++) left[s] += set.mask[s * J + j];
    let want = Math.round(0.1 * left.reduce((a, b) => a + b, 0));
    for (const i of hide) {
      if (want === 0) break;
      const s = Math.floor(i / J);
      if (!held[i] || left[s] <= 4) continue;
      held[i] = 0;
      left[s]--;
      want--;
    }
    const cv = nrsfm(set.points2d, held, S, J, { rank });
    let e = 0;
    let ne = 0;
    for (let i = 0; i < S * J; i++) {
      if (!set.mask[i] || held[i]) continue;
      e +=
        (cv.predicted2d[2 * i] - set.points2d[2 * i]) ** 2 +
        (cv.predicted2d[2 * i + 1] - set.points2d[2 * i + 1]) ** 2;
      ne++;
    }
    console.log(
      JSON.stringify({
        dataset: ds.name,
        split: values.split,
        frames: S,
        rank,
        nrsfmSetFlip: f4(truth),
        flat: f4(flatNpa),
        nrsfmOverFlat: f4(truth / flatNpa),
        reprojectionOverRadius: f4(r.reprojectionRms / radius2d),
        stability: stability === null ? null : f4(stability),
        stabilityOverFlat: stability === null ? null : f4(stability / flatNpa),
        boneSpread: ds.edges.length ? f4(boneSpread(r.shapes, set.mask, S, J, ds.edges)) : null,
        truthBoneSpread: ds.edges.length ? f4(boneSpread(set.pointsCam, set.mask, S, J, ds.edges)) : null,
        heldOutOverRadius: f4(Math.sqrt(e / ne) / radius2d),
        seconds: f4(ms / 1000),
      }),
    );
  }
}
