import { InputError } from '@lfm/core';
import {
  anatomicalCodeTable,
  borrowedCodeTable,
  jointCodeTable,
  writeJointCodes,
  writeMirrorPairs,
} from '@lfm/datasets';
import {
  anatomicalKeys,
  builtinRigs,
  datasetRigs,
  jointCodeRig,
  namedJointSource,
  trainedAnatomicalKeys,
} from '@lfm/rigs';

import type { EvaluateOptions, EvaluationDataset } from './evaluate.js';

export { anatomicalCodeRig } from '@lfm/datasets';

/** The joint codes and mirror partners evaluation feeds a model (`PredictBatch.codes`, `.pairs`). */

/** The joint codes of a dataset's rig (id = the dataset name; joints from meta.json, or j0, j1, … when absent), [J, k]. */
export function datasetCodeTable(
  ds: Pick<EvaluationDataset, 'name' | 'numJoints' | 'joints'>,
  k: number,
): Float32Array {
  const joints = ds.joints ?? Array.from({ length: ds.numJoints }, (_, j) => `j${j}`);
  return jointCodeTable(ds.name, joints, k);
}

/**
 * Joint codes named after what the joints are (a lifter with `anatomicalCodes`), [J, k]: `@lfm/datasets`
 * `anatomicalCodeTable` with the joints' `@lfm/rigs` `anatomicalKeys` — joint j with a key gets the
 * code of that key within its category (the same for every rig of the category), other joints their
 * rig's code, or zeros with `unkeyed: 'zeros'`.
 */
export function rigAnatomicalCodeTable(
  rigId: string,
  joints: readonly string[],
  category: string,
  k: number,
  { unkeyed = 'rig' }: { unkeyed?: 'rig' | 'zeros' } = {},
): Float32Array {
  return anatomicalCodeTable(rigId, joints, anatomicalKeys(joints), category, k, { unkeyed });
}

/**
 * The anatomical codes (`rigAnatomicalCodeTable`) of a rig a model trained with `anatomicalCodes` on the
 * `coded` rigs never saw: codes only at the joints whose key some coded dataset rig of the category
 * also has (`trainedAnatomicalKeys`: the keys it was trained on), zeros elsewhere; `coded` counts how many.
 */
export function unseenAnatomicalCodeTable(
  rigId: string,
  joints: readonly string[],
  category: string,
  k: number,
  coded: readonly string[],
): { readonly codes: Float32Array; readonly coded: number } {
  const keys = anatomicalKeys(joints);
  const known = trainedAnatomicalKeys(category, coded, rigId);
  const codes = anatomicalCodeTable(rigId, joints, keys, category, k, { unkeyed: 'zeros', known });
  const seen = new Set<string>();
  let n = 0;
  for (const key of keys) {
    if (key === undefined || seen.has(key)) continue;
    seen.add(key);
    if (known.has(key)) n++;
  }
  return { codes, coded: n };
}

/**
 * Whether a dataset's joint index is a joint identity: not when its marker order differs between
 * sequences (`perSequenceEdges`, e.g. akhter-markers' drink / stretch / pickup orders), where joint j
 * of one sequence is another marker than joint j of the next. Such a dataset is never coded: in
 * training it is identity-less (zeros, the mirror-invariant loss), in evaluation it gets zeros.
 */
export function hasJointIdentity(ds: { readonly perSequenceEdges?: boolean }): boolean {
  return ds.perSequenceEdges !== true;
}

/**
 * The codes a model coded for `coded` rigs gets for a dataset (null without `hasJointIdentity`): the model's stored table of the
 * dataset's rig when it has one (`tables`, an adapted rig), its own rig's when coded, else those of
 * the dataset rig a built-in rig of that id has the same joints as (`@lfm/rigs` `jointCodeRig`, e.g.
 * h36m-cams → h36m-body), else null (identity unknown).
 */
export function evalCodeTable(
  ds: Pick<EvaluationDataset, 'name' | 'numJoints' | 'joints' | 'perSequenceEdges' | 'category'>,
  k: number,
  coded: readonly string[],
  tables?: NonNullable<EvaluateOptions['jointCodes']>['tables'],
  { anatomical = false, unseen = 'anatomy' }: { anatomical?: boolean; unseen?: 'anatomy' | 'zeros' } = {},
): Float32Array | null {
  if (!hasJointIdentity(ds)) return null;
  const joints = ds.joints ?? Array.from({ length: ds.numJoints }, (_, j) => `j${j}`);
  const opts = { anatomical, category: ds.category, unseen };
  return rigCodeTable(ds.name, joints, k, coded, tables, opts)?.codes ?? null;
}

/**
 * The code table [J, k] a model coded for `coded` rigs gets for rig `id` with `joints`: `tables[id]`
 * when it has those J joints and J·k codes ('stored', not copied), the rig's hashed codes when it is
 * coded, else those of the dataset rig a built-in rig of that id has the same joints as (`jointCodeRig`;
 * both 'coded'), else null (identity unknown). A model with `anatomicalCodes` (`anatomical`) gets
 * anatomical tables (`rigAnatomicalCodeTable`) instead of hashed ones for those rigs, and for any other
 * rig of a known `category` (given, else a built-in rig's) the codes of its joints named like a
 * trained rig's (`unseenAnatomicalCodeTable`, 'anatomy'; null when none is, or with `unseen: 'zeros'`).
 * Shared by evaluation and `adapt`.
 */
export function rigCodeTable(
  id: string,
  joints: readonly string[],
  k: number,
  coded: readonly string[],
  tables?: Readonly<Record<string, { readonly joints: readonly string[]; readonly codes: Float32Array }>>,
  {
    anatomical = false,
    category,
    unseen = 'anatomy',
  }: { anatomical?: boolean; category?: string; unseen?: 'anatomy' | 'zeros' } = {},
): { readonly codes: Float32Array; readonly from: 'stored' | 'coded' | 'anatomy' } | null {
  const J = joints.length;
  const stored = tables?.[id];
  if (stored !== undefined && stored.joints.length === J && stored.codes.length === J * k) {
    return { codes: stored.codes, from: 'stored' };
  }
  const builtin = builtinRigs.find((r) => r.id === id);
  const cat = category ?? builtin?.category;
  const source = coded.includes(id) ? { id, joints, category: cat } : builtin && jointCodeRig(builtin, coded);
  if (source !== undefined && source.joints.length === J) {
    if (!anatomical) return { codes: jointCodeTable(source.id, source.joints, k), from: 'coded' };
    if (source.category === undefined) {
      throw new InputError(`rig '${id}': a model with anatomical joint codes needs the rig's category`);
    }
    return { codes: rigAnatomicalCodeTable(source.id, source.joints, source.category, k), from: 'coded' };
  }
  if (!anatomical || unseen === 'zeros' || cat === undefined) return null;
  const t = unseenAnatomicalCodeTable(id, joints, cat, k, coded);
  return t.coded > 0 ? { codes: t.codes, from: 'anatomy' } : null;
}

/**
 * Codes borrowed by joint name, for a rig of `category` that a model coded for `coded` rigs has no
 * codes of: each joint whose anatomical name (`@lfm/rigs` `anatomicalKeys`) matches a joint of the
 * coded dataset rig of the same category sharing the most joints (`namedJointSource`) gets that joint's
 * code, the others zeros; null when no such rig shares enough joints (numbered names never do).
 */
export function namedCodeTable(
  joints: readonly string[],
  category: string,
  k: number,
  coded: readonly string[],
): { readonly codes: Float32Array; readonly source: string; readonly matched: number } | null {
  const candidates = datasetRigs.filter((r) => r.category === category && coded.includes(r.id));
  const s = namedJointSource(joints, candidates);
  if (s === undefined) return null;
  return {
    codes: borrowedCodeTable(s.source.id, s.source.joints, s.map, k),
    source: s.source.id,
    matched: s.matched,
  };
}

export function batchCodes(
  table: Float32Array | null,
  slots: Int32Array,
  B: number,
  k: number,
): Float32Array {
  const N = slots.length;
  const out = new Float32Array(B * N * k);
  if (table !== null)
    for (let b = 0; b < B; b++) writeJointCodes(out.subarray(b * N * k, (b + 1) * N * k), slots, table, k);
  return out;
}

/** [B, N, N]: every sample's mirror partners (`writeMirrorPairs`; zeros for `partners` null). */
export function batchPairs(partners: Int32Array | null, slots: Int32Array, B: number): Float32Array {
  const N = slots.length;
  const out = new Float32Array(B * N * N);
  if (partners === null) return out;
  const first = out.subarray(0, N * N);
  writeMirrorPairs(first, slots, partners); // every sample has the dataset's joints in its order
  for (let b = 1; b < B; b++) out.set(first, b * N * N);
  return out;
}
