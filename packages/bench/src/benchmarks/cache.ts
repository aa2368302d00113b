import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type ArmInfo,
  measuredModel,
  STAGES,
  type Stage,
  type StageResult,
  type StageResults,
} from './types.js';

/**
 * The stage cache of scripts/benchmarks.mjs: every stage's numbers in `<resultsDir>/<stage>.json`
 * (small, committed), reused until --force or until the model file they measured changes.
 */

export function readJson<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function readJsonIf<T = unknown>(file: string): T | undefined {
  return existsSync(file) ? readJson<T>(file) : undefined;
}

/** JSON with one-space indentation and a final newline (the committed results' format). */
export function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  // Through a temporary file and a rename: a killed run never leaves a half-written cache.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 1)}\n`);
  renameSync(tmp, file);
}

export const sha256 = (bytes: string | Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/** A short content hash of a JSON value: names run folders and evaluation memos by their inputs. */
export const hashOf = (value: unknown): string => sha256(JSON.stringify(value)).slice(0, 16);

/** The cached result of every stage in `resultsDir` (absent stages left out). */
export function readResults(resultsDir: string): StageResults {
  const out: Record<string, StageResult> = {};
  for (const s of STAGES) {
    const r = readJsonIf<StageResult>(join(resultsDir, `${s}.json`));
    if (r) out[s] = r;
  }
  return out as StageResults;
}

/**
 * Whether a cached result can stand for the stage: it exists and, when it measured a model file, that
 * file's sha256 is the current one (`currentModelSha` null = the model file is missing: kept).
 */
export function cacheStatus(
  cached: StageResult | undefined,
  currentModelSha: string | null,
): 'missing' | 'valid' | 'stale' {
  if (!cached) return 'missing';
  const measured = measuredModel(cached)?.sha256;
  return measured && currentModelSha && measured !== currentModelSha ? 'stale' : 'valid';
}

/** The trained runs a stage's result names. */
export function armsOf(stage: Stage, r: StageResult): readonly ArmInfo[] {
  switch (stage) {
    case 'mlp':
      return (r as StageResult<'mlp'>).arms;
    case 'mlp-converged':
      return (r as StageResult<'mlp-converged'>).arms;
    case 'single': {
      const s = r as StageResult<'single'>;
      return [s.combined.arm, ...s.groups.map((g) => g.arm)];
    }
    case 'ablations':
      return (r as StageResult<'ablations'>).arms.map((a) => a.arm);
    case 'unseen':
      return (r as StageResult<'unseen'>).holdout.map((h) => h.arm);
    case 'loo':
      return (r as StageResult<'loo'>).arms.flatMap((a) => [
        ...a.rows.map((row) => row.fold),
        ...(a.upper ? [a.upper] : []),
      ]);
    default:
      return [];
  }
}

/** One number (or value) that differs between a cached result and a recomputed one. */
export interface NumberDiff {
  readonly path: string;
  readonly cached: unknown;
  readonly now: unknown;
  /** Relative difference; null for values that are not both numbers. */
  readonly rel: number | null;
}

const SKIPPED =
  /(createdAt|durationMinutes|machine|minutes|samplesPerSec|calibratedStepsPerSec|modified|loadAverage|command)$/;
const RUN_INFO =
  /(\.arm\.|^\.arms\.\d+\.(dir|steps|plannedSteps|samples|stoppedBy)$|\.report\.model$|\.model$)/;

/**
 * The numbers of two results that differ beyond `tolerance` (relative): metrics and settings; not
 * timings, dates, or the bookkeeping of trained runs (folder, step count, samples seen) — a retrained
 * arm gets its step count from a new throughput calibration, and its metrics then agree within
 * training noise.
 */
export function compareNumbers(a: unknown, b: unknown, tolerance: number, path = '', out: NumberDiff[] = []) {
  if (SKIPPED.test(path) || (RUN_INFO.test(path) && typeof a !== 'object')) return out;
  if (typeof a === 'number' && typeof b === 'number') {
    const d = Math.abs(a - b) / Math.max(1e-12, Math.abs(a), Math.abs(b));
    if (d > tolerance) out.push({ path, cached: a, now: b, rel: d });
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)]))
      compareNumbers(x[k], y[k], tolerance, `${path}.${k}`, out);
  } else if (a !== b && !(a === null && b === null)) {
    out.push({ path, cached: a, now: b, rel: null });
  }
  return out;
}
