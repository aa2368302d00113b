import { join } from 'node:path';
import { LfmError } from '@lfm/core';
import type { PredictFn } from './evaluate.js';
import { type TrainOptions, type TrainResult, train } from './train.js';

/** One predictor per dataset (rig), chosen by `batch.dataset.name`: per-rig baselines behind one `PredictFn`. */
export function routeByDataset(
  predictors: ReadonlyMap<string, PredictFn> | Readonly<Record<string, PredictFn>>,
): PredictFn {
  const map = predictors instanceof Map ? predictors : new Map(Object.entries(predictors));
  return (batch) => {
    const p = map.get(batch.dataset.name);
    if (!p) {
      throw new LfmError(
        'E_NO_MODEL',
        `no model for dataset '${batch.dataset.name}' (have: ${[...map.keys()].join(', ') || 'none'})`,
      );
    }
    return p(batch);
  };
}

export interface TrainMlpBaselinesOptions extends Omit<TrainOptions, 'datasets' | 'resume'> {
  readonly datasets: TrainOptions['datasets'];
}

/**
 * The per-rig MLP baseline of every dataset, each trained by `train` with the same config (engine,
 * loss, optimizer, schedule, steps, time budget per rig) but `model: { kind: 'mlp', … }` (its `hidden`,
 * `blocks`, `seed` taken from `config.model` when that is an MLP config). With `config.outDir`, rig r
 * writes to outDir/mlp-<r>/. Datasets without a train split are skipped.
 */
export async function trainMlpBaselines(
  options: TrainMlpBaselinesOptions,
): Promise<Map<string, TrainResult>> {
  const base = options.config as Record<string, unknown>;
  const model = (base.model ?? {}) as Record<string, unknown>;
  const mlp = model.kind === 'mlp' ? { ...model, numJoints: undefined, rig: undefined } : { kind: 'mlp' };
  const results = new Map<string, TrainResult>();
  for (const dataset of options.datasets) {
    if (!dataset.sequences.some((s) => s.split === 'train')) continue;
    const config = {
      ...base,
      model: mlp,
      ...(typeof base.outDir === 'string' && { outDir: join(base.outDir, `mlp-${dataset.name}`) }),
    };
    results.set(dataset.name, await train({ ...options, config, datasets: [dataset] }));
  }
  return results;
}
