import { defineRig, type JointPair, type Rig } from '@lfm/rig';

const CITATION =
  'Xiang, Mottaghi, Savarese. Beyond PASCAL: A Benchmark for 3D Object Detection in the Wild. WACV 2014 (PASCAL3D+ CAD anchors; copy: Azulgrana1/ObjectSLAM-TRO).';
const UNITS = 'normalised CAD model units (PASCAL3D+ models scaled to ~unit size, centred)';

/**
 * The rig of a `pascal3d-<cls>` dataset (from its meta.json): the named CAD anchor keypoints of one
 * PASCAL3D+ class over `models` CAD models, with the source's bones (often none) and mirror pairs.
 */
export function pascal3dRig(
  cls: string,
  models: number,
  skeleton: {
    readonly joints: readonly string[];
    readonly bones?: readonly JointPair[];
    readonly mirror: readonly JointPair[];
  },
): Rig {
  const bones = skeleton.bones ?? [];
  const noBones = ' No bones (the source gives none): local attention uses a k-nearest-neighbour graph.';
  return defineRig({
    specVersion: 1,
    id: `pascal3d-${cls}`,
    category: `rigid-${cls}`,
    joints: [...skeleton.joints],
    bones,
    mirror: skeleton.mirror,
    citation: CITATION,
    description: `PASCAL3D+ CAD anchor keypoints for class '${cls}': ${models} CAD models x ${skeleton.joints.length} named keypoints.${bones.length === 0 ? noBones : ''}`,
    units: UNITS,
  });
}
