import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureStream, TINY_LIFTER, toyDataset, useTempDirs } from './test-support/fixtures.js';
import { OUTPUT_FILES, trainGraph } from './train.js';

// valPatience: a run stops on a validation plateau, and a resumed run that had stopped there stays stopped.

const tmp = useTempDirs('lfm-patience-');
const ds = toyDataset({ J: 6, train: 16, val: 8, test: 0, seed: 5 });
const config = (outDir: string, extra: Record<string, unknown> = {}) => ({
  model: TINY_LIFTER,
  steps: 40,
  batchSize: 4,
  valInterval: 1,
  valSamples: 8,
  checkpointInterval: 0,
  checkpointMinutes: 0,
  outDir,
  progress: 'lines' as const,
  ...extra,
});

describe('train valPatience', () => {
  it('stops after valPatience validations without an improvement larger than valMinDelta', async () => {
    const dir = tmp();
    const out = captureStream();
    // No validation can improve the best by 1 (nPA is below 1): the first sets it, the next 2 do not.
    const r = await trainGraph({
      datasets: [ds],
      config: config(dir, { valPatience: 2, valMinDelta: 1 }),
      output: out,
    });
    expect(r.stoppedBy).toBe('plateau');
    expect(r.step).toBe(3);
    expect(out.text()).toMatch(/validation plateau at step 3/);
    expect(existsSync(join(dir, OUTPUT_FILES.last))).toBe(true);

    // Resumed: it had stopped on its plateau, so it stops again at once (the count is in the checkpoint).
    const again = await trainGraph({
      datasets: [ds],
      config: config(dir, { valPatience: 2, valMinDelta: 1, resume: true }),
      output: captureStream(),
    });
    expect(again.stoppedBy).toBe('plateau');
    expect(again.step).toBe(3);
  });

  it('valPatience 0 never stops on a plateau', async () => {
    const r = await trainGraph({
      datasets: [ds],
      config: config(tmp(), { steps: 6, valMinDelta: 1 }),
      output: captureStream(),
    });
    expect(r.stoppedBy).toBe('steps');
    expect(r.step).toBe(6);
  });
});
