import { InputError, nd, type Rng, randomRotation } from '@lfm/core';
import { DEFAULT_KNN_K, type Edge, preprocessKeypoints, writeMirrorPairs } from '@lfm/datasets';
import type { LifterConfig } from '@lfm/model';
import { nrsfm, poseErrors } from '@lfm/procrustes';
import type * as Ort from 'onnxruntime-node';
import type { AdaptSamples } from './adapt-data.js';
import type { AdaptGraph } from './adapt-graph.js';
import type { ShapePrior } from './adapt-prior.js';
import type { AdaptBase, AdaptedRig } from './adapt-types.js';
import { rigCodeTable } from './eval-codes.js';

/** A rig's samples during `adapt`: merging, the initial codes, batches and their session feeds. */

/** One rig's state during adaptation. */
export interface RigState {
  readonly samples: AdaptSamples;
  readonly table: Float32Array; // [J, k], the trained parameter
  readonly base: Float32Array; // [S, J, 3] the frozen base model's predictions
  readonly target?: Float32Array; // [S, J, 3] the NRSfM reconstructions (with the nrsfm term)
  readonly prior: ShapePrior; // the low-rank term's reference and basis
  readonly groups: readonly (readonly number[])[]; // sample indices per group
  readonly info: AdaptedRig;
  order: Int32Array;
  cursor: number;
}
/** The sample sets of one rig id merged (InputError when their joints differ). */
export function mergeByRig(sets: readonly AdaptSamples[]): AdaptSamples[] {
  const byId = new Map<string, AdaptSamples[]>();
  for (const s of sets) byId.set(s.rig.id, [...(byId.get(s.rig.id) ?? []), s]);
  const out: AdaptSamples[] = [];
  for (const [id, list] of byId) {
    const first = list[0]!;
    for (const s of list.slice(1)) {
      if (s.rig.joints.join('\n') !== first.rig.joints.join('\n')) {
        throw new InputError(
          `rig ${id}: ${s.source} and ${first.source} have different joints (${s.numJoints} vs ${first.numJoints}); give them different rig ids`,
        );
      }
    }
    if (list.length === 1) {
      out.push(first);
      continue;
    }
    const J = first.numJoints;
    const S = list.reduce((n, s) => n + s.count, 0);
    const points2d = new Float64Array(S * J * 2);
    const mask = new Uint8Array(S * J);
    const group = new Int32Array(S);
    const boneSets: (readonly Edge[])[] = [];
    const boneSet = new Int32Array(S);
    let o = 0;
    let groupBase = 0;
    for (const s of list) {
      points2d.set(s.points2d, o * J * 2);
      mask.set(s.mask, o * J);
      let maxGroup = 0;
      const setBase = boneSets.length;
      boneSets.push(...(s.boneSets ?? [s.rig.bones]));
      for (let i = 0; i < s.count; i++) {
        group[o + i] = groupBase + s.group[i]!;
        maxGroup = Math.max(maxGroup, s.group[i]!);
        boneSet[o + i] = setBase + (s.boneSet?.[i] ?? 0);
      }
      groupBase += maxGroup + 1;
      o += s.count;
    }
    out.push({
      rig: first.rig,
      source: list.map((s) => s.source).join(', '),
      count: S,
      numJoints: J,
      points2d,
      mask,
      group,
      boneSets,
      boneSet,
    });
  }
  return out;
}

/**
 * The rig's initial code table [J, k]: the base model's adapted table of the rig when it has one,
 * else the hashed codes of a rig it was trained with (its own id, or a built-in rig's
 * `SAME_JOINTS_AS` dataset rig), else — for a model with `anatomicalCodes` — the codes of the rig's
 * joints named like a trained rig's, else zeros (identity unknown — the base model's zero-shot input).
 */
export function initialTable(
  rig: AdaptSamples['rig'],
  config: LifterConfig,
  tables: AdaptBase['jointCodeTables'],
): { table: Float32Array; init: AdaptedRig['init'] } {
  const k = config.jointCodes;
  const t = rigCodeTable(rig.id, rig.joints, k, config.codedRigs ?? [], tables, {
    anatomical: config.anatomicalCodes === true,
    ...(rig.category !== undefined && { category: rig.category }),
  });
  if (t === null) return { table: new Float32Array(rig.joints.length * k), init: 'zeros' };
  if (t.from === 'stored') return { table: t.codes.slice(), init: 'adapted' };
  return { table: t.codes, init: t.from === 'anatomy' ? 'anatomical' : 'coded' };
}

/** Sample indices grouped by `group`, in first-seen order. */
export function groupsOf(group: Int32Array): number[][] {
  const map = new Map<number, number[]>();
  for (let s = 0; s < group.length; s++) {
    const g = map.get(group[s]!);
    if (g) g.push(s);
    else map.set(group[s]!, [s]);
  }
  return [...map.values()];
}

/** The model's inputs for samples `idx` of a set: normalised points, mask, adjacency. */
function preprocessSamples(samples: AdaptSamples, idx: readonly number[], knn = DEFAULT_KNN_K) {
  const J = samples.numJoints;
  const B = idx.length;
  const p2 = new Float64Array(B * J * 2);
  const m = new Float32Array(B * J);
  idx.forEach((s, b) => {
    p2.set(samples.points2d.subarray(2 * s * J, 2 * (s + 1) * J), 2 * b * J);
    for (let j = 0; j < J; j++) m[b * J + j] = samples.mask[s * J + j]!;
  });
  const bones = (b: number): readonly Edge[] =>
    samples.boneSets && samples.boneSet ? samples.boneSets[samples.boneSet[idx[b]!]!]! : samples.rig.bones;
  const pre = preprocessKeypoints(nd(p2, [B, J, 2]), { mask: nd(m, [B, J]), bones, k: knn });
  return { points: pre.points.data, mask: pre.mask.data, adj: pre.adj.data };
}

/** [B, J, J] copies of a rig's mirror partners (`AdaptRig.mirrorIndex`; zeros without). */
function tiledPairs(rig: AdaptSamples['rig'], B: number): Float32Array {
  const J = rig.joints.length;
  const out = new Float32Array(B * J * J);
  if (rig.mirrorIndex === undefined) return out;
  const first = out.subarray(0, J * J);
  writeMirrorPairs(
    first,
    Int32Array.from({ length: J }, (_, j) => j),
    rig.mirrorIndex,
  );
  for (let b = 1; b < B; b++) out.set(first, b * J * J);
  return out;
}

/** [B, J, k] copies of a rig's table. */
function tiledCodes(table: Float32Array, B: number): Float32Array {
  const out = new Float32Array(B * table.length);
  for (let b = 0; b < B; b++) out.set(table, b * table.length);
  return out;
}

/** The frozen base model's lifted shapes [S, J, 3] of every sample, with the initial codes. */
export async function liftAll(
  ort: typeof Ort,
  session: Ort.InferenceSession,
  params: Record<string, Ort.Tensor>,
  samples: AdaptSamples,
  table: Float32Array,
  k: number,
  knn = DEFAULT_KNN_K,
): Promise<Float32Array> {
  const J = samples.numJoints;
  const S = samples.count;
  const out = new Float32Array(S * J * 3);
  const chunk = 256;
  const wantsAdj = session.inputNames.includes('adj');
  const wantsPairs = session.inputNames.includes('pairs');
  for (let s0 = 0; s0 < S; s0 += chunk) {
    const idx = Array.from({ length: Math.min(chunk, S - s0) }, (_, i) => s0 + i);
    const B = idx.length;
    const pre = preprocessSamples(samples, idx, knn);
    const y = await session.run({
      ...params,
      points: new ort.Tensor('float32', pre.points, [B, J, 2]),
      mask: new ort.Tensor('float32', pre.mask, [B, J]),
      ...(wantsAdj && { adj: new ort.Tensor('float32', pre.adj, [B, J, J]) }),
      codes: new ort.Tensor('float32', tiledCodes(table, B), [B, J, k]),
      ...(wantsPairs && { pairs: new ort.Tensor('float32', tiledPairs(samples.rig, B), [B, J, J]) }),
    });
    out.set(y.lifted!.data as Float32Array, s0 * J * 3);
  }
  return out;
}

/**
 * The nrsfm term's targets [S, J, 3]: the NRSfM reconstruction (`@lfm/procrustes` `nrsfm`, rank K) of
 * the rig's 2D, every sample one view, with the global depth mirror that is nearer the base model's
 * lifts `base` [S, J, 3] (mean nPA-MPJPE): the 2D cannot decide the mirror, the base's cues (mirror
 * pairs, codes) can. Samples whose joint order differs (`boneSets`: a `perSequenceEdges` dataset,
 * where joint j is another marker in another sequence) are reconstructed per order, each with its
 * own mirror; an order with a single sample keeps the base lift. Also the reconstructions'
 * reprojection RMS (and the rigid start's; the largest over the orders), 2D units, and how many
 * orders chose the mirror. InputError (naming the rig) when the solver rejects the 2D.
 */
export function nrsfmTargets(
  samples: AdaptSamples,
  base: Float32Array,
  rank: number,
): { target: Float32Array; reprojectionRms: number; rigidRms: number; mirrored: number; orders: number } {
  const S = samples.count;
  const J = samples.numJoints;
  // Samples by joint order: one group unless the bones differ between them.
  const byOrder = new Map<string, number[]>();
  for (let i = 0; i < S; i++) {
    const key =
      samples.boneSet && samples.boneSets ? JSON.stringify(samples.boneSets[samples.boneSet[i]!] ?? []) : '';
    const list = byOrder.get(key);
    if (list) list.push(i);
    else byOrder.set(key, [i]);
  }
  const target = Float32Array.from(base);
  let reprojectionRms = 0;
  let rigidRms = 0;
  let mirrored = 0;
  for (const idx of byOrder.values()) {
    if (idx.length < 2) continue;
    const n = idx.length;
    const p2 = new Float64Array(n * J * 2);
    const m = new Uint8Array(n * J);
    const b = new Float64Array(n * J * 3);
    idx.forEach((s, k) => {
      p2.set(samples.points2d.subarray(2 * s * J, 2 * (s + 1) * J), 2 * k * J);
      m.set(samples.mask.subarray(s * J, (s + 1) * J), k * J);
      b.set(base.subarray(3 * s * J, 3 * (s + 1) * J), 3 * k * J);
    });
    let r: ReturnType<typeof nrsfm>;
    try {
      r = nrsfm(p2, m, n, J, { rank });
    } catch (err) {
      if (err instanceof InputError) throw new InputError(`${samples.rig.id}: ${err.message}`);
      throw err;
    }
    const mask = nd(Float64Array.from(m), [n, J]);
    // The base lifts scored against the reconstruction (whose radius is never 0 for a 2D that is not
    // a point): the base's mirror fitting better means the reconstruction's mirror is the base's.
    const e = poseErrors(nd(b, [n, J, 3]), nd(r.shapes, [n, J, 3]), mask, { flipBest: true });
    const flip = e.mirrored!.nPaMpjpe.mean < e.nPaMpjpe.mean;
    if (flip) mirrored++;
    idx.forEach((s, k) => {
      for (let i = 0; i < 3 * J; i++) {
        const v = r.shapes[3 * k * J + i]!;
        target[3 * s * J + i] = flip && i % 3 === 2 ? -v : v;
      }
    });
    reprojectionRms = Math.max(reprojectionRms, r.reprojectionRms);
    rigidRms = Math.max(rigidRms, r.rigidRms);
  }
  return { target, reprojectionRms, rigidRms, mirrored, orders: byOrder.size };
}

/**
 * The next batch of a rig: whole groups (every camera of a frame) from a shuffled order, until B
 * samples (a group larger than B is cut to B). At most one pass over the groups per batch.
 */
export function nextBatch(rig: RigState, B: number, rng: Rng): (readonly number[])[] {
  const out: (readonly number[])[] = [];
  const G = rig.groups.length;
  let n = 0;
  for (let tries = 0; n < B && tries < G; tries++) {
    if (rig.cursor >= rig.order.length) {
      rig.order = rng.permutation(G);
      rig.cursor = 0;
    }
    const g = rig.groups[rig.order[rig.cursor++]!]!;
    if (n + g.length <= B) {
      out.push(g);
      n += g.length;
    } else if (n === 0) {
      out.push(g.slice(0, B));
      n = B;
    } else {
      rig.cursor--; // next batch starts with it
      break;
    }
  }
  return out;
}

/** The session feeds of a batch (groups of sample indices). */
export function batchFeeds(
  ort: typeof Ort,
  rig: RigState,
  groups: readonly (readonly number[])[],
  k: number,
  graph: AdaptGraph,
  rank: number,
  rng: Rng,
  knn = DEFAULT_KNN_K,
): Record<string, Ort.Tensor> {
  const idx = groups.flat();
  const B = idx.length;
  const J = rig.info.numJoints;
  const pre = preprocessSamples(rig.samples, idx, knn);
  const feeds: Record<string, Ort.Tensor> = {
    points: new ort.Tensor('float32', pre.points, [B, J, 2]),
    mask: new ort.Tensor('float32', pre.mask, [B, J]),
    codes: new ort.Tensor('float32', tiledCodes(rig.table, B), [B, J, k]),
  };
  const wants = (name: string) => graph.inputs.includes(name);
  if (wants('adj')) feeds.adj = new ort.Tensor('float32', pre.adj, [B, J, J]);
  if (wants('pairs')) feeds.pairs = new ort.Tensor('float32', tiledPairs(rig.samples.rig, B), [B, J, J]);
  if (wants('base')) {
    const base = new Float32Array(B * J * 3);
    idx.forEach((s, b) => {
      base.set(rig.base.subarray(3 * s * J, 3 * (s + 1) * J), 3 * b * J);
    });
    feeds.base = new ort.Tensor('float32', base, [B, J, 3]);
  }
  if (wants('target')) {
    const target = new Float32Array(B * J * 3);
    idx.forEach((s, b) => {
      target.set(rig.target!.subarray(3 * s * J, 3 * (s + 1) * J), 3 * b * J);
    });
    feeds.target = new ort.Tensor('float32', target, [B, J, 3]);
  }
  if (wants('partner')) {
    const partner = new Float32Array(B * B);
    let o = 0;
    for (const g of groups) {
      if (g.length > 1)
        for (let i = 0; i < g.length; i++) partner[(o + i) * B + o + ((i + 1) % g.length)] = 1;
      o += g.length;
    }
    feeds.partner = new ort.Tensor('float32', partner, [B, B]);
  }
  if (wants('rotation')) {
    const R = new Float32Array(B * 9);
    const q = new Float64Array(9);
    for (let b = 0; b < B; b++) {
      randomRotation(rng, q);
      R.set(q, 9 * b);
    }
    feeds.rotation = new ort.Tensor('float32', R, [B, 3, 3]);
  }
  if (wants('reference')) feeds.reference = new ort.Tensor('float32', rig.prior.reference, [J, 3]);
  if (wants('basis')) feeds.basis = new ort.Tensor('float32', rig.prior.basis, [rank, J, 3]);
  if (wants('edges')) feeds.edges = new ort.Tensor('float32', boneEdges(rig.samples.rig.bones, J), [J, J]);
  return feeds;
}

/**
 * The bone-length term's edges [J, J] (symmetric 0/1, zero diagonal): the rig's bones; for a rig
 * without bones, every pair of joints (such a rig is taken as near-rigid: a face, an object).
 */
export function boneEdges(bones: readonly Edge[], J: number): Float32Array {
  const out = new Float32Array(J * J);
  if (bones.length === 0) {
    out.fill(1);
    for (let j = 0; j < J; j++) out[j * J + j] = 0;
    return out;
  }
  for (const [a, b] of bones) {
    if (a === b) continue;
    out[a * J + b] = 1;
    out[b * J + a] = 1;
  }
  return out;
}
