import { defineRig, indexedJoints } from '@lfm/rig';

/** Rig of the `torresani-shark` dataset (91 joints; from its meta.json). */
export const torresaniShark = defineRig({
  specVersion: 1,
  id: 'torresani-shark',
  category: 'shark-synthetic',
  joints: indexedJoints(91),
  bones: [],
  mirror: [],
  citation:
    'Torresani, Hertzmann, Bregler. Nonrigid Structure-from-Motion: Estimating Shape and Motion with Hierarchical Priors. IEEE TPAMI 30(5), 2008 (copy: summmanpan/NRSfM_Consensus).',
  description:
    "Torresani 'shark' (jaws) NRSfM benchmark: 91 points on a shark model, 240 frames. SYNTHETIC DEFORMATION of a 3D model, not a capture. No bones (the source gives none): local attention uses a k-nearest-neighbour graph.",
  units: 'unknown (model units)',
});
