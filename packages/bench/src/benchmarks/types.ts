import type { EvalReport, EvalRow } from '@lfm/trainer';

/**
 * The cached results of scripts/benchmarks.mjs (docs/benchmarks/results/<stage>.json, schema 1): what
 * each stage writes and the report renders.
 */

/** The stages, in the order they run and render. */
export const STAGES = [
  'eval',
  'baselines',
  'mlp',
  'mlp-converged',
  'single',
  'ablations',
  'robustness',
  'unseen',
  'real',
  'skeletons',
  'loo',
] as const;
export type Stage = (typeof STAGES)[number];

/** The machine a stage ran on. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly loadAverage: readonly number[];
}

/** The options a stage ran with (what --verify reruns it with). */
export interface StageSettings {
  readonly data: string;
  readonly datasets: 'all' | readonly string[];
  readonly limit: number | 'all';
  readonly seed: number;
  readonly budgetMinutes: number;
  readonly robustnessLimit: number | 'limit';
  readonly holdout: readonly string[];
  readonly threads: number;
  readonly baseConfig: string;
  readonly looArms: readonly string[];
  readonly looGroups: readonly string[];
  readonly looSteps: number;
  readonly looBaseConfig: string;
  readonly looUpper: boolean;
}

/** The evaluated model file. */
export interface ModelMeta {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly modified: string;
  readonly config: Readonly<Record<string, unknown>> & {
    readonly dModel?: number;
    readonly layers?: number;
    readonly encoding?: string;
    readonly attention?: string;
  };
  readonly jointCodes: { readonly k: number; readonly rigs: number } | null;
  readonly step: number | null;
  readonly samples: number | null;
  readonly trainedOn: readonly string[] | null;
}

/** A trained run of the benchmark ("arm"). */
export interface ArmInfo {
  readonly id: string;
  readonly dir: string;
  readonly datasets: readonly string[];
  readonly budgetMinutes: number | null;
  readonly plannedSteps: number;
  readonly steps: number;
  readonly samples: number;
  readonly minutes: number;
  readonly stoppedBy: string | null;
  readonly calibratedStepsPerSec: number | null;
  readonly model: unknown;
  readonly loss: string;
  /** The checkpoint file evaluated, when not last.ckpt's weights (`best.ckpt`: the best validation). */
  readonly evaluated?: {
    readonly checkpoint: string;
    readonly step: number;
    /** The best val nPA-MPJPE of the run (what chose best.ckpt), null when it never validated. */
    readonly valNPaMpjpe: number | null;
  };
}

/** Facts of a dataset (eval stage). */
export interface DatasetFacts {
  readonly name: string;
  readonly category: string;
  readonly units: string;
  readonly joints: number;
  readonly bones: number | 'per sequence';
  readonly symmetryPairs: number;
  readonly trainFrames: number;
  readonly testFrames: number;
  readonly seen: boolean;
  readonly views: number;
}

export interface TrainedOn {
  readonly names: readonly string[];
  readonly source: string;
}

export interface EvalPayload {
  readonly model: ModelMeta;
  readonly trainedOn: TrainedOn;
  readonly report: EvalReport;
  readonly facts: readonly DatasetFacts[];
}
export interface BaselinesPayload {
  readonly report: EvalReport;
  readonly fits: readonly { readonly name: string; readonly frames: number; readonly iterations: number }[];
}
export interface MlpPayload {
  readonly training: Readonly<Record<string, unknown>>;
  readonly arms: readonly ArmInfo[];
  readonly report: EvalReport;
}
/** How the mlp-converged stage trained: until the validation plateaus, within a step and a time cap. */
export interface ConvergenceSettings {
  /** The step cap (the cosine schedule's length). */
  readonly maxSteps: number;
  /** Wall-clock cap per arm over all its sessions, minutes. */
  readonly maxMinutes: number;
  /** Validate (val split, synthetic protocol) every this many steps. */
  readonly valInterval: number;
  /** Stop after this many validations in a row without an improvement larger than `valMinDelta`. */
  readonly valPatience: number;
  readonly valMinDelta: number;
}
export interface MlpConvergedPayload extends MlpPayload {
  readonly convergence: ConvergenceSettings;
  /** Datasets with a train split but no val split: no converged MLP (nothing to stop on). */
  readonly skipped: readonly string[];
}
export interface SinglePayload {
  readonly combined: { readonly arm: ArmInfo; readonly report: EvalReport };
  readonly groups: readonly { readonly group: string; readonly arm: ArmInfo; readonly report: EvalReport }[];
}
export interface AblationArm {
  readonly id: string;
  readonly label: string;
  readonly change: string;
  readonly arm: ArmInfo;
  readonly report: EvalReport;
}
export interface AblationsPayload {
  readonly arms: readonly AblationArm[];
}
export interface RobustnessLevel {
  readonly lfm: EvalReport;
  readonly meanShape: EvalReport;
}
export interface RobustnessPayload {
  readonly limit: number | 'all';
  readonly occlusion: readonly (RobustnessLevel & { readonly fraction: number })[];
  readonly noise: readonly (RobustnessLevel & { readonly noisePx: number })[];
}
export type JointCodeRows =
  | { readonly available: false; readonly reason: string }
  | {
      readonly available: true;
      readonly k: number;
      readonly rows: readonly {
        readonly name: string;
        readonly category: string;
        readonly withCodes: EvalRow | undefined;
        readonly withoutCodes: EvalRow | undefined;
      }[];
    };
export interface UnseenPayload {
  readonly seen: readonly string[];
  readonly seenSource: string;
  readonly unseen: readonly string[];
  readonly lfm: EvalReport | null;
  readonly meanShape: EvalReport | null;
  readonly codes: JointCodeRows;
  readonly holdout: readonly {
    readonly name: string;
    readonly arm: ArmInfo;
    readonly without: EvalRow | undefined;
    readonly combined: EvalRow | undefined;
  }[];
  readonly holdoutSkipped: readonly string[];
}
export type RealRow = EvalRow & {
  readonly model: string;
  readonly protocol: string;
  readonly camera: string;
};
export interface RealPayload {
  readonly rows: readonly RealRow[];
  readonly note?: string;
  readonly model?: string;
}
export interface SkeletonSample {
  readonly category: string;
  readonly dataset: string;
  readonly units: string;
  readonly frame: number;
  readonly candidates: number;
  readonly paMpjpe: number;
  readonly nPaMpjpe: number;
  readonly gt: readonly number[];
  readonly pred: readonly number[];
  readonly mask: readonly number[];
  readonly edges: readonly (readonly [number, number])[];
  readonly up: [number, number, number] | null;
}
export interface SkeletonsPayload {
  readonly model: string;
  readonly samples: readonly SkeletonSample[];
}
/** One held-out dataset's numbers in the loo stage. */
export interface LooScore {
  readonly name: string;
  readonly samples: number;
  readonly strict: number | null;
  readonly flipBest: number | null;
  readonly flat: number | null;
  readonly paMpjpe: number | null;
}
export interface LooRow {
  readonly group: string;
  readonly datasets: readonly string[];
  readonly fold: ArmInfo;
  readonly test: readonly LooScore[];
  readonly val: readonly LooScore[];
  readonly sides: readonly LooScore[];
  readonly sidesVal: readonly LooScore[];
  /**
   * The same model with the mirror pairs of a rig that declares none found from the evaluated 2D
   * (`evaluate` pairs 'infer'); absent in results measured before it existed.
   */
  readonly inferred?: readonly LooScore[];
  readonly inferredVal?: readonly LooScore[];
  /**
   * An arm with anatomical joint codes (`anatomicalCodes`): the same model given the codes of the held-out
   * rig's joints named like a trained rig's (`rigCodeTable` 'anatomy'), not zeros; absent for other arms.
   */
  readonly named?: readonly LooScore[];
  readonly namedVal?: readonly LooScore[];
  readonly upper: readonly LooScore[] | null;
}
export interface LooArmResult {
  readonly id: string;
  readonly change: string;
  readonly overrides: unknown;
  readonly upper: ArmInfo | null;
  readonly rows: readonly LooRow[];
  readonly identity: {
    readonly model: string;
    readonly coded: readonly LooScore[];
    readonly codeless: readonly LooScore[];
  } | null;
}
export interface LooPayload {
  readonly steps: number;
  readonly baseConfig: string;
  readonly groups: Readonly<Record<string, readonly string[]>>;
  readonly arms: readonly LooArmResult[];
  readonly meanShape: readonly LooScore[];
}

export interface StagePayloads {
  eval: EvalPayload;
  baselines: BaselinesPayload;
  mlp: MlpPayload;
  'mlp-converged': MlpConvergedPayload;
  single: SinglePayload;
  ablations: AblationsPayload;
  robustness: RobustnessPayload;
  unseen: UnseenPayload;
  real: RealPayload;
  skeletons: SkeletonsPayload;
  loo: LooPayload;
}

/** The bookkeeping every stage's cache file holds beside its payload. */
export interface StageRecord<S extends Stage = Stage> {
  readonly stage: S;
  readonly schema: 1;
  readonly createdAt: string;
  readonly command: string;
  readonly durationMinutes: number;
  readonly machine: Machine;
  readonly settings: StageSettings;
}

/**
 * What a stage's cache file holds. Stages that measure the shipped model also record its file
 * (`model`); `eval` has it in its payload, `real` and `skeletons` name only its path there.
 */
export type StageResult<S extends Stage = Stage> = StageRecord<S> &
  StagePayloads[S] &
  (S extends 'eval' | 'real' | 'skeletons' ? unknown : { readonly model?: ModelMeta });

/** The model file a result measured, when it records one. */
export function measuredModel(r: StageResult | undefined): ModelMeta | undefined {
  const m = (r as { model?: unknown } | undefined)?.model;
  return m !== null && typeof m === 'object' ? (m as ModelMeta) : undefined;
}

/** Every cached stage result, by stage (absent = not run). */
export type StageResults = { readonly [S in Stage]?: StageResult<S> };

/** Rigid-object categories (one PASCAL3D+ class each, a handful of CAD shapes) form one group. */
export const groupOf = (category: string): string => (category.startsWith('rigid-') ? 'rigid' : category);
