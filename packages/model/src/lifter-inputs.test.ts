import { LfmError, nd, type Ops, Rng, randomRotation, rotatePoints, ShapeError } from '@lfm/core';
import { createReferenceParams, type RefTensor, refTensor } from '@lfm/core/testing';
import { nPaMpjpe } from '@lfm/procrustes';
import { describe, expect, it } from 'vitest';
import type { LifterConfig } from './config.js';
import { cameraHead, forwardLifter, initParameters, parameterShapes } from './lifter.js';
import {
  forwardRef,
  forwardTfjs,
  maxDiff,
  randomBatch,
  randomParams,
  referenceLifterInputs,
  refOps,
  tf,
  tfOps,
  tinyConfig,
  withCodes,
  withPairs,
} from './test-support/harness.js';

// The lifter's locality, its inputs (adjacency, joint codes) and errors, and the 'camera' head.

describe('lifter: locality, inputs and errors', () => {
  it('local-only, 1 layer: a point sees its graph neighbours and nothing else', () => {
    const config = tinyConfig({ attention: 'local', layers: 1 });
    const params = randomParams(config, 5);
    const N = 8;
    const batch = randomBatch(3, 1, N);
    batch.adj.fill(0);
    const edge = (i: number, j: number) => {
      batch.adj[i * N + j] = 1;
      batch.adj[j * N + i] = 1;
    };
    for (let i = 0; i < N; i++) edge(i, i);
    edge(0, 1);
    edge(1, 2);
    edge(2, 6);
    const y = forwardTfjs(config, params, batch);
    const moveCoords = (k: number) => {
      const b = { ...batch, points: batch.points.slice() };
      b.points[2 * k]! += 0.7;
      b.points[2 * k + 1]! -= 0.4;
      return forwardTfjs(config, params, b);
    };
    const at = (arr: Float32Array, i: number) => Array.from(arr.subarray(3 * i, 3 * i + 3));
    for (const far of [0, 3, 4, 5, 7])
      expect(at(moveCoords(far), 2), `point ${far} is no neighbour of 2`).toEqual(at(y, 2));
    for (const near of [1, 6, 2])
      expect(maxDiff(at(moveCoords(near), 2), at(y, 2)), `neighbour ${near}`).toBeGreaterThan(1e-4);
    // Whereas the global model mixes everything.
    const g = tinyConfig({ attention: 'global', layers: 1 });
    const gp = randomParams(g, 5);
    const gy = forwardTfjs(g, gp, batch);
    const gb = { ...batch, points: batch.points.slice() };
    gb.points[2 * 5]! += 0.7;
    expect(maxDiff(at(forwardTfjs(g, gp, gb), 2), at(gy, 2))).toBeGreaterThan(1e-5);
  });

  it('global attention needs no adjacency; local and hybrid do', () => {
    const batch = randomBatch(2, 2, 5);
    const g = tinyConfig({ attention: 'global' });
    const gp = initParameters(g);
    expect(forwardTfjs(g, gp, batch, false)).toEqual(forwardTfjs(g, gp, batch, true));
    const h = tinyConfig();
    expect(() => forwardTfjs(h, initParameters(h), batch, false)).toThrow(/adj/);
  });

  it('shape errors name the input; N > maxPoints is refused; an invalid config is refused', () => {
    const c = tinyConfig({ maxPoints: 6 });
    const p = createReferenceParams(
      Object.fromEntries(
        parameterShapes(c).map((s) => [s.name, refTensor(initParameters(c)[s.name]!, s.shape)]),
      ) as Record<string, RefTensor>,
    );
    const t = (shape: number[]) =>
      refTensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape);
    expect(() =>
      forwardLifter(refOps, p, { points: t([2, 5, 3]), mask: t([2, 5]), adj: t([2, 5, 5]) }, c),
    ).toThrow(/points axis 2 must be 2/);
    expect(() =>
      forwardLifter(refOps, p, { points: t([2, 5, 2]), mask: t([2, 4]), adj: t([2, 5, 5]) }, c),
    ).toThrow(ShapeError);
    expect(() =>
      forwardLifter(refOps, p, { points: t([2, 5, 2]), mask: t([2, 5]), adj: t([2, 5, 4]) }, c),
    ).toThrow(/adj/);
    expect(() =>
      forwardLifter(refOps, p, { points: t([1, 7, 2]), mask: t([1, 7]), adj: t([1, 7, 7]) }, c),
    ).toThrow(/7 points exceed the model's maximum of 6/);
    expect(
      forwardLifter(refOps, p, { points: t([1, 6, 2]), mask: t([1, 6]), adj: t([1, 6, 6]) }, c).shape,
    ).toEqual([1, 6, 3]);
    expect(() =>
      forwardLifter(
        refOps,
        p,
        { points: t([1, 6, 2]), mask: t([1, 6]), adj: t([1, 6, 6]) },
        { ...c, heads: 5 },
      ),
    ).toThrow(LfmError);
  });

  it('joint codes: required when configured, shape-checked, and they carry identity', () => {
    const c = tinyConfig({ jointCodes: 4, norm: 'pre' });
    const params = randomParams(c, 9);
    const base = randomBatch(31, 2, 6);
    const coded = withCodes(base, 4, 32);
    const { params: p, inputs } = referenceLifterInputs(c, params, base);
    expect(() => forwardLifter(refOps, p, inputs, c)).toThrow(/reads joint codes: inputs.codes \[B, N, 4\]/);
    expect(() =>
      forwardLifter(
        refOps,
        p,
        { ...inputs, codes: refTensor(coded.codes!.subarray(0, 2 * 6 * 3), [2, 6, 3]) },
        c,
      ),
    ).toThrow(/codes axis 2 must be 4/);
    // Swapping the codes of two points (their 2D kept) changes the answer: the network reads identity.
    const swapped = { ...coded, codes: coded.codes!.slice() };
    swapped.codes.set(coded.codes!.subarray(0, 4), 4);
    swapped.codes.set(coded.codes!.subarray(4, 8), 0);
    expect(maxDiff(forwardTfjs(c, params, swapped), forwardTfjs(c, params, coded))).toBeGreaterThan(1e-3);
    // Zero codes (identity unknown) are a valid input, different from real codes.
    const zeros = { ...coded, codes: new Float32Array(coded.codes!.length) };
    expect(maxDiff(forwardTfjs(c, params, zeros), forwardTfjs(c, params, coded))).toBeGreaterThan(1e-3);
    expect(maxDiff(forwardTfjs(c, params, zeros), forwardRef(c, params, zeros))).toBeLessThan(1e-4);
    // A config without codes ignores a codes input.
    const plain = tinyConfig({ norm: 'pre' });
    const pp = randomParams(plain, 9);
    expect(maxDiff(forwardTfjs(plain, pp, coded), forwardTfjs(plain, pp, base))).toBe(0);
  });

  it.each([
    ['full', {}],
    ['half', { branchWidth: 'half' }],
    ['mirror-pair', { mirrorPairs: true }],
  ] as [string, Partial<LifterConfig>][])(
    '%s branches: bake neither B nor N into an op argument (the ONNX recorder keeps them symbolic)',
    (_, o) => {
      const c = tinyConfig(o);
      const specs = parameterShapes(c);
      const values = initParameters(c);
      const [B, N] = [5, 11]; // distinct from every model size: D = 16, D/2 = 8, heads 4, head width 4, MLP 32, 3, 2
      const forbidden = new Set([B, N, B * N, N * N]);
      let reshapes = 0;
      const spy: Ops<RefTensor> = {
        ...refOps,
        reshape: (x, dims) => {
          reshapes++;
          if (dims.some((d) => forbidden.has(d)))
            throw new Error(`reshape bakes B or N: [${dims.join(', ')}]`);
          return refOps.reshape(x, dims);
        },
        constant: (d, s) => {
          if (s.some((v) => forbidden.has(v))) throw new Error(`constant bakes B or N: [${s.join(', ')}]`);
          return refOps.constant(d, s);
        },
        slice: () => {
          throw new Error('slice is not expected');
        },
        gather: () => {
          throw new Error('gather is not expected');
        },
      };
      const batch = withPairs(randomBatch(5, B, N, [3, 17]), c.mirrorPairs, 6);
      const y = forwardLifter(
        spy,
        createReferenceParams(
          Object.fromEntries(specs.map((s) => [s.name, refTensor(values[s.name]!, s.shape)])) as Record<
            string,
            RefTensor
          >,
        ),
        {
          points: refTensor(batch.points, [B, N, 2]),
          mask: refTensor(batch.mask, [B, N]),
          adj: refTensor(batch.adj, [B, N, N]),
          ...(batch.pairs && { pairs: refTensor(batch.pairs, [B, N, N]) }),
        },
        c,
      );
      expect(y.shape).toEqual([B, N, 3]);
      expect(reshapes).toBeGreaterThan(0);
    },
  );
});

describe("the 'camera' head (cameraHead)", () => {
  const rng = new Rng(31);
  const N = 9;
  /** A random non-planar shape X [N, 3] and its camera-frame copy Q X under a random rotation Q. */
  const scene = () => {
    const X = Float64Array.from({ length: 3 * N }, () => rng.normal());
    const cam = rotatePoints(randomRotation(rng), nd(X, [N, 3])).data;
    return { X, cam };
  };
  const centred = (v: Float64Array, dim: number) => {
    const out = v.slice();
    for (let c = 0; c < dim; c++) {
      let m = 0;
      for (let i = 0; i < N; i++) m += v[dim * i + c]! / N;
      for (let i = 0; i < N; i++) out[dim * i + c]! -= m;
    }
    return out;
  };
  const head = (
    S: Float64Array,
    p: Float64Array,
    trust: number | undefined,
    iterations: number,
    ridge?: number,
  ) =>
    cameraHead(
      refOps,
      refTensor(S, [1, N, 3]),
      refTensor(p, [1, N, 2]),
      refTensor(new Float64Array(N).fill(1), [1, N, 1]),
      trust === undefined ? undefined : refTensor(new Float64Array(N).fill(trust), [1, N, 1]),
      iterations,
      ridge,
    ).data as Float64Array;
  /** Mean joint error of a after the best similarity onto b (det +1), over b's RMS radius: core's nPA-MPJPE. */
  const shapeError = (a: Float64Array, b: Float64Array) =>
    nPaMpjpe({ data: a, shape: [1, N, 3] }, { data: b, shape: [1, N, 3] }).mean;

  it('an orthographic view of S itself: the output is S as that camera sees it, depth sign included (1e-9)', () => {
    for (let trial = 0; trial < 20; trial++) {
      const { X, cam } = scene();
      const k = 0.3 + rng.uniform();
      // Camera-frame shape, scaled: its x, y are the 2D; S is the shape in its own (world) frame, shifted.
      const want = centred(
        cam.map((v) => v * k),
        3,
      );
      const p = Float64Array.from({ length: 2 * N }, (_, m) => want[3 * Math.floor(m / 2) + (m % 2)]!);
      const S = X.map((v, m) => v + [5, -2, 1][m % 3]!);
      for (const [trust, iterations] of [
        [1, 0],
        [1, 1],
        [0, 1],
        [undefined, 2],
      ] as const) {
        const label = `trust ${trust}, ${iterations} it.`;
        expect(maxDiff(head(S, p, trust, iterations, 0), want), label).toBeLessThan(1e-9);
        // The default ridge (ε = 1e-4 of tr SᵀS) biases the affine fit only slightly.
        expect(maxDiff(head(S, p, trust, iterations), want), `${label}, ridge`).toBeLessThan(2e-3);
      }
    }
  });

  it('trust 0 outputs a rigid view of S; trust 1 outputs the observed 2D as x, y', () => {
    const { X, cam } = scene();
    const p = Float64Array.from(
      { length: 2 * N },
      (_, m) => cam[3 * Math.floor(m / 2) + (m % 2)]! + 0.1 * rng.normal(),
    );
    const S = X.map((v) => v + 0.2 * rng.normal());
    expect(shapeError(head(S, p, 0, 1), S)).toBeLessThan(1e-12);
    expect(shapeError(head(S, p, 1, 1), S)).toBeGreaterThan(1e-3);
    const observed = head(S, p, 1, 0);
    const pc = centred(p, 2);
    for (let i = 0; i < N; i++)
      expect(maxDiff(observed.subarray(3 * i, 3 * i + 2), pc.subarray(2 * i, 2 * i + 2))).toBeLessThan(1e-12);
  });

  it('perspective: the POSIT-style correction recovers a pinhole view far better than the orthographic fit', () => {
    let ortho = 0;
    let corrected = 0;
    for (let trial = 0; trial < 10; trial++) {
      const { X, cam } = scene();
      const radius = Math.sqrt(centred(cam, 3).reduce((a, v) => a + v * v, 0) / N);
      const distance = 3 * radius; // a close camera: strong perspective
      const p = new Float64Array(2 * N);
      for (let i = 0; i < N; i++) {
        const z = distance + cam[3 * i + 2]!;
        p[2 * i] = cam[3 * i]! / z;
        p[2 * i + 1] = cam[3 * i + 1]! / z;
      }
      ortho += shapeError(head(X, p, 1, 0), cam);
      corrected += shapeError(head(X, p, 1, 3), cam);
    }
    expect(corrected).toBeLessThan(ortho / 3);
  });

  it('float32 (tfjs): exact and finite for N = 2,000 points and a shape in any units (raw sums overflowed past ~1,650)', () => {
    // With raw sums, det(P Pᵀ) of the affine fit grew as N¹² · scale²⁰: float32 Infinity → NaN output.
    const n = 2000;
    const X = Float64Array.from({ length: 3 * n }, () => rng.normal());
    const want = rotatePoints(randomRotation(rng), nd(X, [n, 3])).data.map((v) => 0.7 * v);
    for (let c = 0; c < 3; c++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += want[3 * i + c]! / n;
      for (let i = 0; i < n; i++) want[3 * i + c]! -= m;
    }
    const p = Float32Array.from({ length: 2 * n }, (_, m) => want[3 * Math.floor(m / 2) + (m % 2)]!);
    for (const units of [1e-3, 1, 1e3]) {
      const S = Float32Array.from(X, (v, m) => units * (v + [5, -2, 1][m % 3]!));
      const got = tf.tidy(
        () =>
          cameraHead(
            tfOps,
            tf.tensor(S, [1, n, 3]),
            tf.tensor(p, [1, n, 2]),
            tf.ones([1, n, 1]),
            undefined,
            2,
            0,
          ).dataSync() as Float32Array,
      );
      expect(got.every(Number.isFinite), `units ${units}`).toBe(true);
      expect(maxDiff(got, want), `units ${units}`).toBeLessThan(1e-3);
    }
  });
});
