/**
 * Issue 15: `lift` of a rig the model does not know (no rig, or a rig without bones) feeds the model
 * the kNN graph the training batcher builds — `knnAdjacency` of the normalised present points, with
 * the model's `knnK` — whatever the masked points hold.
 */
import { nd, normalizeKeypoints, Rng } from '@lfm/core';
import { DEFAULT_KNN_K, knnAdjacency } from '@lfm/datasets/preprocess';
import { exportLifter } from '@lfm/onnx';
import { defineRig } from '@lfm/rig';
import { describe, expect, it, vi } from 'vitest';
import type { ForwardInputs, Lifter } from './lifter.js';
import { loadLifter } from './node.js';
import { makeModel, randomMask, randomPixels } from './test-support/fixtures.js';

const N = 14;
const B = 6;

const boneless = defineRig({
  id: 'test-unknown-rig-graph',
  category: 'object',
  joints: Array.from({ length: N }, (_, j) => `p${j}`),
  bones: [],
  citation: 'test',
});

/** The adj the lifter hands its model for a lift. */
async function adjOf(lifter: Lifter, run: () => Promise<unknown>): Promise<Float32Array> {
  const spy = vi.spyOn(lifter, 'forward');
  try {
    await run();
    expect(spy).toHaveBeenCalledTimes(1);
    return (spy.mock.calls[0]![0] as ForwardInputs).adj!;
  } finally {
    spy.mockRestore();
  }
}

/** The training-side graph: core normalizeKeypoints, then knnAdjacency with k. */
function expected(xy: Float32Array, mask: Float32Array, k: number): Float32Array {
  const norm = normalizeKeypoints(nd(xy, [B, N, 2]), nd(mask, [B, N]));
  return knnAdjacency(norm.points, nd(mask, [B, N]), { k }).data;
}

describe('lift of an unknown rig: the graph is the training kNN graph', () => {
  const rng = new Rng(15);
  const pts = Array.from({ length: B }, () => randomPixels(rng, N));
  const masks = Array.from({ length: B }, () => randomMask(rng, N, 6, 0.75));
  const xy = new Float32Array(B * N * 2);
  const mask = new Float32Array(B * N);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < N; i++) {
      mask[b * N + i] = masks[b]![i]!;
      if (masks[b]![i]) xy.set(pts[b]![i]!, 2 * (b * N + i));
    }
  // What the user passes: masked points are null (missing), or hold garbage with an explicit mask.
  const withNulls = pts.map((p, b) => p.map((q, i) => (masks[b]![i] ? q : null)));
  const withGarbage = pts.map((p, b) =>
    p.map((q, i) => (masks[b]![i] ? q : ([9e5, -9e5] as [number, number]))),
  );

  for (const k of [DEFAULT_KNN_K, 3]) {
    it(`knnK ${k}: no rig, a boneless rig, garbage at masked points — all knnAdjacency(normalised, k)`, async () => {
      const model = makeModel({ attention: 'hybrid' }, 2);
      const bytes = k === DEFAULT_KNN_K ? model.bytes : exportLifter(model, { knnK: k });
      const lifter = await loadLifter(bytes);
      try {
        expect(lifter.info.usesAdjacency).toBe(true);
        expect(lifter.info.knnK).toBe(k);
        const want = Array.from(expected(xy, mask, k));
        const noRig = await adjOf(lifter, () => lifter.lift(withNulls, { camera: false }));
        expect(Array.from(noRig)).toEqual(want);
        const rig = await adjOf(lifter, () => lifter.lift(withNulls, { camera: false, rig: boneless }));
        expect(Array.from(rig)).toEqual(want);
        const garbage = await adjOf(lifter, () => lifter.lift(withGarbage, { camera: false, mask: masks }));
        expect(Array.from(garbage)).toEqual(want);
        // The check can fail: another k gives another graph on these points.
        const other = Array.from(expected(xy, mask, k + 2));
        expect(other).not.toEqual(want);
      } finally {
        await lifter.release();
      }
    });
  }
});
