import { defineRig } from '@lfm/rig';
import { chain, FINGER, handJoints, THUMB } from './build.js';

const FINGERS = ['index_finger', 'middle_finger', 'ring_finger', 'pinky'];
const digit = (finger: string) => FINGER.map((p) => `${finger}_${p}`);

/** The 21 hand landmarks of MediaPipe Hands (also the order of OpenPose hands, FreiHAND, InterHand2.6M). */
export const hand21 = defineRig({
  specVersion: 1,
  id: 'hand-21',
  category: 'hand',
  joints: handJoints(FINGERS),
  bones: [
    ...chain(['wrist', ...THUMB]),
    ...chain(['wrist', ...digit('index_finger')]),
    ['index_finger_mcp', 'middle_finger_mcp'],
    ...chain(digit('middle_finger')),
    ['middle_finger_mcp', 'ring_finger_mcp'],
    ...chain(digit('ring_finger')),
    ['ring_finger_mcp', 'pinky_mcp'],
    ['wrist', 'pinky_mcp'],
    ...chain(digit('pinky')),
  ],
  mirror: [],
  citation:
    'Zhang, Bazarevsky, Vakunov, Tkachenka, Sung, Chang, Grundmann. MediaPipe Hands: On-device Real-time Hand Tracking. CVPR Workshops 2020',
  description:
    'One hand, MediaPipe landmark order: wrist, thumb (cmc, mcp, ip, tip), then index, middle, ring and pinky (mcp, pip, dip, tip). Bones are MediaPipe HAND_CONNECTIONS, including the palm links between finger bases. No mirror pairs (a single hand has no left/right partner).',
});
