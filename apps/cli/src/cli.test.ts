import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelCandidates, NO_DEFAULT_MODEL } from './model.js';
import { demoData, examples, makeTinyModel, repoRoot, runCli } from './test-support/cli.js';
import { expectOneLineError } from './test-support/expect.js';

const dir = mkdtempSync(join(tmpdir(), 'lfm-cli-'));
let model: Awaited<ReturnType<typeof makeTinyModel>>;

beforeAll(async () => {
  model = await makeTinyModel(dir, { maxPoints: 40 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file in the scratch folder. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('usage errors (exit 2)', () => {
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /missing command/],
    ['unknown command', ['lfit'], /unknown command 'lfit'/],
    ['unknown flag', ['lift', '--input', 'x.json', '--bogus'], /unknown option '--bogus'/],
    ['flag without its value', ['lift', '--input'], /--input needs a value/],
    ['missing required flag', ['lift'], /--input FILE is required/],
    ['eval without data', ['eval', '--json'], /--data DIR is required/],
    ['export without model', ['export', '--out', 'a.onnx'], /--model CKPT is required/],
    [
      'bad choice',
      ['lift', '--input', 'x.json', '--camera', 'fisheye'],
      /--camera must be one of ortho, persp/,
    ],
    [
      'persp without intrinsics',
      ['lift', '--input', 'x.json', '--camera', 'persp'],
      /needs --focal, --cx, --cy/,
    ],
    [
      'intrinsics without persp',
      ['lift', '--input', 'x.json', '--focal', '800'],
      /--focal needs --camera persp/,
    ],
    ['bad number', ['eval', '--data', 'd', '--seed', 'abc'], /--seed must be an integer ≥ 0, got 'abc'/],
    [
      'bad focal',
      ['lift', '--input', 'x', '--camera', 'persp', '--focal', '-1', '--cx', '0', '--cy', '0'],
      /--focal must be a number > 0/,
    ],
    [
      'model and baseline',
      ['eval', '--data', 'd', '--model', 'm.onnx', '--baseline', 'mean-shape'],
      /exclude each other/,
    ],
    ['train without data', ['train', '--steps', '3'], /no training data/],
    ['rigs without action', ['rigs'], /missing action/],
    ['unknown bench', ['bench', 'warp'], /unknown benchmark 'warp'/],
    ['extra positional', ['export', 'extra', '--model', 'a', '--out', 'b'], /unexpected argument 'extra'/],
  ];
  for (const [name, argv, pattern] of cases) {
    it(name, async () => expectOneLineError(await runCli(argv), 2, pattern));
  }
});

describe('bad input to lift (exit 1, one line naming the problem)', () => {
  const lift = (input: string, ...extra: string[]) =>
    runCli(['lift', '--input', input, '--model', model.onnx, ...extra]);
  const pts = (n: number) => Array.from({ length: n }, (_, i) => [100 + 10 * i, 50 + ((7 * i) % 13) * 9]);

  it('a missing input file', async () => {
    expectOneLineError(await lift(join(dir, 'nope.json')), 1, /nope\.json: input file not found/);
  });
  it('a NaN coordinate (a Python-style NaN literal)', async () => {
    const f = file('nan.json', '{"points": [[1, 2], [NaN, 3], [4, 5], [6, 8]]}');
    expectOneLineError(await lift(f), 1, /nan\.json: contains a NaN coordinate/);
  });
  it('a coordinate that is not a number', async () => {
    const f = file('str.json', '{"points": [[1, 2], [3, "x"], [4, 5], [6, 8]]}');
    expectOneLineError(await lift(f), 1, /point 1: coordinates must be numbers/);
  });
  it('fewer than 3 visible points', async () => {
    const f = file('few.json', JSON.stringify({ points: [[1, 2], null, [5, 6], null] }));
    expectOneLineError(await lift(f), 1, /the input has 2 visible points; lifting needs at least 3/);
  });
  it('no points at all, in a file of one object and in a list', async () => {
    expectOneLineError(
      await lift(file('empty.json', '{"points": []}')),
      1,
      /empty\.json: the input has no points$/,
    );
    const list = file('empty-item.json', JSON.stringify([{ points: pts(5) }, { points: [] }]));
    expectOneLineError(await lift(list), 1, /empty-item\.json: item 1 has no points$/);
  });
  it('fewer than 3 visible points in one item of a list', async () => {
    const f = file('few-list.json', JSON.stringify([{ points: pts(5) }, { points: [[1, 2], null, null] }]));
    expectOneLineError(await lift(f), 1, /item 1 has 1 visible point; lifting needs at least 3/);
  });
  it("more points than the model's maximum", async () => {
    const f = file('many.json', JSON.stringify({ points: pts(41) }));
    expectOneLineError(await lift(f), 1, /41 points, but the model takes at most 40/);
  });
  it('an unknown rig, by flag and in the file', async () => {
    const f = file('four.json', JSON.stringify({ points: pts(4) }));
    expectOneLineError(
      await lift(f, '--rig', 'coco-71'),
      1,
      /unknown rig 'coco-71' \(did you mean 'coco-17'/,
    );
    const g = file('rig.json', JSON.stringify({ points: pts(4), rig: 'acme-robot' }));
    expectOneLineError(await lift(g), 1, /unknown rig 'acme-robot'/);
  });
  it('a rig of another size', async () => {
    const f = file('four.json', JSON.stringify({ points: pts(4) }));
    expectOneLineError(
      await lift(f, '--rig', 'coco-17'),
      1,
      /rig 'coco-17' has 17 joints, but the input has 4 points/,
    );
  });
  it('malformed files: broken JSON, an unknown layout, bad bones', async () => {
    expectOneLineError(
      await lift(file('broken.json', '{"points": [[1, 2], [3, 4]')),
      1,
      /broken\.json: invalid JSON/,
    );
    expectOneLineError(await lift(file('other.json', '{"foo": 1}')), 1, /unrecognised keypoint JSON/);
    const bones = file('bones.json', JSON.stringify({ points: pts(4), bones: [[0, 9]] }));
    expectOneLineError(
      await lift(bones),
      1,
      /"bones"\[0\] = \[0,9\] is not a pair of distinct point indices/,
    );
  });
  it('a missing, or non-model, model file', async () => {
    const f = file('four.json', JSON.stringify({ points: pts(4) }));
    expectOneLineError(
      await runCli(['lift', '--input', f, '--model', join(dir, 'none.onnx')]),
      1,
      /none\.onnx: model file not found/,
    );
    expectOneLineError(
      await runCli(['lift', '--input', f, '--model', f]),
      1,
      /four\.json: not a valid ONNX model/,
    );
  });
  it('a .ckpt that is no checkpoint is named as a bad checkpoint, not as bad ONNX', async () => {
    const f = file('four.json', JSON.stringify({ points: pts(4) }));
    const junk = file('junk.ckpt', 'not a checkpoint, just some text that is long enough');
    const bad = /junk\.ckpt: not a valid LFM checkpoint: bad magic \(expected "LFMCKPT1"/;
    expectOneLineError(await runCli(['lift', '--input', f, '--model', junk]), 1, bad);
    expectOneLineError(await runCli(['eval', '--data', demoData, '--model', junk, '--json']), 1, bad);
    // A checkpoint's magic wins over its name: a renamed checkpoint still runs.
    const renamed = file('tiny-ckpt.onnx', '');
    cpSync(model.ckpt, renamed);
    expect((await runCli(['lift', '--input', f, '--model', renamed])).code).toBe(0);
  });
  it('--runtime tfjs with an ONNX model is a usage error', async () => {
    const f = file('four.json', JSON.stringify({ points: pts(4) }));
    expectOneLineError(await lift(f, '--runtime', 'tfjs'), 2, /--runtime tfjs runs a checkpoint/);
  });
  it('a rig plugin that does not exist', async () => {
    const f = file('four.json', JSON.stringify({ points: pts(4) }));
    expectOneLineError(await lift(f, '--rig-plugin', './missing-rig.js'), 1, /rig plugin not found/);
  });
  it('no --model: the shipped model, or a clear message that there is none yet', async () => {
    const shipped = defaultModelCandidates().some((p) => existsSync(p));
    const r = await runCli(['lift', '--input', join(examples, 'hand.json')]);
    if (shipped) expect(r.code).toBe(0);
    else expectOneLineError(r, 1, new RegExp(`^lfm: error: ${NO_DEFAULT_MODEL}$`));
  });
  it('LFM_DEBUG=1 adds the stack trace', async () => {
    const r = await runCli(['lift', '--input', join(dir, 'nope.json'), '--model', model.onnx], {
      env: { LFM_DEBUG: '1' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('help and version', () => {
  it('lfm --help lists the commands; lfm CMD --help shows its flags', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['lift', 'eval', 'train', 'export', 'rigs', 'bench'])
      expect(top.stdout).toContain(`  ${c} `);
    const lift = await runCli(['lift', '--help']);
    expect(lift.code).toBe(0);
    expect(lift.stdout).toMatch(/--camera ortho\|persp/);
    expect((await runCli(['help', 'eval'])).stdout).toMatch(/--baseline/);
  });
  it('lfm --version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('lfm rigs', () => {
  it('list: every built-in rig, as a table and as JSON', async () => {
    const text = await runCli(['rigs', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^id\s+category\s+joints\s+bones/);
    expect(text.stdout).toMatch(/\ncoco-17\s+human-body\s+17\s+19\n/);
    const json = await runCli(['rigs', 'list', '--json']);
    const rigs = JSON.parse(json.stdout) as { id: string; joints: number; source: string }[];
    for (const id of ['coco-17', 'h36m-17', 'hand-21', 'ibug-face-68', 'mediapipe-pose-33']) {
      expect(rigs.find((r) => r.id === id)?.source).toBe('builtin');
    }
    expect(rigs.find((r) => r.id === 'hand-21')?.joints).toBe(21);
  });
  it('show: joints with mirror partners and neighbours; --json gives the RigSpecV1', async () => {
    const text = await runCli(['rigs', 'show', 'coco-17']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^coco-17 — human-body, 17 joints, 19 bones/);
    expect(text.stdout).toMatch(/\n5\s+left_shoulder\s+right_shoulder\s+/);
    const json = JSON.parse((await runCli(['rigs', 'show', 'hand-21', '--json'])).stdout);
    expect(json).toMatchObject({ specVersion: 1, id: 'hand-21', category: 'hand' });
    expect(json.joints).toHaveLength(21);
  });
  it('plugins: listed and shown next to the built-ins', async () => {
    const plugin = join(repoRoot, 'packages', 'rig', 'examples', 'my-rig.js');
    const list = JSON.parse((await runCli(['rigs', 'list', '--json', '--rig-plugin', plugin])).stdout);
    expect(list.find((r: { id: string }) => r.id === 'example-lamp')).toMatchObject({
      source: 'plugin',
      joints: 6,
    });
    const show = await runCli(['rigs', 'show', 'example-lamp', '--rig-plugin', plugin]);
    expect(show.stdout).toMatch(/^example-lamp — rigid-lamp, 6 joints, 5 bones/);
  });
  it('show of an unknown rig: one line with suggestions, exit 1', async () => {
    expectOneLineError(
      await runCli(['rigs', 'show', 'hand21']),
      1,
      /unknown rig 'hand21' \(did you mean 'hand-21'/,
    );
  });
  it('a plugin whose rig conflicts with a built-in', async () => {
    const bad = file(
      'conflict.mjs',
      "export default { id: 'coco-17', category: 'x', joints: ['a', 'b', 'c'], citation: 'test' };\n",
    );
    expectOneLineError(
      await runCli(['rigs', 'list', '--rig-plugin', bad]),
      1,
      /rig id 'coco-17' is already registered/,
    );
  });
});

describe('lfm bench', () => {
  it('lists the benchmarks without running any', async () => {
    const r = await runCli(['bench']);
    expect(r.code).toBe(0);
    for (const b of ['procrustes', 'pipeline', 'runtime', 'train'])
      expect(r.stdout).toMatch(new RegExp(`\\n${b}\\s`));
  });
  it('refuses --json for a benchmark without JSON output', async () => {
    expectOneLineError(await runCli(['bench', 'pipeline', '--json']), 2, /has no --json output/);
  });
});
