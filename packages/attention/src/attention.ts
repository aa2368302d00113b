import { LfmError, type Ops, type ParameterSpec, type Params, ShapeError } from '@lfm/core';

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

/**
 * Query, key and value projections `wq`, `bq`, `wk`, `wv`, `bv` from width `dModel` to the branch's
 * inner width `width` (default `dModel`): weights [dModel, width], biases [width] (a key bias would get
 * zero gradient: softmax is shift-invariant per query).
 */
export function attentionParameterSpecs(dModel: number, width: number = dModel): ParameterSpec[] {
  const w = (name: string): ParameterSpec => ({
    name,
    shape: [dModel, width],
    trainable: true,
    init: { kind: 'xavierUniform' },
  });
  const b = (name: string): ParameterSpec => ({
    name,
    shape: [width],
    trainable: true,
    init: { kind: 'zeros' },
  });
  return [w('wq'), b('bq'), w('wk'), w('wv'), b('bv')];
}

/**
 * softmax(Q Kᵀ/√(W/H) + bias) V per head, heads concatenated: x [B, N, D], bias broadcastable to
 * [B, N, N] ([B, 1, N] or [B, N, N]) → [B, N, W], where W = `width` (default D) is the inner width
 * q, k and v are projected to and H = `heads` divides it (head width W/H). No output projection: the
 * caller's projection (the hybrid layer's) plays that role. The one-branch `multiBranchAttention`.
 */
export function multiHeadAttention<T>(
  ops: Ops<T>,
  params: Params<T>,
  x: T,
  bias: T,
  heads: number,
  width?: number,
): T {
  return multiBranchAttention(ops, [params], x, branchBias(ops, [bias]), heads, width);
}

/**
 * The additive biases of attention branches stacked for `multiBranchAttention`: each broadcastable
 * to [B, N, N] ([B, 1, N] key padding or [B, N, N] graph) → [B, branches, 1, N, N] (or
 * [B, 1, 1, 1|N, N] for one branch). Mixed shapes are brought to [B, N, N] by broadcasting against a
 * zero multiple of an N×N one (no size baked into the graph). Compute it once per forward pass.
 */
export function branchBias<T>(ops: Ops<T>, biases: readonly T[]): T {
  const full = biases.find((b) => ops.shape(b).length === 3 && ops.shape(b)[1] !== 1);
  const zeros = full === undefined || biases.length === 1 ? undefined : ops.mul(full, 0);
  const five = biases.map((b) => {
    const nn = zeros !== undefined && b !== full ? ops.add(b, zeros) : b; // [B, N, N]
    return ops.expandDims(ops.expandDims(nn, 1), 1); // [B, 1, 1, ·, N]
  });
  return five.length === 1 ? five[0]! : ops.concat(five, 1);
}

/**
 * Several attention branches over the same x (the hybrid layer's local and global ones), each with
 * its own weights (`params[i]`: wq, bq, wk, wv, bv) and bias, each W = `width` (default D) wide with
 * `heads` heads → [B, N, branches·W], exactly
 * `concat(params.map((p, i) => multiHeadAttention(ops, p, x, bias_i, heads, width)), -1)`.
 * `bias` is `branchBias(ops, [bias_0, bias_1, …])`: [B, branches, 1, N, N].
 *
 * Computed as ONE multi-head attention over branches·H heads in a [B, branches, H, N, ·] layout: one
 * projection each for q, k and v of every branch (the branch weights concatenated, [D, branches·W],
 * the 1/√dh scale folded into Wq and bq — constants an ONNX runtime folds at load), k laid out
 * transposed by its head split, one score MatMul, bias add and softmax for all heads, one head merge.
 * The parameters keep their per-branch names and shapes.
 */
export function multiBranchAttention<T>(
  ops: Ops<T>,
  params: readonly Params<T>[],
  x: T,
  bias: T,
  heads: number,
  width?: number,
): T {
  const s = ops.shape(x);
  const d = s[s.length - 1]!;
  if (s.length !== 3) throw new ShapeError(`multiHeadAttention: x must be [B, N, D], got [${s.join(', ')}]`);
  const w = width ?? d;
  if (!Number.isInteger(w) || w < 1) {
    throw new LfmError('E_CONFIG', `multiHeadAttention: inner width must be an integer ≥ 1, got ${w}`);
  }
  if (!Number.isInteger(heads) || heads < 1 || w % heads !== 0) {
    throw new LfmError('E_CONFIG', `multiHeadAttention: width ${w} is not divisible into ${heads} heads`);
  }
  const nb = params.length;
  if (nb < 1) throw new LfmError('E_CONFIG', 'multiBranchAttention: needs at least one branch');
  const dh = w / heads;
  const scale = 1 / Math.sqrt(dh);
  const cat = (ts: T[], axis: number) => (ts.length === 1 ? ts[0]! : ops.concat(ts, axis));
  const weight = (name: string) =>
    cat(
      params.map((p) => p.get(name, [d, w])),
      1,
    ); // [D, nb·W]
  const vector = (name: string) =>
    cat(
      params.map((p) => p.get(name, [w])),
      0,
    ); // [nb·W]
  const q = ops.linear(x, ops.mul(weight('wq'), scale), ops.mul(vector('bq'), scale)); // [B, N, nb·W]
  const k = ops.linear(x, weight('wk'));
  const v = ops.linear(x, weight('wv'), vector('bv'));
  const split = (t: T, perm: number[]) => ops.transpose(ops.reshape(t, [0, 0, nb, heads, dh]), perm);
  const scores = ops.add(
    ops.matMul(split(q, [0, 2, 3, 1, 4]), split(k, [0, 2, 3, 4, 1])), // [B, nb, H, N, dh] · [B, nb, H, dh, N]
    bias, // [B, nb, 1, N, N]
  );
  const attended = ops.matMul(ops.softmax(scores), split(v, [0, 2, 3, 1, 4])); // [B, nb, H, N, dh]
  return ops.reshape(ops.transpose(attended, [0, 3, 1, 2, 4]), [0, 0, -1]); // [B, N, nb·W]
}

/** Global multi-head self-attention over the present tokens: x [B, N, D], mask [B, N] → [B, N, width ?? D]. */
export function globalSelfAttention<T>(
  ops: Ops<T>,
  params: Params<T>,
  x: T,
  mask: T,
  heads: number,
  width?: number,
): T {
  return multiHeadAttention(ops, params, x, keyPaddingBias(ops, mask), heads, width);
}

/**
 * Local graph attention: multi-head attention restricted to each token's graph neighbours (rig
 * bones plus self, see `graphAttentionBias`). x [B, N, D], adj [B, N, N], mask [B, N] → [B, N, width ?? D].
 */
export function localGraphAttention<T>(
  ops: Ops<T>,
  params: Params<T>,
  x: T,
  adj: T,
  mask: T,
  heads: number,
  width?: number,
): T {
  return multiHeadAttention(ops, params, x, graphAttentionBias(ops, adj, mask), heads, width);
}
