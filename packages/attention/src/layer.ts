import {
  LfmError,
  layerNormSpecs,
  linearSpecs,
  type Ops,
  type ParameterSpec,
  type Params,
  prefixSpecs,
  scopeParams,
} from '@lfm/core';
import { type AttentionKind, type BranchWidth, type NormStyle, usesAdjacency } from '@lfm/format';
import {
  attentionParameterSpecs,
  branchBias,
  graphAttentionBias,
  keyPaddingBias,
  multiBranchAttention,
} from './attention.js';

// The kinds are part of the model format (`lfm.config`): defined in @lfm/format.
export type { AttentionKind, BranchWidth, NormStyle };

export interface GraphLayerConfig {
  /** Token width D. */
  readonly dModel: number;
  /** Heads of each attention branch; must divide D. */
  readonly heads: number;
  /** MLP hidden width = mlpRatio · D (an integer). */
  readonly mlpRatio: number;
  readonly attention: AttentionKind;
  readonly norm: NormStyle;
  /** Inner width of each branch of a hybrid layer (default `'full'`); `'half'` needs an even `heads`. */
  readonly branchWidth?: BranchWidth;
}

/** The shape of one attention branch: q/k/v width and heads (head width = width / heads). */
export interface BranchGeometry {
  readonly width: number;
  readonly heads: number;
}

/**
 * Each attention branch's inner width and heads under `config`: { D, heads } for `'full'`,
 * { D/2, heads/2 } for `'half'` (the head width D/heads is the same either way). Unchecked: see
 * `checkGraphLayerConfig`.
 */
export function branchGeometry(config: GraphLayerConfig): BranchGeometry {
  return config.branchWidth === 'half'
    ? { width: config.dModel / 2, heads: config.heads / 2 }
    : { width: config.dModel, heads: config.heads };
}

/** The additive attention biases of one forward pass, computed once and shared by every layer. */
export interface AttentionBiases<T> {
  /** [B, 1, N] key-padding bias (global branch). */
  readonly global?: T;
  /** [B, N, N] graph bias (local branch). */
  readonly local?: T;
  /** The branches' biases stacked (local first), `branchBias`: [B, branches, 1, N, N]; built per layer when absent. */
  readonly branches?: T;
}

/** The biases of the branches of `kind`, in branch order (local, global); throws when one is missing. */
function branchBiasList<T>(kind: AttentionKind, biases: AttentionBiases<T>): T[] {
  const list: T[] = [];
  if (kind !== 'global') {
    if (biases.local === undefined) throw new LfmError('E_INPUT', 'the local branch needs a graph bias');
    list.push(biases.local);
  }
  if (kind !== 'local') {
    if (biases.global === undefined) throw new LfmError('E_INPUT', 'the global branch needs a padding bias');
    list.push(biases.global);
  }
  return list;
}

export { usesAdjacency };

/**
 * The biases the branches of `kind` need, from mask [B, N] and adj [B, N, N] (required unless
 * `kind` is `'global'`).
 */
export function attentionBiases<T>(ops: Ops<T>, kind: AttentionKind, mask: T, adj?: T): AttentionBiases<T> {
  if (usesAdjacency(kind) && adj === undefined) {
    throw new LfmError('E_INPUT', `attention '${kind}' needs an adjacency adj [B, N, N]`);
  }
  const biases: AttentionBiases<T> = {
    ...(kind !== 'local' && { global: keyPaddingBias(ops, mask) }),
    ...(adj !== undefined && kind !== 'global' && { local: graphAttentionBias(ops, adj, mask) }),
  };
  return { ...biases, branches: branchBias(ops, branchBiasList(kind, biases)) };
}

/** GELU MLP `fc1` [dIn, hidden] (He), `fc2` [hidden, dOut] (Xavier). */
export function feedForwardParameterSpecs(dIn: number, hidden: number, dOut: number): ParameterSpec[] {
  return [...linearSpecs('fc1', dIn, hidden, 'heNormal'), ...linearSpecs('fc2', hidden, dOut)];
}

/** Linear(dIn → hidden) → GELU → Linear(hidden → dOut), per token: x [..., dIn] → [..., dOut]. */
export function feedForward<T>(
  ops: Ops<T>,
  params: Params<T>,
  x: T,
  dIn: number,
  hidden: number,
  dOut: number,
): T {
  const h = ops.gelu(ops.linear(x, params.get('fc1.w', [dIn, hidden]), params.get('fc1.b', [hidden])));
  return ops.linear(h, params.get('fc2.w', [hidden, dOut]), params.get('fc2.b', [dOut]));
}

/** Throws LfmError E_CONFIG naming the first invalid field. */
export function checkGraphLayerConfig(c: GraphLayerConfig): void {
  const fail = (m: string) => {
    throw new LfmError('E_CONFIG', m);
  };
  if (!Number.isInteger(c.dModel) || c.dModel < 1) fail(`dModel must be an integer ≥ 1, got ${c.dModel}`);
  if (!Number.isInteger(c.heads) || c.heads < 1) fail(`heads must be an integer ≥ 1, got ${c.heads}`);
  if (c.dModel % c.heads !== 0) fail(`dModel ${c.dModel} is not divisible by heads ${c.heads}`);
  const hidden = c.mlpRatio * c.dModel;
  if (!(c.mlpRatio > 0) || !Number.isInteger(hidden)) {
    fail(`mlpRatio · dModel must be a positive integer, got ${c.mlpRatio} · ${c.dModel}`);
  }
  if (!['hybrid', 'global', 'local'].includes(c.attention)) {
    fail(`attention must be 'hybrid', 'global' or 'local', got '${c.attention}'`);
  }
  if (!['paper', 'pre'].includes(c.norm)) fail(`norm must be 'paper' or 'pre', got '${c.norm}'`);
  const bw = c.branchWidth ?? 'full';
  if (bw !== 'full' && bw !== 'half') fail(`branchWidth must be 'full' or 'half', got '${bw}'`);
  if (bw === 'half') {
    if (c.attention !== 'hybrid') {
      fail(`branchWidth 'half' splits a hybrid layer's two branches; attention '${c.attention}' has one`);
    }
    if (c.heads % 2 !== 0) {
      fail(`branchWidth 'half' gives each branch heads/2 heads: heads must be even, got ${c.heads}`);
    }
  }
}

/**
 * The parameters of one layer, unprefixed: `local.*` and/or `global.*` (wq, bq, wk, wv, bv: [D, W]
 * and [W] with W the branch width, D or D/2), `proj` [branches · W, D] (2D, D, or D for a `'half'`
 * hybrid), `norm1`, `mlp.fc1` [D, r·D], `mlp.fc2` [r·D, D], `norm2`.
 */
export function graphLayerParameterSpecs(config: GraphLayerConfig): ParameterSpec[] {
  checkGraphLayerConfig(config);
  const d = config.dModel;
  const { width } = branchGeometry(config);
  const branches = config.attention === 'hybrid' ? 2 : 1;
  return [
    ...(config.attention !== 'global' ? prefixSpecs('local', attentionParameterSpecs(d, width)) : []),
    ...(config.attention !== 'local' ? prefixSpecs('global', attentionParameterSpecs(d, width)) : []),
    ...linearSpecs('proj', branches * width, d),
    ...layerNormSpecs('norm1', d),
    ...prefixSpecs('mlp', feedForwardParameterSpecs(d, config.mlpRatio * d, d)),
    ...layerNormSpecs('norm2', d),
  ];
}

/**
 * One graph-transformer layer (3D-LFM §III.2): local graph attention and global self-attention in
 * parallel on the same input, concatenated ([B, N, 2D], or [B, N, D] with `branchWidth: 'half'`) and
 * projected back to D, then the norm/MLP of `config.norm`. x [B, N, D] → [B, N, D]. Padded tokens get
 * finite values that no present token sees.
 */
export function graphTransformerLayer<T>(
  ops: Ops<T>,
  params: Params<T>,
  x: T,
  biases: AttentionBiases<T>,
  config: GraphLayerConfig,
): T {
  const d = config.dModel;
  const hidden = config.mlpRatio * d;
  const branch = branchGeometry(config);
  const norm = (name: string, t: T) =>
    ops.layerNorm(t, params.get(`${name}.gamma`, [d]), params.get(`${name}.beta`, [d]));
  const stacked = biases.branches ?? branchBias(ops, branchBiasList(config.attention, biases));
  const branchParams = [
    ...(config.attention !== 'global' ? [scopeParams(params, 'local')] : []),
    ...(config.attention !== 'local' ? [scopeParams(params, 'global')] : []),
  ];
  const mix = (t: T) => {
    // = concat([L(t), G(t)], -1): both branches as one multi-head attention over their heads.
    const u = multiBranchAttention(ops, branchParams, t, stacked, branch.heads, branch.width);
    const w = branchParams.length * branch.width;
    return ops.linear(u, params.get('proj.w', [w, d]), params.get('proj.b', [d]));
  };
  const mlp = (t: T) => feedForward(ops, scopeParams(params, 'mlp'), t, d, hidden, d);
  if (config.norm === 'paper') {
    const u = mix(x);
    const x1 = ops.add(norm('norm1', u), u);
    return ops.add(norm('norm2', mlp(x1)), x1);
  }
  const x1 = ops.add(x, mix(norm('norm1', x)));
  return ops.add(x1, mlp(norm('norm2', x1)));
}
