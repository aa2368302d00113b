// Prototype: low-rank NRSfM by alternating least squares on a dataset's synthetic 2D (transductive).
// node scripts/experiments/nrsfm-proto.mjs DIR [--split val] [--limit 1000] [--K 4] [--iters 200] [--lam 0.1]
import { parseArgs } from 'node:util';
import { eigenSymmetric, nd, polar3 } from '../../packages/core/dist/index.js';
import { createSyntheticEvalSet, loadDataset } from '../../packages/datasets/dist/index.js';
import { poseErrors } from '../../packages/procrustes/dist/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    split: { type: 'string', default: 'val' },
    limit: { type: 'string', default: '1000' },
    K: { type: 'string', default: '4' },
    iters: { type: 'string', default: '200' },
    lam: { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '1' },
  },
});
const ds = await loadDataset(positionals[0]);
const set = createSyntheticEvalSet(ds, { split: values.split, limit: Number(values.limit) });
const S = set.count;
const J = set.numJoints;
const K = Number(values.K);
const lam = Number(values.lam);

// Centred 2D, [S, 2, J] rows (x row, y row).
const W = new Float64Array(S * 2 * J);
const M = set.mask;
for (let s = 0; s < S; s++) {
  let n = 0;
  let cx = 0;
  let cy = 0;
  for (let j = 0; j < J; j++)
    if (M[s * J + j]) {
      n++;
      cx += set.points2d[2 * (s * J + j)];
      cy += set.points2d[2 * (s * J + j) + 1];
    }
  for (let j = 0; j < J; j++)
    if (M[s * J + j]) {
      W[s * 2 * J + j] = set.points2d[2 * (s * J + j)] - cx / n;
      W[s * 2 * J + J + j] = set.points2d[2 * (s * J + j) + 1] - cy / n;
    }
}

function symEig(n, a) {
  const v = new Float64Array(n);
  const V = new Float64Array(n * n);
  eigenSymmetric(n, a, v, V, new Float64Array(n));
  return { v, V };
}
function cholSolve(n, A, b) {
  // A SPD n×n (copied), returns x with A x = b.
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let sum = A[i * n + j];
      for (let k = 0; k < j; k++) sum -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = i === j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / L[j * n + j];
    }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= L[i * n + k] * y[k];
    y[i] = sum / L[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < n; k++) sum -= L[k * n + i] * x[k];
    x[i] = sum / L[i * n + i];
  }
  return x;
}

// --- Rigid init (Tomasi–Kanade with the weak-perspective metric constraints).
const C = new Float64Array(J * J);
for (let r = 0; r < 2 * S; r++)
  for (let i = 0; i < J; i++) {
    const wi = W[r * J + i];
    if (wi === 0) continue;
    for (let j = 0; j < J; j++) C[i * J + j] += wi * W[r * J + j];
  }
const { V } = symEig(J, C);
const S0 = new Float64Array(3 * J); // rows = top-3 eigenvectors
for (let d = 0; d < 3; d++) for (let j = 0; j < J; j++) S0[d * J + j] = V[j * J + (J - 1 - d)];
const Mr = new Float64Array(2 * S * 3);
for (let r = 0; r < 2 * S; r++)
  for (let d = 0; d < 3; d++) {
    let sum = 0;
    for (let j = 0; j < J; j++) sum += W[r * J + j] * S0[d * J + j];
    Mr[r * 3 + d] = sum;
  }
// L (sym 3×3) params [l00 l01 l02 l11 l12 l22]; q(a,b) = coefficients of aᵀ L b.
const q = (a, b) => [a[0] * b[0], a[0] * b[1] + a[1] * b[0], a[0] * b[2] + a[2] * b[0], a[1] * b[1], a[1] * b[2] + a[2] * b[1], a[2] * b[2]];
const H6 = new Float64Array(36);
const g6 = new Float64Array(6);
const addEq = (c, rhs, w = 1) => {
  for (let i = 0; i < 6; i++) {
    g6[i] += w * c[i] * rhs;
    for (let j = 0; j < 6; j++) H6[i * 6 + j] += w * c[i] * c[j];
  }
};
const norm = [0, 0, 0, 0, 0, 0];
for (let s = 0; s < S; s++) {
  const a = Mr.subarray(6 * s, 6 * s + 3);
  const b = Mr.subarray(6 * s + 3, 6 * s + 6);
  const qa = q(a, a);
  const qb = q(b, b);
  addEq(
    qa.map((x, i) => x - qb[i]),
    0,
  );
  addEq(q(a, b), 0);
  for (let i = 0; i < 6; i++) norm[i] += (qa[i] + qb[i]) / (2 * S);
}
addEq(norm, 1, S);
const l = cholSolve(6, H6.map((x, i) => x + (i % 7 === 0 ? 1e-12 : 0)), g6);
const Lm = new Float64Array([l[0], l[1], l[2], l[1], l[3], l[4], l[2], l[4], l[5]]);
const eL = symEig(3, Lm);
console.error('metric L eigenvalues', Array.from(eL.v).map((x) => x.toExponential(2)).join(' '));
// Q = U sqrt(D): M' = M Q, S' = D^{-1/2} Uᵀ S0.
const Q = new Float64Array(9);
const Qi = new Float64Array(9);
for (let i = 0; i < 3; i++)
  for (let k = 0; k < 3; k++) {
    const d = Math.max(eL.v[k], 1e-12 * Math.max(...eL.v));
    Q[i * 3 + k] = eL.V[i * 3 + k] * Math.sqrt(d);
    Qi[k * 3 + i] = eL.V[i * 3 + k] / Math.sqrt(d);
  }
const mean = new Float64Array(3 * J);
for (let k = 0; k < 3; k++) for (let j = 0; j < J; j++) for (let i = 0; i < 3; i++) mean[k * J + j] += Qi[k * 3 + i] * S0[i * J + j];

// --- Per-frame state: R [S, 2, 3] rows, coefficients c [S, K]; basis B [K, 3, J].
const R = new Float64Array(S * 6);
const c = new Float64Array(S * K);
const B = new Float64Array(K * 3 * J);
B.set(mean, 0);
let rng = Number(values.seed) >>> 0;
const rand = () => {
  rng = (rng * 1664525 + 1013904223) >>> 0;
  return rng / 2 ** 32 - 0.5;
};
let meanScale = 0;
for (let i = 0; i < 3 * J; i++) meanScale += mean[i] * mean[i];
meanScale = Math.sqrt(meanScale / J);
for (let i = 3 * J; i < K * 3 * J; i++) B[i] = 0.05 * meanScale * rand();

function orthRows(m, out, o) {
  // out rows = (m mᵀ)^{-1/2} m for m 2×3; returns mean singular value.
  const a = m[0] * m[0] + m[1] * m[1] + m[2] * m[2];
  const b = m[0] * m[3] + m[1] * m[4] + m[2] * m[5];
  const d = m[3] * m[3] + m[4] * m[4] + m[5] * m[5];
  // eig of [[a b][b d]]
  const tr = a + d;
  const disc = Math.sqrt(Math.max(((a - d) / 2) ** 2 + b * b, 0));
  const l1 = tr / 2 + disc;
  const l2 = Math.max(tr / 2 - disc, 1e-30);
  let v1x;
  let v1y;
  if (Math.abs(b) > 1e-30) {
    v1x = b;
    v1y = l1 - a;
  } else if (a >= d) {
    v1x = 1;
    v1y = 0;
  } else {
    v1x = 0;
    v1y = 1;
  }
  const n1 = Math.hypot(v1x, v1y);
  v1x /= n1;
  v1y /= n1;
  const v2x = -v1y;
  const v2y = v1x;
  const s1 = 1 / Math.sqrt(l1);
  const s2 = 1 / Math.sqrt(l2);
  // inv sqrt = s1 v1 v1ᵀ + s2 v2 v2ᵀ
  const i00 = s1 * v1x * v1x + s2 * v2x * v2x;
  const i01 = s1 * v1x * v1y + s2 * v2x * v2y;
  const i11 = s1 * v1y * v1y + s2 * v2y * v2y;
  for (let k = 0; k < 3; k++) {
    out[o + k] = i00 * m[k] + i01 * m[3 + k];
    out[o + 3 + k] = i01 * m[k] + i11 * m[3 + k];
  }
  return (Math.sqrt(l1) + Math.sqrt(l2)) / 2;
}
for (let s = 0; s < S; s++) {
  const m = new Float64Array(6);
  for (let r = 0; r < 2; r++) for (let k = 0; k < 3; k++) for (let i = 0; i < 3; i++) m[r * 3 + k] += Mr[(2 * s + r) * 3 + i] * Q[i * 3 + k];
  c[s * K] = orthRows(m, R, 6 * s);
}

const shapeOf = (s, out) => {
  out.fill(0);
  for (let k = 0; k < K; k++) {
    const w = c[s * K + k];
    for (let i = 0; i < 3 * J; i++) out[i] += w * B[k * 3 * J + i];
  }
  return out;
};
const Sf = new Float64Array(3 * J);
function reprojRms() {
  let e = 0;
  let n = 0;
  for (let s = 0; s < S; s++) {
    shapeOf(s, Sf);
    for (let r = 0; r < 2; r++)
      for (let j = 0; j < J; j++) {
        if (!M[s * J + j]) continue;
        const p = R[6 * s + 3 * r] * Sf[j] + R[6 * s + 3 * r + 1] * Sf[J + j] + R[6 * s + 3 * r + 2] * Sf[2 * J + j];
        e += (W[(2 * s + r) * J + j] - p) ** 2;
        n++;
      }
  }
  return Math.sqrt(e / n);
}
console.error(`rigid init: reprojection RMS ${reprojRms().toFixed(3)} px (shape scale ${meanScale.toFixed(3)})`);

const iters = Number(values.iters);
const RB = new Float64Array(K * 2 * J);
for (let it = 0; it < iters; it++) {
  // R-step and c-step per frame.
  for (let s = 0; s < S; s++) {
    shapeOf(s, Sf);
    // R-step by majorisation: complete the view with the current depth row, then the 3×3 rotation
    // Procrustes (monotone; the 2×3 polar factor alone is not the minimiser).
    const A3 = new Float64Array(9);
    const R3 = new Float64Array(9);
    for (let t = 0; t < 3; t++) {
      const r0 = R.subarray(6 * s, 6 * s + 3);
      const r1 = R.subarray(6 * s + 3, 6 * s + 6);
      const r2 = [r0[1] * r1[2] - r0[2] * r1[1], r0[2] * r1[0] - r0[0] * r1[2], r0[0] * r1[1] - r0[1] * r1[0]];
      A3.fill(0);
      const cs = c[s * K] === 0 ? 1 : 1;
      for (let j = 0; j < J; j++) {
        if (!M[s * J + j]) continue;
        const x0 = Sf[j];
        const x1 = Sf[J + j];
        const x2 = Sf[2 * J + j];
        const z = r2[0] * x0 + r2[1] * x1 + r2[2] * x2;
        const tr = [W[2 * s * J + j] * cs, W[(2 * s + 1) * J + j] * cs, z];
        for (let a = 0; a < 3; a++) {
          A3[a * 3] += tr[a] * x0;
          A3[a * 3 + 1] += tr[a] * x1;
          A3[a * 3 + 2] += tr[a] * x2;
        }
      }
      polar3(A3, R3);
      R.set(R3.subarray(0, 6), 6 * s);
    }
    // c: A [2J_v, K] columns R B_k.
    for (let k = 0; k < K; k++)
      for (let r = 0; r < 2; r++)
        for (let j = 0; j < J; j++) {
          const o = k * 3 * J;
          RB[(k * 2 + r) * J + j] = M[s * J + j]
            ? R[6 * s + 3 * r] * B[o + j] + R[6 * s + 3 * r + 1] * B[o + J + j] + R[6 * s + 3 * r + 2] * B[o + 2 * J + j]
            : 0;
        }
    const A = new Float64Array(K * K);
    const g = new Float64Array(K);
    for (let a = 0; a < K; a++) {
      for (let i = 0; i < 2 * J; i++) g[a] += RB[a * 2 * J + i] * W[2 * s * J + i];
      for (let b = 0; b < K; b++) {
        let sum = 0;
        for (let i = 0; i < 2 * J; i++) sum += RB[a * 2 * J + i] * RB[b * 2 * J + i];
        A[a * K + b] = sum;
      }
    }
    for (let a = 1; a < K; a++) A[a * K + a] += lam * A[0];
    A[0] += 1e-9 * A[0];
    c.set(cholSolve(K, A, g), s * K);
  }
  // B-step: per point, 3K unknowns.
  const n3 = 3 * K;
  for (let j = 0; j < J; j++) {
    const H = new Float64Array(n3 * n3);
    const g = new Float64Array(n3);
    for (let s = 0; s < S; s++) {
      if (!M[s * J + j]) continue;
      const r0 = R.subarray(6 * s, 6 * s + 3);
      const r1 = R.subarray(6 * s + 3, 6 * s + 6);
      const RtR = new Float64Array(9);
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) RtR[a * 3 + b] = r0[a] * r0[b] + r1[a] * r1[b];
      const w0 = W[2 * s * J + j];
      const w1 = W[(2 * s + 1) * J + j];
      for (let ka = 0; ka < K; ka++) {
        const ca = c[s * K + ka];
        for (let a = 0; a < 3; a++) g[ka * 3 + a] += ca * (r0[a] * w0 + r1[a] * w1);
        for (let kb = 0; kb < K; kb++) {
          const cc = ca * c[s * K + kb];
          for (let a = 0; a < 3; a++)
            for (let b = 0; b < 3; b++) H[(ka * 3 + a) * n3 + kb * 3 + b] += cc * RtR[a * 3 + b];
        }
      }
    }
    let tr = 0;
    for (let i = 0; i < n3; i++) tr += H[i * n3 + i];
    for (let i = 0; i < n3; i++) H[i * n3 + i] += 1e-9 * tr;
    const b = cholSolve(n3, H, g);
    for (let k = 0; k < K; k++) for (let a = 0; a < 3; a++) B[k * 3 * J + a * J + j] = b[k * 3 + a];
  }
  if (it % 20 === 0 || it === iters - 1) console.error(`iter ${it}: reprojection RMS ${reprojRms().toFixed(4)} px`);
}

// --- Camera-frame reconstruction and scores.
const pred = new Float64Array(S * J * 3);
const flat = new Float64Array(S * J * 3);
for (let s = 0; s < S; s++) {
  shapeOf(s, Sf);
  const r0 = R.subarray(6 * s, 6 * s + 3);
  const r1 = R.subarray(6 * s + 3, 6 * s + 6);
  const r2 = [r0[1] * r1[2] - r0[2] * r1[1], r0[2] * r1[0] - r0[0] * r1[2], r0[0] * r1[1] - r0[1] * r1[0]];
  for (let j = 0; j < J; j++) {
    const x = [Sf[j], Sf[J + j], Sf[2 * J + j]];
    const o = 3 * (s * J + j);
    pred[o] = r0[0] * x[0] + r0[1] * x[1] + r0[2] * x[2];
    pred[o + 1] = r1[0] * x[0] + r1[1] * x[1] + r1[2] * x[2];
    pred[o + 2] = r2[0] * x[0] + r2[1] * x[1] + r2[2] * x[2];
    flat[o] = W[2 * s * J + j];
    flat[o + 1] = W[(2 * s + 1) * J + j];
  }
}
const shape = [S, J, 3];
const gt = nd(set.pointsCam, shape);
const mask = nd(Float64Array.from(set.mask), [S, J]);
const e = poseErrors(nd(pred, shape), gt, mask, { flipBest: true });
const f = poseErrors(nd(flat, shape), gt, mask, { flipBest: true });
const mirrored = e.mirrored.nPaMpjpe.mean;
const setFlip = Math.min(e.nPaMpjpe.mean, mirrored);
const fl = f.flipBest.nPaMpjpe.mean;
console.log(
  JSON.stringify({
    dataset: ds.name,
    split: values.split,
    S,
    K,
    lam,
    iters,
    strict: +e.nPaMpjpe.mean.toFixed(4),
    setFlip: +setFlip.toFixed(4),
    flipBest: +e.flipBest.nPaMpjpe.mean.toFixed(4),
    flat: +fl.toFixed(4),
    flipBestRatio: +(e.flipBest.nPaMpjpe.mean / fl).toFixed(3),
    setFlipRatio: +(setFlip / fl).toFixed(3),
  }),
);
