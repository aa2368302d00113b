import { defineRig } from '@lfm/rig';
import { bySide, FOOT, renamedSkeleton, sided, sideMirror } from './build.js';
import { coco17 } from './coco-17.js';
import { realworldHand } from './datasets/realworld-hand.js';
import { ibugFace68 } from './ibug-face-68.js';

/** The face: ibug-face-68's landmarks, bones and mirror pairs as face-0 … face-67. */
const face = renamedSkeleton(
  ibugFace68,
  ibugFace68.joints.map((_, i) => `face-${i}`),
);

/** A hand: realworld-hand's joints and bones (each finger chain from the hand root) under H3WB's names. */
const hand = (side: 'left' | 'right') =>
  renamedSkeleton(realworldHand, [
    `${side}_hand_root`,
    ...['thumb', 'forefinger', 'middle_finger', 'ring_finger', 'pinky_finger'].flatMap((f) =>
      [1, 2, 3, 4].map((k) => `${side}_${f}${k}`),
    ),
  ]);
const hands = { left: hand('left'), right: hand('right') };

/** COCO-WholeBody 133 keypoints, the layout of H3WB (Human3.6M 3D WholeBody). */
export const cocoWholebody133 = defineRig({
  specVersion: 1,
  id: 'coco-wholebody-133',
  category: 'human-wholebody',
  joints: [
    // the 17 COCO body joints come first, unchanged
    ...coco17.spec.joints,
    ...bySide('left', FOOT),
    ...face.joints,
    ...hands.left.joints,
    ...hands.right.joints,
  ],
  bones: [
    // the 17 COCO body bones come first, unchanged
    ...coco17.spec.bones,
    ...(['left', 'right'] as const).flatMap((side) =>
      sided(side, FOOT).map((toe) => [`${side}_ankle`, toe] as const),
    ),
    ...face.bones,
    ...(['left', 'right'] as const).flatMap((side) => [
      [`${side}_wrist`, `${side}_hand_root`] as const,
      ...hands[side].bones,
    ]),
  ],
  mirror: [
    // the 17 COCO body mirror come first, unchanged
    ...coco17.spec.mirror,
    ...sideMirror(bySide('left', FOOT)),
    ...face.mirror,
    ...hands.left.joints.map((j, i) => [j, hands.right.joints[i]!] as const),
  ],
  citation:
    'Jin, Xu, Xu, Wang, Liu, Qian, Ouyang, Luo. Whole-Body Human Pose Estimation in the Wild. ECCV 2020 (COCO-WholeBody); Zhu, Samet, Picard. H3WB: Human3.6M 3D WholeBody Dataset and Benchmark. ICCV 2023',
  description:
    'COCO-WholeBody / H3WB order: 17 COCO body keypoints (0-16), 6 foot points (17-22), 68 face points face-0..face-67 in iBUG-68 order (23-90), 21 left-hand points (91-111) and 21 right-hand points (112-132), each hand root then thumb, forefinger, middle, ring and pinky from base (1) to tip (4). Bones: the COCO body links, ankle to each foot point, the iBUG-68 face contours (as in ibug-face-68), each hand root to its finger chains, and each body wrist to its hand root (so the hands join the body; the face stays its own component).',
});
