import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { choiceFlag, type FlagSpecs, intFlag, parseFlags } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { type CliIo, resolvePath, table } from '../io.js';
import { TFJS_BACKENDS } from '../model.js';

/** The benchmarks of the repository: each package keeps its own, run on its built dist/. */
export const BENCHES = Object.freeze({
  procrustes: {
    pkg: '@lfm/procrustes',
    script: 'packages/procrustes/bench/procrustes.bench.mjs',
    what: 'batched Procrustes / OnP / PnP solvers (µs per sample)',
    json: false,
  },
  pipeline: {
    pkg: '@lfm/datasets',
    script: 'packages/datasets/bench/pipeline.bench.mjs',
    what: 'the training batch pipeline (samples/s)',
    json: false,
  },
  runtime: {
    pkg: '@lfm/runtime',
    script: 'packages/runtime/bench/runtime.bench.mjs',
    what: 'inference: onnxruntime-node vs onnxruntime-web vs tfjs-wasm (latency, throughput)',
    json: true,
  },
  sequence: {
    pkg: '@lfm/runtime',
    script: 'packages/runtime/bench/sequence.bench.mjs',
    what: 'lifting a 2D sequence (frames/s, 20-joint rig, batched liftSequence)',
    json: true,
  },
  train: {
    pkg: '@lfm/bench',
    // Run in-process by `benchTraining` (flags below); the script compares the two engines.
    script: 'packages/bench/bench/train-engines.bench.mjs',
    what: 'training throughput (samples/s) and the fraction of the MatMul peak',
    json: true,
  },
} as const);

export type BenchName = keyof typeof BENCHES;

export const BENCH_FLAGS = {
  json: { type: 'boolean' },
  quick: { type: 'boolean' },
  // lfm bench train (benchTraining of @lfm/bench):
  engine: { type: 'string' },
  config: { type: 'string' },
  steps: { type: 'string' },
  threads: { type: 'string' },
  workers: { type: 'string' },
  backend: { type: 'string' },
  data: { type: 'string', multiple: true },
} as const satisfies FlagSpecs;

/** The flags only `lfm bench train` takes. */
const TRAIN_ONLY = ['engine', 'config', 'steps', 'threads', 'workers', 'backend', 'data'] as const;

export const BENCH_HELP = `Usage: lfm bench [NAME] [--json] [--quick] [-- BENCH FLAGS]

Runs a benchmark of the repository (they live beside each package and run on its built dist/:
build first with pnpm build). Without NAME, lists them. \`pnpm bench\` at the root runs them all.

Benchmarks:
${Object.entries(BENCHES)
  .map(([name, b]) => `  ${name.padEnd(11)} ${b.what}`)
  .join('\n')}

Options:
      --json    machine-readable output (benchmarks that have it: runtime, sequence, train)
      --quick   fewer repetitions

lfm bench train (training throughput and the fraction of the machine's MatMul peak):
      --engine graph|tfjs   the training engine (default graph)
      --config NAME         model and batch: d64-l2, d128-l4 (default), d256-l4
      --steps N             timed steps
      --threads N           intra-op threads per session (graph engine; default 1 with --workers)
      --workers N           data-parallel worker threads of the graph engine, each with its own
                            session on a 1/N shard of every batch (default 1: in-process)
      --backend NAME        tfjs backend with --engine tfjs (tensorflow, wasm, cpu)
      --data DIR            dataset folder(s) for the batches (default ../shared/data when
                            present, else a built-in synthetic corpus)
`;

/** The repository root when this CLI runs from a checkout (apps/cli/{src,dist}/commands), else undefined. */
function repoRoot(): string | undefined {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  return existsSync(`${root}pnpm-workspace.yaml`) ? root : undefined;
}

export async function benchCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseFlags('bench', argv, BENCH_FLAGS, Number.POSITIVE_INFINITY);
  const dashes = argv.indexOf('--');
  const named =
    dashes < 0 ? positionals : positionals.slice(0, positionals.length - (argv.length - dashes - 1));
  const passthrough = dashes < 0 ? [] : argv.slice(dashes + 1);
  if (named.length > 1) throw new UsageError(`lfm bench: unexpected argument '${named[1]}'`);
  const name = named[0];
  const root = repoRoot();
  if (name === undefined) {
    io.stdout.write(
      `${table(
        ['bench', 'package', 'measures'],
        Object.entries(BENCHES).map(([n, b]) => [n, b.pkg, b.what]),
      )}\nRun one: lfm bench NAME [--json] [--quick]; all of them: pnpm bench (in the repository` +
        `${root ? '' : ', which holds the benchmark scripts'}).\n`,
    );
    return 0;
  }
  if (!Object.hasOwn(BENCHES, name)) {
    throw new UsageError(
      `lfm bench: unknown benchmark '${name}' (known: ${Object.keys(BENCHES).join(', ')})`,
    );
  }
  const bench = BENCHES[name as BenchName];
  const trainFlag = TRAIN_ONLY.find((k) => flags[k] !== undefined);
  if (name !== 'train' && trainFlag !== undefined) {
    throw new UsageError(`--${trainFlag} is a flag of lfm bench train`);
  }
  if (name === 'train') {
    const { benchTraining } = await import('@lfm/bench');
    const steps = intFlag('steps', flags.steps, 1);
    const threads = intFlag('threads', flags.threads, 1);
    const workers = intFlag('workers', flags.workers, 1);
    await benchTraining({
      ...optional('engine', choiceFlag('engine', flags.engine, ['graph', 'tfjs'] as const)),
      ...optional('config', flags.config),
      ...optional('steps', steps ?? (flags.quick ? 3 : undefined)),
      ...optional('warmup', flags.quick ? 1 : undefined),
      ...optional('threads', threads),
      ...optional('workers', workers),
      ...optional('backend', choiceFlag('backend', flags.backend, TFJS_BACKENDS)),
      ...optional(
        'data',
        flags.data?.map((d) => resolvePath(io, d)),
      ),
      json: flags.json === true,
      output: io.stdout,
    });
    return 0;
  }
  if (flags.json && !bench.json) {
    throw new UsageError(
      `lfm bench ${name} has no --json output (benchmarks with it: runtime, sequence, train)`,
    );
  }
  if (!root || !existsSync(`${root}${bench.script}`)) {
    throw new CliError(
      `the ${name} benchmark is a script of the repository (${bench.script}), not of the installed package; ` +
        `in a checkout: pnpm --filter ${bench.pkg} bench`,
      'E_NO_BENCH',
    );
  }
  const script = `${root}${bench.script}`;
  const args = [
    script,
    ...(flags.quick ? ['--quick'] : []),
    ...(flags.json ? ['--json'] : []),
    ...passthrough,
  ];
  return runNode(args, io.cwd, io);
}

/** Runs `node args…` in `cwd`, forwarding its output; resolves to its exit code. */
function runNode(args: readonly string[], cwd: string, io: CliIo): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => io.stdout.write(d.toString()));
    child.stderr.on('data', (d: Buffer) => io.stderr.write(d.toString()));
    const stop = () => child.kill('SIGINT');
    io.signal?.addEventListener('abort', stop, { once: true });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      io.signal?.removeEventListener('abort', stop);
      resolve(code ?? (signal ? 130 : 1));
    });
  });
}

/** `{ [key]: value }`, or `{}` when value is undefined (for exactOptionalPropertyTypes-style options). */
function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}
