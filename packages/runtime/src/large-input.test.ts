import { fileURLToPath } from 'node:url';
import { Rng } from '@lfm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lifter, loadLifter as loadLifterCore, ModelOutputError, type SessionFactory } from './index.js';
import { loadLifter, onnxruntimeNode } from './node.js';
import { makeModel, randomPixels } from './test-support/fixtures.js';

const SHIPPED = fileURLToPath(new URL('../../../models/lfm.onnx', import.meta.url));

describe('the shipped model on large inputs', () => {
  let lifter: Lifter;
  beforeAll(async () => {
    lifter = await loadLifter(SHIPPED, { threads: 1 });
  });
  afterAll(() => lifter.release());

  it('lifts N = 2,000 points to finite 3D and a camera, with the kNN graph (no bones) and with bones', async () => {
    // Its camera head's affine fit used raw sums: det(P Pᵀ) ~ N¹² overflowed float32 past ~1,650 points.
    expect(lifter.info.maxPoints).toBeUndefined();
    expect(lifter.info.knnK).toBeGreaterThan(0);
    const N = 2000;
    const points = randomPixels(new Rng(5), N);
    const chain = Array.from({ length: N - 1 }, (_, i) => [i, i + 1] as [number, number]);
    for (const options of [{}, { bones: chain }]) {
      const r = await lifter.lift(points, options);
      expect(r.points3d).toHaveLength(N);
      expect(r.points3d.every((p) => p?.every(Number.isFinite))).toBe(true);
      expect(r.camera?.rmse).toSatisfy(Number.isFinite);
    }
  });
});

describe('a non-finite model output', () => {
  const model = makeModel();
  /** onnxruntime-node, except that point 5 of every sample comes back NaN. */
  const corrupting: SessionFactory = {
    ...onnxruntimeNode,
    name: 'onnxruntime-node (NaN at point 5)',
    async createSession(bytes, options) {
      const session = await onnxruntimeNode.createSession(bytes, options);
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        release: () => session.release(),
        async run(feeds) {
          const out = await session.run(feeds);
          const y = out.points3d!;
          const data = y.data.slice();
          const N = y.dims[1]!;
          for (let b = 0; b < y.dims[0]!; b++) data[3 * (b * N + 5) + 1] = Number.NaN;
          return { ...out, points3d: { data, dims: y.dims } };
        },
      };
    },
  };
  let lifter: Lifter;
  beforeAll(async () => {
    lifter = await loadLifterCore(model.bytes, { runtime: corrupting });
  });
  afterAll(() => lifter.release());
  const points = randomPixels(new Rng(2), 17);

  it("is the model's failure (ModelOutputError naming the point and N), not the input's", async () => {
    const error = await lifter.lift(points).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelOutputError);
    expect((error as ModelOutputError).code).toBe('E_MODEL_OUTPUT');
    expect((error as Error).message).toMatch(
      /^the model produced a non-finite output \(-?[\d.e+-]+, NaN, -?[\d.e+-]+\) at sample 0, point 5 of an input of 17 points per sample: a numerical failure of the model, not a problem with the input$/,
    );
    expect((error as Error).message).not.toMatch(/fix the input/);
    // In a batch, the sample is named; camera: false does not skip the check.
    await expect(lifter.lift([points, points], { camera: false })).rejects.toThrow(
      /non-finite output \(.*\) at sample 0, point 5 of an input of 17 points per sample/,
    );
  });

  it('at a masked point is ignored (only visible points are returned)', async () => {
    const r = await lifter.lift(points, { mask: points.map((_, i) => i !== 5) });
    expect(r.points3d[5]).toBeNull();
    expect(r.points3d.filter((p) => p !== null).every((p) => p!.every(Number.isFinite))).toBe(true);
  });
});
