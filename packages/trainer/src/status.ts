import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '@lfm/core';
import type { JsonValue } from '@lfm/model';
import { loadModelCheckpoint } from './checkpoint.js';
import { type MetricsEntry, OUTPUT_FILES } from './train.js';

/** Where a training run stands (`readRunStatus`, `lfm train --status`). */
export interface RunStatus {
  /** The run folder. */
  readonly dir: string;
  /** The config's total steps (config.json, else the checkpoint's training config); null when neither says. */
  readonly steps: number | null;
  /** The last checkpoint (last.ckpt), or null when the run wrote none yet. */
  readonly checkpoint: {
    readonly path: string;
    readonly step: number;
    readonly samples: number | null;
    /** When it was written (its metadata, else the file's modification time), ISO 8601. */
    readonly savedAt: string;
    /** Training time of all runs up to it (validation excluded), seconds; null for an older checkpoint. */
    readonly trainSec: number | null;
    readonly engine: string | null;
  } | null;
  /** The best validation nPA-MPJPE so far and its step: from best.ckpt, else metrics.jsonl. */
  readonly best: {
    readonly nPaMpjpe: number;
    readonly step: number;
    readonly source: 'best.ckpt' | 'metrics.jsonl';
  } | null;
  /** The last line of metrics.jsonl (may run past the checkpoint: a resume redoes those steps). */
  readonly last: Pick<MetricsEntry, 'step' | 'loss' | 'lr' | 'samplesPerSec' | 'samples'> | null;
  /** The checkpoint is at the config's steps: a resume has nothing to train. */
  readonly finished: boolean;
  /** The command that continues the run (`lfm train --config DIR/config.json --resume`), null without config.json. */
  readonly resume: string | null;
}

/**
 * Reads where the training run in `dir` stands, without training: the config's steps (config.json),
 * the last checkpoint's step, samples and time (last.ckpt metadata), the best validation nPA-MPJPE
 * (best.ckpt metadata, else the val entries of metrics.jsonl), the last metrics line, whether it is
 * finished, and the command to resume it. InputError when `dir` holds no run (none of config.json,
 * last.ckpt, metrics.jsonl); DataFormatError for a corrupt checkpoint.
 */
export async function readRunStatus(dir: string): Promise<RunStatus> {
  const configPath = join(dir, OUTPUT_FILES.config);
  const lastPath = join(dir, OUTPUT_FILES.last);
  const bestPath = join(dir, OUTPUT_FILES.best);
  const metricsPath = join(dir, OUTPUT_FILES.metrics);
  if (!existsSync(dir)) throw new InputError(`${dir}: no such folder`);
  if (![configPath, lastPath, metricsPath].some((p) => existsSync(p))) {
    throw new InputError(
      `${dir}: not a training run (no ${OUTPUT_FILES.config}, ${OUTPUT_FILES.last} or ${OUTPUT_FILES.metrics})`,
    );
  }
  let config: Record<string, unknown> | undefined;
  if (existsSync(configPath)) {
    try {
      const raw = JSON.parse(await readFile(configPath, 'utf8')) as unknown;
      if (raw && typeof raw === 'object' && !Array.isArray(raw)) config = raw as Record<string, unknown>;
    } catch {
      // An unreadable config.json: fall back to the checkpoint's copy.
    }
  }
  let checkpoint: RunStatus['checkpoint'] = null;
  if (existsSync(lastPath)) {
    const ckpt = await loadModelCheckpoint(lastPath);
    const m = ckpt.metadata ?? {};
    config ??= objectOr(m.training);
    checkpoint = {
      path: lastPath,
      step: numberOr(m.step) ?? ckpt.optimizer?.step ?? 0,
      samples: numberOr(m.samples),
      savedAt: typeof m.savedAt === 'string' ? m.savedAt : statSync(lastPath).mtime.toISOString(),
      trainSec: numberOr(m.trainSec),
      engine: typeof m.engine === 'string' ? m.engine : null,
    };
  }
  const entries = existsSync(metricsPath) ? parseMetrics(await readFile(metricsPath, 'utf8')) : [];
  let best: RunStatus['best'] = null;
  if (existsSync(bestPath)) {
    const m = (await loadModelCheckpoint(bestPath)).metadata ?? {};
    const score = numberOr(m.bestScore);
    const step = numberOr(m.step);
    if (score !== null && step !== null) best = { nPaMpjpe: score, step, source: 'best.ckpt' };
  }
  if (!best) {
    for (const e of entries) {
      const score = e.val?.mean?.nPaMpjpe;
      if (typeof score === 'number' && Number.isFinite(score) && (!best || score < best.nPaMpjpe)) {
        best = { nPaMpjpe: score, step: e.step, source: 'metrics.jsonl' };
      }
    }
  }
  const lastEntry = entries.at(-1);
  const last = lastEntry
    ? {
        step: lastEntry.step,
        loss: lastEntry.loss,
        lr: lastEntry.lr,
        samplesPerSec: lastEntry.samplesPerSec,
        samples: lastEntry.samples,
      }
    : null;
  const steps = numberOr(config?.steps as JsonValue | undefined);
  return {
    dir,
    steps,
    checkpoint,
    best,
    last,
    finished: checkpoint !== null && steps !== null && checkpoint.step >= steps,
    resume: existsSync(configPath) ? `lfm train --config ${shellQuote(configPath)} --resume` : null,
  };
}

/** `s` as one shell word (POSIX quoting only when it needs any). */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function parseMetrics(text: string): MetricsEntry[] {
  const out: MetricsEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as MetricsEntry;
      if (e && typeof e.step === 'number') out.push(e);
    } catch {
      // A line cut short by a kill: skipped (a resume drops it too).
    }
  }
  return out;
}

function objectOr(v: JsonValue | undefined): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function numberOr(v: JsonValue | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
