import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset, writeDataset } from '@lfm/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoData, examples, makeTinyModel, runCli } from './test-support/cli.js';

// `lfm adapt` end to end on a tiny camera-head lifter with joint codes (seconds): the adapted model
// is what `lfm eval` and `lfm lift --rig` then run, with the adapted codes; bad input fails in one
// line and writes nothing.

const dir = mkdtempSync(join(tmpdir(), 'lfm-cli-adapt-'));
const quadruped = join(demoData, 'demo-quadruped');
let model: Awaited<ReturnType<typeof makeTinyModel>>;
let plugin: string;
let input: string;

beforeAll(async () => {
  model = await makeTinyModel(dir, { jointCodes: 4, head: 'camera', codedRigs: ['demo-human'] });
  // "Define the rig": a rig plugin for the demo quadruped (its meta.json's joints and bones).
  const ds = await loadDataset(quadruped);
  plugin = join(dir, 'quadruped-rig.mjs');
  const spec = {
    id: 'demo-quadruped',
    category: 'quadruped',
    joints: ds.joints,
    bones: ds.edges.map(([i, j]) => [ds.joints[i], ds.joints[j]]),
    mirror: ds.symmetry.map(([i, j]) => [ds.joints[i], ds.joints[j]]),
    citation: 'LFM demo data',
  };
  writeFileSync(plugin, `export const rig = ${JSON.stringify(spec)};\n`);
  // One frame's 2D (an orthographic view of frame 0, pixels) to lift.
  const J = ds.numJoints;
  const pts = Array.from({ length: J }, (_, j) => [
    500 + 300 * ds.points[3 * j]!,
    400 - 300 * ds.points[3 * j + 1]! + 60 * ds.points[3 * j + 2]!,
  ]);
  input = join(dir, 'frame.json');
  writeFileSync(input, JSON.stringify({ points: pts }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function ok(argv: string[]) {
  const r = await runCli(argv, { env: { CI: 'true' } });
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** A failed run: exit `code`, ONE stderr line `lfm: error: …` matching `message`, `out` not written. */
async function fails(argv: string[], message: RegExp, out: string, code = 1) {
  const r = await runCli(argv, { env: { CI: 'true' } });
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines.at(-1)).toMatch(/^lfm: error: /);
  expect(lines.filter((l) => l.startsWith('lfm: error:'))).toHaveLength(1);
  expect(lines.at(-1)).toMatch(message);
  expect(existsSync(out)).toBe(false);
}

/** `lfm adapt` of the demo quadruped from the tiny base model, writing `out`. */
const adaptQuadruped = (out: string, ...extra: string[]) =>
  ok(['adapt', '--data', quadruped, '--model', model.ckpt, '--out', out, ...extra]);

describe('lfm adapt', () => {
  it('--data demo-quadruped --steps 5 --adapt codes: the model it writes is what lfm eval and lfm lift --rig run, with the adapted codes', async () => {
    const out = join(dir, 'quadruped.onnx');
    const r = await adaptQuadruped(out, '--steps', '5', '--adapt', 'codes', '--json');
    const summary = JSON.parse(r.stdout) as {
      rigs: { id: string; samples: number; init: string }[];
      mode: string;
      steps: number;
      initial: { total: number; reprojection: number; multiView: null };
      final: { total: number };
    };
    expect(summary.rigs).toEqual([
      { id: 'demo-quadruped', numJoints: 25, samples: 200, multiViewGroups: 0, init: 'zeros' },
    ]);
    expect(summary.steps).toBe(5);
    expect(summary.mode).toBe('codes');
    expect(summary.initial.multiView).toBeNull(); // one view per frame: no multi-view term
    expect(Number.isFinite(summary.final.total)).toBe(true);
    expect(r.stderr).toMatch(/^adapt demo-quadruped: 200 samples of 25 joints, initial codes zeros$/m);
    expect(r.stderr).toMatch(/^lfm: wrote .*quadruped\.onnx \(rigs: demo-quadruped\)$/m);

    // lfm eval: the adapted model (its codes for demo-quadruped) vs the base (zero codes: an unknown rig).
    const evalOf = async (m: string) =>
      (
        JSON.parse((await ok(['eval', '--data', quadruped, '--model', m, '--json'])).stdout) as {
          datasets: { nPaMpjpe: number }[];
        }
      ).datasets[0]!.nPaMpjpe;
    const [adapted, zeroShot] = [await evalOf(out), await evalOf(model.onnx)];
    expect(adapted).not.toBe(zeroShot);

    // lfm lift --rig demo-quadruped (the rig from a plugin): the adapted codes change the output.
    const lift = async (m: string, rig = ['--rig', 'demo-quadruped']) =>
      (
        JSON.parse(
          (await ok(['lift', '--rig-plugin', plugin, ...rig, '--model', m, '--input', input])).stdout,
        ) as {
          points3d: number[][];
        }
      ).points3d;
    const [a, b] = [await lift(out), await lift(model.onnx)];
    expect(a).toHaveLength(25);
    expect(a).not.toEqual(b);
    // The same points with the rig's bones but no rig id get zero codes: the base model's output.
    const bones = JSON.parse(readFileSync(input, 'utf8')) as { points: number[][] };
    const ds = await loadDataset(quadruped);
    const noRig = join(dir, 'frame-bones.json');
    writeFileSync(noRig, JSON.stringify({ ...bones, bones: ds.edges }));
    const lifted = async (m: string) =>
      (JSON.parse((await ok(['lift', '--model', m, '--input', noRig])).stdout) as { points3d: number[][] })
        .points3d;
    expect(await lifted(out)).toEqual(await lifted(model.onnx));
    expect(await lifted(model.onnx)).toEqual(b);

    // An adapted .onnx is a base too: its table is where the next adaptation starts.
    const again = await ok([
      'adapt',
      '--data',
      quadruped,
      '--model',
      out,
      '--out',
      join(dir, 'again.onnx'),
      '--steps',
      '1',
      '--json',
    ]);
    expect((JSON.parse(again.stdout) as { rigs: { init: string }[] }).rigs[0]!.init).toBe('adapted');
  });

  it('single-view data without --adapt: the last layers are adapted too (SINGLE_VIEW_ADAPT_MODE)', async () => {
    const r = await adaptQuadruped(join(dir, 'quadruped-default.onnx'), '--steps', '1', '--json');
    expect((JSON.parse(r.stdout) as { mode: string }).mode).toBe('last-layers');
  });

  it('--input FILE --rig ID: a DeepLabCut CSV with the rig from its config.yaml', async () => {
    const rigFile = join(dir, 'dlc-rig.js');
    await ok([
      'rigs',
      'from-dlc',
      join(examples, 'trackers', 'dlc-quadruped', 'config.yaml'),
      '--id',
      'my-quadruped',
      '--out',
      rigFile,
    ]);
    const csv = join(examples, 'trackers', 'dlc-quadruped', 'predictions.csv');
    const out = join(dir, 'dlc.onnx');
    const r = await ok([
      'adapt',
      '--rig-plugin',
      rigFile,
      '--rig',
      'my-quadruped',
      '--input',
      csv,
      '--model',
      model.ckpt,
      '--out',
      out,
      '--steps',
      '2',
      '--weight',
      'lowRank=0',
      '--json',
    ]);
    const summary = JSON.parse(r.stdout) as {
      rigs: { id: string; samples: number }[];
      final: { lowRank: number | null };
    };
    expect(summary.rigs[0]).toMatchObject({ id: 'my-quadruped', samples: 6 });
    expect(summary.final.lowRank).toBeNull(); // --weight lowRank=0 drops the term
    const lifted = await ok([
      'lift',
      '--rig-plugin',
      rigFile,
      '--model',
      out,
      '--input',
      csv,
      '--out',
      join(dir, 'dlc.json'),
    ]);
    expect(lifted.stderr).toMatch(/wrote .*dlc\.json \(1 track, 6 frames\)/);
  });
});

describe('lfm adapt: bad input — one line, nothing written', () => {
  const out = () => join(dir, `bad-${Math.random().toString(36).slice(2)}.onnx`);

  it('a folder with no 2D: --protocol real without views.f32; no dataset folder at all', async () => {
    const o = out();
    await fails(
      ['adapt', '--data', quadruped, '--protocol', 'real', '--model', model.ckpt, '--out', o],
      /demo-quadruped: no 2D from real cameras \(views\.f32\); use --protocol synthetic/,
      o,
    );
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    await fails(
      ['adapt', '--data', empty, '--model', model.ckpt, '--out', o],
      /neither a dataset folder \(meta\.json\) nor a folder of datasets/,
      o,
    );
  });

  it('fewer than 3 visible points in every frame', async () => {
    const ds = await loadDataset(quadruped);
    const J = ds.numJoints;
    const points = ds.points.slice();
    for (let i = 0; i < points.length / 3; i++) if (i % J >= 2) points.fill(Number.NaN, 3 * i, 3 * i + 3);
    const sparse = join(dir, 'sparse');
    await writeDataset(sparse, { ...ds, name: 'sparse', points });
    const o = out();
    await fails(
      ['adapt', '--data', sparse, '--model', model.ckpt, '--out', o],
      /sparse: no frame of split train has 3 or more visible points/,
      o,
    );
  });

  it('a rig that disagrees with the data (J)', async () => {
    const o = out();
    await fails(
      ['adapt', '--data', quadruped, '--rig', 'coco-17', '--model', model.ckpt, '--out', o],
      /the data has 25 joints, rig coco-17 has 17; the rig must match the data/,
      o,
    );
    await fails(
      [
        'adapt',
        '--input',
        join(examples, 'trackers', 'dlc-quadruped', 'predictions.csv'),
        '--rig',
        'coco-17',
        '--model',
        model.ckpt,
        '--out',
        o,
      ],
      /track 0 has 25 points, but rig coco-17 has 17 joints \(the rig must match the data\)/,
      o,
    );
  });

  it('usage: --out is required and an .onnx; --input needs --rig; unknown terms', async () => {
    const o = join(dir, 'x.json');
    await fails(['adapt', '--data', quadruped], /--out FILE\.onnx is required/, o, 2);
    await fails(['adapt', '--data', quadruped, '--out', o], /--out must be an \.onnx file/, o, 2);
    const o2 = out();
    await fails(['adapt', '--input', input, '--out', o2], /--input needs --rig ID/, o2, 2);
    await fails(
      ['adapt', '--data', quadruped, '--out', o2, '--weight', 'flat=1'],
      /--weight must be TERM=W/,
      o2,
      2,
    );
    await fails(['adapt', '--out', o2], /--data DIR or --input FILE is required/, o2, 2);
  });
});
