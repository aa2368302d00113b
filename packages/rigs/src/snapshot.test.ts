import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { builtinRigs } from './index.js';

/*
 * Every built-in rig's full definition, hashed before the rigs were rebuilt from shared joint lists
 * (issue 20): ids, joint names and order, bones (order and direction), mirror pairs, category,
 * citation, description and units must stay exactly as they were. A deliberate change to a rig
 * re-records its hash (`LFM_RECORD_RIGS=1` prints them; and, being a user-visible change, gets a changeset).
 */
const SNAPSHOT: readonly (readonly [string, string])[] = [
  ['coco-17', '9cc37693a4608dd1'],
  ['coco-wholebody-133', '38c7e153a581d072'],
  ['h36m-17', '1d2639dbf279ac2d'],
  ['hand-21', 'e3e62e168e4bdc19'],
  ['ibug-face-68', '1da3d5930ecc559e'],
  ['mediapipe-pose-33', '71a921c55fa77b61'],
  ['openpose-body-25', '53f453e8784671d9'],
  ['openpose-coco-18', '5b9f41ec47601e86'],
  ['aflw-face', '91e5492d4a9fe7c3'],
  ['akhter-dance', '49305d2fdea1cf04'],
  ['akhter-markers', '9776ec83994f8e10'],
  ['akhter-markers-drink', '3fd2aeea4d1e9182'],
  ['akhter-markers-pickup', '9f256a8fa9c06072'],
  ['akhter-markers-stretch', '66106eabe76be011'],
  ['bandai-body', 'cd103d54ddd458e2'],
  ['cmu-body', 'a119eacc780fed81'],
  ['dog-body', 'f7447ed9d8832bb6'],
  ['frgc-face', '782ecaee75d55607'],
  ['h36m-body', '05e49910e293ae76'],
  ['h36m-cams', '915df0ed766b7efb'],
  ['pascal3d-aeroplane', '97e7d6087196745c'],
  ['pascal3d-bicycle', '939b673c4c788da3'],
  ['pascal3d-boat', '3623e160dce13f3f'],
  ['pascal3d-bottle', 'cff65de1b4f64fbc'],
  ['pascal3d-bus', 'ab3a6eaa84001b8b'],
  ['pascal3d-chair', '1dbf0219577de451'],
  ['pascal3d-sofa', '6626d2f928a11ffa'],
  ['realworld-hand', 'deaae8eff864f3b2'],
  ['torresani-face', 'ce0869fce30b510d'],
  ['torresani-shark', '615508b8b53d886a'],
  ['torresani-walking', '1d4e50735fc495c0'],
];

const definitionHash = (rig: (typeof builtinRigs)[number]): string =>
  createHash('sha256')
    .update(JSON.stringify({ spec: rig, boneIndices: rig.boneIndices, mirrorIndex: rig.mirrorIndex }))
    .digest('hex')
    .slice(0, 16);

describe('built-in rigs: definitions unchanged', () => {
  it('every rig, in order, hashes to its recorded definition', () => {
    const hashes = builtinRigs.map((rig) => [rig.id, definitionHash(rig)]);
    if (process.env.LFM_RECORD_RIGS) console.log(JSON.stringify(hashes));
    expect(hashes).toEqual(SNAPSHOT);
  });
});
