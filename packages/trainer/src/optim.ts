import { LfmError } from '@lfm/core';
import type { ParameterSpec } from '@lfm/encoding';
import type { AdamState } from '@lfm/model';

/**
 * Engine-agnostic optimisation over named Float32Arrays: Adam whose state is `@lfm/model`'s
 * `AdamState` (so a checkpoint resumes on any engine), global-norm gradient clipping, and the
 * learning-rate schedule. The tfjs engine reads gradients back, steps here and re-uploads parameters;
 * a graph engine does the same with its gradient outputs.
 */

export interface AdamHyper {
  /** Default 0.9. */
  readonly beta1: number;
  /** Default 0.999. */
  readonly beta2: number;
  /** Default 1e-8. */
  readonly epsilon: number;
}

export const DEFAULT_ADAM: Readonly<AdamHyper> = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });

/**
 * Adam (Kingma & Ba 2015), bias-corrected, in Float64 arithmetic with Float32 storage:
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  p ← p − lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε).
 */
export class Adam {
  readonly hyper: AdamHyper;
  private t: number;
  private readonly m: Record<string, Float32Array>;
  private readonly v: Record<string, Float32Array>;
  private readonly names: readonly string[];

  /**
   * Moments for every trainable spec (zeros, or copied from `state`, whose moments must match the
   * specs' sizes). `hyper` overrides the state's, which override the defaults.
   */
  constructor(specs: readonly ParameterSpec[], hyper: Partial<AdamHyper> = {}, state?: AdamState) {
    const trainable = specs.filter((s) => s.trainable);
    this.names = trainable.map((s) => s.name);
    this.hyper = { ...DEFAULT_ADAM, ...(state?.hyper as Partial<AdamHyper> | undefined), ...hyper };
    this.t = state?.step ?? 0;
    this.m = {};
    this.v = {};
    for (const s of trainable) {
      const size = s.shape.reduce((n, d) => n * d, 1);
      this.m[s.name] = copyMoment(state?.m, s.name, size, 'm');
      this.v[s.name] = copyMoment(state?.v, s.name, size, 'v');
    }
  }

  /** Completed update steps. */
  get step(): number {
    return this.t;
  }

  /**
   * One update of every trainable parameter in place: `grads[name]` (same size as `params[name]`)
   * multiplied by `gradScale` (the clipping factor) first.
   */
  update(
    params: Record<string, Float32Array>,
    grads: Readonly<Record<string, Float32Array>>,
    lr: number,
    gradScale = 1,
  ): void {
    this.t++;
    const { beta1, beta2, epsilon } = this.hyper;
    const c1 = 1 / (1 - beta1 ** this.t);
    const c2 = 1 / (1 - beta2 ** this.t);
    for (const name of this.names) {
      const p = params[name]!;
      const g = grads[name];
      if (g === undefined) throw new LfmError('E_TRAIN', `no gradient for parameter '${name}'`);
      const m = this.m[name]!;
      const v = this.v[name]!;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]! * gradScale;
        const mi = beta1 * m[i]! + (1 - beta1) * gi;
        const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i]! - (lr * mi * c1) / (Math.sqrt(vi * c2) + epsilon);
      }
    }
  }

  /** A copy of the state, in the checkpoint format. */
  state(): AdamState {
    const copy = (r: Record<string, Float32Array>) =>
      Object.fromEntries(this.names.map((n) => [n, r[n]!.slice()]));
    return { kind: 'adam', step: this.t, m: copy(this.m), v: copy(this.v), hyper: { ...this.hyper } };
  }
}

function copyMoment(
  from: Readonly<Record<string, Float32Array>> | undefined,
  name: string,
  size: number,
  which: string,
): Float32Array {
  if (from === undefined) return new Float32Array(size);
  const src = Object.hasOwn(from, name) ? from[name] : undefined;
  if (src === undefined || src.length !== size) {
    throw new LfmError(
      'E_CHECKPOINT',
      `optimizer state: moment ${which} of '${name}' is ${src === undefined ? 'missing' : `of size ${src.length}`}, expected ${size} values`,
    );
  }
  return src.slice();
}

/** √(Σ g²) over every array of `grads` (Float64 accumulation). */
export function globalNorm(grads: Readonly<Record<string, Float32Array>>): number {
  let sum = 0;
  for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  return Math.sqrt(sum);
}

/** The factor that clips a gradient of global norm `norm` to at most `maxNorm` (1 when maxNorm ≤ 0). */
export function clipScale(norm: number, maxNorm: number): number {
  return maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1;
}

export type LrScheduleKind = 'cosine' | 'linear' | 'constant';
export const LR_SCHEDULES: readonly LrScheduleKind[] = ['cosine', 'linear', 'constant'];

export interface LrSchedule {
  /** Peak learning rate. */
  readonly lr: number;
  /** Linear warm-up from lr/warmupSteps to lr over the first `warmupSteps` updates. */
  readonly warmupSteps: number;
  /** Decay after the warm-up down to `minLr` at `totalSteps`. */
  readonly schedule: LrScheduleKind;
  readonly totalSteps: number;
  readonly minLr: number;
}

/** The learning rate of update `step` (0-based). Constant at `minLr` past `totalSteps`. */
export function learningRateAt(step: number, s: LrSchedule): number {
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  if (s.schedule === 'constant') return s.lr;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const p = Math.min(1, (step - s.warmupSteps) / span);
  const f = s.schedule === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * p)) : 1 - p;
  return s.minLr + (s.lr - s.minLr) * f;
}
