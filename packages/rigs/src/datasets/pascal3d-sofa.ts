import { defineRig } from '@lfm/rig';

/** Rig of the `pascal3d-sofa` dataset (10 joints; from its meta.json). */
export const pascal3dSofa = defineRig({
  specVersion: 1,
  id: 'pascal3d-sofa',
  category: 'rigid-sofa',
  joints: [
    'front_bottom_left',
    'front_bottom_right',
    'seat_bottom_left',
    'seat_bottom_right',
    'left_bottom_back',
    'right_bottom_back',
    'top_left_corner',
    'top_right_corner',
    'seat_top_left',
    'seat_top_right',
  ],
  bones: [],
  mirror: [
    ['front_bottom_left', 'front_bottom_right'],
    ['seat_bottom_left', 'seat_bottom_right'],
    ['left_bottom_back', 'right_bottom_back'],
    ['top_left_corner', 'top_right_corner'],
    ['seat_top_left', 'seat_top_right'],
  ],
  citation:
    'Xiang, Mottaghi, Savarese. Beyond PASCAL: A Benchmark for 3D Object Detection in the Wild. WACV 2014 (PASCAL3D+ CAD anchors; copy: Azulgrana1/ObjectSLAM-TRO).',
  description:
    "PASCAL3D+ CAD anchor keypoints for class 'sofa': 6 CAD models x 10 named keypoints. No bones (the source gives none): local attention uses a k-nearest-neighbour graph.",
  units: 'normalised CAD model units (PASCAL3D+ models scaled to ~unit size, centred)',
});
