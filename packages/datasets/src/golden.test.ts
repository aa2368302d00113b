import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AugmentOptions } from './augment.js';
import { type BatchSource, createBatcher } from './batcher.js';
import { createProceduralDatasets } from './procedural.js';
import { batchesHash, big, body, chainRig, face as plainFace } from './test-support/batches.js';
import { fakeDataset } from './test-support/datasets.js';

/*
 * Golden hashes of the batch pipeline, recorded from the batcher before `drawSample` was split into
 * named stages (issue 20): a refactor of the pipeline must keep every array of every batch
 * bit-identical for the same seed (a resumed training run replays the same random draws).
 * A change that is meant to change the batches must say so and re-record these.
 */

/** sha256 of every array of `count` batches from batch `start` on. */
function batchHashes(options: Parameters<typeof createBatcher>[0], count: number, start = 0): string {
  const bt = createBatcher(options);
  bt.seek(start);
  return batchesHash(bt, count);
}

const face = { ...plainFace, symmetry: [[0, 1] as const, [2, 7] as const, [4, 29] as const] };
const perSequence = {
  ...fakeDataset({ name: 'markers', J: 8, F: 20, edges: [], seed: 4 }),
  symmetry: [[0, 1] as const],
  sequences: [
    { id: 'a', start: 0, count: 10, split: 'train' as const, edges: [[0, 5]] as const },
    { id: 'b', start: 10, count: 10, split: 'train' as const, edges: [[1, 2]] as const },
  ],
};
const rig = chainRig('test-golden-chain', 17, [
  [1, 2],
  [3, 5],
  [10, 16],
]);
const mixed: BatchSource[] = [
  { dataset: body, rig },
  { dataset: face },
  { dataset: big, weight: 2 },
  { dataset: perSequence },
];
const everyStage: AugmentOptions = {
  cameras: ['pinhole', 'weak-perspective', 'orthographic'],
  noise: { std: 0.01 },
  occlusion: { maxFraction: 0.5 },
  subset: { probability: 0.3, minPoints: 4 },
  mirror: { probability: 0.5 },
  boneScale: { probability: 0.5 },
  rearticulate: { probability: 0.5, maxAngle: 40 },
  anisotropic: { probability: 0.5 },
  knnGraph: { probability: 0.3 },
};

describe('createBatcher: golden batches (bit-identical across refactors)', () => {
  it('the default augment, no rig', () => {
    const sources = [{ dataset: body }, { dataset: face }, { dataset: big }];
    expect(batchHashes({ sources, batchSize: 16, maxPoints: 32, seed: 1 }, 50)).toBe(
      '38b7fd8c83fb0444ccd76e18399ef5977044ed2b98e09b499f85ff6ca544e06b',
    );
  });

  it('every augmentation stage on, with mirror pairs and the kNN graph', () => {
    const options = { sources: mixed, batchSize: 16, maxPoints: 24, seed: 5, augment: everyStage, knn: 3 };
    expect(batchHashes({ ...options, pairs: true }, 50)).toBe(
      '06a031f100965512ac75d7492f3035b9c42baeada4237ae0d60185166c517493',
    );
  });

  it('no rotation, no permutation, pixel noise, seeked', () => {
    const augment: AugmentOptions = { rotation: 'none', permute: false, noise: { std: 2, units: 'pixels' } };
    const bt = { sources: mixed, batchSize: 8, maxPoints: 12, seed: 9, augment };
    expect(batchHashes(bt, 50, 1000)).toBe(
      'c3517ef362e420ff24d49616ee537357f9395314b027f5fc80de1da87dbf3e3f',
    );
  });

  it('procedural species, the shape-space recipe, mirror pairs', () => {
    const species = createProceduralDatasets({ seed: 3, creatures: 4, rigid: 3, framesPerSpecies: 20 });
    const sources = species.map((dataset) => ({ dataset }));
    const augment: AugmentOptions = { ...everyStage, noise: { std: 0.005 }, knnGraph: { probability: 0.5 } };
    expect(batchHashes({ sources, batchSize: 16, maxPoints: 40, seed: 11, augment, pairs: true }, 50)).toBe(
      'af286473c16447d78e92dbd13ac3a5e51acb48656979fa8a19990f337f9bc8c1',
    );
  });
});

describe('createProceduralDatasets: golden species (bit-identical across refactors)', () => {
  it('every field of every species', () => {
    const h = createHash('sha256');
    const options = [
      {},
      { seed: 7, creatures: 12, rigid: 12, framesPerSpecies: 5, minJoints: 3, maxJoints: 40 },
    ];
    for (const o of options) {
      for (const d of createProceduralDatasets(o)) {
        const { points, rest, ...rest2 } = d;
        h.update(JSON.stringify(rest2));
        for (const a of [points, rest]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      }
    }
    expect(h.digest('hex')).toBe('c1e112915800f6405fa0c23edf455bfac610fa119b7b9d5cc3ad7985e6bebea1');
  });
});
