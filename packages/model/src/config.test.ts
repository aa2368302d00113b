import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ARCHITECTURE_KEYS,
  DEFAULT_LIFTER_CONFIG,
  type LifterConfig,
  resolveLifterConfig,
  validateLifterConfig,
} from './config.js';
import { ConfigError } from './errors.js';

describe('LifterConfig', () => {
  it('defaults fill missing fields; overrides win; the result is frozen', () => {
    const c = resolveLifterConfig({ dModel: 64, attention: 'global' });
    expect(c).toEqual({ ...DEFAULT_LIFTER_CONFIG, dModel: 64, attention: 'global' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(resolveLifterConfig()).toEqual(DEFAULT_LIFTER_CONFIG);
    expect(resolveLifterConfig({ maxPoints: 133 }).maxPoints).toBe(133);
    expect(DEFAULT_LIFTER_CONFIG).toMatchObject({
      layers: 4,
      encoding: 'tpe',
      attention: 'hybrid',
      norm: 'paper',
      branchWidth: 'full',
    });
  });

  it("branchWidth: 'full' by default (configs and files written before it existed), and part of the architecture", () => {
    const { branchWidth: _, ...before } = DEFAULT_LIFTER_CONFIG;
    expect(resolveLifterConfig(before).branchWidth).toBe('full');
    expect(resolveLifterConfig({ branchWidth: undefined }).branchWidth).toBe('full');
    expect(resolveLifterConfig({ branchWidth: 'half' }).branchWidth).toBe('half');
    expect(ARCHITECTURE_KEYS).toContain('branchWidth');
    // A complete config must carry it (resolveLifterConfig fills it in).
    expect(() => validateLifterConfig(before as LifterConfig)).toThrow(/branchWidth must be/);
  });

  it("head: 'shape' by default (configs and files written before it existed), and part of the architecture", () => {
    const { head: _, ...before } = DEFAULT_LIFTER_CONFIG;
    expect(resolveLifterConfig(before).head).toBe('shape');
    expect(resolveLifterConfig({ head: 'camera' }).head).toBe('camera');
    expect(ARCHITECTURE_KEYS).toContain('head');
    expect(() => resolveLifterConfig({ head: 'pnp' })).toThrow(/head must be 'shape' or 'camera', got "pnp"/);
  });

  it('mirrorPairs: false by default (configs and files written before it existed), and part of the architecture', () => {
    const { mirrorPairs: _, ...before } = DEFAULT_LIFTER_CONFIG;
    expect(resolveLifterConfig(before).mirrorPairs).toBe(false);
    expect(resolveLifterConfig({ mirrorPairs: true }).mirrorPairs).toBe(true);
    expect(ARCHITECTURE_KEYS).toContain('mirrorPairs');
    expect(() => resolveLifterConfig({ mirrorPairs: 'yes' })).toThrow(
      /mirrorPairs must be true or false, got "yes"/,
    );
  });

  it.each([
    [{ dModel: 30, heads: 4 }, /dModel 30 must be divisible by heads 4/],
    [{ dModel: 12, heads: 4, encoding: 'tpe' }, null],
    [{ dModel: 9, heads: 3, encoding: 'tpe' }, /even for the TPE/],
    [{ dModel: 9, heads: 3, encoding: 'mlp' }, null],
    [{ dModel: 0 }, /dModel must be an integer ≥ 1, got 0/],
    [{ dModel: 16.5 }, /dModel must be an integer/],
    [{ layers: 0 }, /layers must be an integer ≥ 1/],
    [{ heads: '4' }, /heads must be an integer ≥ 1, got "4"/],
    [{ mlpRatio: 0 }, /mlpRatio must be a finite number > 0/],
    [{ dModel: 10, heads: 2, mlpRatio: 0.25 }, /mlpRatio · dModel .* must be an integer, got 0.25 · 10/],
    [{ tpeSigma: -1 }, /tpeSigma must be a finite number > 0/],
    [{ tpeSigma: Number.POSITIVE_INFINITY }, /tpeSigma/],
    [{ encoding: 'fourier' }, /encoding must be 'tpe' or 'mlp', got "fourier"/],
    [{ attention: 'both' }, /attention must be 'hybrid' or 'global' or 'local'/],
    [{ norm: 'post' }, /norm must be 'paper' or 'pre'/],
    [{ seed: -1 }, /seed must be an integer ≥ 0/],
    [{ seed: 1.5 }, /seed/],
    [{ maxPoints: 0 }, /maxPoints must be an integer ≥ 1/],
    [{ dmodel: 64 }, /unknown lifter config key 'dmodel'/],
    [{ branchWidth: 'half' }, null],
    [{ branchWidth: 'half', dModel: 8, heads: 2, attention: 'hybrid' }, null],
    [{ branchWidth: 'quarter' }, /branchWidth must be 'full' or 'half', got "quarter"/],
    [{ branchWidth: null }, /branchWidth must be 'full' or 'half', got null/],
    [{ branchWidth: 'half', attention: 'global' }, /branchWidth 'half' .* attention 'global' has one branch/],
    [{ branchWidth: 'half', attention: 'local' }, /branchWidth 'half' .* attention 'local' has one branch/],
    [{ branchWidth: 'full', attention: 'local' }, null],
    [{ branchWidth: 'half', dModel: 12, heads: 3 }, /heads must be even, got 3/],
    [{ branchWidth: 'half', dModel: 12, heads: 1 }, /heads must be even, got 1/],
    [{ branchWidth: 'full', dModel: 12, heads: 3 }, null],
    [{ branchWidth: 'half', dModel: 30, heads: 4 }, /dModel 30 must be divisible by heads 4/],
  ] as [Record<string, unknown>, RegExp | null][])('%o → %s', (input, error) => {
    if (error === null) expect(() => resolveLifterConfig(input)).not.toThrow();
    else {
      expect(() => resolveLifterConfig(input)).toThrow(ConfigError);
      expect(() => resolveLifterConfig(input)).toThrow(error);
    }
  });

  it('rejects a non-object; validateLifterConfig checks a complete config', () => {
    expect(() => resolveLifterConfig(null)).toThrow(/must be an object, got null/);
    expect(() => resolveLifterConfig([1])).toThrow(ConfigError);
    expect(() => resolveLifterConfig('tpe')).toThrow(/got string/);
    expect(() => validateLifterConfig({ ...DEFAULT_LIFTER_CONFIG, heads: 3 })).toThrow(/divisible/);
    try {
      resolveLifterConfig({ layers: -2 });
    } catch (e) {
      expect((e as ConfigError).code).toBe('E_CONFIG');
    }
  });
});

describe('package boundaries', () => {
  // The ONNX recorder traces the very same functions, and the main entries must bundle for browsers.
  const roots = ['encoding', 'attention', 'model'].map((p) =>
    join(dirname(fileURLToPath(import.meta.url)), '..', '..', p, 'src'),
  );
  const sources = roots.flatMap((root) =>
    readdirSync(root, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('test-support'))
      .map((f) => ({ file: join(root, f), text: readFileSync(join(root, f), 'utf8') })),
  );

  it('model code imports no tfjs and no node: module (file I/O lives in @lfm/model/node only)', () => {
    expect(sources.length).toBeGreaterThan(8);
    for (const { file, text } of sources) {
      const imports = [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!);
      expect(
        imports.filter((i) => i.includes('tensorflow') || i.includes('/tfjs')),
        file,
      ).toEqual([]);
      if (!file.endsWith(join('model', 'src', 'node.ts'))) {
        expect(
          imports.filter((i) => i.startsWith('node:')),
          file,
        ).toEqual([]);
      }
      expect(
        imports.filter((i) => !i.startsWith('.') && !i.startsWith('@lfm/') && !i.startsWith('node:')),
        file,
      ).toEqual([]);
    }
  });
});
