import { LfmError, Rng } from '@lfm/core';
import { type Batch, jointSides, sideCodeTable, writeJointCodes } from '@lfm/datasets';
import { anatomicalKeys } from '@lfm/rigs';
import type { TrainingConfig } from './config.js';
import type { StepBatch } from './engine.js';
import { datasetCodeTable, hasJointIdentity, rigAnatomicalCodeTable } from './eval-codes.js';
import type { TrainableModel } from './models.js';

import type { TrainingDataset } from './train.js';

/** The inputs of a training step beyond the batcher's batch: layout, mirror pairs, joint codes, identity. */

/** The batcher's batch in the model's layout: as is for the lifter; scattered into rig order for a fixed-J model. */
export function stepBatch(batch: Batch, model: TrainableModel): StepBatch {
  const B = batch.batchSize;
  const N = batch.maxPoints;
  const J = model.numJoints;
  if (J === undefined) {
    return { B, N, points2d: batch.points2d, mask: batch.mask, adj: batch.adj, target3d: batch.target3d };
  }
  const points2d = new Float32Array(B * J * 2);
  const mask = new Float32Array(B * J);
  const target3d = new Float32Array(B * J * 3);
  const ji = batch.info.jointIndex;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < N; i++) {
      const j = ji[b * N + i]!;
      if (j < 0 || batch.mask[b * N + i] !== 1) continue;
      const k = b * J + j;
      mask[k] = 1;
      points2d[2 * k] = batch.points2d[2 * (b * N + i)]!;
      points2d[2 * k + 1] = batch.points2d[2 * (b * N + i) + 1]!;
      for (let c = 0; c < 3; c++) target3d[3 * k + c] = batch.target3d[3 * (b * N + i) + c]!;
    }
  }
  return { B, N: J, points2d, mask, adj: undefined, target3d };
}

/**
 * The mirror partners of training batches for a model that reads them (`readsPairs`): the batch's
 * own (`Batch.pairs`, the batcher's buffer, which the next batch overwrites), with each sample's
 * zeroed with probability `pairsDropout` (seeded by (seed, batch index), so a resumed run sees the
 * same); undefined for other models.
 */
export function pairsFiller(
  model: TrainableModel,
  B: number,
  N: number,
  config: Pick<TrainingConfig, 'seed' | 'pairsDropout'>,
): (batch: Batch) => Float32Array | undefined {
  if (!model.readsPairs) return () => undefined;
  return (batch) => {
    const pairs = batch.pairs;
    if (pairs === undefined) {
      throw new LfmError(
        'E_INPUT',
        'the model reads mirror pairs, but the batch has none (batcher pairs: true)',
      );
    }
    if (config.pairsDropout > 0) {
      const rng = new Rng([config.seed, batch.index, 0x70616972]); // 'pair'
      for (let b = 0; b < B; b++) {
        if (rng.uniform() < config.pairsDropout) pairs.fill(0, b * N * N, (b + 1) * N * N);
      }
    }
    return pairs;
  };
}

/**
 * Whether a code-reading model's codes are anatomical: its lifter config's `anatomicalCodes`, or the
 * training option (a checkpoint made before the lifter config carried it).
 */
export function anatomicalOf(
  model: TrainableModel,
  config?: Pick<TrainingConfig, 'anatomicalCodes'>,
): boolean {
  return (
    (model.config.kind === 'lifter' && model.config.anatomicalCodes === true) ||
    config?.anatomicalCodes === true
  );
}

/** The rigs a code-reading model knows (its `codedRigs`). */
export function codedRigsOf(model: TrainableModel): readonly string[] {
  return model.config.kind === 'lifter' ? (model.config.codedRigs ?? []) : [];
}

/**
 * The joint codes of training batches, [B, N, k] (one buffer, overwritten per batch): each slot gets
 * the code of its dataset joint when the dataset's rig is one the model knows, zeros for padding;
 * a sample's codes are all zeroed with probability `jointCodeDropout` (seeded by (seed, batch index),
 * so a resumed run sees the same codes). Returns undefined for a model without codes.
 */
export function jointCodeFiller(
  model: TrainableModel,
  datasets: readonly TrainingDataset[],
  B: number,
  N: number,
  config: TrainingConfig,
): (batch: Batch) => Float32Array | undefined {
  const fill = identityFiller(model, datasets, B, N, config);
  return (batch) => fill(batch).codes;
}

/**
 * What a training batch says of joint identity: its codes (`jointCodeFiller`; a dropped sample gets
 * side codes with probability `sideCodes` when its rig has mirror pairs) and, with `mirrorLoss`, its
 * [B] mirror flags — 1 for a sample without identity (codes dropped and no side codes, a rig the model
 * has no codes for, or a model without codes), scored by the mirror-invariant loss.
 */
export function identityFiller(
  model: TrainableModel,
  datasets: readonly TrainingDataset[],
  B: number,
  N: number,
  config: TrainingConfig,
): (batch: Batch) => { codes: Float32Array | undefined; mirror: Float32Array | undefined } {
  const k = model.codeSize;
  const mirror = config.mirrorLoss ? new Float32Array(B) : undefined;
  if (k === 0) {
    mirror?.fill(1);
    return () => ({ codes: undefined, mirror });
  }
  const known = codedRigsOf(model);
  const tables = datasets.map((d) =>
    known.includes(d.name) && hasJointIdentity(d)
      ? anatomicalOf(model, config) && d.joints
        ? rigAnatomicalCodeTable(d.name, d.joints, d.category, k)
        : datasetCodeTable(d, k)
      : null,
  );
  // partialCodesRigs 'named': only rigs with an anatomically named joint are ever partly coded.
  const partial = config.partialCodes ?? 0;
  const partly = datasets.map(
    (d) =>
      partial > 0 &&
      (config.partialCodesRigs !== 'named' ||
        (d.joints !== undefined && anatomicalKeys(d.joints).some((key) => key))),
  );
  const pairless = datasets.map((d) => (d.symmetry?.length ?? 0) === 0);
  const sides = datasets.map((d) =>
    (d.symmetry?.length ?? 0) > 0 && d.joints ? sideCodeTable(jointSides(d.joints, d.symmetry!), k) : null,
  );
  const codes = new Float32Array(B * N * k);
  return (batch) => {
    const rng = new Rng([config.seed, batch.index, 0x636f6465]);
    const sideRng = new Rng([config.seed, batch.index, 0x73696465]);
    const partRng = new Rng([config.seed, batch.index, 0x70617274]); // 'part'
    for (let b = 0; b < B; b++) {
      const source = batch.info.source[b]!;
      // A rig the model has no codes for is always without identity (it may still get side codes), as is
      // a mirror image of a rig without mirror pairs (its labels sit on the wrong side: `BatchInfo.mirrored`).
      const drop =
        rng.uniform() < config.jointCodeDropout ||
        tables[source] === null ||
        (batch.info.mirrored[b] === 1 && pairless[source]!);
      const side = drop && sideRng.uniform() < config.sideCodes ? sides[source]! : null;
      const table = drop ? side : tables[source]!;
      const out = codes.subarray(b * N * k, (b + 1) * N * k);
      writeJointCodes(out, batch.info.jointIndex.subarray(b * N, (b + 1) * N), table, k);
      // partialCodes: a kept table zeroed at a random 10–60 % of the sample's slots.
      if (!drop && partly[source] && partRng.uniform() < partial) {
        const f = 0.1 + 0.5 * partRng.uniform();
        for (let i = 0; i < N; i++) if (partRng.uniform() < f) out.fill(0, i * k, (i + 1) * k);
      }
      if (mirror) mirror[b] = table === null ? 1 : 0;
    }
    return { codes, mirror };
  };
}
