import type { AttentionKind, BranchWidth, EncodingKind, NormStyle } from './constants.js';
import { ConfigError } from './errors.js';

/** What the lifter's decoder outputs (see `LifterConfig.head`). */
export type HeadKind = 'shape' | 'camera';

/** The architecture and initialisation of a lifter. Everything but `seed`, `tpeSigma` and `maxPoints` shapes the forward pass. */
export interface LifterConfig {
  /** Token width D (even for TPE; divisible by `heads`). */
  readonly dModel: number;
  /** Graph-transformer layers L. */
  readonly layers: number;
  /** Heads of each attention branch (`branchWidth: 'full'`), or of both together (`'half'`: heads/2 each). */
  readonly heads: number;
  /** MLP hidden width = mlpRatio · D (must be an integer). */
  readonly mlpRatio: number;
  /** `'tpe'`: fixed random Fourier features (the paper); `'mlp'`: learnable ablation. */
  readonly encoding: EncodingKind;
  /** TPE frequency scale σ: ω ~ N(0, σ²) on coordinates normalised to [−1, 1]. Init only (ω is stored). */
  readonly tpeSigma: number;
  /** `'hybrid'`: local graph + global attention in parallel (the paper); `'global'` / `'local'`: ablations. */
  readonly attention: AttentionKind;
  /**
   * Inner width of each attention branch of a hybrid layer. `'full'` (the default; every checkpoint
   * and model made before the option): each branch projects q, k, v to D with `heads` heads of width
   * D/heads, concat 2D, proj [2D, D]. `'half'`: each branch projects to D/2 with heads/2 heads of the
   * SAME width D/heads, concat D, proj [D, D] — a layer's attention then costs one full-width MHSA
   * (its heads split between the graph and the global mask). Needs `attention: 'hybrid'` and an even
   * `heads`; for 'global'/'local' it is a config error (one branch: nothing to halve against).
   */
  readonly branchWidth: BranchWidth;
  /** `'paper'`: X' = LN(U) + U, X'' = LN(MLP(X')) + X'; `'pre'`: pre-norm residuals plus a final LayerNorm. */
  readonly norm: NormStyle;
  /** Seed of `initParameters` (the TPE frequencies and the initial weights). */
  readonly seed: number;
  /** The most points N the model accepts (a contract for runtimes; the network itself has no limit). */
  readonly maxPoints?: number;
  /**
   * k of the joint-code input (`@lfm/datasets` `jointCode`: a fixed per-(rig, joint) identity vector
   * added to the tokens through a learned [k, D] projection); 0 = no such input (the paper's
   * object-agnostic model).
   */
  readonly jointCodes: number;
  /**
   * K of the random-walk structural encoding (0 = off): each point gets the return probabilities
   * (P^k)_ii, k = 1…K, of the random walk P = D⁻¹A on the local-attention graph A (bones, or kNN for a
   * rig without bones), added to its token through a learned [K, D] projection — a point's role in
   * the graph (a leaf, a hub, how far along a chain), which any rig carries and which names no rig, so
   * a model without joint codes still tells the joints of a skeleton apart (up to its symmetries).
   * Needs an attention kind that reads the graph ('local' or 'hybrid').
   */
  readonly structural: number;
  /**
   * The mirror-partner input (default false; every model made before the option): each point gets
   * the 2D offset to its left/right mirror partner and a has-partner flag (`inputs.pairs` [B, N, N],
   * P[b,i,j] = 1 iff j is i's partner; from the rig's mirror pairs), added to its token through a
   * learned [3, D] projection. For a bilaterally symmetric shape the vectors between partners are
   * parallel in any view and their midpoints lie on the symmetry plane — a cue to the 3D that any rig
   * declaring mirror pairs carries and that names no rig (an unknown category still has it). An
   * all-zero P (centre-line joints, no pairs known) is a valid input.
   */
  readonly mirrorPairs: boolean;
  /** The rig ids whose joint codes the model was trained with; other rigs get zero codes (a contract for runtimes). */
  readonly codedRigs?: readonly string[];
  /**
   * What the decoder's output is. `'shape'` (the default; the paper, and every model made before the
   * option): the lifted shape itself, in whatever orientation the network picks. `'camera'`: a shape
   * S in the network's own frame, whose camera is then fitted to the input 2D in closed form
   * (`cameraHead`: affine fit, polar factor, r₃ = r₁ × r₂ so det +1, perspective correction); the
   * output is S as that camera sees it — x, y the observed 2D blended per point with the fitted view
   * by a learned gate, z the fitted depth — so the 2D the model is given is used, not re-predicted.
   * Training puts the loss on S as well (`forwardLifterParts`).
   */
  readonly head: HeadKind;
}

/**
 * Defaults: 4 layers as in the paper; D = 128 with 4 heads (the paper's 256/4 and 512/8 rows are for
 * larger corpora; 128 trains at a useful speed on CPU); MLP ratio 4 (the paper gives none); σ = 1
 * (not given by the paper — a hyper-parameter to sweep).
 */
export const DEFAULT_LIFTER_CONFIG: Readonly<LifterConfig> = Object.freeze({
  dModel: 128,
  layers: 4,
  heads: 4,
  mlpRatio: 4,
  encoding: 'tpe',
  tpeSigma: 1,
  attention: 'hybrid',
  branchWidth: 'full',
  norm: 'paper',
  seed: 0,
  jointCodes: 0,
  structural: 0,
  mirrorPairs: false,
  head: 'shape',
});

const KEYS: readonly (keyof LifterConfig)[] = [
  'dModel',
  'layers',
  'heads',
  'mlpRatio',
  'encoding',
  'tpeSigma',
  'attention',
  'branchWidth',
  'norm',
  'seed',
  'maxPoints',
  'jointCodes',
  'structural',
  'mirrorPairs',
  'codedRigs',
  'head',
];

/** The fields that change the forward pass (two configs agreeing on these run the same network). */
export const ARCHITECTURE_KEYS: readonly (keyof LifterConfig)[] = [
  'dModel',
  'layers',
  'heads',
  'mlpRatio',
  'encoding',
  'attention',
  'branchWidth',
  'norm',
  'jointCodes',
  'structural',
  'mirrorPairs',
  'head',
];

/**
 * A complete, validated config from a partial one (or parsed JSON): defaults fill missing fields.
 * Throws ConfigError for an unknown key (a typo), a wrong type or an invalid value, naming the field.
 */
export function resolveLifterConfig(input: unknown = {}): LifterConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError(`a lifter config must be an object, got ${input === null ? 'null' : typeof input}`);
  }
  const record = input as Record<string, unknown>;
  for (const k of Object.keys(record)) {
    if (!(KEYS as readonly string[]).includes(k)) {
      throw new ConfigError(`unknown lifter config key '${k}' (known: ${KEYS.join(', ')})`);
    }
  }
  const merged: Record<string, unknown> = { ...DEFAULT_LIFTER_CONFIG };
  for (const [k, v] of Object.entries(record)) if (v !== undefined) merged[k] = v;
  validateLifterConfig(merged as unknown as LifterConfig);
  if (Array.isArray(merged.codedRigs)) merged.codedRigs = Object.freeze([...merged.codedRigs]);
  return Object.freeze({ ...(merged as unknown as LifterConfig) });
}

/** Throws ConfigError naming the first invalid field of a complete config. */
export function validateLifterConfig(config: LifterConfig): void {
  const c = config as unknown as Record<string, unknown>;
  const int = (k: keyof LifterConfig, min: number) => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new ConfigError(`${k} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    }
  };
  const oneOf = (k: keyof LifterConfig, values: readonly string[]) => {
    if (typeof c[k] !== 'string' || !values.includes(c[k] as string)) {
      throw new ConfigError(
        `${k} must be ${values.map((v) => `'${v}'`).join(' or ')}, got ${JSON.stringify(c[k])}`,
      );
    }
  };
  const positive = (k: keyof LifterConfig) => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new ConfigError(`${k} must be a finite number > 0, got ${JSON.stringify(v)}`);
    }
  };
  int('dModel', 1);
  int('layers', 1);
  int('heads', 1);
  positive('mlpRatio');
  oneOf('encoding', ['tpe', 'mlp']);
  positive('tpeSigma');
  oneOf('attention', ['hybrid', 'global', 'local']);
  oneOf('branchWidth', ['full', 'half']);
  oneOf('norm', ['paper', 'pre']);
  int('seed', 0);
  if (c.maxPoints !== undefined) int('maxPoints', 1);
  int('jointCodes', 0);
  int('structural', 0);
  if (config.structural > 32)
    throw new ConfigError(`structural must be at most 32, got ${config.structural}`);
  if (config.structural > 0 && config.attention === 'global') {
    throw new ConfigError(
      "structural needs the local-attention graph: attention 'local' or 'hybrid', not 'global'",
    );
  }
  if (typeof c.mirrorPairs !== 'boolean') {
    throw new ConfigError(`mirrorPairs must be true or false, got ${JSON.stringify(c.mirrorPairs)}`);
  }
  oneOf('head', ['shape', 'camera']);
  if (
    c.codedRigs !== undefined &&
    !(Array.isArray(c.codedRigs) && c.codedRigs.every((r) => typeof r === 'string' && r.length > 0))
  ) {
    throw new ConfigError(`codedRigs must be a list of rig ids, got ${JSON.stringify(c.codedRigs)}`);
  }
  if (config.dModel % config.heads !== 0) {
    throw new ConfigError(`dModel ${config.dModel} must be divisible by heads ${config.heads}`);
  }
  if (config.branchWidth === 'half') {
    if (config.attention !== 'hybrid') {
      throw new ConfigError(
        `branchWidth 'half' splits the width between a hybrid layer's two branches; attention '${config.attention}' has one branch (use 'full')`,
      );
    }
    if (config.heads % 2 !== 0) {
      throw new ConfigError(
        `branchWidth 'half' gives each branch heads/2 heads of width dModel/heads: heads must be even, got ${config.heads}`,
      );
    }
  }
  if (config.encoding === 'tpe' && config.dModel % 2 !== 0) {
    throw new ConfigError(
      `dModel must be even for the TPE encoding (sin and cos halves), got ${config.dModel}`,
    );
  }
  if (!Number.isInteger(config.mlpRatio * config.dModel)) {
    throw new ConfigError(
      `mlpRatio · dModel (the MLP width) must be an integer, got ${config.mlpRatio} · ${config.dModel}`,
    );
  }
}
