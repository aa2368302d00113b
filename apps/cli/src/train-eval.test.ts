import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoData, makeTinyModel, repoRoot, runCli } from './test-support/cli.js';
import { expectOneLineError } from './test-support/expect.js';

const dir = mkdtempSync(join(tmpdir(), 'lfm-cli-train-eval-'));
const plugin = join(repoRoot, 'packages', 'rig', 'examples', 'my-rig.js');
let model: Awaited<ReturnType<typeof makeTinyModel>>;

beforeAll(async () => {
  model = await makeTinyModel(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of demo-hand (named `name`) whose `test` sequences are relabelled `to`. */
function handWithoutTest(name: string, to: 'val' | 'train'): string {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  const src = join(demoData, 'demo-hand');
  cpSync(join(src, 'points.f32'), join(out, 'points.f32'));
  const meta = JSON.parse(readFileSync(join(src, 'meta.json'), 'utf8'));
  meta.name = name;
  for (const s of meta.sequences) if (s.split === 'test') s.split = to;
  writeFileSync(join(out, 'meta.json'), JSON.stringify(meta));
  return out;
}

/** A tiny, fast training run on one demo dataset (flags after `extra` override these). */
const trainArgs = (out: string, ...extra: string[]) => [
  'train',
  '--data',
  join(demoData, 'demo-hand'),
  '--out',
  out,
  '--steps',
  '2',
  '--batch',
  '4',
  '--d-model',
  '16',
  '--layers',
  '1',
  '--heads',
  '2',
  '--val-interval',
  '0',
  '--progress',
  'lines',
  ...extra,
];

describe('lfm train: --resume, --rig-plugin', () => {
  const out = join(dir, 'run');

  it('--resume in a folder without a checkpoint says so on stderr and starts from scratch (plugin accepted)', async () => {
    const r = await runCli(trainArgs(out, '--resume', '--rig-plugin', plugin));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`lfm: no checkpoint in ${out}: starting from scratch\n`);
    expect(r.stdout).toMatch(/^done at step 2: /m);
    expect(existsSync(join(out, 'last.ckpt'))).toBe(true);
  });

  it('--resume of a finished run: "already finished (step N of N)", exit 0, no NaN summary', async () => {
    const r = await runCli(trainArgs(out, '--resume'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/the run is already finished: step 2 of 2; nothing to train/);
    expect(r.stdout).not.toMatch(/NaN|samples\/s/);
  });

  it('a missing rig plugin: one line, exit 1, before any data is read', async () => {
    expectOneLineError(
      await runCli(['train', '--data', join(dir, 'no-such-data'), '--rig-plugin', './missing-rig.js']),
      1,
      /rig plugin not found: .*missing-rig\.js/,
    );
  });

  it('--help documents --rig-plugin', async () => {
    expect((await runCli(['train', '--help'])).stdout).toMatch(/--rig-plugin PATH/);
  });
});

describe('lfm eval: --rig-plugin, data without the evaluated split', () => {
  it('takes --rig-plugin (the plugin rigs registered next to the built-ins)', async () => {
    const r = await runCli([
      'eval',
      '--data',
      join(demoData, 'demo-hand'),
      '--model',
      model.onnx,
      '--limit',
      '2',
      '--json',
      '--rig-plugin',
      plugin,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).datasets[0]).toMatchObject({ name: 'demo-hand', samples: 2 });
    expect((await runCli(['eval', '--help'])).stdout).toMatch(/--rig-plugin PATH/);
  });

  it('a missing rig plugin: one line, exit 1', async () => {
    expectOneLineError(
      await runCli(['eval', '--data', demoData, '--model', model.onnx, '--rig-plugin', './missing-rig.js']),
      1,
      /rig plugin not found: .*missing-rig\.js/,
    );
  });

  it('no dataset has the split: an error naming the splits the data has (not samples: 0)', async () => {
    const data = handWithoutTest('hand-no-test', 'val');
    expectOneLineError(
      await runCli(['eval', '--data', data, '--model', model.onnx, '--json']),
      1,
      /^lfm: error: nothing to evaluate: no test split: hand-no-test \(splits: train, val\)$/,
    );
    // --split val is there.
    const val = await runCli(['eval', '--data', data, '--model', model.onnx, '--json', '--split', 'val']);
    expect(val.code, val.stderr).toBe(0);
  });

  it('some datasets lack the split: the others are evaluated, a note names the skipped ones', async () => {
    const data = handWithoutTest('hand-train-only', 'train');
    const r = await runCli([
      'eval',
      '--data',
      data,
      '--data',
      join(demoData, 'demo-face'),
      '--model',
      model.onnx,
      '--limit',
      '2',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('lfm: not evaluated (no test split): hand-train-only (splits: train, val)\n');
    expect(JSON.parse(r.stdout).datasets.map((d: { name: string }) => d.name)).toEqual(['demo-face']);
  });
});
