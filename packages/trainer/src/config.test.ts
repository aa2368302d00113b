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
      /checkpointMinutes must be a finite number ≥ 0, got -1/,
    );
    expect(() => resolveTrainingConfig({ checkpointMinutes: '5' })).toThrow(
      /checkpointMinutes must be a finite number ≥ 0, got "5"/,
    );
    expect(() => resolveTrainingConfig({ sampling: { categoryWeight: { face: 2 } } })).toThrow(
      /unknown sampling key 'categoryWeight' \(known: categoryTemperature, datasetTemperature, categoryWeights\)/,
    );
    expect(() => resolveTrainingConfig({ sampling: [] })).toThrow(/sampling must be an object, got \[\]/);
    expect(() => resolveTrainingConfig({ augment: null })).toThrow(/augment must be an object, got null/);
    expect(resolveTrainingConfig({ data: 'a' }).data).toEqual(['a']);
    expect(() => resolveTrainingConfig({ data: ['a', ''] })).toThrow(/data\[1\] must be a dataset folder/);
    expect(() => resolveTrainingConfig({ data: 3 })).toThrow(/data must be a list of dataset folders, got 3/);
    expect(resolveTrainingConfig({ resume: 'x.ckpt' }).resume).toBe('x.ckpt');
    expect(() => resolveTrainingConfig({ resume: '' })).toThrow(
      /resume must be true, false or a checkpoint path, got ""/,
    );
    expect(() => resolveTrainingConfig({ resume: 1 })).toThrow(
      /resume must be true, false or a checkpoint path/,
    );
    expect(() => resolveTrainingConfig(null)).toThrow(/a training config must be an object, got null/);
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

describe("the long run's config (configs/lfm-long.json, copied here)", () => {
  // A running training resumes with this config: it must resolve to the same object as before the
  // schema, key order included — config.json and the checkpoint's `training` metadata are its JSON.
  // `input` is configs/lfm-long.json as it is; BEFORE the JSON of what the hand-written checks made.
  const input = JSON.parse(
    '{"engine":"graph","data":["../../shared/data/aflw-face","../../shared/data/akhter-markers","../../shared/data/bandai-body","../../shared/data/cmu-body","../../shared/data/dog-body","../../shared/data/h36m-body","../../shared/data/pascal3d-aeroplane","../../shared/data/pascal3d-bicycle","../../shared/data/pascal3d-boat","../../shared/data/pascal3d-bottle","../../shared/data/pascal3d-bus","../../shared/data/pascal3d-chair","../../shared/data/pascal3d-sofa","../../shared/data/realworld-hand","../../shared/data/torresani-face","../../shared/data/torresani-walking"],"outDir":"../checkpoints/lfm-long","model":{"kind":"lifter","dModel":128,"layers":4,"heads":4,"norm":"pre","jointCodes":32,"head":"camera","mirrorPairs":true},"steps":160000,"batchSize":64,"maxPoints":68,"lr":0.001,"warmupSteps":1000,"schedule":"cosine","sampling":{"categoryTemperature":0.25,"datasetTemperature":0},"valInterval":5000,"valSamples":256,"checkpointInterval":1000,"logInterval":200,"maxMinutes":0,"seed":0,"threads":1,"jointCodeDropout":0.5,"mirrorLoss":true,"augment":{"boneScale":{"probability":0.5,"maxLog":0.2},"anisotropic":{"probability":0.3,"maxLog":0.15},"rearticulate":{"probability":0.3,"maxAngle":30},"mirror":{"probability":0.5},"knnGraph":{"probability":0.2},"occlusion":{"probability":0.5,"maxFraction":0.5}},"procedural":{"creatures":40,"rigid":20},"checkpointMinutes":5,"pairsDropout":0.2}',
  );
  const BEFORE =
    '{"engine":"graph","threads":1,"workers":1,"outDir":"../checkpoints/lfm-long","steps":160000,"batchSize":64,"maxPoints":68,"lr":0.001,"minLrRatio":0.01,"warmupSteps":1000,"schedule":"cosine","beta1":0.9,"beta2":0.999,"epsilon":1e-8,"clipNorm":1,"loss":"procrustes","seed":0,"augment":{"boneScale":{"probability":0.5,"maxLog":0.2},"anisotropic":{"probability":0.3,"maxLog":0.15},"rearticulate":{"probability":0.3,"maxAngle":30},"mirror":{"probability":0.5},"knnGraph":{"probability":0.2},"occlusion":{"probability":0.5,"maxFraction":0.5}},"sampling":{"categoryTemperature":0.25,"datasetTemperature":0},"jointCodeDropout":0.5,"sideCodes":0,"mirrorLoss":true,"pairsDropout":0.2,"procedural":{"creatures":40,"rigid":20},"valInterval":5000,"valSamples":256,"valSeed":0,"checkpointInterval":1000,"checkpointMinutes":5,"logInterval":200,"maxMinutes":0,"resume":false,"progress":"auto","data":["../../shared/data/aflw-face","../../shared/data/akhter-markers","../../shared/data/bandai-body","../../shared/data/cmu-body","../../shared/data/dog-body","../../shared/data/h36m-body","../../shared/data/pascal3d-aeroplane","../../shared/data/pascal3d-bicycle","../../shared/data/pascal3d-boat","../../shared/data/pascal3d-bottle","../../shared/data/pascal3d-bus","../../shared/data/pascal3d-chair","../../shared/data/pascal3d-sofa","../../shared/data/realworld-hand","../../shared/data/torresani-face","../../shared/data/torresani-walking"],"model":{"kind":"lifter","dModel":128,"layers":4,"heads":4,"mlpRatio":4,"encoding":"tpe","tpeSigma":1,"attention":"hybrid","branchWidth":"full","norm":"pre","seed":0,"jointCodes":32,"structural":0,"mirrorPairs":true,"head":"camera"}}';
  const before = JSON.parse(BEFORE);

  it('resolves to the same values, in the same key order', () => {
    const c = resolveTrainingConfig(input);
    expect(JSON.stringify(c)).toBe(BEFORE);
    // JSON drops the undefined fields; their keys keep their places.
    expect(Object.keys(c).join()).toBe(
      Object.keys(before)
        .join()
        .replace('engine,threads', 'engine,backend,threads')
        .replace('sampling,jointCodeDropout', 'sampling,knn,jointCodeDropout')
        .replace('sideCodes,mirrorLoss', 'sideCodes,anatomicalCodes,partialCodes,partialCodesRigs,mirrorLoss')
        .replace('pairsDropout,procedural', 'pairsDropout,inferPairs,procedural')
        .replace('valSeed,checkpointInterval', 'valSeed,valPatience,valMinDelta,checkpointInterval'),
    );
    for (const k of [
      'backend',
      'knn',
      'anatomicalCodes',
      'partialCodes',
      'partialCodesRigs',
      'inferPairs',
      'valPatience',
      'valMinDelta',
    ])
      expect(c[k as keyof typeof c], k).toBeUndefined();
  });

  it("with its datasets' rigs, the lifter gets them as codedRigs (once each, in order)", () => {
    const rigs = ['aflw-face', 'h36m-17'];
    const c = resolveTrainingConfig(input, { rigs: [...rigs, rigs[0]!] });
    expect(JSON.stringify(c)).toBe(
      JSON.stringify({ ...before, model: { ...before.model, codedRigs: rigs } }),
    );
  });
});
