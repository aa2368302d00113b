import { type Ops, Rng, randomRotation } from '@lfm/core';
import { createReferenceOps, type RefTensor, refTensor } from '@lfm/core/testing';
import { buildTrainingGraph, createOnnxRecorder, type Sym } from '@lfm/onnx';
import { describe, expect, it } from 'vitest';
import {
  baseRegularizerOps,
  boneLengthLossOps,
  cameraFitOps,
  canonicalizationLossOps,
  loadOnnxRuntime,
  lowRankLossOps,
  multiViewLossOps,
  normalizeShapeOps,
  reprojectionLossOps,
  rotatedViewOps,
  shapeDistancePerSampleOps,
} from './index.js';

// Each term of the 2D-only adaptation objective (adapt-loss.ts): a case with a known answer on the
// Float64 reference engine, and its gradient — the graph engine's reverse-mode training graph run on
// onnxruntime (float32) — against central finite differences of the same code in Float64.

const ref = createReferenceOps();
const value = (t: RefTensor) => t.data[0]!;

type Tensors = Record<string, { data: ArrayLike<number>; shape: number[] }>;
type Term = <T>(ops: Ops<T>, x: Record<string, T>) => T;

/** The term on the reference engine at `inputs`. */
function evalRef(term: Term, inputs: Tensors): number {
  const x = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, refTensor(v.data, v.shape)]));
  return value(term(ref, x));
}

/**
 * The term's gradient with respect to the inputs `wrt` from its ONNX training graph, against central
 * differences of `evalRef` at every (or `picks` random) coordinate. Returns the worst error relative
 * to the largest gradient entry.
 */
async function gradientError(
  term: Term,
  inputs: Tensors,
  wrt: readonly string[],
  picks = 40,
): Promise<number> {
  const r = createOnnxRecorder();
  const syms: Record<string, Sym> = {};
  for (const [k, v] of Object.entries(inputs)) syms[k] = r.input(k, v.shape);
  const tg = buildTrainingGraph(r, { loss: term(r.ops, syms), params: [], inputs: [...wrt] });
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(tg.toModel(), { intraOpNumThreads: 1 });
  const feeds = Object.fromEntries(
    tg.inputNames.map((k) => [
      k,
      new ort.Tensor('float32', Float32Array.from(inputs[k]!.data), inputs[k]!.shape),
    ]),
  );
  const out = await session.run(feeds);
  await session.release();
  const rng = new Rng(17);
  let worst = 0;
  for (const name of wrt) {
    const got = out[tg.gradients[name]!]!.data as Float32Array;
    const base = Float64Array.from(inputs[name]!.data);
    const scale = Math.max(...Array.from(got, Math.abs), 1e-9);
    const idx =
      base.length <= picks
        ? Array.from(base, (_, i) => i)
        : Array.from({ length: picks }, () => rng.int(base.length));
    for (const i of idx) {
      const h = 1e-6 * Math.max(1, Math.abs(base[i]!));
      const at = (v: number) => {
        const moved = base.slice();
        moved[i] = v;
        return evalRef(term, { ...inputs, [name]: { data: moved, shape: inputs[name]!.shape } });
      };
      const fd = (at(base[i]! + h) - at(base[i]! - h)) / (2 * h);
      worst = Math.max(worst, Math.abs(got[i]! - fd) / scale);
    }
  }
  return worst;
}

// --- fixtures -----------------------------------------------------------------------------------

/** A random 3D shape [N, 3] (a blob with some extent in every direction). */
function randomShape(rng: Rng, N: number): Float64Array {
  return Float64Array.from({ length: 3 * N }, (_, i) => rng.normal() * (i % 3 === 2 ? 0.6 : 1));
}

/** R X for a row-major rotation R and X [N, 3]. */
function rotate(R: ArrayLike<number>, X: ArrayLike<number>): Float64Array {
  const N = X.length / 3;
  const out = new Float64Array(3 * N);
  for (let i = 0; i < N; i++) {
    for (let c = 0; c < 3; c++) {
      out[3 * i + c] = R[3 * c]! * X[3 * i]! + R[3 * c + 1]! * X[3 * i + 1]! + R[3 * c + 2]! * X[3 * i + 2]!;
    }
  }
  return out;
}

/** The model-style normalised 2D (visible mean 0, max |coordinate| 1) of the x, y of camera-frame points [N, 3]. */
function normalisedXY(P: ArrayLike<number>, perspective?: number): Float64Array {
  const N = P.length / 3;
  const xy = new Float64Array(2 * N);
  for (let i = 0; i < N; i++) {
    const w = perspective === undefined ? 1 : perspective / (perspective + P[3 * i + 2]!);
    xy[2 * i] = P[3 * i]! * w;
    xy[2 * i + 1] = P[3 * i + 1]! * w;
  }
  const mx = xy.filter((_, i) => i % 2 === 0).reduce((a, b) => a + b, 0) / N;
  const my = xy.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0) / N;
  let e = 0;
  for (let i = 0; i < N; i++) {
    xy[2 * i]! -= mx;
    xy[2 * i + 1]! -= my;
    e = Math.max(e, Math.abs(xy[2 * i]!), Math.abs(xy[2 * i + 1]!));
  }
  return xy.map((v) => v / e);
}

/** The flat version of a camera-frame shape: its x, y with z = 0. */
const flatten = (P: ArrayLike<number>) => Float64Array.from(P, (v, i) => (i % 3 === 2 ? 0 : v));
/** Its depth mirror. */
const mirror = (P: ArrayLike<number>) => Float64Array.from(P, (v, i) => (i % 3 === 2 ? -v : v));
const concat = (...xs: ArrayLike<number>[]) => Float64Array.from(xs.flatMap((x) => Array.from(x)));
const ones = (n: number) => new Float64Array(n).fill(1);
const rotationOf = (rng: Rng) => randomRotation(rng, new Float64Array(9));

const N = 7;
const TOL = 2e-3;

describe('(a) reprojection of the decoded shape through the camera head’s fitted camera', () => {
  const reprojection: Term = (ops, x) => reprojectionLossOps(ops, x.shape!, x.points!, x.mask!);

  it('is 0 for the true shape (any frame, scale, translation) of an orthographic view, > 0 for another shape', () => {
    const rng = new Rng(1);
    const X = randomShape(rng, N);
    const cam = rotate(rotationOf(rng), X);
    const points = normalisedXY(cam);
    // S in another frame: rotated, scaled and moved.
    const S = rotate(rotationOf(rng), X).map((v, i) => 3 * v + (i % 3) - 1);
    const at = (shape: ArrayLike<number>, p = points) =>
      evalRef(reprojection, {
        shape: { data: shape, shape: [1, N, 3] },
        points: { data: p, shape: [1, N, 2] },
        mask: { data: ones(N), shape: [1, N] },
      });
    expect(at(S)).toBeLessThan(1e-6);
    expect(at(randomShape(rng, N))).toBeGreaterThan(0.02);
    // A flat shape reprojects exactly too (x, y are the data): this term alone cannot tell flat — the
    // others are for that.
    expect(
      at(concat(...Array.from({ length: N }, (_, i) => [points[2 * i]!, points[2 * i + 1]!, 0]))),
    ).toBeLessThan(1e-6);
  });

  it('with the perspective corrections, a pinhole view of the true shape reprojects better than without', () => {
    const rng = new Rng(2);
    const X = randomShape(rng, N);
    const cam = rotate(rotationOf(rng), X);
    const points = normalisedXY(cam, 4); // the camera 4 units away (about 3 radii)
    const inputs = {
      shape: { data: X, shape: [1, N, 3] },
      points: { data: points, shape: [1, N, 2] },
      mask: { data: ones(N), shape: [1, N] },
    };
    const withCorrections = evalRef(
      (ops, x) => reprojectionLossOps(ops, x.shape!, x.points!, x.mask!, 2),
      inputs,
    );
    const orthographic = evalRef(
      (ops, x) => reprojectionLossOps(ops, x.shape!, x.points!, x.mask!, 0),
      inputs,
    );
    expect(withCorrections).toBeLessThan(0.5 * orthographic);
  });

  it('masked points change nothing (NaN there included)', () => {
    const rng = new Rng(3);
    const X = randomShape(rng, N);
    const points = normalisedXY(rotate(rotationOf(rng), X));
    const mask = ones(N);
    mask[2] = 0;
    const at = (shape: Float64Array, p: Float64Array) =>
      evalRef(reprojection, {
        shape: { data: shape, shape: [1, N, 3] },
        points: { data: p, shape: [1, N, 2] },
        mask: { data: mask, shape: [1, N] },
      });
    const S = randomShape(rng, N);
    const a = at(S, points);
    const S2 = S.slice();
    S2.fill(Number.NaN, 6, 9);
    const p2 = points.slice();
    p2.fill(Number.NaN, 4, 6);
    expect(at(S2, p2)).toBe(a);
  });

  it('gradient (through the fit: affine, polar factor, scale, perspective corrections) = finite differences', async () => {
    const rng = new Rng(4);
    const B = 2;
    const X = concat(randomShape(rng, N), randomShape(rng, N));
    const points = concat(
      normalisedXY(randomShape(rng, N), 5),
      normalisedXY(rotate(rotationOf(rng), X.slice(0, 3 * N))),
    );
    const mask = ones(B * N);
    mask[3] = 0;
    const err = await gradientError(
      reprojection,
      {
        shape: { data: X, shape: [B, N, 3] },
        points: { data: points, shape: [B, N, 2] },
        mask: { data: mask, shape: [B, N] },
      },
      ['shape', 'points'],
    );
    expect(err).toBeLessThan(TOL);
  });

  it('cameraFitOps’ lifted shape is the observed 2D with the fitted depth: the true shape seen by the camera', () => {
    const rng = new Rng(5);
    const X = randomShape(rng, N);
    const cam = rotate(rotationOf(rng), X);
    const points = normalisedXY(cam);
    const lifted = cameraFitOps(
      ref,
      refTensor(rotate(rotationOf(rng), X), [1, N, 3]),
      refTensor(points, [1, N, 2]),
      refTensor(ones(N), [1, N]),
    ).lifted;
    // Similar to the camera-frame shape itself (proper rotation: the depth's sign is right).
    const d = shapeDistancePerSampleOps(ref, lifted, refTensor(cam, [1, N, 3]), refTensor(ones(N), [1, N]));
    expect(value(d)).toBeLessThan(1e-6);
    // x, y: the 2D (up to the perspective correction the fit finds for an orthographic view, ~1e-5).
    expect(Array.from(lifted.data.filter((_, i) => i % 3 !== 2))).toEqual(
      Array.from(points).map((v) => expect.closeTo(v, 3)),
    );
  });
});

describe('the normalised Procrustes distance', () => {
  it("is 0 for a similarity, > 0 for a mirror image; 'image' sizes a shape by its x, y", () => {
    const rng = new Rng(6);
    const X = randomShape(rng, N);
    const Y = rotate(rotationOf(rng), X).map((v) => 2.5 * v + 1);
    const m = refTensor(ones(N), [1, N]);
    const d = (a: Float64Array, b: Float64Array, scale: 'shape' | 'image' = 'shape') =>
      value(shapeDistancePerSampleOps(ref, refTensor(a, [1, N, 3]), refTensor(b, [1, N, 3]), m, scale));
    expect(d(X, Y)).toBeLessThan(1e-9);
    expect(d(X, Y, 'image')).toBeLessThan(1e-9);
    expect(d(mirror(X), X)).toBeGreaterThan(0.01);
    const norm = normalizeShapeOps(ref, refTensor(X, [1, N, 3]), m, 'image').data;
    let e2 = 0;
    for (let i = 0; i < N; i++) e2 += norm[3 * i]! ** 2 + norm[3 * i + 1]! ** 2;
    expect(1.5 * (e2 / N)).toBeCloseTo(1, 9);
  });
});

describe('(b) multi-view consistency', () => {
  const multiView: Term = (ops, x) => multiViewLossOps(ops, x.y!, x.mask!, x.partner!);
  const rng = new Rng(7);
  const X = randomShape(rng, N);
  const R1 = rotationOf(rng);
  const R2 = rotationOf(rng);
  // Two cameras' lifts of one frame (sample 0 ↔ 1), and a third sample without a partner.
  const partner = [0, 1, 0, 1, 0, 0, 0, 0, 0];
  const at = (y0: Float64Array, y1: Float64Array, y2 = randomShape(rng, N), mask = ones(3 * N)) =>
    evalRef(multiView, {
      y: { data: concat(y0, y1, y2), shape: [3, N, 3] },
      mask: { data: mask, shape: [3, N] },
      partner: { data: partner, shape: [3, 3] },
    });

  it('is 0 when every camera’s lift is the same shape, > 0 for flat lifts of two different views', () => {
    const cam1 = rotate(R1, X);
    const cam2 = rotate(R2, X);
    expect(
      at(
        cam1,
        cam2.map((v) => 0.3 * v),
      ),
    ).toBeLessThan(1e-9);
    const flat = at(flatten(cam1), flatten(cam2));
    expect(flat).toBeGreaterThan(0.01);
    // And a sample without a partner counts for nothing.
    expect(at(cam1, cam2, randomShape(rng, N))).toBeLessThan(1e-9);
  });

  it('pairs need 3 common visible points; without any pair the term is 0', () => {
    const mask = ones(3 * N);
    for (let i = 2; i < N; i++) mask[N + i] = 0; // view 1 sees 2 points
    expect(at(rotate(R1, X), randomShape(rng, N), randomShape(rng, N), mask)).toBe(0);
  });

  it('gradient = finite differences (both views)', async () => {
    const mask = ones(3 * N);
    mask[1] = 0;
    const err = await gradientError(
      multiView,
      {
        y: { data: concat(randomShape(rng, N), rotate(R2, X), randomShape(rng, N)), shape: [3, N, 3] },
        mask: { data: mask, shape: [3, N] },
        partner: { data: [0, 1, 0, 1, 0, 0, 0, 1, 0], shape: [3, 3] },
      },
      ['y'],
    );
    expect(err).toBeLessThan(TOL);
  });
});

describe('(c) the low-rank prior', () => {
  const B = 5;
  const rng = new Rng(8);
  const X = randomShape(rng, N);
  const D = randomShape(rng, N);
  /** Orthonormal rows (Gram–Schmidt) of the 3N-vectors given. */
  const orthonormal = (...vs: Float64Array[]) => {
    const out: Float64Array[] = [];
    for (const v0 of vs) {
      const v = v0.slice();
      for (const u of out) {
        const dot = u.reduce((a, ui, i) => a + ui * v[i]!, 0);
        for (let i = 0; i < v.length; i++) v[i]! -= dot * u[i]!;
      }
      const n = Math.sqrt(v.reduce((a, b) => a + b * b, 0));
      out.push(v.map((x) => x / n));
    }
    return concat(...out);
  };
  const centred = (S: Float64Array) => {
    const c = [0, 1, 2].map((d) => S.filter((_, i) => i % 3 === d).reduce((a, b) => a + b, 0) / N);
    return S.map((v, i) => v - c[i % 3]!);
  };
  const Xc = centred(X);
  const Dc = centred(D);
  const lowRank = (alternations: number) =>
    (<T>(ops: Ops<T>, x: Record<string, T>) =>
      lowRankLossOps(ops, x.y!, x.mask!, x.reference!, x.basis, alternations).loss) as Term;
  const at = (shapes: Float64Array, basis: Float64Array | undefined, K: number) =>
    evalRef(lowRank(8), {
      y: { data: shapes, shape: [B, N, 3] },
      mask: { data: ones(B * N), shape: [B, N] },
      reference: { data: X, shape: [N, 3] },
      ...(basis && { basis: { data: basis, shape: [K, N, 3] } }),
    });

  it('a rank-1 batch (similarity transforms of one shape) has zero residual at K ≥ 1', () => {
    const shapes = concat(
      ...Array.from({ length: B }, (_, b) => rotate(rotationOf(rng), X).map((v, i) => (b + 1) * v + (i % 3))),
    );
    expect(at(shapes, orthonormal(Xc), 1)).toBeLessThan(1e-9);
    expect(at(shapes, orthonormal(Xc, Dc), 2)).toBeLessThan(1e-9);
    // K = 0: the residual to the reference itself.
    expect(at(shapes, undefined, 0)).toBeLessThan(1e-9);
  });

  it('a rank-2 batch (X + a·D, rotated) has zero residual at K = 2, not at K = 1', () => {
    const shapes = concat(
      ...Array.from({ length: B }, (_, b) =>
        rotate(
          rotationOf(rng),
          Xc.map((v, i) => v + (b - 2) * 0.3 * Dc[i]!),
        ),
      ),
    );
    expect(at(shapes, orthonormal(Xc, Dc), 2)).toBeLessThan(1e-8);
    expect(at(shapes, orthonormal(Xc), 1)).toBeGreaterThan(1e-3);
  });

  it('gradient = finite differences (at the rotation’s alternation fixed point)', async () => {
    const shapes = concat(
      ...Array.from({ length: B }, () =>
        rotate(
          rotationOf(rng),
          Xc.map((v, i) => v + 0.3 * rng.normal() * Dc[i]! + 0.05 * rng.normal()),
        ),
      ),
    );
    const mask = ones(B * N);
    mask[4] = 0;
    const err = await gradientError(
      lowRank(12),
      {
        y: { data: shapes, shape: [B, N, 3] },
        mask: { data: mask, shape: [B, N] },
        reference: { data: X, shape: [N, 3] },
        basis: { data: orthonormal(Xc, Dc), shape: [2, N, 3] },
      },
      ['y'],
    );
    expect(err).toBeLessThan(TOL);
  });
});

describe('(c′) canonicalisation consistency', () => {
  const rng = new Rng(9);
  const X = randomShape(rng, N);
  const Q = rotationOf(rng);
  const cam = rotate(rotationOf(rng), X);
  const mask = refTensor(ones(N), [1, N]);

  it('the rotated view is the model-normalised orthographic image of the rotated shape', () => {
    const view = rotatedViewOps(ref, refTensor(cam, [1, N, 3]), mask, refTensor(Q, [1, 3, 3])).data;
    const want = normalisedXY(rotate(Q, cam));
    for (let i = 0; i < 2 * N; i++) expect(view[i]).toBeCloseTo(want[i]!, 12);
  });

  it('is 0 for a lifter that returns the true shape of any view, > 0 for a flat lifter', () => {
    // The true lifter of this rigid shape: the view's x, y with the rotated shape's depth (same units).
    const rotated = rotate(Q, cam);
    const mean = (d: number) => rotated.filter((_, i) => i % 3 === d).reduce((a, b) => a + b, 0) / N;
    const [mx, my] = [mean(0), mean(1)];
    let e = 0;
    for (let i = 0; i < N; i++)
      e = Math.max(e, Math.abs(rotated[3 * i]! - mx), Math.abs(rotated[3 * i + 1]! - my));
    const mz = rotated.filter((_, i) => i % 3 === 2).reduce((a, b) => a + b, 0) / N;
    const depth = Float64Array.from({ length: N }, (_, i) => (rotated[3 * i + 2]! - mz) / e);
    const trueLift = (p: RefTensor) => ref.concat([p, ref.constant(Float32Array.from(depth), [1, N, 1])], 2);
    const flatLift = (p: RefTensor) => ref.concat([p, ref.constant(new Float32Array(N), [1, N, 1])], 2);
    const loss = (y: Float64Array, lift: (p: RefTensor) => RefTensor) =>
      value(canonicalizationLossOps(ref, refTensor(y, [1, N, 3]), mask, refTensor(Q, [1, 3, 3]), lift));
    expect(loss(cam, trueLift)).toBeLessThan(1e-6); // float32 constants of the depth
    expect(loss(cam, flatLift)).toBeGreaterThan(0.01);
    expect(loss(flatten(cam), flatLift)).toBeGreaterThan(0.01);
  });

  it('gradient = finite differences (through both lifts and the re-projection)', async () => {
    // A smooth stand-in lifter: depth = tanh(p · w) per point.
    const w = [0.7, -1.3];
    const term: Term = (ops, x) =>
      canonicalizationLossOps(ops, x.y!, x.mask!, x.rotation!, (p) =>
        ops.concat([p, ops.tanh(ops.matMul(p, ops.constant(w, [2, 1])))], 2),
      );
    const B = 2;
    const m = ones(B * N);
    m[5] = 0;
    const err = await gradientError(
      term,
      {
        y: { data: concat(cam, randomShape(rng, N)), shape: [B, N, 3] },
        mask: { data: m, shape: [B, N] },
        rotation: { data: concat(Q, rotationOf(rng)), shape: [B, 3, 3] },
      },
      ['y'],
    );
    expect(err).toBeLessThan(TOL);
  });
});

describe('(d) the regulariser toward the base model', () => {
  const rng = new Rng(10);
  const base = concat(randomShape(rng, N), randomShape(rng, N));
  const term: Term = (ops, x) => baseRegularizerOps(ops, x.y!, x.base!, x.mask!);
  const at = (y: Float64Array) =>
    evalRef(term, {
      y: { data: y, shape: [2, N, 3] },
      base: { data: base, shape: [2, N, 3] },
      mask: { data: ones(2 * N), shape: [2, N] },
    });

  it('is 0 at the base model’s prediction (up to a similarity), > 0 when flattened or mirrored', () => {
    const R = rotationOf(rng);
    expect(
      at(
        concat(
          rotate(R, base.slice(0, 3 * N)),
          base.slice(3 * N).map((v) => 0.1 * v),
        ),
      ),
    ).toBeLessThan(1e-9);
    expect(at(flatten(base))).toBeGreaterThan(0.01);
    expect(at(mirror(base))).toBeGreaterThan(0.01);
  });

  it('gradient = finite differences', async () => {
    const m = ones(2 * N);
    m[0] = 0;
    const inputs = {
      y: { data: concat(randomShape(rng, N), randomShape(rng, N)), shape: [2, N, 3] },
      base: { data: base, shape: [2, N, 3] },
      mask: { data: m, shape: [2, N] },
    };
    expect(await gradientError(term, inputs, ['y'])).toBeLessThan(TOL);
  });
});

describe('(e) bone-length consistency across the batch', () => {
  const term: Term = (ops, x) => boneLengthLossOps(ops, x.y!, x.mask!, x.edges!);
  const rng = new Rng(23);
  const B = 4;
  // A chain of N joints: bones (i, i + 1).
  const edges = new Float64Array(N * N);
  for (let i = 0; i + 1 < N; i++) {
    edges[i * N + i + 1] = 1;
    edges[(i + 1) * N + i] = 1;
  }
  const skeleton = randomShape(rng, N);
  // B views of one rigid skeleton (any rotation, scale and shift per view: the term is blind to them).
  const views = Array.from({ length: B }, (_, b) =>
    rotate(rotationOf(rng), skeleton).map((v, i) => v * (1 + 0.3 * b) + (i % 3) * b),
  );
  const at = (ys: ArrayLike<number>[], mask = ones(B * N)) =>
    evalRef(term, {
      y: { data: concat(...ys), shape: [B, N, 3] },
      mask: { data: mask, shape: [B, N] },
      edges: { data: edges, shape: [N, N] },
    });

  it('is 0 for views of one skeleton (rotated, scaled, shifted; ≈ 0 with joints hidden), > 0 when flattened or a bone stretches', () => {
    expect(at(views)).toBeLessThan(1e-12);
    const m = ones(B * N);
    m[2] = 0;
    m[N + 5] = 0;
    // Different edges seen per sample: the scale / length fit converges geometrically (4 rounds).
    expect(at(views, m)).toBeLessThan(1e-8);
    expect(at(views.map(flatten))).toBeGreaterThan(1e-3);
    // A bone changes length in one view: penalised.
    const stretched = views.map((v) => v.slice());
    const v1 = stretched[1]!;
    for (let c = 0; c < 3; c++) {
      const parent = v1[3 * (N - 2) + c]!;
      v1[3 * (N - 1) + c] = parent + 1.5 * (v1[3 * (N - 1) + c]! - parent); // the last bone × 1.5
    }
    expect(at(stretched)).toBeGreaterThan(1e-3);
  });

  it('gradient = finite differences', async () => {
    const m = ones(B * N);
    m[3] = 0;
    const inputs = {
      y: { data: concat(...Array.from({ length: B }, () => randomShape(rng, N))), shape: [B, N, 3] },
      mask: { data: m, shape: [B, N] },
      edges: { data: edges, shape: [N, N] },
    };
    expect(await gradientError(term, inputs, ['y'])).toBeLessThan(TOL);
  });
});
