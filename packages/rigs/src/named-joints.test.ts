import { describe, expect, it } from 'vitest';
import {
  aflwFace,
  bandaiBody,
  builtinRigs,
  cmuBody,
  coco17,
  dogBody,
  h36mBody,
  torresaniFace,
  torresaniWalking,
} from './index.js';
import { anatomicalKeys, namedJointSource } from './named-joints.js';

const pairs = (joints: readonly string[], s: NonNullable<ReturnType<typeof namedJointSource>>) =>
  Object.fromEntries(joints.flatMap((n, j) => (s.map[j]! >= 0 ? [[n, s.source.joints[s.map[j]!]!]] : [])));

describe('anatomicalKeys', () => {
  it('reads the side and the part of every naming convention alike', () => {
    const knees = ['l_knee', 'lknee', 'LeftKnee', 'Knee_L', 'left_knee', 'left-knee', 'L.Knee'];
    expect(new Set(anatomicalKeys(knees))).toEqual(new Set(['l:knee']));
    expect(anatomicalKeys(['hip', 'lhip', 'Hips', 'pelvis', 'mid_hip', 'r_hip'])).toEqual([
      ':pelvis',
      'l:hip',
      ':pelvis',
      ':pelvis',
      ':pelvis',
      'r:hip',
    ]);
    expect(anatomicalKeys(['neck_nose', 'p3', '17', 'kp_3', 'Head_End'])).toEqual([
      ':nose',
      undefined,
      undefined,
      undefined,
      ':head_end',
    ]);
  });

  it('reads a rig named after its bones (Bandai, Mixamo) as such: UpperArm is the shoulder joint', () => {
    expect(
      anatomicalKeys([
        'Shoulder_L',
        'UpperArm_L',
        'LowerArm_L',
        'Hand_L',
        'UpperLeg_L',
        'LowerLeg_L',
        'Foot_L',
      ]),
    ).toEqual(['l:clavicle', 'l:shoulder', 'l:elbow', 'l:wrist', 'l:hip', 'l:knee', 'l:ankle']);
    const dog = anatomicalKeys(dogBody.joints);
    expect(dog[dogBody.joints.indexOf('LeftArm')]).toBe('l:shoulder');
    expect(dog[dogBody.joints.indexOf('RightLeg')]).toBe('r:knee');
    // The same words in a rig named after its joints keep their meaning.
    expect(anatomicalKeys(['left_shoulder', 'left_hand', 'left_foot'])).toEqual([
      'l:shoulder',
      'l:hand',
      'l:foot',
    ]);
  });
});

describe('namedJointSource', () => {
  it('pairs COCO-17 with the h36m-body joints it shares, and nothing else', () => {
    const s = namedJointSource(coco17.joints, [h36mBody])!;
    expect(s.source.id).toBe('h36m-body');
    expect(s.matched).toBe(13);
    expect(pairs(coco17.joints, s)).toMatchObject({
      nose: 'neck_nose',
      left_hip: 'lhip',
      right_ankle: 'rankle',
      left_wrist: 'lwrist',
    });
    expect(s.map[coco17.joints.indexOf('left_eye')]).toBe(-1);
  });

  it('picks the candidate sharing the most joints, each of its joints paired once', () => {
    const s = namedJointSource(cmuBody.joints, [h36mBody, bandaiBody])!;
    expect(s.source.id).toBe('bandai-body');
    expect(pairs(cmuBody.joints, s)).toMatchObject({
      l_shoulder: 'UpperArm_L',
      r_wrist: 'Hand_R',
      lower_neck: 'Neck',
    });
    const used = [...s.map].filter((i) => i >= 0);
    expect(new Set(used).size).toBe(used.length);
    // h36m-body alone: 16 of cmu-body's 28 joints (all but neck_nose).
    expect(namedJointSource(cmuBody.joints, [h36mBody])!.matched).toBe(16);
  });

  it('is undefined when no candidate shares enough joints (a marker set, another category)', () => {
    expect(namedJointSource(torresaniWalking.joints, [h36mBody, cmuBody])).toBeUndefined();
    expect(namedJointSource(['a', 'b', 'l_knee', 'r_knee'], [h36mBody])).toBeUndefined();
    expect(namedJointSource(h36mBody.joints, [])).toBeUndefined();
    // Numbered landmarks (the face rigs' p0 … p67) name no joint.
    expect(namedJointSource(aflwFace.joints.slice(0, 40), [torresaniFace])).toBeUndefined();
    expect(builtinRigs.length).toBeGreaterThan(0);
  });
});
