import { defineRig, indexedJoints } from '@lfm/rig';
import { renamedSkeleton } from '../build.js';
import { ibugFace68 } from '../ibug-face-68.js';

/** Rig of the `aflw-face` dataset (68 joints; from its meta.json). */
export const aflwFace = defineRig({
  specVersion: 1,
  id: 'aflw-face',
  category: 'face',
  ...renamedSkeleton(ibugFace68, indexedJoints(68)),
  citation:
    'Zhu, Lei, Liu, Shi, Li. Face Alignment Across Large Poses: A 3D Solution. CVPR 2016 (AFLW2000-3D); Koestinger, Wohlhart, Roth, Bischof. Annotated Facial Landmarks in the Wild. ICCV-W 2011 (AFLW); copy from cleardusk/3DDFA (Guo et al.).',
  description:
    'AFLW2000-3D: 68 iBUG-300W landmarks in 3D for 2000 in-the-wild face images (3DMM-fitted ground truth of Zhu et al.). Same layout as ibug-face-68 (joint pI is iBUG landmark I; identical bones and mirror pairs); joint names as in the dataset.',
  units: 'pixels of the 450x450 AFLW2000 image (x right, y down); z in the same pixel scale',
});
