import { initParameters, resolveLifterConfig } from '@lfm/model';
import { describe, expect, it } from 'vitest';
import { exportLifter } from './export.js';
import { LifterFormatError } from './export-metadata.js';
import { createOnnxRecorder } from './recorder.js';
import { readLifterWeights } from './weights.js';

describe('readLifterWeights', () => {
  const config = resolveLifterConfig({
    dModel: 8,
    layers: 1,
    heads: 2,
    mlpRatio: 2,
    jointCodes: 2,
    maxPoints: 40,
  });
  const params = initParameters(config);

  it('gives back the config, every parameter bit for bit, the training metadata and the code tables', () => {
    const codes = Float32Array.from([0.1, -2, 3.25, 1e-7, 0.3333333, 7]);
    const bytes = exportLifter(
      { config, params, metadata: { step: 12 } },
      { jointCodeTables: { 'my-rig': { joints: ['a', 'b', 'c'], codes } } },
    );
    const w = readLifterWeights(bytes);
    expect(w.config).toEqual(config);
    expect(Object.keys(w.params)).toEqual(Object.keys(params));
    for (const [n, v] of Object.entries(params)) expect(Array.from(w.params[n]!), n).toEqual(Array.from(v));
    expect(w.metadata).toEqual({ step: 12 });
    expect(w.jointCodeTables['my-rig']!.joints).toEqual(['a', 'b', 'c']);
    expect(Array.from(w.jointCodeTables['my-rig']!.codes)).toEqual(Array.from(codes));
    // A model without tables or training metadata.
    const plain = readLifterWeights(exportLifter({ config, params }));
    expect(plain.jointCodeTables).toEqual({});
    expect(plain.metadata).toBeUndefined();
  });

  it('refuses an ONNX model that is not an LFM lifter, naming the file', () => {
    const r = createOnnxRecorder();
    r.output('y', r.ops.add(r.input('x', [2]), 1));
    expect(() => readLifterWeights(r.toModel(), { file: 'other.onnx' })).toThrow(LifterFormatError);
    expect(() => readLifterWeights(r.toModel(), { file: 'other.onnx' })).toThrow(
      /^other\.onnx: not an LFM lifter/,
    );
  });
});
