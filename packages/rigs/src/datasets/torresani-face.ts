import { defineRig, indexedJoints } from '@lfm/rig';

/** Rig of the `torresani-face` dataset (40 joints; from its meta.json). */
export const torresaniFace = defineRig({
  specVersion: 1,
  id: 'torresani-face',
  category: 'face',
  joints: indexedJoints(40),
  bones: [],
  mirror: [],
  citation:
    'Torresani, Hertzmann, Bregler. Nonrigid Structure-from-Motion: Estimating Shape and Motion with Hierarchical Priors. IEEE TPAMI 30(5), 2008 (copy: summmanpan/NRSfM_Consensus).',
  description:
    'Torresani et al. face sequence: 40 motion-capture markers on one talking/expressive face, 316 frames. No bones (the source gives none): local attention uses a k-nearest-neighbour graph.',
  units: 'unknown (source mocap units, approx. mm)',
});
