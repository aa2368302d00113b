import { createHash } from 'node:crypto';
import { defineRig, type Rig } from '@lfm/rig';
import type { AugmentOptions } from '../augment.js';
import { type Batcher, type BatchSource, createBatcher } from '../batcher.js';
import { fakeDataset } from './datasets.js';

/** Augmentation with noise, occlusion and subsets off (rotation, cameras and permutation at their defaults). */
export const CLEAN: AugmentOptions = {
  noise: { std: 0 },
  occlusion: { probability: 0, maxFraction: 0 },
  subset: { probability: 0 },
};

/** The batcher tests' sources: a 17-joint chain body, a bone-less face with missing joints, a 91-joint shark. */
export const body = fakeDataset({ name: 'body', category: 'human', J: 17, F: 60, seed: 1 });
export const face = fakeDataset({
  name: 'face',
  category: 'face',
  J: 30,
  F: 25,
  edges: [],
  seed: 2,
  missing: 0.1,
});
export const big = fakeDataset({ name: 'shark', category: 'fish', J: 91, F: 10, edges: [], seed: 3 });

export function batcher(
  sources: BatchSource[],
  augment: AugmentOptions = {},
  seed = 1,
  B = 16,
  N = 32,
): Batcher {
  return createBatcher({ sources, batchSize: B, maxPoints: N, augment, seed });
}

/** A rig of J joints j0 … j(J−1) with the chain bones j0–j1–…, and mirror pairs of joint indices. */
export function chainRig(id: string, J: number, mirror: readonly (readonly [number, number])[] = []): Rig {
  return defineRig({
    id,
    category: 'human',
    joints: Array.from({ length: J }, (_, j) => `j${j}`),
    bones: Array.from({ length: J - 1 }, (_, j) => [`j${j}`, `j${j + 1}`] as const),
    mirror: mirror.map(([a, b]) => [`j${a}`, `j${b}`] as const),
    citation: 'test',
  });
}

/** sha256 of every array of the next `count` batches (bytes, in a fixed order; `pairs` when present). */
export function batchesHash(bt: Batcher, count: number): string {
  const h = createHash('sha256');
  for (let k = 0; k < count; k++) {
    const b = bt.next();
    const arrays = [b.points2d, b.mask, b.adj, b.target3d, ...(b.pairs ? [b.pairs] : [])];
    // `mirrored` came after these hashes were pinned: left out, so they still pin every earlier array.
    const info = Object.entries(b.info).filter(([key]) => key !== 'mirrored');
    for (const a of [...arrays, ...info.map(([, v]) => v)]) {
      const v = a as ArrayBufferView;
      h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    }
  }
  return h.digest('hex');
}
