import { wantsHelp } from './args.js';
import { EXIT, errorLine, exitCodeOf, UsageError } from './errors.js';
import type { CliIo } from './io.js';
import { cliVersion } from './version.js';

/**
 * `lfm`: the commands, each loaded on demand so that startup stays light (tfjs and onnxruntime are
 * imported only by the commands that run a model).
 */
interface Command {
  readonly summary: string;
  readonly load: () => Promise<{
    run: (argv: readonly string[], io: CliIo) => Promise<number>;
    help: string;
  }>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  lift: {
    summary: 'lift 2D keypoints and sequences (ours, COCO, MediaPipe, OpenPose, DeepLabCut) to 3D',
    load: async () => {
      const m = await import('./commands/lift.js');
      return { run: m.liftCommand, help: m.LIFT_HELP };
    },
  },
  eval: {
    summary: 'evaluate a model or a baseline on dataset folders (docs/PROTOCOL.md protocol)',
    load: async () => {
      const m = await import('./commands/eval.js');
      return { run: m.evalCommand, help: m.EVAL_HELP };
    },
  },
  train: {
    summary: 'train the lifter from a config file or flags',
    load: async () => {
      const m = await import('./commands/train.js');
      return { run: m.trainCommand, help: m.TRAIN_HELP };
    },
  },
  adapt: {
    summary: 'teach a pretrained model a new rig from its 2D keypoints alone (no 3D)',
    load: async () => {
      const m = await import('./commands/adapt.js');
      return { run: m.adaptCommand, help: m.ADAPT_HELP };
    },
  },
  export: {
    summary: 'export a checkpoint as an ONNX model',
    load: async () => {
      const m = await import('./commands/export.js');
      return { run: m.exportCommand, help: m.EXPORT_HELP };
    },
  },
  rigs: {
    summary: 'list the registered rigs, show one, or write one from a DeepLabCut config.yaml',
    load: async () => {
      const m = await import('./commands/rigs.js');
      return { run: m.rigsCommand, help: m.RIGS_HELP };
    },
  },
  bench: {
    summary: 'run a benchmark of the repository',
    load: async () => {
      const m = await import('./commands/bench.js');
      return { run: m.benchCommand, help: m.BENCH_HELP };
    },
  },
};

export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

export const HELP = `Usage: lfm <command> [options]

LFM lifts the 2D keypoints of any object category to 3D (3D-LFM).

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  .join('\n')}

Run lfm <command> --help for a command's options. Exit codes: 0 success, 1 error (bad input,
missing or malformed file, model failure), 2 usage error. LFM_DEBUG=1 prints stack traces.
`;

/**
 * Runs `lfm` with `argv` (the arguments after the program name) and resolves to the exit code. Never
 * throws: an error becomes ONE line `lfm: error: <message>` on stderr (plus the stack trace when
 * LFM_DEBUG=1) and exit 1 — or 2 for a usage error.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined) {
      throw new UsageError(`missing command (${COMMAND_NAMES.join(', ')}); see lfm --help`);
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      if (topic !== undefined && Object.hasOwn(COMMANDS, topic)) {
        io.stdout.write((await COMMANDS[topic]!.load()).help);
      } else io.stdout.write(HELP);
      return EXIT.ok;
    }
    if (name === '--version' || name === '-v') {
      io.stdout.write(`${cliVersion()}\n`);
      return EXIT.ok;
    }
    if (!Object.hasOwn(COMMANDS, name)) {
      throw new UsageError(
        name.startsWith('-')
          ? `unknown option '${name}' before the command; see lfm --help`
          : `unknown command '${name}' (commands: ${COMMAND_NAMES.join(', ')}); see lfm --help`,
      );
    }
    const command = await COMMANDS[name]!.load();
    if (wantsHelp(rest)) {
      io.stdout.write(command.help);
      return EXIT.ok;
    }
    return await command.run(rest, io);
  } catch (err) {
    io.stderr.write(`lfm: error: ${errorLine(err)}\n`);
    if (io.env.LFM_DEBUG === '1' && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    return exitCodeOf(err);
  }
}
