import { type Dim, LfmError, type Ops, Rng, type Shape } from '@lfm/core';
import { createReferenceOps, type RefTensor, refTensor } from '@lfm/core/testing';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTrainingGraph, checkModel, createOnnxRecorder, GRADIENT_RULES, type Sym } from '../index.js';

// One rule per op, each tested alone: param/input → op → Σ y·w (w a fixed random weighting fed at run
// time, so every gradient entry is non-trivial) → the training graph in onnxruntime-node, against
// central finite differences of the same program on the Float64 reference engine. Traced at
// B = 2, N = 5; run at B = 3, N = 7 and B = 1, N = 4 (dynamic dims).

const TRACE = { B: 2, N: 5 };
const RUNS = [
  { B: 3, N: 7 },
  { B: 1, N: 4 },
];
const TOL = 1e-4;
const refOps = createReferenceOps();

type Gen = 'normal' | 'positive';
type Program = <T>(o: Ops<T>, v: Record<string, T>) => T;
interface Case {
  name: string;
  params?: Record<string, { shape: Shape; gen?: Gen }>;
  /** Graph inputs; differentiated unless `wrt: false`. */
  inputs?: Record<string, { dims: readonly Dim[]; gen?: Gen; wrt?: boolean }>;
  program: Program;
}

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const concrete = (dims: readonly Dim[], sizes: Record<string, number>) =>
  dims.map((d) => (typeof d === 'number' ? d : sizes[d]!));
const draw = (rng: Rng, n: number, gen: Gen = 'normal') =>
  Float32Array.from({ length: n }, () => (gen === 'positive' ? 0.5 + 2 * rng.uniform() : rng.normal()));
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** max |got − want| / max |want| (0 when both vanish). */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
  const scale = maxAbs(want);
  return diff === 0 ? 0 : diff / Math.max(scale, 1e-12);
}

const worst: Record<string, number> = {};
/** Forward op types whose rule emitted backward nodes in some case. */
const exercised = new Set<string>();

/** Records the case with Σ y·w as the loss and returns the training-graph session and names. */
async function buildCase(c: Case, paramData: Record<string, Float32Array>) {
  const trace = (dims: Record<string, number>, withLoss: boolean) => {
    const r = createOnnxRecorder({ dims });
    const vals: Record<string, Sym> = {};
    for (const [name, p] of Object.entries(c.params ?? {}))
      vals[name] = r.param(name, paramData[name]!, p.shape);
    for (const [name, x] of Object.entries(c.inputs ?? {})) vals[name] = r.input(name, x.dims);
    const y = c.program(r.ops, vals);
    if (!withLoss) return { r, y, loss: y };
    const w = r.input('__w', y.dims);
    return { r, y, loss: r.ops.reduceSum(r.ops.mul(y, w)) };
  };
  // Derived dims of y ('N-1', 'N+3') become symbols of the weighting input.
  const probe = trace(TRACE, false).y;
  const labels = Object.fromEntries(
    probe.dims.flatMap((d, i) => (typeof d === 'string' && !(d in TRACE) ? [[d, probe.shape[i]!]] : [])),
  );
  const { r, loss } = trace({ ...TRACE, ...labels }, true);
  const wrtInputs = Object.entries(c.inputs ?? {}).flatMap(([n, x]) => (x.wrt === false ? [] : [n]));
  const tg = buildTrainingGraph(r, { loss, params: Object.keys(c.params ?? {}), inputs: wrtInputs });
  for (const n of tg.graph.nodes) {
    if (tg.graph.nodes.some((b) => b.name.startsWith(`backward/${n.name}/`))) exercised.add(n.opType);
  }
  const bytes = tg.toModel();
  checkModel(bytes);
  return { tg, session: await ort.InferenceSession.create(bytes), wrtInputs };
}

async function gradCheck(c: Case): Promise<number> {
  const rng = new Rng(c.name.split('').reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7));
  const paramData = Object.fromEntries(
    Object.entries(c.params ?? {}).map(([n, p]) => [n, draw(rng, sizeOf(p.shape), p.gen)]),
  );
  const { tg, session, wrtInputs } = await buildCase(c, paramData);
  let caseWorst = 0;
  for (const sizes of RUNS) {
    const shapes: Record<string, number[]> = {};
    const data: Record<string, Float32Array> = { ...paramData };
    for (const [n, p] of Object.entries(c.params ?? {})) shapes[n] = [...p.shape];
    for (const [n, x] of Object.entries(c.inputs ?? {})) {
      shapes[n] = concrete(x.dims, sizes);
      data[n] = draw(rng, sizeOf(shapes[n]!), x.gen);
    }
    const ref = (d: Record<string, Float64Array | Float32Array>) =>
      c.program(
        refOps,
        Object.fromEntries(Object.keys(shapes).map((n) => [n, refTensor(d[n]!, shapes[n]!)])),
      );
    const yRef = ref(data);
    const w = draw(rng, yRef.data.length);
    const lossOf = (y: RefTensor) => y.data.reduce((s, v, i) => s + v * w[i]!, 0);

    const feeds: Record<string, ort.Tensor> = { __w: new ort.Tensor('float32', w, yRef.shape) };
    for (const n of Object.keys(shapes)) feeds[n] = new ort.Tensor('float32', data[n]!, shapes[n]!);
    const out = await session.run(feeds);
    const lossGot = (out[tg.lossName]!.data as Float32Array)[0]!;
    const lossWant = lossOf(yRef);
    expect(Math.abs(lossGot - lossWant) / Math.max(1, Math.abs(lossWant)), `${c.name}: loss`).toBeLessThan(
      1e-5,
    );

    for (const n of [...Object.keys(c.params ?? {}), ...wrtInputs]) {
      const got = out[tg.gradients[n]!]!;
      expect(got.dims.map(Number), `${c.name}: grad ${n} shape`).toEqual(shapes[n]);
      const base = Float64Array.from(data[n]!);
      const fd = new Float64Array(base.length);
      for (let k = 0; k < base.length; k++) {
        const h = 1e-5 * Math.max(1, Math.abs(base[k]!));
        const at = (v: number) => {
          const p = base.slice();
          p[k] = v;
          return lossOf(ref({ ...data, [n]: p }));
        };
        fd[k] = (at(base[k]! + h) - at(base[k]! - h)) / (2 * h);
      }
      const e = relErr(got.data as Float32Array, fd);
      caseWorst = Math.max(caseWorst, e);
      expect(e, `${c.name}: grad ${n} at B=${sizes.B} N=${sizes.N}`).toBeLessThanOrEqual(TOL);
    }
  }
  await session.release();
  worst[c.name] = caseWorst;
  return caseWorst;
}

const X = (gen: Gen = 'normal', dims: readonly Dim[] = ['B', 'N', 3]) => ({ dims, gen });
const v = <T>(r: Record<string, T>, n: string) => r[n]!;

const CASES: Case[] = [
  // --- MatMul ---
  {
    name: 'MatMul [B,N,4]·[4,3] (weight gradient by one GEMM)',
    inputs: { x: X('normal', ['B', 'N', 4]) },
    params: { w: { shape: [4, 3] } },
    program: (o, r) => o.matMul(v(r, 'x'), v(r, 'w')),
  },
  {
    name: 'MatMul batched [B,N,3]·[B,3,N]',
    inputs: { a: X('normal', ['B', 'N', 3]), b: X('normal', ['B', 3, 'N']) },
    program: (o, r) => o.matMul(v(r, 'a'), v(r, 'b')),
  },
  {
    name: 'MatMul broadcast batch [B,1,N,3]·[2,4,3]ᵀ',
    inputs: { a: X('normal', ['B', 1, 'N', 3]) },
    params: { b: { shape: [2, 4, 3] } },
    program: (o, r) => o.matMul(v(r, 'a'), v(r, 'b'), { transposeB: true }),
  },
  {
    name: 'MatMul transposeA [B,3,N]ᵀ·[B,3,2]',
    inputs: { a: X('normal', ['B', 3, 'N']), b: X('normal', ['B', 3, 2]) },
    program: (o, r) => o.matMul(v(r, 'a'), v(r, 'b'), { transposeA: true }),
  },
  {
    name: 'linear of a 1-D vector [4]·[4,3] + [3]',
    params: { p: { shape: [4] }, w: { shape: [4, 3] }, b: { shape: [3] } },
    program: (o, r) => o.linear(v(r, 'p'), v(r, 'w'), v(r, 'b')),
  },
  {
    name: 'linear [B,N,4]·[4,3] + bias [3]',
    inputs: { x: X('normal', ['B', 'N', 4]) },
    params: { w: { shape: [4, 3] }, b: { shape: [3] } },
    program: (o, r) => o.linear(v(r, 'x'), v(r, 'w'), v(r, 'b')),
  },
  // --- layout ---
  {
    name: 'Transpose [B,N,3] → [3,B,N]',
    inputs: { x: X() },
    program: (o, r) => o.transpose(v(r, 'x'), [2, 0, 1]),
  },
  {
    name: 'Reshape [B,N,4] → [B,N·2,2] (0, −1)',
    inputs: { x: X('normal', ['B', 'N', 4]) },
    program: (o, r) => o.reshape(v(r, 'x'), [0, -1, 2]),
  },
  {
    name: 'Reshape [B,N,4] → [B·N,4] then a bias',
    inputs: { x: X('normal', ['B', 'N', 4]) },
    params: { p: { shape: [4] } },
    program: (o, r) => o.add(o.reshape(v(r, 'x'), [-1, 4]), v(r, 'p')),
  },
  {
    name: 'Unsqueeze and Squeeze',
    inputs: { x: X() },
    program: (o, r) => o.squeeze(o.expandDims(v(r, 'x'), 1), 1),
  },
  {
    name: 'Unsqueeze [B,N] → [B,1,N] broadcast against [B,N,N]',
    inputs: { m: X('normal', ['B', 'N']), s: X('normal', ['B', 'N', 'N']) },
    program: (o, r) => o.mul(o.expandDims(v(r, 'm'), 1), v(r, 's')),
  },
  {
    name: 'Concat on a fixed axis',
    inputs: { x: X('normal', ['B', 'N', 2]), y: X() },
    program: (o, r) => o.concat([v(r, 'x'), v(r, 'y')], -1),
  },
  {
    name: 'Concat on the symbolic N axis (sizes at run time)',
    inputs: { x: X('normal', ['B', 'N', 2]) },
    params: { p: { shape: [1, 3, 2] } },
    program: (o, r) => o.concat([v(r, 'x'), o.mul(o.slice(v(r, 'x'), 1, 0, 1), v(r, 'p')), v(r, 'x')], 1),
  },
  {
    name: 'Concat of one tensor (Identity)',
    inputs: { x: X() },
    program: (o, r) => o.concat([v(r, 'x')], 1),
  },
  {
    name: 'Slice on a fixed axis',
    inputs: { x: X('normal', ['B', 'N', 5]) },
    program: (o, r) => o.slice(v(r, 'x'), 2, 1, 4),
  },
  {
    name: 'Slice on N: [1, end)',
    inputs: { x: X() },
    program: (o, r) => o.slice(v(r, 'x'), 1, 1),
  },
  {
    name: 'Slice on N: last two',
    inputs: { x: X() },
    program: (o, r) => o.slice(v(r, 'x'), 1, -2),
  },
  {
    name: 'Slice on N: [1, −1)',
    inputs: { x: X() },
    program: (o, r) => o.slice(v(r, 'x'), 1, 1, -1),
  },
  {
    name: 'Slice on N: [0, 2)',
    inputs: { x: X() },
    program: (o, r) => o.slice(v(r, 'x'), 1, 0, 2),
  },
  {
    name: 'Gather on a fixed axis with repeated indices',
    inputs: { x: X('normal', ['B', 'N', 4]) },
    program: (o, r) => o.gather(v(r, 'x'), [0, 2, 2, 3, 0], 2),
  },
  {
    name: 'Gather on the symbolic N axis',
    inputs: { x: X() },
    program: (o, r) => o.gather(v(r, 'x'), [1, 0, 1, 3], 1),
  },
  {
    name: 'Gather of a parameter table (embedding)',
    params: { t: { shape: [5, 3] } },
    inputs: { x: X() },
    program: (o, r) => o.mul(o.gather(v(r, 't'), [4, 1, 1], 0), o.reduceSum(v(r, 'x'), [0, 1])),
  },
  // --- broadcasting binary ops ---
  {
    name: 'Add: bias [B,N,3] + [3]',
    inputs: { x: X() },
    params: { p: { shape: [3] } },
    program: (o, r) => o.add(v(r, 'x'), v(r, 'p')),
  },
  {
    name: 'Add: [B,1,3] + [1,N,1] (both sides broadcast)',
    inputs: { x: X('normal', ['B', 1, 3]), y: X('normal', [1, 'N', 1]) },
    program: (o, r) => o.add(v(r, 'x'), v(r, 'y')),
  },
  {
    name: 'Sub: mask [B,N,1] − [B,N,3], and a scalar',
    inputs: { m: X('normal', ['B', 'N', 1]), x: X() },
    program: (o, r) => o.sub(o.sub(v(r, 'm'), v(r, 'x')), 0.5),
  },
  {
    name: 'Sub: scalar − tensor',
    inputs: { x: X() },
    program: (o, r) => o.sub(2, v(r, 'x')),
  },
  {
    name: 'Mul: [B,N,3]·mask [B,N,1]·[3]·2.5',
    inputs: { x: X(), m: X('normal', ['B', 'N', 1]) },
    params: { p: { shape: [3] } },
    program: (o, r) => o.mul(o.mul(o.mul(v(r, 'x'), v(r, 'm')), v(r, 'p')), 2.5),
  },
  {
    name: 'Mul: rank-0 parameter',
    inputs: { x: X() },
    params: { s: { shape: [] } },
    program: (o, r) => o.mul(v(r, 'x'), v(r, 's')),
  },
  {
    name: 'Div: [B,N,3] / [3]',
    inputs: { x: X() },
    params: { p: { shape: [3], gen: 'positive' } },
    program: (o, r) => o.div(v(r, 'x'), v(r, 'p')),
  },
  {
    name: 'Div: scalar / [B,N,1]',
    inputs: { x: X('positive', ['B', 'N', 1]) },
    program: (o, r) => o.div(2, v(r, 'x')),
  },
  {
    name: 'Pow: [B,N,3]^2.5',
    inputs: { x: X('positive') },
    program: (o, r) => o.pow(v(r, 'x'), 2.5),
  },
  {
    name: 'Pow: tensor exponent [B,N,3]^[3]',
    inputs: { x: X('positive') },
    params: { q: { shape: [3] } },
    program: (o, r) => o.pow(v(r, 'x'), v(r, 'q')),
  },
  {
    name: 'Max: [B,N,3] vs [3]',
    inputs: { x: X() },
    params: { p: { shape: [3] } },
    program: (o, r) => o.maximum(v(r, 'x'), v(r, 'p')),
  },
  {
    name: 'Min: [B,N,3] vs scalar',
    inputs: { x: X() },
    program: (o, r) => o.minimum(v(r, 'x'), 0.3),
  },
  {
    name: 'Where: both branches, none to the condition',
    inputs: { x: X(), c: X('normal', ['B', 'N', 1]) },
    params: { p: { shape: [3] } },
    program: (o, r) => o.where(o.greater(v(r, 'c'), 0), v(r, 'x'), v(r, 'p')),
  },
  // --- unary ---
  { name: 'Neg', inputs: { x: X() }, program: (o, r) => o.neg(v(r, 'x')) },
  { name: 'Sqrt', inputs: { x: X('positive') }, program: (o, r) => o.sqrt(v(r, 'x')) },
  { name: 'Reciprocal', inputs: { x: X('positive') }, program: (o, r) => o.reciprocal(v(r, 'x')) },
  { name: 'Exp', inputs: { x: X() }, program: (o, r) => o.exp(v(r, 'x')) },
  { name: 'Log', inputs: { x: X('positive') }, program: (o, r) => o.log(v(r, 'x')) },
  { name: 'Erf', inputs: { x: X() }, program: (o, r) => o.erf(v(r, 'x')) },
  { name: 'Sin', inputs: { x: X() }, program: (o, r) => o.sin(v(r, 'x')) },
  { name: 'Cos', inputs: { x: X() }, program: (o, r) => o.cos(v(r, 'x')) },
  { name: 'Tanh', inputs: { x: X() }, program: (o, r) => o.tanh(v(r, 'x')) },
  { name: 'Sigmoid', inputs: { x: X() }, program: (o, r) => o.sigmoid(v(r, 'x')) },
  { name: 'GELU (Div, Erf, Add, Mul)', inputs: { x: X() }, program: (o, r) => o.gelu(v(r, 'x')) },
  // --- nn ---
  {
    name: 'Softmax over the last axis',
    inputs: { x: X('normal', ['B', 'N', 5]) },
    program: (o, r) => o.softmax(o.mul(v(r, 'x'), 2)),
  },
  {
    name: 'Softmax with a key-padding mask (−1e9 bias)',
    inputs: { s: X('normal', ['B', 'N', 'N']), m: { dims: ['B', 'N'], wrt: false } },
    program: (o, r) => {
      const keep = o.greater(v(r, 'm'), -0.8); // most keys present, some masked
      return o.softmax(o.add(v(r, 's'), o.expandDims(o.mul(o.sub(keep, 1), 1e9), 1)));
    },
  },
  {
    name: 'LayerNormalization: x, γ, β',
    inputs: { x: X('normal', ['B', 'N', 4]) },
    params: { g: { shape: [4] }, b: { shape: [4] } },
    program: (o, r) => o.layerNorm(o.mul(v(r, 'x'), 3), v(r, 'g'), v(r, 'b')),
  },
  // --- reductions ---
  {
    name: 'ReduceSum over N',
    inputs: { x: X() },
    program: (o, r) => o.reduceSum(v(r, 'x'), 1),
  },
  {
    name: 'ReduceSum over [0, 2] keepDims',
    inputs: { x: X() },
    program: (o, r) => o.reduceSum(v(r, 'x'), [0, 2], true),
  },
  {
    name: 'ReduceSum over nothing (Identity)',
    inputs: { x: X() },
    program: (o, r) => o.reduceSum(v(r, 'x'), []),
  },
  {
    name: 'ReduceMean over N (count at run time)',
    inputs: { x: X() },
    program: (o, r) => o.reduceMean(v(r, 'x'), -2),
  },
  {
    name: 'ReduceMean over all axes',
    inputs: { x: X() },
    program: (o, r) => o.reduceMean(v(r, 'x')),
  },
  {
    name: 'ReduceMean over the fixed axis, keepDims',
    inputs: { x: X() },
    program: (o, r) => o.reduceMean(v(r, 'x'), 2, true),
  },
  {
    name: 'ReduceMax over the fixed axis',
    inputs: { x: X('normal', ['B', 'N', 4]) },
    program: (o, r) => o.reduceMax(v(r, 'x'), 2),
  },
  {
    name: 'ReduceMax over N, keepDims',
    inputs: { x: X() },
    program: (o, r) => o.reduceMax(v(r, 'x'), 1, true),
  },
  // --- accumulation ---
  {
    name: 'a value used three times (Sum of contributions)',
    inputs: { x: X() },
    params: { p: { shape: [3] } },
    program: (o, r) => o.add(o.mul(v(r, 'x'), v(r, 'x')), o.sin(o.mul(v(r, 'x'), v(r, 'p')))),
  },
];

describe('gradient rules vs Float64 finite differences (traced B=2,N=5; run B=3,N=7 and B=1,N=4)', () => {
  for (const c of CASES) it(c.name, async () => void (await gradCheck(c)));

  it('exercises every rule', () => {
    // Identity passes the gradient through unchanged, so it emits no backward node of its own.
    const silent = new Set(['Identity']);
    const missing = Object.keys(GRADIENT_RULES).filter((op) => !exercised.has(op) && !silent.has(op));
    expect(missing).toEqual([]);
  });

  afterAll(() => {
    const all = Object.values(worst);
    if (all.length === CASES.length) {
      const [name, e] = Object.entries(worst).sort((a, b) => b[1] - a[1])[0]!;
      console.log(
        `gradient rules: ${all.length} cases, worst relative error ${e.toExponential(2)} (${name})`,
      );
    }
  });
});

/** Runs a training graph once on float32 feeds. */
async function run(bytes: Uint8Array, feeds: Record<string, [Float32Array | number[], number[]]>) {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run(
    Object.fromEntries(
      Object.entries(feeds).map(([n, [d, s]]) => [n, new ort.Tensor('float32', Float32Array.from(d), s)]),
    ),
  );
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([n, t]) => [n, Array.from(t.data as Float32Array)]));
}

describe('training graph semantics', () => {
  it('ReduceMax splits the gradient evenly between tied maxima', async () => {
    const r = createOnnxRecorder();
    const p = r.param('p', Float32Array.of(1, 3, 3), [3]);
    const tg = buildTrainingGraph(r, { loss: r.ops.reduceMax(p), params: ['p'] });
    const out = await run(tg.toModel(), { p: [[1, 3, 3], [3]] });
    expect(out.loss).toEqual([3]);
    expect(out['grad/p']).toEqual([0, 0.5, 0.5]);
  });

  it('Max/Min send a tie to the first operand (as tfjs)', async () => {
    const r = createOnnxRecorder();
    const p = r.param('p', Float32Array.of(1, 2), [2]);
    const q = r.param('q', Float32Array.of(1, 3), [2]);
    const loss = r.ops.reduceSum(r.ops.add(r.ops.maximum(p, q), r.ops.minimum(p, q)));
    const out = await run(buildTrainingGraph(r, { loss, params: ['p', 'q'] }).toModel(), {
      p: [[1, 2], [2]],
      q: [[1, 3], [2]],
    });
    expect(out['grad/p']).toEqual([2, 1]);
    expect(out['grad/q']).toEqual([0, 1]);
  });

  it('stopGradient passes no gradient; unreachable parameters get explicit zeros', async () => {
    const r = createOnnxRecorder({ dims: TRACE });
    const x = r.input('x', ['B', 3]);
    const w = r.param('w', Float32Array.of(1, 2, 3), [3]);
    r.param('unused', new Float32Array(4), [2, 2]);
    const blocked = r.param('blocked', Float32Array.of(5), [1]);
    const o = r.ops;
    // loss = Σ x·w + sg(3·Σ x·w) + sg(blocked)
    const xw = o.reduceSum(o.mul(x, w));
    const loss = o.add(o.add(xw, o.stopGradient(o.mul(xw, 3))), o.reduceSum(o.stopGradient(blocked)));
    const tg = buildTrainingGraph(r, { loss, params: ['w', 'unused', 'blocked'], inputs: ['x'] });
    expect(tg.unreachable).toEqual(['unused', 'blocked']);
    const xs = [1, 0, 2, -1, 1, 1];
    const out = await run(tg.toModel(), {
      x: [xs, [2, 3]],
      w: [[1, 2, 3], [3]],
      unused: [
        [0, 0, 0, 0],
        [2, 2],
      ],
      blocked: [[5], [1]],
    });
    expect(out['grad/w']).toEqual([0, 1, 3]);
    expect(out['grad/x']).toEqual([1, 2, 3, 1, 2, 3]);
    expect(out['grad/unused']).toEqual([0, 0, 0, 0]);
    expect(out['grad/blocked']).toEqual([0]);
    const s = checkModel(tg.toModel());
    expect(s.outputs.map((v) => [v.name, v.dims])).toEqual([
      ['loss', []],
      ['grad/w', [3]],
      ['grad/unused', [2, 2]],
      ['grad/blocked', [1]],
      ['grad/x', ['B', 3]],
    ]);
  });

  it('copies only live forward nodes; dead branches and gradient-free paths get no backward nodes', () => {
    const r = createOnnxRecorder({ dims: TRACE });
    const x = r.input('x', ['B', 3]);
    const mask = r.input('mask', ['B', 1]);
    const w = r.param('w', Float32Array.of(1, 2, 3), [3]);
    const o = r.ops;
    r.output('dead', o.cos(o.mul(x, w))); // not asked for: no node of it survives
    const gate = o.exp(o.sin(mask)); // depends on no trainable value: forward only
    const loss = o.reduceSum(o.mul(o.mul(x, w), gate));
    const tg = buildTrainingGraph(r, { loss, params: ['w'] });
    const types = tg.graph.nodes.map((n) => n.opType);
    expect(types).not.toContain('Cos');
    const backward = tg.graph.nodes.filter((n) => n.name.startsWith('backward/'));
    expect(backward.some((n) => n.name.includes('sin') || n.name.includes('exp'))).toBe(false);
    expect(tg.gradients).toEqual({ w: 'grad/w' });
    expect(tg.inputNames).toEqual(['x', 'mask']);
    expect(tg.paramNames).toEqual(['w']);
    // The source graph is untouched.
    expect(r.graph.nodes.some((n) => n.name.startsWith('backward/'))).toBe(false);
  });

  it('outputs requested forward values beside the loss and gradients', async () => {
    const r = createOnnxRecorder({ dims: TRACE });
    const x = r.input('x', ['B', 2]);
    const w = r.param('w', Float32Array.of(2, -1), [2]);
    const pred = r.ops.mul(x, w);
    const tg = buildTrainingGraph(r, {
      loss: r.ops.reduceMean(r.ops.mul(pred, pred)),
      params: ['w'],
      outputs: { pred },
      lossName: 'objective',
      gradPrefix: 'd/',
    });
    const out = await run(tg.toModel(), {
      x: [
        [1, 2, 3, 4, 5, 6],
        [3, 2],
      ],
      w: [[2, -1], [2]],
    });
    expect(out.pred).toEqual([2, -2, 6, -4, 10, -6]);
    expect(out.objective![0]).toBeCloseTo((4 + 4 + 36 + 16 + 100 + 36) / 6, 5);
    // d/dw mean((x w)²) = 2/6 Σ_b x_b² w
    expect(out['d/w']![0]).toBeCloseTo((2 / 6) * (1 + 9 + 25) * 2, 4);
    expect(out['d/w']![1]).toBeCloseTo((2 / 6) * (4 + 16 + 36) * -1, 4);
  });

  it('can emit parameters as initializers (a frozen-weights graph)', async () => {
    const r = createOnnxRecorder();
    const w = r.param('w', Float32Array.of(3), [1]);
    const tg = buildTrainingGraph(r, { loss: r.ops.reduceSum(r.ops.mul(w, w)), params: ['w'] });
    const out = await run(tg.toModel({ paramsAs: 'initializers' }), {});
    expect(out['grad/w']).toEqual([6]);
  });

  it('rejects a non-scalar loss, unknown names and ops without a rule, naming them', () => {
    const r = createOnnxRecorder({ dims: TRACE });
    const x = r.input('x', ['B', 3]);
    const w = r.param('w', Float32Array.of(1, 2, 3), [3]);
    const y = r.ops.mul(x, w);
    expect(() => buildTrainingGraph(r, { loss: y, params: ['w'] })).toThrow(/float32 scalar.*\[B, 3\]/);
    const loss = r.ops.reduceSum(y);
    expect(() => buildTrainingGraph(r, { loss, params: ['v'] })).toThrow(/no parameter 'v'.*has w/);
    expect(() => buildTrainingGraph(r, { loss, params: ['w', 'w'] })).toThrow(/listed twice/);
    const other = createOnnxRecorder();
    const foreign = other.ops.reduceSum(other.param('w', Float32Array.of(1), [1]));
    expect(() => buildTrainingGraph(r, { loss: foreign, params: ['w'] })).toThrow(LfmError);
    // A hand-added op with no rule on the path to the loss.
    const [abs] = r.graph.addNode(
      'Abs',
      [y],
      [{ dtype: 'float32', shape: y.shape, dims: y.dims }],
      {},
      {
        op: 'custom',
      },
    );
    expect(() => buildTrainingGraph(r, { loss: r.ops.reduceSum(abs!), params: ['w'] })).toThrow(
      /no gradient rule for Abs/,
    );
  });
});
