import { Rng } from '@lfm/core';
import { jointCodeTable } from '@lfm/datasets/preprocess';
import { exportLifter, parseLifterMetadata, readModelMetadata } from '@lfm/onnx';
import { hand21, realworldHand } from '@lfm/rigs';
import { describe, expect, it } from 'vitest';
import { loadLifter } from './node.js';
import { makeModel } from './test-support/fixtures.js';

// Joint codes stored in the model as data (`lfm adapt`'s adapted rigs, `jointCodes.tables`): the
// runtime uses them for their rig, a model without them loads as before.

const J = 21;
const k = 4;

function points(seed: number): [number, number][] {
  const rng = new Rng(seed);
  return Array.from({ length: J }, () => [400 + 80 * rng.normal(), 300 + 80 * rng.normal()]);
}

describe('adapted joint-code tables in the model', () => {
  const model = makeModel({ jointCodes: k, codedRigs: ['realworld-hand'] });
  const rng = new Rng(4);
  const table = Float32Array.from({ length: J * k }, () => rng.normal());
  const adapted = exportLifter(model, {
    jointCodeTables: { 'hand-21': { joints: hand21.joints, codes: table } },
  });

  it('are in the metadata, exact to float32, beside the hashed rigs', () => {
    const info = parseLifterMetadata(readModelMetadata(adapted));
    expect(info.jointCodes!.rigs).toEqual(['realworld-hand']);
    expect(info.jointCodes!.tables!['hand-21']!.joints).toEqual(hand21.joints);
    expect(Array.from(info.jointCodes!.tables!['hand-21']!.codes)).toEqual(Array.from(table));
  });

  it("lift with the rig uses the stored table (not the rig's hashed codes, not zeros)", async () => {
    const lifter = await loadLifter(adapted);
    const plain = await loadLifter(model.bytes);
    try {
      const p = points(1);
      const got = await lifter.lift(p, { rig: 'hand-21', camera: false });
      // The same model's forward with the table as codes, by hand.
      const withTable = await lifter.lift(p, { camera: false, bones: hand21.boneIndices });
      expect(got.points3d).not.toEqual(withTable.points3d);
      const input = await import('@lfm/datasets/preprocess');
      const pre = input.preprocessKeypoints(
        { data: Float32Array.from(p.flat()), shape: [1, J, 2] },
        { bones: hand21.boneIndices, k: lifter.info.knnK },
      );
      const forward = await lifter.forward({
        points: pre.points.data,
        mask: pre.mask.data,
        adj: pre.adj.data,
        codes: table,
        batch: 1,
      });
      for (let i = 0; i < J; i++) {
        for (let c = 0; c < 3; c++) expect(got.points3d[i]![c]).toBeCloseTo(forward[3 * i + c]!, 5);
      }
      // Without the table, hand-21 takes realworld-hand's hashed codes (SAME_JOINTS_AS): another output.
      const hashed = await plain.lift(p, { rig: 'hand-21', camera: false });
      expect(hashed.points3d).not.toEqual(got.points3d);
      const hashedForward = await plain.forward({
        points: pre.points.data,
        mask: pre.mask.data,
        adj: pre.adj.data,
        codes: jointCodeTable('realworld-hand', realworldHand.joints, k),
        batch: 1,
      });
      expect(hashed.points3d[0]![0]).toBeCloseTo(hashedForward[0]!, 5);
    } finally {
      await lifter.release();
      await plain.release();
    }
  });

  it('a model without tables loads as before; tables of the wrong size are refused', async () => {
    const plain = await loadLifter(model.bytes);
    expect(plain.info.jointCodes).toEqual({
      scheme: 'fnv1a-normal-v1',
      k,
      rigs: ['realworld-hand'],
      anatomical: false,
    });
    await plain.release();
    expect(() =>
      exportLifter(model, { jointCodeTables: { x: { joints: ['a', 'b'], codes: new Float32Array(3) } } }),
    ).toThrow(/rig 'x' has 2 joints and 3 codes, need J·k = 8/);
  });
});
