import type { Split } from '@lfm/datasets';
import { type JsonValue, type LifterConfig, parameterShapes } from '@lfm/model';
import type { JointCodeTableData } from '@lfm/onnx';
import type { AdaptDataset, AdaptSamples } from './adapt-data.js';
import type { ProgressMode } from './config.js';
import type { ProgressStream } from './progress.js';

/** The options, weights and results of `adapt` (`adapt.ts`). */

/** What is adapted: the rig's joint codes only (default), or also the network's last layers. */
export const ADAPT_MODES = ['codes', 'last-layers'] as const;
export type AdaptMode = (typeof ADAPT_MODES)[number];

/** Weights of the objective's terms (0 drops a term from the graph). */
export interface AdaptWeights {
  /** (a) the decoded shape S through the head's fitted camera vs the observed 2D. */
  readonly reprojection: number;
  /** (b) one shape for every camera of a frame (only with multi-view data). */
  readonly multiView: number;
  /** (c) the batch's aligned shapes near a rank-`rank` affine basis. */
  readonly lowRank: number;
  /** (c′) a rotated, re-projected and re-lifted prediction is the same shape. */
  readonly canonical: number;
  /** (d) the lifted shape stays near the frozen base model's (normalised Procrustes distance). */
  readonly base: number;
  /** (e) each bone keeps its relative length across the batch's frames (the rig's bones). */
  readonly boneLength: number;
  /**
   * (f) the lifted shape stays near the rig's NRSfM reconstruction (`@lfm/procrustes` `nrsfm` of all
   * the rig's 2D, its global mirror the one nearer the base model's lifts): pseudo-labels from 2D.
   */
  readonly nrsfm: number;
}

/** The default weights of multi-view data (docs: packages/trainer/README.md, "Adapting to a new rig"). */
export const DEFAULT_ADAPT_WEIGHTS: Readonly<AdaptWeights> = Object.freeze({
  reprojection: 1,
  multiView: 1,
  lowRank: 0.1,
  canonical: 0,
  base: 0.1,
  boneLength: 0,
  nrsfm: 0,
});

/**
 * The defaults for single-view data (no frame seen by two cameras): the NRSfM pseudo-labels at
 * weight 5, the base regulariser and the low-rank prior off. On the held-out groups' val splits
 * (1,000 frames, codes adapted) this lifts dog-body at 0.49× the flat guess and the three faces at
 * 0.15–0.21× (one mirror for the set) where the default weights stay at 0.87–1.0×; a new human rig
 * (cmu-body), where NRSfM is weakest, 0.89× against 0.92×. docs/benchmarks/research.md.
 */
export const SINGLE_VIEW_ADAPT_WEIGHTS: Readonly<AdaptWeights> = Object.freeze({
  reprojection: 1,
  multiView: 1,
  lowRank: 0,
  canonical: 0,
  base: 0,
  boneLength: 0,
  nrsfm: 5,
});

/**
 * What is adapted for single-view data unless `mode` says: the codes and the last layers. On the val
 * splits of five rigs a base model never saw (1,000 frames, `SINGLE_VIEW_ADAPT_WEIGHTS`), set-flip ÷
 * flat: torresani-shark 0.39× against 1.00× with codes only, frgc-face 0.20× against 0.22×, cmu-body
 * 0.75× against 0.83×, aflw-face 0.14× against 0.15×, torresani-face 0.10× against 0.12×
 * (docs/benchmarks/research.md). The adapted model then lifts other rigs
 * differently from its base: adapt a copy per rig (the base file is never changed).
 */
export const SINGLE_VIEW_ADAPT_MODE: AdaptMode = 'last-layers';

/** The term names, in report order. */
export const ADAPT_TERMS = [
  'reprojection',
  'multiView',
  'lowRank',
  'canonical',
  'base',
  'boneLength',
  'nrsfm',
] as const;
export type AdaptTerm = (typeof ADAPT_TERMS)[number];

/** The terms' values (unweighted) and the weighted total. */
export type AdaptLosses = { readonly total: number } & { readonly [K in AdaptTerm]: number | null };

/** The model to adapt: a lifter checkpoint's config and weights (a decoded .ckpt, or an .onnx's `readLifterWeights`). */
export interface AdaptBase {
  readonly config: LifterConfig | (LifterConfig & { readonly kind: 'lifter' });
  readonly params: Readonly<Record<string, Float32Array>>;
  /** Code tables the base model stores as data (a model adapted before), by rig id. */
  readonly jointCodeTables?: Readonly<Record<string, JointCodeTableData>>;
  /** Its training metadata (kept in the adapted model's `lfm.training`). */
  readonly metadata?: Readonly<Record<string, JsonValue>>;
  /**
   * k of the kNN graph the base builds for rigs without bones (its recipe's `knn`, or an exported
   * model's `knnK`); adaptation lifts with it and the adapted model keeps it. Default DEFAULT_KNN_K.
   */
  readonly knnK?: number;
}

export interface AdaptOptions {
  readonly base: AdaptBase;
  /** Loaded datasets: their 2D is read by `protocol` from `split` (the 3D never reaches the loss). */
  readonly datasets?: readonly AdaptDataset[];
  /** How a dataset's 2D is read (default 'synthetic'; see `adaptSamplesFromDataset`). */
  readonly protocol?: 'synthetic' | 'real';
  /** Split of the datasets to adapt on (default 'train'). */
  readonly split?: Split | readonly Split[];
  /** At most this many frames per dataset (evenly spaced). */
  readonly frames?: number;
  /** 2D sample sets (one rig each): keypoint files, or arrays of your own. */
  readonly samples?: readonly AdaptSamples[];
  /** Default `SINGLE_VIEW_ADAPT_MODE` ('last-layers') for single-view data, else 'codes'. */
  readonly mode?: AdaptMode;
  /** Adam updates (default 300). */
  readonly steps?: number;
  /** Wall-clock budget in minutes (default none); whichever of steps and time comes first stops. */
  readonly maxMinutes?: number;
  /** Samples per step (default 64; all cameras of a frame go into the same batch). */
  readonly batchSize?: number;
  /**
   * Learning rate of the codes (default per rig: 3e-2 from zero codes — out of the near-flat start
   * quickly; 1e-2 from codes the model has — a trained rig's or an adapted table).
   */
  readonly lr?: number;
  /** Learning rate of the network layers with mode 'last-layers' (default 1e-4). */
  readonly layerLr?: number;
  /** Term weights (defaults `SINGLE_VIEW_ADAPT_WEIGHTS` for single-view data, else `DEFAULT_ADAPT_WEIGHTS`). */
  readonly weights?: Partial<AdaptWeights>;
  /** K of the low-rank prior (default 6). */
  readonly rank?: number;
  /** K of the NRSfM reconstruction the `nrsfm` term pulls toward (default 2). */
  readonly nrsfmRank?: number;
  /** Seed of the batches, rotations and the synthetic protocol's views (default 0). */
  readonly seed?: number;
  /** onnxruntime intra-op threads (default `defaultGraphThreads()`). */
  readonly threads?: number;
  /** Progress (default process.stderr), in `progress` mode (default 'auto'). */
  readonly output?: ProgressStream;
  readonly progress?: ProgressMode;
  /** Steps between progress lines and `history` entries (default 10). */
  readonly logInterval?: number;
  /** Stops after the current step. */
  readonly signal?: AbortSignal;
  /** Called with every history entry. */
  readonly onLog?: (entry: AdaptLogEntry) => void;
}

export interface AdaptLogEntry {
  readonly step: number;
  readonly elapsedSec: number;
  /** Means over the steps since the previous entry. */
  readonly losses: AdaptLosses;
}

/** One adapted rig. */
export interface AdaptedRig {
  readonly id: string;
  readonly numJoints: number;
  /** Samples it was adapted on (after dropping those with < 3 visible points). */
  readonly samples: number;
  /** Multi-view groups (frames seen by ≥ 2 cameras). */
  readonly multiViewGroups: number;
  /** Where its initial codes came from. */
  readonly init: 'adapted' | 'coded' | 'anatomical' | 'zeros';
}

export interface AdaptResult {
  /** The lifter config (with `kind` removed), as the base's. */
  readonly config: LifterConfig;
  /** Every parameter: the base's, with the adapted layers replaced under mode 'last-layers'. */
  readonly params: Record<string, Float32Array>;
  /** The code tables to store in the model: the base's, with every adapted rig's. */
  readonly jointCodeTables: Record<string, JointCodeTableData>;
  readonly rigs: readonly AdaptedRig[];
  readonly mode: AdaptMode;
  readonly weights: AdaptWeights;
  readonly steps: number;
  readonly seconds: number;
  readonly stoppedBy: 'steps' | 'time' | 'signal';
  /** The objective at the base model (the first step's batch), and over the last log window. */
  readonly initial: AdaptLosses;
  readonly final: AdaptLosses;
  readonly history: readonly AdaptLogEntry[];
  /** The training metadata to export with: the base's, plus `adaptation`. */
  readonly metadata: Record<string, JsonValue>;
  /** k of the kNN graph the adaptation lifted with (the base's): `exportAdaptedLifter` writes it. */
  readonly knnK: number;
}

/**
 * The parameter names `mode: 'last-layers'` trains: the last graph-transformer layer, the final norm
 * and the decoder. (Not the camera head's gate: the objective constrains the lifted shape — the
 * observed 2D with the fitted depth — which the gate does not change.)
 */
export function lastLayerParams(config: LifterConfig): string[] {
  const last = `layers.${config.layers - 1}.`;
  return parameterShapes(config)
    .filter(
      (s) =>
        s.trainable &&
        (s.name.startsWith(last) || s.name.startsWith('final_norm.') || s.name.startsWith('decoder.')),
    )
    .map((s) => s.name);
}

/** Steps of the learning rate's linear warm-up. */
export const ADAPT_WARMUP_STEPS = 20;
