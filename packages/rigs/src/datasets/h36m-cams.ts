import { defineRig } from '@lfm/rig';
import { h36mBody } from './h36m-body.js';

/** Rig of the `h36m-cams` dataset (17 joints; from its meta.json). */
export const h36mCams = defineRig({
  specVersion: 1,
  id: 'h36m-cams',
  category: 'human-body',
  joints: h36mBody.joints,
  // The same bones as h36m-body, listed in the packaging's order and direction.
  bones: [
    ['rshoulder', 'relbow'],
    ['relbow', 'rwrist'],
    ['lwrist', 'lelbow'],
    ['lelbow', 'lshoulder'],
    ['neck_nose', 'thorax'],
    ['thorax', 'spine'],
    ['lhip', 'lknee'],
    ['lknee', 'lankle'],
    ['rankle', 'rknee'],
    ['rknee', 'rhip'],
    ['spine', 'hip'],
    ['hip', 'lhip'],
    ['hip', 'rhip'],
    ['thorax', 'lshoulder'],
    ['thorax', 'rshoulder'],
    ['neck_nose', 'head'],
  ],
  mirror: h36mBody.spec.mirror,
  citation:
    'Dabhi, Wang, Saluja, Jeni, Fasel, Lucey. High Fidelity 3D Reconstructions with Limited Physical Views (MV-NRSfM). 3DV 2021. Ionescu, Papava, Olaru, Sminchisescu. Human3.6M: Large Scale Datasets and Predictive Methods for 3D Human Sensing in Natural Environments. IEEE TPAMI 36(7), 2014; and Ionescu, Li, Sminchisescu. Latent Structured Models for Human Pose Estimation. ICCV 2011.',
  description:
    "Human3.6M subject S1, 'Directions' sequence (1383 frames, 17 joints) with real 2D ground truth from the 4 calibrated Human3.6M cameras (MV-NRSfM packaging). Same layout as h36m-17 and h36m-body (joint i is h36m-17 joint i; the same bones, listed in another order and direction, and the same mirror pairs); joint names as in the dataset.",
  units: 'm (Human3.6M world frame)',
});
