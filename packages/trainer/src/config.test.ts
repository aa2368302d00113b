import { ConfigError } from '@lfm/model';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_CONFIG, resolveTrainingConfig } from './config.js';
import { createModel } from './models.js';

describe('resolveTrainingConfig', () => {
  it('fills defaults and resolves the model (lifter by default)', () => {
    const c = resolveTrainingConfig({ data: ['a'], steps: 10, model: { dModel: 64, layers: 4 } });
    expect(c).toMatchObject({ ...DEFAULT_TRAINING_CONFIG, data: ['a'], steps: 10 });
    expect(c.model).toMatchObject({ kind: 'lifter', dModel: 64, layers: 4, heads: 4 });
    expect(resolveTrainingConfig(c)).toEqual(c); // idempotent
    expect(c.engine).toBe('graph'); // the default engine
    expect(resolveTrainingConfig({ engine: 'tfjs', backend: 'wasm' })).toMatchObject({ engine: 'tfjs' });
    expect(resolveTrainingConfig({ threads: 2 }).threads).toBe(2);
    expect(c.workers).toBe(1); // one in-process session by default
    expect(resolveTrainingConfig({ workers: 2 }).workers).toBe(2);
    expect(c.checkpointMinutes).toBe(5); // time-based checkpoints on by default
    expect(resolveTrainingConfig({ checkpointMinutes: 0 }).checkpointMinutes).toBe(0);
    expect(resolveTrainingConfig({ checkpointMinutes: 1e-6 }).checkpointMinutes).toBe(1e-6);
  });

  it('names the bad field: unknown keys, types, ranges', () => {
    expect(() => resolveTrainingConfig({ stpes: 3 })).toThrow(/unknown training config key 'stpes'/);
    expect(() => resolveTrainingConfig({ lr: -1 })).toThrow(/lr must be a number in \(0, 10\]/);
    expect(() => resolveTrainingConfig({ batchSize: 2.5 })).toThrow(/batchSize must be an integer/);
    expect(() => resolveTrainingConfig({ loss: 'l1' })).toThrow(/loss must be one of/);
    expect(() => resolveTrainingConfig({ engine: 'torch' })).toThrow(/engine must be one of "graph", "tfjs"/);
    expect(() => resolveTrainingConfig({ threads: 0 })).toThrow(/threads must be an integer ≥ 1/);
    expect(() => resolveTrainingConfig({ workers: 0 })).toThrow(/workers must be an integer ≥ 1, got 0/);
    expect(() => resolveTrainingConfig({ workers: 1.5 })).toThrow(/workers must be an integer ≥ 1/);
    expect(() => resolveTrainingConfig({ workers: '2' })).toThrow(/workers must be an integer ≥ 1/);
    expect(() => resolveTrainingConfig({ checkpointMinutes: -1 })).toThrow(
      /checkpointMinutes must be a number in \[0, /,
    );
    expect(() => resolveTrainingConfig({ checkpointMinutes: '5' })).toThrow(
      /checkpointMinutes must be a number/,
    );
    expect(() => resolveTrainingConfig({ sampling: { categoryWeight: { face: 2 } } })).toThrow(
      /unknown sampling key 'categoryWeight' \(known: categoryTemperature, datasetTemperature, categoryWeights\)/,
    );
    expect(resolveTrainingConfig({}).pairsDropout).toBe(0); // pairs always fed by default
    expect(resolveTrainingConfig({ pairsDropout: 0.5 }).pairsDropout).toBe(0.5);
    expect(() => resolveTrainingConfig({ pairsDropout: 1.5 })).toThrow(
      /pairsDropout must be a number in \[0, 1\]/,
    );
    expect(resolveTrainingConfig({ model: { mirrorPairs: true } }).model).toMatchObject({
      mirrorPairs: true,
    });
    expect(() => resolveTrainingConfig({ model: { mirrorPairs: 'on' } })).toThrow(
      /mirrorPairs must be true or false/,
    );
    expect(() => resolveTrainingConfig({ model: { kind: 'cnn' } })).toThrow(ConfigError);
    expect(() => resolveTrainingConfig({ model: { dModel: 30, heads: 4 } })).toThrow(/divisible/);
  });

  it("takes an MLP baseline's J and rig from the single dataset", () => {
    const c = resolveTrainingConfig({ model: { kind: 'mlp', hidden: 32 } }, { numJoints: 17, rig: 'h36m' });
    expect(c.model).toEqual({ kind: 'mlp', numJoints: 17, hidden: 32, blocks: 2, seed: 0, rig: 'h36m' });
    expect(() => resolveTrainingConfig({ model: { kind: 'mlp' } })).toThrow(/numJoints is required/);
    const specs = createModel(c.model).specs;
    expect(specs[0]).toMatchObject({ name: 'input.w', shape: [51, 32] });
    expect(specs.at(-1)).toMatchObject({ name: 'output.b', shape: [51] });
  });
});
