import { defineRig } from '@lfm/rig';

/** Rig of the `pascal3d-bicycle` dataset (11 joints; from its meta.json). */
export const pascal3dBicycle = defineRig({
  specVersion: 1,
  id: 'pascal3d-bicycle',
  category: 'rigid-bicycle',
  joints: [
    'head_center',
    'left_back_wheel',
    'left_front_wheel',
    'left_handle',
    'left_pedal_center',
    'right_back_wheel',
    'right_front_wheel',
    'right_handle',
    'right_pedal_center',
    'seat_back',
    'seat_front',
  ],
  bones: [],
  mirror: [
    ['left_back_wheel', 'right_back_wheel'],
    ['left_front_wheel', 'right_front_wheel'],
    ['left_handle', 'right_handle'],
    ['left_pedal_center', 'right_pedal_center'],
  ],
  citation:
    'Xiang, Mottaghi, Savarese. Beyond PASCAL: A Benchmark for 3D Object Detection in the Wild. WACV 2014 (PASCAL3D+ CAD anchors; copy: Azulgrana1/ObjectSLAM-TRO).',
  description:
    "PASCAL3D+ CAD anchor keypoints for class 'bicycle': 5 CAD models x 11 named keypoints. No bones (the source gives none): local attention uses a k-nearest-neighbour graph.",
  units: 'normalised CAD model units (PASCAL3D+ models scaled to ~unit size, centred)',
});
