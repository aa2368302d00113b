import { describe, expect, it } from 'vitest';
import {
  alongCamera,
  frameOf,
  IDENTITY,
  type Mat3,
  mul,
  orbitDrag,
  orbitZoom,
  projector,
  rotX,
  rotY,
} from './view3d.js';

const det = (m: Mat3) =>
  m[0] * (m[4] * m[8] - m[5] * m[7]) -
  m[1] * (m[3] * m[8] - m[5] * m[6]) +
  m[2] * (m[3] * m[7] - m[4] * m[6]);

describe('3D view math', () => {
  it('keeps the orbit a rotation after many drags', () => {
    let o = { rotation: IDENTITY, zoom: 1 };
    for (let i = 0; i < 500; i++) o = orbitDrag(o, 7, -3);
    const rrt = mul(o.rotation, [
      o.rotation[0],
      o.rotation[3],
      o.rotation[6],
      o.rotation[1],
      o.rotation[4],
      o.rotation[7],
      o.rotation[2],
      o.rotation[5],
      o.rotation[8],
    ]);
    rrt.forEach((v, i) => {
      expect(v).toBeCloseTo(IDENTITY[i]!, 10);
    });
    expect(det(o.rotation)).toBeCloseTo(1, 10);
  });

  it('turns the front of the shape with the drag', () => {
    const frame = frameOf([
      [0, 0, -1],
      [0, 0, 1],
    ]);
    const front = [0, 0, -1] as const; // nearer the viewer (z away from the viewer)
    const p0 = projector({ rotation: IDENTITY, zoom: 1 }, frame, 400, 400)(front)!;
    const right = projector(orbitDrag({ rotation: IDENTITY, zoom: 1 }, 20, 0), frame, 400, 400)(front)!;
    const down = projector(orbitDrag({ rotation: IDENTITY, zoom: 1 }, 0, 20), frame, 400, 400)(front)!;
    expect(right.x).toBeGreaterThan(p0.x);
    expect(down.y).toBeGreaterThan(p0.y);
  });

  it('projects with perspective: the image y axis down, nearer points larger', () => {
    const frame = { center: [0, 0, 0] as const, radius: 1 };
    const proj = projector({ rotation: IDENTITY, zoom: 1 }, frame, 200, 100);
    expect(proj([0, 0, 0])).toEqual({ x: 100, y: 50, depth: 3 });
    expect(proj([0, 1, 0])!.y).toBeGreaterThan(50);
    expect(Math.abs(proj([1, 0, -1])!.x - 100)).toBeGreaterThan(Math.abs(proj([1, 0, 1])!.x - 100));
    expect(proj([0, 0, -3])).toBeNull(); // behind the viewer
  });

  it('zooms out on a positive wheel delta, within limits', () => {
    const o = { rotation: IDENTITY, zoom: 1 };
    expect(orbitZoom(o, 100).zoom).toBeGreaterThan(1);
    expect(orbitZoom(o, -100).zoom).toBeLessThan(1);
    expect(orbitZoom(o, 1e6).zoom).toBe(8);
  });

  it('frames the present points and hides the camera glyph when looking along it', () => {
    const f = frameOf([[1, 1, 1], null, [3, 1, 1]]);
    expect(f.center).toEqual([2, 1, 1]);
    expect(f.radius).toBe(1);
    expect(alongCamera(IDENTITY, IDENTITY)).toBe(true);
    expect(alongCamera(rotY(0.1), IDENTITY)).toBe(true);
    expect(alongCamera(rotX(Math.PI / 2), IDENTITY)).toBe(false);
  });
});
