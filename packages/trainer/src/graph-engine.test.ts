import { nd, Rng } from '@lfm/core';
import {
  createReferenceOps,
  createReferenceParams,
  finiteDifferenceErrors,
  gradientError,
  maxAbs,
  refTensor,
} from '@lfm/core/testing';
import { createBatcher } from '@lfm/datasets';
import { alignSimilarity } from '@lfm/procrustes';
import { afterAll, describe, expect, it } from 'vitest';
import type { StepBatch } from './engine.js';
import { createGraphEngine } from './graph-engine.js';
import { createModel, resolveModelConfig, type TrainableModel } from './models.js';
import { cpuTf, randomModelParams, toyDataset } from './test-support/fixtures.js';
import { createTfjsEngine } from './tfjs-engine.js';
import { stepBatch } from './train-inputs.js';

// Gradient parity of the FULL training loss (Procrustes-aligned masked MSE, alignment re-solved at
// every point), three ways: the graph engine (ONNX training graph on onnxruntime, float32, alignment
// solved in the graph) vs the tfjs engine (autodiff on cpu, float32, alignment solved in JS) vs central
// finite differences of a Float64 reference (the model on core's reference engine, `alignSimilarity`).
// Batches come from the real batcher: masks (missing joints, occlusion, padding), bone graphs and kNN
// graphs (a rig without bones), subsets of a rig larger than N.

const tf = await cpuTf();

const TOL = 1e-4;
const refOps = createReferenceOps();
const measured: Record<string, number> = {};
const note = (k: string, e: number) => {
  measured[k] = Math.max(measured[k] ?? 0, e);
};
afterAll(() => {
  for (const [k, e] of Object.entries(measured))
    console.log(`${k}: max relative error ${e.toExponential(2)}`);
});

const randomParams = randomModelParams;

function batches(model: TrainableModel, count: number): StepBatch[] {
  // Mirror pairs (read only by a model with mirrorPairs; they change no batch of the others).
  const sources = [
    {
      dataset: {
        ...toyDataset({ name: 'bones', J: 6, missing: 0.3, jitter: 0.3, seed: 1 }),
        symmetry: [[0, 1] as const, [2, 4] as const],
      },
    },
    {
      dataset: {
        ...toyDataset({ name: 'knn', category: 'other', J: 9, edges: [], jitter: 0.3, seed: 2 }),
        symmetry: [[0, 8] as const, [3, 5] as const, [1, 2] as const],
      },
    },
  ];
  const J = model.numJoints;
  const batcher = createBatcher({
    sources: J === undefined ? sources : sources.slice(0, 1),
    batchSize: 4,
    maxPoints: J ?? 7, // 'knn' (J = 9) is subsampled, 'bones' (J = 6) padded
    seed: 5,
    augment: { occlusion: { probability: 0.5, maxFraction: 0.3 } },
    pairs: model.readsPairs,
  });
  return Array.from({ length: count }, () => {
    const next = batcher.next();
    const b = stepBatch(next, model);
    return {
      ...b,
      points2d: b.points2d.slice(),
      mask: b.mask.slice(),
      adj: b.adj?.slice(),
      target3d: b.target3d.slice(),
      ...(model.readsPairs && { pairs: next.pairs!.slice() }),
    };
  });
}

/** The model's prediction [B, N, 3] in Float64: its forward on the reference engine. */
function referencePrediction(
  model: TrainableModel,
  params: Record<string, Float64Array | Float32Array>,
  b: StepBatch,
) {
  const p = createReferenceParams(
    Object.fromEntries(model.specs.map((s) => [s.name, refTensor(params[s.name]!, s.shape)])),
  );
  return model.forward(refOps, p, {
    points: refTensor(b.points2d, [b.B, b.N, 2]),
    mask: refTensor(b.mask, [b.B, b.N]),
    ...(b.adj && { adj: refTensor(b.adj, [b.B, b.N, b.N]) }),
    ...(b.pairs && { pairs: refTensor(b.pairs, [b.B, b.N, b.N]) }),
  }).data;
}

/** The training loss in Float64: the model on the reference engine, then mean over samples of the aligned MSE. */
function referenceLoss(
  model: TrainableModel,
  params: Record<string, Float64Array | Float32Array>,
  b: StepBatch,
) {
  const pred = referencePrediction(model, params, b);
  const a = alignSimilarity(nd(pred, [b.B, b.N, 3]), nd(b.target3d, [b.B, b.N, 3]), {
    weights: nd(b.mask, [b.B, b.N]),
  });
  let sum = 0;
  for (let k = 0; k < b.B; k++) sum += a.rmsd.data[k]! ** 2;
  return sum / b.B;
}

const relErr = gradientError;

async function checkParity(label: string, modelConfig: Record<string, unknown>, fdPerTensor: number) {
  const model = createModel(resolveModelConfig(modelConfig));
  const params = randomParams(model, 7);
  const graph = await createGraphEngine(model, params, 'procrustes', { threads: 1 });
  const tfjs = createTfjsEngine(tf, model, params, 'procrustes');
  try {
    const [first, second] = batches(model, 2);
    for (const [k, b] of [first!, second!].entries()) {
      const g = await graph.lossAndGradients(b);
      const t = await tfjs.lossAndGradients(b);
      expect(t.fallback, `${label}: no degenerate alignment`).toBe(0);
      const lossRef = referenceLoss(model, params, b);
      expect(Math.abs(g.loss - lossRef) / lossRef, `${label}: loss vs Float64`).toBeLessThan(1e-5);
      expect(Math.abs(t.loss - lossRef) / lossRef, `${label}: tfjs loss vs Float64`).toBeLessThan(1e-5);
      const floor = 1e-3 * Math.max(...Object.values(t.grads).map(maxAbs));
      const rng = new Rng(k + 1);
      for (const spec of model.specs.filter((s) => s.trainable)) {
        const name = spec.name;
        const got = g.grads[name]!;
        if (name === 'decoder.fc2.b') {
          // The lifter's output bias translates every point alike, and the loss is centred: its gradient
          // is exactly 0, both engines give float32 noise — held to 1e-6 of the model's gradient scale.
          expect(maxAbs(got), `${label}: ${name} (zero in theory)`).toBeLessThan(1e-3 * floor);
          expect(maxAbs(t.grads[name]!), `${label}: tfjs ${name}`).toBeLessThan(1e-3 * floor);
          continue;
        }
        const eTf = relErr(got, t.grads[name]!, floor);
        note(`${label}: graph vs tfjs`, eTf);
        expect(eTf, `${label} batch ${k}: grad ${name} vs tfjs`).toBeLessThanOrEqual(TOL);
        if (k > 0) continue; // finite differences on the first batch only (Float64 forward passes are slow)
        const [worst, worstTf] = finiteDifferenceErrors(
          (p) => referenceLoss(model, { ...params, [name]: p }, b),
          params[name]!,
          [got, t.grads[name]!],
          rng,
          fdPerTensor,
          floor,
        ) as [number, number];
        note(`${label}: graph vs Float64 FD`, worst);
        note(`${label}: tfjs vs Float64 FD`, worstTf);
        expect(worst, `${label}: grad ${name} vs finite differences`).toBeLessThanOrEqual(TOL);
      }
    }
  } finally {
    await graph.dispose();
    await tfjs.dispose();
  }
}

const tiny = { dModel: 8, layers: 1, heads: 2, mlpRatio: 2, tpeSigma: 1, seed: 3 };

describe('gradient parity of the training loss: graph engine vs tfjs autodiff vs Float64 finite differences', () => {
  it('lifter: TPE encoding, hybrid attention (bone and kNN graphs), paper norm', async () => {
    await checkParity('tpe/hybrid/paper', { ...tiny }, 6);
  });

  it('lifter: TPE encoding, hybrid attention with half-width branches, pre-norm', async () => {
    // D = 8, 2 heads → each branch 4 wide with 1 head, proj [8, 8].
    await checkParity('tpe/hybrid-half/pre', { ...tiny, branchWidth: 'half', norm: 'pre' }, 6);
  });

  it('lifter: MLP encoding, global attention, pre-norm', async () => {
    await checkParity('mlp/global/pre', { ...tiny, encoding: 'mlp', attention: 'global', norm: 'pre' }, 6);
  });

  it('lifter: TPE encoding, local attention, pre-norm, two layers', async () => {
    await checkParity('tpe/local/pre', { ...tiny, attention: 'local', norm: 'pre', layers: 2 }, 4);
  });

  it('lifter: TPE encoding, hybrid attention, pre-norm, random-walk structural encoding', async () => {
    await checkParity('tpe/hybrid/pre/structural', { ...tiny, norm: 'pre', structural: 4 }, 4);
  });

  it('lifter: TPE encoding, hybrid attention, pre-norm, mirror-partner input (pairs.w, pairs.b)', async () => {
    const config = { ...tiny, norm: 'pre', mirrorPairs: true };
    // The batches carry partners between present joints, or the pairs parameters would get no gradient.
    const [b] = batches(createModel(resolveModelConfig(config)), 1);
    let present = 0;
    for (let k = 0; k < b!.pairs!.length; k++) {
      const i = Math.floor(k / b!.N);
      const j = Math.floor(i / b!.N) * b!.N + (k % b!.N);
      if (b!.pairs![k] === 1 && b!.mask[i] === 1 && b!.mask[j] === 1) present++;
    }
    expect(present).toBeGreaterThan(2);
    await checkParity('tpe/hybrid/pre/pairs', config, 4);
  });

  it('the per-rig MLP baseline', async () => {
    await checkParity('mlp baseline', { kind: 'mlp', numJoints: 6, hidden: 8, blocks: 1, seed: 2 }, 6);
  });
});

describe('the mirror-invariant loss (samples without joint identity)', () => {
  /** Per-sample Float64 rmsd² of a prediction against the batch's target, over visible joints. */
  const rmsd2 = (pred: ArrayLike<number>, b: StepBatch) => {
    const a = alignSimilarity(nd(Float64Array.from(pred), [b.B, b.N, 3]), nd(b.target3d, [b.B, b.N, 3]), {
      weights: nd(b.mask, [b.B, b.N]),
    });
    return Array.from(a.rmsd.data, (r) => r * r);
  };

  it('is min(L(p), L(mirror p)) where flagged and L(p) elsewhere — the same in both engines, same gradients', async () => {
    const model = createModel(resolveModelConfig({ ...tiny }));
    const params = randomParams(model, 11);
    const graph = await createGraphEngine(model, params, 'procrustes', { threads: 1, mirror: true });
    const tfjs = createTfjsEngine(tf, model, params, 'procrustes', { mirror: true });
    const plain = await createGraphEngine(model, params, 'procrustes', { threads: 1 });
    try {
      const [b0] = batches(model, 1);
      const mirror = Float32Array.from([1, 0, 1, 1]);
      const b = { ...b0!, mirror };
      // The reference: the model in Float64, then each sample's loss and its mirror's.
      const pred = referencePrediction(model, params, b);
      const mirrored = Float64Array.from(pred, (v, i) => (i % 3 === 2 ? -v : v));
      const direct = rmsd2(pred, b);
      const flipped = rmsd2(mirrored, b);
      const want = direct.reduce((s, d, k) => s + (mirror[k] === 1 ? Math.min(d, flipped[k]!) : d), 0) / b.B;
      // The batch must exercise both branches of the minimum, or the test shows nothing.
      expect(direct.some((d, k) => mirror[k] === 1 && flipped[k]! < d)).toBe(true);
      expect(direct.some((d, k) => mirror[k] === 1 && flipped[k]! > d)).toBe(true);
      const g = await graph.lossAndGradients(b);
      const t = await tfjs.lossAndGradients(b);
      expect(Math.abs(g.loss - want) / want).toBeLessThan(1e-5);
      expect(Math.abs(t.loss - want) / want).toBeLessThan(1e-5);
      // Without flags (or without the option) it is the plain loss.
      const none = await graph.lossAndGradients({ ...b, mirror: new Float32Array(b.B) });
      const base = await plain.lossAndGradients(b);
      expect(Math.abs(none.loss - base.loss) / base.loss).toBeLessThan(1e-6);
      expect(g.loss).toBeLessThan(base.loss);
      const floor = 1e-3 * Math.max(...Object.values(t.grads).map(maxAbs));
      for (const spec of model.specs.filter((s) => s.trainable && s.name !== 'decoder.fc2.b')) {
        expect(relErr(g.grads[spec.name]!, t.grads[spec.name]!, floor), spec.name).toBeLessThanOrEqual(TOL);
      }
    } finally {
      await graph.dispose();
      await plain.dispose();
      await tfjs.dispose();
    }
  });
});
