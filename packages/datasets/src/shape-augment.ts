import { axisAngleToMatrix, InputError, type Rng, randomRotation } from '@lfm/core';

/**
 * Shape-space augmentation: stages that change a training sample's 3D shape (in the dataset frame,
 * before the batcher's view rotation and projection) so that a lifter learns geometry rather than one
 * rig's proportions. Every stage works in place on a frame's points stored by joint, `points[3j..3j+3)`
 * (Float64, NaN = missing joint), allocates nothing (buffers in a `ShapeScratch`), and draws its random
 * numbers from the caller's generator; the batcher calls a stage only when its coin (`happens`) comes
 * up, and a disabled stage draws nothing.
 */

/** A spanning forest of a sample's joints: each joint after its parent in `order`. */
export interface JointTree {
  /** [J]: the parent joint, −1 for a root or for a joint outside the tree (missing). */
  readonly parent: Int32Array;
  /** [J]: the tree's joints in breadth-first (bones) or Prim (spanning tree) order, parents first. */
  readonly order: Int32Array;
  /** How many joints `order` holds. */
  size: number;
}

/** Preallocated buffers of the stages (one per batcher), and what the last call drew (for tests). */
export interface ShapeScratch {
  readonly tree: JointTree;
  /** [J]: the factor the last `scaleBones` multiplied the bone parent[j]→j by (1 for a root). */
  readonly boneFactor: Float64Array;
  /** [9]: the last `scaleAnisotropic`'s axes, one per row (orthonormal). */
  readonly axes: Float64Array;
  /** [3]: the factors along those axes. */
  readonly axisFactor: Float64Array;
  /** [9]: the last `rearticulate`'s rotation. */
  readonly rotation: Float64Array;
  readonly offset: Float64Array;
  readonly mark: Uint8Array;
  readonly start: Int32Array;
  readonly cursor: Int32Array;
  readonly neighbour: Int32Array;
  readonly key: Float64Array;
  readonly candidates: Int32Array;
  readonly q: Float64Array;
  readonly rotvec: Float64Array;
}

/** Buffers for frames of up to J joints and bone lists of up to `boneEntries` flat indices (2 per bone). */
export function createShapeScratch(J: number, boneEntries = 0): ShapeScratch {
  return {
    tree: { parent: new Int32Array(J).fill(-1), order: new Int32Array(J), size: 0 },
    boneFactor: new Float64Array(J),
    axes: new Float64Array(9),
    axisFactor: new Float64Array(3),
    rotation: new Float64Array(9),
    offset: new Float64Array(3 * J),
    mark: new Uint8Array(J),
    start: new Int32Array(J + 1),
    cursor: new Int32Array(J),
    neighbour: new Int32Array(boneEntries),
    key: new Float64Array(J),
    candidates: new Int32Array(J),
    q: new Float64Array(4),
    rotvec: new Float64Array(3),
  };
}

/**
 * The coin of a stage of probability p: true with probability p. Draws one uniform for 0 < p < 1 and
 * none at p ≤ 0 (a disabled stage leaves the generator untouched) or p ≥ 1.
 */
export function happens(rng: Rng, p: number): boolean {
  return p >= 1 || (p > 0 && rng.uniform() < p);
}

/**
 * The kinematic tree of a sample for `scaleBones` and `rearticulate`: the bones' tree when the frame
 * has bones (`boneTree`), else the minimum spanning tree of its present joints (`spanningTree`).
 * joints[0..n): the present joints, ascending.
 */
export function jointTree(
  points: ArrayLike<number>,
  bones: Int32Array,
  joints: ArrayLike<number>,
  n: number,
  scratch: ShapeScratch,
): JointTree {
  return bones.length > 0 ? boneTree(bones, joints, n, scratch) : spanningTree(points, joints, n, scratch);
}

/**
 * Breadth-first spanning forest of the bone graph (flat pairs [i0, j0, i1, j1, …]) restricted to the
 * present joints joints[0..n) (ascending): each connected component is rooted at its lowest joint index
 * (a rig's first joint is usually its root: pelvis, hips); a bone to a missing joint is dropped, and a
 * cycle keeps the bones breadth-first search reaches first. A present joint on no bone is a root alone.
 */
export function boneTree(
  bones: Int32Array,
  joints: ArrayLike<number>,
  n: number,
  scratch: ShapeScratch,
): JointTree {
  const { tree, mark, start, cursor, neighbour } = scratch;
  const { parent, order } = tree;
  const J = parent.length;
  parent.fill(-1);
  mark.fill(0);
  start.fill(0);
  for (let i = 0; i < n; i++) mark[joints[i]!] = 1;
  // Adjacency lists (CSR) of the bones between present joints.
  for (let e = 0; e < bones.length; e += 2) {
    const a = bones[e]!;
    const c = bones[e + 1]!;
    if (a === c || mark[a] !== 1 || mark[c] !== 1) continue;
    start[a + 1]!++;
    start[c + 1]!++;
  }
  for (let j = 0; j < J; j++) {
    start[j + 1]! += start[j]!;
    cursor[j] = start[j]!;
  }
  for (let e = 0; e < bones.length; e += 2) {
    const a = bones[e]!;
    const c = bones[e + 1]!;
    if (a === c || mark[a] !== 1 || mark[c] !== 1) continue;
    neighbour[cursor[a]!++] = c;
    neighbour[cursor[c]!++] = a;
  }
  // Breadth-first from the lowest unvisited present joint (mark 1 = present, 2 = in the tree).
  let size = 0;
  for (let i = 0; i < n; i++) {
    const root = joints[i]!;
    if (mark[root] !== 1) continue;
    mark[root] = 2;
    order[size++] = root;
    for (let head = size - 1; head < size; head++) {
      const v = order[head]!;
      for (let e = start[v]!; e < start[v + 1]!; e++) {
        const w = neighbour[e]!;
        if (mark[w] !== 1) continue;
        mark[w] = 2;
        parent[w] = v;
        order[size++] = w;
      }
    }
  }
  tree.size = size;
  return tree;
}

/**
 * Minimum spanning tree (Euclidean 3D distance) of the present joints joints[0..n) (ascending), for a
 * rig without bones: Prim's algorithm, O(n²), rooted at the joint nearest the joints' mean (ties: the
 * lower index), so bones grow outward from the middle of the shape.
 */
export function spanningTree(
  points: ArrayLike<number>,
  joints: ArrayLike<number>,
  n: number,
  scratch: ShapeScratch,
): JointTree {
  const { tree, mark, key } = scratch;
  const { parent, order } = tree;
  parent.fill(-1);
  mark.fill(0);
  const mean = jointCentroid(points, joints, n, centre);
  const cx = mean[0]!;
  const cy = mean[1]!;
  const cz = mean[2]!;
  let root = joints[0]!;
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const j = joints[i]!;
    const d = dist2(points, 3 * j, cx, cy, cz);
    if (d < best) {
      best = d;
      root = j;
    }
    mark[j] = 1;
    key[j] = Infinity;
  }
  let size = 0;
  let next = root;
  while (next >= 0) {
    const v = next;
    mark[v] = 2;
    order[size++] = v;
    next = -1;
    best = Infinity;
    const o = 3 * v;
    for (let i = 0; i < n; i++) {
      const u = joints[i]!;
      if (mark[u] !== 1) continue;
      const d = dist2(points, 3 * u, points[o]!, points[o + 1]!, points[o + 2]!);
      if (d < key[u]!) {
        key[u] = d;
        parent[u] = v;
      }
      if (key[u]! < best) {
        best = key[u]!;
        next = u;
      }
    }
  }
  tree.size = size;
  return tree;
}

function dist2(p: ArrayLike<number>, o: number, x: number, y: number, z: number): number {
  const dx = p[o]! - x;
  const dy = p[o + 1]! - y;
  const dz = p[o + 2]! - z;
  return dx * dx + dy * dy + dz * dz;
}

/**
 * Per-bone length scaling along the tree: each bone parent[j]→j is multiplied by f_j = exp(u),
 * u ~ U[−maxLog, maxLog], and every joint moves with its parent (x'_j = x'_parent + f_j (x_j − x_parent),
 * parents first; roots stay put). With mirror pairs (mirrorOf[j] = j's partner, null without pairs), a
 * coin decides per call whether the body stays symmetric — with probability 1/2 the bone to j and the
 * bone to its partner share one factor — or every bone gets its own (the coin is drawn only when there
 * are pairs). The factors are left in scratch.boneFactor.
 */
export function scaleBones(
  points: Float64Array,
  tree: JointTree,
  maxLog: number,
  mirrorOf: Int32Array | null,
  rng: Rng,
  scratch: ShapeScratch,
): void {
  const { parent, order, size } = tree;
  const { offset, boneFactor: f } = scratch;
  const symmetric = mirrorOf !== null && rng.uniform() < 0.5;
  for (let t = 0; t < size; t++) {
    const j = order[t]!;
    const p = parent[j]!;
    if (p < 0) {
      f[j] = 1;
      continue;
    }
    f[j] = Number.NaN;
    for (let c = 0; c < 3; c++) offset[3 * j + c] = points[3 * j + c]! - points[3 * p + c]!;
  }
  for (let t = 0; t < size; t++) {
    const j = order[t]!;
    const p = parent[j]!;
    if (p < 0) continue;
    if (Number.isNaN(f[j])) {
      f[j] = Math.exp(maxLog * (2 * rng.uniform() - 1));
      const m = symmetric && mirrorOf ? mirrorOf[j]! : j;
      if (m !== j && parent[m]! >= 0 && Number.isNaN(f[m])) f[m] = f[j]!;
    }
    const s = f[j]!;
    for (let c = 0; c < 3; c++) points[3 * j + c] = points[3 * p + c]! + s * offset[3 * j + c]!;
  }
}

/**
 * Anisotropic scaling: the present joints joints[0..n) scaled about their mean along three random
 * orthogonal axes (the rows of a rotation uniform on SO(3)) by exp(u_i), u_i ~ U[−maxLog, maxLog].
 * The axes and factors are left in scratch.axes and scratch.axisFactor.
 */
export function scaleAnisotropic(
  points: Float64Array,
  joints: ArrayLike<number>,
  n: number,
  maxLog: number,
  rng: Rng,
  scratch: ShapeScratch,
): void {
  const { q, axes, axisFactor } = scratch;
  randomRotation(rng, axes, q);
  for (let i = 0; i < 3; i++) axisFactor[i] = Math.exp(maxLog * (2 * rng.uniform() - 1));
  scaleAlongAxes(points, joints, n, axes, axisFactor);
}

/**
 * x ← c + Aᵀ diag(factors) A (x − c) for the joints joints[0..n), c their mean; A's rows (axes,
 * row-major 3×3) must be orthonormal.
 */
export function scaleAlongAxes(
  points: Float64Array,
  joints: ArrayLike<number>,
  n: number,
  axes: ArrayLike<number>,
  factors: ArrayLike<number>,
): void {
  const mean = jointCentroid(points, joints, n, centre);
  const cx = mean[0]!;
  const cy = mean[1]!;
  const cz = mean[2]!;
  const A = axes;
  for (let i = 0; i < n; i++) {
    const o = 3 * joints[i]!;
    const dx = points[o]! - cx;
    const dy = points[o + 1]! - cy;
    const dz = points[o + 2]! - cz;
    const a = factors[0]! * (A[0]! * dx + A[1]! * dy + A[2]! * dz);
    const b = factors[1]! * (A[3]! * dx + A[4]! * dy + A[5]! * dz);
    const c = factors[2]! * (A[6]! * dx + A[7]! * dy + A[8]! * dz);
    points[o] = cx + A[0]! * a + A[3]! * b + A[6]! * c;
    points[o + 1] = cy + A[1]! * a + A[4]! * b + A[7]! * c;
    points[o + 2] = cz + A[2]! * a + A[5]! * b + A[8]! * c;
  }
}

/** Scratch for jointCentroid's result (the callers read it at once). */
const centre = new Float64Array(3);

/**
 * The mean of the points of joints[0..n) (points row-major, 3 per joint), written to out
 * (x, y, z) and returned; sums then divides, in Float64.
 */
export function jointCentroid(
  points: ArrayLike<number>,
  joints: ArrayLike<number>,
  n: number,
  out: Float64Array = new Float64Array(3),
): Float64Array {
  let cx = 0;
  let cy = 0;
  let cz = 0;
  for (let i = 0; i < n; i++) {
    const o = 3 * joints[i]!;
    cx += points[o]!;
    cy += points[o + 1]!;
    cz += points[o + 2]!;
  }
  out[0] = cx / n;
  out[1] = cy / n;
  out[2] = cz / n;
  return out;
}

/**
 * Left/right mirror of a frame of J joints: reflects x about the mean x of the present joints (the
 * plane x = mean in the dataset frame; after a uniform view rotation any mirror plane is the same
 * augmentation), then swaps the points of each mirror pair (mirrorOf[j] = j's partner, or j), so the
 * joint labelled left is still the left one and the rig keeps its chirality; without pairs (null) it
 * only reflects. Missing joints (NaN) swap with their partner too. Applied twice it is the identity
 * (up to rounding of the mean). Draws nothing.
 */
export function mirrorShape(points: Float64Array, J: number, mirrorOf: Int32Array | null): void {
  let cx = 0;
  let present = 0;
  for (let j = 0; j < J; j++) {
    const x = points[3 * j]!;
    if (Number.isNaN(x)) continue;
    cx += x;
    present++;
  }
  if (present === 0) return;
  cx /= present;
  for (let j = 0; j < J; j++) points[3 * j] = 2 * cx - points[3 * j]!;
  if (!mirrorOf) return;
  for (let j = 0; j < J; j++) {
    const m = mirrorOf[j]!;
    if (m <= j) continue;
    for (let c = 0; c < 3; c++) {
      const t = points[3 * j + c]!;
      points[3 * j + c] = points[3 * m + c]!;
      points[3 * m + c] = t;
    }
  }
}

/**
 * Re-articulation: picks a uniformly random non-root joint of the tree that has children, and rotates
 * the subtree below it (its descendants; the joint itself is the pivot and stays) about the joint by a
 * rotation of uniform random axis and angle uniform in [0, maxAngle] (radians). Bone lengths are kept
 * and nothing outside the subtree moves. Returns the pivot joint, or −1 (drawing nothing) when no joint
 * qualifies (a tree of depth ≤ 1). The rotation is left in scratch.rotation.
 */
export function rearticulate(
  points: Float64Array,
  tree: JointTree,
  maxAngle: number,
  rng: Rng,
  scratch: ShapeScratch,
): number {
  const { parent, order, size } = tree;
  const { mark, candidates, rotvec, rotation: M } = scratch;
  for (let t = 0; t < size; t++) mark[order[t]!] = 0;
  for (let t = 0; t < size; t++) {
    const p = parent[order[t]!]!;
    if (p >= 0) mark[p] = 1;
  }
  let count = 0;
  for (let t = 0; t < size; t++) {
    const j = order[t]!;
    if (parent[j]! >= 0 && mark[j] === 1) candidates[count++] = j;
  }
  if (count === 0) return -1;
  const pivot = candidates[rng.int(count)]!;
  let norm = 0;
  do {
    rotvec[0] = rng.normal();
    rotvec[1] = rng.normal();
    rotvec[2] = rng.normal();
    norm = Math.hypot(rotvec[0], rotvec[1], rotvec[2]);
  } while (norm < 1e-6);
  const angle = maxAngle * rng.uniform();
  for (let c = 0; c < 3; c++) rotvec[c] = (rotvec[c]! / norm) * angle;
  axisAngleToMatrix(rotvec, M);
  // mark: 2 = in the subtree (parents come first in `order`, so one pass finds it).
  for (let t = 0; t < size; t++) mark[order[t]!] = 0;
  mark[pivot] = 2;
  const px = points[3 * pivot]!;
  const py = points[3 * pivot + 1]!;
  const pz = points[3 * pivot + 2]!;
  for (let t = 0; t < size; t++) {
    const j = order[t]!;
    const p = parent[j]!;
    if (j === pivot || p < 0 || mark[p] !== 2) continue;
    mark[j] = 2;
    const o = 3 * j;
    const dx = points[o]! - px;
    const dy = points[o + 1]! - py;
    const dz = points[o + 2]! - pz;
    points[o] = px + M[0]! * dx + M[1]! * dy + M[2]! * dz;
    points[o + 1] = py + M[3]! * dx + M[4]! * dy + M[5]! * dz;
    points[o + 2] = pz + M[6]! * dx + M[7]! * dy + M[8]! * dz;
  }
  return pivot;
}

/**
 * mirrorOf[j] = j's left/right partner (or j) from mirror pairs over J joints, or null when there is
 * no pair. InputError naming the bad pair: a joint outside [0, J), paired with itself or in two pairs.
 */
export function mirrorIndexOf(
  pairs: readonly (readonly [number, number])[],
  J: number,
  where = 'symmetry',
): Int32Array | null {
  if (pairs.length === 0) return null;
  const m = Int32Array.from({ length: J }, (_, j) => j);
  pairs.forEach(([a, b], k) => {
    const ok = Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0 && a < J && b < J;
    if (!ok || a === b || m[a] !== a || m[b] !== b) {
      throw new InputError(
        `${where}: mirror pair #${k} [${a}, ${b}] must be two distinct joints in [0, ${J}), each in one pair only`,
      );
    }
    m[a] = b;
    m[b] = a;
  });
  return m;
}
