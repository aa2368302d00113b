import { Rng } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { detectSymmetry, symmetryFrom2d } from './symmetry.js';
import { randomRotation } from './testing.js';

/**
 * A bilaterally symmetric shape in a random pose: `pairs` random points with x > 0 and their mirrors
 * (x → −x), `centre` points on x = 0, all turned by a random rotation, shifted, and with the joint
 * order shuffled. Returns the points [J, 3] and the true pairs in the shuffled order.
 */
function symmetricShape(rng: Rng, pairs: number, centre: number) {
  const raw: number[][] = [];
  const truth: [number, number][] = [];
  for (let p = 0; p < pairs; p++) {
    const x = 0.2 + rng.uniform();
    const y = rng.normal();
    const z = rng.normal();
    truth.push([raw.length, raw.length + 1]);
    raw.push([x, y, z], [-x, y, z]);
  }
  for (let c = 0; c < centre; c++) raw.push([0, rng.normal(), rng.normal()]);
  const J = raw.length;
  const order = Array.from({ length: J }, (_, i) => i);
  for (let i = J - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const where = new Array<number>(J);
  order.forEach((src, dst) => {
    where[src] = dst;
  });
  const R = new Float64Array(9);
  randomRotation(rng, R);
  const points = new Float64Array(3 * J);
  order.forEach((src, dst) => {
    const v = raw[src]!;
    for (let d = 0; d < 3; d++) {
      points[3 * dst + d] = 5 + 3 * (R[3 * d]! * v[0]! + R[3 * d + 1]! * v[1]! + R[3 * d + 2]! * v[2]!);
    }
  });
  const pairsOut = truth
    .map(([a, b]): [number, number] => [Math.min(where[a]!, where[b]!), Math.max(where[a]!, where[b]!)])
    .sort((p, q) => p[0] - q[0]);
  return { points, J, pairs: pairsOut, R };
}

describe('detectSymmetry', () => {
  it('finds every pair, the plane points and the plane of a symmetric shape in any pose and order', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 5; trial++) {
      const s = symmetricShape(rng, 8, 3);
      const r = detectSymmetry(s.points, s.J);
      expect(r.pairs).toEqual(s.pairs);
      expect(r.centre).toHaveLength(3);
      expect(r.coverage).toBeCloseTo(1, 12);
      expect(r.residual).toBeLessThan(1e-9);
      // The plane's normal is the rotated x axis (up to sign), and the plane points lie on it.
      const axis = [s.R[0]!, s.R[3]!, s.R[6]!];
      expect(Math.abs(axis[0]! * r.normal[0] + axis[1]! * r.normal[1] + axis[2]! * r.normal[2])).toBeCloseTo(
        1,
        9,
      );
      for (const c of r.centre) {
        const x = [0, 1, 2].map((d) => s.points[3 * c + d]!);
        expect(r.normal[0] * x[0]! + r.normal[1] * x[1]! + r.normal[2] * x[2]! - r.offset).toBeCloseTo(0, 9);
      }
    }
  });

  it('keeps the pairs within the tolerance when the points are noisy, and ignores unknown points', () => {
    const rng = new Rng(5);
    const s = symmetricShape(rng, 10, 2);
    const noisy = s.points.map((v) => v + 0.02 * rng.normal());
    const known = new Float64Array(s.J).fill(1);
    const [dropA] = s.pairs[0]!;
    known[dropA] = 0;
    noisy[3 * dropA] = Number.NaN;
    const r = detectSymmetry(noisy, s.J, known);
    expect(r.pairs).toEqual(s.pairs.slice(1));
    expect(r.residual).toBeGreaterThan(0);
    expect(r.residual).toBeLessThan(0.05);
  });

  it('explains little of an asymmetric point set', () => {
    const rng = new Rng(7);
    let coverage = 0;
    for (let trial = 0; trial < 10; trial++) {
      const J = 20;
      const points = Float64Array.from({ length: 3 * J }, () => rng.normal());
      coverage += detectSymmetry(points, J).coverage / 10;
    }
    expect(coverage).toBeLessThan(0.3);
  });

  it('rejects bad input with one-line errors', () => {
    expect(() => detectSymmetry(new Float64Array(3), 1)).toThrow(/needs 2\.\.400 points/);
    expect(() => detectSymmetry(new Float64Array(5), 2)).toThrow(/3·J = 6/);
  });
});

describe('symmetryFrom2d', () => {
  it('finds the pairs of a rigid symmetric shape from orthographic views alone', () => {
    const rng = new Rng(11);
    const s = symmetricShape(rng, 9, 4);
    const S = 30;
    const points2d = new Float64Array(S * s.J * 2);
    const R = new Float64Array(9);
    for (let v = 0; v < S; v++) {
      randomRotation(rng, R);
      for (let j = 0; j < s.J; j++) {
        for (let d = 0; d < 2; d++) {
          points2d[2 * (v * s.J + j) + d] =
            R[3 * d]! * s.points[3 * j]! +
            R[3 * d + 1]! * s.points[3 * j + 1]! +
            R[3 * d + 2]! * s.points[3 * j + 2]!;
        }
      }
    }
    const mask = new Uint8Array(S * s.J).fill(1);
    const r = symmetryFrom2d(points2d, mask, S, s.J, { rank: 1 });
    expect(r.views).toBe(S);
    expect(r.reprojection).toBeLessThan(1e-3);
    expect(r.pairs).toEqual(s.pairs);
    expect(r.centre).toHaveLength(4);
  });
});
