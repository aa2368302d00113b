/** Exit codes of `lfm`. */
export const EXIT = Object.freeze({
  ok: 0,
  /** Bad input, a missing or malformed file, a model or runtime failure. */
  error: 1,
  /** A usage error: unknown command or flag, a missing required flag, a flag value of the wrong type. */
  usage: 2,
  /** Stopped by SIGINT (training stops after its current step, with a checkpoint). */
  interrupted: 130,
});

/** The command line is wrong (exit 2): the message names the flag and says what it takes. */
export class UsageError extends Error {
  readonly code = 'E_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the CLI itself detects (exit 1), with a message a user can act on. */
export class CliError extends Error {
  readonly code: string;
  constructor(message: string, code = 'E_CLI') {
    super(message);
    this.name = 'CliError';
    this.code = code;
  }
}

const PARSE_ARGS_CODES = new Set([
  'ERR_PARSE_ARGS_UNKNOWN_OPTION',
  'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
  'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL',
]);

/** The exit code for an error thrown by a command. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && PARSE_ARGS_CODES.has(code)) return EXIT.usage;
  return EXIT.error;
}

/**
 * The one-line message of any error: our typed errors' messages as they are; node:util parseArgs'
 * messages made short; anything else prefixed with its class name (an unexpected error) — always with
 * the whitespace collapsed to one line.
 */
export function errorLine(err: unknown): string {
  if (!(err instanceof Error)) return oneLine(String(err));
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && PARSE_ARGS_CODES.has(code)) return oneLine(parseArgsMessage(err.message));
  const known = err instanceof UsageError || err instanceof CliError || isLfmError(err);
  const msg = err.message || err.name;
  return oneLine(known || err.name === 'Error' ? msg : `${err.name}: ${msg}`);
}

/** LfmError (core), RigError (rig) and friends: an `E_…` code, from any copy of the packages. */
function isLfmError(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('E_');
}

function parseArgsMessage(msg: string): string {
  const unknown = /^Unknown option '([^']+)'/.exec(msg);
  if (unknown) return `unknown option '${unknown[1]}'`;
  const missing = /^Option '(?:-\w, )?(-[^ ',]+)[^']*' argument missing/.exec(msg);
  if (missing) return `${missing[1]} needs a value`;
  const ambiguous = /^Option '(?:-\w, )?(-[^ ',]+)[^']*' argument is ambiguous/.exec(msg);
  if (ambiguous) {
    return `${ambiguous[1]} needs a value (for a value starting with '-', write ${ambiguous[1]}=VALUE)`;
  }
  const bool = /^Option '(-[^ ']+)' does not take an argument/.exec(msg);
  if (bool) return `${bool[1]} takes no value`;
  const positional = /^Unexpected argument '([^']+)'/.exec(msg);
  if (positional) return `unexpected argument '${positional[1]}'`;
  return msg.split('. ')[0]!;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
