import { LfmError, type Params } from '@lfm/core';
import { createTfjsOps, createTfjsParams, type Tensor, type TfCore } from '@lfm/core/tfjs';
import type * as tfc from '@tensorflow/tfjs-core';
import type { LossAndGradients, StepBatch, TrainingEngine } from './engine.js';
import type { PredictFn } from './evaluate.js';
import {
  alignedMaskedMsePerSample,
  type LossKind,
  maskedMsePerSample,
  mirrorInvariantLoss,
  solveProcrustesAlignment,
} from './loss.js';
import type { TrainableModel } from './models.js';

/**
 * The tfjs engine: a model's parameters as tf.Variables (trainable) and tensors (fixed buffers), its
 * loss and gradients by tfjs autodiff, and its predictions. The Float32Array record stays the source
 * of truth (the optimizer updates it in JS); `upload` copies it into the variables.
 */
export interface TfjsModelState {
  readonly model: TrainableModel;
  /** The parameters, row-major float32 (the optimizer updates these in place). */
  readonly params: Record<string, Float32Array>;
  /** `Params` over the tensors, for the model's forward pass. */
  readonly view: Params<Tensor>;
  /** Copies `params` into the variables (after an optimizer update). */
  upload(): void;
  /** Frees every tensor. */
  dispose(): void;
  /** Trainable variables in spec order, with their parameter names. */
  readonly variables: readonly { readonly name: string; readonly variable: tfc.Variable }[];
}

/** Creates the tensors of `params` (which must hold every spec of `model`) on the current backend. */
export function createTfjsModelState(
  tf: TfCore,
  model: TrainableModel,
  params: Record<string, Float32Array>,
): TfjsModelState {
  const tensors: Record<string, Tensor> = {};
  const variables: { name: string; variable: tfc.Variable }[] = [];
  for (const spec of model.specs) {
    const data = params[spec.name];
    if (data === undefined) throw new LfmError('E_PARAM', `parameter '${spec.name}' is missing`);
    const shape = [...spec.shape];
    if (spec.trainable) {
      const initial = tf.tensor(data, shape, 'float32');
      const variable = tf.variable(initial, true);
      initial.dispose(); // the variable holds its own reference to the data
      variables.push({ name: spec.name, variable });
      tensors[spec.name] = variable;
    } else {
      tensors[spec.name] = tf.tensor(data, shape, 'float32');
    }
  }
  return {
    model,
    params,
    view: createTfjsParams(tensors),
    variables,
    upload() {
      for (const { name, variable } of variables) {
        const t = tf.tensor(params[name]!, variable.shape, 'float32');
        variable.assign(t);
        t.dispose();
      }
    },
    dispose() {
      for (const t of Object.values(tensors)) t.dispose();
    },
  };
}

/**
 * Loss and gradients of one batch by tfjs autodiff. For the Procrustes loss the prediction is read
 * back once (dataSync), R and s are solved in Float64 on the JS side and enter as constants (exact by
 * the envelope theorem, see loss.ts). Every intermediate tensor is freed.
 */
export function tfjsLossAndGradients(
  tf: TfCore,
  state: TfjsModelState,
  batch: StepBatch,
  loss: LossKind,
  options: { readonly mirror?: boolean } = {},
): LossAndGradients {
  const ops = createTfjsOps(tf);
  const { B, N } = batch;
  let fallback = 0;
  const result = tf.variableGrads(
    () => {
      const mask = tf.tensor(batch.mask, [B, N], 'float32');
      const target = tf.tensor(batch.target3d, [B, N, 3], 'float32');
      const { output, extra } = state.model.trainingForward(ops, state.view, {
        points: tf.tensor(batch.points2d, [B, N, 2], 'float32'),
        mask,
        ...(batch.adj && { adj: tf.tensor(batch.adj, [B, N, N], 'float32') }),
        ...tfjsCodes(tf, state.model, batch.codes, B, N),
        ...tfjsPairs(tf, state.model, batch.pairs, B, N),
      });
      // The alignment of a prediction (or of its mirror image), solved in JS on its values.
      const perSample = (pred: tfc.Tensor): tfc.Tensor => {
        if (loss === 'mse') return maskedMsePerSample(ops, pred, target, mask);
        const a = solveProcrustesAlignment(pred.dataSync() as Float32Array, batch.target3d, batch.mask, B, N);
        fallback += a.fallback;
        const R = tf.tensor(a.R, [B, 3, 3], 'float32');
        const s = tf.tensor(a.s, [B], 'float32');
        return alignedMaskedMsePerSample(ops, pred, target, mask, R, s);
      };
      const lossOf = (pred: tfc.Tensor): tfc.Tensor => {
        if (options.mirror) {
          const mirror = tf.tensor(batch.mirror ?? new Float32Array(B), [B], 'float32');
          return mirrorInvariantLoss(ops, perSample, pred, mirror);
        }
        // The mean of the per-sample losses is exactly `alignedMaskedMse` / `maskedMse`.
        return ops.reduceMean(perSample(pred));
      };
      return extra.reduce((sum, p) => ops.add(sum, lossOf(p)), lossOf(output)) as tfc.Scalar;
    },
    state.variables.map((v) => v.variable),
  );
  try {
    const grads: Record<string, Float32Array> = {};
    for (const { name, variable } of state.variables) {
      const g = result.grads[variable.name];
      if (g === undefined) throw new LfmError('E_TRAIN', `tfjs returned no gradient for '${name}'`);
      grads[name] = (g.dataSync() as Float32Array).slice();
    }
    return { loss: result.value.dataSync()[0]!, grads, fallback };
  } finally {
    result.value.dispose();
    for (const g of Object.values(result.grads)) g.dispose();
  }
}

/**
 * An evaluation `PredictFn` over a model on tfjs: from a state (shares its tensors; see the current
 * parameters) or from a parameter record (creates tensors; call `dispose` on the result when done).
 */
export function createTfjsPredictor(
  tf: TfCore,
  model: TrainableModel,
  params: Record<string, Float32Array> | TfjsModelState,
): PredictFn & { dispose(): void } {
  const owned = !('view' in params);
  const state = owned
    ? createTfjsModelState(tf, model, params as Record<string, Float32Array>)
    : (params as TfjsModelState);
  const ops = createTfjsOps(tf);
  const predict = (batch: Parameters<PredictFn>[0]): Float32Array => {
    const { batchSize: B, numPoints: N } = batch;
    const pred = tf.tidy(() =>
      model.forward(ops, state.view, {
        points: tf.tensor(batch.points2d, [B, N, 2], 'float32'),
        mask: tf.tensor(batch.mask, [B, N], 'float32'),
        ...(model.needsAdjacency && { adj: tf.tensor(batch.adj, [B, N, N], 'float32') }),
        ...tfjsCodes(tf, model, batch.codes, B, N),
        ...tfjsPairs(tf, model, batch.pairs, B, N),
      }),
    );
    try {
      return (pred.dataSync() as Float32Array).slice();
    } finally {
      pred.dispose();
    }
  };
  return Object.assign(predict, { dispose: () => (owned ? state.dispose() : undefined) });
}

/**
 * The tfjs engine over a shared parameter record (see `TrainingEngine`): tfjs autodiff on the active
 * backend, the Procrustes alignment solved in JS (Float64) between the forward pass and the loss.
 */
export function createTfjsEngine(
  tf: TfCore,
  model: TrainableModel,
  params: Record<string, Float32Array>,
  loss: LossKind,
  options: { readonly mirror?: boolean } = {},
): TrainingEngine {
  const state = createTfjsModelState(tf, model, params);
  const predict = createTfjsPredictor(tf, model, state);
  return {
    name: `tfjs-${tf.getBackend()}`,
    model,
    lossAndGradients: async (batch) => tfjsLossAndGradients(tf, state, batch, loss, options),
    sync: () => state.upload(),
    predict,
    dispose: async () => state.dispose(),
  };
}

/** The `codes` input of a model with joint codes: the batch's, or zeros (identity unknown). */
function tfjsCodes(
  tf: TfCore,
  model: TrainableModel,
  codes: Float32Array | undefined,
  B: number,
  N: number,
): { codes?: tfc.Tensor } {
  const k = model.codeSize;
  if (k === 0) return {};
  if (codes !== undefined && codes.length !== B * N * k) {
    throw new LfmError('E_INPUT', `codes have ${codes.length} values, need B·N·k = ${B * N * k}`);
  }
  return { codes: tf.tensor(codes ?? new Float32Array(B * N * k), [B, N, k], 'float32') };
}

/** The `pairs` input of a model that reads mirror partners: the batch's, or zeros (none known). */
function tfjsPairs(
  tf: TfCore,
  model: TrainableModel,
  pairs: Float32Array | undefined,
  B: number,
  N: number,
): { pairs?: tfc.Tensor } {
  if (!model.readsPairs) return {};
  if (pairs !== undefined && pairs.length !== B * N * N) {
    throw new LfmError('E_INPUT', `pairs have ${pairs.length} values, need B·N·N = ${B * N * N}`);
  }
  return { pairs: tf.tensor(pairs ?? new Float32Array(B * N * N), [B, N, N], 'float32') };
}
