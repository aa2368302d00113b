import { Rng } from '@lfm/core';
import {
  createReferenceOps,
  createReferenceParams,
  encoderBlock,
  permutationError,
  permutePoints,
  randomEncoderBlock,
  randomFloat32,
  refTensor,
  worstRelativeError,
} from '@lfm/core/testing';
import { createTfjsOps, createTfjsParams } from '@lfm/core/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkModel, createOnnxRecorder } from './index.js';

// A model written once against Ops<T> (core's test encoder block: TPE + multi-head attention + MLP),
// recorded at B = 2, N = 5, exported, and run by onnxruntime against the reference and tfjs engines.

const refOps = createReferenceOps();
const tfOps = createTfjsOps(tf);

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const { worst, at } = worstRelativeError(got, want);
  expect(worst, `${what}: worst at ${at}: got ${got[at]}, want ${want[at]}`).toBeLessThanOrEqual(tol);
}

describe('a model written once against Ops<T>, exported and run by onnxruntime', () => {
  const rng = new Rng(99);
  const { config, shapes, weights } = randomEncoderBlock(rng, 16, 4);
  const inputs = (b: number, n: number) => ({
    points: randomFloat32(rng, [b, n, 2]),
    mask: Float32Array.from({ length: b * n }, (_, k) => (k % n === n - 2 || k === 1 ? 0 : 1)),
  });

  const exported = (() => {
    const r = createOnnxRecorder({ dims: { B: 2, N: 5 } });
    const pts = r.input('points', ['B', 'N', 2]);
    const mask = r.input('mask', ['B', 'N']);
    r.output('points3d', encoderBlock(r.ops, r.params(weights), config, pts, mask));
    return r.toModel({ metadata: { dim: String(config.dim) } });
  })();

  const reference = (pts: Float32Array, mask: Float32Array, b: number, n: number) => {
    const params = createReferenceParams(
      Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, refTensor(w, shapes[k]!)])),
    );
    return encoderBlock(refOps, params, config, refTensor(pts, [b, n, 2]), refTensor(mask, [b, n])).data;
  };
  const tfjs = (pts: Float32Array, mask: Float32Array, b: number, n: number) =>
    tf.tidy(() => {
      const params = createTfjsParams(
        Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, tf.tensor(w, shapes[k]!)])),
      );
      const y = encoderBlock(tfOps, params, config, tf.tensor(pts, [b, n, 2]), tf.tensor(mask, [b, n]));
      return y.dataSync() as Float32Array;
    });
  const feeds = (T: typeof ort.Tensor, points: Float32Array, mask: Float32Array, b: number, n: number) => ({
    points: new T('float32', points, [b, n, 2]),
    mask: new T('float32', mask, [b, n]),
  });

  it('passes the checker with symbolic B, N at the boundary', () => {
    const s = checkModel(exported);
    expect(s.inputs.map((v) => v.dims)).toEqual([
      ['B', 'N', 2],
      ['B', 'N'],
    ]);
    expect(s.outputs[0]!.dims).toEqual(['B', 'N', 3]);
    expect(s.opTypes.LayerNormalization).toBe(2);
    expect(s.initializers).toBeGreaterThan(Object.keys(weights).length);
  });

  it('onnxruntime-node matches the reference and tfjs engines at several B, N (incl. 1)', async () => {
    const session = await ort.InferenceSession.create(exported);
    for (const [b, n] of [
      [3, 7],
      [1, 4],
      [2, 5],
      [4, 11],
    ] as const) {
      const { points, mask } = inputs(b, n);
      const y = (await session.run(feeds(ort.Tensor, points, mask, b, n))).points3d!;
      expect(y.dims).toEqual([b, n, 3]);
      const got = y.data as Float32Array;
      expectClose(got, reference(points, mask, b, n), 1e-5, `ort-node vs reference B=${b} N=${n}`);
      expectClose(got, tfjs(points, mask, b, n), 1e-5, `ort-node vs tfjs B=${b} N=${n}`);
    }
    await session.release();
  });

  it("onnxruntime-web's wasm EP (in Node, one thread) matches too", async () => {
    ortWeb.env.wasm.numThreads = 1;
    const session = await ortWeb.InferenceSession.create(exported, { executionProviders: ['wasm'] });
    const [b, n] = [3, 9];
    const { points, mask } = inputs(b, n);
    const y = (await session.run(feeds(ortWeb.Tensor as typeof ort.Tensor, points, mask, b, n))).points3d!;
    expect(y.dims).toEqual([b, n, 3]);
    expectClose(y.data as Float32Array, reference(points, mask, b, n), 1e-5, 'ort-web vs reference');
    expectClose(y.data as Float32Array, tfjs(points, mask, b, n), 1e-5, 'ort-web vs tfjs');
    await session.release();
  });

  it('is permutation-equivariant in onnxruntime as well', async () => {
    const session = await ort.InferenceSession.create(exported);
    const [b, n] = [2, 6];
    const { points, mask } = inputs(b, n);
    const perm = new Rng(1).permutation(n);
    const permuted = permutePoints(points, mask, perm, b, n);
    const run = async (p: Float32Array, m: Float32Array) =>
      (await session.run(feeds(ort.Tensor, p, m, b, n))).points3d!.data as Float32Array;
    const y = await run(points, mask);
    const py = await run(permuted.points, permuted.mask);
    expect(permutationError(y, py, mask, perm, b, n, 3)).toBeLessThan(5e-6);
    expect(permutationError(y, y, mask, perm, b, n, 3)).toBeGreaterThan(1e-3); // not a constant output
    await session.release();
  });
});
