import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const sharedData = resolve(repoRoot, '..', 'shared', 'data');
export const hasSharedData = existsSync(join(sharedData, 'README.md'));

export interface WorkspacePackage {
  dir: string;
  name: string;
  version: string;
  private: boolean;
  json: Record<string, unknown>;
}

/** The publishable workspace packages (packages/* and apps/* that are not private). */
export function workspacePackages(): WorkspacePackage[] {
  const out: WorkspacePackage[] = [];
  for (const group of ['packages', 'apps']) {
    const base = join(repoRoot, group);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base)) {
      const file = join(base, entry, 'package.json');
      if (!existsSync(file)) continue;
      const json = JSON.parse(readFileSync(file, 'utf8'));
      out.push({
        dir: join(base, entry),
        name: json.name,
        version: json.version,
        private: !!json.private,
        json,
      });
    }
  }
  return out.filter((p) => !p.private);
}

/**
 * Every workspace member as a path relative to the repo root (`.` excluded): the `packages:` globs of
 * pnpm-workspace.yaml (`dir`, `dir/*`, `!dir`) expanded to directories holding a package.json —
 * private packages and test/ included, i.e. exactly the lockfile's importers.
 */
export function workspaceMembers(root = repoRoot): string[] {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const globs: string[] = [];
  let inPackages = false;
  for (const line of yaml.split('\n')) {
    if (/^\S/.test(line)) inPackages = /^packages:\s*$/.test(line);
    const m = inPackages ? /^\s+-\s*["']?([^"'#\s]+)["']?/.exec(line) : null;
    if (m) globs.push(m[1]!.replace(/\/$/, ''));
  }
  const expand = (glob: string): string[] => {
    if (!glob.endsWith('/*')) return existsSync(join(root, glob, 'package.json')) ? [glob] : [];
    const base = glob.slice(0, -2);
    if (!existsSync(join(root, base))) return [];
    return readdirSync(join(root, base))
      .map((e) => `${base}/${e}`)
      .filter((d) => existsSync(join(root, d, 'package.json')));
  };
  const excluded = new Set(globs.filter((g) => g.startsWith('!')).flatMap((g) => expand(g.slice(1))));
  const members = globs.filter((g) => !g.startsWith('!')).flatMap(expand);
  return [...new Set(members)].filter((d) => !excluded.has(d)).sort();
}

/** The last `lines` lines of `text` (trimmed), marked when cut. */
export function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n');
  return all.length <= lines
    ? all.join('\n')
    : [`… (${all.length - lines} lines cut)`, ...all.slice(-lines)].join('\n');
}

interface ExecFailure extends Error {
  status?: number | null;
  signal?: NodeJS.Signals | null;
  code?: string;
  stdout?: string | Buffer;
  stderr?: string | Buffer;
}

/**
 * Runs `cmd args…` in `cwd` and returns its stdout. On failure the error names the command, its
 * directory and exit code (or signal) and carries the tails of its stderr and stdout — pnpm, for one,
 * prints its ERR_PNPM_* errors on stdout.
 */
export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as ExecFailure;
    const how =
      typeof err.status === 'number'
        ? `exit code ${err.status}`
        : err.signal
          ? `killed by ${err.signal}`
          : (err.code ?? err.message);
    const parts = [`\`${[cmd, ...args].join(' ')}\` (in ${cwd}) failed: ${how}`];
    for (const [name, out] of [
      ['stderr', err.stderr],
      ['stdout', err.stdout],
    ] as const) {
      const text = out?.toString() ?? '';
      if (text.trim()) parts.push(`--- ${name} ---\n${tail(text)}`);
    }
    throw new Error(parts.join('\n'), { cause: e });
  }
}
