import { defineRig } from '@lfm/rig';

/** Rig of the `pascal3d-boat` dataset (7 joints; from its meta.json). */
export const pascal3dBoat = defineRig({
  specVersion: 1,
  id: 'pascal3d-boat',
  category: 'rigid-boat',
  joints: ['head', 'head_down', 'head_left', 'head_right', 'tail_left', 'tail_right', 'tail'],
  bones: [],
  mirror: [
    ['head_left', 'head_right'],
    ['tail_left', 'tail_right'],
  ],
  citation:
    'Xiang, Mottaghi, Savarese. Beyond PASCAL: A Benchmark for 3D Object Detection in the Wild. WACV 2014 (PASCAL3D+ CAD anchors; copy: Azulgrana1/ObjectSLAM-TRO).',
  description:
    "PASCAL3D+ CAD anchor keypoints for class 'boat': 6 CAD models x 7 named keypoints. No bones (the source gives none): local attention uses a k-nearest-neighbour graph.",
  units: 'normalised CAD model units (PASCAL3D+ models scaled to ~unit size, centred)',
});
