import { defineRig, indexedJoints } from '@lfm/rig';
import { chain } from './build.js';

/** The markup's contours in order: name, points, closed (a loop) or open (a chain). */
const CONTOURS: readonly (readonly [string, number, boolean])[] = [
  ['jaw', 17, false],
  ['right_brow', 5, false],
  ['left_brow', 5, false],
  ['nose_bridge', 4, false],
  ['nose_base', 5, false],
  ['right_eye', 6, true],
  ['left_eye', 6, true],
  ['outer_lip', 12, true],
  ['inner_lip', 8, true],
];

/** The 68 iBUG / 300-W facial landmarks (Multi-PIE markup; dlib, face-alignment, AFLW2000-3D). */
export const ibugFace68 = defineRig({
  specVersion: 1,
  id: 'ibug-face-68',
  category: 'face',
  joints: CONTOURS.flatMap(([part, n]) => indexedJoints(n, `${part}_`)),
  bones: CONTOURS.flatMap(([part, n, closed]) => {
    const points = indexedJoints(n, `${part}_`);
    return chain(closed ? [...points, points[0]!] : points);
  }),
  mirror: [
    ['jaw_0', 'jaw_16'],
    ['jaw_1', 'jaw_15'],
    ['jaw_2', 'jaw_14'],
    ['jaw_3', 'jaw_13'],
    ['jaw_4', 'jaw_12'],
    ['jaw_5', 'jaw_11'],
    ['jaw_6', 'jaw_10'],
    ['jaw_7', 'jaw_9'],
    ['right_brow_0', 'left_brow_4'],
    ['right_brow_1', 'left_brow_3'],
    ['right_brow_2', 'left_brow_2'],
    ['right_brow_3', 'left_brow_1'],
    ['right_brow_4', 'left_brow_0'],
    ['nose_base_0', 'nose_base_4'],
    ['nose_base_1', 'nose_base_3'],
    ['right_eye_0', 'left_eye_3'],
    ['right_eye_1', 'left_eye_2'],
    ['right_eye_2', 'left_eye_1'],
    ['right_eye_3', 'left_eye_0'],
    ['right_eye_4', 'left_eye_5'],
    ['right_eye_5', 'left_eye_4'],
    ['outer_lip_0', 'outer_lip_6'],
    ['outer_lip_1', 'outer_lip_5'],
    ['outer_lip_2', 'outer_lip_4'],
    ['outer_lip_7', 'outer_lip_11'],
    ['outer_lip_8', 'outer_lip_10'],
    ['inner_lip_0', 'inner_lip_4'],
    ['inner_lip_1', 'inner_lip_3'],
    ['inner_lip_5', 'inner_lip_7'],
  ],
  citation:
    'Sagonas, Tzimiropoulos, Zafeiriou, Pantic. 300 Faces in-the-Wild Challenge: The First Facial Landmark Localization Challenge. ICCV Workshops 2013',
  description:
    "iBUG 68-point markup in its standard order: jaw 0-16, right brow 17-21, left brow 22-26, nose bridge 27-30, nose base 31-35, right eye 36-41, left eye 42-47, outer lip 48-59, inner lip 60-67 (right/left are the subject's). Bones are the contours: open chains for jaw, brows, nose bridge and nose base; closed loops for the eyes and lips.",
});
