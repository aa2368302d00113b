import { InputError, Rng, ShapeError } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { adjacencyFromBones, DEFAULT_KNN_K, type Edge, knnAdjacency } from './graph.js';

const at = (a: Float32Array, N: number, b: number, i: number, j: number) => a[(b * N + i) * N + j]!;

/** Brute force kNN: for each present i, sort the other present points by (distance, slot). */
function bruteKnn(points: Float64Array, mask: Uint8Array, B: number, N: number, k: number): Uint8Array {
  const A = new Uint8Array(B * N * N);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < N; i++) A[(b * N + i) * N + i] = 1;
    const present = [...Array(N).keys()].filter((i) => mask[b * N + i] === 1);
    for (const i of present) {
      const d = (j: number) =>
        (points[2 * (b * N + j)]! - points[2 * (b * N + i)]!) ** 2 +
        (points[2 * (b * N + j) + 1]! - points[2 * (b * N + i) + 1]!) ** 2;
      const others = present.filter((j) => j !== i).sort((x, y) => d(x) - d(y) || x - y);
      for (const j of others.slice(0, k)) {
        A[(b * N + i) * N + j] = 1;
        A[(b * N + j) * N + i] = 1;
      }
    }
  }
  return A;
}

describe('knnAdjacency', () => {
  it.each([1, 2, 4, 7])(
    'matches brute force (k = %i), masked points excluded, symmetric, diagonal set',
    (k) => {
      const rng = new Rng(k);
      const B = 6;
      const N = 20;
      const points = Float64Array.from({ length: B * N * 2 }, () => rng.normal());
      const mask = Uint8Array.from({ length: B * N }, (_, i) => (i % N >= 17 || rng.uniform() < 0.2 ? 0 : 1));
      const got = knnAdjacency({ data: points, shape: [B, N, 2] }, { data: mask, shape: [B, N] }, { k });
      expect(got.shape).toEqual([B, N, N]);
      expect(Array.from(got.data)).toEqual(Array.from(bruteKnn(points, mask, B, N, k)));
      for (let b = 0; b < B; b++)
        for (let i = 0; i < N; i++)
          for (let j = 0; j < N; j++) expect(at(got.data, N, b, i, j)).toBe(at(got.data, N, b, j, i));
    },
  );

  it.each([1, 3, 4, 8])(
    'breaks distance ties by the lower slot, as a brute-force sort (grid points, k = %i)',
    (k) => {
      const rng = new Rng(100 + k);
      const B = 8;
      const N = 40;
      // Points on a 5×5 integer grid (many equal distances, duplicates too), shuffled across slots.
      const points = Float64Array.from({ length: B * N * 2 }, () => rng.int(5));
      const mask = Uint8Array.from({ length: B * N }, () => (rng.uniform() < 0.85 ? 1 : 0));
      const got = knnAdjacency({ data: points, shape: [B, N, 2] }, { data: mask, shape: [B, N] }, { k });
      expect(Array.from(got.data)).toEqual(Array.from(bruteKnn(points, mask, B, N, k)));
    },
  );

  it('each present point has ≥ k neighbours; with ≤ k + 1 present points all are linked', () => {
    const rng = new Rng(5);
    const N = 12;
    const points = Float64Array.from({ length: N * 2 }, () => rng.normal());
    const full = knnAdjacency(
      { data: points, shape: [1, N, 2] },
      { data: new Uint8Array(N).fill(1), shape: [1, N] },
    );
    for (let i = 0; i < N; i++) {
      let deg = 0;
      for (let j = 0; j < N; j++) if (j !== i) deg += full.data[i * N + j]!;
      expect(deg).toBeGreaterThanOrEqual(DEFAULT_KNN_K);
    }
    const mask = Uint8Array.from({ length: N }, (_, i) => (i < 4 ? 1 : 0));
    const few = knnAdjacency({ data: points, shape: [1, N, 2] }, { data: mask, shape: [1, N] }, { k: 3 });
    for (let i = 0; i < N; i++)
      for (let j = 0; j < N; j++) expect(few.data[i * N + j]).toBe(i === j || (i < 4 && j < 4) ? 1 : 0);
  });

  it('is invariant to a similarity transform of the points (raw or normalised input give one graph)', () => {
    const rng = new Rng(9);
    const N = 30;
    const p = Float64Array.from({ length: N * 2 }, () => rng.normal());
    const c = Math.cos(0.7);
    const s = Math.sin(0.7);
    const q = p.map((_, i) => {
      const x = p[i - (i % 2)]!;
      const y = p[i - (i % 2) + 1]!;
      return i % 2 === 0 ? 250 * (c * x - s * y) + 40 : 250 * (s * x + c * y) - 7;
    });
    const mask = { data: new Uint8Array(N).fill(1), shape: [1, N] };
    const a = knnAdjacency({ data: p, shape: [1, N, 2] }, mask);
    const b = knnAdjacency({ data: q, shape: [1, N, 2] }, mask);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  it('rejects a bad k and a wrong-size out', () => {
    const pts = { data: new Float64Array(8), shape: [1, 4, 2] };
    const mask = { data: new Uint8Array(4), shape: [1, 4] };
    expect(() => knnAdjacency(pts, mask, { k: 0 })).toThrow(InputError);
    expect(() => knnAdjacency(pts, mask, { out: new Float32Array(3) })).toThrow(ShapeError);
  });
});

describe('adjacencyFromBones', () => {
  const bones: Edge[] = [
    [0, 1],
    [1, 2],
    [2, 3],
    [1, 4],
  ];

  it('sets exactly the bones between present points, symmetric, plus the whole diagonal', () => {
    const N = 7; // 5 joints + 2 padding slots
    const mask = Float32Array.from([1, 1, 1, 0, 1, 0, 0]);
    const A = adjacencyFromBones(bones, { data: mask, shape: [1, N] });
    const want = new Set(['0,1', '1,0', '1,2', '2,1', '1,4', '4,1']); // [2,3]: joint 3 is masked
    for (let i = 0; i < N; i++)
      for (let j = 0; j < N; j++)
        expect(A.data[i * N + j], `${i},${j}`).toBe(i === j || want.has(`${i},${j}`) ? 1 : 0);
  });

  it('follows jointIndex: adj[a][b] = 1 iff the joints in slots a and b share a bone', () => {
    const rng = new Rng(2);
    const B = 5;
    const N = 8;
    const J = 5;
    const jointIndex = new Int32Array(B * N).fill(-1);
    const mask = new Float32Array(B * N);
    for (let b = 0; b < B; b++) {
      const perm = rng.permutation(J);
      for (let s = 0; s < J; s++) {
        jointIndex[b * N + s] = perm[s]!;
        mask[b * N + s] = 1;
      }
    }
    const A = adjacencyFromBones(
      bones,
      { data: mask, shape: [B, N] },
      { jointIndex: { data: jointIndex, shape: [B, N] } },
    );
    const isBone = (x: number, y: number) =>
      bones.some(([p, q]) => (p === x && q === y) || (p === y && q === x));
    for (let b = 0; b < B; b++)
      for (let s = 0; s < N; s++)
        for (let t = 0; t < N; t++) {
          const x = jointIndex[b * N + s]!;
          const y = jointIndex[b * N + t]!;
          const want = s === t || (x >= 0 && y >= 0 && isBone(x, y));
          expect(at(A.data, N, b, s, t)).toBe(want ? 1 : 0);
        }
  });

  it('errors: a bone outside the points, a negative index, a joint in two slots', () => {
    const mask = { data: new Float32Array(3).fill(1), shape: [1, 3] };
    expect(() => adjacencyFromBones([[0, 3]], mask)).toThrow(InputError);
    expect(() => adjacencyFromBones([[-1, 0]], mask)).toThrow(InputError);
    expect(() =>
      adjacencyFromBones([[0, 1]], mask, { jointIndex: { data: Int32Array.from([0, 0, 1]), shape: [1, 3] } }),
    ).toThrow(/two slots/);
  });
});
