import { pascal3dRig } from './pascal3d.js';

/** Rig of the `pascal3d-bicycle` dataset (11 joints; from its meta.json). */
export const pascal3dBicycle = pascal3dRig('bicycle', 5, {
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
  mirror: [
    ['left_back_wheel', 'right_back_wheel'],
    ['left_front_wheel', 'right_front_wheel'],
    ['left_handle', 'right_handle'],
    ['left_pedal_center', 'right_pedal_center'],
  ],
});
