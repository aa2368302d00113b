import { Rng, randomRotation } from '@lfm/core';
import { createSyntheticEvalSet, jointCodeTable } from '@lfm/datasets';
import { h36mBody } from '@lfm/rigs';
import { describe, expect, it } from 'vitest';
import { perturbKeypoints } from './eval-perturb.js';
import {
  type EvalReport,
  evaluate,
  forwardPredictor,
  mergeEvalReports,
  type PredictBatch,
  type PredictFn,
} from './evaluate.js';
import { toyDataset } from './test-support/fixtures.js';

const ds = toyDataset({ name: 'toy-eval', J: 9, test: 10, missing: 0.15, jitter: 0.2, seed: 3 });
const other = toyDataset({ name: 'toy-other', category: 'other', J: 6, test: 5, seed: 4 });

/** The world-frame ground truth of each sample (+ seeded noise), optionally moved by a per-sample similarity. */
function worldPredictor(
  dataset: typeof ds,
  noise: number,
  move?: (b: number) => { R: Float64Array; s: number; t: number[] },
): PredictFn {
  return (batch: PredictBatch) => {
    const J = batch.numPoints;
    const out = new Float32Array(batch.batchSize * J * 3);
    for (let b = 0; b < batch.batchSize; b++) {
      const f = batch.frame[b]!;
      const rng = new Rng([f, 77]);
      const m = move?.(f);
      for (let j = 0; j < J; j++) {
        if (batch.mask[b * J + j] !== 1) continue;
        const p = [0, 1, 2].map((c) => dataset.points[3 * (f * J + j) + c]! + noise * rng.normal());
        for (let c = 0; c < 3; c++) {
          out[3 * (b * J + j) + c] = m
            ? m.s * (m.R[3 * c]! * p[0]! + m.R[3 * c + 1]! * p[1]! + m.R[3 * c + 2]! * p[2]!) + m.t[c]!
            : p[c]!;
        }
      }
    }
    return out;
  };
}

describe('evaluate', () => {
  it("joint codes: a coded rig gets its table, a same-joints rig its alias's, any other zeros", async () => {
    const cams = toyDataset({ name: 'h36m-cams', J: 17, test: 2, seed: 5 });
    const unknown = toyDataset({ name: 'toy-x', J: 17, test: 2, seed: 6 });
    const seen = new Map<string, Float32Array>();
    const predict: PredictFn = async (b) => {
      seen.set(b.dataset.name, b.codes!.slice(0, 17 * 3));
      return worldPredictor(b.dataset.name === 'h36m-cams' ? cams : unknown, 0)(b);
    };
    await evaluate({ predict, datasets: [cams, unknown], jointCodes: { k: 3, rigs: ['h36m-body'] } });
    expect(Array.from(seen.get('h36m-cams')!)).toEqual(
      Array.from(jointCodeTable('h36m-body', h36mBody.joints, 3)),
    );
    expect(seen.get('toy-x')!.every((v) => v === 0)).toBe(true);
    // Coded under its own id: its own codes (a dataset without joint names: j0, j1, …).
    await evaluate({ predict, datasets: [cams], jointCodes: { k: 3, rigs: ['h36m-cams'] } });
    const names = Array.from({ length: 17 }, (_, j) => `j${j}`);
    expect(Array.from(seen.get('h36m-cams')!)).toEqual(Array.from(jointCodeTable('h36m-cams', names, 3)));
  });

  it('returns the docs/PROTOCOL.md report shape; the ground truth scores ~0 on every metric', async () => {
    const report = await evaluate({
      predict: worldPredictor(ds, 0),
      datasets: [ds, other].slice(0, 1),
      seed: 2,
      model: 'gt',
    });
    expect(Object.keys(report)).toEqual(['model', 'protocol', 'seed', 'datasets', 'mean']);
    expect(report).toMatchObject({ model: 'gt', protocol: 'synthetic', seed: 2 });
    const row = report.datasets[0]!;
    expect(Object.keys(row)).toEqual([
      'name',
      'category',
      'samples',
      'mpjpe',
      'paMpjpe',
      'nPaMpjpe',
      'paMpjpeFlipBest',
      'nPaMpjpeFlipBest',
      'flatNPaMpjpe',
      'depthSpread',
      'nPaMpjpeSetFlip',
    ]);
    expect(row).toMatchObject({ name: 'toy-eval', category: 'toy-category', samples: 10 });
    expect(row.paMpjpe!).toBeLessThan(1e-3);
    expect(row.nPaMpjpe!).toBeLessThan(1e-4);
    expect(row.nPaMpjpeFlipBest!).toBeLessThan(1e-4);
    expect(row.flatNPaMpjpe!).toBeGreaterThan(0.05); // the ground truth is not flat
    expect(row.depthSpread!).toBeGreaterThan(0); // world-frame truth: depth, but not the camera's
    expect(row.mpjpe!).toBeLessThan(1e-3); // PnP recovers the protocol's camera exactly
    expect(report.mean).toEqual({
      samples: 10,
      mpjpe: row.mpjpe,
      paMpjpe: row.paMpjpe,
      nPaMpjpe: row.nPaMpjpe,
      paMpjpeFlipBest: row.paMpjpeFlipBest,
      nPaMpjpeFlipBest: row.nPaMpjpeFlipBest,
      flatNPaMpjpe: row.flatNPaMpjpe,
      depthSpread: row.depthSpread,
      nPaMpjpeSetFlip: row.nPaMpjpeSetFlip,
    });
    expect(row.nPaMpjpeSetFlip).toBeCloseTo(row.nPaMpjpe!, 12); // the truth is not mirrored
  });

  it('depthSpread: 1 for the camera-frame truth at any scale, 0.5 for half its depth, 0 for flat; a mirrored set: nPaMpjpeSetFlip', async () => {
    const set = createSyntheticEvalSet(ds, { split: 'test', seed: 4 });
    const camera =
      (zScale: number, scale: number): PredictFn =>
      (b) => {
        const J = b.numPoints;
        const out = new Float32Array(b.batchSize * J * 3);
        for (let i = 0; i < b.batchSize; i++) {
          const s = set.frame.indexOf(b.frame[i]!);
          for (let j = 0; j < J * 3; j++) {
            out[i * J * 3 + j] = scale * set.pointsCam[s * J * 3 + j]! * (j % 3 === 2 ? zScale : 1);
          }
        }
        return out;
      };
    const spread = async (predict: PredictFn) =>
      (await evaluate({ predict, datasets: [ds], seed: 4 })).datasets[0]!.depthSpread!;
    expect(await spread(camera(1, 3))).toBeCloseTo(1, 5);
    expect(await spread(camera(0.5, 1))).toBeCloseTo(0.5, 5);
    expect(await spread(camera(0, 1))).toBe(0);
    // The whole set mirrored: strict is bad, the set-level flip recovers the truth; flip-best too.
    const mirrored = (await evaluate({ predict: camera(-1, 1), datasets: [ds], seed: 4 })).datasets[0]!;
    expect(mirrored.nPaMpjpe!).toBeGreaterThan(0.05);
    expect(mirrored.nPaMpjpeSetFlip!).toBeLessThan(1e-4);
    expect(mirrored.nPaMpjpeFlipBest!).toBeLessThan(1e-4);
  });

  it('is invariant to a similarity transform of the prediction (PA exactly; mpjpe to scale/translation)', async () => {
    const base = await evaluate({ predict: worldPredictor(ds, 5), datasets: [ds], seed: 1 });
    const rng = new Rng(5);
    const moves = new Map<number, { R: Float64Array; s: number; t: number[] }>();
    const move = (f: number) => {
      if (!moves.has(f)) {
        moves.set(f, {
          R: randomRotation(rng),
          s: rng.range(0.01, 100),
          t: [rng.normal() * 1e3, rng.normal(), rng.normal()],
        });
      }
      return moves.get(f)!;
    };
    const similar = await evaluate({ predict: worldPredictor(ds, 5, move), datasets: [ds], seed: 1 });
    const a = base.datasets[0]!;
    const b = similar.datasets[0]!;
    expect(a.paMpjpe!).toBeGreaterThan(1); // noise 5 mm: a real error
    // Equal up to the float32 rounding of the moved prediction.
    expect(Math.abs(b.paMpjpe! - a.paMpjpe!) / a.paMpjpe!).toBeLessThan(1e-5);
    expect(Math.abs(b.nPaMpjpe! - a.nPaMpjpe!) / a.nPaMpjpe!).toBeLessThan(1e-5);
    const scaleOnly = (f: number) => ({ ...move(f), R: Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1) });
    const scaled = await evaluate({ predict: worldPredictor(ds, 5, scaleOnly), datasets: [ds], seed: 1 });
    expect(Math.abs(scaled.datasets[0]!.mpjpe! - a.mpjpe!) / a.mpjpe!).toBeLessThan(1e-6);
    expect(a.mpjpe!).toBeGreaterThan(a.paMpjpe! * 0.5);
  });

  it('shows a depth-flipped (mirrored) answer in mpjpe', async () => {
    const mirror = (_f: number) => ({ R: Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, -1), s: 1, t: [0, 0, 0] });
    const r = (await evaluate({ predict: worldPredictor(ds, 0, mirror), datasets: [ds] })).datasets[0]!;
    expect(r.mpjpe!).toBeGreaterThan(0.05 * 50);
  });

  it('averages datasets in `mean`, honours limit, and reports mpjpe null under the real protocol', async () => {
    const both = await evaluate({ predict: worldPredictor(ds, 3), datasets: [ds], limit: 4, batchSize: 3 });
    expect(both.datasets[0]!.samples).toBe(4);
    const views = {
      count: 1,
      kind: 'test',
      cameraIds: ['c0'],
      data: new Float32Array(other.frames * other.numJoints * 2),
    };
    for (let f = 0; f < other.frames; f++) {
      for (let j = 0; j < other.numJoints; j++) {
        const k = f * other.numJoints + j;
        views.data[2 * k] = other.points[3 * k]! + 0.1 * other.points[3 * k + 2]!;
        views.data[2 * k + 1] = other.points[3 * k + 1]!;
      }
    }
    const real: EvalReport = await evaluate({
      predict: worldPredictor(other, 0),
      datasets: [{ ...other, views }],
      protocol: 'real',
    });
    expect(real.protocol).toBe('real');
    expect(real.datasets[0]!.mpjpe).toBeNull();
    expect(real.datasets[0]!.paMpjpe!).toBeLessThan(1e-3);
    expect(real.mean.mpjpe).toBeNull();
  });

  it('mergeEvalReports: reports evaluated apart equal the one report of them together', async () => {
    const byName = { [ds.name]: worldPredictor(ds, 3), [other.name]: worldPredictor(other, 2) };
    const predict: PredictFn = (batch) => byName[batch.dataset.name]!(batch);
    const together = await evaluate({ predict, datasets: [ds, other], model: 'm' });
    const a = await evaluate({ predict, datasets: [ds], model: 'm' });
    const b = await evaluate({ predict, datasets: [other], model: 'm' });
    expect(mergeEvalReports([a, b])).toEqual(together);
    expect(mergeEvalReports([a, b], 'renamed').model).toBe('renamed');
    expect(() => mergeEvalReports([])).toThrow(/no report/);
    expect(() => mergeEvalReports([a, a])).toThrow(/toy-eval is in more than one report/);
    expect(() => mergeEvalReports([a, { ...b, seed: 1 }])).toThrow(/differ in protocol or seed/);
  });

  it('rejects a prediction of the wrong size', async () => {
    await expect(evaluate({ predict: () => new Float32Array(5), datasets: [ds] })).rejects.toThrow(/B·N·3/);
  });
});

describe('evaluate with perturbations (robustness)', () => {
  /** A predictor that reads the 2D (x, y, 0 of the normalised input) and records the masks it was given. */
  function readsInput(seen: Map<number, Float32Array>): PredictFn {
    return (batch: PredictBatch) => {
      const J = batch.numPoints;
      const out = new Float32Array(batch.batchSize * J * 3);
      for (let b = 0; b < batch.batchSize; b++) {
        seen.set(batch.frame[b]!, batch.mask.slice(b * J, (b + 1) * J));
        for (let j = 0; j < J; j++) {
          out[3 * (b * J + j)] = batch.points2d[2 * (b * J + j)]!;
          out[3 * (b * J + j) + 1] = batch.points2d[2 * (b * J + j) + 1]!;
        }
      }
      return out;
    };
  }
  const big = toyDataset({ name: 'toy-robust', J: 20, test: 12, missing: 0.1, jitter: 0.3, seed: 8 });

  it('with occlusion 0 and noise 0 equals the plain protocol exactly', async () => {
    const plain = await evaluate({ predict: readsInput(new Map()), datasets: [big], seed: 3 });
    const zero = await evaluate({
      predict: readsInput(new Map()),
      datasets: [big],
      seed: 3,
      perturb: { occlude: 0, noisePx: 0 },
    });
    expect(zero).toEqual(plain);
  });

  it('hides round(f·n) of the n visible joints (keeping MIN_EVAL_JOINTS), nested across fractions, seeded', async () => {
    const masks = async (occlude: number, seed = 3) => {
      const seen = new Map<number, Float32Array>();
      await evaluate({ predict: readsInput(seen), datasets: [big], seed, perturb: { occlude } });
      return seen;
    };
    const plain = await masks(0);
    const low = await masks(0.2);
    const high = await masks(0.6);
    const most = await masks(0.95);
    expect(plain.size).toBe(12);
    const count = (m: Float32Array) => m.reduce((a, v) => a + v, 0);
    let anyHidden = 0;
    for (const [f, m0] of plain) {
      const n = count(m0);
      expect(count(low.get(f)!)).toBe(n - Math.min(Math.round(0.2 * n), n - 4));
      expect(count(high.get(f)!)).toBe(n - Math.min(Math.round(0.6 * n), n - 4));
      expect(count(most.get(f)!)).toBe(4); // never below MIN_EVAL_JOINTS
      for (let j = 0; j < m0.length; j++) {
        // only visible joints are hidden; hidden at 0.2 ⇒ hidden at 0.6
        if (m0[j] === 0) expect(low.get(f)![j]).toBe(0);
        if (low.get(f)![j] === 0) expect(high.get(f)![j]).toBe(0);
        anyHidden += m0[j]! - low.get(f)![j]!;
      }
    }
    expect(anyHidden).toBeGreaterThan(0);
    // Same seed → same joints; another protocol seed → other joints.
    const again = await masks(0.2);
    for (const [f, m] of low) expect(again.get(f)).toEqual(m);
    const other = await masks(0.2, 4);
    expect([...low].some(([f, m]) => other.get(f)!.some((v, j) => v !== m[j]))).toBe(true);
  });

  it('adds seeded pixel noise: 0 changes nothing, more noise means more error', async () => {
    const run = (noisePx: number) =>
      evaluate({ predict: readsInput(new Map()), datasets: [big], seed: 3, perturb: { noisePx } });
    const base = (await run(0)).datasets[0]!;
    const small = (await run(2)).datasets[0]!;
    const large = (await run(40)).datasets[0]!;
    expect(small.nPaMpjpe).not.toBe(base.nPaMpjpe);
    expect(large.nPaMpjpe!).toBeGreaterThan(small.nPaMpjpe!);
    expect((await run(2)).datasets[0]).toEqual(small);
    // The ground truth stays exact under noise in PA terms (the 3D does not depend on the 2D).
    const gt = await evaluate({ predict: worldPredictor(ds, 0), datasets: [ds], perturb: { noisePx: 5 } });
    expect(gt.datasets[0]!.paMpjpe!).toBeLessThan(1e-3);
  });

  it('perturbKeypoints: noise of the requested σ on visible joints only; bad options are errors', () => {
    const J = 4000;
    const p = new Float64Array(2 * J).fill(100);
    const mask = new Uint8Array(J).fill(1);
    for (let j = 0; j < J; j += 4) {
      mask[j] = 0;
      p[2 * j] = p[2 * j + 1] = 0;
    }
    expect(perturbKeypoints(p, mask, { noisePx: 3 }, [1, 2, 3])).toBe(0);
    let sum = 0;
    let sq = 0;
    let n = 0;
    for (let j = 0; j < J; j++) {
      if (mask[j] === 0) {
        expect([p[2 * j], p[2 * j + 1]]).toEqual([0, 0]);
        continue;
      }
      for (const v of [p[2 * j]! - 100, p[2 * j + 1]! - 100]) {
        sum += v;
        sq += v * v;
        n++;
      }
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.1);
    expect(Math.sqrt(sq / n)).toBeCloseTo(3, 1);
    const m2 = new Float32Array(10).fill(1);
    expect(perturbKeypoints(new Float64Array(20).fill(1), m2, { occlude: 0.3 }, [0])).toBe(3);
    expect(m2.reduce((a, v) => a + v, 0)).toBe(7);
    expect(() => perturbKeypoints(new Float64Array(20), m2, { occlude: 1 }, [0])).toThrow(/occlude/);
    expect(() => perturbKeypoints(new Float64Array(20), m2, { noisePx: -1 }, [0])).toThrow(/noisePx/);
    expect(() => perturbKeypoints(new Float64Array(8), m2, {}, [0])).toThrow(/points2d/);
  });
});

describe('forwardPredictor', () => {
  it('hands a batch to forward as the runtime takes it: codes only when the batch has them', async () => {
    const seen: Record<string, unknown>[] = [];
    const out = new Float32Array(6);
    const predict = forwardPredictor({
      forward: async (inputs) => {
        seen.push({ ...inputs });
        return out;
      },
    });
    const b = {
      batchSize: 1,
      numPoints: 2,
      points2d: new Float32Array(4),
      mask: new Float32Array([1, 1]),
      adj: new Float32Array(4),
      dataset: { name: 'x', category: 'y', numJoints: 2 },
      frame: new Int32Array(1),
    };
    expect(await predict(b)).toBe(out);
    const codes = new Float32Array(2 * 3);
    await predict({ ...b, codes });
    expect(seen[0]).toEqual({ points: b.points2d, mask: b.mask, adj: b.adj, batch: 1 });
    expect('codes' in seen[0]!).toBe(false);
    expect(seen[1]!.codes).toBe(codes);
  });
});
