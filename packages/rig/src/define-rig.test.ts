import { LfmError } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { defineRig, isRig, type RigSpecInput, specsEqual } from './define-rig.js';
import { PointsShapeError, RigError, RigSpecError, UnknownJointError } from './errors.js';

const toy: RigSpecInput = {
  id: 'toy-5',
  category: 'toy',
  joints: ['head', 'neck', 'l_hand', 'r_hand', 'pelvis'],
  bones: [
    ['head', 'neck'],
    ['neck', 'l_hand'],
    ['r_hand', 'neck'],
    ['neck', 'pelvis'],
  ],
  mirror: [['l_hand', 'r_hand']],
  citation: 'test fixture',
};

function specError(spec: unknown): RigSpecError {
  try {
    defineRig(spec as RigSpecInput);
  } catch (err) {
    expect(err).toBeInstanceOf(RigSpecError);
    expect(err).toBeInstanceOf(RigError);
    expect(err).toBeInstanceOf(LfmError);
    expect((err as RigSpecError).name).toBe('RigSpecError');
    expect((err as RigSpecError).code).toBe('E_RIG_SPEC');
    return err as RigSpecError;
  }
  throw new Error('defineRig did not throw');
}

describe('defineRig: derived data', () => {
  const rig = defineRig(toy);

  it('indexes joints, bones and mirror partners', () => {
    expect(rig.numJoints).toBe(5);
    expect([...rig.jointIndex]).toEqual([
      ['head', 0],
      ['neck', 1],
      ['l_hand', 2],
      ['r_hand', 3],
      ['pelvis', 4],
    ]);
    expect(rig.boneIndices).toEqual([
      [0, 1],
      [1, 2],
      [3, 1],
      [1, 4],
    ]);
    expect(rig.mirrorIndex).toEqual([0, 1, 3, 2, 4]);
    expect(rig.neighbours).toEqual([[1], [0, 2, 3, 4], [1], [1], [1]]);
    expect(rig.indexOf('pelvis')).toBe(4);
  });

  it('builds a symmetric adjacency, with self loops and padding on request', () => {
    const A = rig.adjacency();
    expect(A).toBeInstanceOf(Uint8Array);
    expect(A.length).toBe(25);
    let edges = 0;
    for (let i = 0; i < 5; i++) {
      expect(A[i * 5 + i]).toBe(0);
      for (let j = 0; j < 5; j++) {
        expect(A[i * 5 + j]).toBe(A[j * 5 + i]);
        edges += A[i * 5 + j]!;
      }
    }
    expect(edges).toBe(2 * rig.boneIndices.length);
    expect(A[3 * 5 + 1]).toBe(1);
    expect(A[2 * 5 + 3]).toBe(0);

    const S = rig.adjacency({ selfLoops: true });
    for (let i = 0; i < 5; i++) expect(S[i * 5 + i]).toBe(1);

    const P = rig.adjacency({ selfLoops: true, size: 7 });
    expect(P.length).toBe(49);
    expect(P[1 * 7 + 4]).toBe(1);
    expect(P[5 * 7 + 5]).toBe(0); // padded rows stay empty
    expect(P.reduce((s, v) => s + v, 0)).toBe(2 * 4 + 5);
    expect(() => rig.adjacency({ size: 4 })).toThrow(PointsShapeError);

    A[0] = 9; // a fresh copy each call
    expect(rig.adjacency()[0]).toBe(0);
  });

  it('is frozen all the way down', () => {
    expect(Object.isFrozen(rig)).toBe(true);
    expect(Object.isFrozen(rig.spec)).toBe(true);
    expect(Object.isFrozen(rig.spec.bones[0])).toBe(true);
    expect(Object.isFrozen(rig.mirrorIndex)).toBe(true);
    expect(() => {
      (rig as { id: string }).id = 'x';
    }).toThrow(TypeError);
    expect(() => (rig.joints as string[]).push('tail')).toThrow(TypeError);
    expect(() => (rig.jointIndex as Map<string, number>).set('tail', 5)).toThrow(TypeError);
    expect(rig.jointIndex.size).toBe(5);
  });

  it('normalises the spec: specVersion 1, bones and mirror default to []', () => {
    expect(rig.spec.specVersion).toBe(1);
    const bare = defineRig({ id: 'dots', category: 'points', joints: ['a', 'b'], citation: 'none' });
    expect(bare.spec).toEqual({
      specVersion: 1,
      id: 'dots',
      category: 'points',
      joints: ['a', 'b'],
      bones: [],
      mirror: [],
      citation: 'none',
    });
    expect(bare.mirrorIndex).toEqual([0, 1]);
    expect(bare.neighbours).toEqual([[], []]);
    expect(bare.adjacency({ selfLoops: true })).toEqual(new Uint8Array([1, 0, 0, 1]));
  });

  it('round-trips through JSON and is recognised by isRig', () => {
    const again = defineRig(JSON.parse(JSON.stringify(rig)));
    expect(specsEqual(again.spec, rig.spec)).toBe(true);
    expect(isRig(rig)).toBe(true);
    expect(isRig(rig.spec)).toBe(false);
    expect(isRig({ ...rig })).toBe(false); // the brand is not copied by spreading
    expect(defineRig(rig)).toBe(rig);
  });

  it('indexOf names close joints for an unknown one', () => {
    expect(() => rig.indexOf('l_hnd')).toThrow(UnknownJointError);
    expect(() => rig.indexOf('l_hnd')).toThrow(/no joint 'l_hnd'.*did you mean 'l_hand'/);
  });
});

describe('defineRig: validation errors', () => {
  it('rejects an unknown joint name in a bone, suggesting the close one', () => {
    const e = specError({ ...toy, bones: [['head', 'nek']] });
    expect(e.message).toMatch(/invalid rig 'toy-5'.*bone #0 \['head', 'nek'\]: unknown joint 'nek'/);
    expect(e.message).toMatch(/did you mean 'neck'/);
  });

  it('rejects an unknown joint name in a mirror pair', () => {
    const e = specError({ ...toy, mirror: [['l_hand', 'right_hand']] });
    expect(e.message).toMatch(/mirror pair #0 \['l_hand', 'right_hand'\]: unknown joint 'right_hand'/);
  });

  it('rejects duplicate joint names', () => {
    const e = specError({ ...toy, joints: [...toy.joints, 'neck'] });
    expect(e.message).toMatch(/joint 'neck' is listed twice in joints \(indices 1 and 5\)/);
  });

  it('rejects a bone from a joint to itself', () => {
    const e = specError({ ...toy, bones: [['neck', 'neck']] });
    expect(e.message).toMatch(/bone #0 \['neck', 'neck'\] connects 'neck' to itself/);
  });

  it('rejects a duplicate bone, in either direction', () => {
    const same = specError({ ...toy, bones: [...(toy.bones ?? []), ['head', 'neck']] });
    expect(same.message).toMatch(/bone #4 \['head', 'neck'\] repeats bone #0 \['head', 'neck'\]/);
    const reversed = specError({ ...toy, bones: [...(toy.bones ?? []), ['neck', 'head']] });
    expect(reversed.message).toMatch(/bone #4 \['neck', 'head'\] repeats bone #0/);
  });

  it('rejects a joint mirrored to itself', () => {
    const e = specError({ ...toy, mirror: [['head', 'head']] });
    expect(e.message).toMatch(/mirror pair #0 \['head', 'head'\] pairs 'head' with itself/);
  });

  it('rejects a joint in two mirror pairs', () => {
    const e = specError({
      ...toy,
      mirror: [
        ['l_hand', 'r_hand'],
        ['pelvis', 'l_hand'],
      ],
    });
    expect(e.message).toMatch(/joint 'l_hand' is in mirror pairs #0 and #1/);
    const twice = specError({
      ...toy,
      mirror: [
        ['l_hand', 'r_hand'],
        ['r_hand', 'l_hand'],
      ],
    });
    expect(twice.message).toMatch(/is in mirror pairs #0 and #1/);
  });

  it('collects every problem in one error', () => {
    const e = specError({
      ...toy,
      joints: [...toy.joints, 'head'],
      bones: [
        ['neck', 'neck'],
        ['head', 'tail'],
      ],
      mirror: [['pelvis', 'pelvis']],
    });
    expect(e.problems).toHaveLength(4);
    for (const p of e.problems) expect(e.message).toContain(p);
  });

  it('rejects malformed fields with what was expected', () => {
    expect(specError(null).message).toMatch(/expected an object/);
    expect(specError([toy]).message).toMatch(/expected an object/);
    expect(specError({ ...toy, specVersion: 2 }).message).toMatch(/specVersion 2 is not supported.*upgrade/);
    expect(specError({ ...toy, id: 'has space' }).message).toMatch(/id must be a non-empty string/);
    expect(specError({ ...toy, category: '' }).message).toMatch(/category must be/);
    expect(specError({ ...toy, joints: [] }).message).toMatch(/joints must be a non-empty array/);
    expect(specError({ ...toy, joints: ['a', 3] }).message).toMatch(/joints must be/);
    expect(specError({ ...toy, bones: [['head']] }).message).toMatch(/bones must be an array of \[jointName/);
    expect(specError({ ...toy, mirror: 'l_hand' }).message).toMatch(/mirror must be an array/);
    expect(specError({ ...toy, citation: undefined }).message).toMatch(/citation must be a non-empty string/);
    expect(specError({ ...toy, units: 3 }).message).toMatch(/units must be a string/);
    expect(specError({ ...toy, mirrors: [] }).message).toMatch(
      /unknown field 'mirrors' \(did you mean 'mirror'/,
    );
  });
});
