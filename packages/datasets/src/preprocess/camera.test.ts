import { InputError, quaternionToMatrix, Rng, randomRotation, ShapeError } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { numbers } from '../test-support/numbers.js';
import { CAMERA_MODELS, cameraModelCode, orbitCamera, projectPoints, transformPoints } from './camera.js';

const nd = (data: number[], shape: number[]) => ({ data: Float64Array.from(data), shape });
const intr = { fx: 800, fy: 600, cx: 320, cy: 240 };

describe('projectPoints', () => {
  it('pinhole: known answers u = fx·x/z + cx, v = fy·y/z + cy', () => {
    const pts = nd([0, 0, 5, 1, 2, 4, -3, 1.5, 10], [3, 3]);
    const { points2d, visible } = projectPoints(pts, { model: 'pinhole', intrinsics: intr });
    expect(points2d.shape).toEqual([3, 2]);
    expect(numbers(points2d.data)).toEqual([320, 240, 320 + 200, 240 + 300, 320 - 240, 240 + 90]);
    expect(numbers(visible.data)).toEqual([1, 1, 1]);
  });

  it('pinhole: a point at or behind the camera (z ≤ near) and a NaN point are invisible, written NaN', () => {
    const pts = nd([1, 1, 0, 1, 1, -2, 1, 1, 0.5, Number.NaN, Number.NaN, Number.NaN, 1, 1, 2], [5, 3]);
    const { points2d, visible } = projectPoints(pts, { model: 'pinhole', intrinsics: intr, near: 1 });
    expect(numbers(visible.data)).toEqual([0, 0, 0, 0, 1]);
    expect(Number.isNaN(points2d.data[0]!)).toBe(true);
    expect(points2d.data[8]).toBe(320 + 400);
  });

  it('orthographic ignores depth: u = fx·x + cx', () => {
    const pts = nd([1, 2, 5, 1, 2, -50], [2, 3]);
    const { points2d, visible } = projectPoints(pts, { model: 'orthographic', intrinsics: intr });
    expect(numbers(points2d.data)).toEqual([1120, 1440, 1120, 1440]);
    expect(numbers(visible.data)).toEqual([1, 1]);
  });

  it('weak perspective divides by one reference depth per sample (default: the mean z)', () => {
    // Sample 0: mean z = 4; sample 1: mean z = 10.
    const pts = nd([2, 0, 3, 0, 2, 5, 5, 5, 10, -5, 0, 10], [2, 2, 3]);
    const { points2d } = projectPoints(pts, { model: 'weak-perspective', intrinsics: intr });
    expect(points2d.shape).toEqual([2, 2, 2]);
    expect(numbers(points2d.data)).toEqual([
      320 + 400,
      240,
      320,
      240 + 300,
      320 + 400,
      240 + 300,
      320 - 400,
      240,
    ]);
    const fixed = projectPoints(pts, { model: 'weak-perspective', intrinsics: intr, depth: 2 });
    expect(fixed.points2d.data[0]).toBe(320 + 800);
  });

  it('weak perspective equals pinhole for a shape that is flat at depth z̄', () => {
    const rng = new Rng(3);
    const data = Array.from({ length: 30 }, (_, i) => (i % 3 === 2 ? 7 : rng.normal()));
    const a = projectPoints(nd(data, [10, 3]), { model: 'pinhole', intrinsics: intr });
    const b = projectPoints(nd(data, [10, 3]), { model: 'weak-perspective', intrinsics: intr });
    for (let i = 0; i < 20; i++) expect(b.points2d.data[i]).toBeCloseTo(a.points2d.data[i]!, 10);
  });

  it('errors: bad intrinsics, bad shape, unknown model, weak perspective with nothing in front', () => {
    const pts = nd([0, 0, 1], [1, 3]);
    expect(() => projectPoints(pts, { model: 'pinhole', intrinsics: { ...intr, fx: 0 } })).toThrow(
      InputError,
    );
    expect(() => projectPoints(nd([0, 0], [1, 2]), { model: 'pinhole', intrinsics: intr })).toThrow(
      ShapeError,
    );
    expect(() => projectPoints(pts, { model: 'fisheye' as 'pinhole', intrinsics: intr })).toThrow(
      /unknown camera/,
    );
    expect(() =>
      projectPoints(nd([0, 0, -1], [1, 3]), { model: 'weak-perspective', intrinsics: intr }),
    ).toThrow(/reference depth/);
  });

  it('camera model codes index CAMERA_MODELS', () => {
    for (const m of CAMERA_MODELS) expect(CAMERA_MODELS[cameraModelCode(m)]).toBe(m);
  });
});

describe('orbitCamera + transformPoints (camFromWorld)', () => {
  it('puts the centre at (0, 0, distance) and preserves distances', () => {
    const rng = new Rng(11);
    const R = randomRotation(rng);
    const center = [3, -2, 7];
    const cam = orbitCamera(R, center, 12);
    const c = transformPoints(cam, nd(center, [1, 3]));
    expect(c.data[0]).toBeCloseTo(0, 12);
    expect(c.data[1]).toBeCloseTo(0, 12);
    expect(c.data[2]).toBeCloseTo(12, 12);
    const p = [1, 2, 3, -4, 0.5, 9];
    const q = transformPoints(cam, nd(p, [2, 3])).data;
    const d = (a: ArrayLike<number>) => Math.hypot(a[0]! - a[3]!, a[1]! - a[4]!, a[2]! - a[5]!);
    expect(d(q)).toBeCloseTo(d(p), 12);
  });

  it('the identity view looks along +z: x right and y down project right and down', () => {
    const cam = orbitCamera(quaternionToMatrix([1, 0, 0, 0]), [0, 0, 0], 10);
    const pc = transformPoints(cam, nd([1, 0, 0, 0, 1, 0], [2, 3]));
    const { points2d } = projectPoints(pc, { model: 'pinhole', intrinsics: intr });
    expect(numbers(points2d.data)).toEqual([400, 240, 320, 300]);
  });
});
