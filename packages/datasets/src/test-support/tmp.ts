import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFormatError } from '@lfm/core';
import { afterAll, expect } from 'vitest';

/** A fresh temporary folder for this test file, removed after its tests. */
export function useTmpDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `lfm-datasets-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Writes `bytes` to a fresh file in `dir` and expects `read` of it to reject with a DataFormatError
 * naming that file, its message matching `message` (and starting with the path).
 */
export async function expectBadFile(
  dir: string,
  ext: string,
  read: (file: string) => Promise<unknown>,
  bytes: Uint8Array,
  message: RegExp,
): Promise<void> {
  const file = join(dir, `bad-${Math.random().toString(36).slice(2)}${ext}`);
  writeFileSync(file, bytes);
  const err = await read(file).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DataFormatError);
  expect((err as DataFormatError).file).toBe(file);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message.startsWith(file)).toBe(true);
}
