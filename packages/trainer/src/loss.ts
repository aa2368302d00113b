import { LfmError, nd, type Ops } from '@lfm/core';
import { alignSimilarity } from '@lfm/procrustes';

/**
 * The training loss, written against `Ops<T>` (the tfjs engine runs it eagerly with autodiff; a graph
 * engine can trace it with R and s as graph inputs).
 *
 * `'procrustes'` (the paper's): per sample b, over its visible joints V_b (mask 1),
 *   L_b = (1/|V_b|) Σ_{i∈V_b} ‖s_b R_b (p_i − p̄) − (y_i − ȳ)‖²,   L = mean_b L_b,
 * with p̄, ȳ the visible means, and (R_b ∈ SO(3), s_b ≥ 0) the similarity Procrustes solution that
 * minimises exactly L_b (`solveProcrustesAlignment`, Float64, on the JS side). R and s enter as
 * constants: by the envelope theorem ∂/∂p min_{R,s} L_b = ∂L_b/∂p at the optimum, so the gradient is
 * exact. The centring is in the graph, so translation is optimal too and differentiated.
 * `'mse'` (ablation): L_b = (1/|V_b|) Σ_{i∈V_b} ‖p_i − y_i‖², no alignment.
 *
 * Masked joints never contribute: predictions and targets are selected with `where`, so NaN or
 * garbage there changes neither the value nor the gradient (which is exactly 0 at masked joints).
 */
export type LossKind = 'procrustes' | 'mse';

export const LOSS_KINDS: readonly LossKind[] = ['procrustes', 'mse'];

/** Per-sample similarity of the prediction onto the target: R [B, 3, 3] (row-major), s [B]. */
export interface ProcrustesAlignment {
  readonly R: Float32Array;
  readonly s: Float32Array;
  /** Samples whose alignment was degenerate (a collinear or collapsed prediction): R = I, s = 1 used. */
  readonly fallback: number;
}

/**
 * Solves, per sample, min over R ∈ SO(3), s ≥ 0 of Σ_visible ‖s R (p_i − p̄) − (y_i − ȳ)‖² (Umeyama,
 * `alignSimilarity`, Float64). pred, target: [B, N, 3]; mask: [B, N] (0/1). A sample whose prediction
 * is degenerate (collinear or a single point — early in training) gets R = I, s = 1, so its loss is the
 * plain centred MSE, whose gradient pulls it out of the degeneracy. Throws LfmError when a sample has
 * fewer than 3 visible joints (the batcher never makes one).
 */
export function solveProcrustesAlignment(
  pred: Float32Array,
  target: Float32Array,
  mask: Float32Array,
  B: number,
  N: number,
): ProcrustesAlignment {
  const R = new Float32Array(9 * B);
  const s = new Float32Array(B);
  let fallback = 0;
  const write = (b: number, Rb: ArrayLike<number>, sb: number) => {
    for (let k = 0; k < 9; k++) R[9 * b + k] = Rb[k]!;
    s[b] = sb;
  };
  try {
    const a = alignSimilarity(nd(pred, [B, N, 3]), nd(target, [B, N, 3]), { weights: nd(mask, [B, N]) });
    for (let b = 0; b < B; b++) write(b, a.R.data.subarray(9 * b, 9 * b + 9), a.s.data[b]!);
    return { R, s, fallback };
  } catch {
    // Some sample failed: solve one by one, falling back where the prediction is degenerate.
  }
  for (let b = 0; b < B; b++) {
    let visible = 0;
    for (let i = 0; i < N; i++) if (mask[b * N + i]! > 0) visible++;
    if (visible < 3) {
      throw new LfmError(
        'E_LOSS',
        `sample ${b} has ${visible} visible joint(s); the Procrustes loss needs at least 3`,
      );
    }
    try {
      const a = alignSimilarity(
        nd(pred.subarray(3 * b * N, 3 * (b + 1) * N), [1, N, 3]),
        nd(target.subarray(3 * b * N, 3 * (b + 1) * N), [1, N, 3]),
        { weights: nd(mask.subarray(b * N, (b + 1) * N), [1, N]) },
      );
      write(b, a.R.data, a.s.data[0]!);
    } catch {
      write(b, IDENTITY, 1);
      fallback++;
    }
  }
  return { R, s, fallback };
}

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/**
 * The Procrustes-aligned masked MSE (see above) for given constant R [B, 3, 3] and s [B].
 * pred, target: [B, N, 3]; mask: [B, N]. Returns a scalar.
 */
export function alignedMaskedMse<T>(ops: Ops<T>, pred: T, target: T, mask: T, R: T, s: T): T {
  const m = ops.expandDims(mask, -1); // [B, N, 1]
  const count = ops.reduceSum(m, 1, true); // [B, 1, 1]
  const centre = (x: T) => {
    const v = ops.where(m, x, 0);
    return ops.mul(ops.sub(v, ops.div(ops.reduceSum(v, 1, true), count)), m);
  };
  const pc = centre(pred);
  const tc = centre(target);
  // Row vectors: (s R p)ᵀ = s pᵀ Rᵀ.
  const aligned = ops.mul(ops.matMul(pc, R, { transposeB: true }), ops.reshape(s, [-1, 1, 1]));
  return perSampleMean(ops, ops.mul(ops.sub(aligned, tc), m), count);
}

/** Plain masked MSE (no alignment): mean over samples of the mean ‖p_i − y_i‖² over visible joints. */
export function maskedMse<T>(ops: Ops<T>, pred: T, target: T, mask: T): T {
  const m = ops.expandDims(mask, -1);
  const count = ops.reduceSum(m, 1, true);
  const diff = ops.sub(ops.where(m, pred, 0), ops.where(m, target, 0));
  return perSampleMean(ops, diff, count);
}

/** mean_b (Σ_{i,c} e²[b,i,c] / count[b]); e is already zero at masked joints. */
function perSampleMean<T>(ops: Ops<T>, e: T, count: T): T {
  const perSample = ops.div(ops.reduceSum(ops.mul(e, e), [1, 2]), ops.reshape(count, [-1]));
  return ops.reduceMean(perSample);
}
