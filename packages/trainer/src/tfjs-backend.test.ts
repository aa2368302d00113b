import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { loadTfjsBackend, TfjsBackendError, trySelectBackend } from './tfjs-backend.js';

/** A fake tfjs module: every backend is registered; setBackend answers as told; getBackend reports `active`. */
function fakeTf(setBackendResult: boolean, activeAfter?: string) {
  let active = 'cpu';
  return {
    findBackendFactory: () => () => ({}),
    async setBackend(name: string) {
      if (setBackendResult) active = activeAfter ?? name;
      return setBackendResult;
    },
    getBackend: () => active,
    getGradient: () => ({}),
    enableProdMode: () => {},
  };
}

function importer(tf: unknown, missing: string[] = []) {
  return async (specifier: string) => {
    if (specifier === '@tensorflow/tfjs') return { default: tf };
    if (missing.includes(specifier)) throw new Error(`Cannot find package '${specifier}'`);
    return {};
  };
}

describe('loadTfjsBackend', () => {
  it('refuses a backend whose setBackend resolves false (tfjs silently stays on cpu)', async () => {
    const tf = fakeTf(false);
    await expect(loadTfjsBackend('wasm', { importModule: importer(tf) })).rejects.toThrow(TfjsBackendError);
    await expect(loadTfjsBackend('wasm', { importModule: importer(tf) })).rejects.toThrow(/resolved false/);
  });

  it('refuses a backend that reports success but leaves another one active', async () => {
    const tf = fakeTf(true, 'cpu');
    await expect(loadTfjsBackend(['wasm'], { importModule: importer(tf) })).rejects.toThrow(
      /'cpu' is active/,
    );
    expect(await trySelectBackend(fakeTf(true), 'wasm')).toBeUndefined();
  });

  it('falls back from tensorflow (tfjs-node not installed) to wasm, naming each failure when none works', async () => {
    const ok = await loadTfjsBackend(undefined, {
      importModule: importer(fakeTf(true), ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']),
    });
    expect(ok.backend).toBe('wasm');
    const err = await loadTfjsBackend(undefined, {
      importModule: importer(fakeTf(true), [
        '@tensorflow/tfjs-node-gpu',
        '@tensorflow/tfjs-node',
        '@tensorflow/tfjs-backend-wasm',
      ]),
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(TfjsBackendError);
    expect((err as Error).message).toMatch(
      /tensorflow: @tensorflow\/tfjs-node-gpu not loadable.*wasm: @tensorflow\/tfjs-backend-wasm/,
    );
  });

  it('rejects an unknown backend name', async () => {
    await expect(
      loadTfjsBackend('webgpu' as 'cpu', { importModule: importer(fakeTf(true)) }),
    ).rejects.toThrow(/unknown tfjs backend/);
  });

  // tfjs's cpu backend prints "Hi, looks like you are running TensorFlow.js in Node.js…" on its first
  // tensor write unless tfjs is in production mode. (Every test file runs in a fresh process, and this
  // is the first test here to touch the real tfjs, so that first write happens below.)
  it('puts the real tfjs in production mode: the cpu backend prints no "install tfjs-node" banner', async () => {
    const printed: string[] = [];
    const spies = (['log', 'info', 'warn', 'error'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
        printed.push(args.join(' '));
      }),
    );
    let tf: Awaited<ReturnType<typeof loadTfjsBackend>>['tf'];
    let squares: number[];
    try {
      tf = (await loadTfjsBackend('cpu')).tf;
      squares = Array.from(tf.square(tf.tensor([1, 2, 3])).dataSync());
    } finally {
      for (const s of spies) s.mockRestore();
    }
    expect(printed).toEqual([]);
    expect(squares).toEqual([1, 4, 9]);
    expect(tf.env().getBool('PROD')).toBe(true);
  });

  it('loads the real tfjs with gradients on wasm and on cpu', async () => {
    const wasm = await loadTfjsBackend('wasm');
    expect(wasm.backend).toBe('wasm');
    expect(wasm.tf.getBackend()).toBe('wasm');
    const x = wasm.tf.variable(wasm.tf.tensor([1, 2, 3]));
    const { grads } = wasm.tf.variableGrads(() => wasm.tf.sum(wasm.tf.square(x)), [x]);
    expect(Array.from(grads[x.name]!.dataSync())).toEqual([2, 4, 6]);
    const cpu = await loadTfjsBackend('cpu');
    expect(cpu.tf.getBackend()).toBe('cpu');
    expect(cpu.tf).toBe(wasm.tf);
  });
});

describe('loadTfjsBackend in plain Node (built output, no vitest module graph)', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = existsSync(join(here, '../dist/tfjs-backend.js'));
  // `pnpm test` builds first; a bare `vitest run` before any build skips this one.
  it.skipIf(!built)('activates wasm with gradients registered', () => {
    const out = execFileSync(process.execPath, [join(here, '../bench/check-tfjs-backend.mjs'), 'wasm'], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({
      backend: 'wasm',
      active: 'wasm',
      version: '4.22.0',
      loss: 14,
      grad: [2, 4, 6],
    });
  });

  it.skipIf(!built)('on cpu prints nothing but its result (no "install tfjs-node" banner)', () => {
    const r = spawnSync(process.execPath, [join(here, '../bench/check-tfjs-backend.mjs'), 'cpu'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ backend: 'cpu', active: 'cpu', grad: [2, 4, 6] });
  });
});
