import { createTfjsOps, createTfjsParams } from '@lfm/core/tfjs';
import { describe, expect, it } from 'vitest';
import { createModel, resolveModelConfig } from './models.js';
import { cpuTf } from './test-support/fixtures.js';

const tf = await cpuTf();

describe('the MLP baseline', () => {
  const model = createModel(resolveModelConfig({ kind: 'mlp', numJoints: 4, hidden: 8, blocks: 2, seed: 1 }));
  const run = (points: number[], mask: number[], N = 4) =>
    tf.tidy(() => {
      const params = Object.fromEntries(
        model.specs.map((s) => [s.name, tf.tensor(model.init()[s.name]!, [...s.shape])]),
      );
      const out = model.forward(createTfjsOps(tf), createTfjsParams(params), {
        points: tf.tensor(points, [1, N, 2]),
        mask: tf.tensor(mask, [1, N]),
      });
      return Array.from(out.dataSync());
    });

  it('maps [B, J, 2] to [B, J, 3], zero at masked joints, whatever their 2D holds', () => {
    const a = run([0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.7, 0.8], [1, 1, 0, 1]);
    const b = run([0.1, 0.2, -0.3, 0.4, Number.NaN, 1e6, 0.7, 0.8], [1, 1, 0, 1]);
    expect(a).toHaveLength(12);
    expect(a.slice(6, 9)).toEqual([0, 0, 0]);
    expect(b).toEqual(a);
    expect(a.slice(0, 3).some((x) => x !== 0)).toBe(true);
  });

  it('refuses a batch whose N is not its J', () => {
    expect(() => run(new Array(10).fill(0), [1, 1, 1, 1, 1], 5)).toThrow(/takes its J = 4 joints/);
  });
});

describe('trainingForward: what training puts the loss on', () => {
  const run = (config: Record<string, unknown>) =>
    tf.tidy(() => {
      const model = createModel(resolveModelConfig(config));
      const init = model.init();
      const params = createTfjsParams(
        Object.fromEntries(model.specs.map((s) => [s.name, tf.tensor(init[s.name]!, [...s.shape])])),
      );
      const inputs = {
        points: tf.tensor([0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.7, 0.8, -0.2, -0.1], [1, 5, 2]),
        mask: tf.tensor([1, 1, 0, 1, 1], [1, 5]),
        adj: tf.ones([1, 5, 5]),
      };
      const ops = createTfjsOps(tf);
      const { output, extra } = model.trainingForward(ops, params, inputs);
      return {
        forward: Array.from(model.forward(ops, params, inputs).dataSync()),
        output: Array.from(output.dataSync()),
        extra: extra.map((t) => Array.from(t.dataSync())),
      };
    });
  const lifter = { kind: 'lifter', dModel: 8, layers: 1, heads: 2, mlpRatio: 2, seed: 3 };

  it("the shape head: forward's output only", () => {
    const r = run(lifter);
    expect(r.output).toEqual(r.forward);
    expect(r.extra).toEqual([]);
  });

  it("the camera head: forward's output and the shape S — the shape head's output for the same weights", () => {
    const r = run({ ...lifter, head: 'camera' });
    expect(r.output).toEqual(r.forward);
    expect(r.extra).toHaveLength(1);
    // Parameters are initialised per name, so S is exactly what the shape head outputs.
    expect(r.extra[0]).toEqual(run(lifter).forward);
    expect(r.extra[0]!.slice(6, 9).every((v) => v === 0)).toBe(true);
    expect(r.output).not.toEqual(r.extra[0]);
  });
});
