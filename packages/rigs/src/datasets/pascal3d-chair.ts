import { pascal3dRig } from './pascal3d.js';

/** Rig of the `pascal3d-chair` dataset (10 joints; from its meta.json). */
export const pascal3dChair = pascal3dRig('chair', 10, {
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
});
