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

export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}
