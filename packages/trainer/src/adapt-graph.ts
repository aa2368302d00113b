import { InputError, type Ops, type Params } from '@lfm/core';
import { forwardLifterParts, type LifterConfig, resolveLifterConfig } from '@lfm/model';
import { buildTrainingGraph, createOnnxRecorder, type Sym, type TrainingGraph } from '@lfm/onnx';
import type * as Ort from 'onnxruntime-node';
import {
  baseRegularizerOps,
  boneLengthLossOps,
  cameraFitOps,
  canonicalizationLossOps,
  lowRankLossOps,
  multiViewLossOps,
  reprojectionLossOps,
} from './adapt-loss.js';
import { ADAPT_TERMS, type AdaptLosses, type AdaptTerm, type AdaptWeights } from './adapt-types.js';

/** The adaptation objective against `Ops<T>` and the ONNX graphs `adapt` runs (`adapt.ts`). */

/** The symbolic sizes the adaptation graph is traced at. */
const TRACE = { B: 2, N: 5 };

/** The adaptation training graph: a `TrainingGraph`'s names, its bytes, and what `adapt` feeds and reads. */
export interface AdaptGraph extends Pick<TrainingGraph, 'lossName' | 'gradients' | 'paramNames'> {
  readonly bytes: Uint8Array;
  /** Output name of the gradient with respect to the `codes` input. */
  readonly codesGrad: string;
  /** The terms in the graph (weight > 0 and their inputs given), each output as `term/<name>`. */
  readonly terms: readonly AdaptTerm[];
  /** The graph's batch inputs (`TrainingGraph.inputNames`). */
  readonly inputs: readonly string[];
}

/** What the adaptation objective reads (see `buildAdaptGraph`); the optional ones turn their term on. */
export interface AdaptObjectiveInputs<T> {
  readonly points: T;
  readonly mask: T;
  readonly adj?: T;
  readonly codes: T;
  /** [B, N, N] mirror partners, for a model with `mirrorPairs`. */
  readonly pairs?: T;
  readonly base?: T;
  readonly partner?: T;
  readonly rotation?: T;
  readonly reference?: T;
  readonly basis?: T;
  /** [N, N] the rig's bones (symmetric 0/1), for the bone-length term. */
  readonly edges?: T;
  /** [B, N, 3] the samples' NRSfM reconstructions, for the nrsfm term. */
  readonly target?: T;
}

/**
 * The adaptation objective of a lifter, against `Ops<T>` (the graph engine traces it; the tests run
 * it on the Float64 reference engine): the lift of `points` — the output, and for the camera head
 * the lifted shape (observed 2D, fitted depth) and the reprojection of S (`cameraFitOps`) — then
 * Σ weight · term over the terms whose inputs are given and weight > 0 (reprojection always):
 * multiView needs partner, canonical rotation, lowRank reference (and basis for K > 0), base base
 * (the frozen base model's lifted shapes), boneLength edges, nrsfm target. Every term but the reprojection constrains the lifted shape.
 * Returns the weighted loss, each term's value and the low-rank term's aligned shapes.
 */
export function adaptObjectiveOps<T>(
  ops: Ops<T>,
  params: Params<T>,
  inputs: AdaptObjectiveInputs<T>,
  config: LifterConfig,
  weights: AdaptWeights,
): { loss: T; terms: Partial<Record<AdaptTerm, T>>; aligned: T | undefined } {
  const { mask, adj, codes, pairs } = inputs;
  // The lifted shape the prior terms constrain: the observed 2D with the head's fitted depth
  // (`cameraFitOps`); for a model with the paper's head, its output.
  const lift = (p: T) => {
    const { output, shape } = forwardLifterParts(
      ops,
      params,
      { points: p, mask, ...(adj && { adj }), codes, ...(pairs && { pairs }) },
      config,
    );
    if (shape === undefined) return { output, lifted: output, reprojection: undefined };
    const fit = cameraFitOps(ops, shape, p, mask);
    return { output, lifted: fit.lifted, reprojection: fit.reprojection };
  };
  const first = lift(inputs.points);
  const y = first.lifted;
  const w = weights;
  const values: Partial<Record<AdaptTerm, T>> = {};
  if (w.reprojection > 0) {
    values.reprojection =
      first.reprojection === undefined
        ? reprojectionLossOps(ops, first.output, inputs.points, mask)
        : ops.reduceMean(first.reprojection);
  }
  if (inputs.partner && w.multiView > 0) values.multiView = multiViewLossOps(ops, y, mask, inputs.partner);
  let aligned: T | undefined;
  if (inputs.reference && w.lowRank > 0) {
    const prior = lowRankLossOps(ops, y, mask, inputs.reference, inputs.basis);
    values.lowRank = prior.loss;
    aligned = prior.aligned;
  }
  if (inputs.rotation && w.canonical > 0) {
    values.canonical = canonicalizationLossOps(ops, y, mask, inputs.rotation, (p) => lift(p).lifted);
  }
  if (inputs.base && w.base > 0) values.base = baseRegularizerOps(ops, y, inputs.base, mask);
  if (inputs.edges && w.boneLength > 0) values.boneLength = boneLengthLossOps(ops, y, mask, inputs.edges);
  // The same distance as the base term's, to a different constant: the NRSfM shape.
  if (inputs.target && w.nrsfm > 0) values.nrsfm = baseRegularizerOps(ops, y, inputs.target, mask);
  let loss: T | undefined;
  for (const t of ADAPT_TERMS) {
    if (values[t] === undefined) continue;
    const term = ops.mul(values[t]!, w[t]);
    loss = loss === undefined ? term : ops.add(loss, term);
  }
  if (loss === undefined) throw new InputError('adapt: every term has weight 0: nothing to learn from');
  return { loss, terms: values, aligned };
}

/** The lifter config `adaptObjectiveOps` traces (maxPoints, codedRigs and anatomicalCodes are runtime contracts, not the network). */
export function adaptTraceConfig(config: LifterConfig): LifterConfig {
  const { maxPoints: _m, codedRigs: _c, anatomicalCodes: _a, ...rest } = config;
  return resolveLifterConfig(rest);
}

/**
 * The adaptation training graph of a lifter (`adaptObjectiveOps` traced): inputs points, mask, adj
 * (when the model reads it), codes, base, and per term partner [B, B] (multi-view), rotation
 * [B, 3, 3] (canonicalisation), reference [N, 3] and basis [K, N, 3] (low rank), edges [N, N]
 * (bone lengths), target [B, N, 3] (NRSfM), then the
 * parameters; outputs the weighted loss, each term's value (`term/<name>`), the low-rank term's
 * aligned shapes `aligned` [B, 3N], grad/codes and grad/<param> of `trainable`.
 */
export function buildAdaptGraph(
  config: LifterConfig,
  params: Readonly<Record<string, Float32Array>>,
  options: {
    readonly weights: AdaptWeights;
    readonly multiView: boolean;
    readonly rank: number;
    readonly trainable: readonly string[];
  },
): AdaptGraph {
  const lifter = adaptTraceConfig(config);
  const k = lifter.jointCodes;
  const w = options.weights;
  const r = createOnnxRecorder({ dims: TRACE, paramsAs: 'inputs' });
  const lowRank = w.lowRank > 0;
  const inputs: AdaptObjectiveInputs<Sym> = {
    points: r.input('points', ['B', 'N', 2]),
    mask: r.input('mask', ['B', 'N']),
    ...(config.attention !== 'global' && { adj: r.input('adj', ['B', 'N', 'N']) }),
    codes: r.input('codes', ['B', 'N', k]),
    ...(lifter.mirrorPairs && { pairs: r.input('pairs', ['B', 'N', 'N']) }),
    ...(w.base > 0 && { base: r.input('base', ['B', 'N', 3]) }),
    ...(options.multiView && w.multiView > 0 && { partner: r.input('partner', ['B', 'B']) }),
    ...(w.canonical > 0 && { rotation: r.input('rotation', ['B', 3, 3]) }),
    ...(lowRank && { reference: r.input('reference', ['N', 3]) }),
    ...(lowRank && options.rank > 0 && { basis: r.input('basis', [options.rank, 'N', 3]) }),
    ...(w.boneLength > 0 && { edges: r.input('edges', ['N', 'N']) }),
    ...(w.nrsfm > 0 && { target: r.input('target', ['B', 'N', 3]) }),
  };
  const { loss, terms: values, aligned } = adaptObjectiveOps(r.ops, r.params(params), inputs, lifter, w);
  const terms = ADAPT_TERMS.filter((t) => values[t] !== undefined);
  const tg = buildTrainingGraph(r, {
    loss,
    params: options.trainable,
    inputs: ['codes'],
    outputs: {
      ...Object.fromEntries(terms.map((t) => [`term/${t}`, values[t]!])),
      ...(aligned && { aligned }),
    },
  });
  return {
    bytes: tg.toModel(),
    lossName: tg.lossName,
    codesGrad: tg.gradients.codes!,
    gradients: Object.fromEntries(options.trainable.map((n) => [n, tg.gradients[n]!])),
    paramNames: tg.paramNames,
    terms,
    inputs: tg.inputNames,
  };
}

/**
 * The forward graph of the shape the objective constrains (`adaptObjectiveOps`' lift): points, mask,
 * adj, codes → `lifted` [B, N, 3] — for the camera head the observed 2D with the fitted depth, else
 * the output. The parameters are graph inputs.
 */
export function buildLiftedForwardGraph(
  config: LifterConfig,
  params: Readonly<Record<string, Float32Array>>,
): { bytes: Uint8Array; paramNames: readonly string[] } {
  const lifter = adaptTraceConfig(config);
  const r = createOnnxRecorder({ dims: TRACE, paramsAs: 'inputs' });
  const points = r.input('points', ['B', 'N', 2]);
  const mask = r.input('mask', ['B', 'N']);
  const adj = config.attention === 'global' ? undefined : r.input('adj', ['B', 'N', 'N']);
  const codes = r.input('codes', ['B', 'N', lifter.jointCodes]);
  const pairs = lifter.mirrorPairs ? r.input('pairs', ['B', 'N', 'N']) : undefined;
  const { output, shape } = forwardLifterParts(
    r.ops,
    r.params(params),
    { points, mask, ...(adj && { adj }), codes, ...(pairs && { pairs }) },
    lifter,
  );
  r.output('lifted', shape === undefined ? output : cameraFitOps(r.ops, shape, points, mask).lifted);
  return { bytes: r.toModel(), paramNames: r.graph.params.map((p) => p.name) };
}

export function lossesOf(out: Record<string, Ort.Tensor>, graph: AdaptGraph): AdaptLosses {
  const value = (name: string) => (out[name]!.data as Float32Array)[0]!;
  const terms = Object.fromEntries(
    ADAPT_TERMS.map((t) => [t, graph.terms.includes(t) ? value(`term/${t}`) : null]),
  ) as Record<AdaptTerm, number | null>;
  return { total: value(graph.lossName), ...terms };
}
