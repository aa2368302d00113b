import { type Rig, registerRig } from '@lfm/rig';
import { coco17 } from './coco-17.js';
import { cocoWholebody133 } from './coco-wholebody-133.js';
import { aflwFace } from './datasets/aflw-face.js';
import { akhterDance } from './datasets/akhter-dance.js';
import {
  akhterMarkers,
  akhterMarkersDrink,
  akhterMarkersPickup,
  akhterMarkersStretch,
} from './datasets/akhter-markers.js';
import { bandaiBody } from './datasets/bandai-body.js';
import { cmuBody } from './datasets/cmu-body.js';
import { dogBody } from './datasets/dog-body.js';
import { frgcFace } from './datasets/frgc-face.js';
import { h36mBody } from './datasets/h36m-body.js';
import { h36mCams } from './datasets/h36m-cams.js';
import { pascal3dAeroplane } from './datasets/pascal3d-aeroplane.js';
import { pascal3dBicycle } from './datasets/pascal3d-bicycle.js';
import { pascal3dBoat } from './datasets/pascal3d-boat.js';
import { pascal3dBottle } from './datasets/pascal3d-bottle.js';
import { pascal3dBus } from './datasets/pascal3d-bus.js';
import { pascal3dChair } from './datasets/pascal3d-chair.js';
import { pascal3dSofa } from './datasets/pascal3d-sofa.js';
import { realworldHand } from './datasets/realworld-hand.js';
import { torresaniFace } from './datasets/torresani-face.js';
import { torresaniShark } from './datasets/torresani-shark.js';
import { torresaniWalking } from './datasets/torresani-walking.js';
import { h36m17 } from './h36m-17.js';
import { hand21 } from './hand-21.js';
import { ibugFace68 } from './ibug-face-68.js';
import { mediapipePose33 } from './mediapipe-pose-33.js';
import { anatomicalKeys } from './named-joints.js';
import { openposeBody25 } from './openpose-body-25.js';
import { openposeCoco18 } from './openpose-coco-18.js';

// Each rig by name from its module (the imports above are for the lists below).
export { coco17 } from './coco-17.js';
export { cocoWholebody133 } from './coco-wholebody-133.js';
export { aflwFace } from './datasets/aflw-face.js';
export { akhterDance } from './datasets/akhter-dance.js';
export {
  akhterMarkers,
  akhterMarkersDrink,
  akhterMarkersPickup,
  akhterMarkersSequenceRigs,
  akhterMarkersStretch,
} from './datasets/akhter-markers.js';
export { bandaiBody } from './datasets/bandai-body.js';
export { cmuBody } from './datasets/cmu-body.js';
export { dogBody } from './datasets/dog-body.js';
export { frgcFace } from './datasets/frgc-face.js';
export { h36mBody } from './datasets/h36m-body.js';
export { h36mCams } from './datasets/h36m-cams.js';
export { pascal3dAeroplane } from './datasets/pascal3d-aeroplane.js';
export { pascal3dBicycle } from './datasets/pascal3d-bicycle.js';
export { pascal3dBoat } from './datasets/pascal3d-boat.js';
export { pascal3dBottle } from './datasets/pascal3d-bottle.js';
export { pascal3dBus } from './datasets/pascal3d-bus.js';
export { pascal3dChair } from './datasets/pascal3d-chair.js';
export { pascal3dSofa } from './datasets/pascal3d-sofa.js';
export { realworldHand } from './datasets/realworld-hand.js';
export { torresaniFace } from './datasets/torresani-face.js';
export { torresaniShark } from './datasets/torresani-shark.js';
export { torresaniWalking } from './datasets/torresani-walking.js';
export { h36m17 } from './h36m-17.js';
export { hand21 } from './hand-21.js';
export { ibugFace68 } from './ibug-face-68.js';
export { mediapipePose33 } from './mediapipe-pose-33.js';
export { openposeBody25 } from './openpose-body-25.js';
export { openposeCoco18 } from './openpose-coco-18.js';

/** Standard keypoint layouts of detectors and benchmarks. */
export const standardRigs: readonly Rig[] = Object.freeze([
  coco17,
  cocoWholebody133,
  h36m17,
  hand21,
  ibugFace68,
  mediapipePose33,
  openposeBody25,
  openposeCoco18,
]);

/**
 * The rig of every dataset in the LFM corpus (`shared/data`), id = dataset name, plus the per-sequence
 * marker orders of akhter-markers (see `akhterMarkersSequenceRigs`).
 */
export const datasetRigs: readonly Rig[] = Object.freeze([
  aflwFace,
  akhterDance,
  akhterMarkers,
  akhterMarkersDrink,
  akhterMarkersPickup,
  akhterMarkersStretch,
  bandaiBody,
  cmuBody,
  dogBody,
  frgcFace,
  h36mBody,
  h36mCams,
  pascal3dAeroplane,
  pascal3dBicycle,
  pascal3dBoat,
  pascal3dBottle,
  pascal3dBus,
  pascal3dChair,
  pascal3dSofa,
  realworldHand,
  torresaniFace,
  torresaniShark,
  torresaniWalking,
]);

/** Every built-in rig: `standardRigs` then `datasetRigs`. */
export const builtinRigs: readonly Rig[] = Object.freeze([...standardRigs, ...datasetRigs]);

/**
 * Families of rigs with the same joints, one for one and in the same order, the dataset rig first:
 * the same landmarks under other ids (a detector's name for them, or another capture of the same
 * layout). Each family's rigs are built from one skeleton (h36m-body and h36m-cams from h36m-17,
 * aflw-face from ibug-face-68, realworld-hand and hand-21 from one hand layout).
 */
const SAME_JOINT_FAMILIES: readonly (readonly [Rig, ...Rig[]])[] = [
  [h36mBody, h36m17, h36mCams], // the Human3.6M 17-joint order; h36m-cams: the same subjects seen by the real cameras
  [realworldHand, hand21], // MediaPipe's 21 hand landmarks
  [aflwFace, ibugFace68], // the iBUG-300W 68 face landmarks
];

/**
 * Rig id → the dataset rig whose joints are its joints (`SAME_JOINT_FAMILIES`). A joint-code model
 * trained on the dataset lifts them with the dataset's codes (`jointCodeRig`).
 */
export const SAME_JOINTS_AS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    SAME_JOINT_FAMILIES.flatMap(([dataset, ...same]) => same.map((r) => [r.id, dataset.id])),
  ),
);

/**
 * The rig whose codes a joint-code model trained on the rigs `coded` gives `rig`'s joints: `rig`
 * itself when coded, else the dataset rig it has the same joints as (`SAME_JOINTS_AS`) when that is
 * coded, else undefined (identity unknown: zero codes).
 */
export function jointCodeRig(rig: Rig, coded: readonly string[]): Rig | undefined {
  if (coded.includes(rig.id)) return rig;
  const same = SAME_JOINTS_AS[rig.id];
  if (same === undefined || !coded.includes(same)) return undefined;
  const target = datasetRigs.find((r) => r.id === same)!;
  return target.joints.length === rig.joints.length ? target : undefined;
}

/**
 * The anatomical keys (`anatomicalKeys`) a model coded for `coded` rigs was trained on in `category`:
 * those of the coded dataset rigs of that category, except rig `except` (the rig being looked up, so a
 * rig never counts as its own evidence). A model with `anatomicalCodes` knows the codes of these keys.
 */
export function trainedAnatomicalKeys(
  category: string,
  coded: readonly string[],
  except?: string,
): ReadonlySet<string> {
  const keys = new Set<string>();
  for (const r of datasetRigs) {
    if (r.category !== category || r.id === except || !coded.includes(r.id)) continue;
    for (const key of anatomicalKeys(r.joints)) if (key !== undefined) keys.add(key);
  }
  return keys;
}

/**
 * Register every built-in rig in the shared @lfm/rig registry and return them. Safe to call any number
 * of times (re-registering an equal rig is a no-op). Importing `@lfm/rigs/register` does the same.
 */
export function registerBuiltinRigs(): Rig[] {
  return builtinRigs.map((rig) => registerRig(rig));
}

export { anatomicalKeys, type NamedJointSource, namedJointSource } from './named-joints.js';
