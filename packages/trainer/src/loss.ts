import { LfmError, nd, type Ops } from '@lfm/core';
import { alignSimilarity } from '@lfm/procrustes';

/**
 * The training loss, written against `Ops<T>`: the tfjs engine runs it eagerly with autodiff (R and s
 * solved in JS: `alignedMaskedMse`), the graph engine traces it with the alignment solved in the graph
 * (`procrustesLossOps`). Same value, same gradient.
 *
 * `'procrustes'` (the paper's): per sample b, over its visible joints V_b (mask 1),
 *   L_b = (1/|V_b|) Σ_{i∈V_b} ‖s_b R_b (p_i − p̄) − (y_i − ȳ)‖²,   L = mean_b L_b,
 * with p̄, ȳ the visible means, and (R_b ∈ SO(3), s_b ≥ 0) the similarity Procrustes solution that
 * minimises exactly L_b (`solveProcrustesAlignment`, Float64, on the JS side; or
 * `solveProcrustesAlignmentOps` in a graph). R and s enter as
 * constants: by the envelope theorem ∂/∂p min_{R,s} L_b = ∂L_b/∂p at the optimum, so the gradient is
 * exact. The centring is in the graph, so translation is optimal too and differentiated.
 * `'mse'` (ablation): L_b = (1/|V_b|) Σ_{i∈V_b} ‖p_i − y_i‖², no alignment.
 *
 * Masked joints never contribute: predictions and targets are selected with `where`, so NaN or
 * garbage there changes neither the value nor the gradient (which is exactly 0 at masked joints).
 */
export const LOSS_KINDS = ['procrustes', 'mse'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

/** Per-sample similarity of the prediction onto the target: R [B, 3, 3] (row-major), s [B]. */
export interface ProcrustesAlignment {
  readonly R: Float32Array;
  readonly s: Float32Array;
  /** Samples whose alignment was degenerate (a collinear or collapsed prediction): R = I, s = 1 used. */
  readonly fallback: number;
}

/**
 * Solves, per sample, min over R ∈ SO(3), s ≥ 0 of Σ_visible ‖s R (p_i − p̄) − (y_i − ȳ)‖² (Umeyama,
 * `alignSimilarity`, Float64). pred, target: [B, N, 3]; mask: [B, N] (0/1). A sample whose prediction
 * is degenerate (collinear or a single point — early in training) gets R = I, s = 1, so its loss is the
 * plain centred MSE, whose gradient pulls it out of the degeneracy. Throws LfmError when a sample has
 * fewer than 3 visible joints (the batcher never makes one).
 */
export function solveProcrustesAlignment(
  pred: Float32Array,
  target: Float32Array,
  mask: Float32Array,
  B: number,
  N: number,
): ProcrustesAlignment {
  const R = new Float32Array(9 * B);
  const s = new Float32Array(B);
  let fallback = 0;
  const write = (b: number, Rb: ArrayLike<number>, sb: number) => {
    for (let k = 0; k < 9; k++) R[9 * b + k] = Rb[k]!;
    s[b] = sb;
  };
  try {
    const a = alignSimilarity(nd(pred, [B, N, 3]), nd(target, [B, N, 3]), { weights: nd(mask, [B, N]) });
    for (let b = 0; b < B; b++) write(b, a.R.data.subarray(9 * b, 9 * b + 9), a.s.data[b]!);
    return { R, s, fallback };
  } catch {
    // Some sample failed: solve one by one, falling back where the prediction is degenerate.
  }
  for (let b = 0; b < B; b++) {
    let visible = 0;
    for (let i = 0; i < N; i++) if (mask[b * N + i]! > 0) visible++;
    if (visible < 3) {
      throw new LfmError(
        'E_LOSS',
        `sample ${b} has ${visible} visible joint(s); the Procrustes loss needs at least 3`,
      );
    }
    try {
      const a = alignSimilarity(
        nd(pred.subarray(3 * b * N, 3 * (b + 1) * N), [1, N, 3]),
        nd(target.subarray(3 * b * N, 3 * (b + 1) * N), [1, N, 3]),
        { weights: nd(mask.subarray(b * N, (b + 1) * N), [1, N]) },
      );
      write(b, a.R.data, a.s.data[0]!);
    } catch {
      write(b, IDENTITY, 1);
      fallback++;
    }
  }
  return { R, s, fallback };
}

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/**
 * The Procrustes-aligned masked MSE (see above) for given constant R [B, 3, 3] and s [B].
 * pred, target: [B, N, 3]; mask: [B, N]. Returns a scalar.
 */
export function alignedMaskedMse<T>(ops: Ops<T>, pred: T, target: T, mask: T, R: T, s: T): T {
  return ops.reduceMean(alignedMaskedMsePerSample(ops, pred, target, mask, R, s));
}

/**
 * x [B, N, C] centred on its visible mean: (x − x̄) at visible points, 0 at masked ones (where x may
 * be anything, NaN included: it is selected away, not multiplied). m [B, N, 1] the 0/1 mask,
 * count [B, 1, 1] its sum (≥ 1). The centring of the training loss and of `adapt`'s terms.
 */
export function centreVisibleOps<T>(ops: Ops<T>, x: T, m: T, count: T): T {
  const v = ops.where(m, x, 0);
  return ops.mul(ops.sub(v, ops.div(ops.reduceSum(v, 1, true), count)), m);
}

/** `alignedMaskedMse` per sample: [B]. */
export function alignedMaskedMsePerSample<T>(ops: Ops<T>, pred: T, target: T, mask: T, R: T, s: T): T {
  const m = ops.expandDims(mask, -1); // [B, N, 1]
  const count = ops.reduceSum(m, 1, true); // [B, 1, 1]
  const pc = centreVisibleOps(ops, pred, m, count);
  const tc = centreVisibleOps(ops, target, m, count);
  // Row vectors: (s R p)ᵀ = s pᵀ Rᵀ.
  const aligned = ops.mul(ops.matMul(pc, R, { transposeB: true }), ops.reshape(s, [-1, 1, 1]));
  return perSampleLoss(ops, ops.mul(ops.sub(aligned, tc), m), count);
}

/**
 * The Procrustes loss with the alignment solved inside the traced graph (the graph engine's loss):
 * the same value as `alignedMaskedMse` with `solveProcrustesAlignment`'s R and s, but (R, s) come from
 * `solveProcrustesAlignmentOps` on the centred prediction behind `stopGradient` — constants in the
 * backward pass, exact by the envelope theorem. pred, target: [B, N, 3]; mask: [B, N]. A scalar.
 */
export function procrustesLossOps<T>(ops: Ops<T>, pred: T, target: T, mask: T): T {
  return ops.reduceMean(procrustesLossPerSampleOps(ops, pred, target, mask));
}

/** `procrustesLossOps` per sample: [B]. */
export function procrustesLossPerSampleOps<T>(ops: Ops<T>, pred: T, target: T, mask: T): T {
  const m = ops.expandDims(mask, -1);
  const count = ops.reduceSum(m, 1, true);
  const pc = centreVisibleOps(ops, pred, m, count);
  const tc = centreVisibleOps(ops, target, m, count);
  const { R, s } = solveProcrustesAlignmentOps(ops, ops.stopGradient(pc), tc);
  const aligned = ops.mul(ops.matMul(pc, R, { transposeB: true }), ops.reshape(s, [-1, 1, 1]));
  return perSampleLoss(ops, ops.mul(ops.sub(aligned, tc), m), count);
}

/** x with its z negated: the mirror image of a shape [B, N, 3] (any reflection, up to a rotation). */
export function mirrorZ<T>(ops: Ops<T>, x: T): T {
  return ops.mul(x, ops.constant([1, 1, -1], [3]));
}

/**
 * The mirror-invariant loss (issue: lifting without joint identity): per sample b, with mirror[b] = 1,
 * min(L_b(p), L_b(mirror p)) — a 2D view fixes a shape only up to its depth mirror, and without joint
 * identity a symmetric rig's two mirrors are equally right, so an L2 loss against the labelled one
 * rewards their average, which is flat; the minimum lets the model commit to one. mirror[b] = 0: L_b(p).
 * `perSample` maps a prediction to its [B] losses. Returns the scalar mean over samples.
 */
export function mirrorInvariantLoss<T>(ops: Ops<T>, perSample: (p: T) => T, pred: T, mirror: T): T {
  const direct = perSample(pred);
  const flipped = perSample(mirrorZ(ops, pred));
  return ops.reduceMean(ops.where(ops.greater(mirror, 0.5), ops.minimum(direct, flipped), direct));
}

/** Squarings of Horn's shifted matrix: 2^16 power-iteration steps, enough for a relative eigengap ≥ 3e-4. */
export const ALIGNMENT_SQUARINGS = 16;

/**
 * Similarity Procrustes written against `Ops<T>` (for a traced graph; `solveProcrustesAlignment` is
 * the Float64 JS solver): per sample, R ∈ SO(3) and s ≥ 0 minimising Σᵢ ‖s R pᵢ − yᵢ‖² for centred
 * pc, tc [B, N, 3] (zero at masked joints) → R [B, 3, 3] (row-major, maps p onto y), s [B].
 *
 * Horn (1987): R is the rotation of the unit quaternion q maximising qᵀ K(S) q, where S = pcᵀ tc and
 * K(S) is Horn's symmetric 4×4 matrix (linear in S: one MatMul with a constant). Its top eigenvector
 * comes from repeated squaring of A = K/c + I (c = √3‖S‖_F bounds |λ(K)|, so A is PSD and its top
 * eigenvalue is K's): `squarings` steps of A ← A²/‖A‖²_F are 2^squarings power iterations, converged
 * to float32 precision whenever the relative eigengap is ≥ ~3e-4 (a smaller gap means a near-flat
 * loss in the rotation, where the choice hardly matters). q is the column of the converged A with the
 * largest diagonal (first on ties: a vector of the top eigenspace even when it is degenerate), R(q)
 * is quadratic in q (one MatMul of q qᵀ with a constant), and s = Σ tc·(R pc) / Σ ‖pc‖². Proper
 * rotations only (det +1), reflections handled as the JS solver does; no branch, no fallback: a
 * collinear prediction gets one of its optimal rotations, an all-zero one R = I and s = 0.
 */
export function solveProcrustesAlignmentOps<T>(
  ops: Ops<T>,
  pc: T,
  tc: T,
  squarings = ALIGNMENT_SQUARINGS,
): { R: T; s: T } {
  const S = ops.matMul(pc, tc, { transposeA: true }); // [B, 3, 3]: S_ab = Σᵢ pc_ia tc_ib
  const K = ops.reshape(ops.matMul(ops.reshape(S, [0, 9]), ops.constant(HORN_K, [9, 16])), [0, 4, 4]);
  const normS = ops.sqrt(ops.reduceSum(ops.mul(S, S), [1, 2], true)); // [B, 1, 1]
  const c = ops.add(ops.mul(normS, Math.sqrt(3)), 1e-30);
  const eye = ops.constant(IDENTITY4, [4, 4]);
  let A = ops.add(ops.div(K, c), eye);
  for (let k = 0; k < squarings; k++) {
    A = ops.div(ops.matMul(A, A), ops.reduceSum(ops.mul(A, A), [1, 2], true));
  }
  const diag = ops.reduceSum(ops.mul(A, eye), -1); // [B, 4]
  const isMax = ops.equal(diag, ops.reduceMax(diag, -1, true));
  // The first maximum: no earlier maximum (strictly upper-triangular count).
  const earlier = ops.matMul(isMax, ops.constant(STRICT_UPPER4, [4, 4]));
  const pick = ops.mul(isMax, ops.equal(earlier, 0)); // [B, 4] one-hot
  const q = ops.matMul(A, ops.expandDims(pick, -1)); // [B, 4, 1]
  const qq = ops.matMul(q, q, { transposeB: true }); // [B, 4, 4]
  const norm2 = ops.reshape(ops.reduceSum(ops.mul(q, q), [1, 2]), [-1, 1]); // [B, 1]
  const Rflat = ops.div(ops.matMul(ops.reshape(qq, [0, 16]), ops.constant(QUATERNION_TO_R, [16, 9])), norm2);
  const R = ops.stopGradient(ops.reshape(Rflat, [0, 3, 3]));
  const rotated = ops.matMul(pc, R, { transposeB: true });
  const num = ops.reduceSum(ops.mul(rotated, tc), [1, 2]);
  const den = ops.reduceSum(ops.mul(pc, pc), [1, 2]);
  const s = ops.stopGradient(ops.div(num, ops.maximum(den, 1e-30)));
  return { R, s };
}

/** K(S) = S_flat [9] · HORN_K [9, 16] (Horn 1987, Eq. 4 with S_ab = Σ p_a y_b), row-major [4, 4]. */
const HORN_K = (() => {
  const k = new Float32Array(9 * 16);
  const [xx, xy, xz, yx, yy, yz, zx, zy, zz] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const rows: [number, number, [number, number][]][] = [
    [
      0,
      0,
      [
        [xx, 1],
        [yy, 1],
        [zz, 1],
      ],
    ],
    [
      0,
      1,
      [
        [yz, 1],
        [zy, -1],
      ],
    ],
    [
      0,
      2,
      [
        [zx, 1],
        [xz, -1],
      ],
    ],
    [
      0,
      3,
      [
        [xy, 1],
        [yx, -1],
      ],
    ],
    [
      1,
      1,
      [
        [xx, 1],
        [yy, -1],
        [zz, -1],
      ],
    ],
    [
      1,
      2,
      [
        [xy, 1],
        [yx, 1],
      ],
    ],
    [
      1,
      3,
      [
        [zx, 1],
        [xz, 1],
      ],
    ],
    [
      2,
      2,
      [
        [xx, -1],
        [yy, 1],
        [zz, -1],
      ],
    ],
    [
      2,
      3,
      [
        [yz, 1],
        [zy, 1],
      ],
    ],
    [
      3,
      3,
      [
        [xx, -1],
        [yy, -1],
        [zz, 1],
      ],
    ],
  ];
  for (const [i, j, terms] of rows) {
    for (const [a, w] of terms) {
      k[a * 16 + 4 * i + j] = w;
      k[a * 16 + 4 * j + i] = w;
    }
  }
  return k;
})();

/** R_flat [9] = (q qᵀ)_flat [16] · QUATERNION_TO_R [16, 9] for a unit quaternion q = (w, x, y, z). */
const QUATERNION_TO_R = (() => {
  const c = new Float32Array(16 * 9);
  const add = (i: number, j: number, r: number, w: number) => {
    c[(4 * i + j) * 9 + r]! += w;
  };
  // Diagonal: w² ± x² ± y² ± z².
  const signs = [
    [1, 1, -1, -1],
    [1, -1, 1, -1],
    [1, -1, -1, 1],
  ];
  for (const [d, sg] of signs.entries()) for (const [i, w] of sg.entries()) add(i, i, 4 * d, w);
  // Off-diagonal: 2(xy ∓ wz), 2(xz ± wy), 2(yz ∓ wx), each 2ab split as ab + ba.
  const off = (r: number, a: number, b: number, w: number) => {
    add(a, b, r, w);
    add(b, a, r, w);
  };
  off(1, 1, 2, 1);
  off(1, 0, 3, -1);
  off(3, 1, 2, 1);
  off(3, 0, 3, 1);
  off(2, 1, 3, 1);
  off(2, 0, 2, 1);
  off(6, 1, 3, 1);
  off(6, 0, 2, -1);
  off(5, 2, 3, 1);
  off(5, 0, 1, -1);
  off(7, 2, 3, 1);
  off(7, 0, 1, 1);
  return c;
})();

const IDENTITY4 = Float32Array.from({ length: 16 }, (_, k) => (k % 5 === 0 ? 1 : 0));
const STRICT_UPPER4 = Float32Array.from({ length: 16 }, (_, k) => (Math.floor(k / 4) < k % 4 ? 1 : 0));

/** Plain masked MSE (no alignment): mean over samples of the mean ‖p_i − y_i‖² over visible joints. */
export function maskedMse<T>(ops: Ops<T>, pred: T, target: T, mask: T): T {
  return ops.reduceMean(maskedMsePerSample(ops, pred, target, mask));
}

/** `maskedMse` per sample: [B]. */
export function maskedMsePerSample<T>(ops: Ops<T>, pred: T, target: T, mask: T): T {
  const m = ops.expandDims(mask, -1);
  const count = ops.reduceSum(m, 1, true);
  const diff = ops.sub(ops.where(m, pred, 0), ops.where(m, target, 0));
  return perSampleLoss(ops, diff, count);
}

/** [B]: Σ_{i,c} e²[b,i,c] / count[b]; e is already zero at masked joints. */
function perSampleLoss<T>(ops: Ops<T>, e: T, count: T): T {
  return ops.div(ops.reduceSum(ops.mul(e, e), [1, 2]), ops.reshape(count, [-1]));
}
