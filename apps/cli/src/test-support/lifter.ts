import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lifter } from '@lfm/runtime';
import { loadLifter } from '@lfm/runtime/node';
import { afterAll, beforeAll } from 'vitest';
import { type CliRun, makeTinyModel, runCli } from './cli.js';

export type TinyModel = Awaited<ReturnType<typeof makeTinyModel>>;

/** What `useTinyLifter` gives a test file (model and lifter once its beforeAll has run). */
export interface TinyLifter {
  /** The fresh temp folder (the model's files are in it; deleted after all tests). */
  readonly dir: string;
  readonly model: TinyModel;
  readonly lifter: Lifter;
  /** `lfm lift --model <the tiny model> args…` in-process. */
  lift(...args: string[]): Promise<CliRun>;
}

/**
 * Call at a test file's top level: a temp folder `<tmp>/<prefix>XXXXXX` with a tiny model
 * (`makeTinyModel`) and its lifter loaded before all tests; after them the lifter is released and
 * the folder deleted.
 */
export function useTinyLifter(prefix: string): TinyLifter {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let model: TinyModel | undefined;
  let lifter: Lifter | undefined;
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('useTinyLifter: read the model in a test, after beforeAll');
    return v;
  };
  beforeAll(async () => {
    model = await makeTinyModel(dir);
    lifter = await loadLifter(model.onnx);
  });
  afterAll(async () => {
    await lifter?.release();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    get model() {
      return ready(model);
    },
    get lifter() {
      return ready(lifter);
    },
    lift: (...args) => runCli(['lift', '--model', ready(model).onnx, ...args]),
  };
}
