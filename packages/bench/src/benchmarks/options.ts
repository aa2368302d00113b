import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '@lfm/core';
import { LOO_ARMS, LOO_GROUPS } from './loo.js';
import { type ConvergenceSettings, STAGES, type Stage } from './types.js';

/** Minutes of training per trained model (each MLP, single-category LFM, arm) unless --budget-minutes. */
export const DEFAULT_BUDGET_MINUTES = 3;

/** How the mlp-converged stage trains each per-rig MLP unless its --converged-* flags say otherwise. */
export const DEFAULT_CONVERGENCE: ConvergenceSettings = Object.freeze({
  maxSteps: 20_000,
  maxMinutes: 30,
  valInterval: 500,
  valPatience: 6,
  valMinDelta: 0.001,
});

export const HELP = `Usage: node scripts/benchmarks.mjs [options]

Stages (each cached in docs/benchmarks/results/<stage>.json and not recomputed, unless it measured
another model file than the current --model):
  eval        the model (default: the shipped one) on every test split (synthetic protocol)
  baselines   the Procrustes mean-shape baseline of every rig
  mlp         a per-rig MLP lifter per dataset, trained for --budget-minutes each
  mlp-converged
              the same per-rig MLPs (datasets with a val split), trained until the validation
              plateaus: val nPA-MPJPE every --converged-val-interval steps, stop after
              --converged-patience validations without a gain > --converged-min-delta, within
              --converged-max-steps (the cosine schedule's length) and --converged-max-minutes per
              MLP over all its sessions; evaluated from best.ckpt (its best validation)
  single      an LFM per category trained on that category alone, vs the combined LFM, same budget
  ablations   TPE vs MLP encoding, hybrid vs global vs local attention, Procrustes vs plain MSE loss, the paper's vs the camera head
  robustness  the model vs extra occlusion (0–60 %) and 2D pixel noise
  unseen      rigs the training never saw; rig identity on/off (joint codes); train without a rig
  real        the real-camera protocol on h36m-cams
  skeletons   rendered 3D skeletons (prediction vs ground truth), one per category
  loo         leave-one-out generalisation: per group of categories, train without it (--loo-steps),
              lift it with no joint codes; strict and flip-best nPA against the flat guess

Options:
  --stages LIST          comma-separated stages (default: all)
  --force                recompute the selected stages even when cached
  --render-only          only rebuild docs/BENCHMARKS.md and the figures from the cached JSON
  --verify               recompute the selected stages and compare with the cached numbers (writes nothing)
  --tolerance X          relative tolerance of --verify (default 1e-6)
  --budget-minutes M     training budget per trained model (each MLP, single-category LFM, arm) (default ${DEFAULT_BUDGET_MINUTES})
  --converged-max-steps N     step cap of each mlp-converged MLP (default ${DEFAULT_CONVERGENCE.maxSteps})
  --converged-max-minutes M   time cap of each mlp-converged MLP, all sessions (default ${DEFAULT_CONVERGENCE.maxMinutes})
  --converged-val-interval N  validate every N steps (default ${DEFAULT_CONVERGENCE.valInterval})
  --converged-patience N      validations without improvement before stopping (default ${DEFAULT_CONVERGENCE.valPatience})
  --converged-min-delta X     what counts as an improvement of val nPA-MPJPE (default ${DEFAULT_CONVERGENCE.valMinDelta})
  --limit N              test samples per dataset, evenly spaced (default: all)
  --robustness-limit N   samples per dataset and level in the robustness sweeps (default: --limit)
  --data DIR             the corpus (default ../shared/data)
  --datasets LIST        only these datasets (default: all in --data)
  --model PATH           the evaluated model (default models/lfm.onnx)
  --base-config FILE     the combined training config the arms copy (default configs/lfm-combined.json)
  --holdout LIST         rigs for "train without a rig, test on it" (default cmu-body,torresani-face; none = skip)
  --runs DIR             training runs (default runs/bench)
  --retrain              delete and retrain the runs a stage needs instead of reusing them
  --threads N            onnxruntime threads for evaluation and training (default 1)
  --seed N               seed of the synthetic protocol (default 0)
  --loo-arms LIST        recipe arms of the loo stage (default: all: ${Object.keys(LOO_ARMS).join(', ')})
  --loo-groups LIST      held-out groups of the loo stage (default: all: ${Object.keys(LOO_GROUPS).join(', ')})
  --loo-steps N          training steps of every loo model (equal budget; default 2000)
  --loo-base-config FILE the training config the loo arms change (default configs/lfm-combined-camera.json)
  --loo-train-only       train the loo models (e.g. two processes, one per core) and write no results
  --loo-upper            also train the upper-bound model (every group included) and score against it
  --out DIR              where results/, the figures and the report go (default docs)
`;

/** The options of scripts/benchmarks.mjs, paths resolved against the repository root. */
export interface BenchmarkOptions {
  stages: readonly Stage[];
  force: boolean;
  renderOnly: boolean;
  verify: boolean;
  tolerance: number;
  budgetMinutes: number;
  /** How the mlp-converged stage trains (--converged-*). */
  converged: ConvergenceSettings;
  limit: number | undefined;
  robustnessLimit: number | undefined;
  dataDir: string;
  datasets: readonly string[] | undefined;
  model: string;
  baseConfig: string;
  holdout: readonly string[];
  runsDir: string;
  retrain: boolean;
  threads: number;
  seed: number;
  outDir: string;
  looArms: readonly string[];
  looGroups: readonly string[];
  looSteps: number;
  looBaseConfig: string;
  looTrainOnly: boolean;
  looUpper: boolean;
}

const FLAGS = {
  stages: { type: 'string' },
  force: { type: 'boolean' },
  'render-only': { type: 'boolean' },
  verify: { type: 'boolean' },
  tolerance: { type: 'string' },
  'budget-minutes': { type: 'string' },
  'converged-max-steps': { type: 'string' },
  'converged-max-minutes': { type: 'string' },
  'converged-val-interval': { type: 'string' },
  'converged-patience': { type: 'string' },
  'converged-min-delta': { type: 'string' },
  limit: { type: 'string' },
  'robustness-limit': { type: 'string' },
  data: { type: 'string' },
  datasets: { type: 'string' },
  model: { type: 'string' },
  'base-config': { type: 'string' },
  holdout: { type: 'string' },
  runs: { type: 'string' },
  retrain: { type: 'boolean' },
  threads: { type: 'string' },
  seed: { type: 'string' },
  'loo-arms': { type: 'string' },
  'loo-groups': { type: 'string' },
  'loo-steps': { type: 'string' },
  'loo-base-config': { type: 'string' },
  'loo-train-only': { type: 'boolean' },
  'loo-upper': { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A comma-separated list, trimmed, empty items dropped; undefined stays undefined. */
export function splitList(s: string | undefined): string[] | undefined {
  return s === undefined
    ? undefined
    : s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
}

/** The checks of a numeric flag: an integer or any number, and a minimum (default 0). */
export interface NumberFlagOptions {
  readonly int?: boolean;
  readonly min?: number;
}

/**
 * The value of the numeric flag `--name` given as `raw` (undefined = not given: `fallback`); InputError
 * naming the flag, what it must be and what was given otherwise. The benchmark scripts' flags share it.
 */
export function numberFlag<F extends number | undefined>(
  name: string,
  raw: string | undefined,
  fallback: F,
  { int = false, min = 0 }: NumberFlagOptions = {},
): number | F {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || (int && !Number.isInteger(v))) {
    throw new InputError(
      `--${name} must be ${int ? 'an integer' : 'a number'} ≥ ${min}, got ${JSON.stringify(raw)}`,
    );
  }
  return v;
}

/**
 * Parses the command line of scripts/benchmarks.mjs; `'help'` for --help / -h. Throws InputError with
 * the message the script prints (an unknown stage, arm or group, a number out of range, --render-only
 * with --verify); node:util's own TypeError for an unknown flag.
 */
export function parseBenchmarkOptions(argv: readonly string[], root: string): BenchmarkOptions | 'help' {
  const { values: flags } = parseArgs({ args: [...argv], options: FLAGS, strict: true });
  if (flags.help) return 'help';
  function num(name: keyof typeof FLAGS, fallback: number, options?: NumberFlagOptions): number;
  function num(
    name: keyof typeof FLAGS,
    fallback: undefined,
    options?: NumberFlagOptions,
  ): number | undefined;
  function num(name: keyof typeof FLAGS, fallback: number | undefined, options: NumberFlagOptions = {}) {
    return numberFlag(name, flags[name] as string | undefined, fallback, options);
  }
  const at = (p: string) => resolve(root, p);
  const opts: BenchmarkOptions = {
    stages: (splitList(flags.stages) ?? [...STAGES]) as Stage[],
    force: flags.force ?? false,
    renderOnly: flags['render-only'] ?? false,
    verify: flags.verify ?? false,
    tolerance: num('tolerance', 1e-6),
    budgetMinutes: num('budget-minutes', DEFAULT_BUDGET_MINUTES, { min: 0.01 }),
    converged: {
      maxSteps: num('converged-max-steps', DEFAULT_CONVERGENCE.maxSteps, { int: true, min: 1 }),
      maxMinutes: num('converged-max-minutes', DEFAULT_CONVERGENCE.maxMinutes, { min: 0.01 }),
      valInterval: num('converged-val-interval', DEFAULT_CONVERGENCE.valInterval, { int: true, min: 1 }),
      valPatience: num('converged-patience', DEFAULT_CONVERGENCE.valPatience, { int: true, min: 1 }),
      valMinDelta: num('converged-min-delta', DEFAULT_CONVERGENCE.valMinDelta),
    },
    limit: num('limit', undefined, { int: true, min: 1 }),
    robustnessLimit: num('robustness-limit', undefined, { int: true, min: 1 }),
    dataDir: at(flags.data ?? '../shared/data'),
    datasets: splitList(flags.datasets),
    model: at(flags.model ?? 'models/lfm.onnx'),
    baseConfig: at(flags['base-config'] ?? 'configs/lfm-combined.json'),
    holdout: flags.holdout === 'none' ? [] : (splitList(flags.holdout) ?? ['cmu-body', 'torresani-face']),
    runsDir: at(flags.runs ?? 'runs/bench'),
    retrain: flags.retrain ?? false,
    threads: num('threads', 1, { int: true, min: 1 }),
    seed: num('seed', 0, { int: true }),
    outDir: at(flags.out ?? 'docs'),
    looArms: splitList(flags['loo-arms']) ?? Object.keys(LOO_ARMS),
    looGroups: splitList(flags['loo-groups']) ?? Object.keys(LOO_GROUPS),
    looSteps: num('loo-steps', 2000, { int: true, min: 1 }),
    looBaseConfig: at(flags['loo-base-config'] ?? 'configs/lfm-combined-camera.json'),
    looTrainOnly: flags['loo-train-only'] ?? false,
    looUpper: flags['loo-upper'] ?? false,
  };
  for (const a of opts.looArms)
    if (!LOO_ARMS[a])
      throw new InputError(`unknown loo arm '${a}' (known: ${Object.keys(LOO_ARMS).join(', ')})`);
  for (const g of opts.looGroups)
    if (!LOO_GROUPS[g])
      throw new InputError(`unknown loo group '${g}' (known: ${Object.keys(LOO_GROUPS).join(', ')})`);
  for (const s of opts.stages)
    if (!(STAGES as readonly string[]).includes(s))
      throw new InputError(`unknown stage '${s}' (known: ${STAGES.join(', ')})`);
  if (opts.renderOnly && opts.verify) throw new InputError('--render-only and --verify exclude each other');
  return opts;
}
