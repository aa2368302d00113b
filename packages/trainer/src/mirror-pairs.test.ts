import { join } from 'node:path';
import { writeMirrorPairs } from '@lfm/datasets';
import { exportLifter } from '@lfm/onnx';
import { describe, expect, it } from 'vitest';
import { loadModelCheckpoint } from './checkpoint.js';
import { resolveTrainingConfig } from './config.js';
import { evaluate, type PredictBatch } from './evaluate.js';
import { createGraphPredictor, loadOnnxRuntime } from './graph-engine.js';
import { createModel, type LifterModelConfig, lifterConfigOf } from './models.js';
import { cpuTf, pairedToyDatasets, TINY_LIFTER, toyBatcher, useTempDirs } from './test-support/fixtures.js';
import { createTfjsPredictor } from './tfjs-engine.js';
import { OUTPUT_FILES, trainGraph, trainTfjs } from './train.js';
import { pairsFiller } from './train-inputs.js';

// The mirror-partner input (`model.mirrorPairs`) end to end in the trainer: batches → both engines →
// checkpoint → evaluation (graph, tfjs and the exported ONNX model on onnxruntime-node).

const tf = await cpuTf();
const tmp = useTempDirs('lfm-pairs-');

const tinyLifter = { ...TINY_LIFTER, mirrorPairs: true };
const { paired, unpaired } = pairedToyDatasets(0.1);
/** paired's [J, J] partner matrix, built independently of writeMirrorPairs. */
const pairedMatrix = (() => {
  const P = new Float32Array(49);
  for (const [a, b] of paired.symmetry) {
    P[a * 7 + b] = 1;
    P[b * 7 + a] = 1;
  }
  return P;
})();

describe('mirror pairs in training (model.mirrorPairs)', () => {
  it('a tiny graph-engine run trains the pairs weights; its checkpoint evaluates with the pairs fed (graph, tfjs, ONNX export)', async () => {
    const out = tmp();
    const result = await trainGraph({
      datasets: [paired, unpaired],
      config: {
        model: tinyLifter,
        steps: 6,
        batchSize: 4,
        lr: 3e-3,
        warmupSteps: 2,
        pairsDropout: 0.3,
        augment: { subset: { probability: 0.5 }, mirror: { probability: 0.5 } },
        outDir: out,
        valInterval: 3,
        valSamples: 3,
        logInterval: 1,
        checkpointInterval: 0,
        progress: 'none',
        threads: 1,
      },
    });
    expect(result).toMatchObject({ step: 6, stoppedBy: 'steps', checkpoint: join(out, OUTPUT_FILES.last) });
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(result.val!.mean.nPaMpjpe).toBeGreaterThan(0);
    const ckpt = await loadModelCheckpoint(result.checkpoint!);
    expect(ckpt.model.config).toMatchObject({ kind: 'lifter', mirrorPairs: true });
    expect(ckpt.model.readsPairs).toBe(true);
    const params = ckpt.params as Record<string, Float32Array>;
    const init = ckpt.model.init();
    for (const name of ['pairs.w', 'pairs.b']) {
      expect(params[name]!.length, name).toBe(name === 'pairs.w' ? 3 * 16 : 16);
      expect(Array.from(params[name]!), `${name} was trained`).not.toEqual(Array.from(init[name]!));
    }

    const graph = await createGraphPredictor(ckpt.model, params, { threads: 1 });
    const tfjs = createTfjsPredictor(tf, ckpt.model, params);
    const ort = await loadOnnxRuntime();
    const exported = await ort.InferenceSession.create(
      exportLifter({ config: lifterConfigOf(ckpt.model.config as LifterModelConfig), params }),
    );
    expect(exported.inputNames).toEqual(['points', 'mask', 'adj', 'pairs']);
    const fed: Float32Array[] = [];
    const onnx = async (b: PredictBatch) => {
      const [B, N] = [b.batchSize, b.numPoints];
      fed.push(b.pairs!.slice(0, N * N));
      const y = await exported.run({
        points: new ort.Tensor('float32', b.points2d, [B, N, 2]),
        mask: new ort.Tensor('float32', b.mask, [B, N]),
        adj: new ort.Tensor('float32', b.adj, [B, N, N]),
        pairs: new ort.Tensor('float32', b.pairs!, [B, N, N]),
      });
      return y.points3d!.data as Float32Array;
    };
    try {
      const options = { datasets: [paired], limit: 6 };
      const viaGraph = await evaluate({ ...options, predict: graph });
      const viaTfjs = await evaluate({ ...options, predict: tfjs });
      const viaOnnx = await evaluate({ ...options, predict: onnx });
      const score = viaGraph.mean.nPaMpjpe!;
      expect(Number.isFinite(score)).toBe(true);
      expect(Math.abs(viaTfjs.mean.nPaMpjpe! - score)).toBeLessThan(1e-5 * (1 + score));
      expect(Math.abs(viaOnnx.mean.nPaMpjpe! - score)).toBeLessThan(1e-5 * (1 + score));
      // The exported model was fed the dataset's pairs.
      expect(Array.from(fed[0]!)).toEqual(Array.from(pairedMatrix));
      // Without the pairs (zeros) the model answers otherwise: it reads them.
      const without = await evaluate({ ...options, predict: graph, pairs: false });
      expect(without.mean.nPaMpjpe).not.toBe(score);
    } finally {
      await graph.dispose();
      tfjs.dispose();
      await exported.release();
    }
  });

  it('the tfjs engine trains a mirror-pair model too', async () => {
    const result = await trainTfjs({
      tf,
      datasets: [paired],
      config: { model: tinyLifter, steps: 3, batchSize: 4, valInterval: 0, progress: 'none' },
    });
    expect(result.step).toBe(3);
    expect(Number.isFinite(result.loss)).toBe(true);
    const init = result.model.init();
    expect(Array.from(result.params['pairs.w']!)).not.toEqual(Array.from(init['pairs.w']!));
  });

  it('pairsFiller: the batch’s pairs, each sample zeroed with probability pairsDropout, the same for a batch index', () => {
    const model = createModel(resolveTrainingConfig({ model: tinyLifter }).model);
    const N = 9;
    const make = () =>
      toyBatcher([paired], N, 5, { pairs: true, augment: { subset: { probability: 0.5, minPoints: 4 } } });
    const kept = pairsFiller(model, 64, N, resolveTrainingConfig({ pairsDropout: 0, seed: 5 }));
    const dropping = pairsFiller(model, 64, N, resolveTrainingConfig({ pairsDropout: 0.4, seed: 5 }));
    const [a, b] = [make(), make()];
    let dropped = 0;
    let total = 0;
    for (let k = 0; k < 4; k++) {
      const x = a.next();
      const want = new Float32Array(N * N);
      const full = Float32Array.from(kept(x)!);
      const again = Float32Array.from(dropping(b.next())!);
      for (let s = 0; s < 64; s++, total++) {
        // Dropout 0: every sample's own partners (a subset keeps only the pairs of kept joints).
        writeMirrorPairs(want, x.info.jointIndex.subarray(s * N, (s + 1) * N), [0, 2, 1, 4, 3, 5, 6]);
        expect(Array.from(full.subarray(s * N * N, (s + 1) * N * N))).toEqual(Array.from(want));
        const row = again.subarray(s * N * N, (s + 1) * N * N);
        if (want.some((v) => v === 1) && row.every((v) => v === 0)) dropped++;
        else expect(Array.from(row)).toEqual(Array.from(want));
      }
    }
    // ~256 · 0.4 ≈ 100 (fewer: a sample whose subset kept no pair cannot be told apart).
    expect(dropped).toBeGreaterThan(60);
    expect(dropped).toBeLessThan(130);
    expect(total).toBe(256);
    // A model without mirrorPairs gets none.
    const plain = createModel(resolveTrainingConfig({ model: { ...tinyLifter, mirrorPairs: false } }).model);
    expect(pairsFiller(plain, 64, N, resolveTrainingConfig({}))(make().next())).toBeUndefined();
  });

  it('evaluation feeds the dataset’s pairs under every identity mode (pairs are not identity); none without symmetry', async () => {
    const seen: Record<string, Float32Array[]> = {};
    const spy = (label: string) => (b: PredictBatch) => {
      (seen[label] ??= []).push(b.pairs!.slice());
      // The flat guess: each point at its 2D, depth 0.
      return Float32Array.from({ length: b.batchSize * b.numPoints * 3 }, (_, i) =>
        i % 3 === 2 ? 0 : b.points2d[2 * Math.floor(i / 3) + (i % 3)]!,
      );
    };
    for (const identity of ['codes', 'sides', 'none'] as const) {
      await evaluate({
        predict: spy(identity),
        datasets: [paired, unpaired],
        limit: 3,
        identity,
        jointCodes: { k: 4, rigs: ['toy-paired'] },
      });
      const [p, u] = seen[identity]!;
      for (let b = 0; b < 3; b++) {
        expect(Array.from(p!.subarray(49 * b, 49 * (b + 1))), identity).toEqual(Array.from(pairedMatrix));
      }
      expect(u!.every((v) => v === 0)).toBe(true);
    }
    await evaluate({ predict: spy('off'), datasets: [paired], limit: 3, pairs: false });
    expect(seen.off![0]!.every((v) => v === 0)).toBe(true);
  });
});
