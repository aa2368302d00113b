import { defineRig, indexedJoints } from '@lfm/rig';

/** Rig of the `frgc-face` dataset (62 joints; from its meta.json). */
export const frgcFace = defineRig({
  specVersion: 1,
  id: 'frgc-face',
  category: 'face',
  joints: indexedJoints(62),
  bones: [],
  mirror: [],
  citation:
    'Phillips et al. Overview of the Face Recognition Grand Challenge. CVPR 2005 (FRGC v2 scans); 62-point 3D landmarks as used by Lee, Cho, Oh, Procrustean Normal Distribution for Non-Rigid Structure from Motion, CVPR 2013 / TPAMI 2017, and Lee, Cho, Oh, Consensus of Non-Rigid Reconstructions, CVPR 2016 (copy: summmanpan/NRSfM_Consensus).',
  description:
    'FRGC v2: 62 manually placed 3D facial landmarks on 400 face scans (different people). No bones (the source gives none): local attention uses a k-nearest-neighbour graph.',
  units: 'mm (FRGC scanner coordinates)',
});
