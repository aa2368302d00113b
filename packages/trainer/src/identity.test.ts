import { createBatcher, createProceduralDatasets, jointCode, jointSides, SIDE_CODE_RIG } from '@lfm/datasets';
import { builtinRigs } from '@lfm/rigs';
import { describe, expect, it } from 'vitest';
import { resolveTrainingConfig } from './config.js';
import {
  anatomicalCodeRig,
  datasetCodeTable,
  namedCodeTable,
  rigAnatomicalCodeTable,
  rigCodeTable,
  unseenAnatomicalCodeTable,
} from './eval-codes.js';
import { evaluate } from './evaluate.js';
import { createModel, resolveModelConfig } from './models.js';
import { captureStream, toyBatcher, toyDataset } from './test-support/fixtures.js';
import { train } from './train.js';
import { identityFiller } from './train-inputs.js';

const lifter = { kind: 'lifter', dModel: 8, layers: 1, heads: 2, mlpRatio: 2, tpeSigma: 1, seed: 3 } as const;
const joints = ['hips', 'l_knee', 'r_knee', 'LeftFoot', 'RightFoot', 'head'];
const sym: [number, number][] = [
  [2, 1], // right first: the names decide
  [3, 4],
];

describe('side labels', () => {
  it('come from mirror pairs and joint names; a pair whose names say nothing takes its first joint as left', () => {
    expect(jointSides(joints, sym)).toEqual(['centre', 'left', 'right', 'left', 'right', 'centre']);
    expect(jointSides(['p0', 'p1', 'p2'], [[2, 0]])).toEqual(['right', 'centre', 'left']);
    expect(jointSides(['Shoulder_R', 'Shoulder_L'], [[0, 1]])).toEqual(['right', 'left']);
    expect(() => jointSides(['a'], [[0, 3]])).toThrow(/outside 0\.\.0/);
  });
});

/** Two coded toy rigs, one with mirror pairs (`toy-a`) and one without (`toy-b`), and a lifter coded for both. */
function twoCodedRigs() {
  const paired = {
    ...toyDataset({ name: 'toy-a', J: 6, train: 8, val: 0, test: 0, seed: 1 }),
    joints,
    symmetry: sym,
  };
  const unpaired = toyDataset({ name: 'toy-b', J: 6, train: 8, val: 0, test: 0, seed: 2 });
  const model = createModel(resolveModelConfig({ ...lifter, jointCodes: 4, codedRigs: ['toy-a', 'toy-b'] }));
  return { paired, unpaired, model };
}

describe('identityFiller: codes, side codes and mirror flags of training batches', () => {
  it('flags exactly the samples left without identity; side codes only for rigs with mirror pairs', () => {
    const { paired, unpaired, model } = twoCodedRigs();
    const config = resolveTrainingConfig({
      model: model.config,
      jointCodeDropout: 0.5,
      sideCodes: 0.5,
      mirrorLoss: true,
      seed: 2,
    });
    const N = 6;
    const batcher = toyBatcher([paired, unpaired], N, 2);
    const fill = identityFiller(model, [paired, unpaired], 64, N, config);
    const codes = [datasetCodeTable(paired, 4), datasetCodeTable(unpaired, 4)];
    const side = (s: 'left' | 'right' | 'centre') => Array.from(jointCode(SIDE_CODE_RIG, s, 4));
    const sides = jointSides(joints, sym);
    const counts = { coded: 0, sides: 0, none: 0 };
    for (let k = 0; k < 4; k++) {
      const batch = batcher.next();
      const { codes: c, mirror } = fill(batch);
      for (let s = 0; s < 64; s++) {
        const src = batch.info.source[s]!;
        const slot = (i: number) => Array.from(c!.subarray((s * N + i) * 4, (s * N + i + 1) * 4));
        const j0 = batch.info.jointIndex[s * N]!;
        const first = slot(0);
        if (first.every((v) => v === 0)) {
          counts.none++;
          expect(mirror![s]).toBe(1);
        } else if (first.join() === Array.from(codes[src]!.subarray(j0 * 4, j0 * 4 + 4)).join()) {
          counts.coded++;
          expect(mirror![s]).toBe(0);
        } else {
          counts.sides++;
          expect(src).toBe(0); // only the rig with mirror pairs
          expect(mirror![s]).toBe(0);
          for (let i = 0; i < N; i++)
            expect(slot(i)).toEqual(side(sides[batch.info.jointIndex[s * N + i]!]!));
        }
      }
    }
    // 256 samples: half keep codes; of the dropped half, the paired rig's get side codes half the time.
    expect(counts.coded).toBeGreaterThan(100);
    expect(counts.sides).toBeGreaterThan(15);
    expect(counts.none).toBeGreaterThan(60);
  });

  it('anatomicalCodes: two rigs share the codes of the joints named alike; partialCodes zeroes some joints of some samples', () => {
    // Two rigs of one category that name the knees and the head alike, in other conventions and orders.
    const a = {
      ...toyDataset({ name: 'rig-a', category: 'toy-body', J: 6, train: 8, val: 0, test: 0, seed: 1 }),
      joints,
    };
    const bJoints = ['Head', 'LeftLeg', 'RightLeg', 'x1', 'x2', 'x3'];
    const b = {
      ...toyDataset({ name: 'rig-b', category: 'toy-body', J: 6, train: 8, val: 0, test: 0, seed: 2 }),
      joints: bJoints,
    };
    const model = createModel(
      resolveModelConfig({ ...lifter, jointCodes: 4, codedRigs: ['rig-a', 'rig-b'] }),
    );
    const tA = rigAnatomicalCodeTable('rig-a', joints, 'toy-body', 4);
    const tB = rigAnatomicalCodeTable('rig-b', bJoints, 'toy-body', 4);
    const row = (t: Float32Array, j: number) => Array.from(t.subarray(4 * j, 4 * j + 4));
    expect(row(tA, 1)).toEqual(row(tB, 1)); // l_knee = LeftLeg (a bone-named rig: Leg is the knee)
    expect(row(tA, 5)).toEqual(row(tB, 0)); // head = Head
    expect(row(tA, 1)).toEqual(Array.from(jointCode(anatomicalCodeRig('toy-body'), 'l:knee', 4)));
    expect(row(tB, 3)).toEqual(Array.from(jointCode('rig-b', 'x1', 4))); // no anatomical name: the rig's code
    expect(row(rigAnatomicalCodeTable('rig-b', bJoints, 'toy-body', 4, { unkeyed: 'zeros' }), 3)).toEqual([
      0, 0, 0, 0,
    ]);
    // A human rig the model never saw: codes only at the joints a trained human rig (h36m-body) also has.
    const coco = builtinRigs.find((r) => r.id === 'coco-17')!;
    const unseen = unseenAnatomicalCodeTable('my-coco', coco.joints, 'human-body', 4, ['h36m-body', 'rig-a']);
    expect(unseen.coded).toBe(13); // not the eyes and ears
    const knee = coco.joints.indexOf('left_knee');
    expect(row(unseen.codes, knee)).toEqual(
      Array.from(jointCode(anatomicalCodeRig('human-body'), 'l:knee', 4)),
    );
    expect(row(unseen.codes, coco.joints.indexOf('left_eye'))).toEqual([0, 0, 0, 0]);
    expect(
      unseenAnatomicalCodeTable('my-coco', coco.joints, 'human-body', 4, []).codes.every((v) => v === 0),
    ).toBe(true);
    const N = 6;
    const batch = toyBatcher([a, b], N, 3).next();
    const fill = (o: Record<string, unknown>) =>
      identityFiller(
        model,
        [a, b],
        64,
        N,
        resolveTrainingConfig({ model: model.config, jointCodeDropout: 0, seed: 4, ...o }),
      )(batch).codes!.slice();
    const plain = fill({ anatomicalCodes: true });
    const tables = [tA, tB];
    let partial = 0;
    const zeroed = fill({ anatomicalCodes: true, partialCodes: 0.5 });
    for (let s = 0; s < 64; s++) {
      const t = tables[batch.info.source[s]!]!;
      let zeros = 0;
      for (let i = 0; i < N; i++) {
        const j = batch.info.jointIndex[s * N + i]!;
        const got = (c: Float32Array) => Array.from(c.subarray((s * N + i) * 4, (s * N + i + 1) * 4));
        expect(got(plain)).toEqual(row(t, j));
        if (got(zeroed).every((v) => v === 0)) zeros++;
        else expect(got(zeroed)).toEqual(row(t, j));
      }
      if (zeros > 0) partial++;
    }
    // About half the samples lose 10–60 % of their joints' codes (some lose none by chance).
    expect(partial).toBeGreaterThan(15);
    expect(partial).toBeLessThan(45);
  });

  it('a mirror image of a rig without mirror pairs loses its codes (its labels sit on the wrong side); one with pairs keeps them', () => {
    const { paired, unpaired, model } = twoCodedRigs();
    const N = 6;
    const run = (probability: number) => {
      const batch = toyBatcher([paired, unpaired], N, 5, { augment: { mirror: { probability } } }).next();
      const config = resolveTrainingConfig({ model: model.config, jointCodeDropout: 0, mirrorLoss: true });
      const { codes, mirror } = identityFiller(model, [paired, unpaired], 64, N, config)(batch);
      return { batch, codes: codes!, mirror: mirror! };
    };
    const zeroSample = (codes: Float32Array, b: number) =>
      codes.subarray(b * N * 4, (b + 1) * N * 4).every((v) => v === 0);
    const all = run(1);
    expect(Array.from(all.batch.info.mirrored)).toEqual(new Array(64).fill(1));
    let pairedSeen = 0;
    let unpairedSeen = 0;
    for (let b = 0; b < 64; b++) {
      if (all.batch.info.source[b] === 1) {
        unpairedSeen++;
        expect(zeroSample(all.codes, b)).toBe(true);
        expect(all.mirror[b]).toBe(1);
      } else {
        pairedSeen++;
        expect(zeroSample(all.codes, b)).toBe(false);
        expect(all.mirror[b]).toBe(0);
      }
    }
    expect(pairedSeen).toBeGreaterThan(10);
    expect(unpairedSeen).toBeGreaterThan(10);
    // Without the augmentation nothing is mirrored and every sample keeps its codes.
    const none = run(0);
    expect(Array.from(none.batch.info.mirrored)).toEqual(new Array(64).fill(0));
    for (let b = 0; b < 64; b++) expect(zeroSample(none.codes, b)).toBe(false);
  });

  it('a model without codes: every sample is mirror-flagged with mirrorLoss, none without', () => {
    const ds = toyDataset({ J: 5, train: 4, val: 0, test: 0 });
    const model = createModel(resolveModelConfig({ ...lifter }));
    const batch = createBatcher({ sources: [{ dataset: ds }], batchSize: 8, maxPoints: 5 }).next();
    const on = identityFiller(
      model,
      [ds],
      8,
      5,
      resolveTrainingConfig({ model: model.config, mirrorLoss: true }),
    );
    expect(Array.from(on(batch).mirror!)).toEqual(new Array(8).fill(1));
    const off = identityFiller(model, [ds], 8, 5, resolveTrainingConfig({ model: model.config }));
    expect(off(batch)).toEqual({ codes: undefined, mirror: undefined });
  });
});

describe('evaluate: flip-best, the flat guess and the identity a model gets', () => {
  it('the flat guess is the input 2D with z = 0; flip-best is never above strict; identity none/sides/codes', async () => {
    const ds = {
      ...toyDataset({ name: 'toy-a', J: 6, train: 4, val: 0, test: 6, seed: 5 }),
      joints,
      symmetry: sym,
    };
    const seen: Float32Array[] = [];
    // A predictor that returns its input with z = 0: it must score exactly the flat guess.
    const flat = await evaluate({
      predict: (b) => {
        if (b.codes) seen.push(b.codes.slice(0, b.numPoints * 4));
        const out = new Float32Array(b.batchSize * b.numPoints * 3);
        for (let i = 0; i < b.batchSize * b.numPoints; i++) {
          out[3 * i] = b.points2d[2 * i]!;
          out[3 * i + 1] = b.points2d[2 * i + 1]!;
        }
        return out;
      },
      datasets: [ds],
      jointCodes: { k: 4, rigs: [] },
      identity: 'sides',
    });
    const row = flat.datasets[0]!;
    expect(row.nPaMpjpe).toBeCloseTo(row.flatNPaMpjpe!, 12);
    expect(row.nPaMpjpeFlipBest).toBeCloseTo(row.flatNPaMpjpe!, 12); // the flat shape is its own mirror
    expect(flat.mean.flatNPaMpjpe).toBeCloseTo(row.flatNPaMpjpe!, 12);
    expect(row.depthSpread).toBe(0); // no depth at all
    // Unknown rig + identity 'sides' → side codes.
    const sides = jointSides(joints, sym);
    expect(Array.from(seen[0]!.subarray(4, 8))).toEqual(Array.from(jointCode(SIDE_CODE_RIG, sides[1]!, 4)));
    // A known rig with identity 'none' → zeros.
    seen.length = 0;
    await evaluate({
      predict: (b) => {
        if (b.codes) seen.push(b.codes.slice());
        return new Float32Array(b.batchSize * b.numPoints * 3).map((_, i) => ((i * 7919) % 13) / 13);
      },
      datasets: [ds],
      jointCodes: { k: 4, rigs: ['toy-a'] },
      identity: 'none',
    });
    expect(seen.every((c) => c.every((v) => v === 0))).toBe(true);
  });
});

describe("identity 'named': codes borrowed by joint name for a rig the model has none of", () => {
  it("a coco-17-named dataset gets h36m-body's codes at the joints named alike, zeros elsewhere; other identities unchanged", async () => {
    const coco = builtinRigs.find((r) => r.id === 'coco-17')!;
    const h36m = builtinRigs.find((r) => r.id === 'h36m-body')!;
    const ds = {
      ...toyDataset({ name: 'my-coco', category: 'human-body', J: 17, train: 2, val: 0, test: 3, seed: 9 }),
      joints: coco.joints,
    };
    const codesOf = async (identity: 'codes' | 'named', rigs: readonly string[], category = ds.category) => {
      const seen: Float32Array[] = [];
      await evaluate({
        predict: (b) => {
          if (b.codes) seen.push(b.codes.slice(0, 17 * 4));
          return new Float32Array(b.batchSize * b.numPoints * 3).map((_, i) => ((i * 7919) % 13) / 13);
        },
        datasets: [{ ...ds, category }],
        jointCodes: { k: 4, rigs },
        identity,
      });
      return seen[0]!;
    };
    const named = await codesOf('named', ['h36m-body', 'aflw-face']);
    const row = (j: number) => Array.from(named.subarray(4 * j, 4 * j + 4));
    const at = (n: string) => coco.joints.indexOf(n);
    expect(row(at('left_knee'))).toEqual(Array.from(jointCode('h36m-body', 'lknee', 4)));
    expect(row(at('nose'))).toEqual(Array.from(jointCode('h36m-body', 'neck_nose', 4)));
    expect(row(at('left_eye'))).toEqual([0, 0, 0, 0]);
    expect(namedCodeTable(coco.joints, 'human-body', 4, ['h36m-body'])).toMatchObject({
      source: h36m.id,
      matched: 13,
    });
    // 'codes' keeps zeros for an unknown rig; no coded rig of the category, or another category: zeros.
    expect((await codesOf('codes', ['h36m-body'])).every((v) => v === 0)).toBe(true);
    expect((await codesOf('named', ['aflw-face'])).every((v) => v === 0)).toBe(true);
    expect((await codesOf('named', ['h36m-body'], 'quadruped-dog')).every((v) => v === 0)).toBe(true);
  });
});

describe('a model with anatomicalCodes: the training option reaches the lifter config, evaluation and adapt', () => {
  it('resolveTrainingConfig sets model.anatomicalCodes; a contradicting model config is refused', () => {
    const c = resolveTrainingConfig({ model: { ...lifter, jointCodes: 4 }, anatomicalCodes: true });
    expect(c.model).toMatchObject({ kind: 'lifter', anatomicalCodes: true });
    expect(resolveTrainingConfig({ model: { ...lifter, jointCodes: 4 } }).model).not.toHaveProperty(
      'anatomicalCodes',
    );
    expect(() =>
      resolveTrainingConfig({
        model: { ...lifter, jointCodes: 4, anatomicalCodes: false },
        anatomicalCodes: true,
      }),
    ).toThrow(/model\.anatomicalCodes is false/);
  });

  it("rigCodeTable: a coded rig's anatomical table, an unseen rig's named joints ('anatomy'), else null", () => {
    const coco = builtinRigs.find((r) => r.id === 'coco-17')!;
    const h36m = builtinRigs.find((r) => r.id === 'h36m-body')!;
    const opts = { anatomical: true, category: 'human-body' };
    const coded = rigCodeTable('h36m-body', h36m.joints, 4, ['h36m-body'], undefined, opts)!;
    expect(coded.from).toBe('coded');
    expect(Array.from(coded.codes)).toEqual(
      Array.from(rigAnatomicalCodeTable('h36m-body', h36m.joints, 'human-body', 4)),
    );
    // h36m-cams has h36m-body's joints (SAME_JOINTS_AS): h36m-body's anatomical table.
    expect(
      Array.from(rigCodeTable('h36m-cams', h36m.joints, 4, ['h36m-body'], undefined, opts)!.codes),
    ).toEqual(Array.from(coded.codes));
    const unseen = rigCodeTable('my-coco', coco.joints, 4, ['h36m-body'], undefined, opts)!;
    expect(unseen.from).toBe('anatomy');
    expect(Array.from(unseen.codes)).toEqual(
      Array.from(unseenAnatomicalCodeTable('my-coco', coco.joints, 'human-body', 4, ['h36m-body']).codes),
    );
    // Without the option, or with no coded rig of the category: identity unknown.
    expect(rigCodeTable('my-coco', coco.joints, 4, ['h36m-body'])).toBeNull();
    expect(rigCodeTable('my-coco', coco.joints, 4, ['aflw-face'], undefined, opts)).toBeNull();
    expect(
      rigCodeTable('my-coco', coco.joints, 4, ['h36m-body'], undefined, { anatomical: true }),
    ).toBeNull();
    // A built-in rig id without a category given: the built-in rig's (COCO-17 is human-body).
    expect(
      rigCodeTable('coco-17', coco.joints, 4, ['h36m-body'], undefined, { anatomical: true })?.from,
    ).toBe('anatomy');
    // unseen 'zeros': the rig's own table still anatomical, an unknown rig none.
    const zerosOpts = { ...opts, unseen: 'zeros' as const };
    expect(rigCodeTable('my-coco', coco.joints, 4, ['h36m-body'], undefined, zerosOpts)).toBeNull();
    expect(
      Array.from(rigCodeTable('h36m-body', h36m.joints, 4, ['h36m-body'], undefined, zerosOpts)!.codes),
    ).toEqual(Array.from(coded.codes));
  });

  it('evaluate feeds the anatomical codes to an unseen rig only when jointCodes.anatomical', async () => {
    const coco = builtinRigs.find((r) => r.id === 'coco-17')!;
    const ds = {
      ...toyDataset({ name: 'my-coco', category: 'human-body', J: 17, train: 2, val: 0, test: 3, seed: 9 }),
      joints: coco.joints,
    };
    const codesOf = async (anatomical: boolean, unseen?: 'zeros') => {
      const seen: Float32Array[] = [];
      await evaluate({
        predict: (b) => {
          if (b.codes) seen.push(b.codes.slice(0, 17 * 4));
          return new Float32Array(b.batchSize * b.numPoints * 3).map((_, i) => ((i * 7919) % 13) / 13);
        },
        datasets: [ds],
        jointCodes: { k: 4, rigs: ['h36m-body'], anatomical, ...(unseen && { unseen }) },
      });
      return seen[0]!;
    };
    const want = unseenAnatomicalCodeTable('my-coco', coco.joints, 'human-body', 4, ['h36m-body']).codes;
    expect(Array.from(await codesOf(true))).toEqual(Array.from(want));
    expect((await codesOf(false)).every((v) => v === 0)).toBe(true);
    expect((await codesOf(true, 'zeros')).every((v) => v === 0)).toBe(true);
  });

  it("partialCodesRigs 'named': a rig of numbered points keeps whole tables, a named rig is partly zeroed", () => {
    const named = {
      ...toyDataset({ name: 'rig-a', category: 'toy-body', J: 6, train: 8, val: 0, test: 0, seed: 1 }),
      joints,
    };
    const numbered = {
      ...toyDataset({ name: 'rig-n', category: 'toy-face', J: 6, train: 8, val: 0, test: 0, seed: 2 }),
      joints: ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'],
    };
    const model = createModel(
      resolveModelConfig({ ...lifter, jointCodes: 4, codedRigs: ['rig-a', 'rig-n'], anatomicalCodes: true }),
    );
    const N = 6;
    const batch = toyBatcher([named, numbered], N, 3).next();
    const zeroedSamples = (partialCodesRigs: 'all' | 'named') => {
      const codes = identityFiller(
        model,
        [named, numbered],
        64,
        N,
        resolveTrainingConfig({
          model: model.config,
          jointCodeDropout: 0,
          seed: 4,
          partialCodes: 0.8,
          partialCodesRigs,
        }),
      )(batch).codes!;
      const out = [0, 0];
      for (let s = 0; s < 64; s++) {
        let zeros = 0;
        for (let i = 0; i < N; i++) {
          if (codes.subarray((s * N + i) * 4, (s * N + i + 1) * 4).every((v) => v === 0)) zeros++;
        }
        if (zeros > 0) out[batch.info.source[s]!]!++;
      }
      return out;
    };
    const all = zeroedSamples('all');
    expect(all[0]).toBeGreaterThan(5);
    expect(all[1]).toBeGreaterThan(5);
    const onlyNamed = zeroedSamples('named');
    expect(onlyNamed[0]).toBeGreaterThan(5);
    expect(onlyNamed[1]).toBe(0);
  });
});

describe('a dataset whose joint order differs between sequences (perSequenceEdges)', () => {
  it('is never coded: not a default coded rig, zeros and the mirror loss in training, zeros in evaluation', async () => {
    const ordered = toyDataset({ name: 'toy-a', J: 6, train: 8, val: 2, test: 4, seed: 1 });
    const reordered = {
      ...toyDataset({ name: 'toy-markers', J: 6, train: 8, val: 2, test: 4, seed: 2 }),
      perSequenceEdges: true,
    };
    const trained = await train({
      datasets: [ordered, reordered],
      config: {
        model: { ...lifter, jointCodes: 4 },
        steps: 1,
        batchSize: 4,
        valInterval: 0,
        progress: 'none',
        threads: 1,
      },
    });
    expect(trained.model.config).toMatchObject({ codedRigs: ['toy-a'] });
    // Even a model that lists the rig as coded (trained before this rule) gives it no codes.
    const model = createModel(
      resolveModelConfig({ ...lifter, jointCodes: 4, codedRigs: ['toy-a', 'toy-markers'] }),
    );
    const config = resolveTrainingConfig({ model: model.config, jointCodeDropout: 0, mirrorLoss: true });
    const N = 6;
    const batch = toyBatcher([ordered, reordered], N, 4).next();
    const { codes, mirror } = identityFiller(model, [ordered, reordered], 64, N, config)(batch);
    const sources = new Set<number>();
    for (let s = 0; s < 64; s++) {
      const src = batch.info.source[s]!;
      sources.add(src);
      const row = codes!.subarray(s * N * 4, (s + 1) * N * 4);
      expect(row.every((v) => v === 0)).toBe(src === 1);
      expect(mirror![s]).toBe(src === 1 ? 1 : 0);
    }
    expect(sources.size).toBe(2);
    const seen: { name: string; zero: boolean }[] = [];
    for (const ds of [ordered, reordered]) {
      await evaluate({
        predict: (b) => {
          seen.push({ name: ds.name, zero: b.codes!.every((v) => v === 0) });
          return new Float32Array(b.batchSize * b.numPoints * 3);
        },
        datasets: [ds],
        jointCodes: { k: 4, rigs: ['toy-a', 'toy-markers'] },
      });
    }
    const of = (name: string) => seen.filter((x) => x.name === name);
    expect(of('toy-a').length).toBeGreaterThan(0);
    expect(of('toy-markers').length).toBeGreaterThan(0);
    expect(of('toy-a').every((x) => !x.zero)).toBe(true);
    expect(of('toy-markers').every((x) => x.zero)).toBe(true);
  });
});

describe('procedural categories in training', () => {
  it('join the batches uncoded (side codes where they have mirror pairs) and are not validated', async () => {
    const ds = toyDataset({ name: 'toy-a', J: 6, train: 8, val: 2, test: 0, seed: 1 });
    const procedural = createProceduralDatasets({
      creatures: 3,
      rigid: 2,
      framesPerSpecies: 10,
      maxJoints: 12,
    });
    const model = createModel(resolveModelConfig({ ...lifter, jointCodes: 4, codedRigs: ['toy-a'] }));
    const config = resolveTrainingConfig({
      model: model.config,
      jointCodeDropout: 0,
      sideCodes: 1,
      mirrorLoss: true,
    });
    const sources = [ds, ...procedural];
    const N = 12;
    const batcher = toyBatcher(sources, N, 1);
    const fill = identityFiller(model, sources, 64, N, config);
    const batch = batcher.next();
    const { mirror } = fill(batch);
    for (let s = 0; s < 64; s++) {
      const d = sources[batch.info.source[s]!]!;
      // Coded rig (no dropout): codes, strict. Procedural: side codes when it has pairs (strict), else none (mirror).
      const want = d === ds ? 0 : (d.symmetry?.length ?? 0) > 0 ? 0 : 1;
      expect(mirror![s], d.name).toBe(want);
    }
    expect(new Set(Array.from(batch.info.source)).size).toBeGreaterThan(2);

    const result = await train({
      datasets: [ds],
      config: {
        model: { ...lifter, jointCodes: 4 },
        procedural: { creatures: 2, rigid: 1, framesPerSpecies: 10, maxJoints: 12 },
        mirrorLoss: true,
        steps: 3,
        batchSize: 8,
        maxPoints: 12,
        valInterval: 3,
        valSamples: 2,
        progress: 'lines',
        threads: 1,
      },
      output: captureStream(),
    });
    expect(result.step).toBe(3);
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(result.model.config).toMatchObject({ codedRigs: ['toy-a'] });
    expect(result.val!.datasets.map((r) => r.name)).toEqual(['toy-a']);
  });
});
