/**
 * Test fixtures: tfjs on the cpu backend through the package's own loader, and small in-memory datasets.
 */
import type { TfCore } from '@lfm/core/tfjs';
import { createSyntheticDataset, type SyntheticDatasetOptions } from '../synthetic.js';
import { loadTfjsBackend } from '../tfjs-backend.js';

let loaded: Promise<TfCore> | undefined;

/** tfjs with gradients on the cpu backend (deterministic, no wasm start-up), loaded once per test file. */
export function cpuTf(): Promise<TfCore> {
  loaded ??= loadTfjsBackend('cpu').then((r) => r.tf);
  return loaded;
}

export type ToyDatasetOptions = SyntheticDatasetOptions;

/**
 * A toy category: one random base shape, every frame = the base shape (plus `jitter`) in a random
 * orientation, scale and position — so its Procrustes mean is the base shape (`createSyntheticDataset`
 * with the name 'toy').
 */
export function toyDataset(options: ToyDatasetOptions = {}): ReturnType<typeof createSyntheticDataset> {
  return createSyntheticDataset({ name: 'toy', category: 'toy-category', ...options });
}

/** Collects what a ProgressStream receives. */
export function captureStream(isTTY = false): {
  write(s: string): boolean;
  isTTY: boolean;
  columns: number;
  text: () => string;
} {
  const parts: string[] = [];
  return {
    isTTY,
    columns: 100,
    write(s: string) {
      parts.push(s);
      return true;
    },
    text: () => parts.join(''),
  };
}
