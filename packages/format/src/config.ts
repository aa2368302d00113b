import * as v from 'valibot';
import { ATTENTION_KINDS, BRANCH_WIDTHS, ENCODING_KINDS, NORM_STYLES } from './constants.js';
import { ConfigError } from './errors.js';
import * as schema from './schema.js';

/** What the lifter's decoder outputs (see `LifterConfig.head`). */
export type HeadKind = (typeof HEAD_KINDS)[number];
export const HEAD_KINDS = ['shape', 'camera'] as const;

/** Marks a config entry as part of the architecture (two configs agreeing on these run the same network). */
const arch = <S extends v.GenericSchema>(schema: S) => v.pipe(schema, v.metadata({ architecture: true }));
const rigList = (issue: v.BaseIssue<unknown>) =>
  `must be a list of rig ids, got ${JSON.stringify(issue.input)}`;

/**
 * The lifter config, one entry per key: its type and range, its default (absent = optional, no
 * default) and whether it shapes the forward pass (`arch`). Everything but `seed`, `tpeSigma`,
 * `maxPoints`, `codedRigs` and `anatomicalCodes` does.
 *
 * Defaults: 4 layers as in the paper; D = 128 with 4 heads (the paper's 256/4 and 512/8 rows are for
 * larger corpora; 128 trains at a useful speed on CPU); MLP ratio 4 (the paper gives none); σ = 1
 * (not given by the paper — a hyper-parameter to sweep).
 */
const LIFTER_CONFIG_ENTRIES = {
  /** Token width D (even for TPE; divisible by `heads`). */
  dModel: arch(v.optional(schema.integerIn(1), 128)),
  /** Graph-transformer layers L. */
  layers: arch(v.optional(schema.integerIn(1), 4)),
  /** Heads of each attention branch (`branchWidth: 'full'`), or of both together (`'half'`: heads/2 each). */
  heads: arch(v.optional(schema.integerIn(1), 4)),
  /** MLP hidden width = mlpRatio · D (must be an integer). */
  mlpRatio: arch(v.optional(schema.numberIn(0, Number.POSITIVE_INFINITY, { minOpen: true }), 4)),
  /** `'tpe'`: fixed random Fourier features (the paper); `'mlp'`: learnable ablation. */
  encoding: arch(v.optional(schema.oneOf(ENCODING_KINDS), 'tpe')),
  /** TPE frequency scale σ: ω ~ N(0, σ²) on coordinates normalised to [−1, 1]. Init only (ω is stored). */
  tpeSigma: v.optional(schema.numberIn(0, Number.POSITIVE_INFINITY, { minOpen: true }), 1),
  /** `'hybrid'`: local graph + global attention in parallel (the paper); `'global'` / `'local'`: ablations. */
  attention: arch(v.optional(schema.oneOf(ATTENTION_KINDS), 'hybrid')),
  /**
   * Inner width of each attention branch of a hybrid layer. `'full'` (the default; every checkpoint
   * and model made before the option): each branch projects q, k, v to D with `heads` heads of width
   * D/heads, concat 2D, proj [2D, D]. `'half'`: each branch projects to D/2 with heads/2 heads of the
   * SAME width D/heads, concat D, proj [D, D] — a layer's attention then costs one full-width MHSA
   * (its heads split between the graph and the global mask). Needs `attention: 'hybrid'` and an even
   * `heads`; for 'global'/'local' it is a config error (one branch: nothing to halve against).
   */
  branchWidth: arch(v.optional(schema.oneOf(BRANCH_WIDTHS), 'full')),
  /** `'paper'`: X' = LN(U) + U, X'' = LN(MLP(X')) + X'; `'pre'`: pre-norm residuals plus a final LayerNorm. */
  norm: arch(v.optional(schema.oneOf(NORM_STYLES), 'paper')),
  /** Seed of `initParameters` (the TPE frequencies and the initial weights). */
  seed: v.optional(schema.integerIn(0), 0),
  /** The most points N the model accepts (a contract for runtimes; the network itself has no limit). */
  maxPoints: v.optional(schema.integerIn(1)),
  /**
   * k of the joint-code input (`@lfm/datasets` `jointCode`: a fixed per-(rig, joint) identity vector
   * added to the tokens through a learned [k, D] projection); 0 = no such input (the paper's
   * object-agnostic model).
   */
  jointCodes: arch(v.optional(schema.integerIn(0), 0)),
  /**
   * K of the random-walk structural encoding (0 = off): each point gets the return probabilities
   * (P^k)_ii, k = 1…K, of the random walk P = D⁻¹A on the local-attention graph A (bones, or kNN for a
   * rig without bones), added to its token through a learned [K, D] projection — a point's role in
   * the graph (a leaf, a hub, how far along a chain), which any rig carries and which names no rig, so
   * a model without joint codes still tells the joints of a skeleton apart (up to its symmetries).
   * At most 32. Needs an attention kind that reads the graph ('local' or 'hybrid').
   */
  structural: arch(v.optional(schema.integerIn(0, 32), 0)),
  /**
   * The mirror-partner input (default false; every model made before the option): each point gets
   * the 2D offset to its left/right mirror partner and a has-partner flag (`inputs.pairs` [B, N, N],
   * P[b,i,j] = 1 iff j is i's partner; from the rig's mirror pairs), added to its token through a
   * learned [3, D] projection. For a bilaterally symmetric shape the vectors between partners are
   * parallel in any view and their midpoints lie on the symmetry plane — a cue to the 3D that any rig
   * declaring mirror pairs carries and that names no rig (an unknown category still has it). An
   * all-zero P (centre-line joints, no pairs known) is a valid input.
   */
  mirrorPairs: arch(v.optional(schema.flag(), false)),
  /** The rig ids whose joint codes the model was trained with; other rigs get zero codes (a contract for runtimes). */
  codedRigs: v.optional(v.pipe(v.array(schema.nonEmptyString('a rig id'), rigList), v.readonly())),
  /**
   * How a point's joint code is chosen (a contract for runtimes; absent = false, every model made
   * before the option). false: by (rig, joint) — only `codedRigs` have codes. true: by what the joint
   * is — a joint with an anatomical key (`@lfm/rigs` `anatomicalKeys`: `l_knee`, `LeftLeg`, `Knee_L`
   * are one `l:knee`) has the code of (`anatomy/<category>`, key) in every rig of its category
   * (`@lfm/datasets` `anatomicalCodeTable`), other joints of `codedRigs` their rig's code, and a rig
   * of a trained category the model never saw has codes at its joints whose key a coded rig of the
   * category has (zeros elsewhere).
   */
  anatomicalCodes: v.optional(schema.flag()),
  /**
   * What the decoder's output is. `'shape'` (the default; the paper, and every model made before the
   * option): the lifted shape itself, in whatever orientation the network picks. `'camera'`: a shape
   * S in the network's own frame, whose camera is then fitted to the input 2D in closed form
   * (`cameraHead`: affine fit, polar factor, r₃ = r₁ × r₂ so det +1, perspective correction); the
   * output is S as that camera sees it — x, y the observed 2D blended per point with the fitted view
   * by a learned gate, z the fitted depth — so the 2D the model is given is used, not re-predicted.
   * Training puts the loss on S as well (`forwardLifterParts`).
   */
  head: arch(v.optional(schema.oneOf(HEAD_KINDS), 'shape')),
};

/**
 * The rules between fields, in the order they are checked; the first broken one's message, or
 * undefined. (Per-key types and ranges are the entries'.)
 */
function crossFieldProblem(c: LifterConfigFields): string | undefined {
  if (c.structural > 0 && c.attention === 'global') {
    return "structural needs the local-attention graph: attention 'local' or 'hybrid', not 'global'";
  }
  if (c.dModel % c.heads !== 0) return `dModel ${c.dModel} must be divisible by heads ${c.heads}`;
  if (c.branchWidth === 'half' && c.attention !== 'hybrid') {
    return `branchWidth 'half' splits the width between a hybrid layer's two branches; attention '${c.attention}' has one branch (use 'full')`;
  }
  if (c.branchWidth === 'half' && c.heads % 2 !== 0) {
    return `branchWidth 'half' gives each branch heads/2 heads of width dModel/heads: heads must be even, got ${c.heads}`;
  }
  if (c.encoding === 'tpe' && c.dModel % 2 !== 0) {
    return `dModel must be even for the TPE encoding (sin and cos halves), got ${c.dModel}`;
  }
  if (!Number.isInteger(c.mlpRatio * c.dModel)) {
    return `mlpRatio · dModel (the MLP width) must be an integer, got ${c.mlpRatio} · ${c.dModel}`;
  }
  return undefined;
}
const crossFieldRules = v.check(
  (c: LifterConfigFields) => crossFieldProblem(c) === undefined,
  (issue) => crossFieldProblem(issue.input as LifterConfigFields) ?? '',
);

const LifterConfigObject = schema.configObject('lifter config', LIFTER_CONFIG_ENTRIES);
type LifterConfigFields = v.InferOutput<typeof LifterConfigObject>;

/**
 * The schema of a lifter config as written (JSON, `lfm.config`, a checkpoint header): missing keys
 * take their defaults, an unknown key is an error, then the rules between fields.
 */
export const LifterConfigSchema = v.pipe(LifterConfigObject, crossFieldRules);

/**
 * A complete config (`validateLifterConfig`): the same entries with every defaulted field required,
 * extra keys ignored (a caller may pass a model config with its `kind`).
 */
const CompleteLifterConfigSchema = v.pipe(
  v.object(
    Object.fromEntries(
      Object.entries(LIFTER_CONFIG_ENTRIES).map(([key, entry]) => [
        key,
        entry.default === undefined ? entry : (entry as { wrapped: v.GenericSchema }).wrapped,
      ]),
    ) as unknown as typeof LIFTER_CONFIG_ENTRIES,
    (issue) => `must be set (a complete config has every field), ${JSON.stringify(issue.input)} given`,
  ),
  crossFieldRules,
);

/** The architecture and initialisation of a lifter (see `LifterConfigSchema` for each field). */
export type LifterConfig = Readonly<v.InferOutput<typeof LifterConfigSchema>>;

/** Every field with a default, in declaration order (`maxPoints`, `codedRigs` and `anatomicalCodes` have none). */
export const DEFAULT_LIFTER_CONFIG: Readonly<LifterConfig> = Object.freeze(
  schema.entryDefaults(LIFTER_CONFIG_ENTRIES, false) as unknown as LifterConfig,
);

/** The fields that change the forward pass (two configs agreeing on these run the same network). */
export const ARCHITECTURE_KEYS: readonly (keyof LifterConfig)[] = Object.freeze(
  (Object.keys(LIFTER_CONFIG_ENTRIES) as (keyof LifterConfig)[]).filter(
    (k) => (v.getMetadata(LIFTER_CONFIG_ENTRIES[k]) as { architecture?: boolean }).architecture === true,
  ),
);

/**
 * A complete, validated config from a partial one (or parsed JSON): defaults fill missing fields.
 * Throws ConfigError for an unknown key (a typo), a wrong type or an invalid value, naming the field.
 */
export function resolveLifterConfig(input: unknown = {}): LifterConfig {
  const parsed = schema.parseConfig(LifterConfigSchema, input, 'a lifter config') as Record<string, unknown>;
  // Key order as it always was: the defaulted fields in declaration order, then the others in input
  // order. Checkpoint headers and `lfm.config` are this object's JSON, so their bytes depend on it.
  const config: Record<string, unknown> = { ...DEFAULT_LIFTER_CONFIG };
  for (const [k, value] of Object.entries(input as object)) if (value !== undefined) config[k] = parsed[k];
  if (Array.isArray(config.codedRigs)) config.codedRigs = Object.freeze([...config.codedRigs]);
  return Object.freeze(config as LifterConfig);
}

/** Throws ConfigError naming the first invalid field of a complete config. */
export function validateLifterConfig(config: LifterConfig): void {
  const result = v.safeParse(CompleteLifterConfigSchema, config);
  if (!result.success) throw new ConfigError(schema.configIssueMessage(result.issues));
}
