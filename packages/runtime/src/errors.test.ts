import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@lfm/core';
import { createOnnxRecorder, readModelMetadata } from '@lfm/onnx';
import { UnknownRigError } from '@lfm/rig';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DataFormatError,
  DegenerateError,
  getSessionFactory,
  InputError,
  type Lifter,
  LifterFormatError,
  listSessionFactories,
  loadLifter as loadLifterCore,
  OnnxFormatError,
  RuntimeUnavailableError,
  registerSessionFactory,
  ShapeError,
} from './index.js';
import { loadLifter, onnxruntimeNode, registerNodeRuntime } from './node.js';
import { makeModel, randomPixels } from './test-support/fixtures.js';

const model = makeModel({ maxPoints: 40 });
let lifter: Lifter;
const dir = mkdtempSync(join(tmpdir(), 'lfm-runtime-'));

beforeAll(async () => {
  lifter = await loadLifter(model.bytes);
});
afterAll(async () => {
  await lifter.release();
  rmSync(dir, { recursive: true, force: true });
});

const pts = randomPixels(new Rng(1), 17);

/** Asserts `run` rejects with `type` and a one-line message matching `pattern`. */
async function rejects(
  run: () => Promise<unknown>,
  type: abstract new (...a: never[]) => Error,
  pattern: RegExp,
) {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${type.name}`).toBeInstanceOf(type);
  const msg = (err as Error).message;
  expect(msg).toMatch(pattern);
  expect(msg.includes('\n'), `one line: ${msg}`).toBe(false);
}

describe('bad input gets a typed, one-line error', () => {
  it('wrong shapes → ShapeError', async () => {
    await rejects(
      () =>
        lifter.lift([
          [1, 2],
          [3, 4, 5],
          [6, 7],
        ]),
      ShapeError,
      /point 1 must be \[x, y\] or null, got \[3,4,5\]/,
    );
    await rejects(
      () => lifter.lift([[1, 2], 'a' as never, [6, 7]]),
      ShapeError,
      /point 1 must be \[x, y\] or null/,
    );
    await rejects(() => lifter.lift(new Float32Array(7)), ShapeError, /odd count/);
    await rejects(
      () => lifter.lift(new Float32Array(30), { batch: 4 }),
      ShapeError,
      /do not split into B = 4/,
    );
    await rejects(() => lifter.lift([]), ShapeError, /empty/);
    await rejects(() => lifter.lift([pts, []]), ShapeError, /sample 1 has no points/);
    // An empty point list inside a list (`{"points": []}` read by lfm lift) is a sample with no points.
    await rejects(() => lifter.lift([[]]), ShapeError, /^sample 0 has no points$/);
    await rejects(() => lifter.lift([[], pts]), ShapeError, /^sample 0 has no points$/);
    await rejects(
      () => lifter.lift(pts, { mask: [1, 1, 1] }),
      ShapeError,
      /mask has 3 values, but the points need N = 17/,
    );
    await rejects(() => lifter.lift([pts, pts], { mask: [[1, 1]] }), ShapeError, /mask must be \[B\]\[N\]/);
    await rejects(
      () => lifter.lift(pts, { rig: 'hand-21' }),
      ShapeError,
      /rig 'hand-21' has 21 joints, but the input has 17 points/,
    );
    await rejects(
      () => lifter.lift([pts, pts], { rig: ['coco-17'] }),
      ShapeError,
      /one entry per sample \(2\)/,
    );
    await rejects(() => lifter.lift('nope' as never), ShapeError, /points must be/);
  });

  it('NaN / Infinity at a visible point, or a null point marked visible → InputError', async () => {
    const nan = pts.map((p, i) => (i === 4 ? ([Number.NaN, 3] as [number, number]) : p));
    await rejects(() => lifter.lift(nan), InputError, /point 4 is visible but not finite \(NaN, 3\)/);
    await rejects(() => lifter.lift([pts, nan]), InputError, /sample 1, point 4 is visible but not finite/);
    const inf = Float32Array.from(pts.flat());
    inf[7] = Number.POSITIVE_INFINITY;
    await rejects(() => lifter.lift(inf), InputError, /point 3 is visible but not finite/);
    const holes = pts.map((p, i) => (i === 2 ? null : p));
    await rejects(
      () => lifter.lift(holes, { mask: pts.map(() => 1) }),
      InputError,
      /point 2 is null but its mask says visible/,
    );
    await rejects(
      () => lifter.lift(pts, { mask: pts.map(() => 0.5) }),
      InputError,
      /mask values must be 0\/false/,
    );
  });

  it('fewer than 3 visible points (4 for a perspective camera) → InputError', async () => {
    const two = pts.map((p, i) => (i < 2 ? p : null));
    await rejects(
      () => lifter.lift(two),
      InputError,
      /the input has 2 visible points; lifting needs at least 3/,
    );
    const mask = pts.map((_, i) => (i < 3 ? 1 : 0));
    // Exactly 3 visible points lift: those 3, and null at the masked ones.
    const three = await lifter.lift(pts, { mask });
    expect(three.mask).toEqual(mask.map((m) => m === 1));
    expect(three.points3d.slice(3)).toEqual(new Array(pts.length - 3).fill(null));
    expect(
      three.points3d
        .slice(0, 3)
        .flat()
        .every((v) => Number.isFinite(v)),
    ).toBe(true);
    await rejects(
      () => lifter.lift(pts, { mask, camera: { kind: 'persp', focal: 1000, cx: 0, cy: 0 } }),
      InputError,
      /3 visible points; lifting needs at least 4/,
    );
    await rejects(
      () => lifter.lift([pts, [null, null, null, [1, 2]]]),
      InputError,
      /sample 1 has 1 visible point;/,
    );
  });

  it("more points than the model's maxPoints → InputError", async () => {
    expect(lifter.info.maxPoints).toBe(40);
    const many = randomPixels(new Rng(2), 41);
    await rejects(
      () => lifter.lift(many),
      InputError,
      /the input has 41 points, but the model takes at most 40/,
    );
    await rejects(() => lifter.lift([pts, many]), InputError, /sample 1 has 41 points/);
    await rejects(
      () => lifter.forward({ points: new Float32Array(82), mask: new Float32Array(41), batch: 1 }),
      InputError,
      /at most 40/,
    );
    // maxPoints itself is accepted: every one of the 40 points is lifted.
    const atMax = await lifter.lift(many.slice(0, 40));
    expect(atMax.points3d).toHaveLength(40);
    expect(atMax.points3d.every((p) => p?.every((v) => Number.isFinite(v)) === true)).toBe(true);
  });

  it('coincident points → DegenerateError; unknown rig → UnknownRigError; bad bones and camera → InputError', async () => {
    await rejects(
      () =>
        lifter.lift([
          [5, 5],
          [5, 5],
          [5, 5],
        ]),
      DegenerateError,
      /zero extent/,
    );
    await rejects(
      () => lifter.lift(pts, { rig: 'coco-18' }),
      UnknownRigError,
      /unknown rig 'coco-18' \(did you mean 'coco-17'/,
    );
    await rejects(
      () => lifter.lift(pts, { bones: [[0, 17]] }),
      InputError,
      /bone #0 \[0,17\] of the input is not a pair/,
    );
    await rejects(
      () => lifter.lift(pts, { bones: [[2, 2]] }),
      InputError,
      /not a pair of distinct point indices/,
    );
    await rejects(
      () => lifter.lift(pts, { camera: { kind: 'persp', focal: -1, cx: 0, cy: 0 } }),
      InputError,
      /focal length must be > 0/,
    );
    await rejects(
      () => lifter.lift(pts, { camera: { fx: 1, fy: Number.NaN, cx: 0, cy: 0 } }),
      InputError,
      /fy must be a finite number/,
    );
    await rejects(
      () => lifter.lift(pts, { camera: { kind: 'fisheye' } as never }),
      InputError,
      /'ortho' or 'persp'/,
    );
  });

  it('forward() checks its arrays', async () => {
    await rejects(
      () => lifter.forward({ points: new Float32Array(10), mask: new Float32Array(5), batch: 1 }),
      ShapeError,
      /needs adj/,
    );
    await rejects(
      () =>
        lifter.forward({
          points: new Float32Array(9),
          mask: new Float32Array(5),
          adj: new Float32Array(25),
          batch: 1,
        }),
      ShapeError,
      /points have 9 values, need B·N·2 = 10/,
    );
    await rejects(
      () => lifter.forward({ points: new Float32Array(10), mask: new Float32Array(5), batch: 2 }),
      ShapeError,
      /not B·N/,
    );
  });
});

describe('a corrupt or foreign model file gets a clear error', () => {
  const write = (name: string, bytes: Uint8Array) => {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    return file;
  };

  it('a missing file, a directory, an empty file, random bytes → DataFormatError / OnnxFormatError naming the file', async () => {
    await rejects(
      () => loadLifter(join(dir, 'missing.onnx')),
      DataFormatError,
      /missing\.onnx: model file not found/,
    );
    await rejects(() => loadLifter(dir), DataFormatError, /is a directory/);
    await rejects(
      () => loadLifter(write('empty.onnx', new Uint8Array(0))),
      OnnxFormatError,
      /empty\.onnx: .*empty/,
    );
    const rng = new Rng(3);
    const noise = Uint8Array.from({ length: 4096 }, () => rng.int(256));
    await rejects(
      () => loadLifter(write('noise.onnx', noise)),
      OnnxFormatError,
      /noise\.onnx: not a valid ONNX model/,
    );
  });

  it('a truncated lifter → OnnxFormatError', async () => {
    const cut = model.bytes.subarray(0, Math.floor(model.bytes.length * 0.6));
    await rejects(() => loadLifter(write('cut.onnx', cut)), OnnxFormatError, /cut\.onnx: /);
    await rejects(() => loadLifter(cut), OnnxFormatError, /not a valid ONNX model|could not load/);
  });

  it('an ONNX model that is not an LFM lifter → LifterFormatError', async () => {
    const r = createOnnxRecorder({ dims: { B: 2 } });
    r.output('y', r.ops.mul(r.input('x', ['B', 3]), 2));
    await rejects(
      () => loadLifter(write('foreign.onnx', r.toModel())),
      LifterFormatError,
      /foreign\.onnx: not an LFM lifter/,
    );
  });

  it('lifter metadata on a graph with other inputs → LifterFormatError', async () => {
    const r = createOnnxRecorder({ dims: { B: 2, N: 3 } });
    r.output(
      'points3d',
      r.ops.concat([r.input('points', ['B', 'N', 2]), r.input('extra', ['B', 'N', 1])], -1),
    );
    const bytes = r.toModel({ metadata: readModelMetadata(model.bytes) });
    await rejects(
      () => loadLifter(bytes),
      LifterFormatError,
      /graph takes \[points, extra\] .* declares \[points, mask, adj\]/,
    );
  });

  it('bad sources and options', async () => {
    await rejects(
      () => loadLifter(42 as never),
      InputError,
      /pass a path\/URL string, a Uint8Array or an ArrayBuffer/,
    );
    await rejects(
      () => loadLifter(model.bytes, { threads: 0 }),
      InputError,
      /threads must be an integer ≥ 1 or 'auto'/,
    );
    const ab = model.bytes.slice().buffer;
    const fromBuffer = await loadLifter(ab);
    expect(fromBuffer.info.maxPoints).toBe(40);
    await fromBuffer.release();
    const fromFile = await loadLifter(write('ok.onnx', model.bytes));
    expect(fromFile.info.config).toEqual(model.config);
    await fromFile.release();
  });
});

describe('session factory registry', () => {
  it('registering the same factory twice is harmless; a different one under a taken name throws', () => {
    expect(registerNodeRuntime()).toBe(onnxruntimeNode);
    expect(registerSessionFactory(onnxruntimeNode)).toBe(onnxruntimeNode);
    expect(listSessionFactories()).toContain('onnxruntime-node');
    expect(getSessionFactory('onnxruntime-node')).toBe(onnxruntimeNode);
    expect(() => registerSessionFactory({ ...onnxruntimeNode })).toThrow(
      /already registered as 'onnxruntime-node'/,
    );
  });

  it('an unknown runtime → RuntimeUnavailableError saying what to import', async () => {
    expect(() => getSessionFactory('tensorrt')).toThrow(RuntimeUnavailableError);
    await rejects(
      () => loadLifterCore(model.bytes, { runtime: 'tensorrt' }),
      RuntimeUnavailableError,
      /@lfm\/runtime\/node/,
    );
  });

  it('the core loadLifter runs on a registered factory by name, or a factory object', async () => {
    const a = await loadLifterCore(model.bytes, { runtime: 'onnxruntime-node' });
    const b = await loadLifterCore(model.bytes, { runtime: onnxruntimeNode });
    const x = await a.lift(pts);
    expect((await b.lift(pts)).points3d).toEqual(x.points3d);
    await a.release();
    await b.release();
  });

  it('an engine that cannot be loaded → RuntimeUnavailableError naming the package', async () => {
    const { createOrtSessionFactory } = await import('./index.js');
    const missing = createOrtSessionFactory({
      name: 'onnxruntime-missing',
      load: () => Promise.reject(new Error("Cannot find package 'onnxruntime-missing'")),
      perSessionThreads: true,
      largeBatchThreads: () => 1,
      sessionOptions: () => ({}),
      readModel: () => Promise.reject(new Error('unused')),
    });
    await rejects(
      () => loadLifterCore(model.bytes, { runtime: missing }),
      RuntimeUnavailableError,
      /npm i onnxruntime-missing/,
    );
  });
});
