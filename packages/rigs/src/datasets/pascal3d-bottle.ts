import { defineRig } from '@lfm/rig';

/** Rig of the `pascal3d-bottle` dataset (7 joints; from its meta.json). */
export const pascal3dBottle = defineRig({
  specVersion: 1,
  id: 'pascal3d-bottle',
  category: 'rigid-bottle',
  joints: ['mouth', 'body', 'body_left', 'body_right', 'bottom', 'bottom_left', 'bottom_right'],
  bones: [],
  mirror: [
    ['body_left', 'body_right'],
    ['bottom_left', 'bottom_right'],
  ],
  citation:
    'Xiang, Mottaghi, Savarese. Beyond PASCAL: A Benchmark for 3D Object Detection in the Wild. WACV 2014 (PASCAL3D+ CAD anchors; copy: Azulgrana1/ObjectSLAM-TRO).',
  description:
    "PASCAL3D+ CAD anchor keypoints for class 'bottle': 8 CAD models x 7 named keypoints. No bones (the source gives none): local attention uses a k-nearest-neighbour graph.",
  units: 'normalised CAD model units (PASCAL3D+ models scaled to ~unit size, centred)',
});
