import { type Ops, type Params, scopeParams } from '../ops.js';
import type { Rng } from '../rng.js';

/**
 * A small model written once against `Ops<T>` for the engines' parity tests (tfjs, the reference
 * engine, the ONNX recorder run by onnxruntime): a random-Fourier point embedding, one multi-head
 * self-attention block with a key-padding mask, an MLP block and a linear head.
 */

/** The block's width, heads and its fixed (not learned) Fourier features ω [2, dim/2], phase [dim/2]. */
export interface EncoderBlockConfig {
  readonly dim: number;
  readonly heads: number;
  readonly omega: Float32Array;
  readonly phase: Float32Array;
}

/** Float32-representable N(0, scale²) values of a shape. */
export function randomFloat32(rng: Rng, shape: readonly number[], scale = 1): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal());
}

/** The block's parameter shapes, by name. */
export function encoderBlockShapes(dim: number): Record<string, number[]> {
  const d = dim;
  const shapes: Record<string, number[]> = {};
  for (const w of ['q', 'k', 'v', 'o']) {
    shapes[`attn.w${w}`] = [d, d];
    shapes[`attn.b${w}`] = [d];
  }
  Object.assign(shapes, {
    'ln1.g': [d],
    'ln1.b': [d],
    'mlp.w1': [d, 2 * d],
    'mlp.b1': [2 * d],
    'mlp.w2': [2 * d, d],
    'mlp.b2': [d],
    'ln2.g': [d],
    'ln2.b': [d],
    'head.w': [d, 3],
    'head.b': [3],
  });
  return shapes;
}

/**
 * A random block: Fourier features, and weights N(0, 1/fan-in) (layer-norm gains 1 + N(0, 0.01)),
 * drawn from `rng` in a fixed order.
 */
export function randomEncoderBlock(
  rng: Rng,
  dim: number,
  heads: number,
): { config: EncoderBlockConfig; shapes: Record<string, number[]>; weights: Record<string, Float32Array> } {
  const config = {
    dim,
    heads,
    omega: randomFloat32(rng, [2, dim / 2], 2),
    phase: randomFloat32(rng, [dim / 2]),
  };
  const shapes = encoderBlockShapes(dim);
  const weights: Record<string, Float32Array> = {};
  for (const [n, s] of Object.entries(shapes)) {
    weights[n] = n.endsWith('.g')
      ? Float32Array.from(randomFloat32(rng, s, 0.1), (v) => 1 + v)
      : randomFloat32(rng, s, 1 / Math.sqrt(s[0]!));
  }
  return { config, shapes, weights };
}

/** Multi-head self-attention with a key-padding mask: x [B, N, D], mask [B, N] → [B, N, D]. */
export function multiHeadAttention<T>(o: Ops<T>, p: Params<T>, x: T, mask: T, heads: number): T {
  const d = o.shape(x).at(-1)!;
  const dh = d / heads;
  const split = (t: T) => o.transpose(o.reshape(t, [0, 0, heads, dh]), [0, 2, 1, 3]); // [B, H, N, dh]
  const q = split(o.linear(x, p.get('wq', [d, d]), p.get('bq', [d])));
  const k = split(o.linear(x, p.get('wk', [d, d]), p.get('bk', [d])));
  const v = split(o.linear(x, p.get('wv', [d, d]), p.get('bv', [d])));
  const bias = o.expandDims(o.expandDims(o.mul(o.sub(mask, 1), 1e9), 1), 1); // [B, 1, 1, N]
  const attn = o.softmax(o.add(o.mul(o.matMul(q, k, { transposeB: true }), 1 / Math.sqrt(dh)), bias));
  const merged = o.reshape(o.transpose(o.matMul(attn, v), [0, 2, 1, 3]), [0, 0, -1]); // [B, N, D]
  return o.linear(merged, p.get('wo', [d, d]), p.get('bo', [d]));
}

/**
 * points [B, N, 2] (normalised), mask [B, N] → [B, N, 3]: TPE sqrt(2/D)·[sin(Wω + b), cos(Wω + b)],
 * then X' = LN(U) + U with U = MHSA(X), X'' = LN(MLP_GELU(X')) + X', then a linear head.
 * Only 0 / −1 reshapes and broadcasting: B and N stay free for a graph recorder.
 */
export function encoderBlock<T>(o: Ops<T>, p: Params<T>, c: EncoderBlockConfig, points: T, mask: T): T {
  const d = c.dim;
  const z = o.add(o.matMul(points, o.constant(c.omega, [2, d / 2])), o.constant(c.phase, [d / 2]));
  const x = o.mul(o.concat([o.sin(z), o.cos(z)], -1), Math.sqrt(2 / d));
  const u = multiHeadAttention(o, scopeParams(p, 'attn'), x, mask, c.heads);
  const x1 = o.add(o.layerNorm(u, p.get('ln1.g', [d]), p.get('ln1.b', [d])), u);
  const hidden = o.gelu(o.linear(x1, p.get('mlp.w1', [d, 2 * d]), p.get('mlp.b1', [2 * d])));
  const m = o.linear(hidden, p.get('mlp.w2', [2 * d, d]), p.get('mlp.b2', [d]));
  const x2 = o.add(o.layerNorm(m, p.get('ln2.g', [d]), p.get('ln2.b', [d])), x1);
  return o.linear(x2, p.get('head.w', [d, 3]), p.get('head.b', [3]));
}

/** Points [B, N, 2] and mask [B, N] with each sample's points reordered: slot i gets point perm[i]. */
export function permutePoints(
  points: Float32Array,
  mask: Float32Array,
  perm: ArrayLike<number>,
  B: number,
  N: number,
): { points: Float32Array; mask: Float32Array } {
  const out = { points: new Float32Array(points.length), mask: new Float32Array(mask.length) };
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < N; i++) {
      const src = b * N + perm[i]!;
      out.mask[b * N + i] = mask[src]!;
      out.points.set(points.subarray(2 * src, 2 * src + 2), 2 * (b * N + i));
    }
  }
  return out;
}

/** The largest |got − want| / max(1, |want|) (absolute below 1, relative above) and where (−1 for empty arrays). Lengths must agree. */
export function worstRelativeError(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
): { worst: number; at: number } {
  if (got.length !== want.length) throw new Error(`lengths differ: ${got.length} vs ${want.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!));
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  return { worst, at };
}

/**
 * How far outputs y, py [B, N, C] of points and their permutation (`permutePoints` with `perm`) are
 * from permutation equivariance: the largest |py[b, i] − y[b, perm[i]]| over visible points (mask [B, N]).
 */
export function permutationError(
  y: ArrayLike<number>,
  py: ArrayLike<number>,
  mask: ArrayLike<number>,
  perm: ArrayLike<number>,
  B: number,
  N: number,
  C: number,
): number {
  let worst = 0;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < N; i++) {
      const src = b * N + perm[i]!;
      if (mask[src] === 0) continue;
      for (let c = 0; c < C; c++)
        worst = Math.max(worst, Math.abs(py[C * (b * N + i) + c]! - y[C * src + c]!));
    }
  }
  return worst;
}
