import type { Rng } from '../rng.js';

/**
 * Measures for gradient parity tests (an engine's gradient against another's, and against Float64
 * central differences), shared by the ONNX training-graph and the trainer's graph-engine tests.
 */

/** max |aᵢ|. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/**
 * max |got − want| over a tensor, relative to its largest entry — floored at `floor` (the tests pass
 * 1e-3 of the model's largest gradient entry: a parameter whose gradient is a thousand times smaller
 * than the rest, say a query/key weight behind a near-saturated softmax, is float32 cancellation noise
 * at 1e-4 of itself, and is held to 1e-7 of the model's gradient scale instead).
 */
export function gradientError(got: ArrayLike<number>, want: ArrayLike<number>, floor: number): number {
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
  return diff === 0 ? 0 : diff / Math.max(maxAbs(want), floor, 1e-12);
}

/**
 * Central differences of a scalar `loss` of one parameter tensor at sampled entries — all of them for
 * a tensor of at most `count` entries, else `count` drawn by `rng` — fd_k = (L(x + h e_k) −
 * L(x − h e_k)) / 2h with h = 1e-5·max(1, |x_k|); for each gradient of `grads`, the largest
 * |g_k − fd_k| relative to max(max |grads[0]|, floor).
 */
export function finiteDifferenceErrors(
  loss: (x: Float64Array) => number,
  base: ArrayLike<number>,
  grads: readonly ArrayLike<number>[],
  rng: Rng,
  count: number,
  floor: number,
): number[] {
  const x = Float64Array.from(base);
  const picks =
    x.length <= count ? Array.from(x, (_, k) => k) : Array.from({ length: count }, () => rng.int(x.length));
  const scale = Math.max(maxAbs(grads[0]!), floor, 1e-12);
  const worst = grads.map(() => 0);
  for (const k of picks) {
    const h = 1e-5 * Math.max(1, Math.abs(x[k]!));
    const at = (v: number) => {
      const p = x.slice();
      p[k] = v;
      return loss(p);
    };
    const fd = (at(x[k]! + h) - at(x[k]! - h)) / (2 * h);
    grads.forEach((g, i) => {
      worst[i] = Math.max(worst[i]!, Math.abs(g[k]! - fd) / scale);
    });
  }
  return worst;
}
