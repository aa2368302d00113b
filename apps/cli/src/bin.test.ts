import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkModel } from '@lfm/onnx';
import { afterAll, describe, expect, it } from 'vitest';
import { binPath, demoData, examples, repoRoot, spawnCli } from './test-support/cli.js';

// The real binary, as a user runs it: `node apps/cli/dist/bin.js …` (built by `pnpm build`).

const dir = mkdtempSync(join(tmpdir(), 'lfm-cli-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the built binary', () => {
  it('starts with a node shebang and prints its help', () => {
    expect(readFileSync(binPath, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const r = spawnCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: lfm <command>/);
  });

  it('bad input: one line on stderr, a non-zero exit, no stack trace', () => {
    const nan = join(dir, 'nan.json');
    writeFileSync(nan, '[{"points": [[1, 2], [3, NaN], [5, 6]]}]');
    const cases: [string[], number, RegExp][] = [
      [
        ['lift', '--input', join(dir, 'missing.json'), '--model', 'x.onnx'],
        1,
        /missing\.json: input file not found/,
      ],
      [['lift', '--input', nan, '--model', 'x.onnx'], 1, /contains a NaN coordinate/],
      [
        ['lift', '--input', join(examples, 'hand.json'), '--rig', 'no-such-rig', '--model', 'x.onnx'],
        1,
        /unknown rig 'no-such-rig'/,
      ],
      [
        ['lift', '--input', join(examples, 'hand.json'), '--model', join(dir, 'none.onnx')],
        1,
        /model file not found/,
      ],
      [['lift', '--inptu', 'x.json'], 2, /unknown option '--inptu'/],
      [['eval', '--json'], 2, /--data DIR is required/],
      [['train', '--config', join(dir, 'none.json')], 1, /none\.json: config file not found/],
      [['frobnicate'], 2, /unknown command 'frobnicate'/],
    ];
    for (const [argv, code, pattern] of cases) {
      const r = spawnCli(argv);
      const label = argv.join(' ');
      expect(r.code, label).toBe(code);
      expect(r.stdout, label).toBe('');
      expect(r.stderr, label).toMatch(/^lfm: error: [^\n]+\n$/);
      expect(r.stderr, label).toMatch(pattern);
    }
  });

  it('rigs list --json', () => {
    const r = spawnCli(['rigs', 'list', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((x: { id: string }) => x.id)).toContain('ibug-face-68');
  });
});

describe('lfm train → export → lift, on the demo data that ships in the repository', () => {
  const run = join(dir, 'run');
  const config = join(dir, 'tiny.json');

  it('train --config (default engine): a few steps write last.ckpt, metrics.jsonl and plain progress lines', () => {
    // Relative paths in a config file resolve against its folder.
    writeFileSync(
      config,
      JSON.stringify({
        data: [join(demoData, 'demo-hand'), join(demoData, 'demo-human')],
        outDir: 'run',
        model: { kind: 'lifter', dModel: 16, layers: 1, heads: 2, mlpRatio: 2, maxPoints: 32 },
        steps: 2,
        batchSize: 4,
        valInterval: 0,
        logInterval: 1,
      }),
    );
    const r = spawnCli(['train', '--config', config], { env: { CI: 'true' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^step 1\/2 loss /m);
    expect(r.stdout).toMatch(/^step 2\/2 loss /m);
    expect(r.stdout).not.toContain('\r'); // no bar outside a terminal
    expect(existsSync(join(run, 'last.ckpt'))).toBe(true);
    const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(metrics.map((m) => m.step)).toEqual([1, 2]);
    expect(Number.isFinite(metrics[1].loss)).toBe(true);
  }, 300_000);

  it('train --resume continues from the checkpoint, here on the other engine; flags override the file', () => {
    const r = spawnCli(
      ['train', '--config', config, '--steps', '3', '--resume', '--engine', 'tfjs', '--backend', 'wasm'],
      { env: { CI: 'true' } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resuming at step 2/);
    const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(metrics.at(-1).step).toBe(3);
  }, 300_000);

  it('export the trained checkpoint, then lift an example with it', () => {
    const onnx = join(dir, 'trained.onnx');
    const e = spawnCli(['export', '--model', join(run, 'last.ckpt'), '--out', onnx]);
    expect(e.code, e.stderr).toBe(0);
    checkModel(new Uint8Array(readFileSync(onnx)));
    const r = spawnCli(['lift', '--input', 'examples/hand.json', '--model', onnx, '--camera', 'ortho'], {
      cwd: repoRoot,
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.points3d).toHaveLength(21);
    expect(out.camera).toMatchObject({ kind: 'ortho' });
    expect(out.camera.R).toHaveLength(3);
    // The model takes at most 32 points: the 68-point face is refused with one line.
    const face = spawnCli(['lift', '--input', 'examples/face.json', '--model', onnx], { cwd: repoRoot });
    expect(face.code).toBe(1);
    expect(face.stderr).toMatch(
      /^lfm: error: examples\/face\.json: the input has 68 points, but the model takes at most 32\n$/,
    );
  }, 300_000);
});
