import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A fresh temporary folder for this test file, removed after its tests. */
export function useTmpDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `lfm-datasets-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
