// node examples/code/batches.mjs (from the repository root; after pnpm build)
import { createBatcher, loadDataset } from '@lfm/datasets';

const human = await loadDataset('data/demo-shapes/demo-human'); // real data: '../shared/data/h36m-body'
const face = await loadDataset('data/demo-shapes/demo-face');
const batcher = createBatcher({
  sources: [{ dataset: human }, { dataset: face, split: 'train' }], // optional rig, category, weight
  batchSize: 64,
  maxPoints: 72, // N ≥ the largest J (the face's 68)
  seed: 1,
  augment: { noise: { std: 0.01 }, occlusion: { maxFraction: 0.4 } }, // over DEFAULT_AUGMENT
  sampling: { categoryTemperature: 0, categoryWeights: { face: 2 } }, // P(category) ∝ w · n^α
});
const b = batcher.next(); // views of preallocated arrays, overwritten by the next call
b.points2d; // [B, N, 2] normalised (core normalizeKeypoints), 0 where masked
b.mask; // [B, N] 1 = visible, 0 = occluded / padding
b.adj; // [B, N, N] bones (permuted with the points) or kNN; diagonal always 1
b.target3d; // [B, N, 3] loss target (below)
b.info; // source, frame, jointIndex [B, N], center2d/scale2d, center3d/scale3d, rotation/translation …
console.log(b.batchSize, b.maxPoints, b.info.source.slice(0, 8)); // 64 72, and the source of each sample
batcher.seek(1000); // batch k depends only on (seed, k): resume without replaying
