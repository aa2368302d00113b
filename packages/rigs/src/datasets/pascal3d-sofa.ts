import { pascal3dRig } from './pascal3d.js';

/** Rig of the `pascal3d-sofa` dataset (10 joints; from its meta.json). */
export const pascal3dSofa = pascal3dRig('sofa', 6, {
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
  mirror: [
    ['front_bottom_left', 'front_bottom_right'],
    ['seat_bottom_left', 'seat_bottom_right'],
    ['left_bottom_back', 'right_bottom_back'],
    ['top_left_corner', 'top_right_corner'],
    ['seat_top_left', 'seat_top_right'],
  ],
});
