import { defineRig } from '@lfm/rig';

/** Rig of the `pascal3d-bus` dataset (12 joints; from its meta.json). */
export const pascal3dBus = defineRig({
  specVersion: 1,
  id: 'pascal3d-bus',
  category: 'rigid-bus',
  joints: [
    'body_back_left_lower',
    'body_back_left_upper',
    'body_back_right_lower',
    'body_back_right_upper',
    'body_front_left_upper',
    'body_front_right_upper',
    'body_front_left_lower',
    'body_front_right_lower',
    'left_back_wheel',
    'left_front_wheel',
    'right_back_wheel',
    'right_front_wheel',
  ],
  bones: [
    ['body_back_left_lower', 'body_back_left_upper'],
    ['body_back_left_upper', 'body_back_right_upper'],
    ['body_back_right_upper', 'body_back_right_lower'],
    ['body_back_right_lower', 'body_back_left_lower'],
    ['body_front_left_lower', 'body_front_left_upper'],
    ['body_front_left_upper', 'body_front_right_upper'],
    ['body_front_right_upper', 'body_front_right_lower'],
    ['body_front_right_lower', 'body_front_left_lower'],
    ['body_back_left_lower', 'body_front_left_lower'],
    ['body_back_left_upper', 'body_front_left_upper'],
    ['body_back_right_lower', 'body_front_right_lower'],
    ['body_back_right_upper', 'body_front_right_upper'],
  ],
  mirror: [
    ['body_back_left_lower', 'body_back_right_lower'],
    ['body_back_left_upper', 'body_back_right_upper'],
    ['body_front_left_upper', 'body_front_right_upper'],
    ['body_front_left_lower', 'body_front_right_lower'],
    ['left_back_wheel', 'right_back_wheel'],
    ['left_front_wheel', 'right_front_wheel'],
  ],
  citation:
    'Xiang, Mottaghi, Savarese. Beyond PASCAL: A Benchmark for 3D Object Detection in the Wild. WACV 2014 (PASCAL3D+ CAD anchors; copy: Azulgrana1/ObjectSLAM-TRO).',
  description: "PASCAL3D+ CAD anchor keypoints for class 'bus': 6 CAD models x 12 named keypoints.",
  units: 'normalised CAD model units (PASCAL3D+ models scaled to ~unit size, centred)',
});
