import { DataFormatError } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_KNN_K,
  JOINT_CODE_SCHEME,
  LIFTER_METADATA_KEYS as K,
  LIFTER_FORMAT,
  LIFTER_FORMAT_VERSION,
  LifterFormatError,
  parseLifterMetadata,
} from './index.js';

// The contract decoded from hand-written metadata: no exporter needed (this package has no
// dependency on the packages that write models; `@lfm/onnx` export.test.ts round-trips real ones).

const spec = (name: string, dims: (number | string)[]) => ({ name, dims });
const normalize = {
  center: 'visible-mean',
  scale: 'max-abs',
  range: [-1, 1],
  keepAspect: true,
  implementation: 'x',
};

function metadata(
  config: Record<string, unknown>,
  inputs: string[],
  pre: Record<string, unknown> = {},
): Record<string, string> {
  return {
    [K.format]: `${LIFTER_FORMAT}/${LIFTER_FORMAT_VERSION}`,
    [K.config]: JSON.stringify(config),
    [K.io]: JSON.stringify({
      inputs: inputs.map((n) => spec(n, ['B', 'N'])),
      outputs: [spec('points3d', ['B', 'N', 3])],
    }),
    [K.preprocess]: JSON.stringify({ normalize, adjacency: null, ...pre }),
  };
}

const adjacency = {
  bones: 'rig-bones-between-present-points',
  noBones: 'knn',
  knnK: DEFAULT_KNN_K,
  symmetric: true,
  selfLoops: 'all-slots',
  implementation: 'x',
};

describe('parseLifterMetadata', () => {
  it('reads a global-attention lifter without optional inputs', () => {
    const info = parseLifterMetadata(metadata({ attention: 'global' }, ['points', 'mask']));
    expect(info.formatVersion).toBe(LIFTER_FORMAT_VERSION);
    expect(info.usesAdjacency).toBe(false);
    expect(info.jointCodes).toBeNull();
    expect(info.mirrorPairs).toBe(false);
    expect(info.config.dModel).toBe(128);
    expect(info.maxPoints).toBeUndefined();
    expect(
      parseLifterMetadata({ ...metadata({ attention: 'global' }, ['points', 'mask']), [K.maxPoints]: '68' })
        .maxPoints,
    ).toBe(68);
  });

  it('reads adjacency, joint codes with tables, and mirror pairs', () => {
    const meta = metadata({ jointCodes: 2, mirrorPairs: true }, ['points', 'mask', 'adj', 'codes', 'pairs'], {
      adjacency,
      jointCodes: {
        scheme: JOINT_CODE_SCHEME,
        k: 2,
        rigs: ['h36m-17'],
        unknown: 'zeros',
        implementation: 'x',
        tables: { mine: { joints: ['a', 'b'], codes: [1, 2, 3, 4] } },
      },
      mirrorPairs: { source: 'rig-mirror-pairs', unknown: 'zeros', implementation: 'x' },
    });
    const info = parseLifterMetadata(meta);
    expect(info.usesAdjacency).toBe(true);
    expect(info.knnK).toBe(DEFAULT_KNN_K);
    expect(info.mirrorPairs).toBe(true);
    expect(info.jointCodes?.rigs).toEqual(['h36m-17']);
    expect(info.jointCodes?.tables?.mine?.joints).toEqual(['a', 'b']);
    expect([...info.jointCodes!.tables!.mine!.codes]).toEqual([1, 2, 3, 4]);
  });

  it('rejects what it cannot run, as LifterFormatError (a DataFormatError) naming the source', () => {
    const bad = (meta: Record<string, string>, message: RegExp) => {
      let err: unknown;
      try {
        parseLifterMetadata(meta, 'm.onnx');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LifterFormatError);
      expect(err).toBeInstanceOf(DataFormatError);
      expect((err as Error).message).toMatch(message);
    };
    const ok = metadata({ attention: 'global' }, ['points', 'mask']);
    bad({}, /not an LFM lifter/);
    bad(
      { ...ok, [K.format]: `${LIFTER_FORMAT}/${LIFTER_FORMAT_VERSION + 1}` },
      /newer than this build reads/,
    );
    bad({ ...ok, [K.config]: '{"dModel":-1}' }, /'lfm.config' is invalid/);
    bad(metadata({ attention: 'global' }, ['points']), /expected \[points, mask\]/);
    bad(metadata({ attention: 'global', mirrorPairs: true }, ['points', 'mask', 'pairs']), /mirror pairs/);
    const codes = (tables: unknown, k = 2) =>
      metadata({ attention: 'global', jointCodes: 2 }, ['points', 'mask', 'codes'], {
        jointCodes: { scheme: JOINT_CODE_SCHEME, k, rigs: [], unknown: 'zeros', implementation: 'x', tables },
      });
    bad(codes({ mine: { joints: ['a'], codes: [1, 2, 3] } }), /1·2 = 2 finite numbers/);
    bad(codes([]), /joint-code tables must be an object/);
    bad(codes({ mine: { joints: [], codes: [] } }), /rig 'mine' needs joints: a list of joint names/);
    bad(codes({ mine: { joints: ['a'], codes: [1, Number.NaN] } }), /rig 'mine' needs codes/);
    bad(codes(undefined, 3), /joint codes this build does not implement/);
    bad({ ...ok, [K.io]: '{"inputs": [{"name": "points"}], "outputs": []}' }, /'lfm.io' must be \{ inputs/);
    bad({ ...ok, [K.io]: '{"inputs": [' }, /'lfm.io' is not valid JSON/);
    bad(
      metadata({ attention: 'global' }, ['points', 'mask'], { normalize: { ...normalize, scale: 'std' } }),
      /a normalisation this build does not implement/,
    );
    bad(metadata({}, ['points', 'mask', 'adj'], { adjacency: { ...adjacency, knnK: 0 } }), /an adjacency/);
    bad({ ...ok, [K.maxPoints]: '1.5' }, /'lfm.max_points' must be a positive integer, got "1.5"/);
    bad({ ...ok, [K.maxPoints]: '0' }, /must be a positive integer/);
    bad(
      { ...metadata({ attention: 'global', maxPoints: 17 }, ['points', 'mask']), [K.maxPoints]: '16' },
      /'lfm.max_points' \(16\) disagrees with the config's maxPoints \(17\)/,
    );
  });
});
