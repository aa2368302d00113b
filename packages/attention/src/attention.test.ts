import { initParameterRecord, LfmError, type Ops, type ParameterSpec, prefixSpecs, Rng } from '@lfm/core';
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
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AttentionKind,
  attentionBiases,
  attentionParameterSpecs,
  type BranchWidth,
  branchBias,
  branchGeometry,
  checkGraphLayerConfig,
  type GraphLayerConfig,
  globalSelfAttention,
  graphAttentionBias,
  graphLayerParameterSpecs,
  graphTransformerLayer,
  keyPaddingBias,
  localGraphAttention,
  multiBranchAttention,
  multiHeadAttention,
  type NormStyle,
} from './index.js';

const ref = createReferenceOps();
const tfo = createTfjsOps(tf);

beforeAll(async () => {
  tf.enableProdMode(); // tfjs's documented switch: no "install tfjs-node" banner on the first write
  expect(await tf.setBackend('cpu')).toBe(true);
});

const randn = (rng: Rng, n: number, scale = 1) =>
  Float32Array.from({ length: n }, () => scale * rng.normal());

/** Specs → random values (biases and LayerNorm parameters non-trivial, so every term is exercised). */
function randomParams(specs: readonly ParameterSpec[], seed: number): Record<string, Float32Array> {
  const rng = new Rng(seed);
  const values = initParameterRecord(specs, seed);
  for (const s of specs) {
    if (s.init.kind === 'zeros') values[s.name] = randn(rng, values[s.name]!.length, 0.3);
    if (s.init.kind === 'ones')
      values[s.name] = Float32Array.from(values[s.name]!, () => 1 + 0.3 * rng.normal());
  }
  return values;
}

function refParams(specs: readonly ParameterSpec[], values: Record<string, Float32Array>) {
  return createReferenceParams(
    Object.fromEntries(specs.map((s) => [s.name, refTensor(values[s.name]!, s.shape)])) as Record<
      string,
      RefTensor
    >,
  );
}

function tfParams(specs: readonly ParameterSpec[], values: Record<string, Float32Array>) {
  return createTfjsParams(
    Object.fromEntries(specs.map((s) => [s.name, tf.tensor(values[s.name]!, [...s.shape])])),
  );
}

/** A chain graph with self loops: i ~ i±1. [B, N, N] */
function chainAdjacency(B: number, N: number): Float32Array {
  const adj = new Float32Array(B * N * N);
  for (let b = 0; b < B; b++)
    for (let i = 0; i < N; i++)
      for (let j = 0; j < N; j++) if (Math.abs(i - j) <= 1) adj[(b * N + i) * N + j] = 1;
  return adj;
}

// ---------------------------------------------------------------------------------------------------
// A naive plain-JS Float64 layer (loops, no Ops): the independent second implementation.
// ---------------------------------------------------------------------------------------------------

type P = Record<string, Float32Array>;
const gelu = (v: number) => 0.5 * v * (1 + erf64(v / Math.SQRT2));

function naiveLinear(x: number[], w: Float32Array, b: Float32Array | undefined, out: number): number[] {
  return Array.from({ length: out }, (_, o) =>
    x.reduce((s, xi, i) => s + xi * w[i * out + o]!, b ? b[o]! : 0),
  );
}
function naiveLn(x: number[], g: Float32Array, b: Float32Array): number[] {
  const mu = x.reduce((s, v) => s + v, 0) / x.length;
  const va = x.reduce((s, v) => s + (v - mu) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mu) / Math.sqrt(va + 1e-5)) * g[i]! + b[i]!);
}
/** Heads concatenated, for one sample: x [N][D] → [N][width] (default D), allowed(i, j). */
function naiveAttention(
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
function naiveLayer(x: number[][], mask: number[], adj: number[][], p: P, c: GraphLayerConfig): number[][] {
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

describe('attention masks', () => {
  it('keyPaddingBias: 0 present, −1e9 absent, [B, 1, N]; graphAttentionBias: 0 / −1e9 / −2e9', () => {
    const mask = refTensor([1, 0, 1], [1, 3]);
    const kb = keyPaddingBias(ref, mask);
    expect(kb.shape).toEqual([1, 1, 3]);
    expect(Array.from(kb.data)).toEqual([0, -1e9, 0]);
    const adj = refTensor([1, 1, 0, 1, 1, 1, 0, 1, 1], [1, 3, 3]);
    const gb = graphAttentionBias(ref, adj, mask);
    expect(gb.shape).toEqual([1, 3, 3]);
    // Key 1 is absent: cut even where the graph has an edge to it.
    expect(Array.from(gb.data)).toEqual([0, -2e9, -1e9, 0, -2e9, 0, -1e9, -2e9, 0]);
  });

  it('attentionBiases: adjacency required by local and hybrid, not by global', () => {
    const mask = refTensor([1, 1], [1, 2]);
    expect(() => attentionBiases(ref, 'hybrid', mask)).toThrow(/adjacency/);
    expect(() => attentionBiases(ref, 'local', mask)).toThrow(LfmError);
    expect(Object.keys(attentionBiases(ref, 'global', mask)).sort()).toEqual(['branches', 'global']);
    const adj = refTensor([1, 1, 1, 1], [1, 2, 2]);
    expect(Object.keys(attentionBiases(ref, 'hybrid', mask, adj)).sort()).toEqual([
      'branches',
      'global',
      'local',
    ]);
    expect(Object.keys(attentionBiases(ref, 'local', mask, adj)).sort()).toEqual(['branches', 'local']);
  });

  it('branchBias: the branch biases stacked [B, branches, 1, N, N], the padding bias repeated over queries', () => {
    const mask = refTensor([1, 0, 1, 1, 1, 0], [2, 3]);
    const adj = refTensor(chainAdjacency(2, 3), [2, 3, 3]);
    const b = attentionBiases(ref, 'hybrid', mask, adj);
    const stacked = b.branches!;
    expect(stacked.shape).toEqual([2, 2, 1, 3, 3]);
    const local = b.local!.data;
    const global = b.global!.data;
    for (let s = 0; s < 2; s++)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          expect(stacked.data[((s * 2 + 0) * 3 + i) * 3 + j]).toBe(local[(s * 3 + i) * 3 + j]);
          expect(stacked.data[((s * 2 + 1) * 3 + i) * 3 + j]).toBe(global[s * 3 + j]);
        }
    // One branch: its bias with two unit axes, whatever its shape.
    expect(attentionBiases(ref, 'global', mask).branches!.shape).toEqual([2, 1, 1, 1, 3]);
    expect(attentionBiases(ref, 'local', mask, adj).branches!.shape).toEqual([2, 1, 1, 3, 3]);
    // Both orders of mixed shapes.
    expect(branchBias(ref, [b.global!, b.local!]).shape).toEqual([2, 2, 1, 3, 3]);
  });
});

describe('multi-head attention', () => {
  const D = 8;
  const heads = 2;
  const B = 2;
  const N = 5;
  const specs = attentionParameterSpecs(D);
  const values = randomParams(specs, 1);
  const rng = new Rng(2);
  const x = randn(rng, B * N * D);
  const mask = Float32Array.from([1, 1, 1, 0, 1, 1, 0, 1, 1, 1]);
  const adj = chainAdjacency(B, N);
  const rows = (data: ArrayLike<number>, b: number) =>
    Array.from({ length: N }, (_, i) => Array.from({ length: D }, (_, c) => data[(b * N + i) * D + c]!));

  it('specs: wq, bq, wk, wv, bv (no key bias: softmax is shift-invariant)', () => {
    expect(specs.map((s) => [s.name, s.shape])).toEqual([
      ['wq', [D, D]],
      ['bq', [D]],
      ['wk', [D, D]],
      ['wv', [D, D]],
      ['bv', [D]],
    ]);
  });

  it('global and local attention equal a naive per-head loop over the allowed keys', () => {
    const p = refParams(specs, values);
    const g = globalSelfAttention(ref, p, refTensor(x, [B, N, D]), refTensor(mask, [B, N]), heads);
    const l = localGraphAttention(
      ref,
      p,
      refTensor(x, [B, N, D]),
      refTensor(adj, [B, N, N]),
      refTensor(mask, [B, N]),
      heads,
    );
    expect(g.shape).toEqual([B, N, D]);
    for (let b = 0; b < B; b++) {
      const prefixed = Object.fromEntries(Object.entries(values).map(([k, v]) => [`a.${k}`, v]));
      const wantG = naiveAttention(rows(x, b), prefixed, 'a', heads, (_, j) => mask[b * N + j] === 1);
      const wantL = naiveAttention(
        rows(x, b),
        prefixed,
        'a',
        heads,
        (i, j) => adj[(b * N + i) * N + j] === 1 && mask[b * N + j] === 1,
      );
      for (let i = 0; i < N; i++) {
        for (let c = 0; c < D; c++) {
          expect(g.data[(b * N + i) * D + c]).toBeCloseTo(wantG[i]![c]!, 10);
          // Local: point 3 of sample 0 is absent and its chain neighbours 2, 4 lose it as a key.
          if (mask[b * N + i] === 1) expect(l.data[(b * N + i) * D + c]).toBeCloseTo(wantL[i]![c]!, 10);
        }
      }
    }
  });

  it('tfjs: absent keys and non-neighbours have exactly no influence; neighbours do', () => {
    const run = (xs: Float32Array, kind: 'global' | 'local') =>
      tf.tidy(() => {
        const p = tfParams(specs, values);
        const xt = tf.tensor(xs, [B, N, D]);
        const m = tf.tensor(mask, [B, N]);
        const y =
          kind === 'global'
            ? globalSelfAttention(tfo, p, xt, m, heads)
            : localGraphAttention(tfo, p, xt, tf.tensor(adj, [B, N, N]), m, heads);
        return y.dataSync() as Float32Array;
      });
    const moved = (point: number) => {
      const y = x.slice();
      for (let c = 0; c < D; c++) y[point * D + c] = 1e3 * (c % 2 ? 1 : -1);
      return y;
    };
    const same = (a: Float32Array, b: Float32Array, point: number) =>
      Array.from({ length: D }, (_, c) => a[point * D + c] === b[point * D + c]).every(Boolean);
    for (const kind of ['global', 'local'] as const) {
      const base = run(x, kind);
      const y = run(moved(3), kind); // sample 0, point 3: absent
      for (const i of [0, 1, 2, 4]) expect(same(base, y, i), `${kind}: point ${i}`).toBe(true);
      expect(base.every(Number.isFinite) && y.every(Number.isFinite)).toBe(true);
    }
    // Local, sample 1 (point 6 absent): point 9's neighbours are 8 and itself; 5 is not one.
    const base = run(x, 'local');
    const far = run(moved(5), 'local');
    expect(same(base, far, 9)).toBe(true);
    expect(same(base, far, 7)).toBe(true); // 7's neighbours: 6 (absent), 7, 8
    expect(same(base, run(moved(8), 'local'), 9)).toBe(false);
    expect(same(base, far, 5)).toBe(false);
  });

  it('rows with no allowed key stay finite: an all-absent sample, and a present point without its self loop', () => {
    const p = refParams(specs, values);
    const m = refTensor([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], [B, N]);
    const a = Float32Array.from(adj);
    for (let j = 0; j < N; j++) a[(N + 2) * N + j] = 0; // sample 1, point 2: an empty adjacency row
    const y64 = localGraphAttention(ref, p, refTensor(x, [B, N, D]), refTensor(a, [B, N, N]), m, heads).data;
    expect(y64.every(Number.isFinite)).toBe(true);
    const y32 = tf.tidy(() =>
      localGraphAttention(
        tfo,
        tfParams(specs, values),
        tf.tensor(x, [B, N, D]),
        tf.tensor(a, [B, N, N]),
        tf.tensor(Float32Array.from(m.data), [B, N]),
        heads,
      ).dataSync(),
    );
    expect(y32.every(Number.isFinite)).toBe(true);
  });

  it('an inner width W ≠ D: specs [D, W], output [B, N, W], equal to the naive loop', () => {
    const W = 4;
    const narrow = attentionParameterSpecs(D, W);
    expect(narrow.map((s) => [s.name, s.shape])).toEqual([
      ['wq', [D, W]],
      ['bq', [W]],
      ['wk', [D, W]],
      ['wv', [D, W]],
      ['bv', [W]],
    ]);
    const nv = randomParams(narrow, 4);
    const y = globalSelfAttention(
      ref,
      refParams(narrow, nv),
      refTensor(x, [B, N, D]),
      refTensor(mask, [B, N]),
      2,
      W,
    );
    expect(y.shape).toEqual([B, N, W]);
    const prefixed = Object.fromEntries(Object.entries(nv).map(([k, v]) => [`a.${k}`, v]));
    for (let b = 0; b < B; b++) {
      const want = naiveAttention(rows(x, b), prefixed, 'a', 2, (_, j) => mask[b * N + j] === 1, W);
      for (let i = 0; i < N; i++)
        for (let c = 0; c < W; c++) expect(y.data[(b * N + i) * W + c]).toBeCloseTo(want[i]![c]!, 10);
    }
    // The weights must be read at [D, W]: full-width weights are refused.
    expect(() =>
      multiHeadAttention(ref, refParams(specs, values), refTensor(x, [B, N, D]), refTensor([0], [1]), 2, W),
    ).toThrow();
    expect(() =>
      multiHeadAttention(ref, refParams(narrow, nv), refTensor(x, [B, N, D]), refTensor([0], [1]), 3, W),
    ).toThrow(/width 4 is not divisible into 3 heads/);
  });

  it('multiBranchAttention: two branches (own weights, own bias shapes) = the naive branches concatenated', () => {
    const W = 4;
    const narrow = attentionParameterSpecs(D, W);
    const vl = randomParams(narrow, 5);
    const vg = randomParams(narrow, 6);
    const m = refTensor(mask, [B, N]);
    const b = attentionBiases(ref, 'hybrid', m, refTensor(adj, [B, N, N]));
    const y = multiBranchAttention(
      ref,
      [refParams(narrow, vl), refParams(narrow, vg)],
      refTensor(x, [B, N, D]),
      b.branches!,
      2,
      W,
    );
    expect(y.shape).toEqual([B, N, 2 * W]);
    const pre = (v: Record<string, Float32Array>) =>
      Object.fromEntries(Object.entries(v).map(([k, t]) => [`a.${k}`, t]));
    for (let bi = 0; bi < B; bi++) {
      const present = (j: number) => mask[bi * N + j] === 1;
      const wantL = naiveAttention(
        rows(x, bi),
        pre(vl),
        'a',
        2,
        (i, j) => adj[(bi * N + i) * N + j] === 1 && present(j),
        W,
      );
      const wantG = naiveAttention(rows(x, bi), pre(vg), 'a', 2, (_, j) => present(j), W);
      for (let i = 0; i < N; i++) {
        if (!present(i)) continue;
        for (let c = 0; c < W; c++) {
          expect(y.data[(bi * N + i) * 2 * W + c]).toBeCloseTo(wantL[i]![c]!, 10);
          expect(y.data[(bi * N + i) * 2 * W + W + c]).toBeCloseTo(wantG[i]![c]!, 10);
        }
      }
    }
    expect(() => multiBranchAttention(ref, [], refTensor(x, [B, N, D]), b.branches!, 2, W)).toThrow(
      /at least one branch/,
    );
  });

  it('rejects x that is not [B, N, D] or a width not divisible by heads', () => {
    const p = refParams(specs, values);
    expect(() => multiHeadAttention(ref, p, refTensor(x, [B * N, D]), refTensor([0], [1]), heads)).toThrow(
      /\[B, N, D\]/,
    );
    expect(() => multiHeadAttention(ref, p, refTensor(x, [B, N, D]), refTensor([0], [1]), 3)).toThrow(
      /divisible/,
    );
  });
});

describe('graph-transformer layer', () => {
  const combos: [AttentionKind, NormStyle, BranchWidth][] = [
    ['hybrid', 'paper', 'full'],
    ['hybrid', 'pre', 'full'],
    ['hybrid', 'paper', 'half'],
    ['hybrid', 'pre', 'half'],
    ['global', 'paper', 'full'],
    ['global', 'pre', 'full'],
    ['local', 'paper', 'full'],
    ['local', 'pre', 'full'],
  ];
  const B = 2;
  const N = 6;

  it('specs: branch weights by attention kind, projection [2D or D, D], norms, MLP of width r·D', () => {
    const c: GraphLayerConfig = { dModel: 8, heads: 2, mlpRatio: 2, attention: 'hybrid', norm: 'paper' };
    const names = graphLayerParameterSpecs(c).map((s) => `${s.name}[${s.shape.join(',')}]`);
    expect(names).toEqual([
      'local.wq[8,8]',
      'local.bq[8]',
      'local.wk[8,8]',
      'local.wv[8,8]',
      'local.bv[8]',
      'global.wq[8,8]',
      'global.bq[8]',
      'global.wk[8,8]',
      'global.wv[8,8]',
      'global.bv[8]',
      'proj.w[16,8]',
      'proj.b[8]',
      'norm1.gamma[8]',
      'norm1.beta[8]',
      'mlp.fc1.w[8,16]',
      'mlp.fc1.b[16]',
      'mlp.fc2.w[16,8]',
      'mlp.fc2.b[8]',
      'norm2.gamma[8]',
      'norm2.beta[8]',
    ]);
    const g = graphLayerParameterSpecs({ ...c, attention: 'global' }).map((s) => s.name);
    expect(g.some((n) => n.startsWith('local.'))).toBe(false);
    expect(
      graphLayerParameterSpecs({ ...c, attention: 'local' }).find((s) => s.name === 'proj.w')!.shape,
    ).toEqual([8, 8]);
    expect(() => graphLayerParameterSpecs({ ...c, heads: 3 })).toThrow(/divisible/);
    expect(() => graphLayerParameterSpecs({ ...c, mlpRatio: 0.3 })).toThrow(/mlpRatio/);
    expect(() => graphLayerParameterSpecs({ ...c, norm: 'post' as NormStyle })).toThrow(/norm/);
  });

  it("branchWidth 'half': each branch [D, D/2] with heads/2 heads of width D/heads, projection [D, D]", () => {
    const c: GraphLayerConfig = {
      dModel: 8,
      heads: 2,
      mlpRatio: 2,
      attention: 'hybrid',
      norm: 'paper',
      branchWidth: 'half',
    };
    const names = graphLayerParameterSpecs(c).map((s) => `${s.name}[${s.shape.join(',')}]`);
    expect(names.slice(0, 12)).toEqual([
      'local.wq[8,4]',
      'local.bq[4]',
      'local.wk[8,4]',
      'local.wv[8,4]',
      'local.bv[4]',
      'global.wq[8,4]',
      'global.bq[4]',
      'global.wk[8,4]',
      'global.wv[8,4]',
      'global.bv[4]',
      'proj.w[8,8]',
      'proj.b[8]',
    ]);
    // The rest of the layer is as with 'full'.
    const full = graphLayerParameterSpecs({ ...c, branchWidth: 'full' }).map(
      (s) => `${s.name}[${s.shape.join(',')}]`,
    );
    expect(names.slice(12)).toEqual(full.slice(12));
    expect(full.find((n) => n.startsWith('proj.w'))).toBe('proj.w[16,8]');
    expect(graphLayerParameterSpecs({ ...c, branchWidth: undefined })).toEqual(
      graphLayerParameterSpecs({ ...c, branchWidth: 'full' }),
    );
    expect(branchGeometry({ ...c, dModel: 128, heads: 4 })).toEqual({ width: 64, heads: 2 });
    expect(branchGeometry({ ...c, dModel: 128, heads: 4, branchWidth: 'full' })).toEqual({
      width: 128,
      heads: 4,
    });
    // Fewer parameters in the attention: 2·3·D·D/2 + D·D instead of 2·3·D·D + 2D·D.
    const count = (cfg: GraphLayerConfig) =>
      graphLayerParameterSpecs(cfg)
        .filter((s) => /^(local|global)\.w|^proj\.w/.test(s.name))
        .reduce((n, s) => n + s.shape[0]! * s.shape[1]!, 0);
    expect(count(c)).toBe(3 * 8 * 8 + 8 * 8);
    expect(count({ ...c, branchWidth: 'full' })).toBe(6 * 8 * 8 + 16 * 8);
  });

  it("branchWidth 'half' is refused for one-branch layers, with an odd heads, or as an unknown value", () => {
    const c: GraphLayerConfig = {
      dModel: 12,
      heads: 2,
      mlpRatio: 2,
      attention: 'hybrid',
      norm: 'pre',
      branchWidth: 'half',
    };
    expect(() => checkGraphLayerConfig(c)).not.toThrow();
    for (const attention of ['global', 'local'] as const) {
      expect(() => graphLayerParameterSpecs({ ...c, attention })).toThrow(LfmError);
      expect(() => graphLayerParameterSpecs({ ...c, attention })).toThrow(
        new RegExp(`branchWidth 'half' .* attention '${attention}' has one`),
      );
      expect(() => graphLayerParameterSpecs({ ...c, attention, branchWidth: 'full' })).not.toThrow();
    }
    expect(() => graphLayerParameterSpecs({ ...c, heads: 3 })).toThrow(/heads must be even, got 3/);
    expect(() => graphLayerParameterSpecs({ ...c, heads: 1 })).toThrow(/heads must be even, got 1/);
    expect(() => graphLayerParameterSpecs({ ...c, heads: 3, branchWidth: 'full' })).not.toThrow();
    expect(() => graphLayerParameterSpecs({ ...c, branchWidth: 'quarter' as BranchWidth })).toThrow(
      /branchWidth must be 'full' or 'half', got 'quarter'/,
    );
  });

  it.each(combos)(
    '%s / %s / %s branches: equals the naive Float64 layer on present points; tfjs agrees',
    (attention, norm, branchWidth) => {
      const c: GraphLayerConfig = { dModel: 8, heads: 2, mlpRatio: 2, attention, norm, branchWidth };
      const specs = graphLayerParameterSpecs(c);
      const values = randomParams(specs, 7);
      const rng = new Rng(5);
      const x = randn(rng, B * N * 8);
      const mask = Float32Array.from({ length: B * N }, (_, k) => (k === 4 || k === 7 ? 0 : 1));
      const adj = chainAdjacency(B, N);
      adj[(0 * N + 0) * N + 5] = 1; // an extra edge 0 → 5 in sample 0
      const run = <T>(
        ops: Ops<T>,
        params: ReturnType<typeof refParams> | ReturnType<typeof tfParams>,
        t: (d: Float32Array, s: number[]) => T,
      ) => {
        const m = t(mask, [B, N]);
        const biases = attentionBiases(ops, attention, m, t(adj, [B, N, N]));
        return graphTransformerLayer(ops, params as never, t(x, [B, N, 8]), biases, c);
      };
      const want = run(ref, refParams(specs, values), (d, s) => refTensor(d, s));
      expect(want.shape).toEqual([B, N, 8]);
      // Biases without the precomputed stack (built by the layer): the same result.
      const { branches: _, ...unstacked } = attentionBiases(
        ref,
        attention,
        refTensor(mask, [B, N]),
        refTensor(adj, [B, N, N]),
      );
      const again = graphTransformerLayer(
        ref,
        refParams(specs, values),
        refTensor(x, [B, N, 8]),
        unstacked,
        c,
      );
      expect(Array.from(again.data)).toEqual(Array.from(want.data));
      const got = tf.tidy(() => run(tfo, tfParams(specs, values), (d, s) => tf.tensor(d, s)).dataSync());
      for (let b = 0; b < B; b++) {
        const rows = Array.from({ length: N }, (_, i) =>
          Array.from(x.subarray((b * N + i) * 8, (b * N + i + 1) * 8)),
        );
        const adjRows = Array.from({ length: N }, (_, i) =>
          Array.from(adj.subarray((b * N + i) * N, (b * N + i + 1) * N)),
        );
        const naive = naiveLayer(rows, Array.from(mask.subarray(b * N, (b + 1) * N)), adjRows, values, c);
        for (let i = 0; i < N; i++) {
          if (mask[b * N + i] === 0) continue;
          for (let k = 0; k < 8; k++) {
            const at = (b * N + i) * 8 + k;
            expect(want.data[at]).toBeCloseTo(naive[i]![k]!, 9);
            expect(Math.abs(got[at]! - want.data[at]!)).toBeLessThan(1e-4 * (1 + Math.abs(want.data[at]!)));
          }
        }
      }
      expect(Array.from(got).every(Number.isFinite)).toBe(true);
    },
  );

  it.each(['full', 'half'] as const)(
    '%s branches: bake neither B nor N into an op argument (a graph recorder can keep them symbolic)',
    (branchWidth) => {
      const c: GraphLayerConfig = {
        dModel: 16,
        heads: 4,
        mlpRatio: 2,
        attention: 'hybrid',
        norm: 'paper',
        branchWidth,
      };
      const specs = prefixSpecs('l', graphLayerParameterSpecs(c));
      const values = randomParams(specs, 3);
      const [Bs, Ns] = [5, 11]; // distinct from D = 16, D/2 = 8, heads 4 or 2, head width 4, MLP 32
      const forbidden = new Set([Bs, Ns, Bs * Ns, Ns * Ns]);
      const calls: string[] = [];
      const spy: Ops<RefTensor> = {
        ...ref,
        reshape: (t, dims) => {
          calls.push(`reshape ${dims.join(',')}`);
          if (dims.some((d) => forbidden.has(d)))
            throw new Error(`reshape bakes B or N: [${dims.join(', ')}]`);
          return ref.reshape(t, dims);
        },
        constant: (d, s) => {
          if (s.some((v) => forbidden.has(v))) throw new Error(`constant of shape [${s.join(', ')}]`);
          return ref.constant(d, s);
        },
        slice: (t, axis, start, end) => {
          if (forbidden.has(Math.abs(start)) || (end !== undefined && forbidden.has(Math.abs(end)))) {
            throw new Error('slice bakes B or N');
          }
          return ref.slice(t, axis, start, end);
        },
        gather: () => {
          throw new Error('gather is not expected');
        },
      };
      const rng = new Rng(1);
      const m = refTensor(
        Float32Array.from({ length: Bs * Ns }, () => (rng.uniform() < 0.8 ? 1 : 0)),
        [Bs, Ns],
      );
      const adj = refTensor(chainAdjacency(Bs, Ns), [Bs, Ns, Ns]);
      const y = graphTransformerLayer(
        spy,
        { get: (n, s) => refParams(specs, values).get(`l.${n}`, s) },
        refTensor(randn(rng, Bs * Ns * 16), [Bs, Ns, 16]),
        attentionBiases(spy, 'hybrid', m, adj),
        c,
      );
      expect(y.shape).toEqual([Bs, Ns, 16]);
      expect(calls.length).toBeGreaterThan(0);
    },
  );
});
