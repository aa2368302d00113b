import { LfmError, type Ops, type Params, prefixSpecs, Rng } from '@lfm/core';
import { type RefTensor, refTensor } from '@lfm/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  type AttentionKind,
  attentionBiases,
  type BranchWidth,
  branchGeometry,
  checkGraphLayerConfig,
  type GraphLayerConfig,
  graphLayerParameterSpecs,
  graphTransformerLayer,
  type NormStyle,
} from './index.js';

import { chainAdjacency, naiveLayer, randn, randomParams, ref, tfo } from './test-support/engines.js';

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
  /** D = 8, 2 heads, MLP ratio 2, hybrid, paper norm (the tests override what they vary). */
  const small: GraphLayerConfig = { dModel: 8, heads: 2, mlpRatio: 2, attention: 'hybrid', norm: 'paper' };

  it('specs: branch weights by attention kind, projection [2D or D, D], norms, MLP of width r·D', () => {
    const c = small;
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
    const c: GraphLayerConfig = { ...small, branchWidth: 'half' };
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
    const c: GraphLayerConfig = { ...small, dModel: 12, norm: 'pre', branchWidth: 'half' };
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
      const c: GraphLayerConfig = { ...small, attention, norm, branchWidth };
      const params = randomParams(graphLayerParameterSpecs(c), 7);
      const rng = new Rng(5);
      const x = randn(rng, B * N * 8);
      const mask = Float32Array.from({ length: B * N }, (_, k) => (k === 4 || k === 7 ? 0 : 1));
      const adj = chainAdjacency(B, N);
      adj[(0 * N + 0) * N + 5] = 1; // an extra edge 0 → 5 in sample 0
      const run = <T>(ops: Ops<T>, p: Params<T>, t: (d: Float32Array, s: number[]) => T) => {
        const m = t(mask, [B, N]);
        const biases = attentionBiases(ops, attention, m, t(adj, [B, N, N]));
        return graphTransformerLayer(ops, p, t(x, [B, N, 8]), biases, c);
      };
      const want = run(ref, params.ref, (d, s) => refTensor(d, s));
      expect(want.shape).toEqual([B, N, 8]);
      // Biases without the precomputed stack (built by the layer): the same result.
      const { branches: _, ...unstacked } = attentionBiases(
        ref,
        attention,
        refTensor(mask, [B, N]),
        refTensor(adj, [B, N, N]),
      );
      const again = graphTransformerLayer(ref, params.ref, refTensor(x, [B, N, 8]), unstacked, c);
      expect(Array.from(again.data)).toEqual(Array.from(want.data));
      const got = tf.tidy(() => run(tfo, params.tf(), (d, s) => tf.tensor(d, s)).dataSync());
      for (let b = 0; b < B; b++) {
        const rows = Array.from({ length: N }, (_, i) =>
          Array.from(x.subarray((b * N + i) * 8, (b * N + i + 1) * 8)),
        );
        const adjRows = Array.from({ length: N }, (_, i) =>
          Array.from(adj.subarray((b * N + i) * N, (b * N + i + 1) * N)),
        );
        const naive = naiveLayer(
          rows,
          Array.from(mask.subarray(b * N, (b + 1) * N)),
          adjRows,
          params.values,
          c,
        );
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
      const c: GraphLayerConfig = { ...small, dModel: 16, heads: 4, branchWidth };
      const specs = prefixSpecs('l', graphLayerParameterSpecs(c));
      const params = randomParams(specs, 3);
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
        { get: (n, s) => params.ref.get(`l.${n}`, s) },
        refTensor(randn(rng, Bs * Ns * 16), [Bs, Ns, 16]),
        attentionBiases(spy, 'hybrid', m, adj),
        c,
      );
      expect(y.shape).toEqual([Bs, Ns, 16]);
      expect(calls.length).toBeGreaterThan(0);
    },
  );
});
