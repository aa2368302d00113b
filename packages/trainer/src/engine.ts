import type { PredictFn } from './evaluate.js';
import type { TrainableModel } from './models.js';

/**
 * What the training loop needs of an engine (tfjs autodiff, or the ONNX training graph on
 * onnxruntime): the loss and gradients of a batch at the current parameters, and a predictor for
 * validation. The parameters are one Float32Array record shared with the loop, which updates it in
 * place (Adam in JS) and then calls `sync`: an engine never owns a copy of the truth.
 */
export interface TrainingEngine {
  /** Recorded in checkpoints and reports: 'graph-onnxruntime', 'tfjs-wasm', … */
  readonly name: string;
  readonly model: TrainableModel;
  /** Loss and gradients of one batch at the current parameters. */
  lossAndGradients(batch: StepBatch): Promise<LossAndGradients>;
  /** The shared parameters were updated in place (tfjs re-uploads them; the graph engine reads them at each run). */
  sync(): void;
  /** An evaluation predictor over the current parameters. */
  readonly predict: PredictFn;
  /** Frees sessions or tensors. */
  dispose(): Promise<void>;
}

/** A training batch in the model's input layout. */
export interface StepBatch {
  readonly B: number;
  readonly N: number;
  /** [B, N, 2] */
  readonly points2d: Float32Array;
  /** [B, N] */
  readonly mask: Float32Array;
  /** [B, N, N], or undefined for a model that reads no graph. */
  readonly adj: Float32Array | undefined;
  /** [B, N, 3] */
  readonly target3d: Float32Array;
  /** [B, N, k] joint codes for a model with `codeSize` k > 0 (zeros = identity unknown). */
  readonly codes?: Float32Array | undefined;
  /**
   * [B, N, N] mirror partners for a model that reads them (`readsPairs`; P[b,i,j] = 1 iff slot j is
   * slot i's partner); zeros (none known) when omitted.
   */
  readonly pairs?: Float32Array | undefined;
  /** [B] 1 = score this sample mirror-invariantly (identity unknown: codes dropped, no side labels). */
  readonly mirror?: Float32Array | undefined;
}

export interface LossAndGradients {
  readonly loss: number;
  /** Per trainable parameter, same sizes as the parameters. */
  readonly grads: Record<string, Float32Array>;
  /** Samples whose Procrustes alignment fell back to R = I, s = 1 (degenerate predictions; the JS solver only). */
  readonly fallback: number;
}
