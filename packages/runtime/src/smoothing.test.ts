import { Rng } from '@lfm/core';
import { type KeypointTrack, SequenceBuilder } from '@lfm/datasets/preprocess';
import { describe, expect, it } from 'vitest';
import {
  OneEuroFilter,
  resolveSmoothOptions,
  smoothingFactor,
  smoothSequence,
  smoothTrack,
  UNIT_STEP_DEFAULT_FPS,
} from './smoothing.js';

const FPS = 50;

/** Filters a whole signal sampled at FPS. */
function run(signal: readonly number[], minCutoff: number, beta: number, dCutoff = 1): number[] {
  const f = new OneEuroFilter({ minCutoff, beta, dCutoff });
  return signal.map((x, i) => f.filter(x, i / FPS));
}

const std = (v: readonly number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
};

describe('OneEuroFilter', () => {
  it('passes a constant signal unchanged', () => {
    for (const beta of [0, 0.05, 5]) {
      const out = run(new Array(200).fill(123.25), 1, beta);
      for (const y of out) expect(Math.abs(y - 123.25)).toBeLessThan(1e-12);
    }
  });

  it('converges to a step, monotonically and without overshoot', () => {
    const signal = Array.from({ length: 400 }, (_, i) => (i < 50 ? 0 : 10));
    for (const beta of [0, 0.05]) {
      const out = run(signal, 1, beta);
      expect(out.slice(0, 50).every((y) => y === 0)).toBe(true);
      for (let i = 51; i < out.length; i++) {
        expect(out[i]!).toBeGreaterThanOrEqual(out[i - 1]! - 1e-12);
        expect(out[i]!).toBeLessThanOrEqual(10 + 1e-12);
      }
      expect(out[50]!).toBeGreaterThan(0); // it starts moving at once
      expect(10 - out[399]!).toBeLessThan(1e-3);
    }
    // The speed term makes it converge sooner.
    const slow = run(signal, 1, 0);
    const fast = run(signal, 1, 0.05);
    expect(fast[60]!).toBeGreaterThan(slow[60]!);
  });

  it('lags less on fast motion with a higher beta', () => {
    // A ramp of 400 px/s: the steady-state lag of an exponential filter is speed · τ.
    const ramp = Array.from({ length: 300 }, (_, i) => (400 * i) / FPS);
    const lag = (beta: number) => ramp[299]! - run(ramp, 1, beta)[299]!;
    const l0 = lag(0);
    const l1 = lag(0.01);
    const l2 = lag(0.1);
    expect(l0).toBeCloseTo(400 / (2 * Math.PI), 6); // an exponential filter's ramp lag: speed · τ
    expect(l1).toBeLessThan(l0 / 2);
    expect(l2).toBeLessThan(l1 / 2);
    // …and on a fast sine.
    const sine = Array.from({ length: 500 }, (_, i) => 100 * Math.sin((2 * Math.PI * 2 * i) / FPS));
    const err = (beta: number) => {
      const out = run(sine, 1, beta);
      return Math.sqrt(out.slice(100).reduce((a, y, i) => a + (y - sine[i + 100]!) ** 2, 0) / 400);
    };
    expect(err(0.05)).toBeLessThan(err(0) / 3);
  });

  it('cuts the jitter of a noisy constant', () => {
    const rng = new Rng(3);
    const noisy = Array.from({ length: 2000 }, () => 200 + 2 * rng.normal());
    const d = resolveSmoothOptions({ fps: FPS });
    const out = run(noisy, d.minCutoff, d.beta, d.dCutoff);
    const sIn = std(noisy.slice(100));
    const sOut = std(out.slice(100));
    expect(sOut).toBeLessThan(0.5 * sIn);
    // Frame-to-frame jitter drops more.
    const jitter = (v: number[]) => std(v.slice(101).map((y, i) => y - v[i + 100]!));
    expect(jitter(out)).toBeLessThan(0.2 * jitter(noisy));
    // The lower the cutoff, the less jitter.
    expect(std(run(noisy, 0.3, 0).slice(200))).toBeLessThan(std(run(noisy, 3, 0).slice(200)));
  });

  it('follows the paper: first sample passes, then α = 1/(1 + τ/Tₑ); restarts on reset; checks its inputs', () => {
    const f = new OneEuroFilter({ minCutoff: 2, beta: 0, dCutoff: 1 });
    expect(f.filter(5, 0)).toBe(5);
    const a = smoothingFactor(0.1, 2);
    expect(a).toBeCloseTo(1 / (1 + 1 / (2 * Math.PI * 2) / 0.1), 12);
    expect(f.filter(7, 0.1)).toBeCloseTo(a * 7 + (1 - a) * 5, 12);
    f.reset();
    expect(f.started).toBe(false);
    expect(f.filter(-3, 0.2)).toBe(-3);
    expect(() => f.filter(1, 0.2)).toThrow(/time must increase/);
    expect(() => new OneEuroFilter({ minCutoff: 0, beta: 0 })).toThrow(RangeError);
    expect(() => new OneEuroFilter({ minCutoff: 1, beta: -1 })).toThrow(RangeError);
    expect(() => new OneEuroFilter({ minCutoff: 1, beta: 0, dCutoff: Number.NaN })).toThrow(RangeError);
    expect(() => resolveSmoothOptions({ fps: 0 })).toThrow(/fps/);
  });
});

/** One track of 3 points over the given frame indices; point 1 missing where `gap` says. */
function track(
  frames: number[],
  values: (f: number, j: number) => [number, number],
  gap = new Set<number>(),
) {
  const b = new SequenceBuilder('lfm', (m) => {
    throw new Error(m);
  });
  const last = Math.max(...frames);
  for (let f = 0; f <= last; f++) {
    const fi = b.frame(f);
    if (!frames.includes(f)) continue;
    const xy = [0, 1, 2].flatMap((j) => values(f, j));
    b.add(fi, { track: 0, xy, present: [true, !gap.has(f), true] }, `frame ${f}`);
  }
  return b.build();
}

describe('smoothTrack / smoothSequence', () => {
  const wave = (f: number, j: number): [number, number] => [
    100 * j + 30 * Math.sin(f / 3) + ((f * 7919) % 13) / 3,
    50 + 20 * Math.cos(f / 5) - ((f * 104729) % 11) / 4,
  ];

  it('filters each point and coordinate along the frames, keeping mask, frames and confidence', () => {
    const seq = track([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], wave, new Set([4]));
    const src = seq.tracks[0]!;
    const out = smoothSequence(seq, { fps: 25, minCutoff: 1, beta: 0.01 }).tracks[0]!;
    expect(out.mask).toEqual(src.mask);
    expect(out.frames).toEqual(src.frames);
    expect(out.confidence).toEqual(src.confidence);
    // The missing point stays 0; every coordinate matches a scalar filter run on its own.
    expect([out.points[2 * (4 * 3 + 1)], out.points[2 * (4 * 3 + 1) + 1]]).toEqual([0, 0]);
    for (let j = 0; j < 3; j++) {
      for (let c = 0; c < 2; c++) {
        const f = new OneEuroFilter({ minCutoff: 1, beta: 0.01 });
        for (let k = 0; k < 10; k++) {
          if (src.mask[k * 3 + j] !== 1) continue;
          const want = f.filter(src.points[2 * (k * 3 + j) + c]!, k / 25);
          expect(out.points[2 * (k * 3 + j) + c]!).toBeCloseTo(want, 3);
        }
      }
    }
  });

  it('with unit steps, cutoffs are per frame: the same as Hz ÷ fps; defaults are the Hz defaults at 30 fps', () => {
    const src = track([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], wave).tracks[0]!;
    const hz = smoothTrack(src, { fps: 40, minCutoff: 2, dCutoff: 1, beta: 0.02 });
    const perFrame = smoothTrack(src, { minCutoff: 2 / 40, dCutoff: 1 / 40, beta: 0.02 });
    for (let i = 0; i < hz.points.length; i++) expect(perFrame.points[i]!).toBeCloseTo(hz.points[i]!, 3);
    const d = resolveSmoothOptions({});
    const d30 = resolveSmoothOptions({ fps: UNIT_STEP_DEFAULT_FPS });
    expect(d.minCutoff).toBeCloseTo(d30.minCutoff / UNIT_STEP_DEFAULT_FPS, 12);
    expect(d.dCutoff).toBeCloseTo(d30.dCutoff / UNIT_STEP_DEFAULT_FPS, 12);
    expect(d.beta).toBe(d30.beta);
    const a = smoothTrack(src, {});
    const b = smoothTrack(src, { fps: UNIT_STEP_DEFAULT_FPS });
    for (let i = 0; i < a.points.length; i++) expect(a.points[i]!).toBeCloseTo(b.points[i]!, 3);
  });

  it('a frame gap of the track is a longer time step (the filter follows more of the new value)', () => {
    const step = (f: number): [number, number] => [f < 3 ? 0 : 10, 0];
    const dense = smoothTrack(track([0, 1, 2, 3], (f) => step(f)).tracks[0]!, { minCutoff: 0.05, beta: 0 });
    const gapped = smoothTrack(track([0, 1, 2, 30], (f) => step(f)).tracks[0]!, {
      minCutoff: 0.05,
      beta: 0,
    });
    const at3 = (t: KeypointTrack) => t.points[2 * (3 * 3)]!;
    expect(at3(gapped)).toBeGreaterThan(at3(dense) * 3);
  });

  it("missing points: 'hold' keeps the filter's state through the gap, 'reset' restarts it", () => {
    const values = (f: number, j: number): [number, number] => [j === 1 && f >= 5 ? 40 : 10 * j, 0];
    const seq = track([0, 1, 2, 3, 4, 5, 6], values, new Set([3, 4]));
    const src = seq.tracks[0]!;
    const hold = smoothTrack(src, { minCutoff: 0.05, beta: 0, missing: 'hold' });
    const reset = smoothTrack(src, { minCutoff: 0.05, beta: 0, missing: 'reset' });
    const p1 = (t: KeypointTrack, k: number) => t.points[2 * (k * 3 + 1)]!;
    expect(p1(reset, 5)).toBe(40); // a fresh start passes the sample
    expect(p1(hold, 5)).toBeGreaterThan(10);
    expect(p1(hold, 5)).toBeLessThan(40);
    expect([p1(hold, 3), p1(hold, 4), p1(reset, 3)]).toEqual([0, 0, 0]);
    // Points 0 and 2 never miss: the policy does not touch them.
    for (const j of [0, 2]) expect(hold.points[2 * (5 * 3 + j)]).toBe(reset.points[2 * (5 * 3 + j)]);
    expect(() => smoothTrack(src, { missing: 'skip' as 'hold' })).toThrow(/missing/);
  });
});
