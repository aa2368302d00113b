import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFormatError } from '@lfm/core';
import type { ParameterSpec } from '@lfm/encoding';
import { crc32 } from '@lfm/format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdamState,
  CHECKPOINT_MAGIC,
  type Checkpoint,
  checkParameterRecord,
  decodeAnyCheckpoint,
  decodeCheckpoint,
  encodeAnyCheckpoint,
  encodeCheckpoint,
  type TaggedConfig,
} from './checkpoint.js';
import { CheckpointMismatchError, ConfigError } from './errors.js';
import { initParameters, parameterShapes } from './lifter.js';
import { loadCheckpoint, saveCheckpoint } from './node.js';
import { forwardTfjs, randomBatch, randomParams, tinyConfig } from './test-support/harness.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lfm-ckpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config = tinyConfig();
const params = randomParams(config, 2);

function adamState(seed: number): AdamState {
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  for (const s of parameterShapes(config)) {
    if (!s.trainable) continue;
    const n = s.shape.reduce((a, b) => a * b, 1);
    m[s.name] = Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i));
    v[s.name] = Float32Array.from({ length: n }, (_, i) => Math.cos(seed + i) ** 2);
  }
  return { kind: 'adam', step: 1234, m, v, hyper: { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } };
}

const full: Checkpoint = {
  config,
  params,
  optimizer: adamState(1),
  metadata: { step: 1234, epoch: 3, datasets: ['cmu', 'h36m'], metrics: { paMpjpe: 41.5 }, note: null },
};

const same = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

describe('checkpoint encode / decode', () => {
  it('round-trips config, every parameter bit-exactly, Adam state and metadata', () => {
    const bytes = encodeCheckpoint(full);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe(CHECKPOINT_MAGIC);
    const back = decodeCheckpoint(bytes);
    expect(back.config).toEqual(config);
    expect(Object.keys(back.params)).toEqual(parameterShapes(config).map((s) => s.name));
    for (const [k, v] of Object.entries(params)) expect(same(back.params[k]!, v), k).toBe(true);
    expect(back.optimizer!.step).toBe(1234);
    expect(back.optimizer!.hyper).toEqual(full.optimizer!.hyper);
    for (const [k, v] of Object.entries(full.optimizer!.m)) expect(same(back.optimizer!.m[k]!, v)).toBe(true);
    for (const [k, v] of Object.entries(full.optimizer!.v)) expect(same(back.optimizer!.v[k]!, v)).toBe(true);
    expect(back.metadata).toEqual(full.metadata);
    // Without optional parts; and the data section starts 8-byte aligned.
    const bare = decodeCheckpoint(encodeCheckpoint({ config, params }));
    expect(bare.optimizer).toBeUndefined();
    expect(bare.metadata).toBeUndefined();
    const h = new DataView(bytes.buffer).getUint32(8, true);
    expect((16 + h) % 8).toBe(0);
  });

  it('the header is plain JSON with the format, version, config and tensor table', () => {
    const bytes = encodeCheckpoint(full);
    const h = new DataView(bytes.buffer).getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + h)));
    expect(header).toMatchObject({ format: 'lfm-checkpoint', version: 1, dtype: 'float32', config });
    expect(header.tensors[0]).toEqual({ role: 'param', name: 'encoder.omega', shape: [2, 8], offset: 0 });
    expect(header.tensors.filter((t: { role: string }) => t.role === 'adam.m')).toHaveLength(
      parameterShapes(config).filter((s) => s.trainable).length,
    );
    expect(header.dataBytes).toBe(bytes.length - 16 - h);
    expect(header.dataCrc32).toBe(crc32(bytes.subarray(16 + h)));
  });

  it('decodes from an unaligned view into a larger buffer', () => {
    const bytes = encodeCheckpoint({ config, params });
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    const back = decodeCheckpoint(big.subarray(3));
    expect(same(back.params['decoder.fc2.w']!, params['decoder.fc2.w']!)).toBe(true);
  });

  it('reads a checkpoint written before the container moved to @lfm/format, and writes it back byte for byte', async () => {
    // @lfm/format's fixture: initParameters(config) as params, Adam m = p/2 and v = p² (see its test).
    const fixture = await readFile(new URL('../../format/fixtures/lifter-v1.ckpt', import.meta.url));
    const ckpt = decodeCheckpoint(new Uint8Array(fixture));
    expect(ckpt.config).toMatchObject({
      dModel: 4,
      layers: 1,
      jointCodes: 2,
      mirrorPairs: true,
      maxPoints: 17,
    });
    const init = initParameters(ckpt.config);
    expect(Object.keys(ckpt.params)).toEqual(parameterShapes(ckpt.config).map((s) => s.name));
    for (const [name, p] of Object.entries(init)) expect(same(ckpt.params[name]!, p), name).toBe(true);
    expect(ckpt.optimizer?.step).toBe(7);
    expect(Buffer.compare(Buffer.from(encodeCheckpoint(ckpt)), fixture)).toBe(0);
  });
});

describe('checkpoint files (node)', () => {
  it('save → load → identical model outputs; the write is atomic (no temporary file left)', async () => {
    const path = join(dir, 'nested', 'run', 'ckpt.lfm');
    await saveCheckpoint(path, full);
    expect(await readdir(join(dir, 'nested', 'run'))).toEqual(['ckpt.lfm']);
    const loaded = await loadCheckpoint(path, { expect: config });
    const batch = randomBatch(4, 2, 6, [4]);
    const a = forwardTfjs(config, params, batch);
    const b = forwardTfjs(loaded.config, loaded.params as Record<string, Float32Array>, batch);
    expect(same(a, b)).toBe(true);
    // Overwriting replaces the file whole.
    await saveCheckpoint(path, { config, params: initParameters(config) });
    expect((await loadCheckpoint(path)).optimizer).toBeUndefined();
    expect(await readdir(join(dir, 'nested', 'run'))).toEqual(['ckpt.lfm']);
  });

  it('a failed save leaves the previous checkpoint intact', async () => {
    const path = join(dir, 'keep.lfm');
    await saveCheckpoint(path, full);
    const before = await readFile(path);
    const broken = { config, params: { ...params, 'decoder.fc2.b': new Float32Array(2) } };
    await expect(saveCheckpoint(path, broken)).rejects.toThrow(CheckpointMismatchError);
    expect(Buffer.compare(await readFile(path), before)).toBe(0);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('a missing file is a DataFormatError naming it', async () => {
    const path = join(dir, 'nope.lfm');
    await expect(loadCheckpoint(path)).rejects.toThrow(DataFormatError);
    await expect(loadCheckpoint(path)).rejects.toThrow(`${path}: file not found`);
  });
});

describe('checkpoint: refusing what does not fit', () => {
  const bytes = encodeCheckpoint(full);

  it('another config: names the parameter and both shapes', () => {
    const wider = tinyConfig({ dModel: 32 });
    expect(() => decodeCheckpoint(bytes, { expect: wider })).toThrow(CheckpointMismatchError);
    expect(() => decodeCheckpoint(bytes, { expect: wider })).toThrow(
      "the checkpoint has parameter 'encoder.omega' of shape [2, 8], but the expected config needs [2, 16]",
    );
    expect(() => decodeCheckpoint(bytes, { expect: tinyConfig({ mlpRatio: 4 }) })).toThrow(
      /'layers\.0\.mlp\.fc1\.w' of shape \[16, 32\], but the expected config needs \[16, 64\]/,
    );
    expect(() => decodeCheckpoint(bytes, { expect: tinyConfig({ layers: 3 }) })).toThrow(
      /lacks parameter 'layers\.2\.local\.wq' \[16, 16\]/,
    );
    expect(() => decodeCheckpoint(bytes, { expect: tinyConfig({ attention: 'global' }) })).toThrow(
      /parameter 'layers\.0\.proj\.w' of shape \[32, 16\], but the expected config needs \[16, 16\]/,
    );
    // Same shapes, other architecture: heads.
    expect(() => decodeCheckpoint(bytes, { expect: tinyConfig({ heads: 2 }) })).toThrow(
      'the checkpoint has heads = 4, but the expected config has heads = 2',
    );
    // Half-width branches: the branch weights and the projection differ.
    expect(() => decodeCheckpoint(bytes, { expect: tinyConfig({ branchWidth: 'half' }) })).toThrow(
      /parameter 'layers\.0\.local\.wq' of shape \[16, 16\], but the expected config needs \[16, 8\]/,
    );
    // Init-only fields do not matter.
    expect(() => decodeCheckpoint(bytes, { expect: tinyConfig({ seed: 99, tpeSigma: 5 }) })).not.toThrow();
  });

  it('encode refuses parameters or moments that do not match the config', () => {
    const { 'layers.1.norm2.beta': _, ...missing } = params;
    expect(() => encodeCheckpoint({ config, params: missing })).toThrow(
      "checkpoint: parameter 'layers.1.norm2.beta' [16] is missing",
    );
    expect(() =>
      encodeCheckpoint({ config, params: { ...params, 'decoder.fc2.w': new Float32Array(47) } }),
    ).toThrow("parameter 'decoder.fc2.w' must have shape [16, 3] (48 values), got 47 values");
    expect(() => encodeCheckpoint({ config, params: { ...params, extra: new Float32Array(1) } })).toThrow(
      /unexpected parameter 'extra'/,
    );
    const opt = adamState(2);
    // Moments exist for trainable parameters only (the TPE frequencies are fixed).
    const m = { ...opt.m, 'encoder.omega': new Float32Array(16) };
    expect(() => encodeCheckpoint({ config, params, optimizer: { ...opt, m } })).toThrow(
      /adam\.m.*unexpected parameter 'encoder\.omega'/,
    );
    expect(() => encodeCheckpoint({ config, params, optimizer: { ...opt, step: -1 } })).toThrow(/step/);
    expect(() =>
      encodeCheckpoint({ config, params, optimizer: { ...opt, hyper: { lr: Number.NaN } } }),
    ).toThrow(/hyper-parameters must be finite/);
    expect(() =>
      encodeCheckpoint({ config, params, metadata: { big: 1n } as unknown as Checkpoint['metadata'] }),
    ).toThrow(/metadata is not JSON-serialisable/);
    expect(() => encodeCheckpoint({ config: { ...config, heads: 3 }, params })).toThrow(ConfigError);
    expect(() => checkParameterRecord(config, params)).not.toThrow();
    expect(() => checkParameterRecord(tinyConfig({ norm: 'pre' }), params)).toThrow(/'final_norm\.gamma'/);
  });

  it('corrupt or truncated bytes: DataFormatError with the reason (and the file name when loading)', async () => {
    const h = new DataView(bytes.buffer).getUint32(8, true);
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty', new Uint8Array(0), /truncated: 0 bytes/],
      ['not a checkpoint', new TextEncoder().encode('{"hello": "world"} and more bytes'), /bad magic/],
      [
        'a future format',
        Uint8Array.from([...new TextEncoder().encode('LFMCKPT9'), ...bytes.subarray(8)]),
        /'LFMCKPT9' is not supported/,
      ],
      ['truncated header', bytes.subarray(0, 40), /truncated: the header needs/],
      [
        'truncated data',
        bytes.subarray(0, bytes.length - 5),
        /truncated: expected \d+ bytes, the file has \d+/,
      ],
      ['trailing bytes', Uint8Array.from([...bytes, 0, 0]), /2 unexpected bytes after the data/],
      ['a flipped data byte', flip(bytes, 16 + h + 101), /tensor data is corrupt \(CRC-32 mismatch\)/],
      ['a flipped header byte', flip(bytes, 30), /header is corrupt \(CRC-32 mismatch\)/],
    ];
    for (const [what, b, error] of cases) {
      expect(() => decodeCheckpoint(b), what).toThrow(DataFormatError);
      expect(() => decodeCheckpoint(b), what).toThrow(error);
    }
    const path = join(dir, 'cut.lfm');
    await writeFile(path, bytes.subarray(0, bytes.length - 100));
    await expect(loadCheckpoint(path)).rejects.toThrow(`${path}: not a valid LFM checkpoint: truncated`);
  });

  it('a consistent but invalid header: newer version, bad config, tensors out of range, mismatch with its own config', () => {
    const rewrite = (edit: (header: Record<string, unknown>) => void) => {
      const h = new DataView(bytes.buffer).getUint32(8, true);
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + h)));
      edit(header);
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(16 + json.length + (bytes.length - 16 - h));
      out.set(bytes.subarray(0, 8));
      new DataView(out.buffer).setUint32(8, json.length, true);
      new DataView(out.buffer).setUint32(12, crc32(json), true);
      out.set(json, 16);
      out.set(bytes.subarray(16 + h), 16 + json.length);
      return out;
    };
    // A checkpoint written before `branchWidth` existed (no such key in its config) is a 'full' one.
    const old = decodeCheckpoint(
      rewrite((x) => {
        delete (x.config as Record<string, unknown>).branchWidth;
      }),
    );
    expect(old.config.branchWidth).toBe('full');
    expect(old.config).toEqual(config);
    expect(() => decodeCheckpoint(rewrite((x) => (x.version = 2)))).toThrow(
      /format version 2 was written by a newer LFM; this build reads version 1/,
    );
    expect(() => decodeCheckpoint(rewrite((x) => (x.config = { ...config, heads: 5 })))).toThrow(
      /its config is invalid: dModel 16 must be divisible by heads 5/,
    );
    expect(() =>
      decodeCheckpoint(
        rewrite((x) => {
          (x.tensors as { offset: number }[])[0]!.offset = 1 << 30;
        }),
      ),
    ).toThrow(/"encoder\.omega": its 64 bytes at offset 1073741824 lie outside/);
    expect(() =>
      decodeCheckpoint(
        rewrite((x) => {
          (x.tensors as { shape: number[] }[])[2]!.shape = [16, 8, 2];
        }),
      ),
    ).toThrow(
      "the checkpoint has parameter 'layers.0.local.wq' of shape [16, 8, 2], but its own config needs [16, 16]",
    );
    expect(() => decodeCheckpoint(rewrite((x) => (x.config = { ...config, layers: 1 })))).toThrow(
      /has parameter 'layers\.1\.local\.wq', which its own config does not have/,
    );
    expect(() => decodeCheckpoint(rewrite((x) => delete x.optimizer))).toThrow(
      /moments without optimizer state/,
    );
    expect(() =>
      decodeCheckpoint(
        rewrite((x) => {
          (x.tensors as { name: string }[])[1]!.name = '__proto__';
        }),
      ),
    ).toThrow(/lacks parameter 'encoder\.phase'/);
    expect(() =>
      decodeCheckpoint(
        rewrite((x) => {
          (x.tensors as { role: string }[])[1]!.role = 'constructor';
        }),
      ),
    ).toThrow(/"encoder\.phase": malformed entry/);
  });
});

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at]! ^= 0x10;
  return out;
}

describe('checkpoints of any model kind (one format, one codec)', () => {
  // A model this package does not know: its specs come from the caller.
  interface ToyConfig extends TaggedConfig {
    readonly kind: 'toy';
    readonly width: number;
  }
  const specsOf = (c: TaggedConfig): ParameterSpec[] => {
    const width = (c as ToyConfig).width;
    if (!Number.isInteger(width) || width < 1) throw new ConfigError(`toy width must be ≥ 1, got ${width}`);
    return [
      { name: 'w', shape: [width, 2], trainable: true, init: { kind: 'zeros' } },
      { name: 'table', shape: [3], trainable: false, init: { kind: 'zeros' } },
    ];
  };
  const toy: ToyConfig = { kind: 'toy', width: 2 };
  const toyParams = { w: Float32Array.of(1, 2, 3, 4), table: Float32Array.of(7, 8, 9) };
  const toyOptimizer: AdamState = {
    kind: 'adam',
    step: 3,
    m: { w: Float32Array.of(0.1, 0.2, 0.3, 0.4) },
    v: { w: Float32Array.of(1, 2, 3, 4) },
  };

  it('round-trips another kind with its specs; the header keeps the kind and the config as given', () => {
    const bytes = encodeAnyCheckpoint(
      { config: toy, params: toyParams, optimizer: toyOptimizer, metadata: { step: 3 } },
      { specsOf },
    );
    const back = decodeAnyCheckpoint(bytes, { specsOf });
    expect(back.config).toEqual(toy);
    expect(back.params).toEqual(toyParams);
    expect(back.optimizer).toEqual(toyOptimizer);
    expect(back.metadata).toEqual({ step: 3 });
    // Without specs: the file's own tensor table.
    expect(decodeAnyCheckpoint(bytes).params).toEqual(toyParams);
    // The lifter reader refuses it, naming the kind.
    expect(() => decodeCheckpoint(bytes, { source: 'toy.ckpt' })).toThrow(CheckpointMismatchError);
    expect(() => decodeCheckpoint(bytes, { source: 'toy.ckpt' })).toThrow(
      /^toy\.ckpt: the checkpoint holds a 'toy' model, not a lifter/,
    );
  });

  it('checks another kind against its specs: encode needs them, decode reports a mismatch or a bad config', () => {
    expect(() => encodeAnyCheckpoint({ config: toy, params: toyParams })).toThrow(
      /needs its parameter specs/,
    );
    expect(() =>
      encodeAnyCheckpoint({ config: toy, params: { ...toyParams, w: new Float32Array(3) } }, { specsOf }),
    ).toThrow(CheckpointMismatchError);
    const bytes = encodeAnyCheckpoint({ config: toy, params: toyParams }, { specsOf });
    const wider = (c: TaggedConfig) => specsOf({ ...c, width: 3 } as ToyConfig);
    expect(() => decodeAnyCheckpoint(bytes, { specsOf: wider })).toThrow(
      "the checkpoint has parameter 'w' of shape [2, 2], but its own config needs [3, 2]",
    );
    const bad = encodeAnyCheckpoint({ config: toy, params: toyParams }, { specsOf });
    const invalid = () =>
      decodeAnyCheckpoint(bad, { specsOf: () => specsOf({ kind: 'toy', width: 0 } as ToyConfig) });
    expect(invalid).toThrow(DataFormatError);
    expect(invalid).toThrow(/its config is invalid: toy width must be ≥ 1/);
  });

  it('a lifter is a kind like any other: same bytes as encodeCheckpoint, stored without `kind`', () => {
    const viaAny = encodeAnyCheckpoint({ config: { kind: 'lifter', ...config }, params });
    expect(Buffer.compare(viaAny, encodeCheckpoint({ config, params }))).toBe(0);
    const h = new DataView(viaAny.buffer).getUint32(8, true);
    expect(JSON.parse(new TextDecoder().decode(viaAny.subarray(16, 16 + h))).config).toEqual(config);
    expect(decodeAnyCheckpoint(viaAny).config).toEqual({ kind: 'lifter', ...config });
    expect(() => encodeAnyCheckpoint({ config: { kind: '' }, params })).toThrow(ConfigError);
  });
});
