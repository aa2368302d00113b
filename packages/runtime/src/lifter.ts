import { InputError, LfmError, nd, ShapeError } from '@lfm/core';
import {
  anatomicalCodeTable,
  jointCodeTable,
  preprocessKeypoints,
  writeJointCodes,
  writeMirrorPairs,
} from '@lfm/datasets/preprocess';
import {
  checkModel,
  LifterFormatError,
  type LifterModelInfo,
  OnnxFormatError,
  parseLifterMetadata,
  readModelMetadata,
} from '@lfm/format';
import type { Rig } from '@lfm/rig';
import { anatomicalKeys, jointCodeRig, trainedAnatomicalKeys } from '@lfm/rigs';
import { type CameraRequest, type CameraResult, recoverCameras, resolveCamera } from './camera.js';
import { type BatchInput, type InputOptions, parseInput, type SampleInput } from './input.js';
import {
  firstLine,
  getSessionFactory,
  type ModelSession,
  RuntimeUnavailableError,
  type SessionFactory,
} from './session.js';

/** Fewer visible points leave the camera (OnP: 6 degrees of freedom) undetermined. */
export const MIN_VISIBLE_POINTS = 3;

/** B·N below which a 1-thread session runs the batch under `threads: 'auto'` (see `bench/`). */
export const SMALL_BATCH_POINTS = 128;

/** Samples per engine call: bounds the [B, N, N] adjacency and activations of one run. */
const MAX_RUN_BATCH = 256;

/**
 * The model returned a non-finite value (NaN or ±Infinity) at a visible point: a numerical failure of
 * the model on inputs that passed validation — not a problem with the input.
 */
export class ModelOutputError extends LfmError {
  constructor(message: string) {
    super('E_MODEL_OUTPUT', message);
  }
}

export interface LoadLifterOptions {
  /**
   * Intra-op threads: a number for every batch, or 'auto' (default): 1 thread for small batches
   * (B·N < SMALL_BATCH_POINTS), the runtime's large-batch count (onnxruntime-node: min(4, cores))
   * for larger ones — on engines whose thread count is per session.
   */
  threads?: number | 'auto';
  /** The engine: a SessionFactory or a registered name. Default: the first registered. */
  runtime?: SessionFactory | string;
}

export interface LiftOptions extends InputOptions {
  /**
   * The camera to recover and the frame of `pointsCamera`: `{ kind: 'ortho' }` (OnP),
   * `{ kind: 'persp', focal, cx, cy }` or `{ fx, fy, cx, cy }` (PnP). Default: the orthographic
   * camera is recovered but no `pointsCamera` is returned; `false` skips camera recovery.
   */
  camera?: CameraRequest | false | undefined;
}

/** A 3D point. */
export type Vec3 = [number, number, number];

/** The lift of one sample. */
export interface LiftResult {
  /** [N][3] the canonical 3D shape (normalised units, the model's frame); null where masked. */
  readonly points3d: (Vec3 | null)[];
  /** [N] true where the point was visible (and lifted). */
  readonly mask: boolean[];
  /** The camera mapping `points3d` to the input 2D points; null with `camera: false`. */
  readonly camera: CameraResult | null;
  /** [N][3] `points3d` in the camera frame (see CameraResult); only when `camera` was requested. */
  readonly pointsCamera?: (Vec3 | null)[];
}

/** Model inputs already preprocessed (normalised points, mask, adjacency), for `forward`. */
export interface ForwardInputs {
  /** [B, N, 2] normalised points. */
  readonly points: Float32Array;
  /** [B, N] 0/1. */
  readonly mask: Float32Array;
  /** [B, N, N] 0/1, self loops; required when `info.usesAdjacency`. */
  readonly adj?: Float32Array;
  /** [B, N, k] joint codes (`info.jointCodes`); zeros (identity unknown) when omitted. */
  readonly codes?: Float32Array;
  /**
   * [B, N, N] 0/1 mirror partners (`info.mirrorPairs`; P[b,i,j] = 1 iff point j is point i's
   * left/right partner); zeros (none known) when omitted. Ignored by a model without them.
   */
  readonly pairs?: Float32Array;
  /** B. */
  readonly batch: number;
}

/**
 * An exported LFM lifter loaded into an inference engine. Make one with `loadLifter`; `release()` it
 * when done.
 */
export class Lifter {
  /** The model's contract, from its metadata. */
  readonly info: LifterModelInfo;
  /** The engine's name (`onnxruntime-node`, `onnxruntime-web`, …). */
  readonly runtime: string;
  readonly #factory: SessionFactory;
  readonly #bytes: Uint8Array;
  readonly #threads: number | 'auto';
  readonly #sessions = new Map<number, Promise<ModelSession>>();

  /** @internal — use `loadLifter`. */
  constructor(
    factory: SessionFactory,
    bytes: Uint8Array,
    info: LifterModelInfo,
    first: { threads: number; session: ModelSession },
    threads: number | 'auto',
  ) {
    this.#factory = factory;
    this.#bytes = bytes;
    this.info = info;
    this.runtime = factory.name;
    this.#threads = threads;
    this.#sessions.set(first.threads, Promise.resolve(first.session));
  }

  /**
   * Lifts one sample — points [N][2] (`[x, y] | null`) or a Float32Array/Float64Array [N·2] — or a
   * batch — [B][N][2], or a flat array [B·N·2] with `options.batch = B` — of 2D keypoints in any
   * units (pixels). Per sample: pad to the batch's N, normalise (@lfm/core `normalizeKeypoints`),
   * build the local-attention graph from the rig's bones or kNN (@lfm/datasets/preprocess) — and,
   * for a model with `mirrorPairs`, the mirror partners from the rig's mirror pairs (none without a
   * rig) — run the model, then recover the camera. Returns one LiftResult, or one per sample for a batch.
   *
   * Throws ShapeError (malformed points/mask, a rig of another size), InputError (a visible NaN, fewer
   * than 3 visible points, more points than the model's maximum, bad bones or camera), DegenerateError
   * (coincident points), UnknownRigError (an unknown rig id), ModelOutputError (the model returned a
   * non-finite point).
   */
  lift(points: BatchInput, options?: LiftOptions): Promise<LiftResult[]>;
  lift(points: Float32Array | Float64Array, options: LiftOptions & { batch: number }): Promise<LiftResult[]>;
  lift(points: SampleInput, options?: LiftOptions): Promise<LiftResult>;
  async lift(
    points: SampleInput | BatchInput,
    options: LiftOptions = {},
  ): Promise<LiftResult | LiftResult[]> {
    const camera =
      options.camera === undefined || options.camera === false ? undefined : resolveCamera(options.camera);
    const input = parseInput(points, options, {
      maxPoints: this.info.maxPoints,
      minVisible: camera !== undefined && camera !== 'ortho' ? 4 : MIN_VISIBLE_POINTS,
    });
    const { B, N, counts, mask } = input;
    const pre = preprocessKeypoints(nd(input.xy, [B, N, 2]), {
      mask: nd(mask, [B, N]),
      size: N,
      bones: (b) => input.bones[b],
      k: this.info.knnK || undefined,
    });
    const points3d = await this.forward({
      points: pre.points.data,
      mask: pre.mask.data,
      ...(this.info.usesAdjacency && { adj: pre.adj.data }),
      ...(this.info.jointCodes && { codes: this.#codes(input.rigs, counts, N) }),
      ...(this.info.mirrorPairs && { pairs: this.#pairs(input.rigs, counts, N) }),
      batch: B,
    });
    const recovered =
      options.camera === false
        ? undefined
        : recoverCameras(points3d, input.xy, mask, B, N, camera ?? 'ortho');
    const results: LiftResult[] = [];
    for (let b = 0; b < B; b++) {
      const n = counts[b]!;
      const visible: boolean[] = new Array(n);
      const shape: (Vec3 | null)[] = new Array(n);
      const inCamera: (Vec3 | null)[] | undefined = camera !== undefined ? new Array(n) : undefined;
      for (let i = 0; i < n; i++) {
        const k = b * N + i;
        const on = mask[k] === 1;
        visible[i] = on;
        shape[i] = on ? [points3d[3 * k]!, points3d[3 * k + 1]!, points3d[3 * k + 2]!] : null;
        if (inCamera) {
          const c = recovered!.pointsCamera;
          inCamera[i] = on ? [c[3 * k]!, c[3 * k + 1]!, c[3 * k + 2]!] : null;
        }
      }
      results.push({
        points3d: shape,
        mask: visible,
        camera: recovered ? recovered.cameras[b]! : null,
        ...(inCamera && { pointsCamera: inCamera }),
      });
    }
    return input.batched ? results : results[0]!;
  }

  /**
   * The bare model: preprocessed inputs (as `preprocessKeypoints` makes them) → points3d [B, N, 3]
   * (normalised units, 0 at masked points). Runs batches of more than 256 samples in pieces.
   * ShapeError when the arrays do not fit B and N; ModelOutputError when the model returns a
   * non-finite value at a present point (mask ≠ 0).
   */
  async forward(inputs: ForwardInputs): Promise<Float32Array> {
    const B = inputs.batch;
    if (!Number.isInteger(B) || B < 1) throw new ShapeError(`batch must be an integer ≥ 1, got ${B}`);
    const N = inputs.mask.length / B;
    if (!Number.isInteger(N) || N < 1) {
      throw new ShapeError(`mask has ${inputs.mask.length} values, not B·N for B = ${B}`);
    }
    if (inputs.points.length !== B * N * 2) {
      throw new ShapeError(`points have ${inputs.points.length} values, need B·N·2 = ${B * N * 2}`);
    }
    if (this.info.maxPoints !== undefined && N > this.info.maxPoints) {
      throw new InputError(`${N} points per sample, but the model takes at most ${this.info.maxPoints}`);
    }
    if (this.info.usesAdjacency) {
      if (!inputs.adj)
        throw new ShapeError(`this model's attention '${this.info.config.attention}' needs adj [B, N, N]`);
      if (inputs.adj.length !== B * N * N) {
        throw new ShapeError(`adj has ${inputs.adj.length} values, need B·N·N = ${B * N * N}`);
      }
    }
    const k = this.info.jointCodes?.k ?? 0;
    if (k > 0 && inputs.codes !== undefined && inputs.codes.length !== B * N * k) {
      throw new ShapeError(`codes have ${inputs.codes.length} values, need B·N·k = ${B * N * k}`);
    }
    const codes = k > 0 ? (inputs.codes ?? new Float32Array(B * N * k)) : undefined;
    const withPairs = this.info.mirrorPairs;
    if (withPairs && inputs.pairs !== undefined && inputs.pairs.length !== B * N * N) {
      throw new ShapeError(`pairs have ${inputs.pairs.length} values, need B·N·N = ${B * N * N}`);
    }
    const pairs = withPairs ? (inputs.pairs ?? new Float32Array(B * N * N)) : undefined;
    const out = new Float32Array(B * N * 3);
    for (let b0 = 0; b0 < B; b0 += MAX_RUN_BATCH) {
      const b1 = Math.min(B, b0 + MAX_RUN_BATCH);
      const nb = b1 - b0;
      const session = await this.#sessionFor(nb * N);
      const feeds = {
        points: { data: inputs.points.subarray(b0 * N * 2, b1 * N * 2), dims: [nb, N, 2] },
        mask: { data: inputs.mask.subarray(b0 * N, b1 * N), dims: [nb, N] },
        ...(this.info.usesAdjacency && {
          adj: { data: inputs.adj!.subarray(b0 * N * N, b1 * N * N), dims: [nb, N, N] },
        }),
        ...(codes && { codes: { data: codes.subarray(b0 * N * k, b1 * N * k), dims: [nb, N, k] } }),
        ...(pairs && { pairs: { data: pairs.subarray(b0 * N * N, b1 * N * N), dims: [nb, N, N] } }),
      };
      const y = (await session.run(feeds)).points3d;
      if (!y || y.data.length !== nb * N * 3) {
        throw new LifterFormatError(
          `the model returned points3d of shape [${y?.dims.join(', ')}], expected [${nb}, ${N}, 3]`,
        );
      }
      checkFiniteOutput(y.data, inputs.mask, b0, nb, N);
      out.set(y.data, b0 * N * 3);
    }
    return out;
  }

  /**
   * [B, N, k] joint codes of a parsed batch: a sample of a rig whose codes the model stores (an
   * adapted rig, `info.jointCodes.tables`, same joint count) gets those; a sample whose rig the model was trained with gets its
   * joints' codes (points are in the rig's joint order), as does a rig with the same joints as one of
   * those (`@lfm/rigs` `jointCodeRig`: hand-21 → realworld-hand, …); any other sample zeros (identity
   * unknown). A model with `anatomicalCodes` gets those rigs' anatomical tables instead, and a rig it
   * never saw the codes of its joints named like a trained rig's of its category (zeros elsewhere; all
   * zeros when none is) — the tables training used (`@lfm/datasets` `anatomicalCodeTable`).
   */
  #codes(rigs: readonly (Rig | undefined)[], counts: Int32Array, N: number): Float32Array {
    const { k, rigs: known, tables, anatomical } = this.info.jointCodes!;
    const out = new Float32Array(rigs.length * N * k);
    const slots = new Int32Array(N);
    const tableOf = (rig: Rig): Float32Array | null => {
      // Codes stored in the model (`lfm adapt`) for this rig id and joint count come first.
      const stored = tables?.[rig.id];
      if (stored !== undefined && stored.joints.length === rig.joints.length) return stored.codes;
      const source = jointCodeRig(rig, known);
      if (source !== undefined) {
        return anatomical
          ? anatomicalCodeTable(source.id, source.joints, anatomicalKeys(source.joints), source.category, k)
          : jointCodeTable(source.id, source.joints, k);
      }
      if (!anatomical) return null;
      // A rig the model never saw: the codes of its joints named like a trained rig's.
      const trainedKeys = trainedAnatomicalKeys(rig.category, known, rig.id);
      const keys = anatomicalKeys(rig.joints);
      if (!keys.some((key) => key !== undefined && trainedKeys.has(key))) return null;
      return anatomicalCodeTable(rig.id, rig.joints, keys, rig.category, k, {
        unkeyed: 'zeros',
        known: trainedKeys,
      });
    };
    const memo = new Map<Rig, Float32Array | null>();
    rigs.forEach((rig, b) => {
      if (rig === undefined) return;
      if (!memo.has(rig)) memo.set(rig, tableOf(rig));
      const table = memo.get(rig)!;
      if (table === null) return;
      for (let i = 0; i < N; i++) slots[i] = i < counts[b]! ? i : -1;
      writeJointCodes(out.subarray(b * N * k, (b + 1) * N * k), slots, table, k);
    });
    return out;
  }

  /**
   * [B, N, N] mirror partners of a parsed batch: a sample with a rig gets its rig's mirror pairs
   * (`Rig.mirrorIndex`; points are in the rig's joint order), one without zeros (none known).
   */
  #pairs(rigs: readonly (Rig | undefined)[], counts: Int32Array, N: number): Float32Array {
    const out = new Float32Array(rigs.length * N * N);
    const slots = new Int32Array(N);
    rigs.forEach((rig, b) => {
      if (rig === undefined) return;
      for (let i = 0; i < N; i++) slots[i] = i < counts[b]! ? i : -1;
      writeMirrorPairs(out.subarray(b * N * N, (b + 1) * N * N), slots, rig.mirrorIndex);
    });
    return out;
  }

  /** Frees the engine sessions. The lifter is unusable afterwards. */
  async release(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(sessions.map(async (s) => (await s).release()));
  }

  /** The session for a run of `points` = B·N points (see LoadLifterOptions.threads). */
  #sessionFor(points: number): Promise<ModelSession> {
    const threads = pickThreads(this.#factory, this.#threads, points);
    let s = this.#sessions.get(threads);
    if (!s) {
      s = this.#factory.createSession(this.#bytes, { threads });
      this.#sessions.set(threads, s);
      // A failed creation is not cached: the next call tries again.
      s.catch(() => this.#sessions.delete(threads));
    }
    return s;
  }
}

/**
 * Throws ModelOutputError for the first present point (mask ≠ 0) of samples b0 … b0 + nb − 1 whose
 * output y [nb, N, 3] is not finite. Without it, NaN would reach the camera fit, whose error blames
 * the input.
 */
function checkFiniteOutput(y: Float32Array, mask: Float32Array, b0: number, nb: number, N: number): void {
  for (let k = 0; k < nb * N; k++) {
    if (mask[b0 * N + k] === 0) continue;
    const x = y[3 * k]!;
    const yy = y[3 * k + 1]!;
    const z = y[3 * k + 2]!;
    if (Number.isFinite(x) && Number.isFinite(yy) && Number.isFinite(z)) continue;
    const b = b0 + Math.floor(k / N);
    throw new ModelOutputError(
      `the model produced a non-finite output (${x}, ${yy}, ${z}) at sample ${b}, point ${k % N} of an ` +
        `input of ${N} points per sample: a numerical failure of the model, not a problem with the input`,
    );
  }
}

function pickThreads(factory: SessionFactory, threads: number | 'auto', points: number): number {
  if (threads !== 'auto') return threads;
  if (!factory.perSessionThreads) return factory.largeBatchThreads();
  return points < SMALL_BATCH_POINTS ? 1 : factory.largeBatchThreads();
}

/**
 * Loads an exported LFM lifter (`exportLifter` / `lfm export`): model bytes, or a string the engine
 * reads (a file path in Node, a URL in browsers). Reads and checks the model's contract metadata, then
 * creates an engine session.
 *
 * Throws DataFormatError for a missing file, OnnxFormatError for bytes that are not a valid ONNX model
 * (or that the engine rejects), LifterFormatError for an ONNX model that is not an LFM lifter (no or
 * foreign metadata, other inputs), RuntimeUnavailableError when no engine is installed/registered.
 */
export async function loadLifter(
  source: string | Uint8Array | ArrayBuffer,
  options: LoadLifterOptions = {},
): Promise<Lifter> {
  const factory = typeof options.runtime === 'object' ? options.runtime : getSessionFactory(options.runtime);
  const threads = options.threads ?? 'auto';
  if (threads !== 'auto' && (!Number.isInteger(threads) || threads < 1)) {
    throw new InputError(`threads must be an integer ≥ 1 or 'auto', got ${threads}`);
  }
  const file = typeof source === 'string' ? source : undefined;
  const bytes =
    typeof source === 'string'
      ? await factory.readModel(source)
      : source instanceof Uint8Array
        ? source
        : source instanceof ArrayBuffer
          ? new Uint8Array(source)
          : undefined;
  if (bytes === undefined) {
    throw new InputError(
      'loadLifter: pass a path/URL string, a Uint8Array or an ArrayBuffer with the .onnx model',
    );
  }
  const fileOpt = file === undefined ? {} : { file };
  const info = parseLifterMetadata(readModelMetadata(bytes, fileOpt), file);
  // Create the session a first lift of one sample uses, so a bad model fails here, not at lift time.
  const firstThreads = pickThreads(factory, threads, 1);
  let session: ModelSession;
  try {
    session = await factory.createSession(bytes, { threads: firstThreads });
  } catch (err) {
    if (err instanceof RuntimeUnavailableError) throw err;
    checkModel(bytes, fileOpt); // names the structural problem, if there is one
    throw new OnnxFormatError(`${factory.name} could not load the model: ${firstLine(err)}`, fileOpt);
  }
  const names = (list: readonly string[]) => [...list].join(', ');
  const want = info.io.inputs.map((s) => s.name);
  if (names(session.inputNames) !== names(want) || !session.outputNames.includes('points3d')) {
    await session.release();
    throw new LifterFormatError(
      `the model's graph takes [${names(session.inputNames)}] and gives [${names(session.outputNames)}], ` +
        `but its lifter metadata declares [${names(want)}] → [points3d]`,
      file,
    );
  }
  return new Lifter(factory, bytes, info, { threads: firstThreads, session }, threads);
}
