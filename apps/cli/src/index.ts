/**
 * `@lfm/cli`: the `lfm` command (bin `lfm` → dist/bin.js). Importing this module runs nothing; call
 * `main(argv, io)` to run the CLI in-process (it resolves to the exit code and never throws).
 */
export { choiceFlag, type FlagSpecs, intFlag, numberFlag, parseFlags } from './args.js';
export { BENCHES, type BenchName } from './commands/bench.js';
export { MLP_BASELINE_STEPS } from './commands/eval.js';
export { CliError, EXIT, errorLine, exitCodeOf, UsageError } from './errors.js';
export { type CliIo, formatJson, type OutStream } from './io.js';
export { COMMAND_NAMES, HELP, main } from './main.js';
export {
  DEFAULT_MODEL_FILE,
  defaultModelCandidates,
  NO_DEFAULT_MODEL,
  RUNTIMES,
  type RuntimeName,
  resolveModelPath,
  TFJS_BACKENDS,
  type TfjsBackendName,
} from './model.js';
export { cliVersion } from './version.js';
