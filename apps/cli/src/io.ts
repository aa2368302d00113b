import { resolve } from 'node:path';

/** A writable text stream: `process.stdout` or a capture in tests. */
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** What a command may touch of its process: streams, working directory, environment, a stop signal. */
export interface CliIo {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  /** Relative paths resolve against this (default process.cwd()). */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT (a training run then stops after its current step, with a checkpoint). */
  readonly signal?: AbortSignal;
}

/** `path` resolved against the command's working directory. */
export function resolvePath(io: CliIo, path: string): string {
  return resolve(io.cwd, path);
}

/** A note for the user on stderr (never on stdout, which may carry JSON). */
export function note(io: CliIo, message: string): void {
  io.stderr.write(`lfm: ${message}\n`);
}

export { writeFileAtomic } from '@lfm/core/node';

/**
 * JSON for people and programs: indented, but an array of numbers/nulls (a point, a matrix row) stays
 * on one line, so `[N][3]` points read one per line. Numbers keep `digits` significant digits
 * (float32 carries ~7).
 */
export function formatJson(value: unknown, digits = 7): string {
  const round = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : null);
  const walk = (v: unknown, indent: string): string => {
    if (typeof v === 'number') return JSON.stringify(round(v));
    if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
    const inner = `${indent}  `;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      if (v.every((x) => x === null || typeof x !== 'object'))
        return `[${v.map((x) => walk(x, inner)).join(', ')}]`;
      return `[\n${v.map((x) => inner + walk(x, inner)).join(',\n')}\n${indent}]`;
    }
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${walk(x, inner)}`).join(',\n')}\n${indent}}`;
  };
  return `${walk(value, '')}\n`;
}

/** Left-aligned columns, two spaces apart, one line per row. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  return `${all
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}
