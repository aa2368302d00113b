import { expect } from 'vitest';
import type { CliRun } from './cli.js';

/**
 * The run failed with exit `code` and exactly one line `lfm: error: …` on stderr matching `pattern`
 * (a string: contained), nothing on stdout and no stack trace.
 */
export function expectOneLineError(r: CliRun, code: number, pattern: RegExp | string): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^lfm: error: /);
  if (typeof pattern === 'string') expect(lines[0]).toContain(pattern);
  else expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
