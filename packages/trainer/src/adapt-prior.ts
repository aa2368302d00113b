import { nd } from '@lfm/core';
import { alignSimilarity } from '@lfm/procrustes';

/** The low-rank shape prior of `adapt`: the Procrustes mean and the running top eigenvectors. */

/**
 * The Procrustes mean of shapes [S, J, 3] over their visible points (mask [S, J]): each shape
 * normalised (centred, unit RMS radius), then 4 rounds of aligning every shape onto the current mean
 * (similarity, proper rotation) and averaging per joint. [J, 3]; a joint never visible stays 0.
 */
export function procrustesMean(shapes: Float32Array, mask: Uint8Array, S: number, J: number): Float32Array {
  return generalizedProcrustes(shapes, mask, S, J).mean;
}

/** `procrustesMean`, and every shape aligned onto it [S, J, 3] (the mean at masked points and for a degenerate shape). */
function generalizedProcrustes(
  shapes: Float32Array,
  mask: Uint8Array,
  S: number,
  J: number,
): { mean: Float32Array; aligned: Float64Array } {
  const norm = new Float64Array(S * J * 3);
  for (let s = 0; s < S; s++) {
    let n = 0;
    const c = [0, 0, 0];
    for (let j = 0; j < J; j++) {
      if (mask[s * J + j] !== 1) continue;
      n++;
      for (let d = 0; d < 3; d++) c[d]! += shapes[3 * (s * J + j) + d]!;
    }
    let e = 0;
    for (let j = 0; j < J; j++) {
      if (mask[s * J + j] !== 1) continue;
      for (let d = 0; d < 3; d++) {
        const v = shapes[3 * (s * J + j) + d]! - c[d]! / n;
        norm[3 * (s * J + j) + d] = v;
        e += v * v;
      }
    }
    const r = Math.sqrt(e / Math.max(n, 1)) || 1;
    for (let i = 3 * s * J; i < 3 * (s + 1) * J; i++) norm[i]! /= r;
  }
  // Start from the sample with the most visible points.
  let best = 0;
  let bestN = -1;
  for (let s = 0; s < S; s++) {
    let n = 0;
    for (let j = 0; j < J; j++) n += mask[s * J + j]!;
    if (n > bestN) [best, bestN] = [s, n];
  }
  let mean = norm.slice(3 * best * J, 3 * (best + 1) * J);
  const weights = Float64Array.from(mask);
  const aligned = new Float64Array(S * J * 3);
  for (let it = 0; it < 5; it++) {
    const last = it === 4;
    const target = new Float64Array(S * J * 3);
    for (let s = 0; s < S; s++) target.set(mean, 3 * s * J);
    // Joints of the mean that are unknown (0) are weighted out by the samples' masks only.
    const sum = new Float64Array(J * 3);
    const cnt = new Float64Array(J);
    for (let s = 0; s < S; s++) {
      let R: ArrayLike<number>;
      let sc: number;
      let t: ArrayLike<number>;
      try {
        const a = alignSimilarity(
          nd(norm.subarray(3 * s * J, 3 * (s + 1) * J), [1, J, 3]),
          nd(target.subarray(3 * s * J, 3 * (s + 1) * J), [1, J, 3]),
          { weights: nd(weights.subarray(s * J, (s + 1) * J), [1, J]) },
        );
        R = a.R.data;
        sc = a.s.data[0]!;
        t = a.t.data;
      } catch {
        // A degenerate (collinear, collapsed) prediction does not vote.
        if (last) aligned.set(mean, 3 * s * J);
        continue;
      }
      for (let j = 0; j < J; j++) {
        const o = 3 * (s * J + j);
        if (mask[s * J + j] !== 1) {
          if (last) for (let d = 0; d < 3; d++) aligned[o + d] = mean[3 * j + d]!;
          continue;
        }
        for (let d = 0; d < 3; d++) {
          const v =
            sc * (R[3 * d]! * norm[o]! + R[3 * d + 1]! * norm[o + 1]! + R[3 * d + 2]! * norm[o + 2]!) + t[d]!;
          sum[3 * j + d]! += v;
          if (last) aligned[o + d] = v;
        }
        cnt[j]!++;
      }
    }
    if (last) break;
    const next = new Float64Array(J * 3);
    for (let j = 0; j < J; j++)
      for (let d = 0; d < 3; d++) next[3 * j + d] = cnt[j]! > 0 ? sum[3 * j + d]! / cnt[j]! : 0;
    mean = next;
  }
  return { mean: Float32Array.from(mean), aligned };
}

/** Weight of a step's batch in the running statistics of the low-rank prior. */
const PRIOR_RATE = 0.05;

/**
 * The low-rank term's constants for one rig: the reference shape (unit RMS radius) and the top-K
 * eigenvectors of the second moment M = E[x xᵀ] of the aligned, normalised predictions x (3J-vectors),
 * both running averages: started from the base model's predictions (`fromShapes`: their Procrustes
 * mean, every prediction aligned onto it), then moved by each step's aligned predictions with weight
 * PRIOR_RATE (`update`: two warm-started subspace iterations per step).
 */
export class ShapePrior {
  private constructor(
    private readonly d: number,
    private readonly K: number,
    private readonly moment: Float64Array,
    private readonly first: Float64Array,
    /** [J, 3] float32, the graph's `reference`. */
    readonly reference: Float32Array,
    /** [K, J, 3] float32, the graph's `basis`. */
    readonly basis: Float32Array,
    private vectors: Float64Array,
  ) {}

  static fromShapes(shapes: Float32Array, mask: Uint8Array, S: number, J: number, K: number): ShapePrior {
    const { aligned } = generalizedProcrustes(shapes, mask, S, J);
    const d = 3 * J;
    const moment = new Float64Array(d * d);
    const first = new Float64Array(d);
    addMoments(moment, first, aligned, S, d, 1 / S);
    const vectors = topEigenvectors(moment, d, K, undefined, 60);
    const prior = new ShapePrior(d, K, moment, first, new Float32Array(d), new Float32Array(K * d), vectors);
    prior.publish();
    return prior;
  }

  /** Moves the statistics by a batch of aligned shapes x [B, 3J] (the graph's `aligned`). */
  update(x: Float32Array, B: number): void {
    const rate = PRIOR_RATE;
    for (let i = 0; i < this.moment.length; i++) this.moment[i]! *= 1 - rate;
    for (let i = 0; i < this.d; i++) this.first[i]! *= 1 - rate;
    addMoments(this.moment, this.first, x, B, this.d, rate / B);
    this.vectors = topEigenvectors(this.moment, this.d, this.K, this.vectors, 2);
    this.publish();
  }

  private publish(): void {
    let e = 0;
    for (let i = 0; i < this.d; i++) e += this.first[i]! ** 2;
    const scale = Math.sqrt(this.d / 3 / Math.max(e, 1e-30));
    for (let i = 0; i < this.d; i++) this.reference[i] = this.first[i]! * scale;
    this.basis.set(this.vectors);
  }
}

/** moment += w Σ_b x_b x_bᵀ, first += w Σ_b x_b for x [B, d]. */
function addMoments(
  moment: Float64Array,
  first: Float64Array,
  x: ArrayLike<number>,
  B: number,
  d: number,
  w: number,
): void {
  for (let b = 0; b < B; b++) {
    const o = b * d;
    for (let i = 0; i < d; i++) {
      const xi = w * x[o + i]!;
      first[i]! += xi;
      const row = i * d;
      for (let j = 0; j < d; j++) moment[row + j]! += xi * x[o + j]!;
    }
  }
}

/**
 * The top-K eigenvectors [K, d] (orthonormal rows) of a symmetric PSD matrix M [d, d] by `iterations`
 * subspace iterations (V ← orth(V M), Gram–Schmidt), from `init` or a fixed pseudo-random start.
 */
export function topEigenvectors(
  M: Float64Array,
  d: number,
  K: number,
  init: Float64Array | undefined,
  iterations: number,
): Float64Array {
  let V =
    init?.slice() ??
    Float64Array.from({ length: K * d }, (_, i) => (Math.sin(12.9898 * (i + 1)) * 43758.5453) % 1);
  const W = new Float64Array(K * d);
  for (let it = 0; it <= iterations; it++) {
    if (it > 0) {
      W.fill(0);
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < d; i++) {
          const v = V[k * d + i]!;
          if (v === 0) continue;
          const row = i * d;
          for (let j = 0; j < d; j++) W[k * d + j]! += v * M[row + j]!;
        }
      }
      V = W.slice();
    }
    for (let k = 0; k < K; k++) {
      for (let q = 0; q < k; q++) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += V[k * d + i]! * V[q * d + i]!;
        for (let i = 0; i < d; i++) V[k * d + i]! -= dot * V[q * d + i]!;
      }
      let n = 0;
      for (let i = 0; i < d; i++) n += V[k * d + i]! ** 2;
      n = Math.sqrt(n);
      // A direction M annihilates (rank < K) is left as a unit vector orthogonal to the others.
      const inv = n > 1e-300 ? 1 / n : 0;
      for (let i = 0; i < d; i++) V[k * d + i]! *= inv;
    }
  }
  return V;
}
