import { initParameterRecord, type ParameterSpec, type Params, Rng } from '@lfm/core';
import {
  createReferenceOps,
  createReferenceParams,
  erf64,
  type RefTensor,
  refTensor,
} from '@lfm/core/testing';
import { createTfjsOps, createTfjsParams } from '@lfm/core/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { GraphLayerConfig } from '../index.js';

// Shared by the attention and layer tests: the engines, random parameters from specs, a chain graph,
// and a naive plain-JS Float64 layer (loops, no Ops) as the independent second implementation.

/** The engines every test runs: the Float64 reference and tfjs, on its cpu backend (set here, on import). */
export const ref = createReferenceOps();
export const tfo = createTfjsOps(tf);
tf.enableProdMode(); // tfjs's documented switch: no "install tfjs-node" banner on the first write
if (!(await tf.setBackend('cpu'))) throw new Error('tfjs cpu backend unavailable');

export const randn = (rng: Rng, n: number, scale = 1) =>
  Float32Array.from({ length: n }, () => scale * rng.normal());

/** Random parameter values and both engines' parameters over them. */
export interface EngineParams {
  readonly values: Record<string, Float32Array>;
  /** On the Float64 reference engine. */
  readonly ref: Params<RefTensor>;
  /** On tfjs: new tensors at each call (call it inside `tf.tidy`). */
  tf(): Params<tf.Tensor>;
}

/** Specs → random values (biases and LayerNorm parameters non-trivial, so every term is exercised). */
export function randomParams(specs: readonly ParameterSpec[], seed: number): EngineParams {
  const rng = new Rng(seed);
  const values = initParameterRecord(specs, seed);
  for (const s of specs) {
    if (s.init.kind === 'zeros') values[s.name] = randn(rng, values[s.name]!.length, 0.3);
    if (s.init.kind === 'ones')
      values[s.name] = Float32Array.from(values[s.name]!, () => 1 + 0.3 * rng.normal());
  }
  return {
    values,
    ref: createReferenceParams(
      Object.fromEntries(specs.map((s) => [s.name, refTensor(values[s.name]!, s.shape)])),
    ),
    tf: () =>
      createTfjsParams(
        Object.fromEntries(specs.map((s) => [s.name, tf.tensor(values[s.name]!, [...s.shape])])),
      ),
  };
}

/** A chain graph with self loops: i ~ i±1. [B, N, N] */
export function chainAdjacency(B: number, N: number): Float32Array {
  const adj = new Float32Array(B * N * N);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < N; i++)
      for (let j = 0; j < N; j++) if (Math.abs(i - j) <= 1) adj[(b * N + i) * N + j] = 1;
  return adj;
}

// ---------------------------------------------------------------------------------------------------
// A naive plain-JS Float64 layer (loops, no Ops): the independent second implementation.
// ---------------------------------------------------------------------------------------------------

export type P = Record<string, Float32Array>;
export const gelu = (v: number) => 0.5 * v * (1 + erf64(v / Math.SQRT2));

export function naiveLinear(
  x: number[],
  w: Float32Array,
  b: Float32Array | undefined,
  out: number,
): number[] {
  return Array.from({ length: out }, (_, o) =>
    x.reduce((s, xi, i) => s + xi * w[i * out + o]!, b ? b[o]! : 0),
  );
}
export function naiveLn(x: number[], g: Float32Array, b: Float32Array): number[] {
  const mu = x.reduce((s, v) => s + v, 0) / x.length;
  const va = x.reduce((s, v) => s + (v - mu) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mu) / Math.sqrt(va + 1e-5)) * g[i]! + b[i]!);
}
/** Heads concatenated, for one sample: x [N][D] → [N][width] (default D), allowed(i, j). */
export function naiveAttention(
  x: number[][],
  p: P,
  pre: string,
  heads: number,
  allowed: (i: number, j: number) => boolean,
  width = x[0]!.length,
) {
  const D = width;
  const dh = D / heads;
  const q = x.map((r) => naiveLinear(r, p[`${pre}.wq`]!, p[`${pre}.bq`], D));
  const k = x.map((r) => naiveLinear(r, p[`${pre}.wk`]!, undefined, D));
  const v = x.map((r) => naiveLinear(r, p[`${pre}.wv`]!, p[`${pre}.bv`], D));
  return x.map((_, i) => {
    const out = new Array<number>(D).fill(0);
    for (let h = 0; h < heads; h++) {
      const js = x.map((_, j) => j).filter((j) => allowed(i, j));
      const s = js.map((j) => {
        let d = 0;
        for (let c = h * dh; c < (h + 1) * dh; c++) d += q[i]![c]! * k[j]![c]!;
        return d / Math.sqrt(dh);
      });
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e.reduce((a, b) => a + b, 0);
      js.forEach((j, t) => {
        for (let c = h * dh; c < (h + 1) * dh; c++) out[c]! += (e[t]! / z) * v[j]![c]!;
      });
    }
    return out;
  });
}
export function naiveLayer(
  x: number[][],
  mask: number[],
  adj: number[][],
  p: P,
  c: GraphLayerConfig,
): number[][] {
  const D = c.dModel;
  const H = c.mlpRatio * D;
  const ln = (name: string, r: number[]) => naiveLn(r, p[`${name}.gamma`]!, p[`${name}.beta`]!);
  const mlp = (r: number[]) =>
    naiveLinear(
      naiveLinear(r, p['mlp.fc1.w']!, p['mlp.fc1.b'], H).map(gelu),
      p['mlp.fc2.w']!,
      p['mlp.fc2.b'],
      D,
    );
  // 'half': each branch D/2 wide with heads/2 heads (head width D/heads either way).
  const [width, heads] = c.branchWidth === 'half' ? [D / 2, c.heads / 2] : [D, c.heads];
  const mix = (t: number[][]) => {
    const branches: number[][][] = [];
    if (c.attention !== 'global')
      branches.push(
        naiveAttention(t, p, 'local', heads, (i, j) => adj[i]![j]! === 1 && mask[j] === 1, width),
      );
    if (c.attention !== 'local')
      branches.push(naiveAttention(t, p, 'global', heads, (_, j) => mask[j] === 1, width));
    return t.map((_, i) =>
      naiveLinear(
        branches.flatMap((br) => br[i]!),
        p['proj.w']!,
        p['proj.b'],
        D,
      ),
    );
  };
  if (c.norm === 'paper') {
    const u = mix(x);
    const x1 = u.map((r) => ln('norm1', r).map((v, i) => v + r[i]!));
    return x1.map((r) => ln('norm2', mlp(r)).map((v, i) => v + r[i]!));
  }
  const m = mix(x.map((r) => ln('norm1', r)));
  const x1 = x.map((r, i) => r.map((v, j) => v + m[i]![j]!));
  return x1.map((r) => mlp(ln('norm2', r)).map((v, i) => v + r[i]!));
}

// ---------------------------------------------------------------------------------------------------
