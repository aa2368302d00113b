import type { ParameterSpec } from '@lfm/encoding';
import { describe, expect, it } from 'vitest';
import { Adam, clipScale, globalNorm, learningRateAt } from './optim.js';

const specs: ParameterSpec[] = [
  { name: 'w', shape: [2, 2], trainable: true, init: { kind: 'zeros' } },
  { name: 'fixed', shape: [3], trainable: false, init: { kind: 'zeros' } },
];

describe('Adam', () => {
  it('takes the known first steps (bias-corrected: the first update is lr·g/(|g|+ε))', () => {
    const adam = new Adam(specs);
    const params = { w: Float32Array.of(1, 2, 3, 4), fixed: Float32Array.of(7, 7, 7) };
    adam.update(params, { w: Float32Array.of(0.5, -2, 1e-3, 0) }, 0.1);
    const want = [0.9, 2.1, 3 - (0.1 * 1e-3) / (1e-3 + 1e-8), 4];
    for (const [i, w] of want.entries()) expect(params.w[i]).toBeCloseTo(w, 6);
    expect(Array.from(params.fixed)).toEqual([7, 7, 7]);
    expect(adam.step).toBe(1);
  });

  it('matches a reference implementation over several steps, and resumes exactly from its state', () => {
    const grads = [
      Float32Array.of(1, -1, 0.5, 2),
      Float32Array.of(0.2, 0.3, -0.7, 1),
      Float32Array.of(-1, 0, 1, 0.1),
    ];
    const ref = Float64Array.of(1, 2, 3, 4);
    const m = new Float64Array(4);
    const v = new Float64Array(4);
    grads.forEach((g, t) => {
      for (let i = 0; i < 4; i++) {
        m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
        v[i] = 0.999 * v[i]! + 0.001 * g[i]! ** 2;
        ref[i] =
          ref[i]! -
          (0.01 * (m[i]! / (1 - 0.9 ** (t + 1)))) / (Math.sqrt(v[i]! / (1 - 0.999 ** (t + 1))) + 1e-8);
      }
    });
    const a = new Adam(specs);
    const pa = { w: Float32Array.of(1, 2, 3, 4) };
    a.update(pa, { w: grads[0]! }, 0.01);
    const resumed = new Adam(specs, {}, a.state());
    const pb = { w: pa.w.slice() };
    for (const g of grads.slice(1)) {
      a.update(pa, { w: g }, 0.01);
      resumed.update(pb, { w: g }, 0.01);
    }
    for (let i = 0; i < 4; i++) expect(pa.w[i]).toBeCloseTo(ref[i]!, 6);
    expect(Array.from(pb.w)).toEqual(Array.from(pa.w));
    expect(resumed.state()).toEqual(a.state());
    expect(a.state()).toMatchObject({
      kind: 'adam',
      step: 3,
      hyper: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    });
    expect(Object.keys(a.state().m)).toEqual(['w']); // fixed buffers have no moments
  });

  it('refuses optimizer state whose moments do not fit the parameters', () => {
    const state = {
      kind: 'adam' as const,
      step: 1,
      m: { w: new Float32Array(3) },
      v: { w: new Float32Array(4) },
    };
    expect(() => new Adam(specs, {}, state)).toThrow(/moment m of 'w' is of size 3, expected 4/);
  });
});

describe('gradient clipping and the learning-rate schedule', () => {
  it('clips by global norm', () => {
    const g = { a: Float32Array.of(3), b: Float32Array.of(4) };
    expect(globalNorm(g)).toBe(5);
    expect(clipScale(5, 1)).toBeCloseTo(0.2, 12);
    expect(clipScale(5, 10)).toBe(1);
    expect(clipScale(5, 0)).toBe(1);
  });

  it('warms up linearly, then decays (cosine / linear) to minLr at totalSteps', () => {
    const s = { lr: 1, warmupSteps: 10, totalSteps: 110, minLr: 0.1, schedule: 'cosine' as const };
    expect(learningRateAt(0, s)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(9, s)).toBe(1);
    expect(learningRateAt(10, s)).toBe(1);
    expect(learningRateAt(60, s)).toBeCloseTo(0.55, 12);
    expect(learningRateAt(110, s)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(500, s)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(35, { ...s, schedule: 'linear' })).toBeCloseTo(1 - 0.9 * 0.25, 12);
    expect(learningRateAt(80, { ...s, schedule: 'constant' })).toBe(1);
  });
});
