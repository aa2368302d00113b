import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, randomRotation } from '@lfm/core';
import { saveCheckpoint } from '@lfm/model/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoData, makeTinyModel, runCli } from './test-support/cli.js';

interface Row {
  name: string;
  category: string;
  samples: number;
  mpjpe: number | null;
  paMpjpe: number | null;
  nPaMpjpe: number | null;
  paMpjpeFlipBest: number | null;
  nPaMpjpeFlipBest: number | null;
  flatNPaMpjpe: number | null;
  depthSpread: number | null;
  nPaMpjpeSetFlip: number | null;
}
interface Report {
  model: string;
  protocol: string;
  seed: number;
  datasets: Row[];
  mean: { samples: number; mpjpe: number | null; paMpjpe: number | null; nPaMpjpe: number | null };
}

const dir = mkdtempSync(join(tmpdir(), 'lfm-cli-eval-'));
let model: Awaited<ReturnType<typeof makeTinyModel>>;

beforeAll(async () => {
  model = await makeTinyModel(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function evalJson(...argv: string[]): Promise<Report> {
  const r = await runCli(['eval', '--data', demoData, '--json', ...argv]);
  expect(r.code, r.stderr).toBe(0);
  // Exactly one JSON object, on one line.
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(r.stdout) as Report;
}

/**
 * The checkpoint whose output is y' = s·R·y + t of the tiny model's output y: the decoder's last
 * linear layer (y = h·W + b, W [H, 3]) becomes W' = s·W·Rᵀ, b' = s·R·b + t.
 */
async function transformedModel(
  name: string,
  { R, s, t }: { R: ArrayLike<number>; s: number; t: readonly number[] },
): Promise<string> {
  const params = { ...model.params };
  const W = model.params['decoder.fc2.w']!;
  const b = model.params['decoder.fc2.b']!;
  const H = W.length / 3;
  const W2 = new Float32Array(W.length);
  for (let h = 0; h < H; h++) {
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let k = 0; k < 3; k++) v += W[3 * h + k]! * R[3 * c + k]!;
      W2[3 * h + c] = s * v;
    }
  }
  const b2 = new Float32Array(3);
  for (let c = 0; c < 3; c++) {
    let v = 0;
    for (let k = 0; k < 3; k++) v += R[3 * c + k]! * b[k]!;
    b2[c] = s * v + t[c]!;
  }
  params['decoder.fc2.w'] = W2;
  params['decoder.fc2.b'] = b2;
  const path = join(dir, `${name}.ckpt`);
  await saveCheckpoint(path, { config: model.config, params });
  return path;
}

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

describe('lfm eval --json', () => {
  it('prints { model, protocol, seed, datasets, mean } with a row per dataset', async () => {
    const r = await evalJson('--model', model.onnx, '--limit', '6', '--seed', '3');
    expect(Object.keys(r)).toEqual(['model', 'protocol', 'seed', 'datasets', 'mean']);
    expect(r).toMatchObject({ model: model.onnx, protocol: 'synthetic', seed: 3 });
    expect(r.datasets.map((d) => [d.name, d.category, d.samples])).toEqual([
      ['demo-face', 'face', 6],
      ['demo-hand', 'hand', 6],
      ['demo-human', 'human-body', 6],
      ['demo-quadruped', 'quadruped', 6],
    ]);
    for (const d of r.datasets) {
      expect(Object.keys(d)).toEqual([
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
      expect(d.nPaMpjpeSetFlip!).toBeLessThanOrEqual(d.nPaMpjpe! + 1e-12);
      expect(d.nPaMpjpeSetFlip!).toBeGreaterThanOrEqual(d.nPaMpjpeFlipBest! - 1e-12);
      expect(d.depthSpread!).toBeGreaterThan(0);
      expect(d.nPaMpjpeFlipBest!).toBeLessThanOrEqual(d.nPaMpjpe! + 1e-12);
      expect(d.flatNPaMpjpe!).toBeGreaterThan(0);
      expect(d.paMpjpe!).toBeGreaterThan(0);
      expect(d.nPaMpjpe!).toBeGreaterThan(0);
      expect(d.mpjpe!).toBeGreaterThanOrEqual(d.paMpjpe! * 0.999); // no rotation fitted for mpjpe
    }
    expect(r.mean.samples).toBe(24);
    expect(r.mean.nPaMpjpe).toBeCloseTo(r.datasets.reduce((a, d) => a + d.nPaMpjpe!, 0) / 4, 10);
  });

  it('PA-MPJPE and nPA-MPJPE are invariant to a similarity transform of the prediction, not to a reflection', async () => {
    const base = await evalJson('--model', model.ckpt, '--limit', '8');
    const R = randomRotation(new Rng(11));
    const similar = await transformedModel('similar', { R, s: 2.5, t: [0.7, -1.2, 3.1] });
    const moved = await evalJson('--model', similar, '--limit', '8');
    base.datasets.forEach((d, i) => {
      const m = moved.datasets[i]!;
      expect(m.paMpjpe! / d.paMpjpe!).toBeCloseTo(1, 4);
      expect(m.nPaMpjpe! / d.nPaMpjpe!).toBeCloseTo(1, 4);
    });
    // A reflection (det −1) is no similarity: the score must change somewhere.
    const mirror = Array.from(R, (v, k) => (k < 3 ? -v : v));
    const reflected = await evalJson(
      '--model',
      await transformedModel('mirrored', { R: mirror, s: 1, t: [0, 0, 0] }),
      '--limit',
      '8',
    );
    const change = reflected.datasets.map((m, i) => Math.abs(m.paMpjpe! / base.datasets[i]!.paMpjpe! - 1));
    expect(Math.max(...change)).toBeGreaterThan(1e-2);
    // …but flip-best scores a prediction and its mirror alike, and the flat guess does not depend on the model.
    reflected.datasets.forEach((m, i) => {
      expect(m.nPaMpjpeFlipBest! / base.datasets[i]!.nPaMpjpeFlipBest!).toBeCloseTo(1, 4);
      expect(m.flatNPaMpjpe).toBeCloseTo(base.datasets[i]!.flatNPaMpjpe!, 10);
    });
  });

  it("camera-frame MPJPE is invariant to the prediction's scale and translation (PnP absorbs them)", async () => {
    // Its rotation is not fitted to the ground truth, so a rotated prediction is posed by PnP again;
    // with an untrained model PnP can land in another local minimum, so only s and t are checked here.
    const base = await evalJson('--model', model.ckpt, '--limit', '8');
    const moved = await evalJson(
      '--model',
      await transformedModel('scaled', { R: IDENTITY, s: 0.2, t: [3, 1, -2] }),
      '--limit',
      '8',
    );
    base.datasets.forEach((d, i) => {
      expect(moved.datasets[i]!.mpjpe! / d.mpjpe!).toBeCloseTo(1, 4);
    });
  });

  it('the same seed gives the same numbers; another split other samples', async () => {
    const a = await evalJson('--model', model.onnx, '--limit', '4', '--seed', '5');
    const b = await evalJson('--model', model.onnx, '--limit', '4', '--seed', '5');
    expect(b).toEqual(a);
    const v = await evalJson('--model', model.onnx, '--limit', '4', '--seed', '5', '--split', 'val');
    expect(v.datasets[0]!.paMpjpe).not.toBe(a.datasets[0]!.paMpjpe);
  });

  it('--baseline mean-shape: the Procrustes mean shape of each rig, fitted on the train split', async () => {
    const r = await evalJson('--baseline', 'mean-shape', '--limit', '6');
    expect(r.model).toBe('baseline:mean-shape');
    expect(r.datasets).toHaveLength(4);
    for (const d of r.datasets) expect(d.nPaMpjpe!).toBeLessThan(1);
  });

  it('text output: a table with the mean', async () => {
    const r = await runCli([
      'eval',
      '--data',
      join(demoData, 'demo-hand'),
      '--model',
      model.onnx,
      '--limit',
      '3',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^model .*tiny\.onnx, protocol synthetic, seed 0\n/);
    expect(r.stdout).toMatch(/\ndemo-hand\s+hand\s+3\s/);
    expect(r.stdout).toMatch(/\nmean\s+3\s/);
  });

  it('errors: a missing folder, a protocol the data cannot serve', async () => {
    const missing = await runCli(['eval', '--data', join(dir, 'nope'), '--model', model.onnx, '--json']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^lfm: error: .*nope: folder not found\n$/);
    const real = await runCli([
      'eval',
      '--data',
      demoData,
      '--model',
      model.onnx,
      '--protocol',
      'real',
      '--json',
    ]);
    expect(real.code).toBe(1);
    expect(real.stderr).toMatch(
      /^lfm: error: nothing to evaluate: no real camera views \(views\.f32\): demo-face/,
    );
    const identity = await runCli(['eval', '--data', demoData, '--model', model.onnx, '--identity', 'left']);
    expect(identity.code).toBe(2);
    expect(identity.stderr).toMatch(/--identity.*codes, sides, named, none/);
    const pairs = await runCli(['eval', '--data', demoData, '--model', model.onnx, '--pairs', 'left']);
    expect(pairs.code).toBe(2);
    expect(pairs.stderr).toMatch(/--pairs must be one of rig, infer, none/);
  });

  it('--pairs infer: a rig that declares no mirror pairs gets those of its 2D (the demo face without its 29)', async () => {
    // The demo face (project-made) with its declared pairs removed.
    const src = join(demoData, 'demo-face');
    const bare = join(dir, 'demo-face-bare');
    mkdirSync(bare);
    const meta = JSON.parse(readFileSync(join(src, 'meta.json'), 'utf8'));
    writeFileSync(join(bare, 'meta.json'), JSON.stringify({ ...meta, symmetry: [] }));
    copyFileSync(join(src, 'points.f32'), join(bare, 'points.f32'));
    const r = await runCli([
      'eval',
      '--data',
      bare,
      '--model',
      model.onnx,
      '--pairs',
      'infer',
      '--limit',
      '40',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\nmirror pairs found from the 2D: demo-face 29\n$/);
    const json = await runCli(['eval', '--data', bare, '--model', model.onnx, '--limit', '40', '--json']);
    expect(JSON.parse(json.stdout).datasets[0].inferredPairs).toBeUndefined();
  });
});
