import { defineRig, indexedJoints } from '@lfm/rig';

/** Rig of the `akhter-dance` dataset (75 joints; from its meta.json). */
export const akhterDance = defineRig({
  specVersion: 1,
  id: 'akhter-dance',
  category: 'human-markers',
  joints: indexedJoints(75),
  bones: [],
  mirror: [],
  citation:
    'Akhter, Sheikh, Khan, Kanade. Trajectory Space: A Dual Representation for Nonrigid Structure from Motion. IEEE TPAMI 33(7), 2011 (sequences derived from the CMU Motion Capture Database, mocap.cs.cmu.edu); copy: JingweiSong/NRSfM_uncertainty (Song et al.).',
  description:
    "Akhter et al. NRSfM benchmark 'dance' sequence: 75 markers (CMU mocap-derived), 264 frames. No bones (the source gives none): local attention uses a k-nearest-neighbour graph.",
  units: 'arbitrary benchmark units (S * scale)',
});
