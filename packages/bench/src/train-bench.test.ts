import { buildModelGraphs, createModel, type LifterModelConfig, resolveModelConfig } from '@lfm/trainer';
import { describe, expect, it } from 'vitest';
import { type BenchTrainingResult, benchTraining, formatBench, trainingMatMulFlops } from './train-bench.js';

/** A stream that keeps what is written. */
function captureStream() {
  const parts: string[] = [];
  return { write: (s: string) => parts.push(s), text: () => parts.join('') };
}

describe('trainingMatMulFlops', () => {
  it('counts exactly the MatMul/Gemm FLOPs of the traced training graph', () => {
    for (const overrides of [
      {},
      { encoding: 'mlp', attention: 'global', norm: 'pre' },
      { attention: 'local', layers: 3, mlpRatio: 3 },
    ]) {
      const config = resolveModelConfig({ dModel: 16, layers: 2, heads: 2, mlpRatio: 2, ...overrides });
      const model = createModel(config);
      // The plain-MSE graph: no Procrustes solve, so every product is the model's. Traced at B = 2, N = 5.
      const { graph } = buildModelGraphs(model, model.init(), 'mse');
      let flops = 0;
      for (const n of graph.nodes) {
        const out = n.outputs[0]!.shape.reduce((a, b) => a * b, 1);
        const [a] = n.inputs;
        if (n.opType === 'MatMul') flops += 2 * out * a!.shape[a!.rank - 1]!;
        if (n.opType === 'Gemm') {
          const t = n.attributes.transA;
          flops += 2 * out * a!.shape[t?.type === 'int' && t.value === 1 ? 0 : 1]!;
        }
      }
      expect(trainingMatMulFlops(config as LifterModelConfig, 2, 5), JSON.stringify(overrides)).toBe(flops);
    }
  });

  const small = (o: Record<string, unknown> = {}) =>
    resolveModelConfig({ dModel: 16, layers: 2, heads: 2, mlpRatio: 2, ...o }) as LifterModelConfig;

  it('grows linearly with the batch and quadratically (attention) with the points', () => {
    for (const c of [small(), small({ attention: 'global', encoding: 'mlp' })]) {
      const f = (B: number, N: number) => trainingMatMulFlops(c, B, N);
      expect(f(6, 10)).toBe(2 * f(3, 10));
      // f(N) = a·N + b·N² (per-token layers, then QKᵀ and PV): the excess over linear scales as N².
      const excess2 = f(3, 20) - 2 * f(3, 10);
      expect(excess2).toBeGreaterThan(0);
      expect(f(3, 30) - 3 * f(3, 10)).toBe(3 * excess2);
    }
  });

  it('adds the same cost per layer after the first, and more with both attention branches', () => {
    const per = (o: Record<string, unknown>) => {
      const f = (layers: number) => trainingMatMulFlops(small({ ...o, layers }), 4, 12);
      expect(f(3) - f(2)).toBe(f(2) - f(1));
      return f(2) - f(1);
    };
    // Layer 0 after the fixed TPE has no input gradient for its projections; later layers do.
    expect(per({})).toBeGreaterThan(0);
    expect(per({ attention: 'hybrid' })).toBeGreaterThan(per({ attention: 'global' }));
    expect(per({ mlpRatio: 4 })).toBeGreaterThan(per({ mlpRatio: 2 }));
  });

  it('rejects a batch or point count that is not a positive integer', () => {
    for (const [B, N] of [
      [0, 5],
      [2, 0],
      [1.5, 5],
      [2, Number.NaN],
    ] as const) {
      expect(() => trainingMatMulFlops(small(), B, N)).toThrow(/must be a positive integer/);
    }
  });
});

describe('benchTraining', () => {
  it('times real training steps and reports samples/s and the fraction of the MatMul peak (text and JSON)', async () => {
    const config = { model: { dModel: 16, layers: 1, heads: 2, mlpRatio: 2 }, batchSize: 8, maxPoints: 8 };
    const out = captureStream();
    const r = await benchTraining({
      config,
      steps: 2,
      warmup: 1,
      threads: 1,
      data: [],
      json: true,
      output: out,
    });
    expect(JSON.parse(out.text())).toEqual(JSON.parse(JSON.stringify(r)));
    expect(r).toMatchObject({
      engine: 'graph-onnxruntime',
      config: 'custom',
      batchSize: 8,
      maxPoints: 8,
      threads: 1,
    });
    expect(r.data).toBe('synthetic');
    expect(r.samplesPerSec).toBeCloseTo((8 * 1000) / r.msPerStep.median, 6);
    expect(r.peakFraction).toBeCloseTo(r.gflopsPerSec / r.matmulPeak.gflopsPerSec, 9);
    expect(r.matmulPeak.gflopsPerSec).toBeGreaterThan(1);
    const text = captureStream();
    await benchTraining({ config, steps: 1, warmup: 0, threads: 1, data: [], output: text });
    expect(text.text()).toMatch(/engine graph-onnxruntime \(1 thread\): [\d.]+ samples\/s/);
    expect(text.text()).toMatch(/% of onnxruntime's MatMul peak/);
    await expect(benchTraining({ config: 'd1024-l99', output: null })).rejects.toThrow(
      /unknown bench config/,
    );
  });
});

describe('benchTraining: workers', () => {
  it('measures W data-parallel 1-thread workers against the W-thread MatMul peak', async () => {
    const config = { model: { dModel: 16, layers: 1, heads: 2, mlpRatio: 2 }, batchSize: 8, maxPoints: 8 };
    const r = await benchTraining({ config, steps: 1, warmup: 0, workers: 2, data: [], output: null });
    expect(r).toMatchObject({ workers: 2, threads: 1, matmulPeak: { threads: 2 } });
    const one = await benchTraining({ config, steps: 1, warmup: 0, threads: 1, data: [], output: null });
    expect(one.matmulPeak.threads).toBe(1);
  });

  it('takes workers (validated before any work) and names them in the text', async () => {
    await expect(benchTraining({ workers: 0, output: null })).rejects.toThrow(
      /workers must be an integer ≥ 1/,
    );
    const r = {
      engine: 'graph-onnxruntime',
      config: 'd128-l4',
      model: { dModel: 128, layers: 4, heads: 4, mlpRatio: 4, attention: 'hybrid', params: 1e6 },
      batchSize: 64,
      maxPoints: 48,
      threads: 1,
      workers: 2,
      steps: 1,
      warmup: 0,
      msPerStep: { median: 1, min: 1, max: 1 },
      engineMsPerStep: 1,
      samplesPerSec: 1,
      gflopPerStep: 1,
      gflopsPerSec: 1,
      matmulPeak: { size: 1024, threads: 1, gflopsPerSec: 1 },
      peakFraction: 1,
      enginePeakFraction: 1,
      data: 'synthetic',
      loadAverage: [0, 0, 0],
      cpus: 2,
    } satisfies BenchTrainingResult;
    expect(formatBench(r)).toMatch(/engine graph-onnxruntime \(2 workers × 1 thread\): /);
    expect(formatBench({ ...r, workers: 1 })).toMatch(/engine graph-onnxruntime \(1 thread\): /);
  });
});
