import type { KeypointSequence, KeypointTrack } from '@lfm/datasets/preprocess';

/**
 * Temporal smoothing of 2D keypoint sequences with the One-Euro filter (Casiez, Roussel, Vogel: "1€
 * Filter: A Simple Speed-based Low-pass Filter for Noisy Input in Interactive Systems", CHI 2012).
 *
 * The filter is a first-order low-pass (exponential smoothing) whose cutoff frequency follows the
 * signal's speed: at rest it smooths hard (cutoff `minCutoff`, little jitter), in fast motion it opens
 * up (cutoff `minCutoff + beta·|speed|`, little lag). With a sample interval Tₑ and a cutoff f_c its
 * smoothing factor is α = 1 / (1 + τ/Tₑ), τ = 1 / (2π f_c). For a sample xᵢ:
 *
 *     ẋᵢ  = (xᵢ − x̂ᵢ₋₁) / Tₑ                   the speed, from the previous filtered value
 *     ẋ̂ᵢ  = α(d_cutoff)·ẋᵢ + (1 − α(d_cutoff))·ẋ̂ᵢ₋₁   the speed itself low-passed (fixed cutoff)
 *     f_c = minCutoff + beta·|ẋ̂ᵢ|
 *     x̂ᵢ  = α(f_c)·xᵢ + (1 − α(f_c))·x̂ᵢ₋₁
 *
 * The first sample passes unchanged (speed 0). Units: cutoffs in Hz when times are in seconds (a
 * sequence's frame f at time f / fps), else in cycles per frame (unit steps); `beta` in 1 / (signal
 * unit) either way — e.g. per pixel — so it does not depend on the frame rate, but it does on the
 * image's scale (normalised [0, 1] MediaPipe landmarks want a beta ~1000× a pixel one).
 */

/** The filter's parameters. */
export interface OneEuroOptions {
  /** The cutoff at rest (Hz with an fps, else cycles per frame); > 0. Lower = less jitter, more lag. */
  readonly minCutoff: number;
  /** The speed coefficient (per signal unit), ≥ 0. Higher = less lag in fast motion. */
  readonly beta: number;
  /** The cutoff of the speed's own low-pass (Hz / cycles per frame); > 0. The paper fixes it at 1 Hz. */
  readonly dCutoff?: number | undefined;
}

/**
 * The defaults with times in seconds: 1 Hz at rest, beta 0.01 per pixel, d-cutoff 1 Hz (the best
 * jitter / accuracy balance on h36m-cams at 50 fps, a person ~500 px tall: scripts/smoothing-bench.mjs).
 */
export const ONE_EURO_DEFAULTS: Readonly<Required<OneEuroOptions>> = Object.freeze({
  minCutoff: 1,
  beta: 0.01,
  dCutoff: 1,
});

/**
 * The frame rate that converts `ONE_EURO_DEFAULTS`' Hz to cycles per frame when a sequence has no
 * fps (unit steps): the defaults then mean 1/30 cycles per frame, 1 Hz at 30 frames per second.
 */
export const UNIT_STEP_DEFAULT_FPS = 30;

function checkOptions(o: OneEuroOptions): Required<OneEuroOptions> {
  const dCutoff = o.dCutoff ?? ONE_EURO_DEFAULTS.dCutoff;
  if (!(o.minCutoff > 0) || !Number.isFinite(o.minCutoff)) {
    throw new RangeError(`One-Euro minCutoff must be a finite number > 0, got ${o.minCutoff}`);
  }
  if (!(o.beta >= 0) || !Number.isFinite(o.beta)) {
    throw new RangeError(`One-Euro beta must be a finite number ≥ 0, got ${o.beta}`);
  }
  if (!(dCutoff > 0) || !Number.isFinite(dCutoff)) {
    throw new RangeError(`One-Euro dCutoff must be a finite number > 0, got ${dCutoff}`);
  }
  return { minCutoff: o.minCutoff, beta: o.beta, dCutoff };
}

/** α = 1 / (1 + τ/Tₑ), τ = 1 / (2π·cutoff). */
export function smoothingFactor(te: number, cutoff: number): number {
  const tau = 1 / (2 * Math.PI * cutoff);
  return 1 / (1 + tau / te);
}

/** One scalar One-Euro filter (one coordinate of one point). */
export class OneEuroFilter {
  readonly #minCutoff: number;
  readonly #beta: number;
  readonly #dCutoff: number;
  #started = false;
  #x = 0;
  #dx = 0;
  #t = 0;

  constructor(options: OneEuroOptions) {
    const o = checkOptions(options);
    this.#minCutoff = o.minCutoff;
    this.#beta = o.beta;
    this.#dCutoff = o.dCutoff;
  }

  /** Filters the sample x taken at time t (strictly after the previous sample's); returns x̂. */
  filter(x: number, t: number): number {
    if (!this.#started) {
      this.#started = true;
      this.#x = x;
      this.#dx = 0;
      this.#t = t;
      return x;
    }
    const te = t - this.#t;
    if (!(te > 0)) throw new RangeError(`One-Euro: time must increase, got ${t} after ${this.#t}`);
    const ad = smoothingFactor(te, this.#dCutoff);
    this.#dx = ad * ((x - this.#x) / te) + (1 - ad) * this.#dx;
    const cutoff = this.#minCutoff + this.#beta * Math.abs(this.#dx);
    const a = smoothingFactor(te, cutoff);
    this.#x = a * x + (1 - a) * this.#x;
    this.#t = t;
    return this.#x;
  }

  /** Forgets the state: the next sample passes unchanged. */
  reset(): void {
    this.#started = false;
  }

  /** True once a sample has been filtered (since the last reset). */
  get started(): boolean {
    return this.#started;
  }
}

/** What to do at a frame where a point is missing (mask 0). */
export type MissingPolicy = 'hold' | 'reset';

/** Options of `smoothTrack` / `smoothSequence`. */
export interface SmoothOptions extends Partial<OneEuroOptions> {
  /**
   * Frames per second: frame f of the sequence is at time f / fps and the cutoffs are in Hz. Without
   * it, unit steps (frame f at time f; cutoffs in cycles per frame), and omitted cutoffs default to
   * the Hz defaults at UNIT_STEP_DEFAULT_FPS.
   */
  readonly fps?: number | undefined;
  /**
   * A missing point (mask 0) stays missing — nothing is invented. 'hold' (default): the point's
   * filters keep their state through the gap, and its next sample is filtered with the time elapsed
   * since its last one (a long gap gives α → 1: the filter follows the new value at once); 'reset':
   * they restart, so the next sample passes unchanged.
   */
  readonly missing?: MissingPolicy | undefined;
}

/** The filter parameters and clock `smoothTrack` uses for `options` (defaults filled in). */
export function resolveSmoothOptions(options: SmoothOptions = {}): Required<OneEuroOptions> & {
  fps: number | undefined;
  missing: MissingPolicy;
} {
  const fps = options.fps;
  if (fps !== undefined && (!(fps > 0) || !Number.isFinite(fps))) {
    throw new RangeError(`fps must be a finite number > 0, got ${fps}`);
  }
  const perFrame = fps === undefined ? 1 / UNIT_STEP_DEFAULT_FPS : 1;
  const o = checkOptions({
    minCutoff: options.minCutoff ?? ONE_EURO_DEFAULTS.minCutoff * perFrame,
    beta: options.beta ?? ONE_EURO_DEFAULTS.beta,
    dCutoff: options.dCutoff ?? ONE_EURO_DEFAULTS.dCutoff * perFrame,
  });
  const missing = options.missing ?? 'hold';
  if (missing !== 'hold' && missing !== 'reset') {
    throw new RangeError(`missing must be 'hold' or 'reset', got ${JSON.stringify(missing)}`);
  }
  return { ...o, fps, missing };
}

/**
 * A track with its 2D points One-Euro filtered: per point and coordinate, along the track's frames,
 * the clock its frame indices (÷ fps): a track absent from some frames has longer steps there. The
 * mask, confidence and everything else are kept; missing points stay 0.
 */
export function smoothTrack(track: KeypointTrack, options: SmoothOptions = {}): KeypointTrack {
  const o = resolveSmoothOptions(options);
  const J = track.numJoints;
  const T = track.frames.length;
  const filters = Array.from({ length: 2 * J }, () => new OneEuroFilter(o));
  const points = new Float32Array(track.points.length);
  for (let k = 0; k < T; k++) {
    const t = o.fps === undefined ? track.frames[k]! : track.frames[k]! / o.fps;
    for (let j = 0; j < J; j++) {
      const i = k * J + j;
      if (track.mask[i] !== 1) {
        if (o.missing === 'reset') {
          filters[2 * j]!.reset();
          filters[2 * j + 1]!.reset();
        }
        continue;
      }
      points[2 * i] = filters[2 * j]!.filter(track.points[2 * i]!, t);
      points[2 * i + 1] = filters[2 * j + 1]!.filter(track.points[2 * i + 1]!, t);
    }
  }
  return { ...track, points };
}

/** Every track of a sequence through `smoothTrack`. */
export function smoothSequence(sequence: KeypointSequence, options: SmoothOptions = {}): KeypointSequence {
  resolveSmoothOptions(options); // errors before any work
  return { ...sequence, tracks: sequence.tracks.map((t) => smoothTrack(t, options)) };
}
