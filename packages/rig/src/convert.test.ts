import { describe, expect, it } from 'vitest';
import { convertJoints } from './convert.js';
import { defineRig } from './define-rig.js';
import { PointsShapeError, UnknownJointError } from './errors.js';
import { registerRig } from './registry.js';

const body = defineRig({
  id: 'conv-body',
  category: 'toy',
  joints: ['l_hip', 'r_hip', 'l_shoulder', 'r_shoulder', 'nose'],
  citation: 'test fixture',
});
const torso = defineRig({
  id: 'conv-torso',
  category: 'toy',
  joints: ['pelvis', 'thorax', 'nose', 'tail'],
  citation: 'test fixture',
});
const mapping = { pelvis: ['l_hip', 'r_hip'], thorax: ['l_shoulder', 'r_shoulder'], nose: 'nose' } as const;

/** Frame f, joint j, coordinate c of a [F, 5, D] array: 100 f + 10 j + c. */
function ramp<T extends Float32Array | Float64Array>(make: new (n: number) => T, F: number, D: number): T {
  const a = new make(F * 5 * D);
  for (let f = 0; f < F; f++)
    for (let j = 0; j < 5; j++) for (let c = 0; c < D; c++) a[(f * 5 + j) * D + c] = 100 * f + 10 * j + c;
  return a;
}

describe('convertJoints', () => {
  it('copies, averages, and leaves unmapped targets NaN ([F, Jfrom, D] → [F, Jto, D])', () => {
    const conv = convertJoints(body, torso, mapping);
    expect(conv.sources).toEqual([[0, 1], [2, 3], [4], []]);
    const out = conv.apply(ramp(Float64Array, 2, 3), 3);
    expect(out).toBeInstanceOf(Float64Array);
    expect(out.length).toBe(2 * 4 * 3);
    // frame 1: pelvis = mean(joint 0, joint 1) = 100 + 5 + c; thorax = 100 + 25 + c; nose = 100 + 40 + c
    expect(Array.from(out.subarray(12, 21))).toEqual([105, 106, 107, 125, 126, 127, 140, 141, 142]);
    expect(Array.from(out.subarray(21, 24)).every(Number.isNaN)).toBe(true); // tail: unmapped
  });

  it('keeps the array type and works for 2D points', () => {
    const out = convertJoints(body, torso, mapping).apply(ramp(Float32Array, 1, 2), 2);
    expect(out).toBeInstanceOf(Float32Array);
    expect(Array.from(out.subarray(0, 6))).toEqual([5, 6, 25, 26, 40, 41]);
  });

  it('makes a target missing when any of its sources is missing (NaN never averages in)', () => {
    const pts = ramp(Float32Array, 2, 3);
    pts[(0 * 5 + 1) * 3 + 2] = Number.NaN; // frame 0, r_hip, z only
    const out = convertJoints(body, torso, mapping).apply(pts, 3);
    expect(Array.from(out.subarray(0, 3)).every(Number.isNaN)).toBe(true); // frame 0 pelvis
    expect(Array.from(out.subarray(3, 6))).toEqual([25, 26, 27]); // frame 0 thorax unaffected
    expect(Array.from(out.subarray(12, 15))).toEqual([105, 106, 107]); // frame 1 pelvis unaffected
  });

  it('maps same-named joints when no mapping is given, and accepts registered ids', () => {
    registerRig(body);
    registerRig(torso);
    const conv = convertJoints('conv-body', 'conv-torso');
    expect(conv.sources).toEqual([[], [], [4], []]);
    const out = conv.apply(ramp(Float64Array, 1, 3), 3);
    expect(Array.from(out.subarray(6, 9))).toEqual([40, 41, 42]);
    expect(Number.isNaN(out[0])).toBe(true);
  });

  it('round-trips through an identity mapping', () => {
    const pts = ramp(Float64Array, 3, 3);
    expect(convertJoints(body, body).apply(pts, 3)).toEqual(pts);
  });

  it('rejects unknown joint names with suggestions, and mismatched shapes', () => {
    expect(() => convertJoints(body, torso, { pelvs: 'l_hip' })).toThrow(UnknownJointError);
    expect(() => convertJoints(body, torso, { pelvs: 'l_hip' })).toThrow(
      /'pelvs' is not a joint of target.*'pelvis'/,
    );
    expect(() => convertJoints(body, torso, { pelvis: ['l_hip', 'left_hip'] })).toThrow(
      /takes 'left_hip', which is not a joint of source rig 'conv-body'/,
    );
    expect(() => convertJoints(body, torso, { pelvis: [] })).toThrow(/empty list/);
    const lonely = defineRig({ id: 'conv-lonely', category: 'toy', joints: ['x'], citation: 'test' });
    expect(() => convertJoints(body, lonely)).toThrow(/share no joint names/);
    const conv = convertJoints(body, torso, mapping);
    expect(() => conv.apply(new Float32Array(14), 3)).toThrow(PointsShapeError);
    expect(() => conv.apply(new Float32Array(15), 0)).toThrow(/dims must be a positive integer/);
  });
});
