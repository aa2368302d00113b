import type { Ops } from '@lfm/core';
import { CAMERA_HEAD_ITERATIONS, CAMERA_HEAD_RIDGE, fitCameraHead } from '@lfm/model';
import { centreVisibleOps, solveProcrustesAlignmentOps } from './loss.js';

/**
 * The 2D-only objective of `adapt` (issue 17): every term is written against `Ops<T>`, so the graph
 * engine traces it after the model and its reverse-mode builder differentiates it (the Float64
 * reference engine runs the same code, which the tests differentiate by central differences). No
 * term reads 3D: they see the observed 2D (normalised, as the model does), the model's outputs, the
 * frozen base model's outputs and random draws.
 *
 * Shapes are compared by a normalised Procrustes distance (`shapeDistancePerSampleOps`): both
 * shapes centred on their common visible points and scaled to unit size, then
 * min over R ∈ SO(3), s ≥ 0 of (1/n) Σ ‖s R aᵢ − bᵢ‖² — unit-free, blind to the pose, and it cannot
 * be lowered by shrinking a shape (the plain Procrustes loss between two predictions can: both → 0).
 * The shapes of this objective are camera-frame lifts (x, y the image plane, z the depth), and their
 * size is that of their image (`scale: 'image'`, the RMS of x, y): sized by their 3D RMS instead, a
 * lift whose depth grows without bound (a "needle" along the camera axis) would come ever closer to
 * any other needle, and every term would reward it. R and s are solved in the graph behind
 * stopGradient (`solveProcrustesAlignmentOps`), exact by the envelope theorem, as in the training loss.
 *
 * Tensors: points [B, N, 2] normalised 2D, mask [B, N] 0/1, shapes [B, N, 3] (0 or anything finite
 * at masked points).
 */

/** Floors of a squared norm before it divides or is square-rooted. */
const TINY = 1e-12;

/**
 * How a shape's size is measured: `'shape'` its RMS radius in 3D; `'image'` (a camera-frame shape)
 * the RMS radius of its x, y — of its image — times √(3/2), so an isotropic shape gets about the
 * same size either way.
 */
export type ShapeScale = 'shape' | 'image';

/**
 * A shape [B, N, 3] centred on its visible points and divided by its size (`scale`): unit mean
 * ‖xᵢ‖² ('shape') or unit (3/2)·mean(xᵢ² + yᵢ²) ('image'); 0 at masked points. A collapsed shape
 * stays ≈ 0 (no division by zero). mask [B, N].
 */
export function normalizeShapeOps<T>(ops: Ops<T>, x: T, mask: T, scale: ShapeScale = 'shape'): T {
  const m = ops.expandDims(mask, -1);
  const count = ops.maximum(ops.reduceSum(m, 1, true), 1);
  const c = centreVisibleOps(ops, x, m, count);
  const part = scale === 'image' ? ops.mul(ops.slice(c, 2, 0, 2), Math.sqrt(1.5)) : c;
  const energy = ops.div(ops.reduceSum(ops.mul(part, part), [1, 2], true), count);
  return ops.div(c, ops.sqrt(ops.maximum(energy, TINY)));
}

/**
 * The normalised Procrustes distance per sample [B] (see above): 0 when b is a similarity transform
 * (proper rotation, scale > 0, translation) of a on the visible points; 1 at most with
 * `scale: 'shape'`. mask [B, N].
 */
export function shapeDistancePerSampleOps<T>(
  ops: Ops<T>,
  a: T,
  b: T,
  mask: T,
  scale: ShapeScale = 'shape',
): T {
  const m = ops.expandDims(mask, -1);
  const count = ops.maximum(ops.reduceSum(m, 1, true), 1);
  const an = normalizeShapeOps(ops, a, mask, scale);
  const bn = normalizeShapeOps(ops, b, mask, scale);
  const { R, s } = solveProcrustesAlignmentOps(ops, ops.stopGradient(an), bn);
  const aligned = ops.mul(ops.matMul(an, R, { transposeB: true }), ops.reshape(s, [-1, 1, 1]));
  const e = ops.mul(ops.sub(aligned, bn), m);
  // A sample without visible points (count floored at 1) gets 0, not NaN.
  return ops.div(ops.reduceSum(ops.mul(e, e), [1, 2]), ops.reshape(count, [-1]));
}

/**
 * The decoded shape S [B, N, 3] through the camera the `'camera'` head fits to it (`fitCameraHead`:
 * scaled orthographic fit, `iterations` POSIT-style perspective corrections):
 * - `reprojection` [B] — (a) per sample, the fitted view against the observed 2D over the visible
 *   points, relative to the 2D's own spread:
 *     L_b = Σᵢ ‖qᵢ − p̂ᵢ‖² / Σᵢ ‖p̂ᵢ‖²,   qᵢ = s R₂ Sᵢ (the fitted view), p̂ᵢ the (corrected, centred) 2D;
 *   0 for any S that is the true shape up to a similarity (its scaled orthographic view is the 2D);
 * - `lifted` [B, N, 3] — the lifted shape in the camera frame: the observed 2D p̂ with the fitted
 *   depth zᵢ = s r₃·Sᵢ (0 at masked points). Its x, y are the data, so only the depth is free: the
 *   shape the other terms constrain (a network that ignored its input cannot make it constant).
 * Differentiated through the fit (R₂, s and the corrections are functions of S).
 */
export function cameraFitOps<T>(
  ops: Ops<T>,
  shape: T,
  points: T,
  mask: T,
  iterations = CAMERA_HEAD_ITERATIONS,
): { reprojection: T; lifted: T } {
  const present = ops.expandDims(mask, -1);
  const p = ops.where(present, points, 0);
  const fit = fitCameraHead(ops, ops.where(present, shape, 0), p, present, iterations, CAMERA_HEAD_RIDGE);
  const e = ops.mul(ops.sub(fit.view, fit.observed), present);
  const spread = ops.reduceSum(ops.mul(fit.observed, fit.observed), [1, 2]);
  const reprojection = ops.div(ops.reduceSum(ops.mul(e, e), [1, 2]), ops.maximum(spread, TINY));
  const lifted = ops.mul(ops.concat([fit.observed, fit.depth], 2), present);
  return { reprojection, lifted };
}

/** (a) Reprojection: `cameraFitOps`' per-sample `reprojection` averaged over the batch, a scalar. */
export function reprojectionLossOps<T>(
  ops: Ops<T>,
  shape: T,
  points: T,
  mask: T,
  iterations = CAMERA_HEAD_ITERATIONS,
): T {
  return ops.reduceMean(cameraFitOps(ops, shape, points, mask, iterations).reprojection);
}

/**
 * (b) Multi-view consistency: when several cameras see the same frame, one shape for all of them.
 * partner [B, B]: row b is one-hot on the sample b is compared with (another camera's view of the
 * same frame), or all zero (no partner). Per pair, the normalised Procrustes distance of the two
 * predictions over the points both views see; the mean over the pairs with ≥ 3 common points (0
 * when there is none). Gradients reach both views. A scalar.
 */
export function multiViewLossOps<T>(ops: Ops<T>, y: T, mask: T, partner: T): T {
  const other = ops.reshape(ops.matMul(partner, ops.reshape(y, [0, -1])), [0, -1, 3]);
  const common = ops.mul(mask, ops.matMul(partner, mask)); // [B, N]
  const d = shapeDistancePerSampleOps(ops, y, other, common, 'image');
  const valid = ops.mul(ops.reduceSum(partner, -1), ops.greater(ops.reduceSum(common, -1), 2.5)); // [B]
  return ops.div(ops.reduceSum(ops.mul(d, valid)), ops.maximum(ops.reduceSum(valid), 1));
}

/** Alternations of the low-rank term's rotation (see `lowRankLossOps`). */
export const LOW_RANK_ALTERNATIONS = 2;

/**
 * (c) The low-rank shape prior (C3DPO's: a rig's shapes are combinations of K basis shapes). With
 * basis [K, N, 3] (K orthonormal shapes as 3N-vectors) and the rig's reference shape reference [N, 3],
 * per sample the energy of the normalised prediction (`normalizeShapeOps`, by its image) off the
 * basis' span, at its best rotation:
 *   L_b = min_{R ∈ SO(3)} ‖x − Bᵀ B x‖²,  x = R ŷ at the visible points, the reference's at the masked,
 *   L = Σ_b L_b / Σ mask (per visible point).
 * The rotation comes from alternating minimisation in the graph: R₀ aligns ŷ onto the reference,
 * then `alternations` times Rₜ aligns ŷ onto the reconstruction Bᵀ B (Rₜ₋₁ ŷ)
 * (`solveProcrustesAlignmentOps`, a proper rotation, no scale), behind stopGradient — exact by the
 * envelope theorem at the alternation's fixed point, where R minimises the residual. reference and
 * basis are constants the caller maintains (`adapt`: the mean and the top-K eigenvectors of the
 * second moment of the aligned predictions, a running average started at the base model's);
 * `aligned` [B, 3N] (x) is returned for those statistics. 0 for shapes in the basis' span: a rank-1
 * batch (every shape a similarity transform of one shape) at K ≥ 1 with that shape in the basis.
 * Without a basis (K = 0): the energy off the reference shape itself (after alignment and scale).
 */
export function lowRankLossOps<T>(
  ops: Ops<T>,
  y: T,
  mask: T,
  reference: T,
  basis: T | undefined,
  alternations = LOW_RANK_ALTERNATIONS,
): { loss: T; aligned: T } {
  const m = ops.expandDims(mask, -1);
  const yn = normalizeShapeOps(ops, y, mask, 'image');
  const refn = normalizeShapeOps(ops, ops.expandDims(reference, 0), mask); // [B, N, 3]
  const fixed = ops.stopGradient(yn);
  const rotate = (x: T, R: T) => ops.matMul(x, R, { transposeB: true });
  const fill = (x: T) => ops.reshape(ops.where(m, x, refn), [0, -1]); // [B, 3N]
  const flat = basis === undefined ? undefined : ops.reshape(basis, [ops.shape(basis)[0]!, -1]); // [K, 3N]
  const project = (x: T) => ops.matMul(ops.matMul(x, flat!, { transposeB: true }), flat!); // Bᵀ B x
  let { R, s } = solveProcrustesAlignmentOps(ops, fixed, refn);
  if (flat !== undefined) {
    for (let t = 0; t < alternations; t++) {
      const target = ops.reshape(project(fill(rotate(fixed, R))), [0, -1, 3]);
      // The reconstruction is centred on the visible points (the solver takes centred shapes).
      const count = ops.maximum(ops.reduceSum(m, 1, true), 1);
      const tv = ops.where(m, target, 0);
      const tc = ops.mul(ops.sub(tv, ops.div(ops.reduceSum(tv, 1, true), count)), m);
      R = solveProcrustesAlignmentOps(ops, fixed, ops.stopGradient(tc)).R;
    }
  }
  let aligned: T;
  let residual: T;
  if (flat === undefined) {
    // Without a basis, scale matters (the residual to one shape): use the similarity.
    aligned = fill(ops.mul(rotate(yn, R), ops.reshape(s, [-1, 1, 1])));
    residual = ops.sub(aligned, ops.reshape(refn, [0, -1]));
  } else {
    aligned = fill(rotate(yn, R));
    residual = ops.sub(aligned, project(aligned));
  }
  // Over every point, the masked ones' stand-ins included: the alternation then minimises exactly
  // this residual (R over the visible points, the coefficients over all), so at its fixed point R is
  // a stationary point of the loss and the envelope theorem holds.
  const loss = ops.div(ops.reduceSum(ops.mul(residual, residual)), ops.maximum(ops.reduceSum(mask), 1));
  return { loss, aligned };
}

/**
 * The normalised 2D of a shape y [B, N, 3] seen through the rotation [B, 3, 3] by an orthographic
 * camera — centred on the visible mean and divided by the largest |coordinate|, as the model's
 * inputs are (`normalizeKeypoints`) — [B, N, 2], 0 at masked points.
 */
export function rotatedViewOps<T>(ops: Ops<T>, y: T, mask: T, rotation: T): T {
  const m = ops.expandDims(mask, -1);
  const count = ops.maximum(ops.reduceSum(m, 1, true), 1);
  const rotated = ops.matMul(centreVisibleOps(ops, y, m, count), rotation, { transposeB: true });
  const p = ops.slice(rotated, 2, 0, 2); // centred: the rotation keeps the mean at 0
  const extent = ops.reduceMax(ops.mul(ops.maximum(p, ops.neg(p)), m), [1, 2], true);
  return ops.mul(ops.div(p, ops.maximum(extent, TINY)), m);
}

/**
 * (c′) Canonicalisation consistency (C3DPO's second network, the cheaper variant): the prediction y,
 * turned by a random rotation [B, 3, 3], projected orthographically and normalised
 * (`rotatedViewOps`), is lifted again by `lift` (the same model, same codes and graph); the re-lift
 * must be the same shape: the mean normalised Procrustes distance of `lift(view)` and y. Cheaper
 * than C3DPO's: no second network — the lifter itself canonicalises, and the view keeps the
 * first lift's graph (bones; a kNN rig's graph is not rebuilt for the new view). Differentiated
 * through both lifts and the re-projection. 0 for a lifter that returns the true shape of any view
 * of it; a flat lifter (z = 0) is penalised. A scalar.
 */
export function canonicalizationLossOps<T>(
  ops: Ops<T>,
  y: T,
  mask: T,
  rotation: T,
  lift: (points: T) => T,
): T {
  const view = rotatedViewOps(ops, y, mask, rotation);
  return ops.reduceMean(shapeDistancePerSampleOps(ops, lift(view), y, mask, 'image'));
}

/**
 * (d) The regulariser toward the frozen base model: the mean normalised Procrustes distance of the
 * prediction y and the base model's prediction base [B, N, 3] of the same input (a constant). 0 at
 * the start of adaptation; keeps it from collapsing to flat or drifting. A scalar.
 */
export function baseRegularizerOps<T>(ops: Ops<T>, y: T, base: T, mask: T): T {
  return ops.reduceMean(shapeDistancePerSampleOps(ops, y, ops.stopGradient(base), mask, 'image'));
}

/** Alternations of the bone-length term's scale / length fit (see `boneLengthLossOps`). */
export const BONE_LENGTH_ALTERNATIONS = 4;

/**
 * (e) Bone-length consistency: a rig's bones keep their lengths from frame to frame (a face or a
 * rigid object keeps every distance), while a too-flat or too-deep lift foreshortens them by view.
 * edges [N, N] symmetric 0/1 (the rig's bones; zero diagonal): per sample the log length of each
 * edge both of whose ends are visible, l_be = log ‖y_bi − y_bj‖, fitted by a sample log scale a_b
 * plus an edge log length c_e (so the term is blind to each sample's scale); the residual's energy:
 *   L = Σ_be w_be (l_be − a_b − c_e)² / Σ_be w_be,   w_be = edges_e · m_bi · m_bj,
 * a and c by `BONE_LENGTH_ALTERNATIONS` rounds of alternating weighted means (exact for full
 * visibility, converging geometrically otherwise), differentiated through.
 * 0 for any batch of shapes whose bones have fixed relative lengths — the truth of a skeleton —
 * whatever the views; a flat lift (z = 0) of varied views is penalised, because its image lengths
 * vary with the foreshortening. Only the depth of the camera-frame lift is free, so the minimum is
 * the true depth of each bone up to its sign. A scalar.
 */
export function boneLengthLossOps<T>(ops: Ops<T>, y: T, mask: T, edges: T): T {
  const sq = ops.reduceSum(ops.mul(y, y), -1); // [B, N]
  const gram = ops.matMul(y, y, { transposeB: true }); // [B, N, N]
  const d2 = ops.sub(ops.add(ops.expandDims(sq, 2), ops.expandDims(sq, 1)), ops.mul(gram, 2));
  const logLen = ops.mul(ops.log(ops.maximum(d2, TINY)), 0.5);
  const seen = ops.mul(ops.expandDims(mask, 2), ops.expandDims(mask, 1)); // [B, N, N]
  const w = ops.mul(seen, ops.expandDims(edges, 0));
  const perSample = ops.maximum(ops.reduceSum(w, [1, 2], true), 1); // [B, 1, 1]
  const perEdge = ops.maximum(ops.reduceSum(w, 0, true), 1); // [1, N, N]
  // The two-way model l_be ≈ a_b (the sample's log scale) + c_e (the edge's log length), fitted by
  // alternating means over the seen edges: exact after one round when every sample sees every
  // edge, geometric convergence when they see different subsets.
  let edge: T | undefined;
  let scale: T | undefined;
  for (let t = 0; t < BONE_LENGTH_ALTERNATIONS; t++) {
    const r = edge === undefined ? logLen : ops.sub(logLen, edge);
    scale = ops.div(ops.reduceSum(ops.mul(r, w), [1, 2], true), perSample);
    edge = ops.div(ops.reduceSum(ops.mul(ops.sub(logLen, scale), w), 0, true), perEdge);
  }
  const dev = ops.mul(ops.sub(ops.sub(logLen, scale!), edge!), w);
  return ops.div(ops.reduceSum(ops.mul(dev, dev)), ops.maximum(ops.reduceSum(w), 1));
}
