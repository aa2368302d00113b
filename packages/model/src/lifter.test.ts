import { Rng } from '@lfm/core';
import { createReferenceParams, type RefTensor, refTensor } from '@lfm/core/testing';
import { describe, expect, it } from 'vitest';
import type { LifterConfig } from './config.js';
import {
  forwardLifter,
  initParameters,
  mirrorPairFeature,
  parameterShapes,
  randomWalkEncoding,
} from './lifter.js';
import {
  forwardRef,
  forwardTfjs,
  maxDiff,
  padBatch,
  permuteBatch,
  randomBatch,
  randomParams,
  referenceLifterInputs,
  refLoss,
  refOps,
  tfjsLossAndGrads,
  tinyConfig,
  withCodes,
  withPairs,
} from './test-support/harness.js';

const VARIANTS: [string, Partial<LifterConfig>][] = [
  ['tpe / hybrid / paper (the paper)', {}],
  ['tpe / hybrid / pre', { norm: 'pre' }],
  ['mlp / hybrid / paper', { encoding: 'mlp' }],
  ['tpe / local / paper', { attention: 'local' }],
  ['tpe / global / pre', { attention: 'global', norm: 'pre' }],
  ['tpe / hybrid / pre + joint codes', { norm: 'pre', jointCodes: 3 }],
  // Half-width branches: D = 16, 4 heads → each branch 8 wide with 2 heads of width 4, proj [16, 16].
  ['tpe / hybrid / paper, half-width branches', { branchWidth: 'half' }],
  ['tpe / hybrid / pre, half-width branches', { branchWidth: 'half', norm: 'pre' }],
  ['tpe / hybrid / pre, camera head', { norm: 'pre', head: 'camera', jointCodes: 3 }],
  ['tpe / hybrid / pre, structural encoding', { norm: 'pre', structural: 4 }],
  [
    'tpe / local / pre, structural encoding + camera head',
    { attention: 'local', norm: 'pre', structural: 3, head: 'camera', jointCodes: 3 },
  ],
  ['tpe / hybrid / pre, mirror pairs', { norm: 'pre', mirrorPairs: true }],
  [
    'tpe / local / paper, mirror pairs + joint codes + camera head',
    { attention: 'local', mirrorPairs: true, jointCodes: 3, head: 'camera' },
  ],
];

describe('randomWalkEncoding', () => {
  it('is the return probability of the random walk on the present points’ graph: a 3-path, a masked 4th point', () => {
    // Path 0 – 1 – 2 with self loops; point 3 masked (its garbage edges must not count).
    const adj = Float64Array.from([1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1]);
    const mask = Float64Array.from([1, 1, 1, 0]);
    const out = randomWalkEncoding(refOps, refTensor(adj, [1, 4, 4]), refTensor(mask, [1, 4]), 3).data;
    // P = D⁻¹A with degrees 2, 3, 2: diag P = (1/2, 1/3, 1/2), diag P²_0 = 1/4 + 1/6 = 5/12, …
    const P = [
      [1 / 2, 1 / 2, 0],
      [1 / 3, 1 / 3, 1 / 3],
      [0, 1 / 2, 1 / 2],
    ];
    const mul = (X: number[][], Y: number[][]) =>
      X.map((r) => Y[0]!.map((_, j) => r.reduce((s, v, k) => s + v * Y[k]![j]!, 0)));
    const P2 = mul(P, P);
    const P3 = mul(P2, P);
    const want = [0, 1, 2].flatMap((i) => [P[i]![i]!, P2[i]![i]!, P3[i]![i]!]);
    expect(want[0]).toBeCloseTo(1 / 2, 15);
    expect(want[1]).toBeCloseTo(5 / 12, 15);
    for (let k = 0; k < 9; k++) expect(out[k]).toBeCloseTo(want[k]!, 12);
    expect(Array.from(out.slice(9))).toEqual([0, 0, 0]);
  });

  it('config: needs the graph, at most 32', () => {
    expect(() => tinyConfig({ attention: 'global', structural: 2 })).toThrow(
      /structural needs the local-attention graph/,
    );
    expect(() => tinyConfig({ structural: 33 })).toThrow(/at most 32/);
  });
});

describe('mirrorPairFeature (mirrorPairs)', () => {
  // 5 points: 0 ↔ 1 partners, 2 ↔ 4 partners with 4 masked, 3 on the centre line.
  const N = 5;
  const points = Float64Array.from([0.5, 0.1, -0.3, 0.2, 0.9, -0.4, 0, 0.7, 1e3, Number.NaN]);
  const mask = Float64Array.from([1, 1, 1, 1, 0]);
  const pairs = new Float64Array(N * N);
  for (const [i, j] of [
    [0, 1],
    [2, 4],
  ] as const) {
    pairs[i * N + j] = 1;
    pairs[j * N + i] = 1;
  }
  const masked = points.map((v, k) => (mask[Math.floor(k / 2)] === 1 ? v : 0));
  const feature = (p: Float64Array, P: Float64Array, m: Float64Array) =>
    mirrorPairFeature(refOps, refTensor(P, [1, N, N]), refTensor(p, [1, N, 2]), refTensor(m, [1, N]))
      .data as Float64Array;

  it('is [offset to the present partner, has partner]: zero for the centre line, a masked partner, a masked point', () => {
    const f = feature(masked, pairs, mask);
    expect(Array.from(f)).toEqual([
      -0.3 - 0.5,
      0.2 - 0.1,
      1,
      0.5 - -0.3,
      0.1 - 0.2,
      1,
      0,
      0,
      0, // 2's partner 4 is masked
      0,
      0,
      0, // 3: centre line
      0,
      0,
      0, // 4: masked
    ]);
  });

  it('is permutation-equivariant: permuting the points and P both ways permutes the feature', () => {
    const perm = [3, 0, 4, 2, 1];
    const pp = new Float64Array(2 * N);
    const pm = new Float64Array(N);
    const pP = new Float64Array(N * N);
    for (let i = 0; i < N; i++) {
      pp[2 * i] = masked[2 * perm[i]!]!;
      pp[2 * i + 1] = masked[2 * perm[i]! + 1]!;
      pm[i] = mask[perm[i]!]!;
      for (let j = 0; j < N; j++) pP[i * N + j] = pairs[perm[i]! * N + perm[j]!]!;
    }
    const f = feature(masked, pairs, mask);
    const g = feature(pp, pP, pm);
    for (let i = 0; i < N; i++) for (let c = 0; c < 3; c++) expect(g[3 * i + c]).toBe(f[3 * perm[i]! + c]);
  });

  it('the lifter reads it: pairs required when configured, shape-checked, and who is whose partner matters', () => {
    const c = tinyConfig({ mirrorPairs: true });
    expect(() => tinyConfig({ mirrorPairs: 1 as unknown as boolean })).toThrow(
      /mirrorPairs must be true or false, got 1/,
    );
    const params = randomParams(c, 9);
    const base = randomBatch(31, 2, 6);
    const paired = withPairs(base, true, 32);
    const { params: p, inputs } = referenceLifterInputs(c, params, base);
    expect(() => forwardLifter(refOps, p, inputs, c)).toThrow(
      /reads mirror partners: inputs.pairs \[B, N, N\]/,
    );
    expect(() =>
      forwardLifter(
        refOps,
        p,
        { ...inputs, pairs: refTensor(paired.pairs!.subarray(0, 2 * 6 * 5), [2, 6, 5]) },
        c,
      ),
    ).toThrow(/pairs axis 2 is N=5 but N is 6/);
    // Swap which points are partners (0 ↔ 1, 2 ↔ 3 → 0 ↔ 2, 1 ↔ 3) in sample 0: its output changes.
    const set = (P: Float32Array, edges: [number, number][]) => {
      P.fill(0, 0, 36);
      for (const [i, j] of edges) {
        P[i * 6 + j] = 1;
        P[j * 6 + i] = 1;
      }
    };
    const a = { ...paired, pairs: paired.pairs!.slice() };
    set(a.pairs, [
      [0, 1],
      [2, 3],
    ]);
    const b = { ...paired, pairs: paired.pairs!.slice() };
    set(b.pairs, [
      [0, 2],
      [1, 3],
    ]);
    const ya = forwardTfjs(c, params, a);
    const yb = forwardTfjs(c, params, b);
    expect(maxDiff(ya.subarray(0, 18), yb.subarray(0, 18))).toBeGreaterThan(1e-3);
    // Sample 1 is untouched.
    expect(maxDiff(ya.subarray(18), yb.subarray(18))).toBe(0);
    // No pairs known (zeros) is a valid input, different from real pairs.
    const zeros = { ...paired, pairs: new Float32Array(paired.pairs!.length) };
    expect(maxDiff(forwardTfjs(c, params, zeros), forwardTfjs(c, params, a))).toBeGreaterThan(1e-3);
    expect(maxDiff(forwardTfjs(c, params, zeros), forwardRef(c, params, zeros))).toBeLessThan(1e-4);
    // A config without mirrorPairs ignores a pairs input, and has no pairs parameters.
    const plain = tinyConfig();
    const pp = randomParams(plain, 9);
    expect(maxDiff(forwardTfjs(plain, pp, a), forwardTfjs(plain, pp, base))).toBe(0);
    expect(parameterShapes(plain).some((s) => s.name.startsWith('pairs.'))).toBe(false);
    const fmt = (s: { name: string; shape: readonly number[] }) => `${s.name}[${s.shape.join(',')}]`;
    const withP = parameterShapes(c).map(fmt);
    expect(withP.filter((n) => n.startsWith('pairs.'))).toEqual(['pairs.w[3,16]', 'pairs.b[16]']);
    expect(withP.filter((n) => !n.startsWith('pairs.'))).toEqual(parameterShapes(plain).map(fmt));
  });
});

describe('parameters', () => {
  it('parameterShapes: the naming scheme, in order, with trainability', () => {
    const c = tinyConfig({ dModel: 8, heads: 2, layers: 1 });
    const got = parameterShapes(c).map(
      (s) => `${s.name}[${s.shape.join(',')}]${s.trainable ? '' : ' fixed'}`,
    );
    expect(got).toEqual([
      'encoder.omega[2,4] fixed',
      'encoder.phase[4] fixed',
      'layers.0.local.wq[8,8]',
      'layers.0.local.bq[8]',
      'layers.0.local.wk[8,8]',
      'layers.0.local.wv[8,8]',
      'layers.0.local.bv[8]',
      'layers.0.global.wq[8,8]',
      'layers.0.global.bq[8]',
      'layers.0.global.wk[8,8]',
      'layers.0.global.wv[8,8]',
      'layers.0.global.bv[8]',
      'layers.0.proj.w[16,8]',
      'layers.0.proj.b[8]',
      'layers.0.norm1.gamma[8]',
      'layers.0.norm1.beta[8]',
      'layers.0.mlp.fc1.w[8,16]',
      'layers.0.mlp.fc1.b[16]',
      'layers.0.mlp.fc2.w[16,8]',
      'layers.0.mlp.fc2.b[8]',
      'layers.0.norm2.gamma[8]',
      'layers.0.norm2.beta[8]',
      'decoder.fc1.w[8,8]',
      'decoder.fc1.b[8]',
      'decoder.fc2.w[8,3]',
      'decoder.fc2.b[3]',
    ]);
    const pre = parameterShapes({ ...c, norm: 'pre', encoding: 'mlp', layers: 2 }).map((s) => s.name);
    expect(pre.filter((n) => n.startsWith('final_norm.'))).toEqual(['final_norm.gamma', 'final_norm.beta']);
    expect(pre.slice(0, 4)).toEqual(['encoder.fc1.w', 'encoder.fc1.b', 'encoder.fc2.w', 'encoder.fc2.b']);
    expect(pre.filter((n) => n.startsWith('layers.1.'))).toHaveLength(20);
    expect(parameterShapes({ ...c, encoding: 'mlp' }).every((s) => s.trainable)).toBe(true);
    const g = parameterShapes({ ...c, attention: 'global' });
    expect(g.some((s) => s.name.includes('.local.'))).toBe(false);
    expect(g.find((s) => s.name === 'layers.0.proj.w')!.shape).toEqual([8, 8]);
  });

  it("parameterShapes, branchWidth 'half': branches [D, D/2] and [D/2], proj [D, D], the rest unchanged", () => {
    const c = tinyConfig({ dModel: 8, heads: 2, layers: 1, branchWidth: 'half' });
    const full = parameterShapes({ ...c, branchWidth: 'full' });
    const half = parameterShapes(c);
    const fmt = (s: { name: string; shape: readonly number[] }) => `${s.name}[${s.shape.join(',')}]`;
    expect(half.map((s) => s.name)).toEqual(full.map((s) => s.name));
    const changed = half.filter((s, i) => fmt(s) !== fmt(full[i]!)).map(fmt);
    expect(changed).toEqual([
      'layers.0.local.wq[8,4]',
      'layers.0.local.bq[4]',
      'layers.0.local.wk[8,4]',
      'layers.0.local.wv[8,4]',
      'layers.0.local.bv[4]',
      'layers.0.global.wq[8,4]',
      'layers.0.global.bq[4]',
      'layers.0.global.wk[8,4]',
      'layers.0.global.wv[8,4]',
      'layers.0.global.bv[4]',
      'layers.0.proj.w[8,8]',
    ]);
    // At the benchmark size (d = 128, 4 heads) a layer's attention holds half the q/k/v weights and a
    // [128, 128] projection instead of [256, 128].
    const big = tinyConfig({ dModel: 128, heads: 4, layers: 4, branchWidth: 'half' });
    const size = (specs: ReturnType<typeof parameterShapes>) =>
      specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    const saved = size(parameterShapes({ ...big, branchWidth: 'full' })) - size(parameterShapes(big));
    expect(saved).toBe(4 * (6 * 128 * 64 + 4 * 64 + 128 * 128));
    // Initialised from the same seed per name, at its own shape.
    const v = initParameters(c);
    expect(v['layers.0.global.wq']!.length).toBe(32);
    expect(Math.max(...v['layers.0.global.wq']!.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 12));
  });

  it("head 'camera' adds only the trust gate head.trust.{w [D, 1], b [1]}, zero-initialised (λ = ½)", () => {
    const c = tinyConfig({ dModel: 8, heads: 2, layers: 1 });
    const shape = parameterShapes(c).map((s) => `${s.name}[${s.shape.join(',')}]`);
    const camera = parameterShapes({ ...c, head: 'camera' }).map((s) => `${s.name}[${s.shape.join(',')}]`);
    expect(camera).toEqual([...shape, 'head.trust.w[8,1]', 'head.trust.b[1]']);
    const v = initParameters({ ...c, head: 'camera' });
    expect([...v['head.trust.w']!, ...v['head.trust.b']!].every((x) => x === 0)).toBe(true);
  });

  it('initParameters: seeded and deterministic; LayerNorm γ = 1, β = 0; biases 0; sizes match; ω ~ N(0, σ²)', () => {
    const c = tinyConfig({ dModel: 128, heads: 4, layers: 1, tpeSigma: 3 });
    const a = initParameters(c);
    const same = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => v === y[i]);
    const again = initParameters(c);
    expect(Object.entries(a).every(([k, v]) => same(v, again[k]!))).toBe(true);
    expect(same(initParameters({ ...c, seed: 8 })['layers.0.global.wq']!, a['layers.0.global.wq']!)).toBe(
      false,
    );
    for (const s of parameterShapes(c)) {
      const v = a[s.name]!;
      expect(v.length, s.name).toBe(s.shape.reduce((n, d) => n * d, 1));
      if (s.name.endsWith('.gamma')) expect(v.every((x) => x === 1)).toBe(true);
      if (s.name.endsWith('.beta') || s.name.endsWith('.b') || /\.b[qv]$/.test(s.name)) {
        expect(
          v.every((x) => x === 0),
          s.name,
        ).toBe(true);
      }
      if (s.name.endsWith('.w') || /\.w[qkv]$/.test(s.name))
        expect(
          v.some((x) => x !== 0),
          s.name,
        ).toBe(true);
    }
    expect(Object.keys(a)).toEqual(parameterShapes(c).map((s) => s.name));
    const om = a['encoder.omega']!;
    expect(Math.sqrt(om.reduce((s, x) => s + x * x, 0) / om.length)).toBeCloseTo(3, 0);
    // Xavier for the attention projections: |w| ≤ √(6 / (D + D)).
    expect(Math.max(...a['layers.0.local.wq']!.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 256));
  });

  it('the forward pass reads exactly the parameters of parameterShapes, each once per use, with those shapes', () => {
    for (const [name, o] of VARIANTS) {
      const c = tinyConfig(o);
      const specs = parameterShapes(c);
      const values = initParameters(c);
      const inner = createReferenceParams(
        Object.fromEntries(specs.map((s) => [s.name, refTensor(values[s.name]!, s.shape)])) as Record<
          string,
          RefTensor
        >,
      );
      const read = new Set<string>();
      const batch = withPairs(withCodes(randomBatch(1, 1, 4), c.jointCodes, 2), c.mirrorPairs, 3);
      forwardLifter(
        refOps,
        {
          get: (n, s) => {
            read.add(n);
            return inner.get(n, s);
          },
        },
        {
          points: refTensor(batch.points, [1, 4, 2]),
          mask: refTensor(batch.mask, [1, 4]),
          adj: refTensor(batch.adj, [1, 4, 4]),
          ...(batch.codes && { codes: refTensor(batch.codes, [1, 4, c.jointCodes]) }),
          ...(batch.pairs && { pairs: refTensor(batch.pairs, [1, 4, 4]) }),
        },
        c,
      );
      expect([...read].sort(), name).toEqual(specs.map((s) => s.name).sort());
    }
  });
});

describe.each(VARIANTS)('lifter %s', (_name, overrides) => {
  const config = tinyConfig(overrides);
  const params = randomParams(config, 3);
  const B = 3;
  const N = 7;
  // A masked point in every sample; random joint codes and mirror partners for the variants with them.
  const batch = withPairs(
    withCodes(randomBatch(11, B, N, [5, N + 2, 2 * N]), config.jointCodes, 13),
    config.mirrorPairs,
    14,
  );
  const present = (p: number) => batch.mask[p] === 1;

  it('tfjs (float32) and the Float64 reference engine agree; masked points output exactly 0', () => {
    const want = forwardRef(config, params, batch);
    const got = forwardTfjs(config, params, batch);
    expect(got.length).toBe(B * N * 3);
    const scale = Math.max(...want.map(Math.abs));
    expect(scale).toBeGreaterThan(0.05);
    expect(maxDiff(got, want)).toBeLessThan(1e-4 * (1 + scale));
    for (let p = 0; p < B * N; p++) {
      if (present(p)) continue;
      for (let c = 0; c < 3; c++) {
        expect(got[3 * p + c] === 0 && want[3 * p + c] === 0).toBe(true);
      }
    }
  });

  it('is permutation-equivariant: permuting the points permutes the output (1e-5)', () => {
    const perm = new Rng(4).permutation(N);
    const y = forwardTfjs(config, params, batch);
    const py = forwardTfjs(config, params, permuteBatch(batch, perm));
    const back = new Float32Array(y.length);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < N; i++)
        back.set(py.subarray(3 * (b * N + i), 3 * (b * N + i) + 3), 3 * (b * N + perm[i]!));
    expect(maxDiff(back, y)).toBeLessThan(1e-5);
    const y64 = forwardRef(config, params, batch);
    const py64 = forwardRef(config, params, permuteBatch(batch, perm));
    for (let b = 0; b < B; b++)
      for (let i = 0; i < N; i++)
        for (let c = 0; c < 3; c++)
          expect(py64[3 * (b * N + i) + c]).toBeCloseTo(y64[3 * (b * N + perm[i]!) + c]!, 12);
  });

  it('is padding-invariant: masked points with garbage (NaN, 1e4) coordinates and edges change nothing (1e-5)', () => {
    const padded = padBatch(batch, 4, 9);
    const y = forwardTfjs(config, params, batch);
    const yp = forwardTfjs(config, params, padded);
    const M = N + 4;
    const real = new Float32Array(y.length);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < N; i++)
        real.set(yp.subarray(3 * (b * M + i), 3 * (b * M + i) + 3), 3 * (b * N + i));
    expect(maxDiff(real, y)).toBeLessThan(1e-5);
    for (let b = 0; b < B; b++)
      for (let i = N; i < M; i++)
        expect(yp.subarray(3 * (b * M + i), 3 * (b * M + i) + 3).every((v) => v === 0)).toBe(true);
    // Garbage at the points already masked inside the batch changes nothing either.
    const moved = { ...batch, points: batch.points.slice() };
    moved.points[2 * 5] = -7e3;
    moved.points[2 * 5 + 1] = Number.NaN;
    expect(maxDiff(forwardTfjs(config, params, moved), y)).toBe(0);
  });

  it('a sample with no present point gives finite zeros', () => {
    const empty = { ...batch, mask: batch.mask.map((v, k) => (k < N ? 0 : v)) };
    const y = forwardTfjs(config, params, empty);
    expect(y.every(Number.isFinite)).toBe(true);
    expect(Array.from(y.subarray(0, 3 * N)).every((v) => v === 0)).toBe(true);
  });

  it('tfjs autodiff gradients of every trainable parameter match Float64 central differences', () => {
    const small = withPairs(
      withCodes(randomBatch(21, 2, 5, [3]), config.jointCodes, 22),
      config.mirrorPairs,
      23,
    );
    const rng = new Rng(6);
    const weights = Float32Array.from({ length: 2 * 5 * 3 }, () => rng.normal());
    const { loss, grads } = tfjsLossAndGrads(config, params, small, weights);
    const p64: Record<string, Float64Array> = Object.fromEntries(
      Object.entries(params).map(([k, v]) => [k, Float64Array.from(v)]),
    );
    const f0 = refLoss(config, p64, small, weights);
    expect(Math.abs(loss - f0)).toBeLessThan(1e-4 * (1 + Math.abs(f0)));
    const eps = 1e-5;
    const directional = (name: string, dir: Float64Array) => {
      const x = p64[name]!;
      const x0 = x.slice();
      for (let i = 0; i < x.length; i++) x[i] = x0[i]! + eps * dir[i]!;
      const up = refLoss(config, p64, small, weights);
      for (let i = 0; i < x.length; i++) x[i] = x0[i]! - eps * dir[i]!;
      const down = refLoss(config, p64, small, weights);
      x.set(x0);
      return (up - down) / (2 * eps);
    };
    let worst = 0;
    for (const s of parameterShapes(config)) {
      if (!s.trainable) continue;
      const g = grads[s.name]!;
      const norm = Math.hypot(...g);
      if (config.head === 'camera' && s.name === 'decoder.fc2.b') {
        // The camera head centres S: a constant offset of every point changes nothing.
        expect(norm, s.name).toBeLessThan(1e-6);
        continue;
      }
      // Every trainable parameter influences the output.
      expect(norm, s.name).toBeGreaterThan(1e-5);
      // Along the gradient itself the derivative is ‖g‖; along a random unit direction it is g·d.
      const unitG = Float64Array.from(g, (v) => v / norm);
      const r = Float64Array.from(g, () => rng.normal());
      const rn = Math.hypot(...r);
      r.forEach((v, i) => {
        r[i] = v / rn;
      });
      const errG = Math.abs(directional(s.name, unitG) - norm) / norm;
      const errR = Math.abs(directional(s.name, r) - g.reduce((acc, v, i) => acc + v * r[i]!, 0)) / norm;
      worst = Math.max(worst, errG, errR);
      // float32 autodiff vs Float64 differences: observed ≤ 2e-6 relative to ‖g‖.
      expect(errG, `${s.name} along its gradient`).toBeLessThan(3e-5);
      expect(errR, `${s.name} along a random direction`).toBeLessThan(3e-5);
    }
    expect(worst).toBeGreaterThan(0); // (the check ran)
  });
});
