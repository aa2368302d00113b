import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { bvhForwardKinematics, parseBvh } from './bvh.js';
import { loadDataset } from './dataset.js';
import { parseMat } from './mat.js';
import { parseNpy } from './npy.js';
import { HAVE_NATIVE, HAVE_SHARED_DATA, NATIVE_DIR, SHARED_DATA_DIR } from './test-support/shared-data.js';

// `npx vitest bench --run packages/datasets` (needs ../shared/data).
describe.skipIf(!HAVE_SHARED_DATA)('loadDataset', () => {
  bench('h36m-body (86062 × 17 × 3, 17.6 MB)', async () => {
    await loadDataset(join(SHARED_DATA_DIR, 'h36m-body'));
  });
  bench('aflw-face (2000 sequences)', async () => {
    await loadDataset(join(SHARED_DATA_DIR, 'aflw-face'));
  });
});

describe.skipIf(!HAVE_NATIVE)('native parsers (bytes already in memory)', () => {
  const read = (f: string) => (HAVE_NATIVE ? readFileSync(join(NATIVE_DIR, f)) : Buffer.alloc(0));
  const dog = read('D1_010_KAN01_002.bvh').toString('utf8');
  const drink = new Uint8Array(read('drink.mat'));
  const npy = new Uint8Array(read('AFLW2000-3D.pts68.npy'));
  bench('parseBvh + FK, MANN dog (155 frames × 27 nodes)', () => {
    bvhForwardKinematics(parseBvh(dog));
  });
  bench('parseMat drink.mat (9 compressed variables, 2.7 MB)', () => {
    parseMat(drink);
  });
  bench('parseNpy AFLW2000-3D (1.6 MB)', () => {
    parseNpy(npy);
  });
});
