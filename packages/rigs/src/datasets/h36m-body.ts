import { defineRig } from '@lfm/rig';
import { ARM, LEG, renamedSkeleton } from '../build.js';
import { h36m17 } from '../h36m-17.js';

/** h36m-17's joints under the dataset's names: pelvis → hip, left_x / right_x → lx / rx. */
const skeleton = renamedSkeleton(
  h36m17,
  h36m17.joints.map((j) =>
    j === 'pelvis' ? 'hip' : j.replace(/^(left|right)_/, (_, side: string) => side[0]!),
  ),
);

/** Rig of the `h36m-body` dataset (17 joints; from its meta.json). */
export const h36mBody = defineRig({
  specVersion: 1,
  id: 'h36m-body',
  category: 'human-body',
  joints: skeleton.joints,
  bones: skeleton.bones,
  // As the dataset's meta.json lists them: the legs right first, the arms left first.
  mirror: [...LEG.map((p) => [`r${p}`, `l${p}`] as const), ...ARM.map((p) => [`l${p}`, `r${p}`] as const)],
  citation:
    'Ionescu, Papava, Olaru, Sminchisescu. Human3.6M: Large Scale Datasets and Predictive Methods for 3D Human Sensing in Natural Environments. IEEE TPAMI 36(7), 2014; and Ionescu, Li, Sminchisescu. Latent Structured Models for Human Pose Estimation. ICCV 2011. Exp-map release: Fragkiadaki et al., Recurrent Network Models for Human Dynamics, ICCV 2015; Martinez, Black, Romero, On Human Motion Prediction Using Recurrent Neural Networks, CVPR 2017; redistributed with Li et al., Dynamic Multiscale Graph Neural Networks for 3D Skeleton-Based Human Motion Prediction (DMGNN), CVPR 2020.',
  description:
    'Human3.6M (motion-prediction exp-map release: 7 subjects x 15 actions x 2 trials) converted by exp-map forward kinematics to 3D joints, reduced to the standard 17-joint H36M skeleton. Same layout as h36m-17 (joint i is h36m-17 joint i; identical bones and mirror pairs); joint names as in the dataset.',
  units: 'mm',
});
