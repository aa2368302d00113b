import { createTfjsOps, createTfjsParams, type TfCore } from '@lfm/core/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, resolveModelConfig } from './models.js';
import { cpuTf } from './test-support/fixtures.js';

let tf: TfCore;
beforeAll(async () => {
  tf = await cpuTf();
});

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
