import { pascal3dRig } from './pascal3d.js';

/** Rig of the `pascal3d-bus` dataset (12 joints; from its meta.json). */
export const pascal3dBus = pascal3dRig('bus', 6, {
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
});
