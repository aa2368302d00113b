import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export { type FileErrorMessages, onFile, readFileOr, readTextFileOr, throwFileError } from './read.js';

/**
 * Writes `data` to `path` atomically: into a temporary sibling, flushed to disk, then renamed over
 * `path` (atomic on POSIX within one file system) — a reader never sees a half-written file, and a
 * failed write leaves no partial file behind. Creates missing parent folders.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
