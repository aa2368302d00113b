import { defineRig } from '@lfm/rig';
import { ARM, chain, LEG, sided, sideMirror } from './build.js';

// The one definition of the H36M joints: h36m-body and h36m-cams take them from here.
const joints = [
  'pelvis',
  ...sided('right', LEG),
  ...sided('left', LEG),
  'spine',
  'thorax',
  'neck_nose',
  'head',
  ...sided('left', ARM),
  ...sided('right', ARM),
];

/** Human3.6M 17-joint skeleton (the common 3D lifting benchmark layout, VideoPose3D order). */
export const h36m17 = defineRig({
  specVersion: 1,
  id: 'h36m-17',
  category: 'human-body',
  joints,
  bones: [
    ...chain(['pelvis', ...sided('right', LEG)]),
    ...chain(['pelvis', ...sided('left', LEG)]),
    ...chain(['pelvis', 'spine', 'thorax', 'neck_nose', 'head']),
    ...chain(['thorax', ...sided('left', ARM)]),
    ...chain(['thorax', ...sided('right', ARM)]),
  ],
  mirror: sideMirror(joints),
  citation:
    'Ionescu, Papava, Olaru, Sminchisescu. Human3.6M: Large Scale Datasets and Predictive Methods for 3D Human Sensing in Natural Environments. IEEE TPAMI 36(7), 2014',
  description:
    'The 17 joints of Human3.6M used by 3D human pose lifting (pelvis root; 32-joint skeleton indices 0,1,2,3,6,7,8,12,13,14,15,17,18,19,25,26,27). neck_nose is the H36M "Head" joint (around the nose), head is the head top. Left/right are the subject\'s.',
  units: 'mm',
});
