import { usesAdjacency } from '@lfm/attention';
import { type Ops, type Params, ShapeError, scopeParams } from '@lfm/core';
import {
  initParameterRecord,
  layerNormSpecs,
  linearSpecs,
  type ParameterSpec,
  prefixSpecs,
} from '@lfm/encoding';
import {
  ConfigError,
  forwardLifter,
  forwardLifterParts,
  type LifterConfig,
  type LifterInputs,
  parameterShapes,
  resolveLifterConfig,
} from '@lfm/model';

/**
 * The models the trainer trains, behind one interface: the 3D-LFM lifter (`@lfm/model`) and the
 * per-rig MLP baseline (SimpleBaseline style). Both are written against `Ops<T>`, so any engine runs them.
 */

/** The lifter, tagged: every `LifterConfig` field plus `kind: 'lifter'`. */
export interface LifterModelConfig extends LifterConfig {
  readonly kind: 'lifter';
}

/**
 * The per-rig MLP baseline (Martinez et al., "A simple yet effective baseline", ICCV 2017), with
 * LayerNorm/GELU in place of BatchNorm/ReLU/dropout:
 *
 *   x = [2D of the J joints (0 where masked), mask] ∈ ℝ^{3J}
 *   h = GELU(LN(x W_in + b_in));  K × { h ← h + GELU(LN(GELU(LN(h W₁ + b₁)) W₂ + b₂)) };  y = h W_out + b_out ∈ ℝ^{3J}
 *
 * Joints are in the rig's (dataset's) order, so one model serves one rig. The mask is an input
 * because occluded joints are zeroed (the 2D alone cannot tell "absent" from "at the centre").
 */
export interface MlpModelConfig {
  readonly kind: 'mlp';
  /** J: joints of the rig. */
  readonly numJoints: number;
  /** Hidden width H (SimpleBaseline: 1024). */
  readonly hidden: number;
  /** Residual blocks K (SimpleBaseline: 2). */
  readonly blocks: number;
  /** Seed of the initial weights. */
  readonly seed: number;
  /** Name of the dataset/rig it was trained for (informational). */
  readonly rig?: string;
}

export type ModelConfig = LifterModelConfig | MlpModelConfig;

export const DEFAULT_MLP_CONFIG = Object.freeze({ hidden: 1024, blocks: 2, seed: 0 });

/** A model the trainer can initialise, run and checkpoint. */
export interface TrainableModel {
  readonly kind: ModelConfig['kind'];
  readonly config: ModelConfig;
  /** Every parameter `forward` reads, in a fixed order, with shape, trainability and initialiser. */
  readonly specs: readonly ParameterSpec[];
  /** J when the model takes points in a fixed joint order (N must be J); undefined for the lifter. */
  readonly numJoints: number | undefined;
  /** Whether `forward` reads `inputs.adj`. */
  readonly needsAdjacency: boolean;
  /** k of the joint-code input `inputs.codes` [B, N, k]; 0 = the model reads none. */
  readonly codeSize: number;
  /** Whether `forward` reads the mirror partners `inputs.pairs` [B, N, N] (a lifter with `mirrorPairs`). */
  readonly readsPairs: boolean;
  /** Seeded initial parameters, in `specs` order. */
  init(): Record<string, Float32Array>;
  /** points [B, N, 2] (normalised), mask [B, N], adj [B, N, N] → [B, N, 3], zero at masked points. */
  forward<T>(ops: Ops<T>, params: Params<T>, inputs: LifterInputs<T>): T;
  /**
   * `forward`'s output and the extra predictions training also puts the loss on ([B, N, 3] each,
   * zero at masked points): the camera head's shape S (`LifterParts.shape`); none for other models.
   */
  trainingForward<T>(ops: Ops<T>, params: Params<T>, inputs: LifterInputs<T>): { output: T; extra: T[] };
}

/**
 * A complete, validated model config from a partial one (or parsed JSON). `kind` defaults to
 * `'lifter'`; the lifter's other fields go through `resolveLifterConfig` (its defaults and checks).
 * ConfigError names the bad field.
 */
export function resolveModelConfig(input: unknown = {}): ModelConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError(`a model config must be an object, got ${input === null ? 'null' : typeof input}`);
  }
  const { kind = 'lifter', ...rest } = input as Record<string, unknown>;
  if (kind === 'lifter') return Object.freeze({ kind: 'lifter', ...resolveLifterConfig(rest) });
  if (kind !== 'mlp')
    throw new ConfigError(`model kind must be 'lifter' or 'mlp', got ${JSON.stringify(kind)}`);
  const known = ['numJoints', 'hidden', 'blocks', 'seed', 'rig'];
  for (const k of Object.keys(rest)) {
    if (!known.includes(k))
      throw new ConfigError(`unknown mlp config key '${k}' (known: kind, ${known.join(', ')})`);
  }
  const merged = { ...DEFAULT_MLP_CONFIG, ...stripUndefined(rest) } as Record<string, unknown>;
  const int = (k: string, min: number) => {
    const v = merged[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new ConfigError(`mlp ${k} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    }
  };
  if (merged.numJoints === undefined) {
    throw new ConfigError('mlp numJoints is required (the J of the rig the baseline is trained for)');
  }
  int('numJoints', 3);
  int('hidden', 1);
  int('blocks', 0);
  int('seed', 0);
  if (merged.rig !== undefined && typeof merged.rig !== 'string') {
    throw new ConfigError(`mlp rig must be a string, got ${JSON.stringify(merged.rig)}`);
  }
  return Object.freeze({ kind: 'mlp', ...merged }) as MlpModelConfig;
}

/** The trainable model of a config. */
export function createModel(config: ModelConfig): TrainableModel {
  const resolved = resolveModelConfig(config);
  if (resolved.kind === 'lifter') {
    const { kind: _kind, ...lifter } = resolved;
    const specs = parameterShapes(lifter);
    return {
      kind: 'lifter',
      config: resolved,
      specs,
      numJoints: undefined,
      needsAdjacency: usesAdjacency(lifter.attention),
      codeSize: lifter.jointCodes,
      readsPairs: lifter.mirrorPairs,
      init: () => initParameterRecord(specs, lifter.seed),
      forward: (ops, params, inputs) => forwardLifter(ops, params, inputs, lifter),
      trainingForward: (ops, params, inputs) => {
        const { output, shape } = forwardLifterParts(ops, params, inputs, lifter);
        return { output, extra: shape === undefined ? [] : [shape] };
      },
    };
  }
  const specs = mlpParameterShapes(resolved);
  return {
    kind: 'mlp',
    config: resolved,
    specs,
    numJoints: resolved.numJoints,
    needsAdjacency: false,
    codeSize: 0,
    readsPairs: false,
    init: () => initParameterRecord(specs, resolved.seed),
    forward: (ops, params, inputs) => forwardMlp(ops, params, inputs, resolved),
    trainingForward: (ops, params, inputs) => ({
      output: forwardMlp(ops, params, inputs, resolved),
      extra: [],
    }),
  };
}

/** The lifter part of a lifter model config (without `kind`), as `@lfm/model` takes it. */
export function lifterConfigOf(config: LifterModelConfig): LifterConfig {
  const { kind: _kind, ...lifter } = config;
  return lifter;
}

/**
 * Parameters of the MLP baseline: `input.{w,b}` [3J, H], `input_norm`, `blocks.{k}.fc1.{w,b}` [H, H],
 * `blocks.{k}.norm1`, `blocks.{k}.fc2.{w,b}` [H, H], `blocks.{k}.norm2`, `output.{w,b}` [H, 3J].
 */
export function mlpParameterShapes(config: MlpModelConfig): ParameterSpec[] {
  const J = config.numJoints;
  const H = config.hidden;
  const specs = [...linearSpecs('input', 3 * J, H, 'heNormal'), ...layerNormSpecs('input_norm', H)];
  for (let k = 0; k < config.blocks; k++) {
    specs.push(
      ...prefixSpecs(`blocks.${k}`, [
        ...linearSpecs('fc1', H, H, 'heNormal'),
        ...layerNormSpecs('norm1', H),
        ...linearSpecs('fc2', H, H, 'heNormal'),
        ...layerNormSpecs('norm2', H),
      ]),
    );
  }
  specs.push(...linearSpecs('output', H, 3 * J));
  return specs;
}

/** The MLP baseline's forward pass (see `MlpModelConfig`): points [B, J, 2], mask [B, J] → [B, J, 3]. */
export function forwardMlp<T>(
  ops: Ops<T>,
  params: Params<T>,
  inputs: LifterInputs<T>,
  config: MlpModelConfig,
): T {
  const J = config.numJoints;
  const H = config.hidden;
  const [, N] = ops.shape(inputs.mask);
  if (N !== J) {
    throw new ShapeError(
      `the MLP baseline of rig ${config.rig ?? '?'} takes its J = ${J} joints in rig order, got N = ${N} points`,
    );
  }
  const present = ops.expandDims(inputs.mask, -1); // [B, J, 1]
  const points = ops.where(present, inputs.points, 0);
  const x = ops.concat([ops.reshape(points, [0, -1]), inputs.mask], -1); // [B, 3J]
  const dense = (p: Params<T>, h: T, fanIn: number): T =>
    ops.linear(h, p.get('w', [fanIn, H]), p.get('b', [H]));
  const norm = (p: Params<T>, h: T): T => ops.layerNorm(h, p.get('gamma', [H]), p.get('beta', [H]));
  let h = ops.gelu(norm(scopeParams(params, 'input_norm'), dense(scopeParams(params, 'input'), x, 3 * J)));
  for (let k = 0; k < config.blocks; k++) {
    const p = scopeParams(params, `blocks.${k}`);
    let y = ops.gelu(norm(scopeParams(p, 'norm1'), dense(scopeParams(p, 'fc1'), h, H)));
    y = ops.gelu(norm(scopeParams(p, 'norm2'), dense(scopeParams(p, 'fc2'), y, H)));
    h = ops.add(h, y);
  }
  const out = ops.linear(h, params.get('output.w', [H, 3 * J]), params.get('output.b', [3 * J]));
  return ops.mul(ops.reshape(out, [0, J, 3]), present);
}

function stripUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
