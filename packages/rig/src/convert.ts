import type { Rig } from './define-rig.js';
import { PointsShapeError, UnknownJointError } from './errors.js';
import { getRig } from './registry.js';
import { didYouMean } from './suggest.js';

/**
 * Target joint name → the source joint whose position it takes, or several source joints whose mean it
 * takes (e.g. `pelvis: ['left_hip', 'right_hip']`). Target joints not listed are missing (NaN).
 */
export type JointMapping = Readonly<Record<string, string | readonly string[]>>;

/** A prepared move of keypoints from one rig to another; build once, apply to many arrays. */
export interface JointConversion {
  readonly from: Rig;
  readonly to: Rig;
  /** Length J_to: the source joint indices averaged into each target joint; [] = unmapped (NaN). */
  readonly sources: readonly (readonly number[])[];
  /**
   * points [F, J_from, D] (flat, C order) → a new array of the same type [F, J_to, D]. Target joint t of
   * frame f is the mean of its source joints; it is NaN (all D coordinates) when it is unmapped or when
   * any of its sources has a NaN coordinate in that frame (a missing joint never leaks into a mean).
   */
  apply<T extends Float32Array | Float64Array>(points: T, dims: number): T;
}

/**
 * Prepare a conversion of keypoints from rig `from` to rig `to` (Rigs or registered ids). Without a
 * mapping, target joints take the source joint of the same name. Throws UnknownJointError for a name
 * that is not a joint of its rig.
 */
export function convertJoints(from: Rig | string, to: Rig | string, mapping?: JointMapping): JointConversion {
  const src = typeof from === 'string' ? getRig(from) : from;
  const dst = typeof to === 'string' ? getRig(to) : to;
  const sources: number[][] = dst.joints.map(() => []);
  const sourceIndex = (name: unknown, target: string): number => {
    const i = typeof name === 'string' ? src.jointIndex.get(name) : undefined;
    if (i === undefined) {
      const hint = typeof name === 'string' ? didYouMean(name, src.joints) : '';
      throw new UnknownJointError(
        `joint mapping '${src.id}' → '${dst.id}': target '${target}' takes '${String(name)}', ` +
          `which is not a joint of source rig '${src.id}'${hint}`,
      );
    }
    return i;
  };

  if (mapping === undefined) {
    let shared = 0;
    dst.joints.forEach((name, t) => {
      const i = src.jointIndex.get(name);
      if (i !== undefined) {
        sources[t]!.push(i);
        shared++;
      }
    });
    if (shared === 0) {
      throw new UnknownJointError(
        `rigs '${src.id}' and '${dst.id}' share no joint names; pass a mapping { targetJoint: sourceJoint | [sourceJoints] }`,
      );
    }
  } else {
    for (const [target, value] of Object.entries(mapping)) {
      const t = dst.jointIndex.get(target);
      if (t === undefined) {
        throw new UnknownJointError(
          `joint mapping '${src.id}' → '${dst.id}': '${target}' is not a joint of target rig '${dst.id}'` +
            didYouMean(target, dst.joints),
        );
      }
      const names: readonly unknown[] = Array.isArray(value) ? value : [value];
      if (names.length === 0) {
        throw new UnknownJointError(
          `joint mapping '${src.id}' → '${dst.id}': target '${target}' maps to an empty list; leave it out to mark it missing`,
        );
      }
      sources[t] = names.map((n) => sourceIndex(n, target));
    }
  }

  const frozenSources = Object.freeze(sources.map((s) => Object.freeze(s)));
  return Object.freeze({
    from: src,
    to: dst,
    sources: frozenSources,
    apply<T extends Float32Array | Float64Array>(points: T, dims: number): T {
      const Jf = src.numJoints;
      const Jt = dst.numJoints;
      if (!Number.isInteger(dims) || dims < 1) {
        throw new PointsShapeError(`dims must be a positive integer (2 or 3 for keypoints), got ${dims}`);
      }
      if (points.length % (Jf * dims) !== 0) {
        throw new PointsShapeError(
          `points of length ${points.length} are not [F, ${Jf}, ${dims}] for rig '${src.id}' ` +
            `(${Jf} joints × ${dims} dims = ${Jf * dims} values per frame)`,
        );
      }
      const F = points.length / (Jf * dims);
      const out = new (points.constructor as new (n: number) => T)(F * Jt * dims);
      const acc = new Float64Array(dims);
      for (let f = 0; f < F; f++) {
        const inBase = f * Jf * dims;
        for (let t = 0; t < Jt; t++) {
          const outBase = (f * Jt + t) * dims;
          const srcs = frozenSources[t]!;
          let ok = srcs.length > 0;
          acc.fill(0);
          for (let k = 0; ok && k < srcs.length; k++) {
            const base = inBase + srcs[k]! * dims;
            for (let c = 0; c < dims; c++) {
              const v = points[base + c]!;
              if (Number.isNaN(v)) {
                ok = false;
                break;
              }
              acc[c]! += v;
            }
          }
          for (let c = 0; c < dims; c++) out[outBase + c] = ok ? acc[c]! / srcs.length : Number.NaN;
        }
      }
      return out;
    },
  });
}
