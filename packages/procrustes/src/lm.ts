/**
 * The Levenberg–Marquardt driver of the pose solvers (OnP, PnP): damping, step acceptance and the
 * stopping tests live here once; a problem supplies its normal equations, its trial cost and its
 * step size. Module-level scratch for n ≤ 6 parameters; no allocation per call.
 */

import { solveDamped } from './dense.js';

/** A least-squares problem min Σ wᵢ‖eᵢ(p)‖² whose current point p lives in the problem. */
export interface LmProblem {
  /** Number of parameters n (≤ 6): H is n×n row-major, g and the step have n entries. */
  readonly size: number;
  /** Gauss–Newton normal equations at the current point: H += JᵀWJ (all n² entries), g += −JᵀWe; both arrive zeroed. */
  linearize(H: Float64Array, g: Float64Array): void;
  /** Cost at the current point moved by `step`, keeping the moved point as the candidate. */
  tryStep(step: Float64Array): number;
  /** Size of `step` relative to the current point, for the stopping tests (call before `accept`). */
  stepSize(step: Float64Array): number;
  /** Makes the candidate of the last `tryStep` the current point. */
  accept(): void;
}

const MAX_N = 6;
const H = new Float64Array(MAX_N * MAX_N);
const g = new Float64Array(MAX_N);
const L = new Float64Array(MAX_N * MAX_N);
const delta = new Float64Array(MAX_N);

/**
 * Minimises `problem` from its current point, whose cost is `cost`; leaves the optimum there and
 * returns its cost. Damping μ starts at 1e-4, ×10 on a rejected step (≤ 8 tries per iteration),
 * ÷5 on an accepted one. Stops when the Gauss–Newton model predicts a decrease below 1e-15 of the
 * cost, when no damped step decreases the cost, or once a step is < 1e-13 (relative) or gains
 * ≤ 1e-12 of the cost: by then the parameters are settled far below their noise-induced
 * uncertainty (and exact fits keep gaining until the cost is ≈ 0).
 */
export function levenbergMarquardt(problem: LmProblem, cost: number, maxIterations: number): number {
  const n = problem.size;
  let mu = 1e-4;
  for (let iter = 0; iter < maxIterations; iter++) {
    if (cost === 0) break;
    H.fill(0);
    g.fill(0);
    problem.linearize(H, g);
    let accepted = false;
    let stepNorm = 0;
    let newCost = cost;
    let converged = false;
    for (let inner = 0; inner < 8; inner++) {
      if (!solveDamped(n, H, g, mu, L, delta)) {
        mu *= 10;
        continue;
      }
      // Predicted decrease of the Gauss–Newton model is ≥ δ·g: nothing left to gain at rounding level.
      let predicted = 0;
      for (let k = 0; k < n; k++) predicted += delta[k]! * g[k]!;
      if (predicted <= 1e-15 * cost) {
        converged = true;
        break;
      }
      newCost = problem.tryStep(delta);
      stepNorm = problem.stepSize(delta);
      if (newCost < cost) {
        problem.accept();
        accepted = true;
        mu = Math.max(mu / 5, 1e-12);
        break;
      }
      mu *= 10;
      if (stepNorm < 1e-15) break;
    }
    if (converged || !accepted) break;
    const gain = cost - newCost;
    cost = newCost;
    if (stepNorm < 1e-13 || gain <= 1e-12 * cost) break;
  }
  return cost;
}
