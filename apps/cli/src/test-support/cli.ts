import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initParameters, type LifterConfig, resolveLifterConfig } from '@lfm/model';
import { saveCheckpoint } from '@lfm/model/node';
import { exportLifter } from '@lfm/onnx';
import type { CliIo } from '../io.js';
import { main } from '../main.js';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const demoData = join(repoRoot, 'data', 'demo-shapes');
export const examples = join(repoRoot, 'examples');
export const binPath = join(repoRoot, 'apps', 'cli', 'dist', 'bin.js');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `lfm argv…` in-process (the sources), capturing its output. */
export async function runCli(
  argv: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? {},
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Runs the BUILT binary `node apps/cli/dist/bin.js argv…` as a child process. */
export function spawnCli(
  argv: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): CliRun {
  if (!existsSync(binPath)) throw new Error(`${binPath} is missing: run \`pnpm build\` first`);
  const r = spawnSync(process.execPath, [binPath, ...argv], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, LFM_DEBUG: '', ...options.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A seeded, untrained tiny lifter: its checkpoint and ONNX export in `dir`. */
export async function makeTinyModel(
  dir: string,
  overrides: Partial<LifterConfig> = {},
  name = 'tiny',
): Promise<{ config: LifterConfig; params: Record<string, Float32Array>; ckpt: string; onnx: string }> {
  mkdirSync(dir, { recursive: true });
  const config = resolveLifterConfig({
    dModel: 16,
    layers: 1,
    heads: 2,
    mlpRatio: 2,
    seed: 3,
    maxPoints: 72,
    ...overrides,
  });
  const params = initParameters(config);
  const ckpt = join(dir, `${name}.ckpt`);
  const onnx = join(dir, `${name}.onnx`);
  await saveCheckpoint(ckpt, { config, params });
  writeFileSync(onnx, exportLifter({ config, params }));
  return { config, params, ckpt, onnx };
}
