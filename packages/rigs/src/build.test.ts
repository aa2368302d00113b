import { defineRig } from '@lfm/rig';
import { describe, expect, it } from 'vitest';
import {
  bySide,
  chain,
  handJoints,
  humanBodyRig,
  leftRight,
  limbs,
  renamedSkeleton,
  sided,
  sideMirror,
  withoutJoints,
} from './build.js';

const body = defineRig({
  id: 'test-build-body',
  category: 'test',
  joints: ['neck', 'mid', ...sided('left', ['hip', 'toe']), ...sided('right', ['hip', 'toe'])],
  bones: [
    ['neck', 'mid'],
    ...chain(['mid', 'left_hip', 'left_toe']),
    ...chain(['mid', 'right_hip', 'right_toe']),
  ],
  mirror: sideMirror(['left_hip', 'left_toe', 'right_hip', 'right_toe']),
  citation: 'test',
});

describe('rig builders', () => {
  it('name joints by side, chain bones, pair sides', () => {
    expect(leftRight(['eye', 'ear'])).toEqual(['left_eye', 'right_eye', 'left_ear', 'right_ear']);
    expect(bySide('right', ['hip', 'knee'])).toEqual(['right_hip', 'right_knee', 'left_hip', 'left_knee']);
    expect(bySide('left', ['eye'])).toEqual(['left_eye', 'right_eye']);
    expect(limbs('root', 'left', ['a', 'b'])).toEqual([
      ['root', 'left_a'],
      ['left_a', 'left_b'],
      ['root', 'right_a'],
      ['right_a', 'right_b'],
    ]);
    expect(chain(['a', 'b', 'c'])).toEqual([
      ['a', 'b'],
      ['b', 'c'],
    ]);
    expect(chain(['a'])).toEqual([]);
    expect(sideMirror(['nose', 'mouth_left', 'left_eye', 'right_eye', 'mouth_right', 'cleft'])).toEqual([
      ['mouth_left', 'mouth_right'],
      ['left_eye', 'right_eye'],
    ]);
    expect(() => sideMirror(['left_eye', 'right_ear'])).toThrow(/'left_eye' has no 'right_eye'/);
    expect(handJoints(['a', 'b', 'c', 'd'])).toHaveLength(21);
  });

  it('humanBodyRig: a human-body rig whose mirror pairs come from the side names', () => {
    const rig = humanBodyRig({
      id: 'test-human',
      joints: ['neck', 'left_hand', 'right_hand'],
      citation: 'test',
    });
    expect(rig.spec.category).toBe('human-body');
    expect(rig.spec.specVersion).toBe(1);
    expect(rig.spec.mirror).toEqual([['left_hand', 'right_hand']]);
    expect(() => humanBodyRig({ id: 'test-human-bad', joints: ['left_hand'], citation: 'test' })).toThrow(
      /no 'right_hand'/,
    );
  });

  it('renamedSkeleton keeps the bones and pairs of the renamed joints', () => {
    const s = renamedSkeleton(body, ['n', 'm', 'lh', 'lt', 'rh', 'rt']);
    expect(s.bones).toEqual([
      ['n', 'm'],
      ['m', 'lh'],
      ['lh', 'lt'],
      ['m', 'rh'],
      ['rh', 'rt'],
    ]);
    expect(s.mirror).toEqual([
      ['lh', 'rh'],
      ['lt', 'rt'],
    ]);
    expect(() => renamedSkeleton(body, ['n'])).toThrow(/1 names for the 6 joints/);
  });

  it('withoutJoints drops joints, re-hangs bones on a stand-in and drops pairs of dropped joints', () => {
    const s = withoutJoints(body, ['mid', 'left_toe', 'right_toe'], { mid: 'neck' });
    expect(s.joints).toEqual(['neck', 'left_hip', 'right_hip']);
    expect(s.bones).toEqual([
      ['neck', 'left_hip'],
      ['neck', 'right_hip'],
    ]);
    expect(s.mirror).toEqual([['left_hip', 'right_hip']]);
    expect(withoutJoints(body, ['mid']).bones).toEqual([
      ['left_hip', 'left_toe'],
      ['right_hip', 'right_toe'],
    ]);
  });
});
