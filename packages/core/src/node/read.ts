import { readFile } from 'node:fs/promises';
import { DataFormatError } from '../errors.js';

/** The one-line messages of a missing path and of a folder where a file was expected. */
export interface FileErrorMessages {
  /** Default 'file not found'. */
  readonly missing?: string;
  /** Default 'is a directory, not a file'. */
  readonly directory?: string;
}

/**
 * Rethrows a file-system error of `path` as a user's error: ENOENT and EISDIR become a
 * DataFormatError naming the path (`messages`); anything else (permissions, I/O) is rethrown as is.
 */
export function throwFileError(err: unknown, path: string, messages: FileErrorMessages = {}): never {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') throw new DataFormatError(messages.missing ?? 'file not found', path);
  if (code === 'EISDIR') throw new DataFormatError(messages.directory ?? 'is a directory, not a file', path);
  throw err;
}

/** Runs a file-system call on `path`, its ENOENT / EISDIR turned into DataFormatErrors (`throwFileError`). */
export async function onFile<T>(
  path: string,
  call: () => Promise<T>,
  messages?: FileErrorMessages,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throwFileError(err, path, messages);
  }
}

/** The bytes of a file (a view of Node's buffer); a missing path or a folder is a DataFormatError naming it. */
export async function readFileOr(path: string, messages?: FileErrorMessages): Promise<Uint8Array> {
  const buf = await onFile(path, () => readFile(path), messages);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** A UTF-8 text file (as `readFile(path, 'utf8')`); a missing path or a folder is a DataFormatError naming it. */
export function readTextFileOr(path: string, messages?: FileErrorMessages): Promise<string> {
  return onFile(path, () => readFile(path, 'utf8'), messages);
}
