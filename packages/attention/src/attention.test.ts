import { LfmError, Rng } from '@lfm/core';
import { refTensor } from '@lfm/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  attentionBiases,
  attentionParameterSpecs,
  branchBias,
  globalSelfAttention,
  graphAttentionBias,
  keyPaddingBias,
  localGraphAttention,
  multiBranchAttention,
  multiHeadAttention,
} from './index.js';

import { chainAdjacency, naiveAttention, randn, randomParams, ref, tfo } from './test-support/engines.js';

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
  const params = randomParams(specs, 1);
  const rng = new Rng(2);
  const x = randn(rng, B * N * D);
  const mask = Float32Array.from([1, 1, 1, 0, 1, 1, 0, 1, 1, 1]);
  const adj = chainAdjacency(B, N);
  const rows = (data: ArrayLike<number>, b: number) =>
    Array.from({ length: N }, (_, i) => Array.from({ length: D }, (_, c) => data[(b * N + i) * D + c]!));
  /** Values as the naive loop reads them: the weights of an attention 'a'. */
  const asA = (v: Record<string, Float32Array>) =>
    Object.fromEntries(Object.entries(v).map(([k, t]) => [`a.${k}`, t]));

  it('specs: wq, bq, wk, wv, bv (no key bias: softmax is shift-invariant), [D, W] for an inner width W', () => {
    for (const W of [D, 4]) {
      expect(attentionParameterSpecs(D, W).map((s) => [s.name, s.shape])).toEqual([
        ['wq', [D, W]],
        ['bq', [W]],
        ['wk', [D, W]],
        ['wv', [D, W]],
        ['bv', [W]],
      ]);
    }
    expect(specs).toEqual(attentionParameterSpecs(D, D));
  });

  it('global and local attention equal a naive per-head loop over the allowed keys', () => {
    const p = params.ref;
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
      const prefixed = asA(params.values);
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
        const p = params.tf();
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
    const p = params.ref;
    const m = refTensor([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], [B, N]);
    const a = Float32Array.from(adj);
    for (let j = 0; j < N; j++) a[(N + 2) * N + j] = 0; // sample 1, point 2: an empty adjacency row
    const y64 = localGraphAttention(ref, p, refTensor(x, [B, N, D]), refTensor(a, [B, N, N]), m, heads).data;
    expect(y64.every(Number.isFinite)).toBe(true);
    const y32 = tf.tidy(() =>
      localGraphAttention(
        tfo,
        params.tf(),
        tf.tensor(x, [B, N, D]),
        tf.tensor(a, [B, N, N]),
        tf.tensor(Float32Array.from(m.data), [B, N]),
        heads,
      ).dataSync(),
    );
    expect(y32.every(Number.isFinite)).toBe(true);
  });

  it('an inner width W ≠ D: output [B, N, W], equal to the naive loop', () => {
    const W = 4;
    const narrow = randomParams(attentionParameterSpecs(D, W), 4);
    const y = globalSelfAttention(ref, narrow.ref, refTensor(x, [B, N, D]), refTensor(mask, [B, N]), 2, W);
    expect(y.shape).toEqual([B, N, W]);
    const prefixed = asA(narrow.values);
    for (let b = 0; b < B; b++) {
      const want = naiveAttention(rows(x, b), prefixed, 'a', 2, (_, j) => mask[b * N + j] === 1, W);
      for (let i = 0; i < N; i++)
        for (let c = 0; c < W; c++) expect(y.data[(b * N + i) * W + c]).toBeCloseTo(want[i]![c]!, 10);
    }
    // The weights must be read at [D, W]: full-width weights are refused.
    expect(() =>
      multiHeadAttention(ref, params.ref, refTensor(x, [B, N, D]), refTensor([0], [1]), 2, W),
    ).toThrow();
    expect(() =>
      multiHeadAttention(ref, narrow.ref, refTensor(x, [B, N, D]), refTensor([0], [1]), 3, W),
    ).toThrow(/width 4 is not divisible into 3 heads/);
  });

  it('multiBranchAttention: two branches (own weights, own bias shapes) = the naive branches concatenated', () => {
    const W = 4;
    const narrow = attentionParameterSpecs(D, W);
    const vl = randomParams(narrow, 5);
    const vg = randomParams(narrow, 6);
    const m = refTensor(mask, [B, N]);
    const b = attentionBiases(ref, 'hybrid', m, refTensor(adj, [B, N, N]));
    const y = multiBranchAttention(ref, [vl.ref, vg.ref], refTensor(x, [B, N, D]), b.branches!, 2, W);
    expect(y.shape).toEqual([B, N, 2 * W]);
    for (let bi = 0; bi < B; bi++) {
      const present = (j: number) => mask[bi * N + j] === 1;
      const wantL = naiveAttention(
        rows(x, bi),
        asA(vl.values),
        'a',
        2,
        (i, j) => adj[(bi * N + i) * N + j] === 1 && present(j),
        W,
      );
      const wantG = naiveAttention(rows(x, bi), asA(vg.values), 'a', 2, (_, j) => present(j), W);
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
    const p = params.ref;
    expect(() => multiHeadAttention(ref, p, refTensor(x, [B * N, D]), refTensor([0], [1]), heads)).toThrow(
      /\[B, N, D\]/,
    );
    expect(() => multiHeadAttention(ref, p, refTensor(x, [B, N, D]), refTensor([0], [1]), 3)).toThrow(
      /divisible/,
    );
  });
});
