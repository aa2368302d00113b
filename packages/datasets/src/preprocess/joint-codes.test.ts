import { describe, expect, it } from 'vitest';
import {
  anatomicalCodeRig,
  anatomicalCodeTable,
  borrowedCodeTable,
  JOINT_CODE_SCHEME,
  jointCode,
  jointCodeTable,
  writeJointCodes,
} from './joint-codes.js';

describe('joint codes', () => {
  it('are deterministic per (rig, joint), about unit length, and distinct between joints and rigs', () => {
    expect(JOINT_CODE_SCHEME).toBe('fnv1a-normal-v1');
    const a = jointCode('h36m-body', 'lknee', 32);
    expect(jointCode('h36m-body', 'lknee', 32)).toEqual(a);
    const norm = Math.hypot(...a);
    expect(norm).toBeGreaterThan(0.6);
    expect(norm).toBeLessThan(1.4);
    const cos = (x: Float32Array, y: Float32Array) =>
      x.reduce((s, v, i) => s + v * y[i]!, 0) / (Math.hypot(...x) * Math.hypot(...y));
    // Mirror partners and the same name in another rig get unrelated codes.
    expect(Math.abs(cos(a, jointCode('h36m-body', 'rknee', 32)))).toBeLessThan(0.6);
    expect(Math.abs(cos(a, jointCode('cmu-body', 'lknee', 32)))).toBeLessThan(0.6);
    expect(() => jointCode('r', 'j', 0)).toThrow(/integer ≥ 1/);
  });

  it('pin the construction: a changed hash or generator would silently break shipped models', () => {
    // FNV-1a("h36m-body/hip") seeds core's Rng; these values are what every exported model was trained with.
    const c = jointCode('h36m-body', 'hip', 4);
    const again = jointCodeTable('h36m-body', ['hip', 'rhip'], 4);
    expect(Array.from(again.subarray(0, 4))).toEqual(Array.from(c));
    expect(Array.from(c).map((v) => Number(v.toFixed(4)))).toEqual([-0.329, -0.4655, 0.134, 0.4963]);
  });

  it('writeJointCodes: table rows by slot, zeros for padding slots and for an unknown rig', () => {
    const table = jointCodeTable('rig', ['a', 'b', 'c'], 2);
    const out = new Float32Array(4 * 2).fill(9);
    writeJointCodes(out, [2, -1, 0, 1], table, 2);
    expect(Array.from(out)).toEqual([
      ...table.subarray(4, 6),
      0,
      0,
      ...table.subarray(0, 2),
      ...table.subarray(2, 4),
    ]);
    writeJointCodes(out, [2, -1, 0, 1], null, 2);
    expect(out.every((v) => v === 0)).toBe(true);
    expect(() => writeJointCodes(out, [3, 0, 0, 0], table, 2)).toThrow(/names joint 3, but the table has 3/);
    expect(() => writeJointCodes(new Float32Array(3), [0, 1], table, 2)).toThrow(/expected N·k/);
  });

  it("borrowedCodeTable: row j is the source joint map[j]'s code, zeros where map[j] < 0", () => {
    const t = borrowedCodeTable('h36m-body', ['hip', 'lknee', 'rknee'], [2, -1, 0, 1], 3);
    expect(t.length).toBe(12);
    expect(Array.from(t.subarray(0, 3))).toEqual(Array.from(jointCode('h36m-body', 'rknee', 3)));
    expect(Array.from(t.subarray(3, 6))).toEqual([0, 0, 0]);
    expect(Array.from(t.subarray(6, 9))).toEqual(Array.from(jointCode('h36m-body', 'hip', 3)));
    expect(Array.from(t.subarray(9, 12))).toEqual(Array.from(jointCode('h36m-body', 'lknee', 3)));
    expect(() => borrowedCodeTable('h36m-body', ['hip'], [1], 3)).toThrow(
      /maps to 1, not a joint of h36m-body/,
    );
  });

  it('anatomicalCodeTable: keyed joints share the category code, others the rig code or zeros; `known` limits the keys', () => {
    const joints = ['lknee', 'rknee', 'tail', 'lknee_dup'];
    const keys = ['l:knee', 'r:knee', undefined, 'l:knee'];
    const row = (t: Float32Array, j: number) => Array.from(t.subarray(3 * j, 3 * j + 3));
    const t = anatomicalCodeTable('rig-a', joints, keys, 'toy', 3);
    expect(row(t, 0)).toEqual(Array.from(jointCode(anatomicalCodeRig('toy'), 'l:knee', 3)));
    expect(row(t, 2)).toEqual(Array.from(jointCode('rig-a', 'tail', 3)));
    expect(row(t, 3)).toEqual(Array.from(jointCode('rig-a', 'lknee_dup', 3))); // a key taken: the rig's code
    // Another rig of the category shares the keyed rows.
    expect(row(anatomicalCodeTable('rig-b', ['LeftKnee'], ['l:knee'], 'toy', 3), 0)).toEqual(row(t, 0));
    const z = anatomicalCodeTable('rig-a', joints, keys, 'toy', 3, {
      unkeyed: 'zeros',
      known: new Set(['r:knee']),
    });
    expect([0, 2, 3].map((j) => row(z, j))).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(row(z, 1)).toEqual(row(t, 1));
    expect(() => anatomicalCodeTable('rig-a', joints, keys.slice(1), 'toy', 3)).toThrow(
      /3 keys for 4 joints/,
    );
  });
});
