import { Rng } from '@lfm/core';
import { akhterMarkersSequenceRigs, h36mBody } from '@lfm/rigs';
import { describe, expect, it } from 'vitest';
import { type BatchSource, createBatcher } from './batcher.js';
import { type Dataset, listDatasets, loadDataset } from './dataset.js';
import { createRealEvalSet, createSyntheticEvalSet } from './evaluation.js';
import { HAVE_SHARED_DATA, SHARED_DATA_DIR, warnIfMissing } from './test-support/shared-data.js';

warnIfMissing(HAVE_SHARED_DATA, 'batch pipeline on the shared datasets');

describe.skipIf(!HAVE_SHARED_DATA)('the batch pipeline on shared/data', async () => {
  const datasets: Dataset[] = HAVE_SHARED_DATA
    ? await Promise.all((await listDatasets(SHARED_DATA_DIR)).map((d) => loadDataset(d)))
    : [];
  const byName = new Map(datasets.map((d) => [d.name, d]));
  const sources: BatchSource[] = datasets.map((dataset) => ({ dataset }));
  const B = 64;
  const N = 64;

  it('balanced batches over all 20 datasets: categories drawn uniformly, every sample well formed', () => {
    const bt = createBatcher({ sources, batchSize: B, maxPoints: N, seed: 1 });
    const C = bt.sampler.categories.length;
    expect(C).toBe(13); // h36m-cams has no train frames; categories as in the README table
    expect(bt.sourceFrames[datasets.findIndex((d) => d.name === 'h36m-cams')]!.length).toBe(0);
    const perCategory = new Array(C).fill(0);
    const batches = 40;
    for (let k = 0; k < batches; k++) {
      const b = bt.next();
      for (let s = 0; s < B; s++) {
        perCategory[bt.sampler.sourceCategory[b.info.source[s]!]!]++;
        const v = b.info.numVisible[s]!;
        expect(v).toBeGreaterThanOrEqual(3);
        expect(b.info.numPoints[s]).toBeLessThanOrEqual(N);
        let ss = 0;
        let bad = 0;
        for (let i = 0; i < N; i++) {
          const k2 = s * N + i;
          const m = b.mask[k2]!;
          if (!(m === 0 || m === 1)) bad++;
          if (!(Math.abs(b.points2d[2 * k2]!) <= 1 + 1e-6 && Math.abs(b.points2d[2 * k2 + 1]!) <= 1 + 1e-6))
            bad++;
          if (m === 1)
            ss += b.target3d[3 * k2]! ** 2 + b.target3d[3 * k2 + 1]! ** 2 + b.target3d[3 * k2 + 2]! ** 2;
          if (b.adj[(s * N + i) * N + i] !== 1) bad++;
        }
        expect(bad).toBe(0);
        expect(Math.sqrt(ss / v)).toBeCloseTo(1, 4);
        expect(Number.isFinite(b.info.scale3d[s]!) && b.info.scale3d[s]! > 0).toBe(true);
      }
    }
    const draws = batches * B;
    for (let c = 0; c < C; c++) {
      const se = Math.sqrt(((1 / C) * (1 - 1 / C)) / draws);
      expect(Math.abs(perCategory[c] / draws - 1 / C), bt.sampler.categories[c]).toBeLessThan(4.5 * se);
    }
  });

  it('h36m-body: adjacency = the built-in rig’s bones under the sample’s permutation', () => {
    const ds = byName.get('h36m-body')!;
    const bt = createBatcher({
      sources: [{ dataset: ds, rig: h36mBody }],
      batchSize: B,
      maxPoints: 24,
      seed: 2,
    });
    const b = bt.next();
    const M = 24;
    const bones = new Set(h36mBody.boneIndices.flatMap(([x, y]) => [`${x},${y}`, `${y},${x}`]));
    for (let s = 0; s < B; s++)
      for (let i = 0; i < M; i++)
        for (let l = 0; l < M; l++) {
          if (i === l) continue;
          const on =
            b.mask[s * M + i] === 1 &&
            b.mask[s * M + l] === 1 &&
            bones.has(`${b.info.jointIndex[s * M + i]},${b.info.jointIndex[s * M + l]}`);
          expect(b.adj[(s * M + i) * M + l]).toBe(on ? 1 : 0);
        }
  });

  it('akhter-markers: each frame gets its own sequence’s bones (its marker order)', () => {
    const ds = byName.get('akhter-markers')!;
    const bt = createBatcher({
      sources: [{ dataset: ds, split: ['train', 'val', 'test'] }],
      batchSize: B,
      maxPoints: 41,
      seed: 3,
      augment: { permute: false, occlusion: { probability: 0, maxFraction: 0 } },
    });
    const b = bt.next();
    for (let s = 0; s < B; s++) {
      const f = b.info.frame[s]!;
      const seq = ds.sequences.find((q) => f >= q.start && f < q.start + q.count)!;
      const rig = akhterMarkersSequenceRigs[seq.id]!;
      for (const [x, y] of rig.boneIndices) expect(b.adj[(s * 41 + x) * 41 + y]).toBe(1);
      let off = 0;
      for (let i = 0; i < 41 * 41; i++) off += b.adj[s * 41 * 41 + i]!;
      expect(off).toBe(41 + 2 * rig.boneIndices.length);
    }
  });

  it('synthetic protocol on every test split: reproducible, finite, an image-sized projection', () => {
    for (const ds of datasets) {
      const set = createSyntheticEvalSet(ds, { seed: 0, limit: 32 });
      const again = createSyntheticEvalSet(ds, { seed: 0, limit: 32 });
      expect(Array.from(again.points2d), ds.name).toEqual(Array.from(set.points2d));
      expect(set.count, ds.name).toBe(
        Math.min(
          32,
          ds.sequences.filter((q) => q.split === 'test').reduce((a, q) => a + q.count, 0),
        ),
      );
      const J = set.numJoints;
      for (let s = 0; s < set.count; s++) {
        let visible = 0;
        for (let j = 0; j < J; j++) {
          if (!set.mask[s * J + j]) continue;
          visible++;
          // |x/z| ≤ max radius / (6 r − max radius): well inside ±1000 px for any real shape.
          expect(Math.abs(set.points2d[2 * (s * J + j)]!), ds.name).toBeLessThan(1000);
          expect(set.pointsCam[3 * (s * J + j) + 2]!, ds.name).toBeGreaterThan(0);
        }
        expect(visible, ds.name).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it('real protocol on h36m-cams: 4 cameras × 1383 frames; each camera’s 2D is a projective image of the 3D', () => {
    const ds = byName.get('h36m-cams')!;
    const set = createRealEvalSet(ds);
    expect(set.count).toBe(4 * 1383);
    expect(set.cameraIds).toEqual(['CAM_1', 'CAM_2', 'CAM_3', 'CAM_4']);
    // Fit a 3×4 camera matrix per view (DLT) to 2000 random correspondences: a real view of these
    // 3D points reprojects within a pixel (so the camera frame IS recoverable, e.g. for a calibrated
    // mpjpe); a misaligned frame, joint or view would be off by tens of pixels.
    const rng = new Rng(1);
    const J = 17;
    for (let v = 0; v < 4; v++) {
      const pairs: [number[], number[]][] = [];
      for (let n = 0; n < 2000; n++) {
        const s = v * 1383 + rng.int(1383);
        const j = rng.int(J);
        if (!set.mask[s * J + j]) continue;
        const k = s * J + j;
        pairs.push([
          [set.points3d[3 * k]!, set.points3d[3 * k + 1]!, set.points3d[3 * k + 2]!],
          [set.points2d[2 * k]!, set.points2d[2 * k + 1]!],
        ]);
      }
      const errors = reprojectionErrors(pairs).sort((a, b) => a - b);
      expect(errors[errors.length >> 1], `camera ${v} median px`).toBeLessThan(1); // measured 0.07–0.23 px
    }
  });
});

/** Linear DLT with P[2][3] = 1 on Hartley-normalised data; the reprojection error of each pair (px). */
function reprojectionErrors(pairs: [number[], number[]][]): number[] {
  const mean = (k: number, d: number) => pairs.reduce((a, p) => a + p[k]![d]!, 0) / pairs.length;
  const c3 = [0, 1, 2].map((d) => mean(0, d));
  const c2 = [0, 1].map((d) => mean(1, d));
  const s3 = Math.sqrt(
    pairs.reduce((a, p) => a + p[0].reduce((b, x, d) => b + (x - c3[d]!) ** 2, 0), 0) / pairs.length,
  );
  const s2 = Math.sqrt(
    pairs.reduce((a, p) => a + p[1].reduce((b, x, d) => b + (x - c2[d]!) ** 2, 0), 0) / pairs.length,
  );
  const norm = pairs.map(
    ([X, x]) => [X.map((q, d) => (q - c3[d]!) / s3), x.map((q, d) => (q - c2[d]!) / s2)] as const,
  );
  // Rows: [X 1 0 0 0 0 −uX] p = u, [0 0 0 0 X 1 −vX] p = v, 11 unknowns; normal equations.
  const A = Array.from({ length: 11 }, () => new Float64Array(12));
  for (const [X, x] of norm) {
    const h = [X[0]!, X[1]!, X[2]!, 1];
    for (let r = 0; r < 2; r++) {
      const row = new Float64Array(11);
      for (let k = 0; k < 4; k++) row[4 * r + k] = h[k]!;
      for (let k = 0; k < 3; k++) row[8 + k] = -x[r]! * X[k]!;
      for (let a = 0; a < 11; a++) {
        for (let b = 0; b < 11; b++) A[a]![b]! += row[a]! * row[b]!;
        A[a]![11]! += row[a]! * x[r]!;
      }
    }
  }
  for (let c = 0; c < 11; c++) {
    let p = c;
    for (let r = c + 1; r < 11; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
    [A[c], A[p]] = [A[p]!, A[c]!];
    for (let r = 0; r < 11; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / A[c]![c]!;
      for (let k = c; k < 12; k++) A[r]![k]! -= f * A[c]![k]!;
    }
  }
  const P = [...Array.from({ length: 11 }, (_, r) => A[r]![11]! / A[r]![r]!), 1];
  return norm.map(([X, x]) => {
    const w = P[8]! * X[0]! + P[9]! * X[1]! + P[10]! * X[2]! + P[11]!;
    const u = (P[0]! * X[0]! + P[1]! * X[1]! + P[2]! * X[2]! + P[3]!) / w;
    const v = (P[4]! * X[0]! + P[5]! * X[1]! + P[6]! * X[2]! + P[7]!) / w;
    return Math.hypot(u - x[0]!, v - x[1]!) * s2;
  });
}
