import { describe, expect, it } from 'vitest';
import { LOO_ARMS, LOO_GROUPS } from './loo.js';
import {
  DEFAULT_BUDGET_MINUTES,
  DEFAULT_CONVERGENCE,
  HELP,
  numberFlag,
  parseBenchmarkOptions,
  splitList,
} from './options.js';
import { STAGES } from './types.js';

const root = '/repo';

describe('parseBenchmarkOptions', () => {
  it('defaults: every stage, arm and group; paths under the root', () => {
    const o = parseBenchmarkOptions([], root);
    if (o === 'help') throw new Error('unexpected help');
    expect(o.stages).toEqual([...STAGES]);
    expect(o.looArms).toEqual(Object.keys(LOO_ARMS));
    expect(o.looGroups).toEqual(Object.keys(LOO_GROUPS));
    expect(o).toMatchObject({
      budgetMinutes: DEFAULT_BUDGET_MINUTES,
      limit: undefined,
      model: '/repo/models/lfm.onnx',
      dataDir: '/shared/data',
      outDir: '/repo/docs',
      holdout: ['cmu-body', 'torresani-face'],
      renderOnly: false,
    });
  });

  it('reads lists, numbers and paths', () => {
    const o = parseBenchmarkOptions(
      ['--stages', 'eval, loo', '--limit', '20', '--holdout', 'none', '--out', '/tmp/x', '--render-only'],
      root,
    );
    expect(o).toMatchObject({
      stages: ['eval', 'loo'],
      limit: 20,
      holdout: [],
      outDir: '/tmp/x',
      renderOnly: true,
    });
  });

  it('the mlp-converged settings: defaults, flags, and the help that names them', () => {
    expect(parseBenchmarkOptions([], root)).toMatchObject({ converged: DEFAULT_CONVERGENCE });
    expect(DEFAULT_CONVERGENCE).toEqual({
      maxSteps: 20000,
      maxMinutes: 30,
      valInterval: 500,
      valPatience: 6,
      valMinDelta: 0.001,
    });
    const o = parseBenchmarkOptions(
      ['--converged-max-steps', '9000', '--converged-max-minutes', '2.5', '--converged-patience', '3'],
      root,
    );
    expect(o).toMatchObject({
      converged: { maxSteps: 9000, maxMinutes: 2.5, valInterval: 500, valPatience: 3, valMinDelta: 0.001 },
    });
    expect(() => parseBenchmarkOptions(['--converged-val-interval', '0'], root)).toThrow(
      /--converged-val-interval must be an integer ≥ 1/,
    );
    for (const f of ['max-steps', 'max-minutes', 'val-interval', 'patience', 'min-delta'])
      expect(HELP).toContain(`--converged-${f}`);
    expect(HELP).toMatch(/^ {2}mlp-converged\n {14}the same per-rig MLPs/m);
  });

  it('--help / -h', () => {
    expect(parseBenchmarkOptions(['-h'], root)).toBe('help');
    expect(HELP).toContain('--loo-train-only');
  });

  it.each([
    [['--stages', 'eval,warp'], /unknown stage 'warp' \(known: eval, baselines/],
    [['--loo-arms', 'base,nope'], /unknown loo arm 'nope'/],
    [['--loo-groups', 'fish'], /unknown loo group 'fish'/],
    [['--limit', '0'], /--limit must be an integer ≥ 1, got "0"/],
    [['--limit', '2.5'], /--limit must be an integer/],
    [['--budget-minutes', 'soon'], /--budget-minutes must be a number ≥ 0.01/],
    [['--render-only', '--verify'], /--render-only and --verify exclude each other/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseBenchmarkOptions(argv, root)).toThrow(message);
  });

  it('leaves an unknown flag to node:util', () => {
    expect(() => parseBenchmarkOptions(['--stagse', 'eval'], root)).toThrow(/Unknown option '--stagse'/);
  });
});

describe('splitList', () => {
  it('trims and drops empty items', () => {
    expect(splitList(' a, b,,c ')).toEqual(['a', 'b', 'c']);
    expect(splitList(undefined)).toBeUndefined();
  });
});

describe('numberFlag', () => {
  it('returns the fallback when not given and the number when valid', () => {
    expect(numberFlag('frames', undefined, 50)).toBe(50);
    expect(numberFlag('frames', '12', 50, { int: true, min: 3 })).toBe(12);
    expect(numberFlag('tolerance', '1e-3', 1e-6)).toBe(1e-3);
  });
  it('names the flag, the rule and the value given', () => {
    expect(() => numberFlag('frames', '2', 50, { int: true, min: 3 })).toThrow(
      '--frames must be an integer ≥ 3, got "2"',
    );
    expect(() => numberFlag('seed', 'x', 0)).toThrow('--seed must be a number ≥ 0, got "x"');
  });
});
