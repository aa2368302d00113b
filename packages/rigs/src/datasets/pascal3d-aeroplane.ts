import { pascal3dRig } from './pascal3d.js';

/** Rig of the `pascal3d-aeroplane` dataset (8 joints; from its meta.json). */
export const pascal3dAeroplane = pascal3dRig('aeroplane', 7, {
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
  mirror: [
    ['left_elevator', 'right_elevator'],
    ['left_wing', 'right_wing'],
  ],
});
