import { eigenSymmetric, InputError, nd } from '@lfm/core';
import { alignSimilarity, applySimilarity } from './align.js';
import { nrsfm } from './nrsfm.js';

/**
 * Bilateral symmetry of a 3D point set: the plane (unit normal n, offset d: points x with n·x = d)
 * and the left/right pairing of the points it maps onto each other, for rigs that give no mirror
 * pairs (numbered markers: torresani-face, frgc-face, the shark). Search, then refine:
 * - every pair of points (i, j) proposes the plane that swaps them (normal along xᵢ − xⱼ, through
 *   their midpoint); each proposal reflects every point and takes, per point, the distance to its
 *   nearest point, truncated at `searchTolerance` (the cost of a point the plane does not explain);
 *   the proposal of least summed squared cost wins;
 * - refinement alternates { match: a point is on the plane when its own reflection is its nearest
 *   point, paired with j when each is the other's nearest and the residual is within `tolerance`;
 *   fit: n the principal direction of the pairs' differences, d the mean of n · (pair midpoints and
 *   plane points) } until the matching stops changing.
 * A point set with fewer than 2 pairs of its points matched is reported without pairs (no
 * symmetry found). O(J³) for the search; the proposals are every pair, so J ≤ 400.
 * Written here: no npm package finds a point-to-point bilateral symmetry (the mesh-symmetry
 * literature works on surfaces, not on a few dozen labelled points).
 */
export interface SymmetryOptions {
  /** A pair (or a point on the plane) is kept when its reflected point lands within this fraction of the shape's RMS radius of its partner. Default 0.1. */
  readonly tolerance?: number;
  /** The truncation of the search's per-point cost, the same units. Default 0.15. */
  readonly searchTolerance?: number;
}

export interface SymmetryResult {
  /** Left/right pairs [i, j], i < j, sorted by i. Empty when no symmetry was found. */
  readonly pairs: [number, number][];
  /** Points on the symmetry plane (their own mirror). */
  readonly centre: number[];
  /** The plane: unit normal and offset (n · x = offset on it), in the input's frame and units. */
  readonly normal: [number, number, number];
  readonly offset: number;
  /** RMS over the paired and plane points of the reflected point's distance to its partner, ÷ the RMS radius. */
  readonly residual: number;
  /** (2 · pairs + plane points) ÷ known points. */
  readonly coverage: number;
}

const MAX_POINTS = 400;

/** Bilateral symmetry (see above) of `points` [J, 3]; `known` [J] (1 = use the point; default all finite). */
export function detectSymmetry(
  points: ArrayLike<number>,
  J: number,
  known?: ArrayLike<number>,
  options: SymmetryOptions = {},
): SymmetryResult {
  const tol = options.tolerance ?? 0.1;
  const searchTol = options.searchTolerance ?? 0.15;
  if (!(Number.isInteger(J) && J >= 2 && J <= MAX_POINTS)) {
    throw new InputError(`detectSymmetry: needs 2..${MAX_POINTS} points, got ${J}`);
  }
  if (points.length !== 3 * J) throw new InputError(`detectSymmetry: points must hold 3·J = ${3 * J} values`);
  if (!(tol > 0 && searchTol > 0)) throw new InputError('detectSymmetry: tolerances must be > 0');
  // The known points, centred and scaled to unit RMS radius.
  const idx: number[] = [];
  for (let j = 0; j < J; j++) {
    const ok = known ? known[j]! > 0 : true;
    if (
      ok &&
      Number.isFinite(points[3 * j]) &&
      Number.isFinite(points[3 * j + 1]) &&
      Number.isFinite(points[3 * j + 2])
    ) {
      idx.push(j);
    }
  }
  const n = idx.length;
  const X = new Float64Array(3 * n);
  const c = [0, 0, 0];
  idx.forEach((j, k) => {
    for (let a = 0; a < 3; a++) {
      X[3 * k + a] = points[3 * j + a]!;
      c[a]! += points[3 * j + a]! / n;
    }
  });
  let r2 = 0;
  for (let k = 0; k < n; k++) for (let a = 0; a < 3; a++) r2 += (X[3 * k + a]! -= c[a]!) ** 2;
  const radius = Math.sqrt(r2 / Math.max(1, n));
  const none: SymmetryResult = {
    pairs: [],
    centre: [],
    normal: [1, 0, 0],
    offset: 0,
    residual: 0,
    coverage: 0,
  };
  if (n < 4 || !(radius > 0)) return none;
  for (let i = 0; i < 3 * n; i++) X[i]! /= radius;

  const nearest = new Int32Array(n);
  const dist = new Float64Array(n);
  // For plane (nx, ny, nz, d): each point's nearest point after reflection, and the distance.
  const match = (nx: number, ny: number, nz: number, d: number): void => {
    for (let k = 0; k < n; k++) {
      const x = X[3 * k]!;
      const y = X[3 * k + 1]!;
      const z = X[3 * k + 2]!;
      const s = 2 * (nx * x + ny * y + nz * z - d);
      const rx = x - s * nx;
      const ry = y - s * ny;
      const rz = z - s * nz;
      let best = Infinity;
      let bi = 0;
      for (let l = 0; l < n; l++) {
        const dx = rx - X[3 * l]!;
        const dy = ry - X[3 * l + 1]!;
        const dz = rz - X[3 * l + 2]!;
        const e = dx * dx + dy * dy + dz * dz;
        if (e < best) {
          best = e;
          bi = l;
        }
      }
      nearest[k] = bi;
      dist[k] = Math.sqrt(best);
    }
  };
  // Search: the proposal of every pair.
  let bestCost = Infinity;
  let plane = [1, 0, 0, 0];
  const st2 = searchTol * searchTol;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let vx = X[3 * i]! - X[3 * j]!;
      let vy = X[3 * i + 1]! - X[3 * j + 1]!;
      let vz = X[3 * i + 2]! - X[3 * j + 2]!;
      const len = Math.hypot(vx, vy, vz);
      if (!(len > 1e-9)) continue;
      vx /= len;
      vy /= len;
      vz /= len;
      const d =
        (vx * (X[3 * i]! + X[3 * j]!) +
          vy * (X[3 * i + 1]! + X[3 * j + 1]!) +
          vz * (X[3 * i + 2]! + X[3 * j + 2]!)) /
        2;
      match(vx, vy, vz, d);
      let cost = 0;
      for (let k = 0; k < n && cost < bestCost; k++) cost += Math.min(dist[k]! ** 2, st2);
      if (cost < bestCost) {
        bestCost = cost;
        plane = [vx, vy, vz, d];
      }
    }
  }
  // Refinement.
  let pairs: [number, number][] = [];
  let centre: number[] = [];
  let signature = '';
  const scatter = new Float64Array(9);
  const values = new Float64Array(3);
  const V = new Float64Array(9);
  const scratch = new Float64Array(3);
  for (let it = 0; it < 20; it++) {
    match(plane[0]!, plane[1]!, plane[2]!, plane[3]!);
    pairs = [];
    centre = [];
    for (let k = 0; k < n; k++) {
      const m = nearest[k]!;
      if (dist[k]! > tol || nearest[m] !== k) continue;
      if (m === k) centre.push(k);
      else if (k < m) pairs.push([k, m]);
    }
    const sig = JSON.stringify([pairs, centre]);
    if (sig === signature || pairs.length < 2) break;
    signature = sig;
    // n: the principal direction of the pairs' differences (sign-free); d: the mean plane offset.
    scatter.fill(0);
    for (const [a, b] of pairs) {
      const v = [X[3 * a]! - X[3 * b]!, X[3 * a + 1]! - X[3 * b + 1]!, X[3 * a + 2]! - X[3 * b + 2]!];
      for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) scatter[3 * p + q]! += v[p]! * v[q]!;
    }
    eigenSymmetric(3, scatter, values, V, scratch);
    const nn = [V[2]!, V[5]!, V[8]!];
    let d = 0;
    for (const [a, b] of pairs) {
      for (let p = 0; p < 3; p++) d += (nn[p]! * (X[3 * a + p]! + X[3 * b + p]!)) / 2;
    }
    for (const k of centre) for (let p = 0; p < 3; p++) d += nn[p]! * X[3 * k + p]!;
    plane = [nn[0]!, nn[1]!, nn[2]!, d / (pairs.length + centre.length)];
  }
  if (pairs.length < 2) return none;
  let e2 = 0;
  for (const [a] of pairs) e2 += 2 * dist[a]! ** 2;
  for (const k of centre) e2 += dist[k]! ** 2;
  const used = 2 * pairs.length + centre.length;
  const offset = plane[3]! * radius + plane[0]! * c[0]! + plane[1]! * c[1]! + plane[2]! * c[2]!;
  return {
    pairs: pairs
      .map(([a, b]): [number, number] => [Math.min(idx[a]!, idx[b]!), Math.max(idx[a]!, idx[b]!)])
      .sort((p, q) => p[0] - q[0]),
    centre: centre.map((k) => idx[k]!).sort((p, q) => p - q),
    normal: [plane[0]!, plane[1]!, plane[2]!],
    offset,
    residual: Math.sqrt(e2 / used),
    coverage: used / n,
  };
}

export interface Symmetry2dOptions extends SymmetryOptions {
  /** NRSfM basis size (1 = rigid; default 2). */
  readonly rank?: number;
  /** At most this many views, evenly spaced (default 400): the reconstruction is O(views). */
  readonly maxViews?: number;
}

export interface Symmetry2dResult extends SymmetryResult {
  /** The mean 3D shape [J, 3] the symmetry was found on (unit RMS radius; 0 at a point never seen). */
  readonly shape: Float64Array;
  /** Views used, and the NRSfM reprojection RMS ÷ the views' mean RMS radius. */
  readonly views: number;
  readonly reprojection: number;
}

/**
 * Bilateral symmetry of a rig from its 2D alone: NRSfM (`nrsfm`, rank `rank`) of the views
 * `points2d` [S, J, 2] with `mask` [S, J], the reconstructions' Procrustes mean (two rounds of
 * aligning every view to the mean), then `detectSymmetry` of that mean. The depth mirror NRSfM leaves
 * open does not matter: a shape and its mirror have the same symmetry.
 */
export function symmetryFrom2d(
  points2d: ArrayLike<number>,
  mask: ArrayLike<number>,
  S: number,
  J: number,
  options: Symmetry2dOptions = {},
): Symmetry2dResult {
  const maxViews = options.maxViews ?? 400;
  const n = Math.min(S, maxViews);
  const p2 = new Float64Array(n * J * 2);
  const m = new Uint8Array(n * J);
  for (let k = 0; k < n; k++) {
    const s = Math.floor((k * S) / n);
    for (let i = 0; i < 2 * J; i++) p2[2 * k * J + i] = points2d[2 * s * J + i]!;
    for (let j = 0; j < J; j++) m[k * J + j] = mask[s * J + j]! > 0 ? 1 : 0;
  }
  const r = nrsfm(p2, m, n, J, { rank: options.rank ?? 2 });
  // Procrustes mean of the reconstructions: start from the view with the most visible points.
  let ref = 0;
  let most = -1;
  for (let k = 0; k < n; k++) {
    let c = 0;
    for (let j = 0; j < J; j++) c += m[k * J + j]!;
    if (c > most) {
      most = c;
      ref = k;
    }
  }
  let mean: Float64Array = r.shapes.slice(3 * ref * J, 3 * (ref + 1) * J);
  let known: Float64Array = Float64Array.from(m.subarray(ref * J, (ref + 1) * J));
  const weights = nd(Float64Array.from(m), [n, J]);
  for (let round = 0; round < 2; round++) {
    const target = new Float64Array(n * J * 3);
    const tw = new Float64Array(n * J);
    for (let k = 0; k < n; k++) {
      target.set(mean, 3 * k * J);
      for (let j = 0; j < J; j++) tw[k * J + j] = m[k * J + j]! * known[j]!;
    }
    const a = alignSimilarity(nd(r.shapes, [n, J, 3]), nd(target, [n, J, 3]), {
      weights: nd(tw, [n, J]),
    });
    const moved = applySimilarity(a, nd(r.shapes, [n, J, 3])).data;
    const sum = new Float64Array(3 * J);
    const cnt = new Float64Array(J);
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < J; j++) {
        if (!weights.data[k * J + j]) continue;
        cnt[j]! += 1;
        for (let c = 0; c < 3; c++) sum[3 * j + c]! += moved[3 * (k * J + j) + c]!;
      }
    }
    mean = new Float64Array(3 * J);
    known = new Float64Array(J);
    for (let j = 0; j < J; j++) {
      if (cnt[j]! === 0) continue;
      known[j] = 1;
      for (let c = 0; c < 3; c++) mean[3 * j + c] = sum[3 * j + c]! / cnt[j]!;
    }
  }
  // Unit RMS radius about the known points' centroid.
  const cen = [0, 0, 0];
  let kn = 0;
  for (let j = 0; j < J; j++) {
    if (!known[j]) continue;
    kn++;
    for (let c = 0; c < 3; c++) cen[c]! += mean[3 * j + c]!;
  }
  for (let c = 0; c < 3; c++) cen[c]! /= Math.max(1, kn);
  let r2 = 0;
  for (let j = 0; j < J; j++) {
    if (!known[j]) continue;
    for (let c = 0; c < 3; c++) r2 += (mean[3 * j + c]! - cen[c]!) ** 2;
  }
  const rad = Math.sqrt(r2 / Math.max(1, kn)) || 1;
  for (let j = 0; j < J; j++) {
    for (let c = 0; c < 3; c++) mean[3 * j + c] = known[j] ? (mean[3 * j + c]! - cen[c]!) / rad : 0;
  }
  // The 2D's scale, for a relative reprojection error.
  let s2 = 0;
  let sn = 0;
  for (let k = 0; k < n; k++) {
    let cx = 0;
    let cy = 0;
    let v = 0;
    for (let j = 0; j < J; j++) {
      if (!m[k * J + j]) continue;
      cx += p2[2 * (k * J + j)]!;
      cy += p2[2 * (k * J + j) + 1]!;
      v++;
    }
    if (!v) continue;
    cx /= v;
    cy /= v;
    for (let j = 0; j < J; j++) {
      if (!m[k * J + j]) continue;
      s2 += (p2[2 * (k * J + j)]! - cx) ** 2 + (p2[2 * (k * J + j) + 1]! - cy) ** 2;
      sn++;
    }
  }
  const scale2d = Math.sqrt(s2 / Math.max(1, sn)) || 1;
  const sym = detectSymmetry(mean, J, known, options);
  return { ...sym, shape: mean, views: n, reprojection: r.reprojectionRms / scale2d };
}
