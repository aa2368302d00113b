import { defineRig } from '@lfm/rig';

/** Rig of the `pascal3d-chair` dataset (10 joints; from its meta.json). */
export const pascal3dChair = defineRig({
  specVersion: 1,
  id: 'pascal3d-chair',
  category: 'rigid-chair',
  joints: [
    'back_upper_left',
    'back_upper_right',
    'seat_upper_left',
    'seat_upper_right',
    'seat_lower_left',
    'seat_lower_right',
    'leg_upper_left',
    'leg_upper_right',
    'leg_lower_left',
    'leg_lower_right',
  ],
  bones: [
    ['seat_upper_left', 'seat_upper_right'],
    ['seat_upper_right', 'seat_lower_right'],
    ['seat_lower_right', 'seat_lower_left'],
    ['seat_lower_left', 'seat_upper_left'],
    ['back_upper_left', 'back_upper_right'],
    ['back_upper_left', 'seat_upper_left'],
    ['back_upper_right', 'seat_upper_right'],
    ['leg_upper_left', 'seat_upper_left'],
    ['leg_upper_right', 'seat_upper_right'],
    ['leg_lower_left', 'seat_lower_left'],
    ['leg_lower_right', 'seat_lower_right'],
  ],
  mirror: [
    ['back_upper_left', 'back_upper_right'],
    ['seat_upper_left', 'seat_upper_right'],
    ['seat_lower_left', 'seat_lower_right'],
    ['leg_upper_left', 'leg_upper_right'],
    ['leg_lower_left', 'leg_lower_right'],
  ],
  citation:
    'Xiang, Mottaghi, Savarese. Beyond PASCAL: A Benchmark for 3D Object Detection in the Wild. WACV 2014 (PASCAL3D+ CAD anchors; copy: Azulgrana1/ObjectSLAM-TRO).',
  description: "PASCAL3D+ CAD anchor keypoints for class 'chair': 10 CAD models x 10 named keypoints.",
  units: 'normalised CAD model units (PASCAL3D+ models scaled to ~unit size, centred)',
});
