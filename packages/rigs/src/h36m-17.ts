import { ARM, bySide, chain, humanBodyRig, LEG, limbs } from './build.js';

/** Pelvis to head top, along the spine. */
const SPINE = ['spine', 'thorax', 'neck_nose', 'head'];

// The one definition of the H36M joints: h36m-body and h36m-cams take them from here.
const joints = ['pelvis', ...bySide('right', LEG), ...SPINE, ...bySide('left', ARM)];

/** Human3.6M 17-joint skeleton (the common 3D lifting benchmark layout, VideoPose3D order). */
export const h36m17 = humanBodyRig({
  id: 'h36m-17',
  joints,
  bones: [...limbs('pelvis', 'right', LEG), ...chain(['pelvis', ...SPINE]), ...limbs('thorax', 'left', ARM)],
  citation:
    'Ionescu, Papava, Olaru, Sminchisescu. Human3.6M: Large Scale Datasets and Predictive Methods for 3D Human Sensing in Natural Environments. IEEE TPAMI 36(7), 2014',
  description:
    'The 17 joints of Human3.6M used by 3D human pose lifting (pelvis root; 32-joint skeleton indices 0,1,2,3,6,7,8,12,13,14,15,17,18,19,25,26,27). neck_nose is the H36M "Head" joint (around the nose), head is the head top. Left/right are the subject\'s.',
  units: 'mm',
});
