import {
  attentionBiases,
  feedForward,
  feedForwardParameterSpecs,
  graphLayerParameterSpecs,
  graphTransformerLayer,
  usesAdjacency,
} from '@lfm/attention';
import { checkShapes, LfmError, type Ops, type Params, ShapeError, scopeParams } from '@lfm/core';
import {
  encodeTokens,
  encodingParameterSpecs,
  initParameterRecord,
  layerNormSpecs,
  type ParameterSpec,
  prefixSpecs,
} from '@lfm/encoding';
import { type LifterConfig, validateLifterConfig } from './config.js';

/**
 * The 3D-LFM lifter, written once against `Ops<T>`: run eagerly on tfjs (with autodiff) or traced
 * into an ONNX graph by a recorder — the same functions.
 *
 *   points [B, N, 2] ─ TPE ─→ [B, N, D] ─ L × graph-transformer layer ─→ [B, N, D] ─ GELU MLP ─→ [B, N, 3] · mask
 */

/** The lifter's graph inputs. */
export interface LifterInputs<T> {
  /** [B, N, 2] keypoints normalised by `normalizeKeypoints` (@lfm/core); masked entries may hold anything finite or NaN. */
  readonly points: T;
  /** [B, N] 1 = present, 0 = absent or padding. */
  readonly mask: T;
  /**
   * [B, N, N] 0/1 graph of the local attention: 1 where point i may attend to point j, self loops
   * included (the rig's bones plus self, or a kNN graph for a rig without bones). Required unless
   * `config.attention` is `'global'`. Built by the data/runtime preprocessing, not here.
   */
  readonly adj?: T;
  /**
   * [B, N, k] joint codes (k = `config.jointCodes`; zero rows = identity unknown). Required when
   * `config.jointCodes` > 0, ignored otherwise.
   */
  readonly codes?: T;
}

/**
 * Every parameter `forwardLifter` reads, in a fixed order (encoder, layers 0…L−1, final norm,
 * decoder), with shapes, trainability and initialiser:
 *
 * - `encoder.omega` [2, D/2], `encoder.phase` [D/2] (TPE, not trainable), or `encoder.fc1.{w,b}`,
 *   `encoder.fc2.{w,b}` (MLP encoding);
 * - `joint_code.{w,b}` [k, D] (only with `jointCodes` k > 0: tokens += codes · W + b);
 * - `layers.{l}.local.{wq,bq,wk,wv,bv}`, `layers.{l}.global.{…}` (per the attention kind; [D, W] and
 *   [W] with W = D, or D/2 under `branchWidth: 'half'`),
 *   `layers.{l}.proj.{w,b}` [2D or D, D] (hybrid `'full'` or not), `layers.{l}.norm1.{gamma,beta}`,
 *   `layers.{l}.mlp.fc1.{w,b}` [D, r·D], `layers.{l}.mlp.fc2.{w,b}` [r·D, D], `layers.{l}.norm2.{gamma,beta}`;
 * - `final_norm.{gamma,beta}` (norm `'pre'` only);
 * - `decoder.fc1.{w,b}` [D, D], `decoder.fc2.{w,b}` [D, 3].
 *
 * Linear weights feeding a GELU are He-normal, the others Xavier-uniform; biases 0; LayerNorm γ = 1, β = 0.
 */
export function parameterShapes(config: LifterConfig): ParameterSpec[] {
  validateLifterConfig(config);
  const d = config.dModel;
  const specs = prefixSpecs(
    'encoder',
    encodingParameterSpecs({ kind: config.encoding, dModel: d, sigma: config.tpeSigma }),
  );
  if (config.jointCodes > 0) {
    // N(0, 1) weights: a unit-norm code then adds ~N(0, 1) per channel, the scale of the TPE's
    // sin/cos features, so identity is not drowned by position at the start of training.
    specs.push(
      {
        name: 'joint_code.w',
        shape: [config.jointCodes, d],
        trainable: true,
        init: { kind: 'normal', std: 1 },
      },
      { name: 'joint_code.b', shape: [d], trainable: true, init: { kind: 'zeros' } },
    );
  }
  for (let l = 0; l < config.layers; l++) {
    specs.push(...prefixSpecs(`layers.${l}`, graphLayerParameterSpecs(config)));
  }
  if (config.norm === 'pre') specs.push(...layerNormSpecs('final_norm', d));
  specs.push(...prefixSpecs('decoder', feedForwardParameterSpecs(d, d, 3)));
  return specs;
}

/** Seeded initial parameters `{ name → Float32Array }` (row-major), in `parameterShapes` order. */
export function initParameters(config: LifterConfig): Record<string, Float32Array> {
  return initParameterRecord(parameterShapes(config), config.seed);
}

/**
 * Lifts normalised 2D keypoints to a canonical 3D shape: inputs as `LifterInputs` → [B, N, 3], zero
 * at masked points. Permutation-equivariant in N, and the present points' output does not depend on
 * padded points. Throws ShapeError for inconsistent input shapes and LfmError for N > maxPoints.
 */
export function forwardLifter<T>(
  ops: Ops<T>,
  params: Params<T>,
  inputs: LifterInputs<T>,
  config: LifterConfig,
): T {
  validateLifterConfig(config);
  const { N } = checkShapes({
    points: [ops.shape(inputs.points), ['B', 'N', 2]],
    mask: [ops.shape(inputs.mask), ['B', 'N']],
    adj: inputs.adj === undefined ? undefined : [ops.shape(inputs.adj), ['B', 'N', 'N']],
    codes:
      config.jointCodes > 0 && inputs.codes !== undefined
        ? [ops.shape(inputs.codes), ['B', 'N', config.jointCodes]]
        : undefined,
  });
  if (config.maxPoints !== undefined && N! > config.maxPoints) {
    throw new LfmError('E_INPUT', `${N} points exceed the model's maximum of ${config.maxPoints}`);
  }
  if (usesAdjacency(config.attention) && inputs.adj === undefined) {
    throw new ShapeError(
      `attention '${config.attention}' needs inputs.adj [B, N, N] (the rig graph with self loops)`,
    );
  }
  const d = config.dModel;
  const present = ops.expandDims(inputs.mask, -1); // [B, N, 1]
  // `where`, not a product: a NaN at a masked point must not reach the tokens.
  const points = ops.where(present, inputs.points, 0);
  let x = encodeTokens(ops, scopeParams(params, 'encoder'), points, {
    kind: config.encoding,
    dModel: d,
    sigma: config.tpeSigma,
  });
  if (config.jointCodes > 0) {
    if (inputs.codes === undefined) {
      throw new ShapeError(
        `this lifter reads joint codes: inputs.codes [B, N, ${config.jointCodes}] (zeros = identity unknown)`,
      );
    }
    const k = config.jointCodes;
    const codes = ops.where(present, inputs.codes, 0);
    x = ops.add(x, ops.linear(codes, params.get('joint_code.w', [k, d]), params.get('joint_code.b', [d])));
  }
  const biases = attentionBiases(ops, config.attention, inputs.mask, inputs.adj);
  for (let l = 0; l < config.layers; l++) {
    x = graphTransformerLayer(ops, scopeParams(params, `layers.${l}`), x, biases, config);
  }
  if (config.norm === 'pre') {
    x = ops.layerNorm(x, params.get('final_norm.gamma', [d]), params.get('final_norm.beta', [d]));
  }
  const shape = feedForward(ops, scopeParams(params, 'decoder'), x, d, d, 3);
  return ops.mul(shape, present);
}
