import { LfmError, Rng } from '@lfm/core';
import {
  AttributeType,
  DataType,
  decodeModel,
  encodeModel,
  float32Tensor,
  int64Tensor,
  type ModelProto,
  ProtoReader,
  ProtoWriter,
  tensorToBigInt64,
  tensorToFloat32,
} from '@lfm/format';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { checkModel, createOnnxRecorder, OnnxFormatError, readModelMetadata } from './index.js';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

describe('protobuf wire format', () => {
  it('encodes varints as protobuf does (known bytes), including negative int64 as 10 bytes', () => {
    const enc = (v: number | bigint) => hex(new ProtoWriter().varint(v).finish());
    expect(enc(0)).toBe('00');
    expect(enc(1)).toBe('01');
    expect(enc(127)).toBe('7f');
    expect(enc(128)).toBe('80 01');
    expect(enc(300)).toBe('ac 02');
    expect(enc(2 ** 32)).toBe('80 80 80 80 10');
    expect(enc(-1)).toBe('ff ff ff ff ff ff ff ff ff 01');
    expect(enc(-2)).toBe('fe ff ff ff ff ff ff ff ff 01');
    expect(enc(0x7fffffffffffffffn)).toBe('ff ff ff ff ff ff ff ff 7f');
    expect(() => enc(2 ** 60)).toThrow(/safe integer/);
    // Field tags: (field << 3) | wire type.
    expect(hex(new ProtoWriter().stringField(2, 'hi').finish())).toBe('12 02 68 69');
    expect(hex(new ProtoWriter().floatField(2, 1).finish())).toBe('15 00 00 80 3f');
  });

  it('decodes what it encodes: varints (number when safe, bigint otherwise), floats, bytes', () => {
    const values = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1, -1, -(2 ** 40), -(2 ** 53) + 1];
    const big = [0x7fffffffffffffffn, -0x8000000000000000n, 2n ** 60n];
    const w = new ProtoWriter();
    for (const v of [...values, ...big]) w.int64Field(1, v);
    w.floatField(2, -2.5)
      .stringField(3, 'ünï')
      .messageField(4, (s) => s.int64Field(1, 7));
    const r = new ProtoReader(w.finish(), 'test');
    for (const v of values) expect(r.next()!.int).toBe(v);
    for (const v of big) expect(r.next()!.int).toBe(v);
    const f = r.next()!;
    expect([f.field, f.wire, new DataView(f.bytes!.buffer, f.bytes!.byteOffset).getFloat32(0, true)]).toEqual(
      [2, 5, -2.5],
    );
    expect(new TextDecoder().decode(r.next()!.bytes!)).toBe('ünï');
    expect(hex(r.next()!.bytes!)).toBe('08 07');
    expect(r.next()).toBeUndefined();
  });

  it('rejects truncated varints and fields, over-long varints and group wire types, naming the offset', () => {
    expect(() => new ProtoReader(Uint8Array.of(0x08, 0x80), 'M').next()).toThrow(
      /truncated varint \(in M, byte 1\)/,
    );
    expect(() => new ProtoReader(Uint8Array.of(0x0a, 0x05, 1, 2), 'M').next()).toThrow(
      /needs 5 bytes, 2 remain/,
    );
    expect(() => new ProtoReader(Uint8Array.of(0x08, ...new Array(10).fill(0xff), 1), 'M').next()).toThrow(
      /longer than 10 bytes/,
    );
    expect(() => new ProtoReader(Uint8Array.of(0x0b), 'M').next()).toThrow(/wire type 3 \(group start\)/);
    expect(() => new ProtoReader(Uint8Array.of(0x00), 'M').next()).toThrow(/invalid field tag 0/);
  });
});

/** A model using every message and field kind the codec supports. */
function richModel(): ModelProto {
  return {
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.example', version: 1 },
    ],
    producerName: 'test',
    producerVersion: '1.2.3',
    domain: 'ai.lfm',
    modelVersion: 4,
    docString: 'a model',
    graph: {
      name: 'g',
      docString: 'the graph',
      node: [
        {
          input: ['x', 'shape'],
          output: ['r'],
          name: 'reshape',
          opType: 'Reshape',
          attribute: [{ name: 'allowzero', type: AttributeType.INT, i: 0 }],
        },
        {
          input: ['r', '', 'w'],
          output: ['y', ''],
          name: 'custom',
          opType: 'Thing',
          domain: 'com.example',
          docString: 'every attribute kind',
          attribute: [
            { name: 'f', type: AttributeType.FLOAT, f: 0.5 },
            { name: 'i', type: AttributeType.INT, i: -3 },
            { name: 'big', type: AttributeType.INT, i: 0x7fffffffffffffffn },
            { name: 's', type: AttributeType.STRING, s: new TextEncoder().encode('héllo') },
            { name: 't', type: AttributeType.TENSOR, t: float32Tensor('', [2], Float32Array.of(1, -1)) },
            { name: 'floats', type: AttributeType.FLOATS, floats: [1.5, -2] },
            { name: 'ints', type: AttributeType.INTS, ints: [0, -1, 2 ** 40] },
            { name: 'strings', type: AttributeType.STRINGS, strings: [Uint8Array.of(97), Uint8Array.of()] },
            {
              name: 'g',
              type: AttributeType.GRAPH,
              g: { node: [], initializer: [], input: [], output: [], valueInfo: [], name: 'sub' },
            },
          ],
        },
      ],
      initializer: [
        float32Tensor('w', [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6)),
        int64Tensor('shape', [2], [0, -1n]),
        { name: 'fd', dims: [2], dataType: DataType.FLOAT, floatData: [0.25, 8] },
        { name: 'id', dims: [3], dataType: DataType.INT64, int64Data: [1, -2, 3] },
        { name: 'dd', dims: [1], dataType: DataType.DOUBLE, doubleData: [Math.PI] },
        { name: 'i32', dims: [2], dataType: DataType.INT32, int32Data: [-7, 7] },
      ],
      input: [
        {
          name: 'x',
          docString: 'points',
          type: {
            tensorType: {
              elemType: DataType.FLOAT,
              shape: {
                dim: [{ dimParam: 'B' }, { dimParam: 'N', denotation: 'DATA_FEATURE' }, { dimValue: 2 }],
              },
            },
          },
        },
      ],
      output: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT } } }],
      valueInfo: [{ name: 'r', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [] } } } }],
    },
    metadataProps: [
      { key: 'lfm.dim', value: '128' },
      { key: 'note', value: 'ünicode ✓' },
    ],
  };
}

describe('ONNX message codec', () => {
  it('round-trips every message and field kind: decode(encode(m)) = m, and re-encoding is byte-identical', () => {
    const m = richModel();
    const bytes = encodeModel(m);
    const back = decodeModel(bytes);
    expect(back).toEqual(m);
    expect(encodeModel(back)).toEqual(bytes);
  });

  it('reads tensor data from raw_data (little-endian) and from the typed fields', () => {
    const g = decodeModel(encodeModel(richModel())).graph!;
    const byName = Object.fromEntries(g.initializer.map((t) => [t.name, t]));
    expect(Array.from(tensorToFloat32(byName.w!))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(hex(byName.w!.rawData!.subarray(0, 4))).toBe('00 00 80 3f'); // 1.0f, little-endian
    expect(Array.from(tensorToBigInt64(byName.shape!))).toEqual([0n, -1n]);
    expect(Array.from(tensorToFloat32(byName.fd!))).toEqual([0.25, 8]);
    expect(Array.from(tensorToBigInt64(byName.id!))).toEqual([1n, -2n, 3n]);
    expect(() => tensorToFloat32(byName.id!)).toThrow(/expected FLOAT/);
    expect(() => tensorToFloat32({ ...byName.w!, dims: [7] })).toThrow(/expected 28/);
    expect(() => tensorToBigInt64(byName.w!)).toThrow("tensor 'w' has data type 1, expected INT64 (7)");
    expect(() => tensorToBigInt64({ ...byName.shape!, dims: [3] })).toThrow(/has 16 raw bytes, expected 24/);
    expect(() => tensorToFloat32({ ...byName.fd!, dims: [3] })).toThrow("tensor 'fd' [3] has 2 elements");
  });

  it('accepts packed and unpacked repeated scalars alike (proto2 writers differ)', () => {
    // TensorProto { dims: [2, 3] packed; data_type: FLOAT; float_data: packed [1, 2, 3, 4, 5, 6] }.
    const floats = new ProtoWriter();
    for (let k = 1; k <= 6; k++) floats.float32(k);
    const tensor = new ProtoWriter()
      .bytesField(1, Uint8Array.of(2, 3))
      .int64Field(2, DataType.FLOAT)
      .bytesField(4, floats.finish())
      .stringField(8, 'packed')
      .finish();
    // AttributeProto { name: 'perm', ints packed [0, 2, 1], type INTS }.
    const attr = new ProtoWriter()
      .stringField(1, 'perm')
      .bytesField(8, Uint8Array.of(0, 2, 1))
      .int64Field(20, AttributeType.INTS)
      .finish();
    const node = new ProtoWriter()
      .stringField(1, 'packed')
      .stringField(2, 'y')
      .stringField(4, 'Transpose')
      .bytesField(5, attr)
      .finish();
    const graph = new ProtoWriter().bytesField(1, node).bytesField(5, tensor).finish();
    const model = new ProtoWriter().int64Field(1, 8).bytesField(7, graph).finish();
    const m = decodeModel(model);
    expect(m.graph!.initializer[0]!.dims).toEqual([2, 3]);
    expect(Array.from(tensorToFloat32(m.graph!.initializer[0]!))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.graph!.node[0]!.attribute[0]!.ints).toEqual([0, 2, 1]);
  });

  it('skips fields it does not know (newer ONNX versions)', () => {
    const m = encodeModel(richModel());
    const extra = new ProtoWriter().raw(m).int64Field(99, 5).stringField(20, 'x').finish();
    expect(decodeModel(extra)).toEqual(richModel());
  });

  it('readModelMetadata reads metadata_props without decoding the graph', () => {
    expect(readModelMetadata(encodeModel(richModel()))).toEqual({ 'lfm.dim': '128', note: 'ünicode ✓' });
    const header = decodeModel(encodeModel(richModel()), { graph: false });
    expect(header.graph).toBeUndefined();
    expect(header.producerVersion).toBe('1.2.3');
  });

  it('decoding a corrupt or foreign file throws OnnxFormatError saying why', () => {
    const good = encodeModel(richModel());
    const fails = (bytes: Uint8Array, why: RegExp) => {
      expect(() => decodeModel(bytes)).toThrow(OnnxFormatError);
      expect(() => decodeModel(bytes)).toThrow(why);
      expect(() => readModelMetadata(bytes)).toThrow(OnnxFormatError);
    };
    fails(new Uint8Array(0), /empty/);
    fails(good.subarray(0, good.length - 7), /truncated/);
    fails(new TextEncoder().encode('{"points": [[1, 2]]}'), /not a valid ONNX model/);
    fails(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), /not a valid ONNX model/);
    // A well-formed protobuf that is not a ModelProto.
    fails(
      new ProtoWriter().int64Field(12, 1).stringField(30, 'x').finish(),
      /no ir_version \(field 1\) and graph \(field 7\)/,
    );
    // A field of the wrong wire type: graph (7) as a varint.
    fails(
      new ProtoWriter().int64Field(1, 8).int64Field(7, 1).finish(),
      /field 7 \(graph\) has wire type varint/,
    );
    // Invalid UTF-8 in a name.
    fails(new ProtoWriter().int64Field(1, 8).bytesField(2, Uint8Array.of(0xff, 0xfe)).finish(), /UTF-8/);
    // Random garbage, many seeds: always OnnxFormatError, never another exception or a silent success.
    const rng = new Rng(7);
    for (let k = 0; k < 300; k++) {
      const junk = Uint8Array.from({ length: 1 + rng.int(200) }, () => rng.int(256));
      expect(() => decodeModel(junk)).toThrow(OnnxFormatError);
    }
    // Byte flips inside a valid model: either still decodes or throws OnnxFormatError.
    for (let k = 0; k < 300; k++) {
      const bad = good.slice();
      bad[rng.int(bad.length)] = rng.int(256);
      try {
        decodeModel(bad);
      } catch (e) {
        expect(e).toBeInstanceOf(OnnxFormatError);
      }
    }
    const e = (() => {
      try {
        decodeModel(good.subarray(0, 40), { file: 'model.onnx' });
      } catch (err) {
        return err as OnnxFormatError;
      }
    })();
    expect(e).toBeInstanceOf(LfmError);
    expect(e?.message).toMatch(
      /^model\.onnx: not a valid ONNX model: truncated .* \(in ModelProto, byte \d+\)/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// checkModel
// ---------------------------------------------------------------------------------------------------

function validModel(): Uint8Array {
  const r = createOnnxRecorder({ dims: { B: 2, N: 5 } });
  const x = r.input('x', ['B', 'N', 2]);
  const w = r.param('w', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
  r.output('y', r.ops.softmax(r.ops.linear(x, w)));
  return r.toModel({ metadata: { kind: 'test' } });
}

/** `validModel` decoded, changed by `edit`, re-encoded. */
function edited(edit: (m: ModelProto) => void): Uint8Array {
  const m = decodeModel(validModel());
  edit(m);
  return encodeModel(m);
}

function problemsOf(bytes: Uint8Array): string[] {
  try {
    checkModel(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxFormatError);
    return [...(e as OnnxFormatError).problems];
  }
  return [];
}

describe('checkModel', () => {
  it('passes a valid model and summarises it', () => {
    const s = checkModel(validModel());
    expect(s).toEqual({
      irVersion: 8,
      opsets: { '': 17 },
      producerName: '@lfm/onnx',
      inputs: [{ name: 'x', elemType: 'float', dims: ['B', 'N', 2] }],
      outputs: [{ name: 'y', elemType: 'float', dims: ['B', 'N', 3] }],
      nodes: 2,
      initializers: 1,
      opTypes: { MatMul: 1, Softmax: 1 },
      metadata: { kind: 'test' },
    });
  });

  it('a node reading an undefined value (dangling input)', async () => {
    const bytes = edited((m) => {
      m.graph!.node[1]!.input[0] = 'nowhere';
    });
    expect(problemsOf(bytes)).toEqual([
      "node #1 'softmax_0/Softmax' (Softmax) reads 'nowhere', which no graph input, initializer or earlier node defines",
    ]);
    expect(() => checkModel(bytes)).toThrow(/invalid ONNX model \(1 problem\): node #1/);
    await expect(ort.InferenceSession.create(bytes)).rejects.toThrow(); // onnxruntime agrees
  });

  it('nodes out of topological order', () => {
    const bytes = edited((m) => {
      m.graph!.node.reverse();
    });
    expect(problemsOf(bytes)[0]).toMatch(/reads 'linear_0\/MatMul', which no .* earlier node defines/);
  });

  it('a missing default-domain opset import', async () => {
    const bytes = edited((m) => {
      m.opsetImport = [];
    });
    expect(problemsOf(bytes)).toEqual([
      'no opset_import for the default ONNX domain (ai.onnx): the model does not say which opset it uses',
    ]);
    expect(problemsOf(edited((m) => m.opsetImport.push({ domain: 'ai.onnx', version: 18 })))).toEqual([
      "opset_import lists domain 'ai.onnx' twice",
    ]);
  });

  it('garbage bytes', () => {
    expect(() => checkModel(Uint8Array.of(1, 2, 3, 4, 5))).toThrow(OnnxFormatError);
    expect(() => checkModel(new TextEncoder().encode('hello'), { file: 'x.onnx' })).toThrow(
      /^x\.onnx: not a valid ONNX model/,
    );
  });

  it('unknown ops, ops newer than the opset, unimported domains', () => {
    expect(problemsOf(edited((m) => (m.graph!.node[1]!.opType = 'Softmaxx')))[0]).toMatch(
      /'Softmaxx' is not an operator of the default ONNX domain/,
    );
    expect(problemsOf(edited((m) => (m.graph!.node[1]!.opType = 'Gelu')))[0]).toMatch(
      /'Gelu' needs opset ≥ 20, the model imports opset 17/,
    );
    expect(problemsOf(edited((m) => (m.graph!.node[1]!.domain = 'com.microsoft')))[0]).toMatch(
      /uses domain 'com.microsoft', which is not in opset_import/,
    );
    // Imported: fine (ops of other domains are not checked against a table).
    expect(
      problemsOf(
        edited((m) => {
          m.graph!.node[1]!.domain = 'com.microsoft';
          m.opsetImport.push({ domain: 'com.microsoft', version: 1 });
        }),
      ),
    ).toEqual([]);
  });

  it('duplicate definitions, undefined outputs, bad initializer data, IR too old; lists every problem', () => {
    const bytes = edited((m) => {
      const g = m.graph!;
      g.node[1]!.output[0] = 'x'; // redefines the input
      g.output.push({ name: 'ghost', type: { tensorType: { elemType: DataType.FLOAT } } });
      g.initializer[0]!.rawData = g.initializer[0]!.rawData!.subarray(0, 20);
      g.initializer.push({ ...g.initializer[0]!, rawData: new Uint8Array(24) });
      m.irVersion = 7;
    });
    const p = problemsOf(bytes);
    expect(p).toEqual([
      'opset 17 needs ir_version ≥ 8, the model has 7',
      "initializer 'w': [2, 3] float needs 24 bytes of raw_data, has 20",
      "initializer 'w' is defined twice",
      "node #1 'softmax_0/Softmax' (Softmax) writes 'x', which is already defined",
      "graph output 'y' is not computed by the graph",
      "graph output 'ghost' is not computed by the graph",
    ]);
    expect(() => checkModel(bytes)).toThrow(/\(6 problems\).*… and 1 more/);
  });
});
