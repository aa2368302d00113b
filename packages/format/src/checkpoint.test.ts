import { readFileSync } from 'node:fs';
import { DataFormatError } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_MAGIC,
  CHECKPOINT_PRELUDE_BYTES,
  CHECKPOINT_VERSION,
  crc32,
  DEFAULT_LIFTER_CONFIG,
  decodeCheckpointContainer,
  encodeCheckpointContainer,
} from './index.js';

// fixtures/lifter-v1.ckpt was written by `@lfm/model` encodeCheckpoint before the container moved
// here (a 1-layer d4 lifter with joint codes and mirror pairs: initParameters(config) as params,
// Adam m = p/2 and v = p² for the trainable ones, step 7). A running training writes and resumes
// such files, so reading and re-writing it must stay byte-exact.
const fixture = new Uint8Array(readFileSync(new URL('../fixtures/lifter-v1.ckpt', import.meta.url)));

describe('checkpoint container', () => {
  it('decodes a checkpoint written by the code before the move', () => {
    const c = decodeCheckpointContainer(fixture);
    expect(c.config).toEqual({
      ...DEFAULT_LIFTER_CONFIG,
      ...{ dModel: 4, layers: 1, heads: 2, mlpRatio: 1, jointCodes: 2, mirrorPairs: true },
      ...{ codedRigs: ['h36m-17'], maxPoints: 17 },
    });
    expect(c.optimizer).toEqual({ kind: 'adam', step: 7, hyper: { lr: 0.001 } });
    expect(c.metadata).toEqual({ step: 7, note: 'p5 fixture' });
    expect(c.tensors[0]).toMatchObject({ role: 'param', name: 'encoder.omega', shape: [2, 2] });
    const params = new Map(c.tensors.filter((t) => t.role === 'param').map((t) => [t.name, t.data]));
    const moments = c.tensors.filter((t) => t.role !== 'param');
    expect(moments.length).toBeGreaterThan(0);
    expect(moments.length % 2).toBe(0);
    for (const t of c.tensors) {
      expect(t.data.length, t.name).toBe(t.shape.reduce((n, d) => n * d, 1));
      const p = params.get(t.name)!;
      if (t.role === 'adam.m') expect([...t.data]).toEqual([...p].map((x) => Math.fround(x * 0.5)));
      if (t.role === 'adam.v') expect([...t.data]).toEqual([...p].map((x) => Math.fround(x * x)));
    }
    // The frozen TPE frequencies have no moments; everything with moments has both.
    expect(moments.some((t) => t.name === 'encoder.omega')).toBe(false);
  });

  it('re-encodes what it decoded to the same bytes', () => {
    const again = encodeCheckpointContainer(decodeCheckpointContainer(fixture));
    expect(again.length).toBe(fixture.length);
    expect(Buffer.compare(Buffer.from(again), Buffer.from(fixture))).toBe(0);
  });

  it('the layout: magic, header length, header CRC, 8-byte aligned data', () => {
    const bytes = encodeCheckpointContainer({
      config: { kind: 'toy' },
      tensors: [{ role: 'param', name: 'w', shape: [3], data: Float32Array.of(1, -2, 0.5) }],
    });
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe(CHECKPOINT_MAGIC);
    const dv = new DataView(bytes.buffer);
    const h = dv.getUint32(8, true);
    const header = bytes.subarray(CHECKPOINT_PRELUDE_BYTES, CHECKPOINT_PRELUDE_BYTES + h);
    expect(dv.getUint32(12, true)).toBe(crc32(header));
    expect((CHECKPOINT_PRELUDE_BYTES + h) % 8).toBe(0);
    expect(JSON.parse(new TextDecoder().decode(header))).toMatchObject({
      format: 'lfm-checkpoint',
      version: CHECKPOINT_VERSION,
      dtype: 'float32',
      tensors: [{ role: 'param', name: 'w', shape: [3], offset: 0 }],
      dataBytes: 12,
    });
    expect([...new Float32Array(bytes.slice(CHECKPOINT_PRELUDE_BYTES + h).buffer)]).toEqual([1, -2, 0.5]);
  });

  it('refuses what is not an intact container, naming the source', () => {
    const bad = (bytes: Uint8Array, message: RegExp) => {
      expect(() => decodeCheckpointContainer(bytes, 'x.ckpt')).toThrow(DataFormatError);
      expect(() => decodeCheckpointContainer(bytes, 'x.ckpt')).toThrow(message);
    };
    bad(fixture.subarray(0, 10), /x\.ckpt: not a valid LFM checkpoint: truncated: 10 bytes/);
    bad(new TextEncoder().encode('PK\u0003\u0004 a zip file, not a checkpoint'), /bad magic/);
    const flipped = fixture.slice();
    flipped[fixture.length - 1]! ^= 1;
    bad(flipped, /tensor data is corrupt \(CRC-32 mismatch\)/);
    const moments = encodeCheckpointContainer({
      config: {},
      tensors: [{ role: 'adam.m', name: 'w', shape: [1], data: Float32Array.of(1) }],
    });
    bad(moments, /optimizer moments without optimizer state/);
  });

  it('crc32 known answer', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});
