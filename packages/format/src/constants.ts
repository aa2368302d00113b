/**
 * Constants shared by the packages that write models (`@lfm/onnx`, `@lfm/datasets`) and the runtimes
 * that read them (`@lfm/runtime`), kept here so no reader depends on a writer.
 */

/** The version tag of the joint-code construction (`@lfm/datasets/preprocess` `jointCode`), stored in model metadata. */
export const JOINT_CODE_SCHEME = 'fnv1a-normal-v1';

/** Default k of the kNN adjacency for inputs without bones (`@lfm/datasets/preprocess` `knnAdjacency`). */
export const DEFAULT_KNN_K = 4;

/** Which attention branches a layer runs: both in parallel (the paper), or one alone (ablations). */
export type AttentionKind = (typeof ATTENTION_KINDS)[number];
export const ATTENTION_KINDS = ['hybrid', 'global', 'local'] as const;
/**
 * `'paper'`: X' = LN(U) + U, X'' = LN(MLP(X')) + X' with U = Proj(concat(L(X), G(X))) (3D-LFM Eqs. 5–7
 * as written: the layer input reaches X' only through U). `'pre'`: the pre-norm residual variant
 * X' = X + Proj(concat(L(LN X), G(LN X))), X'' = X' + MLP(LN X').
 */
export type NormStyle = (typeof NORM_STYLES)[number];
export const NORM_STYLES = ['paper', 'pre'] as const;
/**
 * The inner width of each attention branch of a hybrid layer. `'full'`: each branch projects q, k, v
 * to D with `heads` heads of width D/heads, concat [B, N, 2D], proj [2D, D] (the shipped model).
 * `'half'`: each branch projects q, k, v to D/2 with heads/2 heads of the same width D/heads, concat
 * [B, N, D], proj [D, D] — the layer's attention costs what one full-width MHSA costs: the `heads`
 * heads of one MHSA, half of them masked to the graph, half global. Only for `'hybrid'`.
 */
export type BranchWidth = (typeof BRANCH_WIDTHS)[number];
export const BRANCH_WIDTHS = ['full', 'half'] as const;
/** The point encoding: `'tpe'` fixed random Fourier features (the paper), `'mlp'` a learnable ablation. */
export type EncodingKind = (typeof ENCODING_KINDS)[number];
export const ENCODING_KINDS = ['tpe', 'mlp'] as const;

/** Whether `kind` runs the local graph branch (and so needs an adjacency). */
export function usesAdjacency(kind: AttentionKind): boolean {
  return kind !== 'global';
}
