import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { choiceFlag, type FlagSpecs, intFlag, numberFlag, parseFlags } from '../args.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { type CliIo, formatJson, note, resolvePath } from '../io.js';
import { TFJS_BACKENDS } from '../model.js';
import { loadRigs } from '../rigs.js';

export const TRAIN_FLAGS = {
  config: { type: 'string', short: 'c' },
  data: { type: 'string', short: 'd', multiple: true },
  engine: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  workers: { type: 'string' },
  steps: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  out: { type: 'string', short: 'o' },
  'd-model': { type: 'string' },
  layers: { type: 'string' },
  heads: { type: 'string' },
  'max-points': { type: 'string' },
  'max-minutes': { type: 'string' },
  resume: { type: 'string' },
  seed: { type: 'string' },
  'val-interval': { type: 'string' },
  'checkpoint-interval': { type: 'string' },
  'checkpoint-minutes': { type: 'string' },
  'log-interval': { type: 'string' },
  progress: { type: 'string' },
  'rig-plugin': { type: 'string', multiple: true },
  status: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies FlagSpecs;

export const TRAIN_HELP = `Usage: lfm train --config FILE [flags]
       lfm train --data DIR [--data DIR ...] [flags]
       lfm train --status RUN_DIR [--json]

Trains the lifter. FILE is a JSON training config (see @lfm/trainer TrainingConfig; e.g.
configs/tiny.json); its relative paths (data, outDir, resume) are relative to the file. Flags
override the file. The output folder gets last.ckpt, best.ckpt, metrics.jsonl and config.json;
a progress bar with samples/s and ETA on a terminal, plain lines otherwise (CI).

A long run is a chain of resumes: last.ckpt is written every --checkpoint-interval steps, every
--checkpoint-minutes minutes (default 5) and at the end, atomically; SIGTERM or Ctrl-C (SIGINT)
stops after the current step with a checkpoint and prints the command that resumes it (exit 0 on
SIGTERM, 130 on SIGINT; a second signal exits at once, without a checkpoint). --resume then
continues exactly: the same batches, joint-code dropout, learning-rate schedule and Adam state, so
the weights equal those of an uninterrupted run; metrics.jsonl is appended to.

Options:
  -c, --config FILE          training config (JSON)
  -d, --data DIR             dataset folder, or a folder of them (repeatable)
      --engine graph|tfjs    training engine (default: the trainer's)
      --backend NAME         tfjs backend: tensorflow, wasm or cpu (default: tensorflow if
                             installed, else wasm)
      --threads N            intra-op threads of the graph engine (per session)
      --workers N            data-parallel worker threads of the graph engine: N sessions, each
                             on a 1/N shard of every batch (config key workers; default 1)
      --steps N              optimizer steps
      --batch B              batch size
      --lr X                 peak learning rate
  -o, --out DIR              output folder (checkpoints, metrics.jsonl)
      --d-model D, --layers L, --heads H, --max-points N   the lifter's shape
      --max-minutes M        stop (with a checkpoint) after M minutes
      --resume [PATH]        resume from PATH, or from OUT/last.ckpt when given no path (an OUT
                             without one starts from scratch, with a note on stderr)
      --seed N               seed of the batch stream
      --val-interval N, --checkpoint-interval N, --log-interval N
      --checkpoint-minutes M
                             also write last.ckpt when M minutes passed since the last one
                             (default 5; 0 = off)
      --progress MODE        auto (default), bar, lines or none
      --rig-plugin PATH      load rigs from a plugin module (repeatable; checked and registered
                             before the data loads)
      --status [RUN_DIR]     print where a run stands, without training: the config's steps, the
                             last checkpoint (step, samples, time), the best validation nPA-MPJPE,
                             the last metrics line (loss, samples/s), whether it is finished, and
                             the command that resumes it; RUN_DIR defaults to --out / the config's
                             outDir
      --json                 with --status: one JSON object instead of text
`;

export async function trainCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags } = parseFlags('train', bareValue(argv, ['--resume', '--status']), TRAIN_FLAGS);
  if (flags.json && flags.status === undefined) throw new UsageError('lfm train: --json goes with --status');
  const fromFile = flags.config !== undefined ? await readConfig(resolvePath(io, flags.config)) : {};
  if (flags.status !== undefined) {
    const dir =
      flags.status !== ''
        ? resolvePath(io, flags.status)
        : flags.out !== undefined
          ? resolvePath(io, flags.out)
          : typeof fromFile.outDir === 'string'
            ? fromFile.outDir
            : undefined;
    if (dir === undefined)
      throw new UsageError('lfm train: --status needs a RUN_DIR (or --out / a config with outDir)');
    return statusCommand(dir, flags.json === true, io);
  }
  const config: Record<string, unknown> = { ...fromFile };
  const model: Record<string, unknown> = {
    ...((fromFile.model as Record<string, unknown> | undefined) ?? {}),
  };
  const set = (o: Record<string, unknown>, key: string, v: unknown) => {
    if (v !== undefined) o[key] = v;
  };
  if (flags.data !== undefined) config.data = flags.data.map((d) => resolvePath(io, d));
  set(config, 'engine', choiceFlag('engine', flags.engine, ['graph', 'tfjs'] as const));
  set(config, 'backend', choiceFlag('backend', flags.backend, TFJS_BACKENDS));
  set(config, 'threads', intFlag('threads', flags.threads, 1));
  set(config, 'workers', intFlag('workers', flags.workers, 1));
  set(config, 'steps', intFlag('steps', flags.steps, 1));
  set(config, 'batchSize', intFlag('batch', flags.batch, 1));
  set(config, 'lr', numberFlag('lr', flags.lr, { positive: true }));
  if (flags.out !== undefined) config.outDir = resolvePath(io, flags.out);
  set(config, 'maxPoints', intFlag('max-points', flags['max-points'], 3));
  set(config, 'maxMinutes', numberFlag('max-minutes', flags['max-minutes'], { min: 0 }));
  set(config, 'seed', intFlag('seed', flags.seed, 0));
  set(config, 'valInterval', intFlag('val-interval', flags['val-interval'], 0));
  set(config, 'checkpointInterval', intFlag('checkpoint-interval', flags['checkpoint-interval'], 0));
  set(config, 'checkpointMinutes', numberFlag('checkpoint-minutes', flags['checkpoint-minutes'], { min: 0 }));
  set(config, 'logInterval', intFlag('log-interval', flags['log-interval'], 1));
  set(config, 'progress', choiceFlag('progress', flags.progress, ['auto', 'bar', 'lines', 'none'] as const));
  if (flags.resume !== undefined) config.resume = flags.resume === '' ? true : resolvePath(io, flags.resume);
  set(model, 'dModel', intFlag('d-model', flags['d-model'], 1));
  set(model, 'layers', intFlag('layers', flags.layers, 1));
  set(model, 'heads', intFlag('heads', flags.heads, 1));
  if (Object.keys(model).length > 0) config.model = model;
  // CI logs are files: plain lines even if a pseudo-terminal is attached.
  if (config.progress === undefined && io.env.CI) config.progress = 'lines';

  const data = config.data;
  if (data === undefined || (Array.isArray(data) && data.length === 0)) {
    throw new UsageError('lfm train: no training data: pass --data DIR or a --config FILE with "data"');
  }
  if (config.resume === true && config.outDir === undefined) {
    throw new UsageError('--resume without a path resumes OUT/last.ckpt: also pass --out DIR');
  }

  const plugins = flags['rig-plugin'] ?? [];
  await loadRigs(io, plugins);
  const { OUTPUT_FILES, runTraining, shellQuote } = await import('@lfm/trainer');
  if (config.resume === true && typeof config.outDir === 'string') {
    const last = join(config.outDir, OUTPUT_FILES.last);
    if (!existsSync(last)) {
      note(io, `no checkpoint in ${config.outDir}: starting from scratch`);
      config.resume = false;
    }
  }
  const stop = stopOnSignals(io);
  try {
    const result = await runTraining(config, { output: io.stdout, signal: stop.signal });
    if (result.stoppedBy !== 'signal') return EXIT.ok;
    const by = stop.received() ?? 'SIGINT';
    const outDir = typeof config.outDir === 'string' ? config.outDir : undefined;
    if (result.checkpoint && outDir) {
      const resume = [
        'lfm train',
        ...plugins.map((p) => `--rig-plugin ${shellQuote(resolvePath(io, p))}`),
        `--config ${shellQuote(join(outDir, OUTPUT_FILES.config))} --resume`,
      ].join(' ');
      note(
        io,
        `stopped by ${by} at step ${result.step}: checkpoint ${result.checkpoint}; resume with ${resume}`,
      );
    } else {
      note(io, `stopped by ${by} at step ${result.step}: no checkpoint (no output folder: pass --out DIR)`);
    }
    // SIGTERM (a supervisor ending a session) is a clean stop; Ctrl-C keeps the shell's 130.
    return by === 'SIGTERM' ? EXIT.ok : EXIT.interrupted;
  } finally {
    stop.dispose();
  }
}

/**
 * An AbortSignal that the first SIGTERM or SIGINT (or `io.signal`, the binary's Ctrl-C) aborts: the
 * training loop then stops after its current step and writes its checkpoint. A second signal exits at
 * once (128 + the signal's number), without a checkpoint.
 */
function stopOnSignals(io: CliIo): {
  signal: AbortSignal;
  received: () => string | undefined;
  dispose: () => void;
} {
  const controller = new AbortController();
  let received: string | undefined;
  let count = 0;
  const handlers = (['SIGTERM', 'SIGINT'] as const).map((name) => {
    const handler = () => {
      if (count++ > 0) process.exit(name === 'SIGTERM' ? 143 : 130);
      received ??= name;
      if (!controller.signal.aborted) {
        note(io, `${name}: stopping after the current step with a checkpoint (again: exit at once)`);
        controller.abort();
      }
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  const fromIo = () => {
    received ??= 'SIGINT';
    if (!controller.signal.aborted) {
      note(io, 'SIGINT: stopping after the current step with a checkpoint (again: exit at once)');
      controller.abort();
    }
  };
  if (io.signal?.aborted) fromIo();
  else io.signal?.addEventListener('abort', fromIo, { once: true });
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      for (const [name, handler] of handlers) process.off(name, handler);
      io.signal?.removeEventListener('abort', fromIo);
    },
  };
}

/** `lfm train --status DIR [--json]`. */
async function statusCommand(dir: string, json: boolean, io: CliIo): Promise<number> {
  const { readRunStatus } = await import('@lfm/trainer');
  const s = await readRunStatus(dir);
  if (json) {
    io.stdout.write(formatJson(s));
    return EXIT.ok;
  }
  const num = (x: number | null | undefined, digits = 4) =>
    x === null || x === undefined || !Number.isFinite(x) ? String(x) : x.toPrecision(digits);
  const c = s.checkpoint;
  const ago = c ? ` (${formatAgo(Date.now() - Date.parse(c.savedAt))})` : '';
  const lines: [string, string][] = [
    ['run', s.dir],
    ['steps', s.steps === null ? 'unknown (no config.json)' : String(s.steps)],
    [
      'checkpoint',
      c
        ? `step ${c.step}${s.steps !== null ? ` of ${s.steps}` : ''}` +
          `${c.samples !== null ? `, ${c.samples} samples` : ''}, saved ${c.savedAt}${ago}` +
          `${c.trainSec !== null ? `, ${formatSeconds(c.trainSec)} of training` : ''}${c.engine ? `, ${c.engine}` : ''}: ${c.path}`
        : 'none yet',
    ],
    [
      'best val',
      s.best ? `nPA-MPJPE ${num(s.best.nPaMpjpe)} at step ${s.best.step} (${s.best.source})` : 'none yet',
    ],
    [
      'last log',
      s.last
        ? `step ${s.last.step}: loss ${num(s.last.loss)}, ${s.last.samplesPerSec.toFixed(1)} samples/s`
        : 'none yet',
    ],
    [
      'finished',
      s.finished ? 'yes' : `no${s.steps !== null ? ` (${s.steps - (c?.step ?? 0)} steps to go)` : ''}`,
    ],
    [
      'resume',
      s.resume === null
        ? 'unknown (no config.json)'
        : s.finished
          ? `finished: raise steps to train on (${s.resume} --steps N)`
          : s.resume,
    ],
  ];
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  io.stdout.write(lines.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}\n`).join(''));
  return EXIT.ok;
}

function formatSeconds(sec: number): string {
  if (sec < 90) return `${sec.toFixed(1)} s`;
  if (sec < 5400) return `${(sec / 60).toFixed(1)} min`;
  return `${(sec / 3600).toFixed(2)} h`;
}

function formatAgo(ms: number): string {
  return Number.isFinite(ms) ? `${formatSeconds(Math.max(0, ms) / 1000)} ago` : 'time unknown';
}

/**
 * A value-taking flag of `names` given without a value (last, or followed by another flag) gets the
 * empty value: `--resume` → `--resume=` ("OUT/last.ckpt"), `--status` → `--status=` (the output folder).
 */
function bareValue(argv: readonly string[], names: readonly string[]): string[] {
  return argv.map((a, i) => {
    const next = argv[i + 1];
    return names.includes(a) && (next === undefined || next.startsWith('-')) ? `${a}=` : a;
  });
}

/** A JSON config file; its relative paths (data, outDir, a resume path) resolve against its folder. */
async function readConfig(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(`${path}: config file not found`, 'E_NOT_FOUND');
    }
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path}: invalid JSON (${(err as Error).message})`, 'E_DATA_FORMAT');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CliError(`${path}: a training config must be a JSON object`, 'E_DATA_FORMAT');
  }
  const base = dirname(path);
  const rel = (p: unknown) => (typeof p === 'string' && !isAbsolute(p) ? resolve(base, p) : p);
  const c = { ...(raw as Record<string, unknown>) };
  if (typeof c.data === 'string') c.data = [c.data];
  if (Array.isArray(c.data)) c.data = c.data.map(rel);
  if (c.outDir !== undefined) c.outDir = rel(c.outDir);
  if (typeof c.resume === 'string') c.resume = rel(c.resume);
  return c;
}
