/**
 * Issue 15: a checkpoint trained with a recipe's `knn` (the kNN graph of rigs without bones) keeps
 * that k through `lfm export` and when a .ckpt is lifted or evaluated directly, so inference builds
 * the training graph.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_KNN_K } from '@lfm/datasets/preprocess';
import { initParameters, resolveLifterConfig } from '@lfm/model';
import { saveCheckpoint } from '@lfm/model/node';
import { exportLifter } from '@lfm/onnx';
import { loadLifter } from '@lfm/runtime/node';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { openLifter, trainedKnnK } from './model.js';
import { demoData, runCli } from './test-support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lfm-knn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = resolveLifterConfig({ dModel: 16, layers: 1, heads: 2, mlpRatio: 2, seed: 3, maxPoints: 32 });
const params = initParameters(config);

async function ckptWith(name: string, training?: Record<string, number>): Promise<string> {
  const path = join(dir, `${name}.ckpt`);
  await saveCheckpoint(path, { config, params, ...(training && { metadata: { training } }) });
  return path;
}

const io: CliIo = {
  stdout: { write: () => true, isTTY: false },
  stderr: { write: () => true, isTTY: false },
  cwd: dir,
  env: {},
} as unknown as CliIo;

describe("a checkpoint's recipe k reaches inference", () => {
  it('trainedKnnK reads metadata.training.knn; anything else is the default', () => {
    expect(trainedKnnK({ metadata: { training: { knn: 3 } } })).toBe(3);
    expect(trainedKnnK({ metadata: { training: { steps: 10 } } })).toBeUndefined();
    expect(trainedKnnK({ metadata: { training: { knn: 0 } } })).toBeUndefined();
    expect(trainedKnnK({ metadata: { training: { knn: 2.5 } } })).toBeUndefined();
    expect(trainedKnnK({ metadata: { training: null } })).toBeUndefined();
    expect(trainedKnnK({})).toBeUndefined();
  });

  it('lfm export and a .ckpt opened for lift/eval carry knn 3; a recipe without knn gets DEFAULT_KNN_K', async () => {
    expect(DEFAULT_KNN_K).not.toBe(3);
    for (const [name, training, want] of [
      ['k3', { knn: 3, steps: 1 }, 3],
      ['plain', { steps: 1 }, DEFAULT_KNN_K],
      ['bare', undefined, DEFAULT_KNN_K],
    ] as const) {
      const ckpt = await ckptWith(name, training);
      const out = join(dir, `${name}.onnx`);
      const r = await runCli(['export', '--model', ckpt, '--out', out], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const exported = await loadLifter(readFileSync(out));
      expect(exported.info.knnK, name).toBe(want);
      await exported.release();
      const opened = await openLifter(io, { model: ckpt, runtime: 'onnx' });
      expect(opened.info.knnK, name).toBe(want);
      await opened.release();
    }
  });

  it('lfm eval of a boneless dataset uses the model’s knnK (same weights, k 3 vs 4 → other errors)', async () => {
    // demo-hand without its bones: an unknown rig, so every sample gets the kNN graph.
    const data = join(dir, 'data');
    const hand = join(data, 'hand-no-bones');
    mkdirSync(hand, { recursive: true });
    const meta = JSON.parse(readFileSync(join(demoData, 'demo-hand', 'meta.json'), 'utf8'));
    writeFileSync(join(hand, 'meta.json'), JSON.stringify({ ...meta, name: 'hand-no-bones', edges: [] }));
    copyFileSync(join(demoData, 'demo-hand', 'points.f32'), join(hand, 'points.f32'));
    const report = async (k: number) => {
      const path = join(dir, `eval-k${k}.onnx`);
      writeFileSync(path, exportLifter({ config, params }, { knnK: k }));
      const r = await runCli(['eval', '--data', data, '--model', path, '--json', '--limit', '20'], {
        cwd: dir,
      });
      expect(r.code, r.stderr).toBe(0);
      const row = (JSON.parse(r.stdout) as { datasets: { samples: number; nPaMpjpe: number }[] })
        .datasets[0]!;
      expect(row.samples).toBeGreaterThan(0);
      return row.nPaMpjpe;
    };
    expect(await report(3)).not.toBe(await report(DEFAULT_KNN_K));
  });
});
