import { type Dim, type Ops, Rng, ShapeError } from '@lfm/core';
import { createReferenceOps, refTensor, worstRelativeError } from '@lfm/core/testing';
import { createTfjsOps } from '@lfm/core/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { decodeModel } from '@lfm/format';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkModel, createOnnxRecorder, type Sym } from './index.js';

// Every op is recorded with B = 2, N = 5 and run with B = 3, N = 7 (dynamic dims), and compared with
// the Float64 reference engine and the tfjs engine (cpu) on the same float32 inputs.
const TRACE = { B: 2, N: 5 };
const RUN = { B: 3, N: 7 };

const refOps = createReferenceOps();
const tfOps = createTfjsOps(tf);

beforeAll(async () => {
  tf.enableProdMode(); // tfjs's documented switch: no "install tfjs-node" banner on the first write
  await tf.setBackend('cpu');
});

type Program = <T>(o: Ops<T>, xs: T[]) => T;
type Gen = 'normal' | 'positive' | 'ints';

interface Case {
  /** Input dims; strings are B / N. */
  inputs: readonly (readonly Dim[])[];
  /** How to draw each input (default normal). */
  gen?: Gen | readonly Gen[];
  tol?: number;
}

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const concrete = (dims: readonly Dim[], sizes: Record<string, number>) =>
  dims.map((d) => (typeof d === 'number' ? d : sizes[d]!));

function draw(rng: Rng, n: number, gen: Gen): Float32Array {
  return Float32Array.from({ length: n }, () =>
    gen === 'positive' ? 0.2 + 2 * rng.uniform() : gen === 'ints' ? rng.int(3) - 1 : 1.5 * rng.normal(),
  );
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const { worst, at } = worstRelativeError(got, want);
  expect(worst, `${what}: worst at ${at}: got ${got[at]}, want ${want[at]}`).toBeLessThanOrEqual(tol);
}

/** The recorded model of `program` over symbolic inputs x0, x1, … and its output value. */
function record(program: Program, inputs: readonly (readonly Dim[])[]): { bytes: Uint8Array; y: Sym } {
  const r = createOnnxRecorder({ dims: TRACE });
  const xs = inputs.map((dims, i) => r.input(`x${i}`, dims));
  const y = r.output('y', program(r.ops, xs));
  return { bytes: r.toModel(), y };
}

/** Evaluates a symbolic dim label (`'N'`, `'B*N*2'`, `'N-1'`, `'N+N'`, `'N/2'`) at concrete sizes. */
function evalDimLabel(label: string, sizes: Record<string, number>): number {
  const factor = (f: string) => (/^\d+$/.test(f) ? Number(f) : sizes[f]!);
  const term = (t: string) =>
    t
      .split(/(?=[*/])/)
      .reduce(
        (acc, part) => (part[0] === '/' ? acc / factor(part.slice(1)) : acc * factor(part.replace('*', ''))),
        1,
      );
  return label.split(/(?=[+-])/).reduce((acc, part) => {
    if (part[0] === '-') return acc - term(part.slice(1));
    return acc + term(part.replace('+', ''));
  }, 0);
}

let seed = 1;

/** Records `program`, runs it in onnxruntime-node at the RUN sizes, compares with reference and tfjs. */
async function parity(program: Program, c: Case): Promise<{ shape: readonly number[]; data: Float32Array }> {
  const rng = new Rng(seed++);
  const gens = c.inputs.map((_, i) => (Array.isArray(c.gen) ? c.gen[i] : c.gen) ?? 'normal') as Gen[];
  const shapes = c.inputs.map((d) => concrete(d, RUN));
  const data = shapes.map((s, i) => draw(rng, sizeOf(s), gens[i]!));
  const tol = c.tol ?? 1e-5;

  const { bytes, y } = record(program, c.inputs);
  checkModel(bytes);
  const session = await ort.InferenceSession.create(bytes);
  const feeds = Object.fromEntries(data.map((d, i) => [`x${i}`, new ort.Tensor('float32', d, shapes[i]!)]));
  const out = (await session.run(feeds)).y!;
  const got = { shape: out.dims.map(Number), data: out.data as Float32Array };
  await session.release();

  const want = program(
    refOps,
    data.map((d, i) => refTensor(d, shapes[i]!)),
  );
  expect(got.shape, 'onnx vs reference shape').toEqual(want.shape);
  expectClose(got.data, want.data, tol, 'onnx vs reference');

  const tfjs = tf.tidy(() => {
    const t = program(
      tfOps,
      data.map((d, i) => tf.tensor(d, shapes[i]!)),
    );
    return { shape: t.shape, data: t.dataSync() as Float32Array };
  });
  expect(got.shape, 'onnx vs tfjs shape').toEqual(tfjs.shape);
  expectClose(got.data, tfjs.data, tol, 'onnx vs tfjs');

  // The declared output dims are right at the run sizes: numbers are fixed, B/N are the fed sizes.
  const declared = checkModel(bytes).outputs[0]!.dims!;
  expect(declared).toEqual(y.dims);
  declared.forEach((d, i) => {
    const size = typeof d === 'number' ? d : evalDimLabel(d, RUN);
    expect(got.shape[i], `output axis ${i} (${d})`).toBe(size);
  });
  return got;
}

const BN4: Dim[] = ['B', 'N', 4];

describe('recorder: per-op parity with the reference and tfjs engines (traced B=2,N=5, run B=3,N=7)', () => {
  it('constant, scalar, and number operands', async () => {
    const w = Float32Array.from([0.5, -2, 3, 0.25]);
    await parity((o, [x]) => o.add(o.mul(x!, o.constant(w, [4])), o.scalar(3)), { inputs: [BN4] });
    await parity((o, [x]) => o.sub(2, o.div(x!, 4)), { inputs: [BN4] });
    await parity((o, [x]) => o.mul(o.constant([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 4]), x!), {
      inputs: [['N', 4]],
    });
  });

  it('add, sub, mul, div with numpy broadcasting', async () => {
    const cases: [Dim[], Dim[]][] = [
      [BN4, [4]],
      [
        ['B', 1, 4],
        ['N', 4],
      ],
      [
        ['B', 'N', 1],
        [1, 'N', 4],
      ],
      [[4], BN4],
      [BN4, []],
    ];
    for (const [a, b] of cases) {
      await parity((o, [x, y]) => o.add(x!, y!), { inputs: [a, b] });
      await parity((o, [x, y]) => o.sub(x!, y!), { inputs: [a, b] });
      await parity((o, [x, y]) => o.mul(x!, y!), { inputs: [a, b] });
      await parity((o, [x, y]) => o.div(x!, y!), { inputs: [a, b], gen: ['normal', 'positive'] });
    }
  });

  it('pow, maximum, minimum', async () => {
    await parity((o, [x, y]) => o.pow(x!, y!), { inputs: [BN4, [4]], gen: ['positive', 'normal'] });
    await parity((o, [x]) => o.pow(x!, 2), { inputs: [BN4] });
    await parity((o, [x]) => o.pow(3, x!), { inputs: [BN4] });
    await parity((o, [x, y]) => o.maximum(x!, y!), { inputs: [BN4, ['N', 1]] });
    await parity((o, [x, y]) => o.minimum(x!, y!), {
      inputs: [
        ['B', 1, 4],
        ['N', 4],
      ],
    });
    await parity((o, [x]) => o.maximum(o.minimum(x!, 1), -0.5), { inputs: [BN4] });
  });

  it('equal, greater (0/1 float) and where (cast condition)', async () => {
    const eq = await parity((o, [x, y]) => o.equal(x!, y!), { inputs: [BN4, [4]], gen: 'ints' });
    expect(eq.data.some((v) => v === 1) && eq.data.some((v) => v === 0)).toBe(true);
    await parity((o, [x]) => o.equal(x!, 0), { inputs: [BN4], gen: 'ints' });
    await parity((o, [x, y]) => o.greater(x!, y!), { inputs: [BN4, ['B', 'N', 1]], gen: 'ints' });
    await parity((o, [x]) => o.greater(1, x!), { inputs: [BN4] });
    await parity((o, [c, x, y]) => o.where(o.greater(c!, 0), x!, y!), {
      inputs: [['B', 'N', 1], [4], BN4],
    });
    await parity((o, [c, x]) => o.where(c!, x!, -1), { inputs: [['N', 1], BN4], gen: ['ints', 'normal'] });
    await parity((o, [c]) => o.where(c!, 2, 3), { inputs: [BN4], gen: 'ints' });
  });

  it('unary ops and gelu', async () => {
    for (const f of ['neg', 'exp', 'erf', 'sin', 'cos', 'tanh', 'sigmoid', 'gelu'] as const) {
      await parity((o, [x]) => o[f](x!), { inputs: [BN4] });
    }
    for (const f of ['sqrt', 'reciprocal', 'log'] as const) {
      await parity((o, [x]) => o[f](x!), { inputs: [BN4], gen: 'positive' });
    }
  });

  it('reductions: all axes, one axis, several axes, keepDims, negative axes, symbolic axes', async () => {
    for (const f of ['reduceSum', 'reduceMean', 'reduceMax'] as const) {
      await parity((o, [x]) => o[f](x!), { inputs: [BN4] });
      await parity((o, [x]) => o[f](x!, -1), { inputs: [BN4] });
      await parity((o, [x]) => o[f](x!, 1, true), { inputs: [BN4] });
      await parity((o, [x]) => o[f](x!, [0, -1], true), { inputs: [BN4] });
      await parity((o, [x]) => o[f](x!, [2, 0]), { inputs: [BN4] });
    }
  });

  it('softmax (plain and with an additive key mask) and layerNorm', async () => {
    await parity((o, [x]) => o.softmax(x!), { inputs: [BN4] });
    await parity((o, [x, m]) => o.softmax(o.add(x!, o.mul(o.sub(m!, 1), 1e9))), {
      inputs: [
        ['B', 'N', 'N'],
        ['B', 1, 'N'],
      ],
      gen: ['normal', 'ints'],
    });
    await parity((o, [x, g, b]) => o.layerNorm(x!, g!, b!), { inputs: [['B', 'N', 6], [6], [6]] });
    await parity((o, [x, g, b]) => o.layerNorm(x!, g!, b!, 0.5), { inputs: [['N', 6], [6], [6]] });
  });

  it('matMul: every transpose combination, batch broadcasting, symbolic inner dims', async () => {
    await parity((o, [x, y]) => o.matMul(x!, y!), { inputs: [BN4, [4, 3]] });
    await parity((o, [x, y]) => o.matMul(x!, y!, { transposeB: true }), { inputs: [BN4, [3, 4]] });
    await parity((o, [x, y]) => o.matMul(x!, y!, { transposeA: true }), { inputs: [BN4, ['B', 'N', 3]] });
    await parity((o, [x, y]) => o.matMul(x!, y!, { transposeA: true, transposeB: true }), {
      inputs: [BN4, ['B', 3, 'N']],
    });
    // attention-style q·kᵀ: [B, N, 4]·[B, N, 4]ᵀ → [B, N, N]
    await parity((o, [x, y]) => o.matMul(x!, y!, { transposeB: true }), { inputs: [BN4, BN4] });
    await parity((o, [x, y]) => o.matMul(x!, y!), {
      inputs: [
        ['B', 1, 'N', 4],
        [3, 4, 6],
      ],
    });
    await parity((o, [x, y]) => o.matMul(x!, y!), {
      inputs: [
        [3, 4],
        ['B', 4, 'N'],
      ],
    });
    await parity((o, [x, y]) => o.matMul(x!, y!, { transposeA: true }), {
      inputs: [
        ['B', 4, 3],
        [4, 2],
      ],
    });
  });

  it('linear with and without bias, on rank 1, 2 and 3 inputs', async () => {
    await parity((o, [x, w, b]) => o.linear(x!, w!, b!), { inputs: [BN4, [4, 3], [3]] });
    await parity((o, [x, w]) => o.linear(x!, w!), {
      inputs: [
        ['N', 4],
        [4, 3],
      ],
    });
    await parity((o, [x, w, b]) => o.linear(x!, w!, b!), { inputs: [[4], [4, 3], [3]] });
  });

  it('concat, slice, gather', async () => {
    await parity((o, [x, y]) => o.concat([x!, y!, x!], -1), { inputs: [BN4, ['B', 'N', 2]] });
    await parity((o, [x, y]) => o.concat([x!, y!], 1), { inputs: [BN4, BN4] }); // along N: N+N
    await parity((o, [x]) => o.concat([x!], 0), { inputs: [BN4] });
    await parity((o, [x]) => o.slice(x!, -1, 1, 3), { inputs: [BN4] });
    await parity((o, [x]) => o.slice(x!, 1, 1), { inputs: [BN4] }); // N-1
    await parity((o, [x]) => o.slice(x!, 1, -2), { inputs: [BN4] }); // last 2
    await parity((o, [x]) => o.slice(x!, 1, 0, 3), { inputs: [BN4] }); // first 3
    await parity((o, [x]) => o.slice(x!, 1, 1, -1), { inputs: [BN4] }); // N-2
    await parity((o, [x]) => o.slice(x!, 2, 0, 100), { inputs: [BN4] });
    await parity((o, [x]) => o.slice(x!, 1, 0, 100), { inputs: [BN4] }); // clamped: all N
    await parity((o, [x]) => o.slice(x!, 1, -100, -1), { inputs: [BN4] }); // clamped: N-1
    await parity((o, [x]) => o.gather(x!, [2, 0, 2], -1), { inputs: [BN4] });
    await parity((o, [x]) => o.gather(x!, Int32Array.from([4, 0]), 1), { inputs: [BN4] });
  });

  it('transpose, reshape (0 copies, -1 infers), expandDims, squeeze, stopGradient', async () => {
    await parity((o, [x]) => o.transpose(x!, [2, 0, 1]), { inputs: [BN4] });
    await parity((o, [x]) => o.reshape(x!, [0, 0, 2, -1]), { inputs: [BN4] });
    await parity((o, [x]) => o.reshape(x!, [-1, 4]), { inputs: [BN4] }); // B*N
    await parity((o, [x]) => o.reshape(x!, [0, -1]), { inputs: [BN4] }); // N*4
    await parity((o, [x]) => o.reshape(o.transpose(o.reshape(x!, [0, 0, 2, 2]), [0, 2, 1, 3]), [0, -1, 4]), {
      inputs: [BN4],
    });
    await parity((o, [x]) => o.expandDims(x!, 0), { inputs: [BN4] });
    await parity((o, [x]) => o.expandDims(x!, -1), { inputs: [BN4] });
    await parity((o, [x]) => o.expandDims(x!, 1), { inputs: [BN4] });
    await parity((o, [x]) => o.squeeze(o.expandDims(x!, 2), 2), { inputs: [BN4] });
    await parity((o, [x]) => o.squeeze(o.expandDims(o.expandDims(x!, 0), -1), [0, -1]), { inputs: [BN4] });
    await parity((o, [x]) => o.mul(x!, o.stopGradient(x!)), { inputs: [BN4] });
  });

  it('shape() reports the traced sizes', () => {
    const r = createOnnxRecorder({ dims: TRACE });
    const x = r.input('x', BN4);
    expect(r.ops.shape(x)).toEqual([2, 5, 4]);
    expect(r.ops.shape(r.ops.reshape(x, [-1, 2]))).toEqual([20, 2]);
    expect(r.ops.reshape(x, [-1, 2]).dims).toEqual(['B*N*2', 2]);
    expect(evalDimLabel('B*N*2', RUN)).toBe(42);
    expect(evalDimLabel('N-1', RUN)).toBe(6);
    expect(evalDimLabel('N+N+3', RUN)).toBe(17);
    expect(evalDimLabel('3-N', RUN)).toBe(-4);
    expect(r.ops.engine).toBe('onnx');
  });
});

describe('recorder: the graph it builds', () => {
  it('emits standard opset-17 nodes with readable names, static shapes and symbolic dims', () => {
    const r = createOnnxRecorder({ dims: TRACE });
    const o = r.ops;
    const x = r.input('points', ['B', 'N', 2]);
    const w = r.param('enc.w', new Float32Array(8), [2, 4]);
    const h = r.scope('enc', () => o.gelu(o.linear(x, w)));
    const s = o.stopGradient(o.reduceMean(h, -1));
    const y = r.output('out', o.add(o.mul(s, 2), 2));
    const g = r.graph;
    expect(g.nodes.map((n) => n.opType)).toEqual([
      'MatMul',
      'Div',
      'Erf',
      'Add',
      'Mul',
      'Mul',
      'ReduceMean',
      'Identity',
      'Mul',
      'Add',
    ]);
    expect(g.nodes[0]!.name).toBe('enc/linear_0/MatMul');
    expect(g.nodes[1]!.name).toBe('enc/gelu_0/Div');
    expect(g.nodes[5]!.name).toBe('enc/gelu_0/Mul_1');
    expect(new Set(g.nodes.map((n) => n.name)).size).toBe(g.nodes.length);
    // Inputs are value objects with producers: a backward pass can walk the graph.
    const matmul = g.nodes[0]!;
    expect(matmul.inputs).toEqual([x, w]);
    expect(matmul.outputs[0]!.shape).toEqual([2, 5, 4]);
    expect(matmul.outputs[0]!.dims).toEqual(['B', 'N', 4]);
    expect(g.nodes[1]!.inputs[0]!.producer).toBe(matmul);
    const mean = g.nodes[6]!;
    expect(mean.attributes).toEqual({
      axes: { type: 'ints', value: [2] },
      keepdims: { type: 'int', value: 0 },
    });
    expect(mean.op).toBe('reduceMean');
    const stop = g.nodes[7]!;
    expect([stop.op, stop.stopGradient]).toEqual(['stopGradient', true]);
    expect(g.nodes.filter((n) => n.stopGradient)).toEqual([stop]);
    // The output renames the last node's value; its dims stay symbolic.
    expect(y.name).toBe('out');
    expect(y.dims).toEqual(['B', 'N']);
    // Constants are deduplicated: 2 appears twice, √2 / 1 / 0.5 once each.
    expect(g.constants.map((c) => c.name).sort()).toEqual([
      'const/0.5',
      'const/1',
      'const/1.4142135381698608',
      'const/2',
    ]);
    expect(g.params).toEqual([w]);
  });

  it('exports symbolic B/N at the boundary and fixed sizes elsewhere', () => {
    const r = createOnnxRecorder({ dims: TRACE });
    const x = r.input('points', ['B', 'N', 2]);
    const y = r.ops.linear(x, r.param('w', new Float32Array(6), [2, 3]));
    r.output('points3d', y);
    const s = checkModel(
      r.toModel({ producer: { name: 'lfm', version: '0.1.0' }, metadata: { rig: 'h36m-17' } }),
    );
    expect(s.inputs).toEqual([{ name: 'points', elemType: 'float', dims: ['B', 'N', 2] }]);
    expect(s.outputs).toEqual([{ name: 'points3d', elemType: 'float', dims: ['B', 'N', 3] }]);
    expect(s).toMatchObject({
      irVersion: 8,
      opsets: { '': 17 },
      producerName: 'lfm',
      producerVersion: '0.1.0',
    });
    expect(s.metadata).toEqual({ rig: 'h36m-17' });
  });

  it('paramsAs inputs: parameters become graph inputs fed at run time (the training graph)', async () => {
    const build = (paramsAs: 'initializers' | 'inputs') => {
      const r = createOnnxRecorder({ dims: TRACE, paramsAs });
      const p = r.params({
        w: Float32Array.from([1, 2, 3, 4, 5, 6]),
        b: Float32Array.from([1, 0, -1]),
        unused: new Float32Array(1),
      });
      const x = r.input('x', ['B', 2]);
      r.output('y', r.ops.linear(x, p.get('w', [2, 3]), p.get('b', [3])));
      expect(p.get('w', [2, 3])).toBe(r.graph.params[0]);
      expect(() => p.get('w', [3, 2])).toThrow(ShapeError);
      expect(() => p.get('nope', [1])).toThrow(/'nope' \[1\] is missing/);
      return r.toModel();
    };
    const asInputs = checkModel(build('inputs'));
    expect(asInputs.inputs.map((v) => [v.name, v.dims])).toEqual([
      ['x', ['B', 2]],
      ['w', [2, 3]],
      ['b', [3]],
    ]);
    expect(asInputs.initializers).toBe(0);
    const x = new ort.Tensor('float32', Float32Array.from([1, 1, 2, -1]), [2, 2]);
    const s1 = await ort.InferenceSession.create(build('inputs'));
    const w2 = new ort.Tensor('float32', Float32Array.from([0, 0, 0, 0, 0, 0]), [2, 3]);
    const b2 = new ort.Tensor('float32', Float32Array.from([7, 8, 9]), [3]);
    expect(Array.from((await s1.run({ x, w: w2, b: b2 })).y!.data as Float32Array)).toEqual([
      7, 8, 9, 7, 8, 9,
    ]);
    const s2 = await ort.InferenceSession.create(build('initializers'));
    expect(Array.from((await s2.run({ x })).y!.data as Float32Array)).toEqual([6, 7, 8, -1, -1, -1]);
    const asInit = checkModel(build('initializers'));
    expect([asInit.inputs.length, asInit.initializers]).toEqual([1, 2]);
  });

  it('constantsAs nodes, and outputs that are inputs, parameters or the same value twice (Identity)', async () => {
    const r = createOnnxRecorder({ dims: TRACE });
    const x = r.input('x', [5]);
    const y = r.ops.add(x, r.ops.constant([1, 2, 3, 4, 5], [5]));
    r.output('y', y);
    r.output('y_again', y);
    r.output('x_echo', x);
    r.output('w_echo', r.param('w', Float32Array.of(4), [1]));
    const bytes = r.toModel({ constantsAs: 'nodes' });
    const s = checkModel(bytes);
    expect(s.initializers).toBe(1); // the parameter
    expect(s.opTypes).toMatchObject({ Constant: 1, Identity: 3, Add: 1 });
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 1, 1, 1, 1]), [5]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([2, 3, 4, 5, 6]);
    expect(Array.from(out.y_again!.data as Float32Array)).toEqual([2, 3, 4, 5, 6]);
    expect(Array.from(out.x_echo!.data as Float32Array)).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(out.w_echo!.data as Float32Array)).toEqual([4]);
  });

  it('drops nodes and constants no output depends on', () => {
    const r = createOnnxRecorder({ dims: TRACE });
    const x = r.input('x', ['B', 4]);
    r.ops.exp(r.ops.mul(x, 123)); // dead
    r.output('y', r.ops.neg(x));
    const m = decodeModel(r.toModel());
    expect(m.graph!.node.map((n) => n.opType)).toEqual(['Neg']);
    expect(m.graph!.initializer).toEqual([]);
    expect(r.graph.nodes).toHaveLength(3); // the recorded graph itself keeps everything
  });

  it('rejects graphs that would only run at the traced B / N', () => {
    const r = createOnnxRecorder({ dims: TRACE });
    const o = r.ops;
    const x = r.input('x', ['B', 'N', 2]);
    // A constant whose size happens to equal the traced N.
    expect(() => o.add(x, o.constant(new Float32Array(10), [5, 2]))).toThrow(
      /symbolic dim 'N' \(traced as 5\)/,
    );
    expect(() => o.add(x, o.constant(new Float32Array(10), [5, 2]))).toThrow(ShapeError);
    // A reshape to sizes computed from shape().
    expect(() => o.reshape(x, [10, 2])).toThrow(/fixes the size of symbolic dim\(s\) B, N/);
    expect(() => o.reshape(x, [0, 10])).toThrow(/symbolic dim\(s\) N/);
    expect(() => o.matMul(x, o.constant(new Float32Array(10), [5, 2]), { transposeA: true })).toThrow(/'N'/);
    expect(() => o.concat([x, o.constant(new Float32Array(10), [1, 5, 2])], 0)).toThrow(/'N'/);
    // Fine: fixed sizes that do not touch B / N.
    expect(o.reshape(x, [0, 0, 1, 2]).dims).toEqual(['B', 'N', 1, 2]);
  });

  it('reports misuse with clear errors', () => {
    expect(() => createOnnxRecorder({ dims: { B: 1 } })).toThrow(/size ≥ 2/);
    const r = createOnnxRecorder({ dims: TRACE });
    expect(() => r.input('x', ['B', 'K'])).toThrow(/traced size of symbolic dim 'K'/);
    const x = r.input('x', ['B', 3]);
    expect(() => r.input('x', [2])).toThrow(/'x' is already used/);
    expect(() => r.param('w', new Float32Array(5), [2, 3])).toThrow(/needs 6 float32 values, got 5/);
    const other = createOnnxRecorder({ dims: TRACE }).input('z', [3]);
    expect(() => r.ops.add(x, other)).toThrow(/recorded by this recorder/);
    expect(() => r.ops.add(x, r.ops.constant(new Float32Array(2), [2]))).toThrow(/^add: /);
    expect(() => r.ops.squeeze(x, 1)).toThrow(/not 1/);
    expect(() => r.ops.transpose(x, [0, 0])).toThrow(/permutation/);
    expect(() => r.ops.gather(x, [3], 1)).toThrow(/out of range/);
    expect(() => r.ops.layerNorm(x, x, x)).toThrow(/layerNorm/);
    expect(() => r.toModel()).toThrow(/no outputs/);
    r.output('y', r.ops.neg(x));
    expect(() => r.output('y', x)).toThrow(/'y' is already used/);
    expect(() => r.toModel({ opset: 18 })).toThrow(/opset 18 is not supported/);
  });
});
