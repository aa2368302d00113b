// Regenerates docs/BENCHMARKS.md and its figures (docs/benchmarks/*.svg) from the real corpus in
// ../shared/data: the shipped model (models/lfm.onnx) against the mean-shape and per-rig MLP baselines,
// single-category LFMs, ablations at equal budget, robustness to occlusion and 2D noise, unseen rigs and
// rig transfer, the real-camera protocol, and rendered skeletons.
//
// Every stage caches its numbers in docs/benchmarks/results/<stage>.json (small, committed), so a long
// report can be produced across sessions and re-rendered without re-running (--render-only). Trained
// models go to runs/bench/<arm>/ (gitignored) and resume when the script is run again.
//
// Needs the built packages (pnpm build). Run from the repository root:
//   node scripts/benchmarks.mjs                         # every stage, default budgets
//   node scripts/benchmarks.mjs --stages eval,robustness --limit 200
//   node scripts/benchmarks.mjs --render-only           # rebuild the report from the cached JSON
//   node scripts/benchmarks.mjs --verify --stages eval  # recompute and compare with the cached numbers
// --help lists every option.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (pkg, file = 'index.js') => join(root, 'packages', pkg, 'dist', file);
for (const f of [
  dist('trainer'),
  dist('runtime', 'node.js'),
  dist('datasets'),
  dist('core'),
  dist('procrustes'),
]) {
  if (!existsSync(f)) {
    console.error(`benchmarks: ${relative(root, f)} is missing; run \`pnpm build\` first`);
    process.exit(1);
  }
}
const T = await import(dist('trainer'));
const { loadLifter } = await import(dist('runtime', 'node.js'));
const D = await import(dist('datasets'));
const C = await import(dist('core'));
const P = await import(dist('procrustes'));

// ---------------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------------

const DEFAULT_BUDGET_MINUTES = 3;
const STAGES = [
  'eval',
  'baselines',
  'mlp',
  'single',
  'ablations',
  'robustness',
  'unseen',
  'real',
  'skeletons',
  'loo',
];
// Leave-one-out generalisation: each group is held out of training and lifted with no joint codes.
const LOO_GROUPS = {
  quadruped: ['dog-body'],
  hand: ['realworld-hand'],
  faces: ['aflw-face', 'torresani-face', 'frgc-face'],
  'human-new-rig': ['cmu-body'],
  'human-markers': ['akhter-markers', 'akhter-dance'],
  rigid: ['pascal3d-aeroplane', 'pascal3d-bicycle', 'pascal3d-chair'],
  shark: ['torresani-shark'],
};
// The shape-space augmentation of the loo arms that use it (@lfm/datasets AugmentOptions).
const SHAPE_AUGMENT = {
  boneScale: { probability: 0.5, maxLog: 0.2 },
  anisotropic: { probability: 0.3, maxLog: 0.15 },
  rearticulate: { probability: 0.3, maxAngle: 30 },
  mirror: { probability: 0.5 },
  knnGraph: { probability: 0.2 },
  occlusion: { probability: 0.5, maxFraction: 0.5 },
};
// Recipe arms of the leave-one-out benchmark: overrides of the base training config (--loo-base-config).
const LOO_ARMS = {
  base: { change: 'none (the base config)', overrides: {} },
  mirror: {
    change: 'jointCodeDropout 0.5 + mirror-invariant loss for code-less samples',
    overrides: { jointCodeDropout: 0.5, mirrorLoss: true },
  },
  'mirror-sides': {
    change: 'as mirror, + side codes (left/right/centre) for half the code-dropped samples',
    overrides: { jointCodeDropout: 0.5, mirrorLoss: true, sideCodes: 0.5 },
  },
  aug: {
    change:
      'as mirror, + shape-space augmentation (bone scaling, anisotropic scaling, re-articulation, L/R mirroring, kNN graph for 20 %, occlusion up to 50 %)',
    overrides: { jointCodeDropout: 0.5, mirrorLoss: true, augment: SHAPE_AUGMENT },
  },
  'aug-procedural': {
    change:
      'as aug, + procedural categories (40 random articulated creatures, 20 rigid objects on primitives)',
    overrides: {
      jointCodeDropout: 0.5,
      mirrorLoss: true,
      augment: SHAPE_AUGMENT,
      procedural: { creatures: 40, rigid: 20 },
    },
  },
  'aug-procedural-structural': {
    change: 'as aug-procedural, + the random-walk structural encoding (K = 8) of the graph',
    overrides: {
      jointCodeDropout: 0.5,
      mirrorLoss: true,
      augment: SHAPE_AUGMENT,
      procedural: { creatures: 40, rigid: 20 },
      model: { structural: 8 },
    },
  },
  'aug-procedural-pairs': {
    change:
      'as aug-procedural, + the mirror-partner input (each joint sees the 2D offset to its left/right partner; dropped for 20 % of samples)',
    overrides: {
      jointCodeDropout: 0.5,
      mirrorLoss: true,
      augment: SHAPE_AUGMENT,
      procedural: { creatures: 40, rigid: 20 },
      pairsDropout: 0.2,
      model: { mirrorPairs: true },
    },
  },
  'aug-procedural-pairs-structural': {
    change: 'as aug-procedural-pairs, + the random-walk structural encoding (K = 8)',
    overrides: {
      jointCodeDropout: 0.5,
      mirrorLoss: true,
      augment: SHAPE_AUGMENT,
      procedural: { creatures: 40, rigid: 20 },
      pairsDropout: 0.2,
      model: { mirrorPairs: true, structural: 8 },
    },
  },
  'no-codes-structural': {
    change: 'no joint codes + mirror-invariant loss + the random-walk structural encoding (K = 8)',
    overrides: { jointCodeDropout: 0, mirrorLoss: true, model: { jointCodes: 0, structural: 8 } },
  },
  'no-codes-mirror': {
    change: 'no joint codes at all + mirror-invariant loss',
    overrides: { jointCodeDropout: 0, mirrorLoss: true, model: { jointCodes: 0 } },
  },
};
const HELP = `Usage: node scripts/benchmarks.mjs [options]

Stages (each cached in docs/benchmarks/results/<stage>.json and not recomputed, unless it measured
another model file than the current --model):
  eval        the model (default: the shipped one) on every test split (synthetic protocol)
  baselines   the Procrustes mean-shape baseline of every rig
  mlp         a per-rig MLP lifter per dataset, trained for --budget-minutes each
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

const { values: flags } = parseArgs({
  options: {
    stages: { type: 'string' },
    force: { type: 'boolean' },
    'render-only': { type: 'boolean' },
    verify: { type: 'boolean' },
    tolerance: { type: 'string' },
    'budget-minutes': { type: 'string' },
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
  },
  strict: true,
});
if (flags.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

function fail(message) {
  console.error(`benchmarks: ${message}`);
  process.exit(2);
}
function num(name, fallback, { int = false, min = 0 } = {}) {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || (int && !Number.isInteger(v))) {
    fail(`--${name} must be ${int ? 'an integer' : 'a number'} ≥ ${min}, got ${JSON.stringify(raw)}`);
  }
  return v;
}
const list = (s) =>
  s === undefined
    ? undefined
    : s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);

const opts = {
  stages: list(flags.stages) ?? STAGES,
  force: flags.force ?? false,
  renderOnly: flags['render-only'] ?? false,
  verify: flags.verify ?? false,
  tolerance: num('tolerance', 1e-6),
  budgetMinutes: num('budget-minutes', DEFAULT_BUDGET_MINUTES, { min: 0.01 }),
  limit: num('limit', undefined, { int: true, min: 1 }),
  robustnessLimit: num('robustness-limit', undefined, { int: true, min: 1 }),
  dataDir: resolve(root, flags.data ?? '../shared/data'),
  datasets: list(flags.datasets),
  model: resolve(root, flags.model ?? 'models/lfm.onnx'),
  baseConfig: resolve(root, flags['base-config'] ?? 'configs/lfm-combined.json'),
  holdout: flags.holdout === 'none' ? [] : (list(flags.holdout) ?? ['cmu-body', 'torresani-face']),
  runsDir: resolve(root, flags.runs ?? 'runs/bench'),
  retrain: flags.retrain ?? false,
  threads: num('threads', 1, { int: true, min: 1 }),
  seed: num('seed', 0, { int: true }),
  outDir: resolve(root, flags.out ?? 'docs'),
  looArms: list(flags['loo-arms']) ?? Object.keys(LOO_ARMS),
  looGroups: list(flags['loo-groups']) ?? Object.keys(LOO_GROUPS),
  looSteps: num('loo-steps', 2000, { int: true, min: 1 }),
  looBaseConfig: resolve(root, flags['loo-base-config'] ?? 'configs/lfm-combined-camera.json'),
  looTrainOnly: flags['loo-train-only'] ?? false,
  looUpper: flags['loo-upper'] ?? false,
};
for (const a of opts.looArms)
  if (!LOO_ARMS[a]) fail(`unknown loo arm '${a}' (known: ${Object.keys(LOO_ARMS).join(', ')})`);
for (const g of opts.looGroups)
  if (!LOO_GROUPS[g]) fail(`unknown loo group '${g}' (known: ${Object.keys(LOO_GROUPS).join(', ')})`);
for (const s of opts.stages)
  if (!STAGES.includes(s)) fail(`unknown stage '${s}' (known: ${STAGES.join(', ')})`);
if (opts.renderOnly && opts.verify) fail('--render-only and --verify exclude each other');

const resultsDir = join(opts.outDir, 'benchmarks', 'results');
const figDir = join(opts.outDir, 'benchmarks');
const reportFile = join(opts.outDir, 'BENCHMARKS.md');
const rel = (p) => relative(root, p) || '.';
const log = (s) => process.stderr.write(`${s}\n`);

// ---------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const readJsonIf = (file) => (existsSync(file) ? readJson(file) : undefined);
function writeJson(file, value) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 1)}\n`);
}
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const hashOf = (value) => sha256(JSON.stringify(value)).slice(0, 16);
const minutesSince = (t0) => (Date.now() - t0) / 60_000;
const mean = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
};
/** Rigid-object categories (one PASCAL3D+ class each, a handful of CAD shapes) form one group. */
const groupOf = (category) => (category.startsWith('rigid-') ? 'rigid' : category);

function machine() {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

// ---------------------------------------------------------------------------------------------------
// Data, the shipped model, trained arms
// ---------------------------------------------------------------------------------------------------

let datasetsPromise;
/** Every dataset of --data (filtered by --datasets), views included (only h36m-cams has them). */
function allDatasets() {
  datasetsPromise ??= (async () => {
    let ds = await T.loadDatasets([opts.dataDir], { views: true });
    if (opts.datasets) {
      const unknown = opts.datasets.filter((n) => !ds.some((d) => d.name === n));
      if (unknown.length > 0) fail(`--datasets: not in ${rel(opts.dataDir)}: ${unknown.join(', ')}`);
      ds = ds.filter((d) => opts.datasets.includes(d.name));
    }
    return ds;
  })();
  return datasetsPromise;
}
const hasSplit = (d, split) => d.sequences.some((s) => s.split === split && s.count > 0);

/** The combined training config the arms copy: its training hyper-parameters and model, not its run settings. */
function baseTraining(file = opts.baseConfig) {
  const raw = readJson(file);
  const data = (raw.data ?? []).map((p) => p.split(/[\\/]/).filter(Boolean).pop());
  const {
    outDir: _o,
    steps: _s,
    maxMinutes: _m,
    resume: _r,
    valInterval: _v,
    valSamples: _vs,
    checkpointInterval: _c,
    logInterval: _l,
    progress: _p,
    data: _d,
    threads: _t,
    ...training
  } = raw;
  return { file: rel(file), data, training };
}

let shippedPromise;
/** The evaluated model (models/lfm.onnx by default) on onnxruntime-node, as a PredictFn. */
function shipped() {
  shippedPromise ??= (async () => {
    if (!existsSync(opts.model)) fail(`${rel(opts.model)}: model not found`);
    const bytes = readFileSync(opts.model);
    const lifter = await loadLifter(new Uint8Array(bytes), { threads: opts.threads });
    const info = lifter.info;
    const training = info.training && typeof info.training === 'object' ? info.training : {};
    return {
      lifter,
      predict: T.forwardPredictor(lifter),
      jointCodes: info.jointCodes ? { k: info.jointCodes.k, rigs: info.jointCodes.rigs } : null,
      maxPoints: info.maxPoints,
      meta: {
        path: rel(opts.model),
        sha256: sha256(bytes),
        bytes: bytes.length,
        modified: statSync(opts.model).mtime.toISOString(),
        config: info.config,
        jointCodes: info.jointCodes ? { k: info.jointCodes.k, rigs: info.jointCodes.rigs.length } : null,
        step: training.step ?? null,
        samples: training.samples ?? null,
        trainedOn: Array.isArray(training.datasets) ? training.datasets : null,
      },
    };
  })();
  return shippedPromise;
}

/** The datasets the shipped model was trained on: its metadata, else the base config's data. */
async function trainedOn() {
  const m = await shipped();
  if (m.meta.trainedOn) return { names: m.meta.trainedOn, source: `${m.meta.path} metadata` };
  if (m.jointCodes) return { names: m.jointCodes.rigs, source: `${m.meta.path} joint-code rigs` };
  const base = baseTraining();
  return { names: base.data, source: base.file };
}

async function evaluateShipped(datasets, extra = {}) {
  const m = await shipped();
  const fits = datasets.filter((d) => m.maxPoints === undefined || d.numJoints <= m.maxPoints);
  return T.evaluate({
    predict: m.predict,
    datasets: fits,
    seed: opts.seed,
    model: m.meta.path,
    ...(opts.limit !== undefined && { limit: opts.limit }),
    ...(m.jointCodes && { jointCodes: m.jointCodes }),
    ...extra,
  });
}

function meanShapes(datasets) {
  return datasets.filter((d) => hasSplit(d, 'train')).map((d) => T.fitMeanShape(d));
}

/** Planned steps of every trained run named in the cached results, by run folder name. */
function cachedSteps() {
  const out = new Map();
  for (const s of STAGES) {
    const r = readJsonIf(join(resultsDir, `${s}.json`));
    if (!r) continue;
    for (const a of armsOf(s, r)) out.set(basename(a.dir), a.plannedSteps);
  }
  return out;
}

/** Arms --retrain has already retrained in this process (the combined arm serves several stages). */
const retrained = new Set();

/** A training run of the benchmark ("arm"): planned once, trained within the budget, resumed when interrupted. */
async function trainArm(id, config, datasets, { steps: fixedSteps } = {}) {
  // One folder per (arm, config, data, budget): a run made with other settings is never overwritten.
  const names = datasets.map((d) => d.name);
  const key = hashOf(
    fixedSteps === undefined
      ? { config, names, budget: opts.budgetMinutes }
      : { config, names, steps: fixedSteps },
  );
  const dir = join(opts.runsDir, `${id}-${key.slice(0, 8)}`);
  const planFile = join(dir, 'bench-plan.json');
  let plan = readJsonIf(planFile);
  if (plan && opts.retrain && !retrained.has(dir)) {
    log(`[${id}] --retrain: training afresh in ${rel(dir)}`);
    rmSync(dir, { recursive: true, force: true });
    plan = undefined;
  }
  const pinned = cachedSteps().get(basename(dir));
  if (!plan && pinned !== undefined) {
    // The cached results name this very run (same arm, config, data, budget): train the same number of
    // steps, so that a retrained arm reproduces the cached one (same seed, same batches, same schedule).
    plan = { id, key, datasets: names, budgetMinutes: opts.budgetMinutes, calibratedStepsPerSec: null };
    plan = { ...plan, steps: pinned, pinnedFrom: 'cached results', sessions: [], done: false };
    writeJson(planFile, plan);
    retrained.add(dir);
  }
  if (!plan && fixedSteps !== undefined) {
    // A budget in steps (equal samples for every arm, whatever the machine's load).
    plan = { id, key, datasets: names, budgetMinutes: null, calibratedStepsPerSec: null };
    plan = { ...plan, steps: fixedSteps, pinnedFrom: 'fixed step budget', sessions: [], done: false };
    writeJson(planFile, plan);
    retrained.add(dir);
  }
  if (!plan) {
    // Throughput on this machine now → the step count whose schedule fills the budget.
    const B = config.batchSize ?? T.DEFAULT_TRAINING_CONFIG.batchSize;
    const cal = await T.train({
      config: {
        ...config,
        steps: 30,
        warmupSteps: 0,
        valInterval: 0,
        progress: 'none',
        threads: opts.threads,
      },
      datasets,
    });
    const stepsPerSec = cal.samplesPerSec / B;
    // 85 %: checkpoints and logging are not in the measured step time.
    const steps = Math.max(20, Math.floor(0.85 * stepsPerSec * opts.budgetMinutes * 60));
    plan = {
      id,
      key,
      datasets: names,
      budgetMinutes: opts.budgetMinutes,
      calibratedStepsPerSec: stepsPerSec,
      steps,
      sessions: [],
      done: false,
    };
    writeJson(planFile, plan);
    retrained.add(dir);
  }
  if (!plan.done) {
    const used = plan.sessions.reduce((a, s) => a + s.minutes, 0);
    const cap = Math.max(0.05, 1.25 * plan.budgetMinutes - used);
    const resume = existsSync(join(dir, T.OUTPUT_FILES.last));
    log(
      `[${id}] training ${plan.steps} steps (${plan.pinnedFrom ? `pinned by the ${plan.pinnedFrom}` : `≤ ${cap.toFixed(2)} min`}) on ${names.join(', ')}${resume ? ', resuming' : ''}`,
    );
    const t0 = Date.now();
    const base = config.warmupSteps ?? T.DEFAULT_TRAINING_CONFIG.warmupSteps;
    const r = await T.train({
      config: {
        ...config,
        steps: plan.steps,
        warmupSteps: Math.min(base, Math.floor(plan.steps / 10)),
        maxMinutes: plan.pinnedFrom ? 0 : cap, // a pinned run trains its steps, however long
        outDir: dir,
        resume,
        valInterval: 0,
        checkpointInterval: Math.max(50, Math.floor(plan.steps / 10)),
        logInterval: Math.max(10, Math.floor(plan.steps / 10)),
        progress: 'lines',
        threads: opts.threads,
      },
      datasets,
      output: process.stderr,
    });
    plan.sessions.push({
      minutes: minutesSince(t0),
      toStep: r.step,
      samplesPerSec: r.samplesPerSec,
      stoppedBy: r.stoppedBy,
    });
    plan.done = r.stoppedBy !== 'signal';
    writeJson(planFile, plan);
  }
  const ckpt = await T.loadModelCheckpoint(join(dir, T.OUTPUT_FILES.last));
  const step = Number(ckpt.metadata?.step ?? ckpt.optimizer?.step ?? Number.NaN);
  return {
    id,
    ckpt,
    info: {
      id,
      dir: rel(dir),
      datasets: names,
      budgetMinutes: plan.budgetMinutes,
      plannedSteps: plan.steps,
      steps: step,
      samples: Number(ckpt.metadata?.samples ?? Number.NaN),
      minutes: plan.sessions.reduce((a, s) => a + s.minutes, 0),
      stoppedBy: plan.sessions.at(-1)?.stoppedBy ?? null,
      calibratedStepsPerSec: plan.calibratedStepsPerSec,
      model: ckpt.model.config.kind === 'lifter' ? lifterSummary(ckpt.model.config) : ckpt.model.config,
      loss: config.loss ?? 'procrustes',
    },
  };
}

function lifterSummary(c) {
  const { codedRigs, ...rest } = c;
  return { ...rest, ...(codedRigs && { codedRigs: codedRigs.length }) };
}

/** Evaluates trained arms (one predictor per dataset name, or one for all), memoised in the arm's folder. */
async function evaluateArms(arms, datasets, { route = false } = {}) {
  const key = hashOf({
    arms: arms.map((a) => [a.id, a.info.steps, a.info.plannedSteps]),
    names: datasets.map((d) => d.name),
    limit: opts.limit ?? null,
    seed: opts.seed,
  });
  const memo = join(resolve(root, arms[0].info.dir), `bench-eval-${route ? 'routed-' : ''}${key}.json`);
  if (!opts.verify && existsSync(memo) && !opts.force) return readJson(memo);
  const predictors = new Map();
  for (const a of arms)
    predictors.set(
      a.id,
      await T.createGraphPredictor(a.ckpt.model, a.ckpt.params, { threads: opts.threads }),
    );
  try {
    let predict;
    let jointCodes;
    if (route) {
      const byName = new Map(arms.map((a) => [a.info.datasets[0], predictors.get(a.id)]));
      predict = T.routeByDataset(byName);
      datasets = datasets.filter((d) => byName.has(d.name));
    } else {
      const a = arms[0];
      predict = predictors.get(a.id);
      const m = a.ckpt.model;
      if (m.codeSize > 0) jointCodes = { k: m.codeSize, rigs: m.config.codedRigs ?? [] };
    }
    const report = await T.evaluate({
      predict,
      datasets,
      seed: opts.seed,
      model: route ? 'per-rig MLP' : arms[0].info.dir,
      ...(opts.limit !== undefined && { limit: opts.limit }),
      ...(jointCodes && { jointCodes }),
    });
    if (!opts.verify) writeJson(memo, report);
    return report;
  } finally {
    for (const p of predictors.values()) await p.dispose();
  }
}

/** The combined LFM at the benchmark's budget (the reference arm of `single`, `ablations` and `unseen`). */
async function combinedArm(all) {
  const base = baseTraining();
  const data = all.filter((d) => base.data.includes(d.name) && hasSplit(d, 'train'));
  if (data.length === 0) fail(`none of the datasets of ${base.file} is loaded`);
  return trainArm('combined', base.training, data);
}

// ---------------------------------------------------------------------------------------------------
// Stages
// ---------------------------------------------------------------------------------------------------

const stageFns = {
  async eval() {
    const all = await allDatasets();
    const m = await shipped();
    const seen = new Set((await trainedOn()).names);
    const report = await evaluateShipped(all);
    const facts = all.map((d) => ({
      name: d.name,
      category: d.category,
      units: d.units,
      joints: d.numJoints,
      bones: d.perSequenceEdges ? 'per sequence' : d.edges.length,
      symmetryPairs: d.symmetry.length,
      trainFrames: D.splitFrames(d, 'train').length,
      testFrames: D.splitFrames(d, 'test').length,
      seen: seen.has(d.name),
      views: d.views ? d.views.count : 0,
    }));
    return { model: m.meta, trainedOn: await trainedOn(), report, facts };
  },

  async baselines() {
    const all = await allDatasets();
    const shapes = meanShapes(all);
    const report = await T.evaluate({
      predict: T.meanShapePredictor(shapes),
      datasets: all.filter((d) => shapes.some((s) => s.name === d.name)),
      seed: opts.seed,
      model: 'baseline:mean-shape',
      ...(opts.limit !== undefined && { limit: opts.limit }),
    });
    return {
      report,
      fits: shapes.map((s) => ({ name: s.name, frames: s.frames, iterations: s.iterations })),
    };
  },

  async mlp() {
    const all = (await allDatasets()).filter((d) => hasSplit(d, 'train'));
    const {
      maxPoints: _n,
      model: _m,
      sampling: _s,
      jointCodeDropout: _j,
      ...training
    } = baseTraining().training;
    const arms = [];
    for (const d of all)
      arms.push(await trainArm(`mlp-${d.name}`, { ...training, model: { kind: 'mlp' } }, [d]));
    const report = await evaluateArms(arms, all, { route: true });
    return { training, arms: arms.map((a) => a.info), report };
  },

  async single() {
    const all = await allDatasets();
    const base = baseTraining();
    const combined = await combinedArm(all);
    const groups = [
      ...new Set(all.filter((d) => base.data.includes(d.name)).map((d) => groupOf(d.category))),
    ].sort();
    const out = [];
    for (const g of groups) {
      const train = all.filter(
        (d) => groupOf(d.category) === g && base.data.includes(d.name) && hasSplit(d, 'train'),
      );
      if (train.length === 0) continue;
      const arm = await trainArm(`single-${g}`, base.training, train);
      const test = all.filter((d) => groupOf(d.category) === g);
      out.push({ group: g, arm: arm.info, report: await evaluateArms([arm], test) });
    }
    return {
      combined: { arm: combined.info, report: await evaluateArms([combined], all) },
      groups: out,
    };
  },

  async ablations() {
    const all = await allDatasets();
    const base = baseTraining();
    const model = base.training.model ?? {};
    const variants = [
      { id: 'combined', label: 'base recipe', change: 'none (the base config)', config: base.training },
      {
        id: 'abl-encoding-mlp',
        label: 'learnable-MLP encoding',
        change: 'encoding: mlp (instead of TPE)',
        config: { ...base.training, model: { ...model, encoding: 'mlp' } },
      },
      {
        id: 'abl-attention-global',
        label: 'global attention only',
        change: 'attention: global',
        config: { ...base.training, model: { ...model, attention: 'global' } },
      },
      {
        id: 'abl-attention-local',
        label: 'local graph attention only',
        change: 'attention: local',
        config: { ...base.training, model: { ...model, attention: 'local' } },
      },
      {
        id: 'abl-loss-mse',
        label: 'plain MSE loss',
        change: 'loss: mse (no Procrustes alignment)',
        config: { ...base.training, loss: 'mse' },
      },
      {
        id: 'abl-head-camera',
        label: 'camera head',
        change: "head: camera (S's camera fitted to the 2D in closed form; the loss also on S)",
        config: { ...base.training, model: { ...model, head: 'camera' } },
      },
    ];
    const data = all.filter((d) => base.data.includes(d.name) && hasSplit(d, 'train'));
    const arms = [];
    for (const v of variants) {
      const arm = await trainArm(v.id, v.config, data);
      arms.push({
        id: v.id,
        label: v.label,
        change: v.change,
        arm: arm.info,
        report: await evaluateArms([arm], all),
      });
    }
    return { arms };
  },

  async robustness() {
    const all = await allDatasets();
    const limit = opts.robustnessLimit ?? opts.limit;
    const shapes = meanShapes(all);
    const msData = all.filter((d) => shapes.some((s) => s.name === d.name));
    const meanShape = (perturb) =>
      T.evaluate({
        predict: T.meanShapePredictor(shapes),
        datasets: msData,
        seed: opts.seed,
        limit,
        perturb,
      });
    const occlusion = [];
    for (const fraction of [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) {
      log(`[robustness] occlusion ${fraction}`);
      const perturb = { occlude: fraction };
      occlusion.push({
        fraction,
        lfm: await evaluateShipped(all, { limit, perturb }),
        meanShape: await meanShape(perturb),
      });
    }
    const noise = [];
    for (const noisePx of [0, 1, 2, 5, 10, 20, 40]) {
      log(`[robustness] noise ${noisePx} px`);
      const perturb = { noisePx };
      noise.push({
        noisePx,
        lfm: await evaluateShipped(all, { limit, perturb }),
        meanShape: await meanShape(perturb),
      });
    }
    return { limit: limit ?? 'all', occlusion, noise };
  },

  async unseen() {
    const all = await allDatasets();
    const m = await shipped();
    const seen = await trainedOn();
    const unseen = all.filter(
      (d) => !seen.names.includes(d.name) && hasSplit(d, 'train') && hasSplit(d, 'test'),
    );
    const shapes = meanShapes(unseen);
    const lfm = unseen.length > 0 ? await evaluateShipped(unseen) : null;
    const meanShape =
      unseen.length > 0
        ? await T.evaluate({
            predict: T.meanShapePredictor(shapes),
            datasets: unseen,
            seed: opts.seed,
            model: 'baseline:mean-shape',
            ...(opts.limit !== undefined && { limit: opts.limit }),
          })
        : null;
    // Rig identity: the model's joint codes for a rig it knows, vs zero codes (the rig treated as unknown).
    let codes = { available: false, reason: `${m.meta.path} takes no joint codes` };
    if (m.jointCodes) {
      const known = all.filter((d) => m.jointCodes.rigs.includes(d.name));
      const rows = [];
      for (const d of known) {
        const withCodes = (await evaluateShipped([d])).datasets[0];
        const without = (
          await evaluateShipped([d], {
            jointCodes: { k: m.jointCodes.k, rigs: m.jointCodes.rigs.filter((r) => r !== d.name) },
          })
        ).datasets[0];
        rows.push({ name: d.name, category: d.category, withCodes, withoutCodes: without });
      }
      codes = { available: true, k: m.jointCodes.k, rows };
    }
    // Rig transfer by training: the combined recipe without one rig, tested on that rig.
    const holdout = [];
    const base = baseTraining();
    const targets = opts.holdout.filter((n) => all.some((d) => d.name === n && base.data.includes(d.name)));
    if (targets.length > 0) {
      const combined = await combinedArm(all);
      for (const name of targets) {
        const data = all.filter((d) => base.data.includes(d.name) && d.name !== name && hasSplit(d, 'train'));
        const arm = await trainArm(`holdout-${name}`, base.training, data);
        const test = all.filter((d) => d.name === name);
        holdout.push({
          name,
          arm: arm.info,
          without: (await evaluateArms([arm], test)).datasets[0],
          combined: (await evaluateArms([combined], test)).datasets[0],
        });
      }
    }
    return {
      seen: seen.names,
      seenSource: seen.source,
      unseen: unseen.map((d) => d.name),
      lfm,
      meanShape,
      codes,
      holdout,
      holdoutSkipped: opts.holdout.filter((n) => !targets.includes(n)),
    };
  },

  async real() {
    const all = await allDatasets();
    const withViews = all.filter((d) => d.views);
    if (withViews.length === 0)
      return { rows: [], note: 'no dataset with real camera views (views.f32) loaded' };
    const rows = [];
    const add = (model, protocol, camera, report) => {
      for (const r of report.datasets) rows.push({ model, protocol, camera, ...r });
    };
    const m = await shipped();
    add('LFM', 'real', 'all', await evaluateShipped(withViews, { protocol: 'real' }));
    add('LFM', 'synthetic', '—', await evaluateShipped(withViews));
    for (const d of withViews) {
      const { count, cameraIds, data } = d.views;
      const per = data.length / count;
      for (let v = 0; v < count; v++) {
        const one = {
          ...d,
          views: {
            ...d.views,
            count: 1,
            cameraIds: [cameraIds[v]],
            data: data.subarray(v * per, (v + 1) * per),
          },
        };
        add('LFM', 'real', cameraIds[v], await evaluateShipped([one], { protocol: 'real' }));
      }
    }
    // Baselines from a dataset of the same rig (same joint names) with a train split: h36m-body for h36m-cams.
    for (const d of withViews) {
      const donor = all.find(
        (o) => o !== d && hasSplit(o, 'train') && JSON.stringify(o.joints) === JSON.stringify(d.joints),
      );
      if (!donor) continue;
      const shape = { ...T.fitMeanShape(donor), name: d.name };
      const ms = (protocol) =>
        T.evaluate({
          predict: T.meanShapePredictor([shape]),
          datasets: [d],
          protocol,
          seed: opts.seed,
          ...(opts.limit !== undefined && { limit: opts.limit }),
        });
      add(`mean shape of ${donor.name}`, 'real', 'all', await ms('real'));
      add(`mean shape of ${donor.name}`, 'synthetic', '—', await ms('synthetic'));
      // The donor's per-rig MLP, when the mlp stage has trained it.
      const mlpArm = readJsonIf(join(resultsDir, 'mlp.json'))?.arms.find((a) => a.datasets[0] === donor.name);
      const mlpCkpt = mlpArm && join(resolve(root, mlpArm.dir), T.OUTPUT_FILES.last);
      if (mlpCkpt && existsSync(mlpCkpt)) {
        const ck = await T.loadModelCheckpoint(mlpCkpt);
        const p = await T.createGraphPredictor(ck.model, ck.params, { threads: opts.threads });
        try {
          for (const protocol of ['real', 'synthetic']) {
            const r = await T.evaluate({
              predict: p,
              datasets: [d],
              protocol,
              seed: opts.seed,
              ...(opts.limit !== undefined && { limit: opts.limit }),
            });
            add(`MLP of ${donor.name} (${rel(mlpCkpt)})`, protocol, protocol === 'real' ? 'all' : '—', r);
          }
        } finally {
          await p.dispose();
        }
      }
    }
    return { model: m.meta.path, rows };
  },

  async loo() {
    const all = await allDatasets();
    const byName = new Map(all.map((d) => [d.name, d]));
    const base = baseTraining(opts.looBaseConfig);
    const trainable = (d) => hasSplit(d, 'train');
    const inGroups = new Set(Object.values(LOO_GROUPS).flat());
    const groups = opts.looGroups.map((g) => ({
      id: g,
      datasets: LOO_GROUPS[g].filter((n) => byName.has(n)).map((n) => byName.get(n)),
    }));
    for (const g of groups)
      if (g.datasets.length === 0)
        fail(`loo group ${g.id}: none of ${LOO_GROUPS[g.id].join(', ')} is loaded`);
    const configOf = (arm) => {
      const o = LOO_ARMS[arm].overrides;
      return { ...base.training, ...o, model: { ...base.training.model, ...(o.model ?? {}) } };
    };
    // Training data of a fold: the base config's datasets without the group's.
    const foldData = (g) =>
      all.filter((d) => base.data.includes(d.name) && trainable(d) && !LOO_GROUPS[g.id].includes(d.name));
    // The upper bound: the base data and every group dataset with a train split.
    const upperData = all.filter((d) => trainable(d) && (base.data.includes(d.name) || inGroups.has(d.name)));
    const train = (arm, tag, data) =>
      trainArm(`loo-${arm}-${tag}`, configOf(arm), data, { steps: opts.looSteps });
    const evalArm = async (a, datasets, { split = 'test', identity = 'codes', limit = opts.limit } = {}) => {
      const m = a.ckpt.model;
      const p = await T.createGraphPredictor(m, a.ckpt.params, { threads: opts.threads });
      try {
        return await T.evaluate({
          predict: p,
          datasets: datasets.filter((d) => hasSplit(d, split)),
          seed: opts.seed,
          split,
          identity,
          model: a.info.dir,
          ...(limit !== undefined && { limit }),
          ...(m.codeSize > 0 && { jointCodes: { k: m.codeSize, rigs: m.config.codedRigs ?? [] } }),
        });
      } finally {
        await p.dispose();
      }
    };
    const pick = (report) =>
      report.datasets.map((r) => ({
        name: r.name,
        samples: r.samples,
        strict: r.nPaMpjpe,
        flipBest: r.nPaMpjpeFlipBest,
        flat: r.flatNPaMpjpe,
        paMpjpe: r.paMpjpe,
      }));
    const arms = [];
    for (const arm of opts.looArms) {
      const folds = [];
      for (const g of groups) folds.push({ g, arm: await train(arm, g.id, foldData(g)) });
      const upper = opts.looUpper ? await train(arm, 'upper', upperData) : null;
      if (opts.looTrainOnly) continue;
      const rows = [];
      for (const { g, arm: a } of folds) {
        const held = g.datasets;
        rows.push({
          group: g.id,
          datasets: held.map((d) => d.name),
          fold: a.info,
          test: pick(await evalArm(a, held)),
          val: pick(await evalArm(a, held, { split: 'val' })),
          sides: pick(await evalArm(a, held, { identity: 'sides' })),
          sidesVal: pick(await evalArm(a, held, { split: 'val', identity: 'sides' })),
          upper: upper ? pick(await evalArm(upper, held)) : null,
        });
      }
      // Rig identity on trained rigs: the upper-bound model (or the first fold) with and without codes (val splits).
      const ref = upper ?? folds[0]?.arm;
      let identity = null;
      if (ref && ref.ckpt.model.codeSize > 0) {
        const trained = all.filter((d) => ref.info.datasets.includes(d.name));
        identity = {
          model: ref.info.dir,
          coded: pick(await evalArm(ref, trained, { split: 'val', limit: opts.limit ?? 256 })),
          codeless: pick(
            await evalArm(ref, trained, { split: 'val', identity: 'none', limit: opts.limit ?? 256 }),
          ),
        };
      }
      arms.push({
        id: arm,
        change: LOO_ARMS[arm].change,
        overrides: LOO_ARMS[arm].overrides,
        upper: upper?.info ?? null,
        rows,
        identity,
      });
    }
    if (opts.looTrainOnly) {
      log('[loo] --loo-train-only: models trained, no results written');
      process.exit(0);
    }
    const heldOut = groups
      .flatMap((g) => g.datasets)
      .filter((d) => hasSplit(d, 'train') && hasSplit(d, 'test'));
    const meanShape = await T.evaluate({
      predict: T.meanShapePredictor(meanShapes(heldOut)),
      datasets: heldOut,
      seed: opts.seed,
      model: 'baseline:mean-shape',
      ...(opts.limit !== undefined && { limit: opts.limit }),
    });
    return {
      steps: opts.looSteps,
      baseConfig: base.file,
      groups: Object.fromEntries(groups.map((g) => [g.id, g.datasets.map((d) => d.name)])),
      arms,
      meanShape: pick(meanShape),
    };
  },

  async skeletons() {
    const all = (await allDatasets()).filter((d) => hasSplit(d, 'test'));
    const m = await shipped();
    const byCategory = new Map();
    for (const d of all) {
      const cur = byCategory.get(d.category);
      if (!cur || D.splitFrames(d, 'test').length > D.splitFrames(cur, 'test').length)
        byCategory.set(d.category, d);
    }
    const samples = [];
    for (const [category, d] of [...byCategory].sort((a, b) => a[0].localeCompare(b[0]))) {
      if (m.maxPoints !== undefined && d.numJoints > m.maxPoints) continue;
      const captured = [];
      const predict = async (b) => {
        const out = await m.predict(b);
        const J = b.numPoints;
        for (let i = 0; i < b.batchSize; i++) {
          captured.push({
            frame: b.frame[i],
            pred: Array.from(out.subarray(i * J * 3, (i + 1) * J * 3)),
            mask: Array.from(b.mask.subarray(i * J, (i + 1) * J)),
          });
        }
        return out;
      };
      await T.evaluate({
        predict,
        datasets: [d],
        seed: opts.seed,
        limit: 9,
        ...(m.jointCodes && { jointCodes: m.jointCodes }),
      });
      const J = d.numJoints;
      for (const c of captured) {
        c.gt = Array.from(d.points.subarray(c.frame * J * 3, (c.frame + 1) * J * 3), (v) =>
          Number.isNaN(v) ? 0 : v,
        );
        const e = P.poseErrors(
          C.nd(Float64Array.from(c.pred), [1, J, 3]),
          C.nd(Float64Array.from(c.gt), [1, J, 3]),
          C.nd(Float64Array.from(c.mask), [1, J]),
        );
        c.paMpjpe = e.paMpjpe.perSample[0];
        c.nPaMpjpe = e.nPaMpjpe.perSample[0];
      }
      if (captured.length === 0) continue;
      const sorted = [...captured].sort((a, b) => a.nPaMpjpe - b.nPaMpjpe);
      const pick = sorted[Math.floor((sorted.length - 1) / 2)];
      const round = (xs) => xs.map((v) => Number(v.toPrecision(6)));
      samples.push({
        category,
        dataset: d.name,
        units: d.units,
        frame: pick.frame,
        candidates: captured.length,
        paMpjpe: pick.paMpjpe,
        nPaMpjpe: pick.nPaMpjpe,
        gt: round(pick.gt),
        pred: round(pick.pred),
        mask: pick.mask,
        edges: D.frameEdges(d, pick.frame).map((e) => [e[0], e[1]]),
        up: upAxis(d.meta?.coordinate_frame),
      });
    }
    return { model: m.meta.path, samples };
  },
};

/** The up direction from a meta.json coordinate_frame text ("Y up", "Z up", "y down"), if it says. */
function upAxis(text) {
  if (typeof text !== 'string') return null;
  const m = /\b([xyz])\s+(up|down)\b/i.exec(text);
  if (!m) return null;
  const v = [0, 0, 0];
  v['xyz'.indexOf(m[1].toLowerCase())] = m[2].toLowerCase() === 'up' ? 1 : -1;
  return v;
}

// ---------------------------------------------------------------------------------------------------
// Running the stages
// ---------------------------------------------------------------------------------------------------

function settings() {
  return {
    data: rel(opts.dataDir),
    datasets: opts.datasets ?? 'all',
    limit: opts.limit ?? 'all',
    seed: opts.seed,
    budgetMinutes: opts.budgetMinutes,
    robustnessLimit: opts.robustnessLimit ?? 'limit',
    holdout: opts.holdout,
    threads: opts.threads,
    baseConfig: rel(opts.baseConfig),
    looArms: opts.looArms,
    looGroups: opts.looGroups,
    looSteps: opts.looSteps,
    looBaseConfig: rel(opts.looBaseConfig),
    looUpper: opts.looUpper,
  };
}

/** --verify recomputes a stage with the settings it was cached with. */
function useSettings(s) {
  const datasets = s.datasets === 'all' ? undefined : s.datasets;
  if (JSON.stringify(datasets) !== JSON.stringify(opts.datasets)) datasetsPromise = undefined;
  Object.assign(opts, {
    datasets,
    limit: s.limit === 'all' ? undefined : s.limit,
    seed: s.seed,
    budgetMinutes: s.budgetMinutes,
    robustnessLimit: s.robustnessLimit === 'limit' ? undefined : s.robustnessLimit,
    holdout: s.holdout,
    threads: s.threads,
  });
}

/**
 * The numbers of two results that differ beyond the tolerance: metrics and settings; not timings, dates,
 * or the bookkeeping of trained runs (folder, step count, samples seen) — a retrained arm gets its step
 * count from a new throughput calibration, and its metrics then agree within training noise.
 */
function compareNumbers(a, b, path = '', out = []) {
  const skip =
    /(createdAt|durationMinutes|machine|minutes|samplesPerSec|calibratedStepsPerSec|modified|loadAverage|command)$/;
  const runInfo =
    /(\.arm\.|^\.arms\.\d+\.(dir|steps|plannedSteps|samples|stoppedBy)$|\.report\.model$|\.model$)/;
  if (skip.test(path) || (runInfo.test(path) && typeof a !== 'object')) return out;
  if (typeof a === 'number' && typeof b === 'number') {
    const d = Math.abs(a - b) / Math.max(1e-12, Math.abs(a), Math.abs(b));
    if (d > opts.tolerance) out.push({ path, cached: a, now: b, rel: d });
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
      compareNumbers(a[k], b[k], `${path}.${k}`, out);
  } else if (a !== b && !(a === null && b === null)) {
    out.push({ path, cached: a, now: b, rel: null });
  }
  return out;
}

async function runStages() {
  let mismatches = 0;
  for (const stage of opts.stages) {
    const file = join(resultsDir, `${stage}.json`);
    const cached = readJsonIf(file);
    if (cached && !opts.force && !opts.verify) {
      // A stage that measured the model is reused only while the model file is the same.
      const m = existsSync(opts.model) ? sha256(readFileSync(opts.model)) : null;
      if (!(cached.model?.sha256 && m && cached.model.sha256 !== m)) {
        log(`[${stage}] cached (${rel(file)}, ${cached.createdAt}); --force recomputes`);
        continue;
      }
      log(`[${stage}] cached result measured another ${rel(opts.model)}: recomputing`);
    }
    if (opts.verify && !cached) {
      log(`[${stage}] nothing cached to verify`);
      continue;
    }
    if (opts.verify) useSettings(cached.settings);
    log(`[${stage}] running`);
    const t0 = Date.now();
    const payload = await stageFns[stage]();
    const result = {
      stage,
      schema: 1,
      createdAt: new Date().toISOString(),
      command: `node scripts/benchmarks.mjs ${process.argv.slice(2).join(' ')}`.trim(),
      durationMinutes: minutesSince(t0),
      machine: machine(),
      settings: settings(),
      ...(stage !== 'eval' && stageUsesShipped(stage) && { model: (await shipped()).meta }),
      ...payload,
    };
    if (opts.verify) {
      const diffs = compareNumbers(cached, result);
      mismatches += diffs.length;
      const worst = diffs.reduce((a, d) => Math.max(a, d.rel ?? Infinity), 0);
      log(
        `[${stage}] verify: ${diffs.length === 0 ? `every number reproduced within ${opts.tolerance}` : `${diffs.length} numbers differ (worst relative ${worst})`} — ${result.durationMinutes.toFixed(2)} min`,
      );
      for (const d of diffs.slice(0, 20)) log(`    ${d.path}: cached ${d.cached} now ${d.now}`);
    } else {
      writeJson(file, result);
      log(`[${stage}] done in ${result.durationMinutes.toFixed(2)} min → ${rel(file)}`);
    }
  }
  if (shippedPromise) await (await shippedPromise).lifter.release();
  return mismatches;
}
const stageUsesShipped = (s) => ['robustness', 'unseen', 'real', 'skeletons'].includes(s);

// ---------------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------------

const fx = (v, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
/** PA-MPJPE in dataset units: 4 significant digits. */
const fu = (v) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : String(Number(v.toPrecision(4)));
const shortUnits = (u) => (u ?? '').split(/[(;,]| of /)[0].trim();
const table = (head, rows) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
const rowOf = (report, name) => report?.datasets?.find((d) => d.name === name);

function figure(name, svg) {
  mkdirSync(figDir, { recursive: true });
  writeFileSync(join(figDir, name), svg);
  return `benchmarks/${name}`;
}

function stageNote(r) {
  return r ? `_${stageText(r)}._` : '';
}

function stageText(r) {
  const s = r.settings;
  return `stage \`${r.stage}\`: ${r.createdAt.slice(0, 16).replace('T', ' ')} UTC, ${fx(r.durationMinutes, 1)} min, limit ${s.limit}${
    ['mlp', 'single', 'ablations', 'unseen'].includes(r.stage)
      ? `, budget ${s.budgetMinutes} min per trained model`
      : ''
  }${r.stage === 'robustness' ? `, ${r.limit} samples per dataset and level` : ''}${
    s.datasets !== 'all' ? `, datasets ${s.datasets.join(', ')}` : ''
  }`;
}

function render() {
  const R = Object.fromEntries(STAGES.map((s) => [s, readJsonIf(join(resultsDir, `${s}.json`))]));
  const present = STAGES.filter((s) => R[s]);
  const md = [];
  const missing = (stage) => `_Not run yet: \`node scripts/benchmarks.mjs --stages ${stage}\`._`;
  const model = R.eval?.model ?? R.robustness?.model;
  const facts = new Map((R.eval?.facts ?? []).map((f) => [f.name, f]));
  const smoke =
    present.some((s) => {
      const st = R[s].settings;
      return (typeof st.limit === 'number' && st.limit < 100) || st.budgetMinutes < 1;
    }) || present.some((s) => R[s].settings.datasets !== 'all');

  md.push('# Benchmarks');
  md.push('');
  md.push(
    '_Generated by `scripts/benchmarks.mjs` from the cached results in `docs/benchmarks/results/`; do not edit by hand._',
  );
  md.push('');
  if (smoke) {
    md.push(
      '> **Smoke-test settings.** Some stages below ran with a small sample limit, a training budget under a minute or a subset of the datasets: their numbers check the pipeline, they are not results.',
    );
    md.push('');
  }
  md.push('## How to regenerate');
  md.push('');
  const commands = [
    ['pnpm build', ''],
    [
      'node scripts/benchmarks.mjs',
      `every stage not cached yet (default: ${DEFAULT_BUDGET_MINUTES} min per trained model), then this file`,
    ],
    ['node scripts/benchmarks.mjs --stages eval,robustness --force', 'recompute some stages'],
    ['node scripts/benchmarks.mjs --verify', 'recompute every cached stage with its settings, compare'],
    ['node scripts/benchmarks.mjs --verify --runs runs/bench-verify', '… and retrain every arm from scratch'],
    ['node scripts/benchmarks.mjs --render-only', 'rebuild this file and the figures from the JSON'],
    [
      'node scripts/benchmarks.mjs --stages loo --loo-groups quadruped,faces --loo-train-only --loo-arms base',
      'train some leave-one-out models (one process per core)',
    ],
  ];
  const width = Math.max(...commands.map(([c]) => c.length));
  md.push('```sh');
  for (const [c, why] of commands) md.push(why ? `${c.padEnd(width)}  # ${why}` : c);
  md.push('```');
  md.push('');
  md.push(
    "The corpus is `../shared/data` (research data under its own terms, never copied here). Evaluation is the protocol of [PROTOCOL.md](PROTOCOL.md): `synthetic` (seed 0: a uniform random rotation, a pinhole camera at 6 RMS radii, f = 1000 px, so a shape spans about ±170 px) unless stated; **nPA-MPJPE** is unit-free (PA-MPJPE / the ground truth's RMS radius) and comparable across datasets; **PA-MPJPE** is in each dataset's units (column `units`). Means are unweighted over datasets. Evaluation is seeded and deterministic, and so is training for a given step count (same seed, batches and schedule): `--verify` recomputes every cached stage with its own settings and compares every metric, and with `--runs runs/bench-verify` it also retrains every arm from scratch for the step count recorded in the cached results. A fresh run at the same budget on another machine or under another load calibrates its own step count, so its trained arms agree with these only within training noise.",
  );
  md.push('');
  if (present.length > 0) {
    md.push('Stages in this report:');
    md.push('');
    md.push(
      table(
        [
          'stage',
          'run (UTC)',
          'minutes',
          'samples per dataset',
          'budget per trained model',
          'command',
          'load (1/5/15 min)',
        ],
        present.map((s) => {
          const r = R[s];
          return [
            s,
            r.createdAt.slice(0, 16).replace('T', ' '),
            fx(r.durationMinutes, 1),
            s === 'robustness' ? `${r.limit}` : s === 'skeletons' ? '9 candidates' : String(r.settings.limit),
            ['mlp', 'single', 'ablations', 'unseen'].includes(s) ? `${r.settings.budgetMinutes} min` : '—',
            `\`${r.command}\``,
            r.machine.loadAverage.join(' / '),
          ];
        }),
      ),
    );
    md.push('');
    const machines = [
      ...new Set(
        present.map((s) => {
          const m = R[s].machine;
          return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}`;
        }),
      ),
    ];
    md.push(`Machine: ${machines.join('; ')}. Other jobs may have shared it (see the load).`);
    md.push('');
  }
  if (model) {
    md.push(
      `Model: \`${model.path}\` (sha256 \`${model.sha256.slice(0, 12)}…\`, ${(model.bytes / 1e6).toFixed(2)} MB, D=${model.config.dModel}, ${model.config.layers} layers, ${model.config.encoding}/${model.config.attention}, joint codes ${model.jointCodes ? `k=${model.jointCodes.k} for ${model.jointCodes.rigs} rigs` : 'none'}, trained ${model.step ?? '?'} steps on ${model.trainedOn ? model.trainedOn.length : '?'} datasets).`,
    );
    // Stale: measured on another file than the one at the model path now (or than the eval stage's).
    const now = existsSync(opts.model) ? sha256(readFileSync(opts.model)) : model.sha256;
    const stale = present.filter((s) => R[s].model?.sha256 && R[s].model.sha256 !== now);
    if (stale.length > 0)
      md.push(
        `> **Stale:** stages ${stale.join(', ')} measured a model file other than the current \`${rel(opts.model)}\` (sha256 \`${now.slice(0, 12)}…\`); rerun them: \`node scripts/benchmarks.mjs --force --stages ${stale.join(',')}\`.`,
      );
    md.push('');
  }

  // --- per test split ---
  md.push('## Per test split');
  md.push('');
  if (!R.eval) md.push(missing('eval'));
  else {
    md.push(stageNote(R.eval));
    md.push('');
    const single = new Map();
    for (const g of R.single?.groups ?? [])
      for (const d of g.report.datasets) single.set(d.name, { ...d, group: g.group });
    const rows = R.eval.report.datasets.map((d) => {
      const f = facts.get(d.name);
      const ms = rowOf(R.baselines?.report, d.name);
      const mlp = rowOf(R.mlp?.report, d.name);
      const sg = single.get(d.name);
      const cb = rowOf(R.single?.combined.report, d.name);
      const best = Math.min(...[d, ms, mlp, cb, sg].map((r) => r?.nPaMpjpe ?? Infinity));
      const b = (r) => (r?.nPaMpjpe === best ? `**${fx(best)}**` : fx(r?.nPaMpjpe));
      return [
        `${d.name}${!f ? '' : f.trainFrames === 0 ? ' (test only)' : f.seen ? '' : ' (unseen)'}`,
        d.category,
        String(d.samples),
        shortUnits(f?.units),
        b(d),
        fu(d.paMpjpe),
        b(ms),
        fu(ms?.paMpjpe),
        b(mlp),
        fu(mlp?.paMpjpe),
        b(cb),
        b(sg),
      ];
    });
    // Means over the datasets every measured column has, so that the columns compare.
    const columns = [
      R.eval.report,
      R.baselines?.report,
      R.mlp?.report,
      R.single?.combined.report,
      R.single && { datasets: [...single.values()] },
    ];
    const common = R.eval.report.datasets
      .map((d) => d.name)
      .filter((n) => columns.every((c) => !c || rowOf(c, n)?.nPaMpjpe != null));
    const col = (c) => (c ? fx(mean(common.map((n) => rowOf(c, n).nPaMpjpe))) : '—');
    const left = R.eval.report.datasets.length - common.length;
    rows.push([
      `**mean over ${common.length} datasets**${left > 0 ? ` (those every column has; ${left} left out)` : ''}`,
      '',
      '',
      '',
      col(columns[0]),
      '',
      col(columns[1]),
      '',
      col(columns[2]),
      '',
      col(columns[3]),
      col(columns[4]),
    ]);
    md.push(
      table(
        [
          'dataset',
          'category',
          'samples',
          'units',
          'LFM nPA',
          'LFM PA',
          'mean shape nPA',
          'mean shape PA',
          'MLP nPA',
          'MLP PA',
          `combined @budget nPA`,
          'single-category @budget nPA',
        ],
        rows,
      ),
    );
    md.push('');
    md.push(
      `LFM = \`${R.eval.model.path}\`. Mean shape = the Procrustes mean of the rig's train split (it knows the joint labels; ${R.baselines ? stageText(R.baselines) : 'not run yet'}). MLP = a per-rig MLP lifter (SimpleBaseline style) trained on the rig's train split for the budget (${R.mlp ? stageText(R.mlp) : 'not run yet'}). combined @budget = the combined recipe (\`${R.single?.settings.baseConfig ?? rel(opts.baseConfig)}\`) retrained for the same budget as one MLP, and single-category @budget = the same recipe trained on the dataset's category alone (rigid PASCAL3D+ classes form one group) for the same budget: the paper's claim that combined training helps is the comparison of these two columns. Unseen = not in the model's training data; test only = a dataset with no train split.`,
    );
    md.push('');
    const cats = R.eval.report.datasets.map((d) => d.name);
    const series = [{ name: 'LFM', values: R.eval.report.datasets.map((d) => d.nPaMpjpe) }];
    if (R.baselines)
      series.push({
        name: 'mean shape',
        values: cats.map((n) => rowOf(R.baselines.report, n)?.nPaMpjpe ?? null),
      });
    if (R.mlp)
      series.push({ name: 'per-rig MLP', values: cats.map((n) => rowOf(R.mlp.report, n)?.nPaMpjpe ?? null) });
    if (R.single) {
      series.push({
        name: 'combined @budget',
        values: cats.map((n) => rowOf(R.single.combined.report, n)?.nPaMpjpe ?? null),
      });
      series.push({
        name: 'single-category @budget',
        values: cats.map((n) => single.get(n)?.nPaMpjpe ?? null),
      });
    }
    const all = series.flatMap((s) => s.values).filter((v) => v !== null);
    const cap = Math.min(Math.max(...all), 1.0);
    md.push(
      `![nPA-MPJPE per dataset](${figure('npa-per-dataset.svg', T.barChartSvg({ title: 'nPA-MPJPE per test split (lower is better)', categories: cats, series, yLabel: 'nPA-MPJPE', yMax: cap }))})`,
    );
    md.push('');
  }

  // --- real ---
  md.push('## Real cameras (h36m-cams)');
  md.push('');
  if (!R.real) md.push(missing('real'));
  else if (R.real.rows.length === 0) md.push(`_${R.real.note}_`);
  else {
    md.push(stageNote(R.real));
    md.push('');
    md.push(
      table(
        ['model', 'protocol', 'camera', 'dataset', 'samples', 'PA-MPJPE', 'nPA-MPJPE'],
        R.real.rows.map((r) => [
          r.model,
          r.protocol,
          r.camera,
          r.name,
          String(r.samples),
          `${fu(r.paMpjpe)} ${shortUnits(facts.get(r.name)?.units ?? '')}`,
          fx(r.nPaMpjpe),
        ]),
      ),
    );
    md.push('');
    md.push(
      "`real` feeds each real camera's 2D observation (views.f32); the sources give no intrinsics, so only the rotation-invariant metrics are reported (mpjpe needs the camera). `synthetic` is the same frames under the synthetic protocol. h36m-cams is subject S1, whose 3D frames are in h36m-body's train split: this measures the 2D domain gap (real detections/cameras vs synthetic projections), not generalisation to new poses.",
    );
    md.push('');
  }

  // --- ablations ---
  md.push('## Ablations at equal budget');
  md.push('');
  if (!R.ablations) md.push(missing('ablations'));
  else {
    md.push(stageNote(R.ablations));
    md.push('');
    const arms = R.ablations.arms;
    const seenNames = new Set(arms[0].arm.datasets);
    const split = (rep, seen) =>
      mean(rep.datasets.filter((d) => seenNames.has(d.name) === seen).map((d) => d.nPaMpjpe));
    md.push(
      table(
        [
          'arm',
          'change',
          'steps',
          'minutes',
          'mean nPA (trained rigs)',
          'mean nPA (other rigs)',
          'mean nPA (all)',
        ],
        arms.map((a) => [
          a.label,
          a.change,
          `${a.arm.steps}/${a.arm.plannedSteps}`,
          fx(a.arm.minutes, 1),
          fx(split(a.report, true)),
          fx(split(a.report, false)),
          fx(a.report.mean.nPaMpjpe),
        ]),
      ),
    );
    md.push('');
    const names = arms[0].report.datasets.map((d) => d.name);
    md.push(
      table(
        ['dataset', ...arms.map((a) => a.label)],
        names.map((n) => {
          const vals = arms.map((a) => rowOf(a.report, n)?.nPaMpjpe ?? null);
          const best = Math.min(...vals.filter((v) => v !== null));
          return [
            `${n}${seenNames.has(n) ? '' : ' (not trained on)'}`,
            ...vals.map((v) => (v === best ? `**${fx(v)}**` : fx(v))),
          ];
        }),
      ),
    );
    md.push('');
    md.push(
      `Each arm is the combined recipe (\`${R.ablations.settings.baseConfig}\`) with one change, trained on the same data for the same wall-clock budget (a cosine schedule whose length comes from a throughput calibration of that arm, capped at 1.25× the budget), evaluated on every test split (nPA-MPJPE; best per row in bold).`,
    );
    md.push('');
    md.push(
      `![ablations](${figure('ablations.svg', T.barChartSvg({ title: 'Ablations: nPA-MPJPE per test split (equal budget)', categories: names, series: arms.map((a) => ({ name: a.label, values: names.map((n) => rowOf(a.report, n)?.nPaMpjpe ?? null) })), yLabel: 'nPA-MPJPE', yMax: 1 }))})`,
    );
    md.push('');
  }

  // --- robustness ---
  md.push('## Robustness');
  md.push('');
  if (!R.robustness) md.push(missing('robustness'));
  else {
    const rb = R.robustness;
    md.push(stageNote(rb));
    md.push('');
    md.push(
      "Occlusion hides a seeded random fraction of each sample's visible joints (at least 4 stay visible; the joints hidden at a smaller fraction stay hidden at a larger one) and scores the joints still seen; noise adds seeded Gaussian noise of σ pixels to every visible 2D coordinate (on the synthetic protocol's ±170 px shapes). Both are `evaluate`'s `perturb` option (`@lfm/trainer`). Scoring fewer joints lowers any Procrustes-aligned error by itself (the alignment has fewer points to fit), which is why the mean shape's error falls as occlusion rises: compare the LFM with the mean shape at the same level, not across levels.",
    );
    md.push('');
    const categories = [...new Set(rb.occlusion[0].lfm.datasets.map((d) => groupOf(d.category)))].sort();
    const lines = (levels, x) => {
      const s = categories.map((c) => ({
        name: c,
        points: levels.map((l) => [
          x(l),
          mean(l.lfm.datasets.filter((d) => groupOf(d.category) === c).map((d) => d.nPaMpjpe)),
        ]),
      }));
      s.push({ name: 'LFM, mean', points: levels.map((l) => [x(l), l.lfm.mean.nPaMpjpe]), color: '#000000' });
      s.push({
        name: 'mean shape, mean',
        points: levels.map((l) => [x(l), l.meanShape.mean.nPaMpjpe]),
        color: '#000000',
        dashed: true,
      });
      return s;
    };
    const tab = (levels, x, head) =>
      table(
        [head, 'LFM mean nPA', 'mean-shape mean nPA', ...categories.map((c) => `LFM ${c}`)],
        levels.map((l) => [
          String(x(l)),
          fx(l.lfm.mean.nPaMpjpe),
          fx(l.meanShape.mean.nPaMpjpe),
          ...categories.map((c) =>
            fx(mean(l.lfm.datasets.filter((d) => groupOf(d.category) === c).map((d) => d.nPaMpjpe))),
          ),
        ]),
      );
    md.push('### Occluded points');
    md.push('');
    md.push(tab(rb.occlusion, (l) => l.fraction, 'occluded fraction'));
    md.push('');
    md.push(
      `![error vs occlusion](${figure('robustness-occlusion.svg', T.lineChartSvg({ title: 'nPA-MPJPE vs occluded fraction (per category: LFM)', xLabel: 'fraction of visible joints hidden', yLabel: 'nPA-MPJPE', series: lines(rb.occlusion, (l) => l.fraction), width: 760 }))})`,
    );
    md.push('');
    md.push('### 2D noise');
    md.push('');
    md.push(tab(rb.noise, (l) => l.noisePx, 'σ (px)'));
    md.push('');
    md.push(
      `![error vs noise](${figure('robustness-noise.svg', T.lineChartSvg({ title: 'nPA-MPJPE vs 2D noise (per category: LFM)', xLabel: 'Gaussian noise σ (px; shapes span about ±170 px)', yLabel: 'nPA-MPJPE', series: lines(rb.noise, (l) => l.noisePx), width: 760 }))})`,
    );
    md.push('');
  }

  // --- unseen ---
  md.push('## Unseen rigs and rig transfer');
  md.push('');
  if (!R.unseen) md.push(missing('unseen'));
  else {
    const u = R.unseen;
    md.push(stageNote(u));
    md.push('');
    md.push(
      `Seen = the model's training data (${u.seenSource}: ${u.seen.length} datasets). Not seen: ${u.unseen.join(', ') || 'none'}.`,
    );
    md.push('');
    if (u.lfm) {
      md.push(
        table(
          [
            'dataset',
            'category',
            'samples',
            'LFM nPA',
            'LFM PA',
            'mean shape nPA (fitted on its own train split)',
            'per-rig MLP nPA (trained on it)',
          ],
          u.lfm.datasets.map((d) => {
            const ms = rowOf(u.meanShape, d.name);
            return [
              d.name,
              d.category,
              String(d.samples),
              fx(d.nPaMpjpe),
              `${fu(d.paMpjpe)} ${shortUnits(facts.get(d.name)?.units)}`,
              fx(ms?.nPaMpjpe),
              fx(rowOf(R.mlp?.report, d.name)?.nPaMpjpe),
            ];
          }),
        ),
      );
      md.push('');
      md.push(
        "The baselines here are oracles for an unseen rig: they are fitted on that rig's own training frames, which the LFM never saw.",
      );
      md.push('');
    }
    md.push('### Rig identity (joint codes)');
    md.push('');
    if (!u.codes.available) md.push(`_Not measured: ${u.codes.reason}._`);
    else {
      md.push(
        `The model with its joint codes (k = ${u.codes.k}) for a rig it knows, against zero codes for that rig (the rig treated as unknown; every other input the same).`,
      );
      md.push('');
      md.push(
        table(
          ['dataset', 'category', 'nPA with codes', 'nPA without', 'change'],
          u.codes.rows.map((r) => [
            r.name,
            r.category,
            fx(r.withCodes?.nPaMpjpe),
            fx(r.withoutCodes?.nPaMpjpe),
            r.withCodes && r.withoutCodes
              ? `${fx((100 * (r.withoutCodes.nPaMpjpe - r.withCodes.nPaMpjpe)) / r.withCodes.nPaMpjpe, 1)} %`
              : '—',
          ]),
        ),
      );
    }
    md.push('');
    md.push('### Train without a rig, test on it');
    md.push('');
    if (u.holdout.length === 0)
      md.push(
        `_Not run (${u.holdoutSkipped.length ? `not loaded: ${u.holdoutSkipped.join(', ')}` : '--holdout none'})._`,
      );
    else {
      md.push(
        table(
          [
            'held-out rig',
            'samples',
            'nPA, trained without it',
            'nPA, combined (with it)',
            'steps / minutes (without)',
          ],
          u.holdout.map((h) => [
            h.name,
            String(h.without?.samples ?? '—'),
            fx(h.without?.nPaMpjpe),
            fx(h.combined?.nPaMpjpe),
            `${h.arm.steps} / ${fx(h.arm.minutes, 1)}`,
          ]),
        ),
      );
      md.push('');
      md.push(
        "Both arms use the combined recipe and the same budget; only the held-out rig's training data differs.",
      );
    }
    md.push('');
  }

  // --- skeletons ---
  md.push('## Rendered skeletons');
  md.push('');
  if (!R.skeletons) md.push(missing('skeletons'));
  else {
    md.push(stageNote(R.skeletons));
    md.push('');
    md.push(
      "One test sample per category: of 9 evenly spaced test samples, the one with the median nPA-MPJPE (not the best). Black = ground truth, red = the prediction after similarity Procrustes alignment; two orthographic views 90° apart about the vertical (the dataset's up axis when its meta.json names one, else the principal axes). Thin lines = 2-nearest-neighbour graph where the dataset has no bones.",
    );
    md.push('');
    for (const s of R.skeletons.samples) {
      const svg = T.skeletonSvg({
        title: `${s.category} — ${s.dataset}, test frame ${s.frame}`,
        subtitle: `nPA-MPJPE ${fx(s.nPaMpjpe)}, PA-MPJPE ${fu(s.paMpjpe)} ${shortUnits(s.units)} (median of ${s.candidates} samples)`,
        groundTruth: s.gt,
        prediction: s.pred,
        mask: s.mask,
        edges: s.edges,
        ...(s.up && { up: s.up }),
      });
      md.push(`![${s.category}](${figure(`skeleton-${s.category}.svg`, svg)})`);
      md.push('');
    }
  }

  // --- where LFM loses ---
  md.push('## Where LFM loses, and why');
  md.push('');
  md.push(...losses(R, facts));
  md.push('');

  // --- costs ---
  // --- loo ---
  md.push('## Leave-one-out generalisation (categories never trained on)');
  md.push('');
  if (!R.loo) md.push(missing('loo'));
  else {
    const L = R.loo;
    md.push(stageNote(L));
    md.push('');
    md.push(
      `Each group is held out of the training data of \`${L.baseConfig}\` (the other datasets of that config are kept), a model is trained for **${L.steps} steps** (equal samples for every arm), and the group is lifted with **no joint codes** (its rigs are unknown to the model) on its test split. **strict** = nPA-MPJPE as everywhere else; **flip-best** = per sample the better of the prediction and its depth mirror (C3DPO's \`EVAL_MPJPE_best\`: without joint identity a view fixes a symmetric shape only up to that mirror); **flat** = the same 2D with z = 0, aligned the same way — the floor every lifter must beat by far; **sides** = the same model given side codes (left / right / centre from the rig's mirror pairs) instead of zero codes. Choices between arms are made on the groups' **val** splits (last table); the test numbers are reported.`,
    );
    md.push('');
    const avg = (rows, k) => {
      const v = (rows ?? []).filter((r) => r.samples > 0 && r[k] != null).map((r) => r[k]);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
    };
    const ratio = (a, b) => (a == null || b == null || !(b > 0) ? null : a / b);
    const summary = (arm, key) => {
      const rs = arm.rows.map((row) => ratio(avg(row[key], 'flipBest'), avg(row[key], 'flat')));
      const ok = rs.filter((x) => x != null);
      return {
        worst: ok.length ? Math.max(...ok) : null,
        mean: ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null,
      };
    };
    const idRatio = (arm) => {
      if (!arm.identity) return null;
      const c = avg(arm.identity.coded, 'strict');
      const n = avg(arm.identity.codeless, 'strict');
      return ratio(n, c);
    };
    md.push(
      table(
        [
          'arm',
          'change',
          'flip-best / flat: worst group',
          'mean over groups',
          'strict / flat (mean)',
          'strict with sides / flat (mean)',
          'code-less / coded on trained rigs (val)',
        ],
        L.arms.map((a) => {
          const mean = (key, metric) => {
            const v = a.rows
              .map((row) => ratio(avg(row[key], metric), avg(row[key], 'flat')))
              .filter((x) => x != null);
            return v.length ? v.reduce((x, y) => x + y, 0) / v.length : null;
          };
          const t = summary(a, 'test');
          return [
            a.id,
            a.change,
            fx(t.worst, 2),
            fx(t.mean, 2),
            fx(mean('test', 'strict'), 2),
            fx(mean('sides', 'strict'), 2),
            fx(idRatio(a), 2),
          ];
        }),
      ),
    );
    md.push('');
    for (const a of L.arms) {
      md.push(`### Arm \`${a.id}\`: ${a.change}`);
      md.push('');
      md.push(
        table(
          [
            'held-out group',
            'datasets',
            'samples',
            'strict nPA',
            'flip-best nPA',
            'flat nPA',
            'flip-best / flat',
            'strict with sides',
            'flip-best with sides',
            'upper bound (trained with it)',
            'mean shape (oracle)',
          ],
          a.rows.map((row) => [
            row.group,
            row.datasets.join(', '),
            String(row.test.reduce((n, r) => n + r.samples, 0)),
            fx(avg(row.test, 'strict')),
            fx(avg(row.test, 'flipBest')),
            fx(avg(row.test, 'flat')),
            fx(ratio(avg(row.test, 'flipBest'), avg(row.test, 'flat')), 2),
            fx(avg(row.sides, 'strict')),
            fx(avg(row.sides, 'flipBest')),
            fx(avg(row.upper, 'strict')),
            fx(
              avg(
                (L.meanShape ?? []).filter((m) => row.datasets.includes(m.name)),
                'strict',
              ),
            ),
          ]),
        ),
      );
      md.push('');
    }
    md.push('### Validation splits (what the choice between arms is made on)');
    md.push('');
    md.push(
      table(
        [
          'arm',
          ...L.arms[0].rows.map((r) => `${r.group}: flip-best / flat`),
          'mean',
          ...L.arms[0].rows.map((r) => `${r.group}: strict with sides`),
        ],
        L.arms.map((a) => {
          const s = summary(a, 'val');
          return [
            a.id,
            ...a.rows.map((row) => fx(ratio(avg(row.val, 'flipBest'), avg(row.val, 'flat')), 2)),
            fx(s.mean, 2),
            ...a.rows.map((row) => fx(avg(row.sidesVal, 'strict'))),
          ];
        }),
      ),
    );
    md.push('');
    md.push(
      'Mean shape = the Procrustes mean of the held-out rig fitted on its own train split: an oracle that knows the rig (it is not available to a model that never saw it). Upper bound = the same recipe trained with every group (present only when the stage ran with `--loo-upper`).',
    );
    md.push('');
  }

  // --- files other scripts write into docs/benchmarks/, included verbatim (their own first heading dropped) ---
  const included = [
    [
      'research.md',
      'Recipe research notes (generalisation, scale, adaptation)',
      'written by hand with the command of every number',
    ],
    [
      'scaling.md',
      'Scaling study (model shape × samples)',
      '`node scripts/scaling-study.mjs --held-out ../shared/data/dog-body`; figure [benchmarks/scaling.svg](benchmarks/scaling.svg)',
    ],
    [
      'adapt.md',
      '`lfm adapt` on held-out groups (2D only)',
      '`node scripts/adapt-bench.mjs` (command in [benchmarks/results/adapt.json](benchmarks/results/adapt.json))',
    ],
    [
      'smoothing.md',
      'Temporal smoothing of sequences (h36m-cams)',
      '`node scripts/smoothing-bench.mjs`: `lfm lift --smooth one-euro` and the depth-flip fixer on the real 4-camera sequences',
    ],
  ];
  for (const [file, title, from] of included) {
    const path = join(figDir, file);
    if (!existsSync(path)) continue;
    md.push(`## ${title}`);
    md.push('');
    md.push(`_From ${from} (its own file, [benchmarks/${file}](benchmarks/${file}), included here)._`);
    md.push('');
    md.push(
      readFileSync(path, 'utf8')
        .replace(/^#[^\n]*\n/, '')
        .trim(),
    );
    md.push('');
  }

  md.push('## Cost of each stage');
  md.push('');
  if (present.length === 0) md.push('_Nothing run yet._');
  else {
    md.push(
      table(
        ['stage', 'minutes', 'trained models', 'training minutes'],
        present.map((s) => {
          const arms = armsOf(s, R[s]);
          return [
            s,
            fx(R[s].durationMinutes, 1),
            String(arms.length),
            fx(
              arms.reduce((a, x) => a + (x.minutes ?? 0), 0),
              1,
            ),
          ];
        }),
      ),
    );
    md.push('');
    md.push(
      'Trained arms are shared between stages (the combined arm serves `single`, `ablations` and `unseen`) and reused from `runs/bench/` when present, so a stage that found its runs trained costs only its evaluation.',
    );
  }
  md.push('');
  mkdirSync(dirname(reportFile), { recursive: true });
  writeFileSync(
    reportFile,
    `${md
      .join('\n')
      .replace(/\n(#+ )/g, '\n\n$1')
      .replace(/\n{3,}/g, '\n\n')}`,
  );
  log(`wrote ${rel(reportFile)} and ${rel(figDir)}/*.svg`);
}

function armsOf(stage, r) {
  if (stage === 'mlp') return r.arms;
  if (stage === 'single') return [r.combined.arm, ...r.groups.map((g) => g.arm)];
  if (stage === 'ablations') return r.arms.map((a) => a.arm);
  if (stage === 'unseen') return r.holdout.map((h) => h.arm);
  if (stage === 'loo')
    return r.arms.flatMap((a) => [...a.rows.map((row) => row.fold), ...(a.upper ? [a.upper] : [])]);
  return [];
}

/** "Where LFM loses": every comparison the numbers support, with the facts that go with it (no fixed conclusions). */
function losses(R, facts) {
  if (!R.eval) return ['_Needs the `eval` stage._'];
  const out = [];
  const lfm = R.eval.report.datasets;
  const comparisons = [
    ['the mean shape', R.baselines?.report],
    ['the per-rig MLP', R.mlp?.report],
  ];
  const lost = [];
  for (const d of lfm) {
    for (const [who, rep] of comparisons) {
      const b = rowOf(rep, d.name);
      if (b?.nPaMpjpe == null || d.nPaMpjpe == null) continue;
      if (d.nPaMpjpe > b.nPaMpjpe) lost.push({ d, who, b, ratio: d.nPaMpjpe / b.nPaMpjpe });
    }
  }
  const wins = lfm.filter((d) =>
    comparisons.every(([, rep]) => {
      const b = rowOf(rep, d.name);
      return b?.nPaMpjpe == null || d.nPaMpjpe <= b.nPaMpjpe;
    }),
  );
  const nBase = comparisons.filter(([, r]) => r).length;
  if (nBase === 0) return ['_Needs the `baselines` and/or `mlp` stages._'];
  out.push(
    `Per test split, nPA-MPJPE. The LFM (\`${R.eval.model.path}\`) is at least as good as every available baseline (${comparisons
      .filter(([, r]) => r)
      .map(([w]) => w)
      .join(
        ', ',
      )}) on ${wins.length} of ${lfm.length} test splits${wins.length ? ` (${wins.map((d) => d.name).join(', ')})` : ''}, and loses ${lost.length} comparison${lost.length === 1 ? '' : 's'} on ${new Set(lost.map((l) => l.d.name)).size} datasets (worst ratio first; the facts listed are measured, not a diagnosis):`,
  );
  out.push('');
  const medianTrain = median([...facts.values()].map((f) => f.trainFrames));
  // One bullet per dataset, worst ratio first: the comparisons it loses, then the facts that go with it.
  const byDataset = new Map();
  for (const l of lost) byDataset.set(l.d.name, [...(byDataset.get(l.d.name) ?? []), l]);
  const ordered = [...byDataset.values()].sort(
    (a, c) => Math.max(...c.map((l) => l.ratio)) - Math.max(...a.map((l) => l.ratio)),
  );
  for (const ls of ordered) {
    const d = ls[0].d;
    const f = facts.get(d.name);
    const worst = Math.max(...ls.map((l) => l.ratio));
    const facts_ = [];
    if (d.samples < 5) {
      facts_.push(`only ${d.samples} test sample${d.samples === 1 ? '' : 's'}: anecdotal either way`);
    } else if (d.samples < 30 && worst < 1.3) {
      facts_.push(`a small gap on ${d.samples} test samples, possibly sampling noise`);
    }
    if (f && !f.seen && f.trainFrames > 0)
      facts_.push('a rig the LFM never trained on, while the baselines were fitted on it');
    const ms = ls.find((l) => l.who === 'the mean shape');
    if (ms && ms.b.nPaMpjpe < 0.1)
      facts_.push(
        `the mean shape alone reaches nPA ${fx(ms.b.nPaMpjpe)}, i.e. the rig's shapes vary little about their mean`,
      );
    if (f && f.trainFrames < medianTrain / 10)
      facts_.push(`${f.trainFrames} training frames (median over the datasets: ${medianTrain})`);
    if (f && f.bones === 0)
      facts_.push('no bones in its meta.json (local attention runs on a kNN graph of the 2D)');
    if (f && f.symmetryPairs > 0 && R.eval.model?.jointCodes == null)
      facts_.push(
        `${f.symmetryPairs} left/right pairs, and the model takes no joint identity (no joint codes)`,
      );
    const abl = bestAblation(R, d.name);
    if (abl)
      facts_.push(
        `at equal budget the "${abl.label}" arm does better here (${fx(abl.v)} vs the base recipe's ${fx(abl.base)})`,
      );
    const sg = R.single?.groups.flatMap((g) => g.report.datasets).find((x) => x.name === d.name);
    const cb = rowOf(R.single?.combined.report, d.name);
    if (sg && cb && sg.nPaMpjpe < cb.nPaMpjpe)
      facts_.push(
        `training on its category alone beats combined training at equal budget (${fx(sg.nPaMpjpe)} vs ${fx(cb.nPaMpjpe)})`,
      );
    const vs = ls.map((l) => `${l.who} ${fx(l.b.nPaMpjpe)} (×${l.ratio.toFixed(2)})`).join(', ');
    out.push(
      `- **${d.name}** (${d.category}): LFM ${fx(d.nPaMpjpe)} vs ${vs}.${facts_.length ? ` ${facts_.join('; ')}.` : ''}`.replace(
        /\. ([a-z])/,
        (_, c) => `. ${c.toUpperCase()}`,
      ),
    );
  }
  if (R.single) {
    out.push('');
    const pairs = R.single.groups.flatMap((g) =>
      g.report.datasets.map((s) => ({ s, c: rowOf(R.single.combined.report, s.name), g: g.group })),
    );
    const better = pairs.filter((p) => p.c && p.s.nPaMpjpe < p.c.nPaMpjpe);
    out.push(
      `Combined vs single-category training at equal budget: combined is better on ${pairs.length - better.length} of ${pairs.length} test splits${
        better.length
          ? `; single-category is better on ${better.map((p) => `${p.s.name} (${fx(p.s.nPaMpjpe)} vs ${fx(p.c.nPaMpjpe)})`).join(', ')}`
          : ''
      }. Note that at equal wall-clock a single-category model sees its category's data several times more often than the combined one.`,
    );
  }
  if (R.robustness) {
    out.push('');
    out.push('Robustness (nPA-MPJPE, means over datasets; per category in the Robustness section):');
    out.push('');
    out.push(...robustnessFindings(R.robustness));
  }
  return out;
}

/** Robustness, from the numbers: growth per category, and where the LFM falls behind the mean shape. */
function robustnessFindings(rb) {
  const out = [];
  for (const [levels, what, x] of [
    [rb.occlusion, 'occlusion', (l) => `${Math.round(l.fraction * 100)} %`],
    [rb.noise, 'noise', (l) => `σ = ${l.noisePx} px`],
  ]) {
    const first = levels[0];
    const last = levels.at(-1);
    const groups = [...new Set(first.lfm.datasets.map((d) => groupOf(d.category)))];
    const byGroup = (l, g) =>
      mean(l.lfm.datasets.filter((d) => groupOf(d.category) === g).map((d) => d.nPaMpjpe));
    const growth = groups
      .map((g) => ({ g, a: byGroup(first, g), b: byGroup(last, g) }))
      .filter((r) => r.a && r.b)
      .map((r) => ({ ...r, rel: r.b / r.a }))
      .sort((p, q) => q.rel - p.rel);
    const behind = [];
    for (const d of first.lfm.datasets) {
      const ms0 = rowOf(first.meanShape, d.name)?.nPaMpjpe;
      if (ms0 == null || !(d.nPaMpjpe < ms0)) continue; // only where the LFM starts ahead
      const l = levels.find((lv) => rowOf(lv.lfm, d.name)?.nPaMpjpe > rowOf(lv.meanShape, d.name)?.nPaMpjpe);
      if (l) behind.push(`${d.name} from ${x(l)}`);
    }
    const fmtG = (r) => `${r.g} ×${r.rel.toFixed(2)} (${fx(r.a)} → ${fx(r.b)})`;
    out.push(
      `- **${what}** (${x(first)} → ${x(last)}): mean nPA-MPJPE ${fx(first.lfm.mean.nPaMpjpe)} → ${fx(last.lfm.mean.nPaMpjpe)} (mean shape ${fx(first.meanShape.mean.nPaMpjpe)} → ${fx(last.meanShape.mean.nPaMpjpe)}). ` +
        (growth.length > 0
          ? `Most sensitive: ${growth.slice(0, 2).map(fmtG).join(', ')}; least: ${fmtG(growth.at(-1))}. `
          : '') +
        (behind.length > 0
          ? `Where the LFM beats the mean shape unperturbed, it falls behind on ${behind.join(', ')}.`
          : 'Where the LFM beats the mean shape unperturbed, it stays ahead at every level.'),
    );
  }
  return out;
}

function bestAblation(R, name) {
  if (!R.ablations) return null;
  const arms = R.ablations.arms;
  const base = rowOf(arms[0].report, name)?.nPaMpjpe;
  let best = null;
  for (const a of arms.slice(1)) {
    const v = rowOf(a.report, name)?.nPaMpjpe;
    if (v != null && base != null && v < base && (!best || v < best.v)) best = { label: a.label, v, base };
  }
  return best;
}

function median(xs) {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// ---------------------------------------------------------------------------------------------------

const t0 = Date.now();
let mismatches = 0;
if (!opts.renderOnly) mismatches = await runStages();
if (!opts.verify) render();
log(`total ${minutesSince(t0).toFixed(2)} min`);
if (opts.verify && mismatches > 0) process.exit(1);
// onnxruntime-node keeps worker threads alive; the work is done.
process.exit(0);
