import type { KeypointTrack } from '@lfm/datasets/preprocess';
import { MOMENTS, rotationFromCrossCovariance, weightedMoments } from '@lfm/procrustes';
import type { CameraResult, Matrix3 } from './camera.js';

/**
 * Camera consistency across the frames of a lifted track: the mirror (depth-sign) ambiguity.
 *
 * One view fixes a shape only up to its mirror through the image plane: under an orthographic camera
 * the camera-frame points (x, y, z) and (x, y, −z) project to the same 2D, and a lifter can answer
 * either — frame by frame, so a sequence's depth may flip sign between neighbouring frames.
 *
 * Evidence. Each lifted frame t is compared with the previous lifted frame p of its track: is its
 * camera-frame shape P_t closer to p's mirror image F·P_p (F = diag(1, 1, −1)) than to P_p itself?
 *
 * 1. The 3D similarity Procrustes fit (translation, scale, rotations only — no reflection) of P_p and
 *    of F·P_p to P_t, on the points both frames lifted, gives the residuals d_same and d_mirror of
 *    unit-size shapes; the evidence is e = (d_mirror − d_same) / (d_mirror + d_same) ∈ [−1, 1]
 *    (> 0: the frames agree, < 0: t is the mirror image of p).
 * 2. When the two residuals tie (within MIRROR_TIE, relative — a (nearly) flat shape, whose mirror is
 *    also a rotation of it, so the 3D fit cannot tell), the image-plane alignment speaks instead: an
 *    alignment in the image plane (translation, scale, rotation about the viewing axis, which commute
 *    with F) finds P_t closer to F·P_p exactly when their centred depths correlate negatively,
 *    ρ = Σ z̃_t·z̃_p / √(Σ z̃_t² · Σ z̃_p²) < 0; the evidence is the part of ρ beyond what noise alone
 *    reaches (2/√n for n points, at most MIRROR_NOISE_CORRELATION), rescaled to [−1, 1].
 *
 * The order matters on real lifts: a correct lift whose depth is small and noisy (a body seen
 * front-on) may lean forward in one frame and back in the next — a rotation, not a mirror image;
 * its depth correlation flips sign, its 3D fit does not (on h36m-cams with 2D noise, trusting the
 * correlation first flipped hundreds of correctly lifted frames; scripts/smoothing-bench.mjs).
 *
 * Decision. A pairwise verdict alone is fragile: one misjudged pair would flip everything after it.
 * The flips s_t ∈ {0, 1} are chosen together, by dynamic programming (Viterbi) along the track, to
 * maximise Σ_t e_t·(s_t = s_p ? 1 : −1) − MIRROR_PRIOR·Σ_t s_t: agree with the evidence e_t of every
 * neighbouring pair, and keep each frame as lifted unless that buys more agreement than
 * MIRROR_PRIOR per flipped frame. An isolated mirrored frame or segment (strong evidence at its
 * boundaries) is flipped back; one misjudged pair is outweighed by the frames it would flip; and
 * since flipping the complement scores the same pairs, never more than half of the frames are
 * flipped — the depth sign most frames were lifted with is kept. A frame sharing fewer than 3 lifted
 * points with its predecessor gives no evidence.
 *
 * Flipping frame t: its camera-frame points become their depth mirror about the object's origin,
 * P' = F(P − t₃) + t₃ (t₃ = [tx, ty, 0] for ortho, the translation for persp), so the 2D they project
 * to is unchanged (ortho: exactly, the reprojection RMSE too; persp: to first order, its RMSE is
 * recomputed when the 2D input is given). The camera and the canonical shape are re-posed to match:
 * X' = Q·F·R·X with the rotation Q that best aligns it to the previous frame's canonical shape
 * (Kabsch), and R' = Qᵀ — so the canonical shape stays continuous and R'·X' = F·R·X.
 */

/**
 * The depth correlation noise alone reaches (2/√n for n shared points, capped at this): in a tie of
 * the 3D fit, only the correlation beyond it is evidence.
 */
export const MIRROR_NOISE_CORRELATION = 0.5;
/** The cost of flipping one frame against the lifter's answer (in units of the evidence e). */
export const MIRROR_PRIOR = 0.01;
/** Each frame is compared with this many preceding lifted frames. */
export const MIRROR_WINDOW = 1;

/** The tie band of the Procrustes comparison (relative). */
export const MIRROR_TIE = 0.2;
/** 3D residuals (of unit-size shapes) both below this are a tie too: exact fits of either. */
const TIE_ABS = 1e-3;

/** What `fixMirrorFlips` needs of a lifted track (a `LiftedTrack`). */
export interface MirrorTrackInput {
  readonly numJoints: number;
  /** [T, J, 3] canonical or camera-frame points (see `space`); NaN where missing. */
  readonly points3d: Float32Array;
  /** [T, J] 1 = lifted. */
  readonly mask: Uint8Array;
  /** [T] the frames' cameras; null = not lifted. */
  readonly cameras: readonly (CameraResult | null)[];
}

export interface MirrorFixOptions {
  /** The frame of `points3d`: 'canonical' (the model's) or 'camera' (the camera's). */
  readonly space: 'canonical' | 'camera';
  /**
   * The track's 2D input (its `points`, `mask` in the same [T, J] layout), to recompute a perspective
   * camera's reprojection RMSE after a flip. Without it, a flipped persp frame keeps its RMSE.
   */
  readonly input?: Pick<KeypointTrack, 'points' | 'mask'> | undefined;
}

export interface MirrorFixResult {
  /** [T, J, 3] the points, flipped frames replaced (same space). */
  readonly points3d: Float32Array;
  /** [T] the cameras, flipped frames re-posed. */
  readonly cameras: (CameraResult | null)[];
  /** [T] 1 where the frame was flipped. */
  readonly flipped: Uint8Array;
}

const F_DEPTH = [1, 1, -1] as const;

/** Row-major 3×3 of a camera's R. */
function flat(R: Matrix3): number[] {
  return [...R[0], ...R[1], ...R[2]];
}

function rows(m: ArrayLike<number>): Matrix3 {
  return [
    [m[0]!, m[1]!, m[2]!],
    [m[3]!, m[4]!, m[5]!],
    [m[6]!, m[7]!, m[8]!],
  ];
}

/** The camera's translation with ortho's z = 0. */
function t3(c: CameraResult): [number, number, number] {
  return c.kind === 'ortho' ? [c.t[0], c.t[1], 0] : [c.t[0], c.t[1], c.t[2]];
}

/**
 * [T, J, 3] camera-frame shapes up to scale and translation (centring and scaling happen in the
 * comparison): canonical points rotated by R; camera-frame points as they are.
 */
function cameraShapes(track: MirrorTrackInput, space: 'canonical' | 'camera'): Float64Array {
  const { points3d, cameras } = track;
  const out = Float64Array.from(points3d);
  if (space === 'camera') return out;
  const J = track.numJoints;
  cameras.forEach((c, k) => {
    if (!c) return;
    const R = flat(c.R);
    for (let j = 0; j < J; j++) {
      const o = 3 * (k * J + j);
      const x = points3d[o]!;
      const y = points3d[o + 1]!;
      const z = points3d[o + 2]!;
      for (let r = 0; r < 3; r++) out[o + r] = R[3 * r]! * x + R[3 * r + 1]! * y + R[3 * r + 2]! * z;
    }
  });
  return out;
}

/**
 * The evidence that frame a's camera-frame shape agrees (> 0) with frame b's rather than with its
 * depth mirror (< 0), in [−1, 1] (see the module comment); null when they share fewer than 3 points.
 * `shapes`: [T, J, 3] camera-frame points (any scale); `mask` [T, J].
 */
export function mirrorEvidence(
  shapes: Float64Array,
  a: number,
  b: number,
  mask: Uint8Array,
  J: number,
): number | null {
  const w = new Uint8Array(J);
  let n = 0;
  for (let j = 0; j < J; j++) {
    w[j] = mask[a * J + j]! & mask[b * J + j]!;
    n += w[j]!;
  }
  if (n < 3) return null;
  const mo = new Float64Array(MOMENTS.size);
  // x = frame b (to be aligned), y = frame a.
  weightedMoments(shapes, 3 * b * J, shapes, 3 * a * J, w, 0, J, mo);
  const gx = mo[MOMENTS.gx]!;
  const gy = mo[MOMENTS.gy]!;
  if (!(gx > 0 && gy > 0) || !Number.isFinite(gx + gy)) return null;
  // 1. The 3D similarity Procrustes residuals (rotations only) of frame b and of its depth mirror.
  const M = mo.subarray(MOMENTS.cov, MOMENTS.cov + 9);
  const Mf = Float64Array.from(M);
  for (let c = 0; c < 3; c++) Mf[6 + c] = -Mf[6 + c]!; // F·x: the third row of Σ x yᵀ changes sign
  const R = new Float64Array(9);
  const lSame = rotationFromCrossCovariance(M, 0, gx, gy, false, R);
  const lMirror = rotationFromCrossCovariance(Mf, 0, gx, gy, false, R);
  // Similarity residual of unit-size shapes: √(1 − λ² / (gx·gy)).
  const dSame = Math.sqrt(Math.max(0, 1 - (lSame * lSame) / (gx * gy)));
  const dMirror = Math.sqrt(Math.max(0, 1 - (lMirror * lMirror) / (gx * gy)));
  const sum = dSame + dMirror;
  if (sum >= TIE_ABS && Math.abs(dMirror - dSame) >= MIRROR_TIE * Math.max(dSame, dMirror)) {
    return (dMirror - dSame) / sum;
  }
  // 2. A tie — a (nearly) flat shape, whose mirror is also a rotation of it: the image-plane
  // alignment's verdict, the centred depths' correlation beyond what noise alone reaches.
  const zz = M[8]!; // Σ z̃_b z̃_a
  let za2 = 0;
  let zb2 = 0;
  const mza = mo[MOMENTS.meanY + 2]!;
  const mzb = mo[MOMENTS.meanX + 2]!;
  for (let j = 0; j < J; j++) {
    if (!w[j]) continue;
    za2 += (shapes[3 * (a * J + j) + 2]! - mza) ** 2;
    zb2 += (shapes[3 * (b * J + j) + 2]! - mzb) ** 2;
  }
  const rho = za2 > 0 && zb2 > 0 ? zz / Math.sqrt(za2 * zb2) : 0;
  const r0 = Math.min(MIRROR_NOISE_CORRELATION, 2 / Math.sqrt(n));
  return Math.abs(rho) > r0 ? Math.sign(rho) * ((Math.abs(rho) - r0) / (1 - r0)) : 0;
}

/**
 * Detects and fixes depth-sign flips between a track's neighbouring lifted frames (see the module
 * comment). Returns new arrays; the input is not modified.
 */
export function fixMirrorFlips(track: MirrorTrackInput, options: MirrorFixOptions): MirrorFixResult {
  const J = track.numJoints;
  const T = track.cameras.length;
  const { space } = options;
  const shapes = cameraShapes(track, space);
  const flipped = new Uint8Array(T);
  const lifted: number[] = [];
  for (let k = 0; k < T; k++) if (track.cameras[k]) lifted.push(k);
  // Viterbi over s ∈ {0: as lifted, 1: flipped}; a state holds the last MIRROR_WINDOW frames' flips
  // (bit d = s of frame i − d), so every frame is compared with each of its MIRROR_WINDOW predecessors.
  const n = lifted.length;
  const W = MIRROR_WINDOW;
  const S = 1 << W;
  const evidence = new Float64Array(n * W); // [i, d − 1]: frame i against frame i − d
  for (let i = 1; i < n; i++) {
    for (let d = 1; d <= Math.min(W, i); d++) {
      evidence[i * W + d - 1] = mirrorEvidence(shapes, lifted[i]!, lifted[i - d]!, track.mask, J) ?? 0;
    }
  }
  const back = new Uint8Array(n * S); // the dropped top bit of the best predecessor of (i, state)
  let score = new Float64Array(S).fill(Number.NEGATIVE_INFINITY);
  score[0] = 0;
  score[1] = -MIRROR_PRIOR;
  for (let i = 1; i < n; i++) {
    const next = new Float64Array(S).fill(Number.NEGATIVE_INFINITY);
    for (let q = 0; q < S; q++) {
      const s = q & 1;
      for (let b = 0; b < 2; b++) {
        const p = (q >> 1) | (b << (W - 1));
        if (score[p] === Number.NEGATIVE_INFINITY) continue;
        let v = score[p]! - MIRROR_PRIOR * s;
        for (let d = 1; d <= Math.min(W, i); d++) {
          const e = evidence[i * W + d - 1]!;
          v += ((p >> (d - 1)) & 1) === s ? e : -e;
        }
        // Ties keep the predecessor with fewer flips (b = 0 first).
        if (v > next[q]!) {
          next[q] = v;
          back[i * S + q] = b;
        }
      }
    }
    score = next;
  }
  if (n > 0) {
    let q = 0;
    for (let k = 1; k < S; k++) if (score[k]! > score[q]!) q = k;
    for (let i = n - 1; i >= 0; i--) {
      flipped[lifted[i]!] = q & 1;
      if (i > 0) q = (q >> 1) | (back[i * S + q]! << (W - 1));
    }
  }

  const points3d = Float32Array.from(track.points3d);
  const cameras = [...track.cameras];
  // The canonical shape of the previous lifted frame (after its fix), for re-posing.
  let prevCanon: Float64Array | null = null;
  const canonical = (k: number): Float64Array => {
    const c = cameras[k]!;
    const out = new Float64Array(3 * J).fill(Number.NaN);
    const R = flat(c.R);
    const s = c.kind === 'ortho' ? c.s : 1;
    const t = t3(c);
    for (let j = 0; j < J; j++) {
      if (track.mask[k * J + j] !== 1) continue;
      const o = 3 * (k * J + j);
      if (space === 'canonical') {
        for (let r = 0; r < 3; r++) out[3 * j + r] = points3d[o + r]!;
      } else {
        // X = Rᵀ (P − t) / s
        const p = [0, 1, 2].map((r) => (points3d[o + r]! - t[r]!) / s);
        for (let r = 0; r < 3; r++) out[3 * j + r] = R[r]! * p[0]! + R[3 + r]! * p[1]! + R[6 + r]! * p[2]!;
      }
    }
    return out;
  };
  for (const k of lifted) {
    if (!flipped[k]) {
      prevCanon = canonical(k);
      continue;
    }
    const c = cameras[k]!;
    const R = flat(c.R);
    const X = canonical(k);
    // Y = F·R·X (the mirrored shape, rotated into the camera's axes).
    const Y = new Float64Array(3 * J).fill(Number.NaN);
    const w = new Uint8Array(J);
    for (let j = 0; j < J; j++) {
      if (track.mask[k * J + j] !== 1) continue;
      w[j] = 1;
      for (let r = 0; r < 3; r++) {
        Y[3 * j + r] =
          F_DEPTH[r]! *
          (R[3 * r]! * X[3 * j]! + R[3 * r + 1]! * X[3 * j + 1]! + R[3 * r + 2]! * X[3 * j + 2]!);
      }
    }
    // Q = argmin Σ ‖Q Y − X_prev‖² over rotations (about the origin: the canonical frame's).
    const Q = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const ref = prevCanon ?? X;
    const wq = Uint8Array.from(w, (v, j) => v & (Number.isNaN(ref[3 * j]!) ? 0 : 1));
    let nq = 0;
    for (const v of wq) nq += v;
    if (nq >= 3) {
      const mo = new Float64Array(MOMENTS.size);
      weightedMoments(Y, 0, ref, 0, wq, 0, J, mo);
      // About the origin: M = Σ y xᵀ uncentred = centred M + n·ȳ x̄ᵀ (weights 1).
      const M = Float64Array.from(mo.subarray(MOMENTS.cov, MOMENTS.cov + 9));
      let gx = mo[MOMENTS.gx]!;
      let gy = mo[MOMENTS.gy]!;
      const n = mo[MOMENTS.weight]!;
      for (let a = 0; a < 3; a++) {
        const ma = mo[MOMENTS.meanX + a]!;
        gx += n * ma * ma;
        const mb = mo[MOMENTS.meanY + a]!;
        gy += n * mb * mb;
        for (let b = 0; b < 3; b++) M[3 * a + b]! += n * ma * mo[MOMENTS.meanY + b]!;
      }
      rotationFromCrossCovariance(M, 0, gx, gy, false, Q);
    }
    // Camera-frame points and canonical points of the flipped frame.
    const t = t3(c);
    const s = c.kind === 'ortho' ? c.s : 1;
    for (let j = 0; j < J; j++) {
      if (!w[j]) continue;
      const o = 3 * (k * J + j);
      if (space === 'camera') {
        for (let r = 0; r < 3; r++) points3d[o + r] = s * Y[3 * j + r]! + t[r]!;
      } else {
        for (let r = 0; r < 3; r++) {
          points3d[o + r] =
            Q[3 * r]! * Y[3 * j]! + Q[3 * r + 1]! * Y[3 * j + 1]! + Q[3 * r + 2]! * Y[3 * j + 2]!;
        }
      }
    }
    // R' = Qᵀ.
    const Rn = rows([Q[0]!, Q[3]!, Q[6]!, Q[1]!, Q[4]!, Q[7]!, Q[2]!, Q[5]!, Q[8]!]);
    cameras[k] =
      c.kind === 'ortho'
        ? { ...c, R: Rn }
        : { ...c, R: Rn, rmse: options.input ? perspRmse(c, Y, w, options.input, k, J) : c.rmse };
    prevCanon = canonical(k);
  }
  return { points3d, cameras, flipped };
}

/** The reprojection RMSE of camera-frame points Y + t under the camera's intrinsics. */
function perspRmse(
  c: Extract<CameraResult, { kind: 'persp' }>,
  Y: Float64Array,
  w: Uint8Array,
  input: Pick<KeypointTrack, 'points' | 'mask'>,
  k: number,
  J: number,
): number {
  let sse = 0;
  let n = 0;
  for (let j = 0; j < J; j++) {
    if (!w[j] || input.mask[k * J + j] !== 1) continue;
    const x = Y[3 * j]! + c.t[0];
    const y = Y[3 * j + 1]! + c.t[1];
    const z = Y[3 * j + 2]! + c.t[2];
    const u = (c.fx * x) / z + c.cx - input.points[2 * (k * J + j)]!;
    const v = (c.fy * y) / z + c.cy - input.points[2 * (k * J + j) + 1]!;
    sse += u * u + v * v;
    n++;
  }
  return n > 0 ? Math.sqrt(sse / n) : c.rmse;
}
