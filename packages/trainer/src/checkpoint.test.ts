import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFormatError } from '@lfm/core';
import { decodeCheckpoint } from '@lfm/model';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeModelCheckpoint,
  encodeModelCheckpoint,
  loadModelCheckpoint,
  saveModelCheckpoint,
} from './checkpoint.js';
import { createModel, resolveModelConfig } from './models.js';
import { Adam } from './optim.js';

const dir = mkdtempSync(join(tmpdir(), 'lfm-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function withState(kind: 'lifter' | 'mlp') {
  const config =
    kind === 'mlp'
      ? resolveModelConfig({ kind: 'mlp', numJoints: 5, hidden: 8, blocks: 2, seed: 4, rig: 'toy' })
      : resolveModelConfig({ dModel: 8, layers: 1, heads: 2, mlpRatio: 2, seed: 4 });
  const model = createModel(config);
  const params = model.init();
  const adam = new Adam(model.specs);
  const grads = Object.fromEntries(
    model.specs.filter((s) => s.trainable).map((s) => [s.name, params[s.name]!.map((x, i) => x + i * 1e-3)]),
  );
  adam.update(params, grads, 1e-2);
  return { config, params, optimizer: adam.state(), metadata: { step: 1, note: 'x' } };
}

describe('model checkpoints', () => {
  for (const kind of ['lifter', 'mlp'] as const) {
    it(`${kind}: save → load gives identical parameters, optimizer state and metadata`, async () => {
      const ckpt = withState(kind);
      const path = join(dir, `${kind}.ckpt`);
      await saveModelCheckpoint(path, ckpt);
      const back = await loadModelCheckpoint(path);
      expect(back.config).toEqual(ckpt.config);
      expect(back.model.kind).toBe(kind);
      expect(back.params).toEqual(ckpt.params);
      expect(back.optimizer).toEqual(ckpt.optimizer);
      expect(back.metadata).toEqual(ckpt.metadata);
    });
  }

  it('writes lifters in @lfm/model format; an MLP file is refused by the lifter reader, naming kind', () => {
    const lifter = encodeModelCheckpoint(withState('lifter'));
    expect(decodeCheckpoint(lifter).config.dModel).toBe(8);
    const mlp = encodeModelCheckpoint(withState('mlp'));
    expect(() => decodeCheckpoint(mlp)).toThrow(/holds a 'mlp' model, not a lifter/);
  });

  it('rejects corrupt, truncated and missing files with DataFormatError', async () => {
    const bytes = encodeModelCheckpoint(withState('mlp'));
    const flipped = bytes.slice();
    flipped[flipped.length - 3]! ^= 0xff;
    expect(() => decodeModelCheckpoint(flipped, 'x.ckpt')).toThrow(/x\.ckpt: .*corrupt/);
    expect(() => decodeModelCheckpoint(bytes.subarray(0, bytes.length - 8))).toThrow(DataFormatError);
    const path = join(dir, 'bad.ckpt');
    writeFileSync(path, 'not a checkpoint');
    await expect(loadModelCheckpoint(path)).rejects.toThrow(DataFormatError);
    await expect(loadModelCheckpoint(join(dir, 'missing.ckpt'))).rejects.toThrow(/file not found/);
    expect(readFileSync(path, 'utf8')).toBe('not a checkpoint');
  });
});
