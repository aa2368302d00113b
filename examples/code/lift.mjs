// node examples/code/lift.mjs (from the repository root; after pnpm build)
import { loadLifter } from '@lfm/runtime/node';

const lifter = await loadLifter('models/lfm.onnx'); // a path, or the model bytes
// One person's COCO-17 keypoints in pixels (the second detection in examples/coco-body.json):
// biome-ignore format: head, arms, legs
const points = [
  [779, 276.2], [777, 266.2], [788.5, 272.3], null /* missing */, [803.8, 275.5],
  [747.3, 296.9], [817.3, 303.2], [707.4, 296.3], [845.1, 353.5], [669.8, 259.9], [883.6, 332.6],
  [760.2, 410.5], [800.6, 409.4], [774.6, 415.5], [801.2, 488.7], [791.4, 422], [821.5, 429.1],
];
const r = await lifter.lift(points, { rig: 'coco-17' }); // one input → one result; a batch → a list
console.log(r.points3d); // [17][3], null where missing
console.log(r.camera); // { kind: 'ortho', R, s, t, rmse }: s·(R X)xy + t ≈ the input pixels
await lifter.release();
