import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@lfm/core';
import type { TfCore } from '@lfm/core/tfjs';
import { type Dataset, listDatasets, loadDataset } from '@lfm/datasets';
import { resolveTrainingConfig } from './config.js';
import type { ProgressStream } from './progress.js';
import { loadTfjsBackend } from './tfjs-backend.js';
import { type MetricsEntry, type TrainResult, train } from './train.js';

export interface RunTrainingOptions {
  /** The tfjs engine: use this tfjs (gradients registered, backend active) instead of `loadTfjsBackend(config.backend)`. */
  readonly tf?: TfCore;
  readonly output?: ProgressStream;
  readonly signal?: AbortSignal;
  readonly onLog?: (entry: MetricsEntry) => void;
}

/**
 * The config-driven entry point (`lfm train --config FILE | flags`): validates the config
 * (`resolveTrainingConfig`), loads every dataset of `data` (a dataset folder, or a folder of them),
 * and trains (`train`) on the config's engine: the graph engine (default; onnxruntime-node), or tfjs
 * with the preferred backend (`loadTfjsBackend`). `backend` in the result is 'onnxruntime-node' or
 * the tfjs backend. Errors are LfmErrors with one-line messages (config, data, backend, checkpoint).
 */
export async function runTraining(
  configInput: unknown,
  options: RunTrainingOptions = {},
): Promise<TrainResult & { backend: string }> {
  // Validate before loading data (an MLP's J comes from its dataset later: any J passes here).
  const config = resolveTrainingConfig(configInput, { numJoints: 3 });
  if (config.data.length === 0) throw new InputError('no training data: give data: [dataset folders]');
  const datasets = await loadDatasets(config.data);
  let tf = options.tf;
  let backend = 'onnxruntime-node';
  if (config.engine === 'tfjs') {
    if (!tf) tf = (await loadTfjsBackend(config.backend ?? undefined)).tf;
    backend = tf.getBackend();
  }
  const result = await train({
    ...(tf && { tf }),
    config: configInput as Record<string, unknown>,
    datasets,
    ...(options.output && { output: options.output }),
    ...(options.signal && { signal: options.signal }),
    ...(options.onLog && { onLog: options.onLog }),
  });
  return { ...result, backend };
}

/**
 * Datasets of the given folders: a folder with meta.json is one dataset; otherwise every dataset
 * inside it. `views` (default false) also reads views.f32, which only the 'real' protocol needs.
 * InputError for a folder with no dataset or a dataset given twice.
 */
export async function loadDatasets(
  dirs: readonly string[],
  options: { views?: boolean } = {},
): Promise<Dataset[]> {
  const views = options.views ?? false;
  const out: Dataset[] = [];
  for (const dir of dirs) {
    if (existsSync(join(dir, 'meta.json'))) out.push(await loadDataset(dir, { views }));
    else {
      const inner = await listDatasets(dir);
      if (inner.length === 0)
        throw new InputError(`${dir}: neither a dataset folder (meta.json) nor a folder of datasets`);
      for (const d of inner) out.push(await loadDataset(d, { views }));
    }
  }
  const names = new Set<string>();
  for (const d of out) {
    if (names.has(d.name)) throw new InputError(`dataset '${d.name}' is given twice`);
    names.add(d.name);
  }
  return out;
}
