import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { choiceFlag, type FlagSpecs, intFlag, numberFlag, parseFlags } from '../args.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { type CliIo, note, resolvePath } from '../io.js';
import { TFJS_BACKENDS } from '../model.js';
import { loadRigs } from '../rigs.js';

export const TRAIN_FLAGS = {
  config: { type: 'string', short: 'c' },
  data: { type: 'string', short: 'd', multiple: true },
  engine: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
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
  'log-interval': { type: 'string' },
  progress: { type: 'string' },
  'rig-plugin': { type: 'string', multiple: true },
} as const satisfies FlagSpecs;

export const TRAIN_HELP = `Usage: lfm train --config FILE [flags]
       lfm train --data DIR [--data DIR ...] [flags]

Trains the lifter. FILE is a JSON training config (see @lfm/trainer TrainingConfig; e.g.
configs/tiny.json); its relative paths (data, outDir, resume) are relative to the file. Flags
override the file. The output folder gets last.ckpt, best.ckpt, metrics.jsonl and config.json;
a progress bar with samples/s and ETA on a terminal, plain lines otherwise (CI). Ctrl-C stops
after the current step with a checkpoint.

Options:
  -c, --config FILE          training config (JSON)
  -d, --data DIR             dataset folder, or a folder of them (repeatable)
      --engine graph|tfjs    training engine (default: the trainer's)
      --backend NAME         tfjs backend: tensorflow, wasm or cpu (default: tensorflow if
                             installed, else wasm)
      --threads N            intra-op threads of the graph engine
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
      --progress MODE        auto (default), bar, lines or none
      --rig-plugin PATH      load rigs from a plugin module (repeatable; checked and registered
                             before the data loads)
`;

export async function trainCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags } = parseFlags('train', bareResume(argv), TRAIN_FLAGS);
  const fromFile = flags.config !== undefined ? await readConfig(resolvePath(io, flags.config)) : {};
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
  set(config, 'steps', intFlag('steps', flags.steps, 1));
  set(config, 'batchSize', intFlag('batch', flags.batch, 1));
  set(config, 'lr', numberFlag('lr', flags.lr, { positive: true }));
  if (flags.out !== undefined) config.outDir = resolvePath(io, flags.out);
  set(config, 'maxPoints', intFlag('max-points', flags['max-points'], 3));
  set(config, 'maxMinutes', numberFlag('max-minutes', flags['max-minutes'], { min: 0 }));
  set(config, 'seed', intFlag('seed', flags.seed, 0));
  set(config, 'valInterval', intFlag('val-interval', flags['val-interval'], 0));
  set(config, 'checkpointInterval', intFlag('checkpoint-interval', flags['checkpoint-interval'], 0));
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

  await loadRigs(io, flags['rig-plugin'] ?? []);
  const { OUTPUT_FILES, runTraining } = await import('@lfm/trainer');
  if (config.resume === true && typeof config.outDir === 'string') {
    const last = join(config.outDir, OUTPUT_FILES.last);
    if (!existsSync(last)) {
      note(io, `no checkpoint in ${config.outDir}: starting from scratch`);
      config.resume = false;
    }
  }
  const result = await runTraining(config, {
    output: io.stdout,
    ...(io.signal && { signal: io.signal }),
  });
  return result.stoppedBy === 'signal' ? EXIT.interrupted : EXIT.ok;
}

/** `--resume` with no value (last, or followed by another flag) means "OUT/last.ckpt": `--resume=`. */
function bareResume(argv: readonly string[]): string[] {
  return argv.map((a, i) => {
    const next = argv[i + 1];
    return a === '--resume' && (next === undefined || next.startsWith('-')) ? '--resume=' : a;
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
