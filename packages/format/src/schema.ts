import * as v from 'valibot';
import { ConfigError } from './errors.js';

/**
 * Building blocks of LFM's config schemas (valibot), so that each key is declared once — type,
 * range and default in one schema entry — and every message names the key and what it allows, in
 * one line: `dModel must be an integer ≥ 1, got 0`. A value schema's message is the part after the
 * key ("must be …, got …"); `configIssueMessage` puts the key in front from the issue's path.
 */

const got = (issue: v.BaseIssue<unknown>) => `got ${JSON.stringify(issue.input)}`;

/** An integer (a safe one) ≥ min, and ≤ max when given. */
export function integerIn(min: number, max = Number.POSITIVE_INFINITY) {
  const allowed = max === Number.POSITIVE_INFINITY ? `≥ ${min}` : `≥ ${min} and at most ${max}`;
  const message = (issue: v.BaseIssue<unknown>) => `must be an integer ${allowed}, ${got(issue)}`;
  return v.pipe(
    v.number(message),
    v.safeInteger(message),
    v.minValue(min, message),
    v.maxValue(max, message),
  );
}

/** A finite number in [min, max] (or (min, max] with `minOpen`); max may be ∞. */
export function numberIn(min: number, max = Number.POSITIVE_INFINITY, { minOpen = false } = {}) {
  const allowed =
    max === Number.POSITIVE_INFINITY
      ? `a finite number ${minOpen ? '>' : '≥'} ${min}`
      : `a number in ${minOpen ? '(' : '['}${min}, ${max}]`;
  const message = (issue: v.BaseIssue<unknown>) => `must be ${allowed}, ${got(issue)}`;
  return v.pipe(
    v.number(message),
    v.finite(message),
    minOpen ? v.gtValue(min, message) : v.minValue(min, message),
    v.maxValue(max, message),
  );
}

/** One of the strings `values`. */
export function oneOf<const T extends readonly string[]>(values: T) {
  return v.picklist(
    values,
    (issue) => `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}, ${got(issue)}`,
  );
}

/** true or false. */
export function flag() {
  return v.boolean((issue) => `must be true or false, ${got(issue)}`);
}

/** A non-empty string; `what` says what it names ("a folder path"). */
export function nonEmptyString(what: string) {
  const message = (issue: v.BaseIssue<unknown>) => `must be ${what}, ${got(issue)}`;
  return v.pipe(v.string(message), v.minLength(1, message));
}

/** A plain JSON object (not an array, not null). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Any plain object, typed `T`; its contents are checked by whoever reads them. */
export function anyObject<T = Readonly<Record<string, unknown>>>() {
  return v.custom<T>(isPlainObject, (issue) => `must be an object, ${got(issue)}`);
}

/**
 * An object with exactly these keys (strict: an unknown key — a typo — is an error listing the known
 * ones). `what` names it in messages: "unknown lifter config key 'dmodel' (known: dModel, …)".
 */
export function configObject<const E extends v.ObjectEntries>(what: string, entries: E) {
  const known = Object.keys(entries).join(', ');
  return v.strictObject(entries, (issue) =>
    issue.expected === 'never'
      ? `unknown ${what} key '${String(issue.input)}' (known: ${known})`
      : `${what} must be an object, ${got(issue)}`,
  );
}

/** An unknown key of a strict object (its path ends with the key, which the message names). */
function isUnknownKey(issue: v.BaseIssue<unknown>): boolean {
  return issue.type === 'strict_object' && issue.expected === 'never';
}

/**
 * The one-line message of a failed parse: an unknown key first (a typo explains the rest), else the
 * first issue in declaration order, its key path in front ("codedRigs[0] must be a rig id, got …").
 */
export function configIssueMessage(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues.find(isUnknownKey) ?? issues[0]!;
  const path = (issue.path ?? [])
    .map((p, i) => (p.type === 'array' ? `[${String(p.key)}]` : `${i > 0 ? '.' : ''}${String(p.key)}`))
    .join('');
  return path && !isUnknownKey(issue) ? `${path} ${issue.message}` : issue.message;
}

/**
 * Parses `input` with a config schema: ConfigError with the schema's message for anything it
 * refuses; `what` names a non-object ("a lifter config must be an object, got null").
 */
export function parseConfig<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  what: string,
): v.InferOutput<S> {
  if (!isPlainObject(input)) {
    throw new ConfigError(`${what} must be an object, got ${input === null ? 'null' : typeof input}`);
  }
  const result = v.safeParse(schema, input);
  if (!result.success) throw new ConfigError(configIssueMessage(result.issues));
  return result.output;
}

/**
 * The defaults of an object schema's entries, in declaration order; `keepUndefined` keeps the keys
 * of optional entries without a default (as undefined), so spreading the result fixes key order.
 */
export function entryDefaults(entries: v.ObjectEntries, keepUndefined: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(entries)) {
    const value = v.getDefault(schema as v.GenericSchema);
    if (value !== undefined || keepUndefined) out[key] = value;
  }
  return out;
}
