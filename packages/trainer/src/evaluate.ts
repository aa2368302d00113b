import { InputError, LfmError, nd } from '@lfm/core';
import {
  createRealEvalSet,
  createSyntheticEvalSet,
  type Dataset,
  DEFAULT_KNN_K,
  type Edge,
  type EvalDataset,
  evalDatasetKey,
  frameEdges,
  jointSides,
  mirrorIndexOf,
  preprocessKeypoints,
  type Split,
  sideCodeTable,
} from '@lfm/datasets';
import type { LifterInputs } from '@lfm/model';
import { type PinholeIntrinsics, poseErrors, solvePnP } from '@lfm/procrustes';
import { batchCodes, batchPairs, evalCodeTable, hasJointIdentity, namedCodeTable } from './eval-codes.js';
import {
  checkPerturbation,
  type KeypointPerturbation,
  MIN_EVAL_JOINTS,
  perturbKeypoints,
} from './eval-perturb.js';
import { inferredPairs2d } from './inferred-pairs.js';
/**
 * The evaluation protocol of docs/PROTOCOL.md, engine-agnostic: samples from `@lfm/datasets`'
 * protocol generators, the model behind a batch `PredictFn`, the metrics from `@lfm/core` and the
 * camera recovery from `@lfm/procrustes`.
 */

export const EVAL_PROTOCOLS = ['synthetic', 'real'] as const;
export type EvalProtocol = (typeof EVAL_PROTOCOLS)[number];

/** One batch for a `PredictFn`: B samples of one dataset, N = its J joints in dataset order. */
export interface PredictBatch {
  /** B. */
  readonly batchSize: number;
  /** N (= J of the dataset: evaluation keeps the dataset's joint order, no padding). */
  readonly numPoints: number;
  /** [B, N, 2] normalised with core `normalizeKeypoints` (the model's input), 0 where masked. */
  readonly points2d: Float32Array;
  /** [B, N] 1 = visible. */
  readonly mask: Float32Array;
  /** [B, N, N] the local-attention graph: the dataset's bones, or kNN when it has none. */
  readonly adj: Float32Array;
  /** [B, N, k] joint codes, when `EvaluateOptions.jointCodes` asks for them (zeros for a rig not in its list). */
  readonly codes?: Float32Array;
  /**
   * [B, N, N] mirror partners (P[b,i,j] = 1 iff joint j is joint i's left/right partner) from the
   * dataset's `symmetry`, zeros when it has none or with `EvaluateOptions.pairs` false; read by models
   * with `mirrorPairs`. Like the bones, not rig identity: fed under every `identity` mode.
   */
  readonly pairs?: Float32Array;
  /** The dataset, for predictors that route by rig (per-rig baselines). */
  readonly dataset: { readonly name: string; readonly category: string; readonly numJoints: number };
  /** [B] the dataset frame of each sample. */
  readonly frame: Int32Array;
}

/** A model as evaluation sees it: a batch → [B, N, 3] canonical 3D (any scale, rotation, translation). */
export type PredictFn = (batch: PredictBatch) => Float32Array | Promise<Float32Array>;

/**
 * A model that runs preprocessed inputs — the lifter's graph inputs (`LifterInputs`) as flat arrays,
 * and B: `@lfm/runtime`'s `Lifter.forward` has this shape.
 */
export interface ForwardModel {
  forward(inputs: LifterInputs<Float32Array> & { readonly batch: number }): Promise<Float32Array>;
}

/** The PredictFn of a loaded lifter: the batch's inputs (codes and pairs when present) to its `forward`. */
export function forwardPredictor(model: ForwardModel): PredictFn {
  return (b) =>
    model.forward({
      points: b.points2d,
      mask: b.mask,
      adj: b.adj,
      ...(b.codes && { codes: b.codes }),
      ...(b.pairs && { pairs: b.pairs }),
      batch: b.batchSize,
    });
}

/** What evaluation reads of a dataset: a loaded `Dataset` qualifies (`edges` gives the rig graph). */
export type EvaluationDataset = EvalDataset &
  Partial<Pick<Dataset, 'edges' | 'perSequenceEdges' | 'joints' | 'symmetry'>>;

export interface EvaluateOptions {
  readonly predict: PredictFn;
  readonly datasets: readonly EvaluationDataset[];
  /** Default 'synthetic'. */
  readonly protocol?: EvalProtocol;
  /** Seed of the synthetic protocol (default 0). */
  readonly seed?: number;
  /** At most this many samples per dataset, evenly spaced (`evalSampleIndices`). Default: all. */
  readonly limit?: number;
  /** Default 'test'. */
  readonly split?: Split | readonly Split[];
  /** The `model` field of the report (a checkpoint path, a baseline name, …). Default 'model'. */
  readonly model?: string;
  /** Samples per `predict` call (default 64). */
  readonly batchSize?: number;
  /** k of the kNN graph for datasets without bones (default DEFAULT_KNN_K). */
  readonly knn?: number;
  /**
   * Joint codes for a model with a code input: k, and the rigs it knows (a dataset's rig id is its
   * name; a built-in rig with the same joints as a known one takes its codes, e.g. h36m-cams →
   * h36m-body). Datasets of other rigs get zero codes. Default: no codes in the batches.
   */
  readonly jointCodes?: {
    readonly k: number;
    readonly rigs: readonly string[];
    /** Codes the model stores as data (adapted rigs, `lfm adapt`), by rig id: used first for a dataset of that name and J. */
    readonly tables?: Readonly<
      Record<string, { readonly joints: readonly string[]; readonly codes: Float32Array }>
    >;
    /**
     * The model was trained with `anatomicalCodes`: its rigs get anatomical tables, and a dataset of
     * a rig it does not know the codes of its joints named like a trained rig's (`rigCodeTable`).
     */
    readonly anatomical?: boolean;
    /**
     * With `anatomical`, what a dataset of a rig the model does not know gets: 'anatomy' (the default,
     * as the runtime) the codes of its named joints, 'zeros' none (the leave-one-out headline).
     */
    readonly unseen?: 'anatomy' | 'zeros';
  };
  /**
   * Which identity a model with joint codes gets: 'codes' (default) its rig's codes where it knows the
   * rig, zeros elsewhere; 'sides' the same, but side codes (left / right / centre, `sideCodeTable`)
   * instead of zeros for a rig with mirror pairs; 'named' the same, but for a rig it has no codes of,
   * codes borrowed by joint name from a coded rig of the same category (`namedCodeTable`: COCO-17's
   * knees get h36m-body's); 'none' zeros everywhere (identity unknown).
   */
  readonly identity?: 'codes' | 'sides' | 'named' | 'none';
  /**
   * Feed each dataset's mirror pairs (its `symmetry`) as `PredictBatch.pairs` (default true; a model
   * without `mirrorPairs` ignores them). false: zero pairs (none known), to measure what they bring.
   * Independent of `identity`: pairs name no rig. 'infer': as true, but a dataset that declares no
   * pairs (and has one joint order) gets those found from its 2D alone (`inferredPairs2d`: NRSfM of
   * the protocol's views of its frames — every split, at most 1,000 — then their bilateral
   * symmetry): for a rig the model never saw, whose frames may all be used; never the 3D. The row's
   * `inferredPairs` says how many. Not with `perturb` (the pairs would come from clean 2D).
   */
  readonly pairs?: boolean | 'infer';
  /**
   * Robustness: extra perturbations of the protocol's 2D (`perturbKeypoints`), seeded by (seed,
   * dataset, sample) so that a report is reproducible. Default: none (the plain protocol, exactly).
   */
  readonly perturb?: KeypointPerturbation;
}

/** One dataset's row of the report. Metrics are means over its samples; null when not measurable. */
export interface EvalRow {
  readonly name: string;
  readonly category: string;
  /** Samples evaluated (those with ≥ MIN_EVAL_JOINTS visible joints). */
  readonly samples: number;
  /** Camera-frame error after PnP, centring and least-squares scale (dataset units); null for 'real'. */
  readonly mpjpe: number | null;
  /** Error after similarity Procrustes (dataset units). */
  readonly paMpjpe: number | null;
  /** paMpjpe / ground-truth RMS radius (unit-free). */
  readonly nPaMpjpe: number | null;
  /**
   * Flip-best (C3DPO's `EVAL_MPJPE_best`): per sample the better of the prediction and its depth
   * mirror. A 2D view fixes a shape only up to that mirror; without joint identity a symmetric rig's
   * two mirrors cannot be told apart, so identity-less lifting is scored flip-best beside strict.
   */
  readonly paMpjpeFlipBest: number | null;
  readonly nPaMpjpeFlipBest: number | null;
  /** The flat guess's nPA-MPJPE: the model's 2D input with z = 0, aligned the same way (its own mirror). */
  readonly flatNPaMpjpe: number | null;
  /**
   * How much depth the predictions have against the ground truth's (synthetic protocol; null for
   * 'real', whose 3D is not in the camera frame): per sample the depth RMS of the camera-frame
   * prediction ÷ its x-y RMS (both about the visible joints' centroid), summed over samples, ÷ the
   * same sum for the ground truth. 1 = as deep as the truth; 0 = flat (a model that averages the two
   * depth mirrors of an identity-less shape).
   */
  readonly depthSpread: number | null;
  /**
   * Strict nPA-MPJPE with ONE mirror chosen for the whole set (NRSfM's convention: a model learnt
   * from 2D alone may come out globally mirrored): the better of the mean strict nPA of the
   * predictions and that of all of them depth-mirrored (z → −z) — never chosen per sample.
   */
  readonly nPaMpjpeSetFlip: number | null;
  /** With `pairs: 'infer'`, for a dataset that declares no pairs: how many were found from its 2D (0 = none). */
  readonly inferredPairs?: number;
}

/** The `lfm eval --json` object of docs/PROTOCOL.md. */
export interface EvalReport {
  readonly model: string;
  readonly protocol: EvalProtocol;
  readonly seed: number;
  readonly datasets: EvalRow[];
  /**
   * Unweighted means over the datasets that have the metric (each dataset counts once, whatever its
   * size); `paMpjpe`/`mpjpe` mix units when the datasets' units differ — compare `nPaMpjpe` across categories.
   */
  readonly mean: {
    readonly samples: number;
    mpjpe: number | null;
    paMpjpe: number | null;
    nPaMpjpe: number | null;
    paMpjpeFlipBest: number | null;
    nPaMpjpeFlipBest: number | null;
    flatNPaMpjpe: number | null;
    depthSpread: number | null;
    nPaMpjpeSetFlip: number | null;
  };
}

/**
 * Evaluates `predict` on every dataset under `protocol` (docs/PROTOCOL.md):
 * - `synthetic`: the generator of `@lfm/datasets` (seeded by (seed, dataset, sample), uniform SO(3)
 *   view, pinhole at 6 RMS radii, f = 1000 px);
 * - `real`: each real camera's 2D (views.f32); mpjpe is null (the sources give no camera).
 * Per sample over visible joints: `paMpjpe` = mean error after similarity Procrustes (det +1, scale,
 * translation); `nPaMpjpe` = paMpjpe / ground truth RMS radius; `mpjpe` = the prediction brought into
 * the camera frame by PnP (the protocol's intrinsics, on the pixels the model saw), then compared with
 * the camera-frame ground truth after centring both and a least-squares scale only — no rotation is
 * fitted to the ground truth. A prediction PnP cannot place (degenerate) is compared unposed (R = I),
 * never skipped. Samples with fewer than MIN_EVAL_JOINTS visible joints are not scored.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvalReport> {
  const protocol = options.protocol ?? 'synthetic';
  if (!EVAL_PROTOCOLS.includes(protocol)) {
    throw new InputError(`protocol must be 'synthetic' or 'real', got ${JSON.stringify(protocol)}`);
  }
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new InputError(`batchSize must be an integer ≥ 1, got ${batchSize}`);
  checkPerturbation(options.perturb);
  if (options.pairs === 'infer' && options.perturb) {
    throw new InputError(
      "pairs 'infer' cannot be combined with perturb: the pairs would be found on the clean 2D",
    );
  }
  const rows: EvalRow[] = [];
  for (const ds of options.datasets) rows.push(await evaluateDataset(ds, protocol, seed, batchSize, options));
  return { model: options.model ?? 'model', protocol, seed, datasets: rows, mean: meanRow(rows) };
}

async function evaluateDataset(
  ds: EvaluationDataset,
  protocol: EvalProtocol,
  seed: number,
  batchSize: number,
  options: EvaluateOptions,
): Promise<EvalRow> {
  const setOptions = {
    split: options.split ?? 'test',
    ...(options.limit !== undefined && { limit: options.limit }),
  };
  const J = ds.numJoints;
  let S: number;
  let points2d: Float64Array;
  let mask: Uint8Array;
  let gt: Float64Array;
  let frames: Int32Array;
  let views: Int32Array | null = null;
  let intrinsics: PinholeIntrinsics | null = null;
  if (protocol === 'synthetic') {
    const set = createSyntheticEvalSet(ds, { ...setOptions, seed });
    ({ count: S, points2d, mask, pointsCam: gt, frame: frames } = set);
    intrinsics = set.intrinsics;
  } else {
    const set = createRealEvalSet(ds, setOptions);
    ({ count: S, points2d, mask, points3d: gt, frame: frames } = set);
    views = set.view;
  }
  const keep: number[] = [];
  for (let s = 0; s < S; s++) {
    let n = 0;
    for (let j = 0; j < J; j++) n += mask[s * J + j]!;
    if (n >= MIN_EVAL_JOINTS) keep.push(s);
  }
  const row = { name: ds.name, category: ds.category, samples: keep.length };
  if (keep.length === 0) {
    return {
      ...row,
      mpjpe: null,
      paMpjpe: null,
      nPaMpjpe: null,
      paMpjpeFlipBest: null,
      nPaMpjpeFlipBest: null,
      flatNPaMpjpe: null,
      depthSpread: null,
      nPaMpjpeSetFlip: null,
    };
  }

  const info = { name: ds.name, category: ds.category, numJoints: J };
  const codeK = options.jointCodes?.k ?? 0;
  const identity = options.identity ?? 'codes';
  const coded = options.jointCodes?.rigs ?? [];
  let rigCodes =
    codeK > 0 && identity !== 'none'
      ? evalCodeTable(ds, codeK, coded, options.jointCodes!.tables, {
          anatomical: options.jointCodes!.anatomical === true,
          unseen: options.jointCodes!.unseen ?? 'anatomy',
        })
      : null;
  if (rigCodes === null && identity === 'named' && ds.joints && hasJointIdentity(ds))
    rigCodes = namedCodeTable(ds.joints, ds.category, codeK, coded)?.codes ?? null;
  const codeTable =
    rigCodes ??
    (codeK > 0 && identity === 'sides' && (ds.symmetry?.length ?? 0) > 0 && ds.joints
      ? sideCodeTable(jointSides(ds.joints, ds.symmetry!), codeK)
      : null);
  const slots = Int32Array.from({ length: J }, (_, j) => j);
  // pairs 'infer': a rig without declared pairs gets those of its evaluated 2D's symmetry.
  const infer = options.pairs === 'infer' && (ds.symmetry?.length ?? 0) === 0 && hasJointIdentity(ds);
  let symmetry: readonly Edge[] = options.pairs === false ? [] : (ds.symmetry ?? []);
  if (infer) {
    // The 2D of the protocol's views of every frame of the dataset, all splits (at most 1,000 views):
    // a few dozen test views alone reconstruct the shape less well (torresani-face's 32 test frames
    // give a worse pairing than its 253 train frames: flip-best ÷ flat 0.86 against 0.75).
    const all = { split: ['train', 'val', 'test'] as const, limit: 1000 };
    const set =
      protocol === 'synthetic' ? createSyntheticEvalSet(ds, { ...all, seed }) : createRealEvalSet(ds, all);
    symmetry = inferredPairs2d(set.points2d, set.mask, set.count, J);
  }
  const partners = symmetry.length > 0 ? mirrorIndexOf(symmetry, J, `${ds.name} symmetry`) : null;
  const perturb = options.perturb;
  const perturbs = (perturb?.occlude ?? 0) > 0 || (perturb?.noisePx ?? 0) > 0;
  const datasetKey = evalDatasetKey(ds.name);
  let sumPa = 0;
  let sumNpa = 0;
  let sumMpjpe = 0;
  let sumPaBest = 0;
  let sumNpaBest = 0;
  let sumFlat = 0;
  let sumNpaMirrored = 0;
  let spreadPred = 0;
  let spreadGt = 0;
  for (let k0 = 0; k0 < keep.length; k0 += batchSize) {
    const idx = keep.slice(k0, k0 + batchSize);
    const B = idx.length;
    const p2 = new Float64Array(B * J * 2);
    const m = new Float32Array(B * J);
    const g = new Float64Array(B * J * 3);
    const f = new Int32Array(B);
    idx.forEach((s, b) => {
      p2.set(points2d.subarray(s * J * 2, (s + 1) * J * 2), b * J * 2);
      for (let j = 0; j < J; j++) m[b * J + j] = mask[s * J + j]!;
      g.set(gt.subarray(s * J * 3, (s + 1) * J * 3), b * J * 3);
      f[b] = frames[s]!;
      if (perturbs) {
        perturbKeypoints(p2.subarray(b * J * 2, (b + 1) * J * 2), m.subarray(b * J, (b + 1) * J), perturb!, [
          seed,
          datasetKey,
          frames[s]!,
          views?.[s] ?? 0,
        ]);
      }
    });
    const bones = (b: number): readonly Edge[] => bonesOf(ds, f[b]!);
    const pre = preprocessKeypoints(nd(p2, [B, J, 2]), {
      mask: nd(m, [B, J]),
      bones,
      k: options.knn ?? DEFAULT_KNN_K,
    });
    const pred = await options.predict({
      batchSize: B,
      numPoints: J,
      points2d: pre.points.data,
      mask: pre.mask.data,
      adj: pre.adj.data,
      ...(codeK > 0 && { codes: batchCodes(codeTable, slots, B, codeK) }),
      pairs: batchPairs(partners, slots, B),
      dataset: info,
      frame: f,
    });
    if (!(pred instanceof Float32Array) || pred.length !== B * J * 3) {
      throw new LfmError(
        'E_PREDICT',
        `${ds.name}: predict must return a Float32Array of B·N·3 = ${B * J * 3} values, got ${pred instanceof Float32Array ? pred.length : typeof pred}`,
      );
    }
    for (let i = 0; i < pred.length; i++) {
      if (m[Math.floor(i / 3)] === 1 && !Number.isFinite(pred[i]!)) {
        throw new LfmError(
          'E_PREDICT',
          `${ds.name}: the prediction has a non-finite value at a visible joint`,
        );
      }
    }
    const errors = poseErrors(nd(pred, [B, J, 3]), nd(g, [B, J, 3]), nd(m, [B, J]), { flipBest: true });
    const flat = new Float64Array(B * J * 3);
    for (let i = 0; i < B * J; i++) {
      flat[3 * i] = pre.points.data[2 * i]!;
      flat[3 * i + 1] = pre.points.data[2 * i + 1]!;
    }
    const flatErrors = poseErrors(nd(flat, [B, J, 3]), nd(g, [B, J, 3]), nd(m, [B, J]));
    for (let b = 0; b < B; b++) {
      sumPa += errors.paMpjpe.perSample[b]!;
      sumNpa += errors.nPaMpjpe.perSample[b]!;
      sumPaBest += errors.flipBest!.paMpjpe.perSample[b]!;
      sumNpaBest += errors.flipBest!.nPaMpjpe.perSample[b]!;
      sumFlat += flatErrors.nPaMpjpe.perSample[b]!;
      sumNpaMirrored += errors.mirrored!.nPaMpjpe.perSample[b]!;
      spreadPred += relativeDepth(pred, m, b, J);
      spreadGt += relativeDepth(g, m, b, J);
    }
    if (intrinsics) sumMpjpe += cameraFrameErrors(pred, p2, g, m, B, J, intrinsics);
  }
  const n = keep.length;
  return {
    ...row,
    mpjpe: intrinsics ? sumMpjpe / n : null,
    paMpjpe: sumPa / n,
    nPaMpjpe: sumNpa / n,
    paMpjpeFlipBest: sumPaBest / n,
    nPaMpjpeFlipBest: sumNpaBest / n,
    flatNPaMpjpe: sumFlat / n,
    depthSpread: protocol === 'synthetic' && spreadGt > 0 ? spreadPred / spreadGt : null,
    nPaMpjpeSetFlip: Math.min(sumNpa, sumNpaMirrored) / n,
    ...(infer && { inferredPairs: symmetry.length }),
  };
}

/** Sample b's depth RMS ÷ its x-y RMS about the centroid of its visible joints (0 when degenerate). */
function relativeDepth(p: ArrayLike<number>, m: ArrayLike<number>, b: number, J: number): number {
  let n = 0;
  const c = [0, 0, 0];
  for (let j = 0; j < J; j++) {
    if (m[b * J + j] !== 1) continue;
    n++;
    for (let a = 0; a < 3; a++) c[a]! += p[(b * J + j) * 3 + a]!;
  }
  if (n === 0) return 0;
  let xy = 0;
  let z = 0;
  for (let j = 0; j < J; j++) {
    if (m[b * J + j] !== 1) continue;
    const o = (b * J + j) * 3;
    xy += (p[o]! - c[0]! / n) ** 2 + (p[o + 1]! - c[1]! / n) ** 2;
    z += (p[o + 2]! - c[2]! / n) ** 2;
  }
  return xy > 0 ? Math.sqrt(z / xy) : 0;
}

function bonesOf(ds: EvaluationDataset, frame: number): readonly Edge[] {
  if (ds.edges === undefined) return [];
  return frameEdges(ds as Pick<Dataset, 'edges' | 'sequences' | 'frames'>, frame);
}

/**
 * Σ over the batch of the camera-frame MPJPE of each sample: PnP of the prediction onto its pixels,
 * then centring and the least-squares scale s = Σ pᵢ·gᵢ / Σ pᵢ·pᵢ (both centred on the visible mean).
 */
function cameraFrameErrors(
  pred: Float32Array,
  pixels: Float64Array,
  gt: Float64Array,
  mask: Float32Array,
  B: number,
  J: number,
  intrinsics: PinholeIntrinsics,
): number {
  let total = 0;
  const cam = new Float64Array(J * 3);
  for (let b = 0; b < B; b++) {
    const p = pred.subarray(b * J * 3, (b + 1) * J * 3);
    const w = mask.subarray(b * J, (b + 1) * J);
    let R: ArrayLike<number> = IDENTITY;
    let t: ArrayLike<number> = ZERO3;
    try {
      const pose = solvePnP(
        nd(p, [1, J, 3]),
        nd(pixels.subarray(b * J * 2, (b + 1) * J * 2), [1, J, 2]),
        intrinsics,
        {
          weights: nd(w, [1, J]),
        },
      );
      R = pose.R.data;
      t = pose.t.data;
    } catch {
      // A degenerate prediction: scored unposed (R = I), never dropped.
    }
    let n = 0;
    const pm = [0, 0, 0];
    const gm = [0, 0, 0];
    for (let j = 0; j < J; j++) {
      if (w[j] !== 1) continue;
      for (let c = 0; c < 3; c++) {
        const v =
          R[3 * c]! * p[3 * j]! + R[3 * c + 1]! * p[3 * j + 1]! + R[3 * c + 2]! * p[3 * j + 2]! + t[c]!;
        cam[3 * j + c] = v;
        pm[c]! += v;
        gm[c]! += gt[(b * J + j) * 3 + c]!;
      }
      n++;
    }
    for (let c = 0; c < 3; c++) {
      pm[c]! /= n;
      gm[c]! /= n;
    }
    let pg = 0;
    let pp = 0;
    for (let j = 0; j < J; j++) {
      if (w[j] !== 1) continue;
      for (let c = 0; c < 3; c++) {
        const a = cam[3 * j + c]! - pm[c]!;
        pg += a * (gt[(b * J + j) * 3 + c]! - gm[c]!);
        pp += a * a;
      }
    }
    const s = pp > 0 ? pg / pp : 0;
    let sum = 0;
    for (let j = 0; j < J; j++) {
      if (w[j] !== 1) continue;
      let d2 = 0;
      for (let c = 0; c < 3; c++) {
        const e = s * (cam[3 * j + c]! - pm[c]!) - (gt[(b * J + j) * 3 + c]! - gm[c]!);
        d2 += e * e;
      }
      sum += Math.sqrt(d2);
    }
    total += sum / n;
  }
  return total;
}

/**
 * One report of several made apart (e.g. one per-rig model each, evaluated as it finished): the rows in
 * the given order, the means recomputed over them. The reports must share protocol and seed.
 */
export function mergeEvalReports(reports: readonly EvalReport[], model?: string): EvalReport {
  const first = reports[0];
  if (!first) throw new InputError('mergeEvalReports: no report to merge');
  for (const r of reports)
    if (r.protocol !== first.protocol || r.seed !== first.seed)
      throw new InputError(
        `mergeEvalReports: reports differ in protocol or seed (${first.protocol}/${first.seed} vs ${r.protocol}/${r.seed})`,
      );
  const rows = reports.flatMap((r) => r.datasets);
  const names = rows.map((r) => r.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new InputError(`mergeEvalReports: dataset ${dup} is in more than one report`);
  return {
    model: model ?? first.model,
    protocol: first.protocol,
    seed: first.seed,
    datasets: rows,
    mean: meanRow(rows),
  };
}

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const ZERO3 = [0, 0, 0];

function meanRow(rows: readonly EvalRow[]): EvalReport['mean'] {
  const mean = (
    k:
      | 'mpjpe'
      | 'paMpjpe'
      | 'nPaMpjpe'
      | 'paMpjpeFlipBest'
      | 'nPaMpjpeFlipBest'
      | 'flatNPaMpjpe'
      | 'depthSpread'
      | 'nPaMpjpeSetFlip',
  ) => {
    const v = rows.map((r) => r[k]).filter((x): x is number => x !== null);
    return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
  };
  return {
    samples: rows.reduce((n, r) => n + r.samples, 0),
    mpjpe: mean('mpjpe'),
    paMpjpe: mean('paMpjpe'),
    nPaMpjpe: mean('nPaMpjpe'),
    paMpjpeFlipBest: mean('paMpjpeFlipBest'),
    nPaMpjpeFlipBest: mean('nPaMpjpeFlipBest'),
    flatNPaMpjpe: mean('flatNPaMpjpe'),
    depthSpread: mean('depthSpread'),
    nPaMpjpeSetFlip: mean('nPaMpjpeSetFlip'),
  };
}
