import { existsSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import type { Dataset } from '@lfm/datasets';
import type { AdaptSamples } from '@lfm/trainer';
import { choiceFlag, type FlagSpecs, intFlag, numberFlag, parseFlags } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { type CliIo, note, resolvePath, writeFileAtomic } from '../io.js';
import { defaultModelCandidates, readModelFile } from '../model.js';
import { loadRigs } from '../rigs.js';

export const ADAPT_FLAGS = {
  data: { type: 'string', short: 'd', multiple: true },
  input: { type: 'string', short: 'i', multiple: true },
  rig: { type: 'string' },
  'rig-plugin': { type: 'string', multiple: true },
  out: { type: 'string', short: 'o' },
  model: { type: 'string', short: 'm' },
  protocol: { type: 'string' },
  split: { type: 'string' },
  frames: { type: 'string' },
  adapt: { type: 'string' },
  steps: { type: 'string' },
  'max-minutes': { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
  'min-visibility': { type: 'string' },
  'min-likelihood': { type: 'string' },
  weight: { type: 'string', multiple: true },
  'nrsfm-rank': { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies FlagSpecs;

/** Steps of `lfm adapt` without --steps. */
export const ADAPT_DEFAULT_STEPS = 300;

export const ADAPT_HELP = `Usage: lfm adapt --data DIR [--data DIR ...] --out FILE.onnx [options]
       lfm adapt --input FILE --rig ID --out FILE.onnx [options]

Teaches a pretrained lifter a new rig from its 2D keypoints alone (no 3D labels): the rig's joint
codes (and, with --adapt last-layers, the network's last layers) are learned from the 2D by
reprojection through the fitted camera, multi-view consistency between the cameras of a frame, a
low-rank shape prior and a regulariser toward the base model — and, for single-view data, a pull
toward the rig's NRSfM reconstruction (non-rigid structure from motion over all its frames, which
needs the frames to show the rig from varied viewpoints). The output model knows the rig by
the dataset's name (or --rig): \`lfm eval --data DIR --model FILE.onnx\` and
\`lfm lift --model FILE.onnx --rig ID\` use the adapted codes. Only 2D is read: the real cameras'
views (--protocol real) or the evaluation protocol's projections of the split's frames
(synthetic); the 3D never reaches the objective. Progress on stderr.

Options:
  -d, --data DIR            dataset folder (meta.json + points.f32 [+ views.f32]) or a folder of
                            them (repeatable)
  -i, --input FILE|DIR      2D keypoints of the rig --rig, in any format lfm lift reads (our JSON,
                            COCO results, MediaPipe, OpenPose, a DeepLabCut CSV); every frame of
                            every track is a sample (one camera: no multi-view term) (repeatable)
      --rig ID              the rig of --input, or the id to store --data's codes under (its
                            joints must match the data); built-in or from --rig-plugin
      --rig-plugin PATH     load rigs from a plugin module (repeatable)
  -o, --out FILE.onnx       the adapted model to write (required; written atomically, only on
                            success)
  -m, --model BASE          the model to adapt: a lifter .ckpt or .onnx (default: the shipped
                            models/lfm.ckpt)
      --protocol NAME       synthetic (default) or real (views.f32: every camera of a frame)
      --split NAME          train (default), val or test (test = transductive: adapt on the
                            frames you evaluate)
      --frames N            at most N frames per dataset, evenly spaced
      --adapt WHAT          codes (the rig's joint codes only; the default for multi-camera data)
                            or last-layers (also the last graph-transformer layer, final norm and
                            decoder; the default for single-view data — the written model then
                            lifts other rigs differently from its base)
      --steps N             optimizer steps (default ${ADAPT_DEFAULT_STEPS})
      --max-minutes M       wall-clock budget; whichever of --steps and this comes first stops
      --batch B             samples per step (default 64)
      --lr LR               learning rate of the codes (default 0.03 from zero codes, 0.01 from
                            codes the model has: a rig it was trained with or adapted before)
      --seed N              seed of the batches and of the synthetic protocol's views (default 0)
      --threads N           onnxruntime intra-op threads
      --min-visibility V    a COCO/MediaPipe point is visible when its visibility > V (default 0)
      --min-likelihood P    a DeepLabCut point is present when its likelihood ≥ P (default 0.6)
      --weight TERM=W       a term's weight (repeatable): reprojection (default 1), multiView (1),
                            lowRank (0.1; 0 for single-view data), canonical (0: off; C3DPO's
                            canonicalisation, 2× the cost of a step), base (0.1; 0 for single-view
                            data), boneLength (0: off; each bone keeps its relative length across
                            frames — every distance for a rig without bones) or nrsfm (5 for
                            single-view data, else 0: toward the rig's low-rank NRSfM
                            reconstruction from all its 2D, its mirror the one nearer the base
                            model's lifts)
      --nrsfm-rank K        basis size of that NRSfM reconstruction (default 2)
      --json                print one JSON object: { out, rigs, steps, seconds, stoppedBy,
                            initial, final } (losses)
`;

export async function adaptCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags } = parseFlags('adapt', argv, ADAPT_FLAGS);
  const dataDirs = (flags.data ?? []).map((d) => resolvePath(io, d));
  const inputs = (flags.input ?? []).map((f) => resolvePath(io, f));
  if (dataDirs.length === 0 && inputs.length === 0) {
    throw new UsageError('lfm adapt: --data DIR or --input FILE is required (see lfm adapt --help)');
  }
  if (flags.out === undefined)
    throw new UsageError('lfm adapt: --out FILE.onnx is required (see lfm adapt --help)');
  if (extname(flags.out).toLowerCase() !== '.onnx') {
    throw new UsageError(`lfm adapt: --out must be an .onnx file, got '${flags.out}'`);
  }
  const out = resolvePath(io, flags.out);
  if (!existsSync(dirname(out)))
    throw new CliError(`${dirname(out)}: no such folder for --out`, 'E_NOT_FOUND');
  if (inputs.length > 0 && flags.rig === undefined) {
    throw new UsageError('lfm adapt: --input needs --rig ID (the rig the keypoints follow)');
  }
  const protocol = choiceFlag('protocol', flags.protocol, ['synthetic', 'real'] as const) ?? 'synthetic';
  const split = choiceFlag('split', flags.split, ['train', 'val', 'test'] as const) ?? 'train';
  const mode = choiceFlag('adapt', flags.adapt, ['codes', 'last-layers'] as const);
  const steps = intFlag('steps', flags.steps, 1);
  const maxMinutes = numberFlag('max-minutes', flags['max-minutes'], { positive: true });
  const batchSize = intFlag('batch', flags.batch, 2);
  const frames = intFlag('frames', flags.frames, 1);
  const seed = intFlag('seed', flags.seed, 0);
  const threads = intFlag('threads', flags.threads, 1);
  const lr = numberFlag('lr', flags.lr, { positive: true });
  const nrsfmRank = intFlag('nrsfm-rank', flags['nrsfm-rank'], 1);
  const minVisibility = numberFlag('min-visibility', flags['min-visibility']);
  const minLikelihood = numberFlag('min-likelihood', flags['min-likelihood'], { min: 0, max: 1 });
  const weights = parseWeights(flags.weight ?? []);

  // The base model first, so a missing one fails before the data loads.
  const modelPath = flags.model === undefined ? defaultBaseModel() : resolvePath(io, flags.model);
  const file = await readModelFile(modelPath);
  const trainer = await import('@lfm/trainer');
  let base: ReturnType<typeof trainer.loadAdaptBase>;
  try {
    base = trainer.loadAdaptBase(file.bytes, file.path);
  } catch (err) {
    throw named(file.path, err);
  }

  await loadRigs(io, flags['rig-plugin'] ?? []);
  let rig:
    | {
        id: string;
        joints: readonly string[];
        bones: readonly (readonly [number, number])[];
        mirrorIndex: readonly number[];
        category: string;
      }
    | undefined;
  if (flags.rig !== undefined) {
    const { resolveRig } = await import('@lfm/runtime');
    const r = resolveRig(flags.rig); // an unknown id fails here, naming close ones
    rig = {
      id: r.id,
      joints: r.joints,
      bones: r.boneIndices,
      mirrorIndex: r.mirrorIndex,
      category: r.category,
    };
  }

  let datasets: Dataset[] = [];
  if (dataDirs.length > 0) {
    datasets = await trainer.loadDatasets(dataDirs, { views: protocol === 'real' });
    if (datasets.length === 0) {
      throw new CliError(`no dataset folder (meta.json) in ${dataDirs.join(', ')}`, 'E_NO_DATA');
    }
  }
  const samples: AdaptSamples[] = [];
  for (const ds of datasets) {
    if (rig && rig.joints.length !== ds.numJoints) {
      throw new CliError(
        `${ds.dir ?? ds.name}: the data has ${ds.numJoints} joints, rig ${rig.id} has ${rig.joints.length}; the rig must match the data`,
        'E_INPUT',
      );
    }
    const s = trainer.adaptSamplesFromDataset(ds, {
      protocol,
      split,
      ...(seed !== undefined && { seed }),
      ...(frames !== undefined && { limit: frames }),
      ...(rig && { rigId: rig.id, category: rig.category }),
    });
    if (s.dropped > 0)
      note(io, `${ds.name}: ${s.dropped} sample(s) with fewer than 3 visible points skipped`);
    samples.push(s);
  }
  if (inputs.length > 0) {
    const { readKeypointSequence } = await import('@lfm/datasets');
    for (const path of inputs) {
      const seq = await readKeypointSequence(path, {
        ...(minVisibility !== undefined && { minVisibility }),
        ...(minLikelihood !== undefined && { minLikelihood }),
      });
      if (seq.normalized) {
        note(
          io,
          `${path}: MediaPipe landmarks normalised to the image ([0, 1]); a non-square image distorts them`,
        );
      }
      const s = trainer.adaptSamplesFromSequence(seq, rig!, path);
      if (s.dropped > 0) note(io, `${path}: ${s.dropped} frame(s) with fewer than 3 visible points skipped`);
      samples.push(s);
    }
  }

  const result = await trainer.adapt({
    base,
    samples,
    ...(mode !== undefined && { mode }),
    steps: steps ?? ADAPT_DEFAULT_STEPS,
    ...(maxMinutes !== undefined && { maxMinutes }),
    ...(batchSize !== undefined && { batchSize }),
    ...(lr !== undefined && { lr }),
    ...(nrsfmRank !== undefined && { nrsfmRank }),
    ...(seed !== undefined && { seed }),
    ...(threads !== undefined && { threads }),
    weights,
    output: io.stderr,
    progress: 'auto', // a bar on a terminal, else a line every 10 steps
    ...(io.signal && { signal: io.signal }),
  });
  const bytes = trainer.exportAdaptedLifter(result);
  await writeFileAtomic(out, bytes);
  note(io, `wrote ${flags.out} (rigs: ${result.rigs.map((r) => r.id).join(', ')})`);
  if (flags.json) {
    const summary = {
      out: flags.out,
      model: flags.model ?? modelPath,
      mode: result.mode,
      rigs: result.rigs,
      steps: result.steps,
      seconds: Math.round(result.seconds * 10) / 10,
      stoppedBy: result.stoppedBy,
      initial: result.initial,
      final: result.final,
    };
    io.stdout.write(`${JSON.stringify(summary)}\n`);
  }
  return 0;
}

/** The shipped checkpoint (models/lfm.ckpt, which has the weights lfm.onnx was exported from), or the shipped .onnx. */
function defaultBaseModel(): string {
  for (const onnx of defaultModelCandidates()) {
    const ckpt = onnx.replace(/\.onnx$/, '.ckpt');
    if (existsSync(ckpt)) return ckpt;
    if (existsSync(onnx)) return onnx;
  }
  throw new CliError('no default model shipped; pass --model BASE (.ckpt or .onnx)', 'E_NO_MODEL');
}

// The trainer's ADAPT_TERMS, listed here so that parsing flags does not load @lfm/trainer (imported lazily).
const TERMS = ['reprojection', 'multiView', 'lowRank', 'canonical', 'base', 'boneLength', 'nrsfm'] as const;

/** `--weight TERM=W` flags as a partial weight record. */
function parseWeights(values: readonly string[]): Partial<Record<(typeof TERMS)[number], number>> {
  const out: Partial<Record<(typeof TERMS)[number], number>> = {};
  for (const v of values) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(v.trim());
    const term = TERMS.find((t) => t === m?.[1]);
    const w = m ? Number(m[2]) : Number.NaN;
    if (!term || !(Number.isFinite(w) && w >= 0)) {
      throw new UsageError(
        `--weight must be TERM=W with TERM one of ${TERMS.join(', ')} and W ≥ 0, got '${v}'`,
      );
    }
    out[term] = w;
  }
  return out;
}

/** A format error from bytes (no file name) named with the file. */
function named(path: string, err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || typeof code !== 'string' || err.message.includes(path)) return err;
  return new CliError(`${path}: ${err.message}`, code);
}
