import { eigenSymmetric, InputError, polar3 } from '@lfm/core';
import { solveDamped } from './dense.js';

/**
 * Low-rank non-rigid structure from motion (NRSfM) from 2D alone: S views of a deforming J-point
 * shape, each seen by its own (scaled-orthographic) camera, explained as
 *   w_s ≈ R_s · Σ_k c_sk B_k + t_s,   R_s the first two rows of a rotation, B_k [3, J] the shape basis,
 * by alternating least squares (Torresani, Hertzmann & Bregler's factorisation model; the rigid
 * start is Tomasi–Kanade's with the weak-perspective metric constraints). Per iteration, for every
 * view, the rotation by majorisation — complete the view with the current depth row, then the 3×3
 * rotation Procrustes (the 2×3 polar factor alone is not the minimiser) — and the coefficients by
 * ridge-regularised least squares (the ridge on every coefficient but the mean's, relative to the
 * mean's energy; every deformation basis is kept at the mean shape's norm, so the ridge is a fixed
 * Gaussian prior on the coefficients, as EM-PPCA's), and the 2D translation (with points missing, the
 * visible points' centroid is not the shape's); then every point's basis column by least squares.
 *
 * What `adapt` needs and no package on npm provides (the NRSfM codes of the literature are MATLAB
 * and Python research code): written here on the repository's own eigensolver and Cholesky solve.
 * The reconstruction is fixed up to one global depth mirror (the reflection of every view together),
 * which 2D cannot decide; a caller picks it (`adapt`: the mirror closer to the base model's lifts).
 */

export interface NrsfmOptions {
  /** K, the basis size (1 = rigid up to a per-view scale). Default 2. */
  readonly rank?: number;
  /** Alternations (default 150). */
  readonly iterations?: number;
  /** Ridge on the deformation coefficients, relative to the mean shape's energy (the bases are kept at its norm). Default 0.1. */
  readonly ridge?: number;
  /** Seed of the small random start of the deformation bases (default 1). */
  readonly seed?: number;
}

export interface NrsfmResult {
  /** [S, J, 3] each view's shape in its camera frame (x, y as the 2D, z = depth), centred on its visible points; 0 at masked points. */
  readonly shapes: Float64Array;
  /** [S, 9] row-major camera rotations (camera from the basis frame). */
  readonly rotations: Float64Array;
  /** Root-mean-square reprojection error over the visible points, the 2D's units. */
  readonly reprojectionRms: number;
  /** The same at the rigid start. */
  readonly rigidRms: number;
  /**
   * [S, J, 2] the model's 2D of every point, masked ones included (R_s · Σ_k c_sk B_k + t_s in the
   * input's coordinates): at a masked point, the low-rank shape's prediction of where it would be seen —
   * what a held-out point is scored against to choose the rank from 2D alone.
   */
  readonly predicted2d: Float64Array;
}

/**
 * NRSfM (see above) of points2d [S, J, 2] with visibility mask [S, J] (1 = visible). Views need ≥ 3
 * visible points (InputError otherwise); S ≥ 2 and a finite 2D at every visible point.
 */
export function nrsfm(
  points2d: ArrayLike<number>,
  mask: ArrayLike<number>,
  S: number,
  J: number,
  options: NrsfmOptions = {},
): NrsfmResult {
  const K = options.rank ?? 2;
  const iterations = options.iterations ?? 150;
  const ridge = options.ridge ?? 0.1;
  if (!(Number.isInteger(K) && K >= 1 && K <= 32))
    throw new InputError(`nrsfm: rank must be an integer in 1..32, got ${K}`);
  if (!(Number.isInteger(iterations) && iterations >= 0)) {
    throw new InputError(`nrsfm: iterations must be an integer ≥ 0, got ${iterations}`);
  }
  if (!(ridge >= 0)) throw new InputError(`nrsfm: ridge must be ≥ 0, got ${ridge}`);
  if (!(Number.isInteger(S) && S >= 2 && Number.isInteger(J) && J >= 3)) {
    throw new InputError(`nrsfm: needs ≥ 2 views of ≥ 3 points, got ${S} × ${J}`);
  }
  if (points2d.length !== S * J * 2 || mask.length !== S * J) {
    throw new InputError(`nrsfm: points2d must hold S·J·2 = ${S * J * 2} values and mask S·J = ${S * J}`);
  }
  const { W, centres } = centredViews(points2d, mask, S, J); // [S, 2, J], [S, 2]
  const { rotations: R, coefficients: c, basis: B } = rigidStart(W, S, J, K, options.seed ?? 1);
  // Per-view 2D translations: with points missing, the visible points' centroid is not the shape's.
  const T = new Float64Array(S * 2);
  const rigidRms = reprojectionRms(W, mask, R, c, B, T, S, J, K);
  const Sf = new Float64Array(3 * J);
  const RB = new Float64Array(K * 2 * J);
  const A = new Float64Array(K * K);
  const g = new Float64Array(K);
  const L = new Float64Array(9 * K * K);
  const x = new Float64Array(3 * K);
  const A3 = new Float64Array(9);
  const R3 = new Float64Array(9);
  const n3 = 3 * K;
  const H = new Float64Array(n3 * n3);
  const gb = new Float64Array(n3);
  for (let it = 0; it < iterations; it++) {
    for (let s = 0; s < S; s++) {
      shapeOf(c, B, s, K, J, Sf);
      // Rotation: 3 majorisation steps (each lowers the view's reprojection error).
      for (let t = 0; t < 3; t++) {
        const o = 6 * s;
        const z0 = R[o + 1]! * R[o + 5]! - R[o + 2]! * R[o + 4]!;
        const z1 = R[o + 2]! * R[o + 3]! - R[o]! * R[o + 5]!;
        const z2 = R[o]! * R[o + 4]! - R[o + 1]! * R[o + 3]!;
        A3.fill(0);
        for (let j = 0; j < J; j++) {
          if (!(mask[s * J + j]! > 0)) continue;
          const x0 = Sf[j]!;
          const x1 = Sf[J + j]!;
          const x2 = Sf[2 * J + j]!;
          const t0 = W[2 * s * J + j]! - T[2 * s]!;
          const t1 = W[(2 * s + 1) * J + j]! - T[2 * s + 1]!;
          const t2 = z0 * x0 + z1 * x1 + z2 * x2;
          A3[0]! += t0 * x0;
          A3[1]! += t0 * x1;
          A3[2]! += t0 * x2;
          A3[3]! += t1 * x0;
          A3[4]! += t1 * x1;
          A3[5]! += t1 * x2;
          A3[6]! += t2 * x0;
          A3[7]! += t2 * x1;
          A3[8]! += t2 * x2;
        }
        polar3(A3, R3);
        for (let i = 0; i < 6; i++) R[o + i] = R3[i]!;
      }
      // Coefficients: min ‖w_s − Σ_k c_k R_s B_k‖² + ridge · ‖R_s B_0‖² · Σ_{k>0} c_k².
      for (let k = 0; k < K; k++) {
        for (let r = 0; r < 2; r++) {
          const ro = 6 * s + 3 * r;
          for (let j = 0; j < J; j++) {
            const o = k * 3 * J;
            RB[(k * 2 + r) * J + j] =
              mask[s * J + j]! > 0
                ? R[ro]! * B[o + j]! + R[ro + 1]! * B[o + J + j]! + R[ro + 2]! * B[o + 2 * J + j]!
                : 0;
          }
        }
      }
      for (let a = 0; a < K; a++) {
        let ga = 0;
        for (let i = 0; i < 2 * J; i++)
          ga += RB[a * 2 * J + i]! * (W[2 * s * J + i]! - T[2 * s + (i < J ? 0 : 1)]!);
        g[a] = ga;
        for (let b = a; b < K; b++) {
          let sum = 0;
          for (let i = 0; i < 2 * J; i++) sum += RB[a * 2 * J + i]! * RB[b * 2 * J + i]!;
          A[a * K + b] = sum;
          A[b * K + a] = sum;
        }
      }
      const prior = ridge * A[0]!;
      for (let a = 1; a < K; a++) A[a * K + a]! += prior;
      if (solveDamped(K, A, g, 0, L, x)) for (let k = 0; k < K; k++) c[s * K + k] = x[k]!;
      // Translation: the mean residual of the visible points.
      shapeOf(c, B, s, K, J, Sf);
      for (let r = 0; r < 2; r++) {
        const ro = 6 * s + 3 * r;
        let sum = 0;
        let n = 0;
        for (let j = 0; j < J; j++) {
          if (!(mask[s * J + j]! > 0)) continue;
          sum +=
            W[(2 * s + r) * J + j]! -
            (R[ro]! * Sf[j]! + R[ro + 1]! * Sf[J + j]! + R[ro + 2]! * Sf[2 * J + j]!);
          n++;
        }
        T[2 * s + r] = sum / n;
      }
    }
    // Basis: per point j, min Σ_s ‖w_sj − R_s Σ_k c_sk b_kj‖² over b_j ∈ R^{3K}.
    for (let j = 0; j < J; j++) {
      H.fill(0);
      gb.fill(0);
      for (let s = 0; s < S; s++) {
        if (!(mask[s * J + j]! > 0)) continue;
        const o = 6 * s;
        const w0 = W[2 * s * J + j]! - T[2 * s]!;
        const w1 = W[(2 * s + 1) * J + j]! - T[2 * s + 1]!;
        for (let ka = 0; ka < K; ka++) {
          const ca = c[s * K + ka]!;
          for (let a = 0; a < 3; a++) gb[ka * 3 + a]! += ca * (R[o + a]! * w0 + R[o + 3 + a]! * w1);
          for (let kb = ka; kb < K; kb++) {
            const cc = ca * c[s * K + kb]!;
            for (let a = 0; a < 3; a++) {
              for (let b = 0; b < 3; b++) {
                H[(ka * 3 + a) * n3 + kb * 3 + b]! +=
                  cc * (R[o + a]! * R[o + b]! + R[o + 3 + a]! * R[o + 3 + b]!);
              }
            }
          }
        }
      }
      for (let ka = 0; ka < K; ka++) {
        for (let kb = ka + 1; kb < K; kb++) {
          for (let a = 0; a < 3; a++) {
            for (let b = 0; b < 3; b++)
              H[(kb * 3 + b) * n3 + ka * 3 + a] = H[(ka * 3 + a) * n3 + kb * 3 + b]!;
          }
        }
      }
      let trace = 0;
      for (let i = 0; i < n3; i++) trace += H[i * n3 + i]!;
      for (let i = 0; i < n3; i++) H[i * n3 + i]! += 1e-9 * trace + 1e-300;
      if (!solveDamped(n3, H, gb, 0, L, x)) continue;
      for (let k = 0; k < K; k++) for (let a = 0; a < 3; a++) B[k * 3 * J + a * J + j] = x[k * 3 + a]!;
    }
    // Gauge: (c_k, B_k) and (c_k / g, g B_k) fit alike, and the unpenalised basis step would let the
    // deformation bases grow until the ridge means nothing; keep each at the mean shape's norm.
    let e0 = 0;
    for (let i = 0; i < 3 * J; i++) e0 += B[i]! * B[i]!;
    for (let k = 1; k < K; k++) {
      let ek = 0;
      for (let i = 0; i < 3 * J; i++) ek += B[k * 3 * J + i]! ** 2;
      if (!(ek > 0 && e0 > 0)) continue;
      const g = Math.sqrt(e0 / ek);
      for (let i = 0; i < 3 * J; i++) B[k * 3 * J + i]! *= g;
      for (let s = 0; s < S; s++) c[s * K + k]! /= g;
    }
  }
  const shapes = new Float64Array(S * J * 3);
  const rotations = new Float64Array(S * 9);
  for (let s = 0; s < S; s++) {
    shapeOf(c, B, s, K, J, Sf);
    const o = 6 * s;
    const r = rotations.subarray(9 * s, 9 * s + 9);
    for (let i = 0; i < 6; i++) r[i] = R[o + i]!;
    r[6] = R[o + 1]! * R[o + 5]! - R[o + 2]! * R[o + 4]!;
    r[7] = R[o + 2]! * R[o + 3]! - R[o]! * R[o + 5]!;
    r[8] = R[o]! * R[o + 4]! - R[o + 1]! * R[o + 3]!;
    let n = 0;
    const mean = [0, 0, 0];
    for (let j = 0; j < J; j++) {
      if (!(mask[s * J + j]! > 0)) continue;
      n++;
      for (let d = 0; d < 3; d++) {
        const v = r[3 * d]! * Sf[j]! + r[3 * d + 1]! * Sf[J + j]! + r[3 * d + 2]! * Sf[2 * J + j]!;
        shapes[3 * (s * J + j) + d] = v;
        mean[d]! += v;
      }
    }
    for (let j = 0; j < J; j++) {
      if (!(mask[s * J + j]! > 0)) continue;
      for (let d = 0; d < 3; d++) shapes[3 * (s * J + j) + d]! -= mean[d]! / n;
    }
  }
  return {
    shapes,
    rotations,
    reprojectionRms: reprojectionRms(W, mask, R, c, B, T, S, J, K),
    rigidRms,
    predicted2d: predicted2d(centres, R, c, B, T, S, J, K),
  };
}

/** [S, J, 2] R_s · Σ_k c_sk B_k + T_s + the view's visible centroid (`centres`, which `centredViews` took off), every point. */
function predicted2d(
  centres: Float64Array,
  R: Float64Array,
  c: Float64Array,
  B: Float64Array,
  T: Float64Array,
  S: number,
  J: number,
  K: number,
): Float64Array {
  const out = new Float64Array(S * J * 2);
  const Sf = new Float64Array(3 * J);
  for (let s = 0; s < S; s++) {
    shapeOf(c, B, s, K, J, Sf);
    for (let r = 0; r < 2; r++) {
      const o = 6 * s + 3 * r;
      for (let j = 0; j < J; j++) {
        out[2 * (s * J + j) + r] =
          R[o]! * Sf[j]! +
          R[o + 1]! * Sf[J + j]! +
          R[o + 2]! * Sf[2 * J + j]! +
          T[2 * s + r]! +
          centres[2 * s + r]!;
      }
    }
  }
  return out;
}

/** W [S, 2, J]: each view's x row and y row, centred on its visible points (0 at masked points); centres [S, 2] those centroids. */
function centredViews(
  points2d: ArrayLike<number>,
  mask: ArrayLike<number>,
  S: number,
  J: number,
): { W: Float64Array; centres: Float64Array } {
  const W = new Float64Array(S * 2 * J);
  const centres = new Float64Array(S * 2);
  for (let s = 0; s < S; s++) {
    let n = 0;
    let cx = 0;
    let cy = 0;
    for (let j = 0; j < J; j++) {
      if (!(mask[s * J + j]! > 0)) continue;
      const x = points2d[2 * (s * J + j)]!;
      const y = points2d[2 * (s * J + j) + 1]!;
      if (!(Number.isFinite(x) && Number.isFinite(y))) {
        throw new InputError(`nrsfm: view ${s} has a non-finite 2D point at joint ${j}`);
      }
      n++;
      cx += x;
      cy += y;
    }
    if (n < 3) throw new InputError(`nrsfm: view ${s} has ${n} visible point(s), needs ≥ 3`);
    centres[2 * s] = cx / n;
    centres[2 * s + 1] = cy / n;
    for (let j = 0; j < J; j++) {
      if (!(mask[s * J + j]! > 0)) continue;
      W[2 * s * J + j] = points2d[2 * (s * J + j)]! - cx / n;
      W[(2 * s + 1) * J + j] = points2d[2 * (s * J + j) + 1]! - cy / n;
    }
  }
  return { W, centres };
}

/**
 * The rigid start: the rank-3 factorisation W ≈ M S₀ (masked points as 0), upgraded to a metric
 * one by the 3×3 Q with M_s Q Qᵀ M_sᵀ ∝ I (least squares over the views, scale fixed on average);
 * rotations the views' orthonormalised rows, B₀ = Q⁻¹ S₀, c_s0 their scales; the other bases small
 * and random (5 % of B₀'s size), their coefficients 0.
 */
function rigidStart(
  W: Float64Array,
  S: number,
  J: number,
  K: number,
  seed: number,
): { rotations: Float64Array; coefficients: Float64Array; basis: Float64Array } {
  const C = new Float64Array(J * J);
  for (let r = 0; r < 2 * S; r++) {
    for (let i = 0; i < J; i++) {
      const wi = W[r * J + i]!;
      if (wi === 0) continue;
      for (let j = 0; j < J; j++) C[i * J + j]! += wi * W[r * J + j]!;
    }
  }
  const values = new Float64Array(J);
  const V = new Float64Array(J * J);
  eigenSymmetric(J, C, values, V, new Float64Array(J));
  const S0 = new Float64Array(3 * J); // rows: the top three eigenvectors
  for (let d = 0; d < 3; d++) for (let j = 0; j < J; j++) S0[d * J + j] = V[j * J + (J - 1 - d)]!;
  const M = new Float64Array(2 * S * 3);
  for (let r = 0; r < 2 * S; r++) {
    for (let d = 0; d < 3; d++) {
      let sum = 0;
      for (let j = 0; j < J; j++) sum += W[r * J + j]! * S0[d * J + j]!;
      M[r * 3 + d] = sum;
    }
  }
  // L = Q Qᵀ (symmetric; 6 unknowns): per view aᵀLa − bᵀLb = 0 and aᵀLb = 0, and on average
  // (aᵀLa + bᵀLb) / 2 = 1 (the scale), by normal equations.
  const q = (a: ArrayLike<number>, b: ArrayLike<number>, out: Float64Array) => {
    out[0] = a[0]! * b[0]!;
    out[1] = a[0]! * b[1]! + a[1]! * b[0]!;
    out[2] = a[0]! * b[2]! + a[2]! * b[0]!;
    out[3] = a[1]! * b[1]!;
    out[4] = a[1]! * b[2]! + a[2]! * b[1]!;
    out[5] = a[2]! * b[2]!;
  };
  const H = new Float64Array(36);
  const g = new Float64Array(6);
  const add = (row: Float64Array, rhs: number, w: number) => {
    for (let i = 0; i < 6; i++) {
      g[i]! += w * row[i]! * rhs;
      for (let j = 0; j < 6; j++) H[i * 6 + j]! += w * row[i]! * row[j]!;
    }
  };
  const qa = new Float64Array(6);
  const qb = new Float64Array(6);
  const row = new Float64Array(6);
  const scaleRow = new Float64Array(6);
  for (let s = 0; s < S; s++) {
    const a = M.subarray(6 * s, 6 * s + 3);
    const b = M.subarray(6 * s + 3, 6 * s + 6);
    q(a, a, qa);
    q(b, b, qb);
    for (let i = 0; i < 6; i++) row[i] = qa[i]! - qb[i]!;
    add(row, 0, 1);
    q(a, b, row);
    add(row, 0, 1);
    for (let i = 0; i < 6; i++) scaleRow[i]! += (qa[i]! + qb[i]!) / (2 * S);
  }
  add(scaleRow, 1, S);
  const l = new Float64Array(6);
  if (!solveDamped(6, H, g, 0, new Float64Array(36), l)) l.set([1, 0, 0, 1, 0, 1]);
  const Lm = new Float64Array([l[0]!, l[1]!, l[2]!, l[1]!, l[3]!, l[4]!, l[2]!, l[4]!, l[5]!]);
  const ev = new Float64Array(3);
  const EV = new Float64Array(9);
  eigenSymmetric(3, Lm, ev, EV, new Float64Array(3));
  // Q = U √D (eigenvalues floored: a metric upgrade that fails leaves the affine factorisation).
  const top = Math.max(ev[2]!, 1e-300);
  const Q = new Float64Array(9);
  const Qi = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 3; k++) {
      const d = Math.sqrt(Math.max(ev[k]!, 1e-6 * top));
      Q[i * 3 + k] = EV[i * 3 + k]! * d;
      Qi[k * 3 + i] = EV[i * 3 + k]! / d;
    }
  }
  const basis = new Float64Array(K * 3 * J);
  for (let k = 0; k < 3; k++) {
    for (let j = 0; j < J; j++) {
      let sum = 0;
      for (let i = 0; i < 3; i++) sum += Qi[k * 3 + i]! * S0[i * J + j]!;
      basis[k * J + j] = sum;
    }
  }
  let energy = 0;
  for (let i = 0; i < 3 * J; i++) energy += basis[i]! * basis[i]!;
  const size = Math.sqrt(energy / J);
  let state = seed >>> 0 || 1;
  for (let i = 3 * J; i < K * 3 * J; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0; // Numerical Recipes' LCG
    basis[i] = 0.05 * size * (state / 2 ** 32 - 0.5);
  }
  const rotations = new Float64Array(S * 6);
  const coefficients = new Float64Array(S * K);
  const m = new Float64Array(9);
  const R3 = new Float64Array(9);
  for (let s = 0; s < S; s++) {
    m.fill(0);
    for (let r = 0; r < 2; r++) {
      for (let k = 0; k < 3; k++) {
        let sum = 0;
        for (let i = 0; i < 3; i++) sum += M[(2 * s + r) * 3 + i]! * Q[i * 3 + k]!;
        m[r * 3 + k] = sum;
      }
    }
    // Its rows' scale, and their nearest orthonormal pair (the polar factor of the rows completed
    // by their cross product).
    const n0 = Math.hypot(m[0]!, m[1]!, m[2]!);
    const n1 = Math.hypot(m[3]!, m[4]!, m[5]!);
    m[6] = (m[1]! * m[5]! - m[2]! * m[4]!) / Math.max(n0, 1e-300);
    m[7] = (m[2]! * m[3]! - m[0]! * m[5]!) / Math.max(n0, 1e-300);
    m[8] = (m[0]! * m[4]! - m[1]! * m[3]!) / Math.max(n0, 1e-300);
    polar3(m, R3);
    for (let i = 0; i < 6; i++) rotations[6 * s + i] = R3[i]!;
    coefficients[s * K] = (n0 + n1) / 2;
  }
  return { rotations, coefficients, basis };
}

function shapeOf(c: Float64Array, B: Float64Array, s: number, K: number, J: number, out: Float64Array): void {
  out.fill(0);
  for (let k = 0; k < K; k++) {
    const w = c[s * K + k]!;
    if (w === 0) continue;
    const o = k * 3 * J;
    for (let i = 0; i < 3 * J; i++) out[i]! += w * B[o + i]!;
  }
}

function reprojectionRms(
  W: Float64Array,
  mask: ArrayLike<number>,
  R: Float64Array,
  c: Float64Array,
  B: Float64Array,
  T: Float64Array,
  S: number,
  J: number,
  K: number,
): number {
  const Sf = new Float64Array(3 * J);
  let e = 0;
  let n = 0;
  for (let s = 0; s < S; s++) {
    shapeOf(c, B, s, K, J, Sf);
    for (let r = 0; r < 2; r++) {
      const o = 6 * s + 3 * r;
      for (let j = 0; j < J; j++) {
        if (!(mask[s * J + j]! > 0)) continue;
        const p = R[o]! * Sf[j]! + R[o + 1]! * Sf[J + j]! + R[o + 2]! * Sf[2 * J + j]!;
        e += (W[(2 * s + r) * J + j]! - T[2 * s + r]! - p) ** 2;
        n++;
      }
    }
  }
  return Math.sqrt(e / Math.max(n, 1));
}
