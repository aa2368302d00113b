import { describe, expect, it } from 'vitest';
import { InputError, ShapeError } from './errors.js';
import { nd } from './ndarray.js';
import { Rng } from './rng.js';
import {
  axisAngleToMatrix,
  eulerToMatrix,
  matrixToAxisAngle,
  matrixToQuaternion,
  quaternionToMatrix,
  randomRotation,
  randomRotations,
  rotatePoints,
  rotationAngleBetween,
  rotationFromQuaternion,
} from './rotation.js';

const DEG = Math.PI / 180;

function mul3(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const c = new Float64Array(9);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) c[3 * i + j]! += a[3 * i + k]! * b[3 * k + j]!;
  return c;
}
function transpose3(a: ArrayLike<number>): Float64Array {
  const t = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) t[3 * j + i] = a[3 * i + j]!;
  return t;
}
function det3(m: ArrayLike<number>): number {
  const [a, b, c, d, e, f, g, h, i] = Array.from(m) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
function expectRotation(R: ArrayLike<number>, tol = 1e-12): void {
  expect(maxDiff(mul3(transpose3(R), R), [1, 0, 0, 0, 1, 0, 0, 0, 1])).toBeLessThan(tol);
  expect(Math.abs(det3(R) - 1)).toBeLessThan(tol);
}
const Rx = (a: number) => [1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)];
const Ry = (a: number) => [Math.cos(a), 0, Math.sin(a), 0, 1, 0, -Math.sin(a), 0, Math.cos(a)];
const Rz = (a: number) => [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1];

describe('axisAngleToMatrix / matrixToAxisAngle', () => {
  it('known answers: 90° about z maps x to y; zero vector is the identity', () => {
    const R = axisAngleToMatrix([0, 0, Math.PI / 2]);
    expect(maxDiff(R, [0, -1, 0, 1, 0, 0, 0, 0, 1])).toBeLessThan(1e-15);
    expect(maxDiff(axisAngleToMatrix([0, 0, 0]), [1, 0, 0, 0, 1, 0, 0, 0, 1])).toBe(0);
    expect(maxDiff(axisAngleToMatrix([0.3, 0, 0]), Rx(0.3))).toBeLessThan(1e-15);
  });

  it('round-trips random rotation vectors, including tiny and near-π angles', () => {
    const rng = new Rng(1);
    const angles = [1e-12, 1e-7, 1e-5, 1e-3, 0.5, 2, 3, Math.PI - 1e-6, Math.PI - 1e-9];
    for (let t = 0; t < 200; t++) {
      const axis = [rng.normal(), rng.normal(), rng.normal()];
      const n = Math.hypot(...axis);
      const theta = t < angles.length ? angles[t]! : rng.range(0, Math.PI - 1e-3);
      const w = axis.map((a) => (a / n) * theta);
      const R = axisAngleToMatrix(w);
      expectRotation(R);
      const back = matrixToAxisAngle(R);
      // Near π the rotation vector is ill-conditioned (~ε/(π−θ)); compare matrices there.
      if (theta < 3) expect(maxDiff(back, w)).toBeLessThan(1e-11 * Math.max(1, theta));
      expect(maxDiff(axisAngleToMatrix(back), R)).toBeLessThan(1e-12);
    }
  });

  it('small-angle branch is continuous with the exact formula', () => {
    const a = axisAngleToMatrix([0.99999e-4, 0, 0]);
    const b = axisAngleToMatrix([1.00001e-4, 0, 0]);
    expect(maxDiff(a, Rx(0.99999e-4))).toBeLessThan(1e-17);
    expect(maxDiff(b, Rx(1.00001e-4))).toBeLessThan(1e-17);
  });

  it('matrixToAxisAngle of a π rotation has angle π', () => {
    const R = axisAngleToMatrix([0, Math.PI, 0]);
    const w = matrixToAxisAngle(R);
    expect(Math.hypot(...w)).toBeCloseTo(Math.PI, 12);
    expect(Math.abs(w[1]!)).toBeCloseTo(Math.PI, 12);
  });

  it('rejects wrong lengths and non-finite input', () => {
    expect(() => axisAngleToMatrix([1, 2])).toThrow(ShapeError);
    expect(() => axisAngleToMatrix([Number.NaN, 0, 0])).toThrow(InputError);
  });
});

describe('quaternions', () => {
  it('known answers: identity, 180° about x, and the (w,x,y,z) order', () => {
    expect(maxDiff(quaternionToMatrix([1, 0, 0, 0]), [1, 0, 0, 0, 1, 0, 0, 0, 1])).toBe(0);
    expect(maxDiff(quaternionToMatrix([0, 1, 0, 0]), [1, 0, 0, 0, -1, 0, 0, 0, -1])).toBe(0);
    const h = Math.SQRT1_2;
    expect(maxDiff(quaternionToMatrix([h, 0, 0, h]), Rz(Math.PI / 2))).toBeLessThan(1e-15);
    expect(maxDiff(matrixToQuaternion(Rz(Math.PI / 2)), [h, 0, 0, h])).toBeLessThan(1e-15);
  });

  it('normalises its input and rejects a zero quaternion', () => {
    expect(maxDiff(quaternionToMatrix([2, 0, 0, 2]), Rz(Math.PI / 2))).toBeLessThan(1e-15);
    expect(() => quaternionToMatrix([0, 0, 0, 0])).toThrow(InputError);
  });

  it('rotationFromQuaternion: any norm, at an offset, as quaternionToMatrix', () => {
    const out = new Float64Array(12).fill(7);
    rotationFromQuaternion(out, 3, -1, 2, 0.5, 2);
    expect(out[0]).toBe(7);
    expect(out[1]).toBe(7);
    expect(out[11]).toBe(7);
    expect(maxDiff(out.subarray(2, 11), quaternionToMatrix([3, -1, 2, 0.5]))).toBeLessThan(1e-15);
  });

  it('Shepperd round trip on every branch (w ≥ 0 canonical sign), incl. π rotations', () => {
    const rng = new Rng(2);
    const cases: number[][] = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
      [1e-9, 0.6, 0.8, 0],
      [-0.5, 0.5, 0.5, 0.5],
    ];
    for (let t = 0; t < 300; t++) cases.push([rng.normal(), rng.normal(), rng.normal(), rng.normal()]);
    const branches = new Set<number>();
    for (const q of cases) {
      const n = Math.hypot(...q) * (q[0]! < 0 ? -1 : 1);
      const qn = q.map((v) => v / n);
      const R = quaternionToMatrix(q);
      expectRotation(R);
      const back = matrixToQuaternion(R);
      expect(back[0]!).toBeGreaterThanOrEqual(0);
      if (qn[0]! > 1e-6) expect(maxDiff(back, qn)).toBeLessThan(1e-13);
      expect(maxDiff(quaternionToMatrix(back), R)).toBeLessThan(1e-14);
      const d = [R[0]! + R[4]! + R[8]!, R[0]!, R[4]!, R[8]!];
      branches.add(d.indexOf(Math.max(...d)));
    }
    expect(branches.size).toBe(4);
  });
});

describe('eulerToMatrix', () => {
  it('BVH channel order ZXY is Rz·Rx·Ry (column vectors), degrees option', () => {
    const [z, x, y] = [30, -45, 110];
    const R = eulerToMatrix([z, x, y], 'ZXY', { degrees: true });
    expect(maxDiff(R, mul3(mul3(Rz(z * DEG), Rx(x * DEG)), Ry(y * DEG)))).toBeLessThan(1e-15);
    expectRotation(R);
  });

  it('every order, lower case, repeated axes and single axes', () => {
    const rng = new Rng(3);
    const E = { X: Rx, Y: Ry, Z: Rz } as const;
    for (const order of ['XYZ', 'XZY', 'YXZ', 'YZX', 'ZXY', 'ZYX', 'ZXZ', 'xyz', 'Y']) {
      const a = Array.from(order, () => rng.range(-Math.PI, Math.PI));
      let want: ArrayLike<number> = [1, 0, 0, 0, 1, 0, 0, 0, 1];
      for (let i = 0; i < order.length; i++) {
        want = mul3(want, E[order[i]!.toUpperCase() as 'X' | 'Y' | 'Z'](a[i]!));
      }
      expect(maxDiff(eulerToMatrix(a, order), want)).toBeLessThan(1e-15);
    }
  });

  it('rejects a bad order', () => {
    expect(() => eulerToMatrix([1, 2, 3], 'ZXW')).toThrow(InputError);
    expect(() => eulerToMatrix([1, 2, 3], 'ZX')).toThrow(/one axis letter/);
  });
});

describe('random rotations', () => {
  it('are rotations, reproducible by seed', () => {
    const a = randomRotations(new Rng(7), 50);
    const b = randomRotations(new Rng(7), 50);
    expect(a.shape).toEqual([50, 3, 3]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    for (let i = 0; i < 50; i++) expectRotation(a.data.subarray(9 * i, 9 * i + 9));
  });

  it('are uniform on SO(3): E[R] = 0, E[tr R] = 0, E[(tr R)²] = 1, angle CDF (θ − sin θ)/π', () => {
    const n = 20000;
    const Rs = randomRotations(new Rng(11), n).data;
    const mean = new Float64Array(9);
    let tr1 = 0;
    let tr2 = 0;
    const angles: number[] = [];
    const I = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    for (let i = 0; i < n; i++) {
      const R = Rs.subarray(9 * i, 9 * i + 9);
      for (let k = 0; k < 9; k++) mean[k]! += R[k]! / n;
      const tr = R[0]! + R[4]! + R[8]!;
      tr1 += tr / n;
      tr2 += (tr * tr) / n;
      angles.push(rotationAngleBetween(I, R));
    }
    // Each entry has variance 1/3; 4.5 standard errors.
    const se = Math.sqrt(1 / 3 / n);
    for (const m of mean) expect(Math.abs(m)).toBeLessThan(4.5 * se);
    expect(Math.abs(tr1)).toBeLessThan(4.5 * Math.sqrt(1 / n));
    expect(Math.abs(tr2 - 1)).toBeLessThan(0.05);
    angles.sort((x, y) => x - y);
    let ks = 0;
    for (let i = 0; i < n; i++) {
      const t = angles[i]!;
      ks = Math.max(ks, Math.abs((i + 1) / n - (t - Math.sin(t)) / Math.PI));
    }
    expect(ks).toBeLessThan(1.63 / Math.sqrt(n)); // Kolmogorov–Smirnov at 1%
  });

  it('the angle test has power: uniformly distributed angles (not Haar) fail it', () => {
    const rng = new Rng(5);
    const n = 2000;
    const t = Array.from({ length: n }, () => rng.range(0, Math.PI)).sort((x, y) => x - y);
    let ks = 0;
    for (let i = 0; i < n; i++)
      ks = Math.max(ks, Math.abs((i + 1) / n - (t[i]! - Math.sin(t[i]!)) / Math.PI));
    expect(ks).toBeGreaterThan(1.63 / Math.sqrt(n));
  });
});

describe('rotationAngleBetween', () => {
  it('equals the generating angle, accurately near 0 and near π, symmetric', () => {
    const rng = new Rng(9);
    for (const theta of [0, 1e-9, 1e-4, 0.7, 2.5, Math.PI - 1e-7, Math.PI]) {
      const R1 = randomRotation(rng);
      const axis = [rng.normal(), rng.normal(), rng.normal()];
      const n = Math.hypot(...axis);
      const D = axisAngleToMatrix(axis.map((a) => (a / n) * theta));
      const R2 = mul3(R1, D);
      expect(rotationAngleBetween(R1, R2)).toBeCloseTo(theta, theta < 1e-3 ? 15 : 7);
      expect(rotationAngleBetween(R2, R1)).toBeCloseTo(theta, theta < 1e-3 ? 15 : 7);
    }
  });
});

describe('rotatePoints', () => {
  it('applies y = R x row by row, in place too', () => {
    const R = Rz(Math.PI / 2);
    const pts = nd(new Float32Array([1, 0, 0, 0, 2, 3]), [2, 3]);
    const y = rotatePoints(R, pts);
    expect(y.shape).toEqual([2, 3]);
    expect(maxDiff(y.data, [0, 1, 0, -2, 0, 3])).toBeLessThan(1e-15);
    const inPlace = nd(new Float64Array([1, 0, 0, 0, 2, 3]), [2, 3]);
    rotatePoints(R, inPlace, inPlace.data as Float64Array);
    expect(maxDiff(inPlace.data, y.data)).toBe(0);
    expect(() => rotatePoints(R, nd(new Float64Array(4), [2, 2]))).toThrow(ShapeError);
  });
});
