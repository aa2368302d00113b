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
 *
 * With `head: 'camera'`, the GELU MLP's output is a shape S whose camera is fitted to the input 2D in
 * closed form (`cameraHead`), and the output is S as that camera sees it.
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
  /**
   * [B, N, N] 0/1 mirror partners: P[b,i,j] = 1 iff point j is point i's left/right mirror partner
   * (j ≠ i; at most one per row); an all-zero row for a centre-line or unpaired point, or when the
   * pairs are unknown. Built from the rig's mirror pairs by the data/runtime preprocessing. Required
   * when `config.mirrorPairs` is true, ignored otherwise.
   */
  readonly pairs?: T;
}

/**
 * Every parameter `forwardLifter` reads, in a fixed order (encoder, layers 0…L−1, final norm,
 * decoder), with shapes, trainability and initialiser:
 *
 * - `encoder.omega` [2, D/2], `encoder.phase` [D/2] (TPE, not trainable), or `encoder.fc1.{w,b}`,
 *   `encoder.fc2.{w,b}` (MLP encoding);
 * - `joint_code.{w,b}` [k, D] (only with `jointCodes` k > 0: tokens += codes · W + b);
 * - `structural.{w,b}` [K, D] (only with `structural` K > 0: tokens += random-walk encoding · W + b);
 * - `pairs.{w,b}` [3, D] (only with `mirrorPairs`: tokens += [partner offset, has partner] · W + b);
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
    specs.push(...inputProjectionSpecs('joint_code', config.jointCodes, d));
  }
  if (config.structural > 0) {
    // Return probabilities are in [0, 1] (about 1/degree): N(0, 1) weights, as for the joint codes.
    specs.push(...inputProjectionSpecs('structural', config.structural, d));
  }
  if (config.mirrorPairs) {
    // The offsets are differences of normalised 2D (|·| ≲ 2), the flag 0/1: N(0, 1) weights, as above.
    specs.push(...inputProjectionSpecs('pairs', 3, d));
  }
  for (let l = 0; l < config.layers; l++) {
    specs.push(...prefixSpecs(`layers.${l}`, graphLayerParameterSpecs(config)));
  }
  if (config.norm === 'pre') specs.push(...layerNormSpecs('final_norm', d));
  specs.push(...prefixSpecs('decoder', feedForwardParameterSpecs(d, d, 3)));
  if (config.head === 'camera') {
    // λᵢ = σ(xᵢ·w + b) starts at ½ for every point: half observation, half fitted view.
    specs.push(
      { name: 'head.trust.w', shape: [d, 1], trainable: true, init: { kind: 'zeros' } },
      { name: 'head.trust.b', shape: [1], trainable: true, init: { kind: 'zeros' } },
    );
  }
  return specs;
}

/**
 * An extra input's projection into the tokens, `name`.w [k, D] ~ N(0, 1) and `name`.b [D] = 0: the
 * inputs (unit-norm codes, return probabilities, 2D offsets) are O(1), so N(0, 1) weights add
 * ~N(0, 1) per channel, the scale of the TPE's sin/cos features.
 */
function inputProjectionSpecs(name: string, k: number, d: number): ParameterSpec[] {
  return [
    { name: `${name}.w`, shape: [k, d], trainable: true, init: { kind: 'normal', std: 1 } },
    { name: `${name}.b`, shape: [d], trainable: true, init: { kind: 'zeros' } },
  ];
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
  return forwardLifterParts(ops, params, inputs, config).output;
}

/** What `forwardLifterParts` returns. */
export interface LifterParts<T> {
  /** [B, N, 3]: the lifter's output (what `forwardLifter` returns). */
  readonly output: T;
  /**
   * [B, N, 3], `head: 'camera'` only: the decoder's shape S before the camera fit, zero at masked
   * points. Training puts the paper's Procrustes loss on it as well, so that S stays a shape (without
   * it the head can be fed a degenerate S whose fitted depth alone carries the answer).
   */
  readonly shape?: T;
}

/** `forwardLifter`, also returning the intermediate shape of the camera head (see `LifterParts`). */
export function forwardLifterParts<T>(
  ops: Ops<T>,
  params: Params<T>,
  inputs: LifterInputs<T>,
  config: LifterConfig,
): LifterParts<T> {
  validateLifterConfig(config);
  const { N } = checkShapes({
    points: [ops.shape(inputs.points), ['B', 'N', 2]],
    mask: [ops.shape(inputs.mask), ['B', 'N']],
    adj: inputs.adj === undefined ? undefined : [ops.shape(inputs.adj), ['B', 'N', 'N']],
    codes:
      config.jointCodes > 0 && inputs.codes !== undefined
        ? [ops.shape(inputs.codes), ['B', 'N', config.jointCodes]]
        : undefined,
    pairs:
      config.mirrorPairs && inputs.pairs !== undefined
        ? [ops.shape(inputs.pairs), ['B', 'N', 'N']]
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
  if (config.structural > 0) {
    const K = config.structural;
    const rw = randomWalkEncoding(ops, inputs.adj!, inputs.mask, K);
    x = ops.add(x, ops.linear(rw, params.get('structural.w', [K, d]), params.get('structural.b', [d])));
  }
  if (config.mirrorPairs) {
    if (inputs.pairs === undefined) {
      throw new ShapeError(
        'this lifter reads mirror partners: inputs.pairs [B, N, N] (P[b,i,j] = 1 iff j is i’s partner; zeros = none known)',
      );
    }
    const feature = mirrorPairFeature(ops, inputs.pairs, points, inputs.mask);
    x = ops.add(x, ops.linear(feature, params.get('pairs.w', [3, d]), params.get('pairs.b', [d])));
  }
  const biases = attentionBiases(ops, config.attention, inputs.mask, inputs.adj);
  for (let l = 0; l < config.layers; l++) {
    x = graphTransformerLayer(ops, scopeParams(params, `layers.${l}`), x, biases, config);
  }
  if (config.norm === 'pre') {
    x = ops.layerNorm(x, params.get('final_norm.gamma', [d]), params.get('final_norm.beta', [d]));
  }
  const shape = feedForward(ops, scopeParams(params, 'decoder'), x, d, d, 3);
  if (config.head === 'camera') {
    const trust = ops.sigmoid(
      ops.linear(x, params.get('head.trust.w', [d, 1]), params.get('head.trust.b', [1])),
    );
    return { output: cameraHead(ops, shape, points, present, trust), shape: ops.mul(shape, present) };
  }
  return { output: ops.mul(shape, present) };
}

/**
 * The random-walk structural encoding [B, N, K] of `LifterConfig.structural`: with A the graph among
 * the present points (adj [B, N, N] with its self loops, rows and columns of masked points zeroed)
 * and P = D⁻¹A its random walk, feature k of point i is (P^k)_ii, k = 1…K — computed as
 * diag(P^k) = Σ_j (P^(k−1))_ij P_ji, so no identity matrix of the dynamic N is needed. Zero at
 * masked points. Permutation-equivariant: it depends on the graph, not on the order of the points.
 */
export function randomWalkEncoding<T>(ops: Ops<T>, adj: T, mask: T, K: number): T {
  const m = ops.expandDims(mask, -1); // [B, N, 1]
  const a = ops.mul(ops.mul(adj, m), ops.expandDims(mask, 1)); // present rows and columns only
  const degree = ops.maximum(ops.reduceSum(a, -1, true), 1); // [B, N, 1]
  const p = ops.div(a, degree);
  const pT = ops.transpose(p, [0, 2, 1]);
  // k = 1: (P)_ii = A_ii / d_i, and A_ii is the self loop (1 at a present point).
  const features: T[] = [ops.div(m, degree)];
  let power = p; // P^(k−1)
  for (let k = 2; k <= K; k++) {
    features.push(ops.reduceSum(ops.mul(power, pT), -1, true));
    if (k < K) power = ops.matMul(power, p);
  }
  return ops.mul(ops.concat(features, -1), m);
}

/**
 * The mirror-partner feature [B, N, 3] of `LifterConfig.mirrorPairs`: with P the partner matrix
 * among the present points (pairs [B, N, N], rows and columns of masked points zeroed), point i gets
 * the 2D offset to its partner, off = P·p − rowsum(P) ⊙ p (p the points [B, N, 2], 0 where masked),
 * and has = rowsum(P) (1 when its partner is present, else 0): [off, has]. Zero at masked points and
 * for points without a present partner. Permutation-equivariant: P is permuted with the points.
 */
export function mirrorPairFeature<T>(ops: Ops<T>, pairs: T, points: T, mask: T): T {
  const m = ops.expandDims(mask, -1); // [B, N, 1]
  const p = ops.mul(ops.mul(pairs, m), ops.expandDims(mask, 1)); // present rows and columns only
  const has = ops.reduceSum(p, -1, true); // [B, N, 1]
  const offset = ops.sub(ops.matMul(p, points), ops.mul(has, points)); // [B, N, 2]
  return ops.concat([offset, has], -1);
}

/** Keeps det(P Pᵀ) (P of unit norm: det ∈ [0, ¼]) and the projected energy away from 0 (a collapsed or edge-on S). */
const HEAD_EPS = 1e-12;

/** Floor of tr(SᵀS) and ‖P‖² before they divide (a collapsed S or p: P ≈ 0 stays ≈ 0); a normal float32. */
const HEAD_TINY = 1e-30;

/** Ridge ε of the affine fit, relative to tr(SᵀS): keeps a planar or collapsed S solvable. */
export const CAMERA_HEAD_RIDGE = 1e-4;

/** Perspective refinements of the `'camera'` head (POSIT-style; 0 = scaled orthographic only). */
export const CAMERA_HEAD_ITERATIONS = 2;

/** The nearest a point may come to the camera, as a fraction of the centroid's distance. */
const HEAD_NEAR = 0.2;

/**
 * The `'camera'` head. shape S [B, N, 3] (any frame), points p [B, N, 2] (normalised 2D, 0 where
 * masked), present [B, N, 1] → [B, N, 3]: S as the camera that took p sees it — x, y from the
 * observed 2D, z fitted — in the units of the normalised 2D.
 *
 * Scaled orthographic fit (over the visible points, centred; the factorisation method's metric
 * step): the least-squares affine camera P = (Σ p̂ᵢ Sᵢᵀ)(Σ Sᵢ Sᵢᵀ + ε tr·I)⁻¹ [2, 3] (computed up to a
 * positive factor with the adjugate), its nearest orthonormal rows R₂ = (P Pᵀ)^(−1/2) P (the polar
 * factor; exact when p̂ is a scaled orthographic view of S), r₃ = r₁ × r₂ (a proper rotation, so
 * which side of S faces the camera follows from the labelled 2D), the least-squares scale
 * s = Σ p̂ᵢ·R₂Sᵢ / Σ ‖R₂Sᵢ‖², depth zᵢ = s r₃·Sᵢ. (P Pᵀ)^(−1/2) of the 2×2 SPD A = P Pᵀ in closed
 * form: with δ = √det A and τ = √(tr A + 2δ), A^(1/2) = (A + δI)/τ and A^(−1/2) = (adj A + δI)/(δτ).
 *
 * Perspective (DeMenthon & Davis's POSIT idea): a pinhole shrinks a point by 1/(1 + zᵢ/D), so the
 * corrected 2D is p̂ᵢ = pᵢ (1 + w zᵢ) with w = 1/D fitted by least squares to the orthographic
 * view's own points (w ≥ 0, every point in front of the camera), and the fit is repeated on p̂
 * (`iterations` times). Output: z = zᵢ; x, y = p̂ᵢ, or with a per-point `trust` λᵢ ∈ [0, 1] [B, N, 1]
 * λᵢ p̂ᵢ + (1 − λᵢ) s R₂Sᵢ (the observation where trusted, the fitted view elsewhere). Only ops every
 * engine and the ONNX exporter have.
 */
export function cameraHead<T>(
  ops: Ops<T>,
  shape: T,
  points: T,
  present: T,
  trust?: T,
  iterations = CAMERA_HEAD_ITERATIONS,
  ridge = CAMERA_HEAD_RIDGE,
): T {
  const { observed, view: q, depth } = fitCameraHead(ops, shape, points, present, iterations, ridge);
  // x, y = λᵢ p̂ᵢ + (1 − λᵢ) qᵢ: the observation where it is trusted, the fitted view elsewhere.
  const xy = trust === undefined ? observed : ops.add(q, ops.mul(trust, ops.sub(observed, q)));
  return ops.mul(ops.concat([xy, depth], 2), present);
}

/** The camera `cameraHead` fits to a shape (see `fitCameraHead`); every tensor per sample b. */
export interface CameraHeadFit<T> {
  /** [B, N, 3] the shape, centred on its visible mean, 0 at masked points. */
  readonly shape: T;
  /** [B, N, 2] the observed 2D, centred, after the perspective corrections p̂ᵢ = pᵢ (1 + w zᵢ) (p itself with 0 iterations). */
  readonly observed: T;
  /** [B, N, 2] qᵢ = s R₂ Sᵢ: the fitted scaled orthographic view of the shape (what p̂ should be). */
  readonly view: T;
  /** [B, N, 1] zᵢ = s r₃·Sᵢ: the fitted depth. */
  readonly depth: T;
  /** [B, 2, 3] R₂, [B, 1, 3] r₃ (rows of a proper rotation), [B, 1, 1] s: the last orthographic fit. */
  readonly R2: T;
  readonly r3: T;
  readonly scale: T;
}

/**
 * The closed-form camera of `cameraHead`: shape S [B, N, 3], points p [B, N, 2] (0 where masked),
 * present [B, N, 1] → the fit (`CameraHeadFit`): the scaled orthographic view, refined `iterations`
 * times for perspective. The reprojection residual of S through its camera is `view − observed`.
 */
export function fitCameraHead<T>(
  ops: Ops<T>,
  shape: T,
  points: T,
  present: T,
  iterations = CAMERA_HEAD_ITERATIONS,
  ridge = CAMERA_HEAD_RIDGE,
): CameraHeadFit<T> {
  const count = ops.maximum(ops.reduceSum(present, 1, true), 1); // [B, 1, 1]
  const centre = (v: T) => {
    const masked = ops.mul(v, present);
    return ops.mul(ops.sub(masked, ops.div(ops.reduceSum(masked, 1, true), count)), present);
  };
  const S = centre(shape); // [B, N, 3]
  const p = centre(points); // [B, N, 2]
  let observed = p;
  for (let k = 0; ; k++) {
    const { R2, r3, scale } = orthographicView(ops, S, observed, count, ridge);
    const depth = ops.mul(ops.matMul(S, r3, { transposeB: true }), scale); // [B, N, 1]
    // q = s R₂ S: the orthographic view's own points.
    const q = ops.mul(ops.matMul(S, R2, { transposeB: true }), scale);
    if (k === iterations) return { shape: S, observed, view: q, depth, R2, r3, scale };
    // w = Σ (pᵢ zᵢ)·(qᵢ − pᵢ) / Σ ‖pᵢ zᵢ‖².
    const pz = ops.mul(p, depth);
    const num = ops.reduceSum(ops.mul(pz, ops.sub(q, p)), [1, 2], true);
    const den = ops.reduceSum(ops.mul(pz, pz), [1, 2], true);
    const nearest = ops.reduceMax(ops.mul(ops.neg(depth), present), [1, 2], true); // max −zᵢ
    const limit = ops.div(1 - HEAD_NEAR, ops.maximum(nearest, HEAD_EPS));
    const w = ops.minimum(ops.maximum(ops.div(num, ops.maximum(den, HEAD_EPS)), 0), limit);
    observed = centre(ops.mul(p, ops.add(ops.mul(depth, w), 1)));
  }
}

/**
 * The scaled orthographic view of centred S [B, N, 3] onto centred p [B, N, 2] (see `cameraHead`),
 * count [B, 1, 1] the visible points (≥ 1): R₂ [B, 2, 3], r₃ [B, 1, 3], scale [B, 1, 1].
 *
 * R₂ does not depend on positive factors of M, C or P, and these are kept O(1): M = Σ pᵢ Sᵢᵀ / n,
 * C = Σ Sᵢ Sᵢᵀ / tr(Σ Sᵢ Sᵢᵀ), P scaled to unit Frobenius norm (tr P Pᵀ = 1, det P Pᵀ ∈ [0, ¼]), so
 * no N and no scale of S or p overflows float32. With raw sums, P grew as N³ and det(P Pᵀ) as N¹²:
 * past 3.4e38 at ~1,650 points (NaN), and a clamp on det(P Pᵀ) that depended on the units.
 */
function orthographicView<T>(ops: Ops<T>, S: T, p: T, count: T, ridge: number): { R2: T; r3: T; scale: T } {
  // Affine camera P = M C⁻¹ up to a positive factor, as M · adj(C + εtr(C)·I): no division by det C.
  const M = ops.div(ops.matMul(p, S, { transposeA: true }), count); // [B, 2, 3]
  const energyS = ops.maximum(ops.reduceSum(ops.mul(S, S), [1, 2], true), HEAD_TINY); // tr(SᵀS) [B, 1, 1]
  const C = ops.reshape(ops.div(ops.matMul(S, S, { transposeA: true }), energyS), [0, 9]); // [B, 9]
  const e = (k: number) => ops.slice(C, 1, k, k + 1); // [B, 1]
  const reg = ops.mul(ops.add(ops.add(e(0), e(4)), e(8)), ridge);
  const [c00, c01, c02, c11, c12, c22] = [
    ops.add(e(0), reg),
    e(1),
    e(2),
    ops.add(e(4), reg),
    e(5),
    ops.add(e(8), reg),
  ];
  const minor = (a: T, b: T, c: T, d: T) => ops.sub(ops.mul(a, b), ops.mul(c, d));
  const a00 = minor(c11, c22, c12, c12);
  const a01 = minor(c02, c12, c01, c22);
  const a02 = minor(c01, c12, c02, c11);
  const a11 = minor(c00, c22, c02, c02);
  const a12 = minor(c01, c02, c00, c12);
  const a22 = minor(c00, c11, c01, c01);
  const adj = ops.reshape(ops.concat([a00, a01, a02, a01, a11, a12, a02, a12, a22], 1), [-1, 3, 3]);
  const affine = ops.matMul(M, adj); // [B, 2, 3]
  const norm2 = ops.reduceSum(ops.mul(affine, affine), [1, 2], true); // [B, 1, 1]
  const P = ops.div(affine, ops.sqrt(ops.maximum(norm2, HEAD_TINY)));
  // Its polar factor R₂ = (P Pᵀ)^(−1/2) P: the nearest matrix with orthonormal rows.
  const A = ops.reshape(ops.matMul(P, P, { transposeB: true }), [0, 4]); // [B, 4]: a b b c
  const a = ops.slice(A, 1, 0, 1);
  const b = ops.slice(A, 1, 1, 2);
  const c = ops.slice(A, 1, 3, 4);
  const delta = ops.sqrt(ops.maximum(ops.sub(ops.mul(a, c), ops.mul(b, b)), HEAD_EPS)); // [B, 1]
  const tau = ops.sqrt(ops.add(ops.add(a, c), ops.mul(delta, 2)));
  const invSqrt = ops.reshape(
    ops.div(
      ops.concat([ops.add(c, delta), ops.neg(b), ops.neg(b), ops.add(a, delta)], 1),
      ops.mul(delta, tau),
    ),
    [-1, 2, 2],
  );
  const R2 = ops.matMul(invSqrt, P); // [B, 2, 3]
  const r1 = ops.slice(R2, 1, 0, 1); // [B, 1, 3]
  const r2 = ops.slice(R2, 1, 1, 2);
  const at = (r: T, k: number) => ops.slice(r, 2, k, k + 1);
  const cross = (i: number, j: number) =>
    ops.sub(ops.mul(at(r1, i), at(r2, j)), ops.mul(at(r1, j), at(r2, i)));
  const r3 = ops.concat([cross(1, 2), cross(2, 0), cross(0, 1)], 2); // [B, 1, 3]
  // Least-squares scale given R₂: s = Σ pᵢ·(R₂ Sᵢ) / Σ ‖R₂ Sᵢ‖².
  const projected = ops.matMul(S, R2, { transposeB: true }); // [B, N, 2]
  const num = ops.reduceSum(ops.mul(projected, p), [1, 2], true); // [B, 1, 1]
  const energy = ops.reduceSum(ops.mul(projected, projected), [1, 2], true);
  const scale = ops.div(ops.maximum(num, 0), ops.maximum(energy, HEAD_EPS));
  return { R2, r3, scale };
}
