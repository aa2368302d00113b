import { defineRig, indexedJoints } from '@lfm/rig';

/** Rig of the `torresani-walking` dataset (55 joints; from its meta.json). */
export const torresaniWalking = defineRig({
  specVersion: 1,
  id: 'torresani-walking',
  category: 'human-markers',
  joints: indexedJoints(55),
  bones: [],
  mirror: [],
  citation:
    'Torresani, Hertzmann, Bregler. Nonrigid Structure-from-Motion: Estimating Shape and Motion with Hierarchical Priors. IEEE TPAMI 30(5), 2008 (copy: summmanpan/NRSfM_Consensus).',
  description:
    'Torresani et al. walking sequence: 55 motion-capture markers on a walking person, 260 frames. No bones (the source gives none): local attention uses a k-nearest-neighbour graph.',
  units: 'unknown (source mocap units, approx. mm; body height ~1700)',
});
