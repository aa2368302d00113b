import { defineRig } from '@lfm/rig';

/** Rig of the `pascal3d-aeroplane` dataset (8 joints; from its meta.json). */
export const pascal3dAeroplane = defineRig({
  specVersion: 1,
  id: 'pascal3d-aeroplane',
  category: 'rigid-aeroplane',
  joints: [
    'left_elevator',
    'left_wing',
    'noselanding',
    'right_elevator',
    'right_wing',
    'rudder_lower',
    'rudder_upper',
    'tail',
  ],
  bones: [],
  mirror: [
    ['left_elevator', 'right_elevator'],
    ['left_wing', 'right_wing'],
  ],
  citation:
    'Xiang, Mottaghi, Savarese. Beyond PASCAL: A Benchmark for 3D Object Detection in the Wild. WACV 2014 (PASCAL3D+ CAD anchors; copy: Azulgrana1/ObjectSLAM-TRO).',
  description:
    "PASCAL3D+ CAD anchor keypoints for class 'aeroplane': 7 CAD models x 8 named keypoints. No bones (the source gives none): local attention uses a k-nearest-neighbour graph.",
  units: 'normalised CAD model units (PASCAL3D+ models scaled to ~unit size, centred)',
});
