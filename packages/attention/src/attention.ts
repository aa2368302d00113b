import { LfmError, type Ops, type Params, ShapeError } from '@lfm/core';
import type { ParameterSpec } from '@lfm/encoding';

/**
 * Multi-head dot-product attention over point tokens, with additive masks, written against `Ops<T>`
 * only: heads by reshape `[0, 0, H, D/H]` + transpose, scores by `matMul(q, k, transposeB)`, softmax
 * over the last axis. No op argument depends on B or N, so a graph recorder can keep them symbolic.
 *
 * Masking is additive (−1e9), never −∞: a row whose keys are all masked gets a finite softmax
 * (over its least-masked keys), never NaN. Softmax of a −1e9-shifted logit is exactly 0 in
 * float32, so masked keys have exactly zero weight and zero gradient.
 */

/** The additive bias of a masked-out key. */
export const MASKED_BIAS = -1e9;

/** Key-padding bias from mask [B, N] (1 = present): 0 where present, −1e9 where absent → [B, 1, N]. */
export function keyPaddingBias<T>(ops: Ops<T>, mask: T): T {
  return ops.expandDims(ops.mul(ops.sub(mask, 1), -MASKED_BIAS), 1);
}

/**
 * Graph-attention bias from adjacency adj [B, N, N] (1 where token i may attend to token j; by
 * contract it holds the self loops, adjᵢᵢ = 1) and mask [B, N] → [B, N, N]:
 *
 *   0 where adjᵢⱼ = 1 and j is present, −1e9 where adjᵢⱼ = 0 and j is present, −2e9 where j is absent.
 *
 * Absent keys are cut even where the rig has a bone to them (an occluded joint). A query with no
 * allowed present key — a padded query, or a real one whose adjacency row lacks its self loop — thus
 * falls back to the present keys only: finite, and independent of padded tokens (in float32 the
 * fallback weights are uniform, the scores being far below the bias's rounding step).
 *
 * The self loops are the caller's (the preprocessing that builds adj from rig bones or a kNN graph):
 * the op set has no way to build an N×N identity without baking N into the graph.
 */
export function graphAttentionBias<T>(ops: Ops<T>, adj: T, mask: T): T {
  const keys = ops.expandDims(mask, 1); // [B, 1, N]
  return ops.mul(ops.sub(ops.add(ops.mul(adj, keys), keys), 2), -MASKED_BIAS);
}

/** Query, key and value projections: `wq`, `bq`, `wk`, `wv`, `bv` (a key bias would get zero gradient: softmax is shift-invariant per query). */
export function attentionParameterSpecs(dModel: number): ParameterSpec[] {
  const w = (name: string): ParameterSpec => ({
    name,
    shape: [dModel, dModel],
    trainable: true,
    init: { kind: 'xavierUniform' },
  });
  const b = (name: string): ParameterSpec => ({
    name,
    shape: [dModel],
    trainable: true,
    init: { kind: 'zeros' },
  });
  return [w('wq'), b('bq'), w('wk'), w('wv'), b('bv')];
}

/**
 * softmax(Q Kᵀ/√(D/H) + bias) V per head, heads concatenated: x [B, N, D], bias broadcastable to
 * [B, N, N] ([B, 1, N] or [B, N, N]) → [B, N, D]. No output projection: the caller's projection
 * (the hybrid layer's) plays that role.
 */
export function multiHeadAttention<T>(ops: Ops<T>, params: Params<T>, x: T, bias: T, heads: number): T {
  const s = ops.shape(x);
  const d = s[s.length - 1]!;
  if (s.length !== 3) throw new ShapeError(`multiHeadAttention: x must be [B, N, D], got [${s.join(', ')}]`);
  if (!Number.isInteger(heads) || heads < 1 || d % heads !== 0) {
    throw new LfmError('E_CONFIG', `multiHeadAttention: width ${d} is not divisible into ${heads} heads`);
  }
  const dh = d / heads;
  const split = (t: T) => ops.transpose(ops.reshape(t, [0, 0, heads, dh]), [0, 2, 1, 3]); // [B, H, N, dh]
  const q = split(ops.mul(ops.linear(x, params.get('wq', [d, d]), params.get('bq', [d])), 1 / Math.sqrt(dh)));
  const k = split(ops.linear(x, params.get('wk', [d, d])));
  const v = split(ops.linear(x, params.get('wv', [d, d]), params.get('bv', [d])));
  const scores = ops.add(ops.matMul(q, k, { transposeB: true }), ops.expandDims(bias, 1)); // [B, H, N, N]
  const attended = ops.matMul(ops.softmax(scores), v); // [B, H, N, dh]
  return ops.reshape(ops.transpose(attended, [0, 2, 1, 3]), [0, 0, -1]);
}

/** Global multi-head self-attention over the present tokens: x [B, N, D], mask [B, N] → [B, N, D]. */
export function globalSelfAttention<T>(ops: Ops<T>, params: Params<T>, x: T, mask: T, heads: number): T {
  return multiHeadAttention(ops, params, x, keyPaddingBias(ops, mask), heads);
}

/**
 * Local graph attention: multi-head attention restricted to each token's graph neighbours (rig
 * bones plus self, see `graphAttentionBias`). x [B, N, D], adj [B, N, N], mask [B, N] → [B, N, D].
 */
export function localGraphAttention<T>(
  ops: Ops<T>,
  params: Params<T>,
  x: T,
  adj: T,
  mask: T,
  heads: number,
): T {
  return multiHeadAttention(ops, params, x, graphAttentionBias(ops, adj, mask), heads);
}
