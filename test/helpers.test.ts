import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, run, tail, workspaceMembers } from './helpers.js';

describe('run', () => {
  it('returns stdout', () => {
    expect(run(process.execPath, ['-e', 'console.log("hi")'], repoRoot)).toBe('hi\n');
  });

  it('a failing command throws with the command, its exit code and the tail of its stderr and stdout', () => {
    const script =
      'for (let i = 0; i < 100; i++) console.error("line " + i); console.log("ERR_X on stdout"); process.exit(3)';
    let message = '';
    try {
      run(process.execPath, ['-e', script], repoRoot);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(`\`${process.execPath} -e`);
    expect(message).toContain(`(in ${repoRoot}) failed: exit code 3`);
    expect(message).toMatch(
      /--- stderr ---\n… \(60 lines cut\)\nline 60\n[\s\S]*line 99\n--- stdout ---\nERR_X on stdout$/,
    );
    expect(message).not.toContain('line 59\n');
  });

  it('a command that cannot start names the error', () => {
    expect(() => run('lfm-no-such-command', [], repoRoot)).toThrow(/lfm-no-such-command` .* failed: ENOENT/);
  });
});

describe('tail', () => {
  it('keeps short text and cuts long text to its last lines', () => {
    expect(tail('a\nb\n')).toBe('a\nb');
    expect(tail('a\nb\nc', 2)).toBe('… (1 lines cut)\nb\nc');
  });
});

describe('workspaceMembers', () => {
  it("lists exactly the lockfile's importers (private packages and test/ included)", () => {
    const lock = readFileSync(join(repoRoot, 'pnpm-lock.yaml'), 'utf8');
    const importers = lock.slice(lock.indexOf('\nimporters:\n'), lock.indexOf('\npackages:\n'));
    const names = [...importers.matchAll(/^ {2}(\S+?):/gm)].map((m) => m[1]!).filter((n) => n !== '.');
    expect(workspaceMembers()).toEqual(names.sort());
    expect(workspaceMembers()).toEqual(expect.arrayContaining(['test', 'apps/viewer', 'packages/core']));
  });
});
