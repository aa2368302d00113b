import { defineRig, isRig, type Rig } from '@lfm/rig';
import { describe, expect, it } from 'vitest';
import {
  aflwFace,
  builtinRigs,
  coco17,
  cocoWholebody133,
  datasetRigs,
  h36m17,
  h36mBody,
  h36mCams,
  hand21,
  ibugFace68,
  jointCodeRig,
  openposeBody25,
  openposeCoco18,
  realworldHand,
  SAME_JOINTS_AS,
  standardRigs,
} from './index.js';

const boneSet = (rig: Rig) => new Set(rig.boneIndices.map(([i, j]) => (i < j ? `${i},${j}` : `${j},${i}`)));

/** The ways our rigs' joint names say a side: a word, a suffix, a prefix, a one-letter prefix of a limb joint. */
const sideRules = (word: string, letter: 'l' | 'r'): RegExp[] => [
  new RegExp(word, 'i'),
  new RegExp(`_${letter.toUpperCase()}$`),
  new RegExp(`^${letter}_`),
  new RegExp(`^${letter}(hip|knee|ankle|shoulder|elbow|wrist)$`),
];
const SIDE_RULES = { L: sideRules('left', 'l'), R: sideRules('right', 'r') } as const;

/** 'L' / 'R' when a joint name says which side it is on, in any of the conventions our rigs use. */
function sideOf(name: string): 'L' | 'R' | undefined {
  if (SIDE_RULES.L.some((r) => r.test(name))) return 'L';
  if (SIDE_RULES.R.some((r) => r.test(name))) return 'R';
  return undefined;
}

/** The same name on the other side, by the first naming rule that changes it. */
function otherSide(name: string): string[] {
  const swap = (s: string, a: string, b: string) =>
    s.replace(new RegExp(`${a}|${b}`, 'g'), (m) => (m === a ? b : a));
  return [
    swap(name, 'left', 'right'),
    swap(name, 'Left', 'Right'),
    name.replace(/_([LR])$/, (_, s) => (s === 'L' ? '_R' : '_L')),
    name.replace(/^([lr])(?=_|hip|knee|ankle|shoulder|elbow|wrist)/, (s) => (s === 'l' ? 'r' : 'l')),
  ].filter((n) => n !== name);
}

describe('built-in rigs', () => {
  it('are 8 standard rigs and the dataset rigs, with unique ids', () => {
    expect(standardRigs.map((r) => r.id)).toEqual([
      'coco-17',
      'coco-wholebody-133',
      'h36m-17',
      'hand-21',
      'ibug-face-68',
      'mediapipe-pose-33',
      'openpose-body-25',
      'openpose-coco-18',
    ]);
    expect(builtinRigs).toHaveLength(standardRigs.length + datasetRigs.length);
    expect(new Set(builtinRigs.map((r) => r.id)).size).toBe(builtinRigs.length);
    expect(Object.isFrozen(builtinRigs)).toBe(true);
  });

  it('have the joint counts their ids promise', () => {
    for (const rig of standardRigs) expect(rig.numJoints).toBe(Number(rig.id.split('-').at(-1)));
  });

  describe.each(builtinRigs.map((rig) => [rig.id, rig] as const))('%s', (_id, rig) => {
    it('is a valid rig whose spec re-validates to the same rig', () => {
      expect(isRig(rig)).toBe(true);
      expect(rig.spec.specVersion).toBe(1);
      expect(rig.citation.length).toBeGreaterThan(10);
      expect(rig.description?.length ?? 0).toBeGreaterThan(10);
      const again = defineRig(JSON.parse(JSON.stringify(rig.spec)));
      expect(again.spec).toEqual(rig.spec);
      expect(again.boneIndices).toEqual(rig.boneIndices);
    });

    it('has symmetric mirror pairs: an involution pairing left with right', () => {
      expect(rig.mirrorIndex.map((m) => rig.mirrorIndex[m])).toEqual(rig.joints.map((_, j) => j));
      for (const [a, b] of rig.mirror) {
        const [sa, sb] = [sideOf(a), sideOf(b)];
        if (sa || sb) expect(new Set([sa, sb]), `${a} ↔ ${b}`).toEqual(new Set(['L', 'R']));
      }
      // every joint whose other-side twin (by name) exists is paired with it; iBUG brows and eyes pair by
      // reversed index instead (right_eye_0 ↔ left_eye_3), which the rule below must not check.
      rig.joints.forEach((name, j) => {
        if (/_(brow|eye)_\d+$/.test(name)) return;
        const twin = otherSide(name).find((n) => rig.jointIndex.has(n));
        if (twin) expect(rig.joints[rig.mirrorIndex[j]!], name).toBe(twin);
      });
    });

    it('has a bone set that mirroring maps onto itself', () => {
      const bones = boneSet(rig);
      for (const [i, j] of rig.boneIndices) {
        const [a, b] = [rig.mirrorIndex[i]!, rig.mirrorIndex[j]!];
        expect(bones.has(a < b ? `${a},${b}` : `${b},${a}`), `${rig.joints[i]}-${rig.joints[j]}`).toBe(true);
      }
    });
  });
});

describe('dataset rigs that share a standard layout', () => {
  it('h36m-body and h36m-cams are h36m-17 joint for joint', () => {
    for (const rig of [h36mBody, h36mCams]) {
      expect(rig.numJoints).toBe(17);
      expect(boneSet(rig)).toEqual(boneSet(h36m17));
      expect(rig.mirrorIndex).toEqual(h36m17.mirrorIndex);
      expect(rig.description).toMatch(/Same layout as h36m-17/);
    }
  });

  it('aflw-face is ibug-face-68, and coco-wholebody-133 embeds it at joints 23-90', () => {
    expect(aflwFace.boneIndices).toEqual(ibugFace68.boneIndices);
    expect(aflwFace.mirrorIndex).toEqual(ibugFace68.mirrorIndex);
    expect(aflwFace.description).toMatch(/Same layout as ibug-face-68/);
    const wbFace = cocoWholebody133.boneIndices
      .filter(([i, j]) => i >= 23 && i < 91 && j >= 23 && j < 91)
      .map(([i, j]) => [i - 23, j - 23]);
    expect(wbFace).toEqual(ibugFace68.boneIndices);
    expect(cocoWholebody133.mirrorIndex.slice(23, 91).map((m) => m - 23)).toEqual(ibugFace68.mirrorIndex);
  });

  it('realworld-hand has the hand-21 joint order; its bones are hand-21 bones without the palm links', () => {
    expect(realworldHand.numJoints).toBe(hand21.numJoints);
    expect(realworldHand.description).toMatch(/Same joint order as hand-21/);
    const hand = boneSet(hand21);
    const rw = boneSet(realworldHand);
    const wristToBase = ['0,9', '0,13'];
    expect([...rw].filter((b) => !hand.has(b))).toEqual(wristToBase);
    expect([...hand].filter((b) => !rw.has(b)).sort()).toEqual(['13,17', '5,9', '9,13']);
  });

  it('SAME_JOINTS_AS lists exactly these pairs (each tested above); jointCodeRig follows them', () => {
    expect(SAME_JOINTS_AS).toEqual({
      'h36m-17': 'h36m-body',
      'h36m-cams': 'h36m-body',
      'hand-21': 'realworld-hand',
      'ibug-face-68': 'aflw-face',
    });
    for (const [from, to] of Object.entries(SAME_JOINTS_AS)) {
      const rig = builtinRigs.find((r) => r.id === from)!;
      expect(jointCodeRig(rig, [to])?.id).toBe(to);
      expect(jointCodeRig(rig, [])).toBeUndefined(); // the target is not coded: identity unknown
    }
    expect(jointCodeRig(hand21, ['hand-21', 'realworld-hand'])).toBe(hand21); // its own codes first
    expect(jointCodeRig(aflwFace, ['aflw-face'])).toBe(aflwFace);
    expect(jointCodeRig(cocoWholebody133, ['aflw-face', 'h36m-body'])).toBeUndefined(); // no alias
    // An alias never applies to a rig of another size (a user rig registered under a listed id).
    const odd = defineRig({
      specVersion: 1,
      id: 'hand-21',
      category: 'hand',
      joints: ['a', 'b', 'c'],
      citation: 'a test',
    });
    expect(jointCodeRig(odd, ['realworld-hand'])).toBeUndefined();
  });
});

describe('OpenPose layouts', () => {
  it('openpose-coco-18 is BODY_25 without mid_hip and the six foot points, in the same order', () => {
    const feet = /_(big_toe|small_toe|heel)$/;
    expect(openposeCoco18.joints).toEqual(
      openposeBody25.joints.filter((name) => name !== 'mid_hip' && !feet.test(name)),
    );
    // COCO-17's joints plus a neck.
    expect(new Set(openposeCoco18.joints)).toEqual(new Set([...coco17.joints, 'neck']));
    // BODY_25's bones between kept joints are COCO-18 bones; COCO-18 hangs the hips from the neck instead.
    const body = new Set(openposeBody25.bones.map(([a, b]) => [a, b].sort().join('-')));
    const coco = openposeCoco18.bones.map(([a, b]) => [a, b].sort().join('-'));
    expect(coco.filter((b) => !body.has(b)).sort()).toEqual(['left_hip-neck', 'neck-right_hip']);
  });

  it("hand-21 is OpenPose's hand order: wrist, then four points per finger from the thumb", () => {
    expect(hand21.joints[0]).toBe('wrist');
    const fingers = ['thumb', 'index_finger', 'middle_finger', 'ring_finger', 'pinky'];
    fingers.forEach((f, k) => {
      for (let i = 1; i <= 4; i++) expect(hand21.joints[4 * k + i]!.startsWith(f)).toBe(true);
    });
  });

  it("ibug-face-68 is OpenPose's face-70 without the two pupils (points 68, 69): jaw, brows, nose, eyes, mouth", () => {
    const groups = ibugFace68.joints.map((n) => /jaw|brow|nose|eye|lip/.exec(n)![0]);
    const runs = groups.filter((g, i) => g !== groups[i - 1]);
    expect(runs).toEqual(['jaw', 'brow', 'nose', 'eye', 'lip']);
    expect([
      groups.indexOf('brow'),
      groups.indexOf('nose'),
      groups.indexOf('eye'),
      groups.indexOf('lip'),
    ]).toEqual([17, 27, 36, 48]);
  });
});
