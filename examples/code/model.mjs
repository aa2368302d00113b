// node examples/code/model.mjs (from the repository root; after pnpm build)
import { createReferenceOps, createReferenceParams, refTensor } from '@lfm/core/testing';
import { forwardLifter, initParameters, parameterShapes, resolveLifterConfig } from '@lfm/model';
import { loadCheckpoint, saveCheckpoint } from '@lfm/model/node';

const config = resolveLifterConfig({ dModel: 32, layers: 2, heads: 4 }); // every other field: its default
const params = initParameters(config); // { name: Float32Array }, seeded per parameter name
await saveCheckpoint('runs/examples/model.ckpt', { config, params }); // written atomically
const ckpt = await loadCheckpoint('runs/examples/model.ckpt');

// One forward pass on the Float64 reference engine of @lfm/core/testing (@lfm/core/tfjs: on tfjs).
const ops = createReferenceOps();
const shapes = new Map(parameterShapes(config).map((s) => [s.name, s.shape]));
const p = createReferenceParams(
  Object.fromEntries(Object.entries(ckpt.params).map(([k, v]) => [k, refTensor(v, shapes.get(k))])),
);
const inputs = {
  points: refTensor([-1, 0, -0.3, 0.4, 0.3, 0.4, 1, 0], [1, 4, 2]), // [B, N, 2], normalised 2D
  mask: refTensor([1, 1, 1, 1], [1, 4]), // [B, N] 1 = visible
  adj: refTensor([1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1], [1, 4, 4]), // a chain, self loops
};
const out = forwardLifter(ops, p, inputs, ckpt.config);
console.log(out.shape); // [1, 4, 3]: the 3D points
