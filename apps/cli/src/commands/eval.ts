import type { Dataset } from '@lfm/datasets';
import type { EvalReport, PredictFn } from '@lfm/trainer';
import { choiceFlag, type FlagSpecs, intFlag, numberFlag, parseFlags, required } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { type CliIo, note, resolvePath, table } from '../io.js';
import { loadTfjs, openLifter, RUNTIMES, readModelFile, resolveModelPath, TFJS_BACKENDS } from '../model.js';
import { loadRigs } from '../rigs.js';

export const EVAL_FLAGS = {
  data: { type: 'string', short: 'd', multiple: true },
  model: { type: 'string', short: 'm' },
  baseline: { type: 'string' },
  protocol: { type: 'string' },
  seed: { type: 'string' },
  limit: { type: 'string' },
  split: { type: 'string' },
  identity: { type: 'string' },
  pairs: { type: 'string' },
  json: { type: 'boolean' },
  runtime: { type: 'string' },
  backend: { type: 'string' },
  steps: { type: 'string' },
  batch: { type: 'string' },
  'max-minutes': { type: 'string' },
  'rig-plugin': { type: 'string', multiple: true },
} as const satisfies FlagSpecs;

/** Steps of each per-rig MLP baseline when `--baseline mlp` gets no `--steps`. */
export const MLP_BASELINE_STEPS = 1000;

export const EVAL_HELP = `Usage: lfm eval --data DIR [--data DIR ...] [--model PATH | --baseline mean-shape|mlp] [options]

Evaluates a model under the protocol of docs/PROTOCOL.md. DIR is a dataset folder (meta.json + points.f32) or a
folder of them. Per dataset: mpjpe (camera frame after PnP, centring and scale only), paMpjpe
(after similarity Procrustes) and nPaMpjpe (paMpjpe / ground-truth RMS radius), and their means.

Options:
  -d, --data DIR            dataset folder(s) (required, repeatable)
  -m, --model PATH          .onnx model or .ckpt checkpoint (lifter or MLP baseline;
                            default: the shipped model)
      --baseline NAME       evaluate a baseline fitted on the same data's train split instead:
                            mean-shape (Procrustes mean shape of each rig) or mlp (a per-rig MLP
                            lifter trained for --steps, default ${MLP_BASELINE_STEPS})
      --protocol NAME       synthetic (default; seeded random views, pinhole f = 1000 px) or real
      --seed N              seed of the synthetic protocol (default 0)
      --limit N             at most N samples per dataset, evenly spaced
      --split NAME          test (default) or val; a dataset without it is not evaluated (an
                            error naming the splits the data has when none has it)
      --identity NAME       joint identity a model with joint codes gets: codes (default: its
                            codes for rigs it knows, zeros otherwise), sides (side codes —
                            left/right/centre from the rig's mirror pairs — instead of zeros), named
                            (codes borrowed by joint name from a known rig of the category, as
                            lfm lift does: l_knee gets the knee code of a trained rig), none (zeros
                            everywhere: every rig treated as unknown)
      --pairs NAME          mirror pairs a model with the mirror-partner input gets: rig (default:
                            each dataset's declared left/right pairs), infer (as rig, but a dataset
                            that declares none gets those found from its 2D alone: NRSfM of the
                            protocol's views of all its frames, every split, then their bilateral
                            symmetry), none (no pairs)
      --json                print exactly one JSON object:
                            { model, protocol, seed, datasets: [...], mean: {...} }
      --runtime onnx|tfjs   how to run a lifter .ckpt (default onnx)
      --backend NAME        tfjs backend (tensorflow, wasm, cpu) for --runtime tfjs and baselines
      --steps N, --batch B, --max-minutes M   training budget of --baseline mlp
      --rig-plugin PATH     load rigs from a plugin module (repeatable; checked and registered
                            before the data loads)
`;

export async function evalCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags } = parseFlags('eval', argv, EVAL_FLAGS);
  const dirs = required('eval', 'data', flags.data, 'DIR').map((d) => resolvePath(io, d));
  const baseline = choiceFlag('baseline', flags.baseline, ['mean-shape', 'mlp'] as const);
  if (baseline !== undefined && flags.model !== undefined) {
    throw new UsageError('--model and --baseline exclude each other: evaluate one model per run');
  }
  const protocol = choiceFlag('protocol', flags.protocol, ['synthetic', 'real'] as const) ?? 'synthetic';
  const seed = intFlag('seed', flags.seed, 0) ?? 0;
  const limit = intFlag('limit', flags.limit, 1);
  const split = choiceFlag('split', flags.split, ['test', 'val'] as const) ?? 'test';
  const identity =
    choiceFlag('identity', flags.identity, ['codes', 'sides', 'named', 'none'] as const) ?? 'codes';
  const pairsFlag = choiceFlag('pairs', flags.pairs, ['rig', 'infer', 'none'] as const) ?? 'rig';
  const pairs = pairsFlag === 'infer' ? ('infer' as const) : pairsFlag === 'rig';
  const runtime = choiceFlag('runtime', flags.runtime, RUNTIMES) ?? 'onnx';
  const backend = choiceFlag('backend', flags.backend, TFJS_BACKENDS);
  const steps = intFlag('steps', flags.steps, 1);
  const batch = intFlag('batch', flags.batch, 1);
  const maxMinutes = numberFlag('max-minutes', flags['max-minutes'], { min: 0 });
  if (baseline !== 'mlp' && (steps ?? batch ?? maxMinutes) !== undefined) {
    throw new UsageError('--steps, --batch and --max-minutes set the training of --baseline mlp');
  }
  // Resolve the model before loading data, so a missing model fails fast.
  const modelPath = baseline === undefined ? resolveModelPath(io, flags.model) : undefined;

  await loadRigs(io, flags['rig-plugin'] ?? []);

  const trainer = await import('@lfm/trainer');
  let datasets: Dataset[] = await trainer.loadDatasets(dirs, { views: protocol === 'real' });
  datasets = withSplit(io, datasets, split);
  if (protocol === 'real') {
    datasets = keepIf(io, datasets, (d) => d.views !== undefined, 'no real camera views (views.f32)');
  }
  let predict: PredictFn;
  let jointCodes: { k: number; rigs: readonly string[] } | null = null;
  let knn: number | undefined;
  let release = async () => {};
  let modelName: string;

  if (baseline === 'mean-shape') {
    modelName = 'baseline:mean-shape';
    datasets = keepIf(
      io,
      datasets,
      (d) => d.sequences.some((s) => s.split === 'train'),
      'no train split to fit on',
    );
    predict = trainer.meanShapePredictor(datasets.map((d) => trainer.fitMeanShape(d)));
  } else if (baseline === 'mlp') {
    modelName = 'baseline:mlp';
    datasets = keepIf(
      io,
      datasets,
      (d) => d.sequences.some((s) => s.split === 'train'),
      'no train split to fit on',
    );
    const tf = await loadTfjs(backend);
    const trained = await trainer.trainMlpBaselines({
      tf,
      datasets,
      config: {
        steps: steps ?? MLP_BASELINE_STEPS,
        ...(batch !== undefined && { batchSize: batch }),
        ...(maxMinutes !== undefined && { maxMinutes }),
        seed,
        valInterval: 0,
        progress: io.env.CI ? 'none' : 'auto',
      },
      output: io.stderr,
      ...(io.signal && { signal: io.signal }),
    });
    const predictors = new Map(
      [...trained].map(([name, r]) => [name, trainer.createTfjsPredictor(tf, r.model, r.params)]),
    );
    predict = trainer.routeByDataset(predictors);
    release = async () => {
      for (const p of predictors.values()) p.dispose();
    };
  } else {
    const file = await readModelFile(modelPath!);
    modelName = flags.model ?? modelPath!;
    const mlp = file.kind === 'ckpt' ? trainer.decodeModelCheckpoint(file.bytes, file.path) : undefined;
    if (mlp?.config.kind === 'mlp') {
      // A per-rig MLP baseline checkpoint: fixed joints, runs on tfjs only.
      const J = mlp.config.numJoints;
      datasets = keepIf(io, datasets, (d) => d.numJoints === J, `not ${J} joints (the MLP's rig)`);
      const tf = await loadTfjs(backend);
      const p = trainer.createTfjsPredictor(tf, trainer.createModel(mlp.config), { ...mlp.params });
      predict = p;
      release = async () => p.dispose();
    } else {
      const lifter = await openLifter(io, { model: modelPath, runtime, backend });
      const max = lifter.info.maxPoints;
      if (max !== undefined) {
        datasets = keepIf(
          io,
          datasets,
          (d) => d.numJoints <= max,
          `more joints than the model's maximum ${max}`,
        );
      }
      jointCodes = lifter.info.jointCodes;
      knn = lifter.info.knnK || undefined; // the model's graph for datasets without bones
      predict = trainer.forwardPredictor(lifter);
      release = () => lifter.release();
    }
  }

  let report: EvalReport;
  try {
    report = await trainer.evaluate({
      predict,
      datasets,
      protocol,
      seed,
      split,
      model: modelName,
      ...(limit !== undefined && { limit }),
      ...(jointCodes && { jointCodes }),
      ...(knn !== undefined && { knn }),
      identity,
      pairs,
    });
  } finally {
    await release();
  }
  io.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : formatReport(report));
  return 0;
}

/** The datasets passing `keep`; a note on stderr names the others. CliError when none passes. */
function keepIf(io: CliIo, datasets: Dataset[], keep: (d: Dataset) => boolean, why: string): Dataset[] {
  const out = datasets.filter(keep);
  const skipped = datasets.filter((d) => !out.includes(d)).map((d) => d.name);
  if (out.length === 0) throw new CliError(`nothing to evaluate: ${why}: ${skipped.join(', ')}`, 'E_NO_DATA');
  if (skipped.length > 0) note(io, `not evaluated (${why}): ${skipped.join(', ')}`);
  return out;
}

/**
 * The datasets that have the evaluated split; a note on stderr names the others. CliError naming the
 * splits each dataset does have when none has it (no empty report of 0 samples).
 */
function withSplit(io: CliIo, datasets: Dataset[], split: string): Dataset[] {
  const splitsOf = (d: Dataset) =>
    ['train', 'val', 'test'].filter((s) => d.sequences.some((q) => q.split === s && q.count > 0));
  const out = datasets.filter((d) => splitsOf(d).includes(split));
  const skipped = datasets
    .filter((d) => !out.includes(d))
    .map((d) => {
      const has = splitsOf(d);
      return `${d.name} (${has.length > 0 ? `splits: ${has.join(', ')}` : 'no frames'})`;
    });
  if (out.length === 0) {
    throw new CliError(`nothing to evaluate: no ${split} split: ${skipped.join(', ')}`, 'E_NO_DATA');
  }
  if (skipped.length > 0) note(io, `not evaluated (no ${split} split): ${skipped.join(', ')}`);
  return out;
}

function formatReport(r: EvalReport): string {
  const f = (x: number | null, digits: number) => (x === null ? '—' : x.toFixed(digits));
  const rows = r.datasets.map((d) => [
    d.name,
    d.category,
    String(d.samples),
    f(d.mpjpe, 3),
    f(d.paMpjpe, 3),
    f(d.nPaMpjpe, 4),
    f(d.nPaMpjpeFlipBest, 4),
    f(d.flatNPaMpjpe, 4),
  ]);
  rows.push([
    'mean',
    '',
    String(r.mean.samples),
    f(r.mean.mpjpe, 3),
    f(r.mean.paMpjpe, 3),
    f(r.mean.nPaMpjpe, 4),
    f(r.mean.nPaMpjpeFlipBest, 4),
    f(r.mean.flatNPaMpjpe, 4),
  ]);
  return (
    `model ${r.model}, protocol ${r.protocol}, seed ${r.seed}\n` +
    table(
      [
        'dataset',
        'category',
        'samples',
        'mpjpe',
        'paMpjpe',
        'nPaMpjpe',
        'nPaMpjpe flip-best',
        'flat guess nPa',
      ],
      rows,
    ) +
    inferredNote(r)
  );
}

/** With --pairs infer: the pairs found per dataset that declares none ('' when there is none). */
function inferredNote(r: EvalReport): string {
  const found = r.datasets.filter((d) => d.inferredPairs !== undefined);
  if (found.length === 0) return '';
  return `mirror pairs found from the 2D: ${found.map((d) => `${d.name} ${d.inferredPairs}`).join(', ')}\n`;
}
