// node examples/code/runtime.mjs (from the repository root; after pnpm build)
import { loadLifter } from '@lfm/runtime/node'; // '@lfm/runtime/web' in a browser (URL or bytes)

const lifter = await loadLifter('models/lfm.onnx'); // a path, or the model bytes
// COCO-17 keypoints in pixels, [x, y] or null (missing):
// biome-ignore format: head, arms, legs
const points = [
  [779, 276.2], [777, 266.2], [788.5, 272.3], null, [803.8, 275.5],
  [747.3, 296.9], [817.3, 303.2], [707.4, 296.3], [845.1, 353.5], [669.8, 259.9], [883.6, 332.6],
  [760.2, 410.5], [800.6, 409.4], [774.6, 415.5], [801.2, 488.7], [791.4, 422], [821.5, 429.1],
];
const r = await lifter.lift(points, { rig: 'coco-17' });
console.log(r.points3d); // [N][3] canonical shape (null where missing)
console.log(r.camera); // { kind: 'ortho', R, s, t, rmse }: s·(R X)xy + t ≈ the input pixels

const camera = { kind: 'persp', focal: 1000, cx: 960, cy: 540 };
const persp = await lifter.lift(points, { rig: 'coco-17', camera });
console.log(persp.pointsCamera); // [N][3] R X + t, in front of the camera (the scale is unknowable)

// A batch: one result each; samples may differ in N (the second: the head and arms, no rig → kNN graph).
const batch = await lifter.lift([points, points.slice(0, 11)], { rig: ['coco-17', undefined] });
console.log(batch.map((b) => b.points3d.length)); // [17, 11]
await lifter.release();
