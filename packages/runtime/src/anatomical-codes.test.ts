import { Rng } from '@lfm/core';
import { anatomicalCodeTable, jointCodeTable, preprocessKeypoints } from '@lfm/datasets/preprocess';
import { parseLifterMetadata, readModelMetadata } from '@lfm/onnx';
import { anatomicalKeys, coco17, h36mBody, trainedAnatomicalKeys } from '@lfm/rigs';
import { describe, expect, it } from 'vitest';
import { loadLifter } from './node.js';
import { makeModel } from './test-support/fixtures.js';

// A lifter with `anatomicalCodes` (joint codes by what a joint is, not by rig): the runtime gives a
// trained rig its anatomical table and a rig the model never saw the codes of its joints named like
// a trained rig's, zeros elsewhere — the same tables the trainer used (`anatomicalCodeTable`).

const k = 4;

function points(J: number, seed: number): [number, number][] {
  const rng = new Rng(seed);
  return Array.from({ length: J }, () => [400 + 80 * rng.normal(), 300 + 80 * rng.normal()]);
}

/** The model's forward on `p` (rig bones) with the codes given, by hand. */
type Lifter = Awaited<ReturnType<typeof loadLifter>>;

async function forwardWith(
  lifter: Lifter,
  p: [number, number][],
  bones: readonly (readonly [number, number])[],
  codes: Float32Array,
): Promise<Float32Array> {
  const pre = preprocessKeypoints(
    { data: Float32Array.from(p.flat()), shape: [1, p.length, 2] },
    { bones, k: lifter.info.knnK },
  );
  return lifter.forward({ points: pre.points.data, mask: pre.mask.data, adj: pre.adj.data, codes, batch: 1 });
}

function expectSame(got: readonly (readonly number[] | null)[], flat: Float32Array): void {
  got.forEach((row, i) => {
    expect(row).not.toBeNull();
    for (let c = 0; c < 3; c++) expect(row![c]).toBeCloseTo(flat[3 * i + c]!, 5);
  });
}

describe('anatomical joint codes in the runtime', () => {
  const anatomical = makeModel({ jointCodes: k, codedRigs: ['h36m-body'], anatomicalCodes: true });
  const plain = makeModel({ jointCodes: k, codedRigs: ['h36m-body'] });

  it('the metadata says so; a model without the option says not', () => {
    expect(parseLifterMetadata(readModelMetadata(anatomical.bytes)).jointCodes!.anatomical).toBe(true);
    expect(parseLifterMetadata(readModelMetadata(plain.bytes)).jointCodes!.anatomical).toBe(false);
  });

  it('a trained rig gets its anatomical table, not its hashed codes', async () => {
    const lifter = await loadLifter(anatomical.bytes);
    try {
      const p = points(h36mBody.joints.length, 1);
      const got = await lifter.lift(p, { rig: 'h36m-body', camera: false });
      const table = anatomicalCodeTable(
        'h36m-body',
        h36mBody.joints,
        anatomicalKeys(h36mBody.joints),
        'human-body',
        k,
      );
      expectSame(got.points3d, await forwardWith(lifter, p, h36mBody.boneIndices, table));
      const hashed = await forwardWith(
        lifter,
        p,
        h36mBody.boneIndices,
        jointCodeTable('h36m-body', h36mBody.joints, k),
      );
      expect(Math.abs(got.points3d[0]![0]! - hashed[0]!)).toBeGreaterThan(1e-6);
    } finally {
      await lifter.release();
    }
  });

  it('a rig it never saw (COCO-17) gets codes at the joints a trained rig names alike, zeros elsewhere', async () => {
    const lifter = await loadLifter(anatomical.bytes);
    const plainLifter = await loadLifter(plain.bytes);
    try {
      const J = coco17.joints.length;
      const p = points(J, 2);
      const keys = anatomicalKeys(coco17.joints);
      const known = trainedAnatomicalKeys('human-body', ['h36m-body']);
      const table = anatomicalCodeTable('coco-17', coco17.joints, keys, 'human-body', k, {
        unkeyed: 'zeros',
        known,
      });
      // h36m-body names no eye or ear: those rows are zero, the nose and the limbs are coded.
      const zeroRows = keys.filter((key) => key === undefined || !known.has(key)).length;
      expect(zeroRows).toBe(4);
      const rowZero = (j: number) => table.subarray(j * k, (j + 1) * k).every((v) => v === 0);
      expect(keys.map((_, j) => rowZero(j)).filter(Boolean)).toHaveLength(4);
      const got = await lifter.lift(p, { rig: 'coco-17', camera: false });
      expectSame(got.points3d, await forwardWith(lifter, p, coco17.boneIndices, table));
      const zeros = await forwardWith(lifter, p, coco17.boneIndices, new Float32Array(J * k));
      expect(Math.abs(got.points3d[0]![0]! - zeros[0]!)).toBeGreaterThan(1e-6);
      // The same rig on a model without the option: zero codes (identity unknown).
      const unknown = await plainLifter.lift(p, { rig: 'coco-17', camera: false });
      expectSame(
        unknown.points3d,
        await forwardWith(plainLifter, p, coco17.boneIndices, new Float32Array(J * k)),
      );
    } finally {
      await lifter.release();
      await plainLifter.release();
    }
  });
});
