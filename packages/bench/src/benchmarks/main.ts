import { InputError } from '@lfm/core';
import { BenchmarkContext } from './context.js';
import { HELP, parseBenchmarkOptions } from './options.js';
import { runStages, writeReport } from './run.js';
import { TrainOnlyDone } from './stages-more.js';

/** Where the command writes: the report and logs (stderr), --help (stdout). */
export interface BenchmarkIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * scripts/benchmarks.mjs: parses `argv`, runs the selected stages (unless --render-only), renders
 * docs/BENCHMARKS.md (unless --verify) and resolves to the exit code: 0, 1 when --verify found
 * numbers that differ, 2 for a usage error (printed as one `benchmarks: …` line).
 */
export async function runBenchmarks(
  argv: readonly string[],
  root: string,
  io: BenchmarkIo = process,
): Promise<number> {
  const usage = (e: unknown) => {
    if (!(e instanceof InputError)) throw e;
    io.stderr.write(`benchmarks: ${e.message}\n`);
    return 2;
  };
  let parsed: ReturnType<typeof parseBenchmarkOptions>;
  try {
    parsed = parseBenchmarkOptions(argv, root);
  } catch (e) {
    return usage(e);
  }
  if (parsed === 'help') {
    io.stdout.write(HELP);
    return 0;
  }
  const ctx = new BenchmarkContext(parsed, root, (s) => io.stderr.write(`${s}\n`));
  const t0 = Date.now();
  let mismatches = 0;
  try {
    if (!parsed.renderOnly) mismatches = await runStages(ctx, argv);
  } catch (e) {
    if (e instanceof TrainOnlyDone) return 0;
    return usage(e);
  }
  if (!parsed.verify) writeReport(ctx);
  ctx.log(`total ${((Date.now() - t0) / 60_000).toFixed(2)} min`);
  return parsed.verify && mismatches > 0 ? 1 : 0;
}
