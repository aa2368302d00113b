import { describe, expect, it } from 'vitest';
import {
  ARCHITECTURE_KEYS,
  ConfigError,
  DEFAULT_LIFTER_CONFIG,
  type LifterConfig,
  resolveLifterConfig,
  validateLifterConfig,
} from './index.js';

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
    expect(() => resolveLifterConfig({ head: 'pnp' })).toThrow(
      /head must be one of "shape", "camera", got "pnp"/,
    );
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
    [{ encoding: 'fourier' }, /encoding must be one of "tpe", "mlp", got "fourier"/],
    [{ attention: 'both' }, /attention must be one of "hybrid", "global", "local"/],
    [{ norm: 'post' }, /norm must be one of "paper", "pre"/],
    [{ seed: -1 }, /seed must be an integer ≥ 0/],
    [{ seed: 1.5 }, /seed/],
    [{ maxPoints: 0 }, /maxPoints must be an integer ≥ 1/],
    [{ structural: 33 }, /structural must be an integer ≥ 0 and at most 32, got 33/],
    [{ structural: 32 }, null],
    [{ structural: 1, attention: 'global' }, /structural needs the local-attention graph/],
    [{ codedRigs: 'h36m-17' }, /codedRigs must be a list of rig ids, got "h36m-17"/],
    [{ codedRigs: ['h36m-17', ''] }, /codedRigs\[1\] must be a rig id, got ""/],
    [{ dmodel: 64, dModel: 0 }, /unknown lifter config key 'dmodel' \(known: dModel, layers, /],
    [{ dmodel: 64 }, /unknown lifter config key 'dmodel'/],
    [{ branchWidth: 'half' }, null],
    [{ branchWidth: 'half', dModel: 8, heads: 2, attention: 'hybrid' }, null],
    [{ branchWidth: 'quarter' }, /branchWidth must be one of "full", "half", got "quarter"/],
    [{ branchWidth: null }, /branchWidth must be one of "full", "half", got null/],
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

describe('LifterConfig key order', () => {
  // Checkpoint headers and `lfm.config` are JSON of the resolved object: its key order is part of
  // the bytes a running training writes and resumes (defaults in declaration order, then the
  // optional fields in input order).
  it('is the defaults in declaration order, then maxPoints / codedRigs as given', () => {
    expect(Object.keys(resolveLifterConfig({ codedRigs: ['b', 'a'], maxPoints: 9, dModel: 64 }))).toEqual([
      ...['dModel', 'layers', 'heads', 'mlpRatio', 'encoding', 'tpeSigma', 'attention', 'branchWidth'],
      ...['norm', 'seed', 'jointCodes', 'structural', 'mirrorPairs', 'head', 'codedRigs', 'maxPoints'],
    ]);
    expect(Object.keys(resolveLifterConfig({ maxPoints: 9, codedRigs: ['b'] })).slice(-2)).toEqual([
      'maxPoints',
      'codedRigs',
    ]);
    const c = resolveLifterConfig({ codedRigs: ['b', 'a'] });
    expect(Object.isFrozen(c.codedRigs)).toBe(true);
    expect(ARCHITECTURE_KEYS).toEqual([
      ...['dModel', 'layers', 'heads', 'mlpRatio', 'encoding', 'attention', 'branchWidth', 'norm'],
      ...['jointCodes', 'structural', 'mirrorPairs', 'head'],
    ]);
  });
});
