import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../errors.js';
import { onFile, readFileOr, readTextFileOr } from './read.js';

const dir = mkdtempSync(join(tmpdir(), 'lfm-core-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'a.txt');
writeFileSync(file, 'hé\n');

describe('readFileOr / readTextFileOr', () => {
  it('read a file as bytes and as UTF-8 text', async () => {
    expect(Array.from(await readFileOr(file))).toEqual([0x68, 0xc3, 0xa9, 0x0a]);
    expect(await readTextFileOr(file)).toBe('hé\n');
  });

  it('a missing path: a DataFormatError naming it, with the given or the default message', async () => {
    const missing = join(dir, 'nope.bin');
    const err = await readFileOr(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as DataFormatError).file).toBe(missing);
    expect((err as Error).message).toBe(`${missing}: file not found`);
    await expect(readTextFileOr(missing, { missing: 'no meta.json here' })).rejects.toThrow(
      `${missing}: no meta.json here`,
    );
  });

  it('a folder: a DataFormatError naming it', async () => {
    await expect(readFileOr(dir)).rejects.toThrow(`${dir}: is a directory, not a file`);
    await expect(readTextFileOr(dir, { directory: 'is a folder, not a BVH file' })).rejects.toThrow(
      new DataFormatError('is a folder, not a BVH file', dir),
    );
  });

  it('other errors pass through unchanged', async () => {
    const boom = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    await expect(onFile(file, () => Promise.reject(boom))).rejects.toBe(boom);
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked');
      writeFileSync(locked, 'x');
      chmodSync(locked, 0);
      const err = await readFileOr(locked).catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(DataFormatError);
      expect((err as NodeJS.ErrnoException).code).toBe('EACCES');
    }
  });

  it('onFile wraps any call on a path (readdir of a missing folder)', async () => {
    const gone = join(dir, 'gone');
    await expect(onFile(gone, () => readdir(gone), { missing: 'folder not found' })).rejects.toThrow(
      `${gone}: folder not found`,
    );
  });
});
