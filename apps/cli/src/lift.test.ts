import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkModel, readModelMetadata } from '@lfm/onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examples, makeTinyModel, repoRoot, runCli } from './test-support/cli.js';

type Vec3 = [number, number, number];
interface Camera {
  R: number[][];
  t: number[];
  s: number;
  kind: 'ortho' | 'persp';
  rmse: number;
}
interface Lifted {
  points3d: (Vec3 | null)[];
  camera: Camera;
  rig?: string;
  imageId?: number;
  score?: number;
}

const dir = mkdtempSync(join(tmpdir(), 'lfm-cli-lift-'));
let model: Awaited<ReturnType<typeof makeTinyModel>>;

beforeAll(async () => {
  model = await makeTinyModel(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function lift(input: string, ...extra: string[]): Promise<unknown> {
  const r = await runCli(['lift', '--input', join(examples, input), '--model', model.onnx, ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

/** points3d has N entries, finite [x, y, z] or null exactly where `missing` says; the camera is a rotation. */
function expectLifted(out: Lifted, N: number, missing: number[] = []): void {
  expect(Object.keys(out).slice(0, 2)).toEqual(['points3d', 'camera']);
  expect(out.points3d).toHaveLength(N);
  out.points3d.forEach((p, i) => {
    if (missing.includes(i)) expect(p, `point ${i}`).toBeNull();
    else {
      expect(p, `point ${i}`).toHaveLength(3);
      for (const v of p!) expect(Number.isFinite(v)).toBe(true);
    }
  });
  const R = out.camera.R;
  expect(R).toHaveLength(3);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const dot = R[i]!.reduce((a, _, k) => a + R[i]![k]! * R[j]![k]!, 0);
      expect(dot).toBeCloseTo(i === j ? 1 : 0, 5);
    }
  }
  expect(det(R)).toBeCloseTo(1, 5);
  expect(out.camera.s).toBeGreaterThan(0);
}

function det(R: number[][]): number {
  const [a, b, c] = R as [number[], number[], number[]];
  return (
    a[0]! * (b[1]! * c[2]! - b[2]! * c[1]!) -
    a[1]! * (b[0]! * c[2]! - b[2]! * c[0]!) +
    a[2]! * (b[0]! * c[1]! - b[1]! * c[0]!)
  );
}

function maxDiff(a: (Vec3 | null)[], b: (Vec3 | null)[]): number {
  let m = 0;
  a.forEach((p, i) => {
    const q = b[i];
    if (p === null || q === null) {
      expect(p).toBe(q);
      return;
    }
    for (let c = 0; c < 3; c++) m = Math.max(m, Math.abs(p[c]! - q![c]!));
  });
  return m;
}

describe('lfm lift on the examples', () => {
  it('our JSON, one object with a rig → one result', async () => {
    const out = (await lift('hand.json')) as Lifted;
    expectLifted(out, 21);
    expect(out.rig).toBe('hand-21');
    expect(out.camera.t).toHaveLength(2);
    expect(out.camera.kind).toBe('ortho');
  });

  it('null points stay null (face with two hidden jaw points)', async () => {
    const out = (await lift('face.json')) as Lifted;
    expectLifted(out, 68, [15, 16]);
  });

  it('a COCO result file → one result per detection, COCO-17 rig, image id and score kept', async () => {
    const out = (await lift('coco-body.json')) as Lifted[];
    expect(out).toHaveLength(2);
    expectLifted(out[0]!, 17);
    expectLifted(out[1]!, 17, [3]); // v = 0: the left ear
    expect(out.map((o) => [o.rig, o.imageId, o.score])).toEqual([
      ['coco-17', 1, 0.95],
      ['coco-17', 1, 0.85],
    ]);
  });

  it('points without a rig (kNN graph), a list of different sizes', async () => {
    const out = (await lift('no-rig.json')) as Lifted[];
    expect(out).toHaveLength(2);
    expectLifted(out[0]!, 8);
    expectLifted(out[1]!, 25, [8]);
    expect(out[0]!.rig).toBeUndefined();
  });

  it('MediaPipe landmarks with --image-size', async () => {
    const out = (await lift('mediapipe-hand.json', '--image-size', '1280x720')) as Lifted;
    expectLifted(out, 21);
    expect(out.rig).toBe('hand-21');
    // In pixels: the camera translation lies inside the image.
    expect(out.camera.t[0]).toBeGreaterThan(0);
    expect(out.camera.t[0]).toBeLessThan(1280);
  });

  it('--camera ortho: points3d in the camera frame = s·R·X + [t, 0] of the canonical X', async () => {
    const canon = (await lift('face.json')) as Lifted;
    const cam = (await lift('face.json', '--camera', 'ortho')) as Lifted;
    expectLifted(cam, 68, [15, 16]);
    const { R, t, s } = cam.camera;
    const expected = canon.points3d.map((X) =>
      X === null
        ? null
        : ([0, 1, 2].map((r) => s * R[r]!.reduce((a, v, k) => a + v * X[k]!, 0) + (t[r] ?? 0)) as Vec3),
    );
    expect(maxDiff(cam.points3d, expected)).toBeLessThan(1e-3 * s);
  });

  it('--camera persp: R·X + t, in front of the camera, with the intrinsics echoed', async () => {
    const canon = (await lift('hand.json')) as Lifted;
    const cam = (await lift(
      'hand.json',
      '--camera',
      'persp',
      '--focal',
      '1000',
      '--cx',
      '640',
      '--cy',
      '360',
    )) as Lifted & { camera: { fx: number; cx: number; cy: number } };
    expectLifted(cam, 21);
    expect(cam.camera).toMatchObject({ kind: 'persp', s: 1, fx: 1000, cx: 640, cy: 360 });
    expect(cam.camera.t).toHaveLength(3);
    const { R, t } = cam.camera;
    const expected = canon.points3d.map(
      (X) => [0, 1, 2].map((r) => R[r]!.reduce((a, v, k) => a + v * X![k]!, 0) + t[r]!) as Vec3,
    );
    expect(maxDiff(cam.points3d, expected)).toBeLessThan(1e-4);
    for (const p of cam.points3d) expect(p![2]).toBeGreaterThan(0);
  });

  it('negative flag values are numbers, not options', async () => {
    const cam = (await lift(
      'hand.json',
      '--camera',
      'persp',
      '--focal',
      '900',
      '--cx',
      '-20',
      '--cy',
      '-5.5',
    )) as Lifted;
    expect(cam.camera).toMatchObject({ cx: -20, cy: -5.5 });
  });

  it('--rig overrides the file; --out writes the same JSON atomically', async () => {
    const out = join(dir, 'out', 'hand-3d.json');
    const r = await runCli([
      'lift',
      '--input',
      join(examples, 'hand.json'),
      '--model',
      model.onnx,
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/wrote .*hand-3d\.json \(1 result\)/);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(await lift('hand.json', '--rig', 'hand-21'));
    expect(readdirSync(join(dir, 'out'))).toEqual(['hand-3d.json']); // no temporary file left
  });
});

describe('rig plugins', () => {
  it('--rig-plugin registers a third-party rig that --rig can name', async () => {
    const plugin = join(repoRoot, 'packages', 'rig', 'examples', 'my-rig.js');
    const input = join(dir, 'lamp.json');
    writeFileSync(
      input,
      JSON.stringify({
        points: [
          [300, 400],
          [305, 330],
          [320, 260],
          [380, 230],
          [440, 250],
          [450, 280],
        ],
      }),
    );
    const r = await runCli([
      'lift',
      '--input',
      input,
      '--model',
      model.onnx,
      '--rig-plugin',
      plugin,
      '--rig',
      'example-lamp',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Lifted;
    expectLifted(out, 6);
    expect(out.rig).toBe('example-lamp');
  });
});

describe('runtimes and model files', () => {
  it('a .ckpt runs on onnxruntime (exported in memory) exactly as its .onnx', async () => {
    const a = (await lift('face.json')) as Lifted;
    const r = await runCli(['lift', '--input', join(examples, 'face.json'), '--model', model.ckpt]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(a);
  });

  it('--runtime tfjs (forwardLifter on tfjs) matches onnxruntime, camera included', async () => {
    const onnx = (await lift('coco-body.json')) as Lifted[];
    const r = await runCli([
      'lift',
      '--input',
      join(examples, 'coco-body.json'),
      '--model',
      model.ckpt,
      '--runtime',
      'tfjs',
      '--backend',
      'cpu',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const tfjs = JSON.parse(r.stdout) as Lifted[];
    for (let b = 0; b < 2; b++) {
      expect(maxDiff(tfjs[b]!.points3d, onnx[b]!.points3d)).toBeLessThan(1e-4);
      expect(tfjs[b]!.camera.s).toBeCloseTo(onnx[b]!.camera.s, 2);
    }
  }, 120_000);

  it('a mirror-pair model (mirrorPairs) lifts a rig on onnxruntime and --runtime tfjs alike, its pairs fed', async () => {
    const m = await makeTinyModel(join(dir, 'pairs'), { mirrorPairs: true }, 'pairs');
    const run = async (...extra: string[]) => {
      const r = await runCli(['lift', '--input', join(examples, 'coco-body.json'), ...extra]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as Lifted[];
    };
    const onnx = await run('--model', m.onnx);
    const tfjs = await run('--model', m.ckpt, '--runtime', 'tfjs', '--backend', 'cpu');
    for (let b = 0; b < 2; b++) {
      expectLifted(onnx[b]!, onnx[b]!.points3d.length, missingOf(onnx[b]!));
      expect(maxDiff(tfjs[b]!.points3d, onnx[b]!.points3d)).toBeLessThan(1e-4);
    }
  }, 120_000);
});

/** The indices of a lift's null points. */
function missingOf(out: Lifted): number[] {
  return out.points3d.flatMap((p, i) => (p === null ? [i] : []));
}

describe('lfm export', () => {
  it('writes an ONNX model that passes checkModel and lifts like the checkpoint', async () => {
    const out = join(dir, 'exported', 'model.onnx');
    const r = await runCli(['export', '--model', model.ckpt, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^wrote .*model\.onnx \(\d+\.\d KiB; D=16, L=1, hybrid attention, max points 72\)\n$/,
    );
    const bytes = new Uint8Array(readFileSync(out));
    const summary = checkModel(bytes);
    expect(summary.inputs.map((i) => i.name)).toEqual(['points', 'mask', 'adj']);
    const meta = readModelMetadata(bytes);
    expect(meta['lfm.format']).toBe('lfm-lifter/1');
    expect(meta['lfm.producer']).toMatch(/^@lfm\/cli@\d+\.\d+\.\d+ exportLifter$/);
    expect(readdirSync(join(dir, 'exported'))).toEqual(['model.onnx']);
    const a = await runCli(['lift', '--input', join(examples, 'hand.json'), '--model', out]);
    expect(JSON.parse(a.stdout)).toEqual(await lift('hand.json'));
  });

  it('without --out writes next to the checkpoint (same name, .onnx), not into the working directory', async () => {
    const cwd = join(dir, 'default-out');
    mkdirSync(join(cwd, 'runs', 'tiny'), { recursive: true });
    copyFileSync(model.ckpt, join(cwd, 'runs', 'tiny', 'best.ckpt'));
    const r = await runCli(['export', '--model', 'runs/tiny/best.ckpt'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote runs\/tiny\/best\.onnx \(\d+\.\d KiB; D=16, L=1,/);
    expect(readdirSync(cwd)).toEqual(['runs']);
    expect(readdirSync(join(cwd, 'runs', 'tiny')).sort()).toEqual(['best.ckpt', 'best.onnx']);
    const bytes = new Uint8Array(readFileSync(join(cwd, 'runs', 'tiny', 'best.onnx')));
    expect(checkModel(bytes).inputs.map((i) => i.name)).toEqual(['points', 'mask', 'adj']);
    expect(readModelMetadata(bytes)['lfm.format']).toBe('lfm-lifter/1');
  });

  it('never writes over the checkpoint it reads', async () => {
    const ckpt = join(dir, 'odd-name.onnx');
    copyFileSync(model.ckpt, ckpt);
    const before = readFileSync(ckpt);
    const r = await runCli(['export', '--model', ckpt]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/odd-name\.onnx is the checkpoint itself; pass another --out FILE\.onnx/);
    expect(readFileSync(ckpt).equals(before)).toBe(true);
  });

  it('--help gives the default output', async () => {
    const r = await runCli(['export', '--help']);
    expect(r.stdout).toMatch(/^Usage: lfm export --model CKPT \[--out FILE\.onnx\]/);
    expect(r.stdout).toMatch(/default: next to the checkpoint/);
  });

  it('refuses what is not a lifter checkpoint', async () => {
    const r = await runCli(['export', '--model', model.onnx, '--out', join(dir, 'x.onnx')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lfm: error: .*tiny\.onnx: not an LFM checkpoint/);
  });
});
