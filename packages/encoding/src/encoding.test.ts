import { LfmError, paramsFromRecord, Rng, ShapeError } from '@lfm/core';
import { createReferenceOps, createReferenceParams, type RefTensor, refTensor } from '@lfm/core/testing';
import { createTfjsOps, createTfjsParams } from '@lfm/core/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  encodeMlp,
  encodeTokens,
  encodeTpe,
  encodingParameterSpecs,
  initParameterRecord,
  initParameterValue,
  linearSpecs,
  mlpEncodingParameterSpecs,
  type ParameterSpec,
  prefixSpecs,
  tpeParameterSpecs,
} from './index.js';

const ref = createReferenceOps();
const tfo = createTfjsOps(tf);

beforeAll(async () => {
  tf.enableProdMode(); // tfjs's documented switch: no "install tfjs-node" banner on the first write
  expect(await tf.setBackend('cpu')).toBe(true);
});

function refParams(specs: readonly ParameterSpec[], values: Record<string, Float32Array>) {
  const record: Record<string, RefTensor> = {};
  for (const s of specs) record[s.name] = refTensor(values[s.name]!, s.shape);
  return createReferenceParams(record);
}

function randomPoints(rng: Rng, B: number, N: number): Float32Array {
  return Float32Array.from({ length: B * N * 2 }, () => rng.range(-1, 1));
}

describe('parameter specs and seeded initialisation', () => {
  it('values depend only on (seed, name): same → identical, other seed or name → different', () => {
    const spec: ParameterSpec = {
      name: 'a.w',
      shape: [8, 4],
      trainable: true,
      init: { kind: 'xavierUniform' },
    };
    const a = initParameterValue(spec, 3);
    expect(initParameterValue(spec, 3)).toEqual(a);
    expect(initParameterValue(spec, 4)).not.toEqual(a);
    expect(initParameterValue({ ...spec, name: 'b.w' }, 3)).not.toEqual(a);
    // Unaffected by other parameters: a record of several specs gives the same value for 'a.w'.
    const rec = initParameterRecord([...linearSpecs('z', 3, 3), spec], 3);
    expect(rec['a.w']).toEqual(a);
    expect(Object.keys(rec)).toEqual(['z.w', 'z.b', 'a.w']);
  });

  it('Xavier uniform within ±√(6/(in+out)); He normal std √(2/in); zeros, ones, normal(std)', () => {
    const xav = initParameterValue(
      { name: 'x', shape: [200, 100], trainable: true, init: { kind: 'xavierUniform' } },
      1,
    );
    const limit = Math.sqrt(6 / 300);
    expect(Math.max(...xav.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...xav.map(Math.abs))).toBeGreaterThan(0.99 * limit);
    const he = initParameterValue(
      { name: 'h', shape: [200, 100], trainable: true, init: { kind: 'heNormal' } },
      1,
    );
    const std = Math.sqrt(he.reduce((s, v) => s + v * v, 0) / he.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / 200), 2);
    const nrm = initParameterValue(
      { name: 'n', shape: [20000], trainable: false, init: { kind: 'normal', std: 3 } },
      1,
    );
    expect(Math.sqrt(nrm.reduce((s, v) => s + v * v, 0) / nrm.length)).toBeCloseTo(3, 1);
    expect(
      initParameterValue({ name: 'z', shape: [3], trainable: true, init: { kind: 'zeros' } }, 1),
    ).toEqual(new Float32Array(3));
    expect(
      Array.from(initParameterValue({ name: 'o', shape: [2], trainable: true, init: { kind: 'ones' } }, 1)),
    ).toEqual([1, 1]);
    expect(() =>
      initParameterValue({ name: 'v', shape: [5], trainable: true, init: { kind: 'heNormal' } }, 1),
    ).toThrow(/'v'.*2-D/);
  });

  it('prefixSpecs and linearSpecs name parameters as dotted paths', () => {
    expect(prefixSpecs('enc', linearSpecs('fc1', 2, 4)).map((s) => [s.name, s.shape])).toEqual([
      ['enc.fc1.w', [2, 4]],
      ['enc.fc1.b', [4]],
    ]);
  });
});

describe('TPE: fixed random Fourier features', () => {
  it('specs: omega [2, D/2] and phase [D/2], not trainable; bad D or sigma → E_CONFIG', () => {
    const specs = tpeParameterSpecs(16, 2);
    expect(specs.map((s) => [s.name, s.shape, s.trainable])).toEqual([
      ['omega', [2, 8], false],
      ['phase', [8], false],
    ]);
    expect(() => tpeParameterSpecs(15, 1)).toThrow(/even/);
    expect(() => tpeParameterSpecs(16, 0)).toThrow(LfmError);
    expect(() => tpeParameterSpecs(16, Number.NaN)).toThrow(/sigma/);
  });

  it('omega ~ N(0, σ²), phase ~ N(0, 1) (seeded)', () => {
    const sigma = 2.5;
    const v = initParameterRecord(tpeParameterSpecs(8192, sigma), 11);
    const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
    expect(rms(v.omega!) / sigma).toBeCloseTo(1, 1);
    expect(rms(v.phase!)).toBeCloseTo(1, 1);
    expect(initParameterRecord(tpeParameterSpecs(8192, sigma), 11).omega).toEqual(v.omega);
  });

  it('known answer: √(2/D)·[sin(wω + b), cos(wω + b)] per point; every token has unit norm', () => {
    const D = 8;
    const specs = tpeParameterSpecs(D, 1.5);
    const values = initParameterRecord(specs, 5);
    const rng = new Rng(1);
    const B = 2;
    const N = 3;
    const pts = randomPoints(rng, B, N);
    const y = encodeTpe(ref, refParams(specs, values), refTensor(pts, [B, N, 2]), D);
    expect(y.shape).toEqual([B, N, D]);
    const om = values.omega!;
    const ph = values.phase!;
    for (let p = 0; p < B * N; p++) {
      let norm2 = 0;
      for (let k = 0; k < D / 2; k++) {
        const z = pts[2 * p]! * om[k]! + pts[2 * p + 1]! * om[D / 2 + k]! + ph[k]!;
        expect(y.data[p * D + k]).toBeCloseTo(Math.sqrt(2 / D) * Math.sin(z), 12);
        expect(y.data[p * D + D / 2 + k]).toBeCloseTo(Math.sqrt(2 / D) * Math.cos(z), 12);
      }
      for (let c = 0; c < D; c++) norm2 += y.data[p * D + c]! ** 2;
      expect(norm2).toBeCloseTo(1, 12);
    }
  });

  it('approximates the Gaussian kernel exp(−σ²‖x − y‖²/2): σ really is the bandwidth', () => {
    const D = 4096;
    for (const sigma of [1, 4]) {
      const specs = tpeParameterSpecs(D, sigma);
      const values = initParameterRecord(specs, 2);
      const pts = Float32Array.from([0.1, -0.2, 0.3, -0.1, -0.5, 0.4, 0.12, -0.22]);
      const y = encodeTpe(ref, refParams(specs, values), refTensor(pts, [1, 4, 2]), D).data;
      const dot = (i: number, j: number) => {
        let s = 0;
        for (let c = 0; c < D; c++) s += y[i * D + c]! * y[j * D + c]!;
        return s;
      };
      for (const [i, j] of [
        [0, 1],
        [0, 2],
        [0, 3],
        [1, 2],
      ] as const) {
        const d2 = (pts[2 * i]! - pts[2 * j]!) ** 2 + (pts[2 * i + 1]! - pts[2 * j + 1]!) ** 2;
        expect(
          Math.abs(dot(i, j) - Math.exp((-sigma * sigma * d2) / 2)),
          `σ=${sigma} (${i},${j})`,
        ).toBeLessThan(0.05);
      }
    }
  });

  it('tfjs and the Float64 reference agree; rejects points that are not [B, N, 2]', () => {
    const specs = tpeParameterSpecs(16, 3);
    const values = initParameterRecord(specs, 9);
    const pts = randomPoints(new Rng(2), 2, 5);
    const want = encodeTpe(ref, refParams(specs, values), refTensor(pts, [2, 5, 2]), 16).data;
    const got = tf.tidy(() => {
      const p = createTfjsParams(
        Object.fromEntries(specs.map((s) => [s.name, tf.tensor(values[s.name]!, [...s.shape])])),
      );
      return encodeTpe(tfo, p, tf.tensor(pts, [2, 5, 2]), 16).dataSync();
    });
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(want[i]!, 5);
    });
    expect(() =>
      encodeTpe(ref, refParams(specs, values), refTensor(new Float32Array(15), [1, 5, 3]), 16),
    ).toThrow(ShapeError);
  });
});

describe('learnable MLP encoding (ablation)', () => {
  it('specs: fc1 [2, D] (He), fc2 [D, D] (Xavier), trainable; encodeTokens dispatches on kind', () => {
    const specs = mlpEncodingParameterSpecs(6);
    expect(specs.map((s) => [s.name, s.shape, s.trainable, s.init.kind])).toEqual([
      ['fc1.w', [2, 6], true, 'heNormal'],
      ['fc1.b', [6], true, 'zeros'],
      ['fc2.w', [6, 6], true, 'xavierUniform'],
      ['fc2.b', [6], true, 'zeros'],
    ]);
    expect(encodingParameterSpecs({ kind: 'mlp', dModel: 6, sigma: 1 })).toEqual(specs);
    expect(encodingParameterSpecs({ kind: 'tpe', dModel: 6, sigma: 1 }).map((s) => s.name)).toEqual([
      'omega',
      'phase',
    ]);
  });

  it('known answer: Linear → GELU → Linear per point', () => {
    const D = 4;
    const specs = mlpEncodingParameterSpecs(D);
    const rng = new Rng(3);
    const values = Object.fromEntries(
      specs.map((s) => [
        s.name,
        Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
      ]),
    );
    const pts = randomPoints(rng, 1, 2);
    const y = encodeTokens(ref, refParams(specs, values), refTensor(pts, [1, 2, 2]), {
      kind: 'mlp',
      dModel: D,
      sigma: 1,
    });
    const gelu = (x: number) => {
      // Φ via the reference engine's erf (exactness is checked in core).
      const e = ref.erf(refTensor([x / Math.SQRT2], [1])).data[0]!;
      return 0.5 * x * (1 + e);
    };
    for (let p = 0; p < 2; p++) {
      const h = Array.from({ length: D }, (_, j) =>
        gelu(
          pts[2 * p]! * values['fc1.w']![j]! +
            pts[2 * p + 1]! * values['fc1.w']![D + j]! +
            values['fc1.b']![j]!,
        ),
      );
      for (let c = 0; c < D; c++) {
        const want = h.reduce((s, hj, j) => s + hj * values['fc2.w']![j * D + c]!, values['fc2.b']![c]!);
        expect(y.data[p * D + c]).toBeCloseTo(want, 12);
      }
    }
    expect(() => mlpEncodingParameterSpecs(0)).toThrow(LfmError);
  });

  it('tfjs autodiff gradients of the MLP encoding match Float64 central differences', () => {
    const D = 6;
    const specs = mlpEncodingParameterSpecs(D);
    const values = initParameterRecord(specs, 4);
    values['fc1.b'] = Float32Array.from(values['fc1.b']!, (_, i) => 0.1 * (i - 2));
    const rng = new Rng(8);
    const pts = randomPoints(rng, 2, 3);
    const w = Float32Array.from({ length: 2 * 3 * D }, () => rng.normal());
    const grads = tf.tidy(() => {
      const vars = specs.map((s) =>
        tf.variable(tf.tensor(values[s.name]!, [...s.shape]), true, `mlpenc.${s.name}`),
      );
      const p = createTfjsParams(Object.fromEntries(specs.map((s, i) => [s.name, vars[i]!])));
      const { grads } = tf.variableGrads(
        () =>
          tf.sum(
            tf.mul(encodeMlp(tfo, p, tf.tensor(pts, [2, 3, 2]), D), tf.tensor(w, [2, 3, D])),
          ) as tf.Scalar,
      );
      const out = Object.fromEntries(specs.map((s) => [s.name, grads[`mlpenc.${s.name}`]!.dataSync()]));
      for (const v of vars) v.dispose();
      return out;
    });
    const loss = (vals: Record<string, Float64Array>) => {
      const p = paramsFromRecord(
        Object.fromEntries(specs.map((s) => [s.name, { data: vals[s.name]!, shape: [...s.shape] }])),
        (t: RefTensor) => t.shape,
      );
      const y = encodeMlp(ref, p, refTensor(pts, [2, 3, 2]), D).data;
      return y.reduce((s, v, i) => s + v * w[i]!, 0);
    };
    const v64 = Object.fromEntries(specs.map((s) => [s.name, Float64Array.from(values[s.name]!)]));
    for (const s of specs) {
      const x = v64[s.name]!;
      const g = grads[s.name]!;
      for (let i = 0; i < x.length; i++) {
        const x0 = x[i]!;
        x[i] = x0 + 1e-6;
        const up = loss(v64);
        x[i] = x0 - 1e-6;
        const down = loss(v64);
        x[i] = x0;
        const fd = (up - down) / 2e-6;
        expect(Math.abs(g[i]! - fd), `${s.name}[${i}]`).toBeLessThan(1e-4 * (1 + Math.abs(fd)));
      }
    }
  });
});
