import { type ParseArgsConfig, parseArgs } from 'node:util';
import { errorLine, UsageError } from './errors.js';

/** A flag of a command, as node:util parseArgs takes it, plus its help text. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type FlagValue<S extends FlagSpec> = S['type'] extends 'boolean'
  ? S['multiple'] extends true
    ? boolean[]
    : boolean
  : S['multiple'] extends true
    ? string[]
    : string;

export type Flags<S extends FlagSpecs> = { [K in keyof S]?: FlagValue<S[K]> };

export interface Parsed<S extends FlagSpecs> {
  readonly flags: Flags<S>;
  readonly positionals: string[];
}

/**
 * Parses `argv` of `lfm <command>` with node:util parseArgs (strict: an unknown flag is an error).
 * Every parse problem becomes a UsageError naming the command. `maxPositionals` bounds the operands.
 */
export function parseFlags<S extends FlagSpecs>(
  command: string,
  argv: readonly string[],
  specs: S,
  maxPositionals = 0,
): Parsed<S> {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv, specs),
      options: specs as NonNullable<ParseArgsConfig['options']>,
      strict: true,
      allowPositionals: maxPositionals > 0,
    }) as { values: Record<string, unknown>; positionals: string[] };
  } catch (err) {
    throw new UsageError(`lfm ${command}: ${errorLine(err)} (see lfm ${command} --help)`);
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals[maxPositionals]!;
    throw new UsageError(`lfm ${command}: unexpected argument '${extra}' (see lfm ${command} --help)`);
  }
  return { flags: parsed.values as Flags<S>, positionals: parsed.positionals };
}

/** The value of a required flag, or a UsageError naming it. */
export function required<T>(command: string, name: string, value: T | undefined, what = 'VALUE'): T {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    throw new UsageError(`lfm ${command}: --${name} ${what} is required (see lfm ${command} --help)`);
  }
  return value;
}

/** A finite number flag (`min`/`max` inclusive; `positive` excludes 0). */
export function numberFlag(
  name: string,
  value: string | undefined,
  range: { min?: number; max?: number; positive?: boolean } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim() === '' ? Number.NaN : Number(value);
  const bad =
    !Number.isFinite(v) ||
    (range.positive === true && v <= 0) ||
    (range.min !== undefined && v < range.min) ||
    (range.max !== undefined && v > range.max);
  if (bad) {
    const want = range.positive
      ? 'a number > 0'
      : range.min !== undefined
        ? `a number ≥ ${range.min}`
        : 'a finite number';
    throw new UsageError(`--${name} must be ${want}, got '${value}'`);
  }
  return v;
}

/** An integer flag ≥ `min`. */
export function intFlag(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const v = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${value}'`);
  }
  return v;
}

/** A flag restricted to `choices`. */
export function choiceFlag<T extends string>(
  name: string,
  value: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${value}'`);
  }
  return value as T;
}

/** True when `argv` asks for help (`-h`/`--help` before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '-h' || a === '--help') return true;
  }
  return false;
}

/** `--cx -12.5` → `--cx=-12.5`: parseArgs would take a negative number for an option. */
function joinNegativeValues(argv: readonly string[], specs: FlagSpecs): string[] {
  const takesValue = (token: string): boolean =>
    token.startsWith('--') && specs[token.slice(2)]?.type === 'string';
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (next !== undefined && /^-(\d|\.\d)/.test(next) && takesValue(a)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
