import { pascal3dRig } from './pascal3d.js';

/** Rig of the `pascal3d-bottle` dataset (7 joints; from its meta.json). */
export const pascal3dBottle = pascal3dRig('bottle', 8, {
  joints: ['mouth', 'body', 'body_left', 'body_right', 'bottom', 'bottom_left', 'bottom_right'],
  mirror: [
    ['body_left', 'body_right'],
    ['bottom_left', 'bottom_right'],
  ],
});
