import { describe, expect, it } from 'vitest';
import { type LmProblem, levenbergMarquardt } from './lm.js';

/** Fits y = a·exp(b·x) to samples (x, y): residuals eᵢ = a·exp(b xᵢ) − yᵢ, parameters (a, b). */
function exponentialFit(xs: readonly number[], ys: readonly number[], a: number, b: number) {
  const cost = (pa: number, pb: number) =>
    xs.reduce((acc, x, i) => acc + (pa * Math.exp(pb * x) - ys[i]!) ** 2, 0);
  let cand = [a, b];
  let steps = 0;
  const problem: LmProblem & { p: number[] } = {
    size: 2,
    p: [a, b],
    linearize(H, g) {
      const [pa, pb] = this.p as [number, number];
      xs.forEach((x, i) => {
        const ex = Math.exp(pb * x);
        const e = pa * ex - ys[i]!;
        const ja = ex;
        const jb = pa * x * ex;
        H[0] = H[0]! + ja * ja;
        H[1] = H[1]! + ja * jb;
        H[3] = H[3]! + jb * jb;
        g[0] = g[0]! - ja * e;
        g[1] = g[1]! - jb * e;
      });
      H[2] = H[1]!;
    },
    tryStep(step) {
      cand = [this.p[0]! + step[0]!, this.p[1]! + step[1]!];
      return cost(cand[0]!, cand[1]!);
    },
    stepSize(step) {
      return Math.hypot(step[0]!, step[1]!) / (Math.hypot(this.p[0]!, this.p[1]!) + 1e-300);
    },
    accept() {
      this.p = cand;
      steps++;
    },
  };
  return { problem, cost, steps: () => steps };
}

describe('levenbergMarquardt', () => {
  const xs = [0, 0.25, 0.5, 0.75, 1, 1.5, 2];

  it('recovers the parameters of a noise-free nonlinear fit from a poor start', () => {
    const ys = xs.map((x) => 2.5 * Math.exp(-1.3 * x));
    const { problem, cost } = exponentialFit(xs, ys, 1, 0.5);
    const final = levenbergMarquardt(problem, cost(1, 0.5), 100);
    expect(problem.p[0]).toBeCloseTo(2.5, 9);
    expect(problem.p[1]).toBeCloseTo(-1.3, 9);
    expect(final).toBeLessThan(1e-20);
    expect(final).toBe(cost(problem.p[0]!, problem.p[1]!));
  });

  it('stops at the least-squares optimum of noisy data: no accepted step changes it', () => {
    const ys = xs.map((x, i) => 2.5 * Math.exp(-1.3 * x) + (i % 2 === 0 ? 0.01 : -0.01));
    const first = exponentialFit(xs, ys, 1, 0.5);
    const c1 = levenbergMarquardt(first.problem, first.cost(1, 0.5), 100);
    expect(c1).toBeGreaterThan(0);
    const [a, b] = first.problem.p as [number, number];
    const again = exponentialFit(xs, ys, a, b);
    const c2 = levenbergMarquardt(again.problem, again.cost(a, b), 100);
    expect(c2).toBeLessThanOrEqual(c1);
    expect((c1 - c2) / c1).toBeLessThan(1e-10);
    expect(Math.abs(again.problem.p[0]! - a)).toBeLessThan(1e-6);
  });

  it('never accepts a step that raises the cost, and honours maxIterations', () => {
    const ys = xs.map((x) => 2.5 * Math.exp(-1.3 * x));
    const { problem, cost, steps } = exponentialFit(xs, ys, 1, 0.5);
    const start = cost(1, 0.5);
    const after1 = levenbergMarquardt(problem, start, 1);
    expect(steps()).toBe(1);
    expect(after1).toBeLessThan(start);
    expect(levenbergMarquardt(problem, after1, 0)).toBe(after1);
    expect(steps()).toBe(1);
  });
});
