import type { ProgressMode } from './config.js';

/** Where progress goes: `process.stdout` or anything with `write` (and `isTTY`/`columns` for a bar). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressState {
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: number;
  readonly lr: number;
  readonly samplesPerSec: number;
  /** Seconds to the end (by steps or time budget, whichever comes first); NaN when unknown. */
  readonly etaSec: number;
}

/**
 * Training progress: on a TTY a one-line bar redrawn in place (at most 10×/s) with samples/s, ETA and
 * loss; otherwise (CI, pipes) a plain line per log interval. Messages (validation, checkpoints) are
 * always whole lines.
 */
export class ProgressReporter {
  private readonly bar: boolean;
  private readonly silent: boolean;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    mode: ProgressMode = 'auto',
  ) {
    this.silent = mode === 'none';
    this.bar = mode === 'bar' || (mode === 'auto' && stream.isTTY === true);
  }

  /** Every step: redraws the bar (TTY mode). */
  tick(state: ProgressState): void {
    if (!this.bar || this.silent) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && state.step < state.totalSteps) return;
    this.lastDraw = now;
    const width = this.width();
    const stats = `${state.step}/${state.totalSteps} ${formatStats(state)}`;
    // The numbers matter more than the bar: on a narrow terminal the bar goes first.
    const barWidth = Math.min(30, width - stats.length - 3);
    const filled = Math.round(Math.min(1, state.step / state.totalSteps) * barWidth);
    const line = barWidth >= 5 ? `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${stats}` : stats;
    this.stream.write(`\r${line.slice(0, width).padEnd(width)}`);
    this.drawn = true;
  }

  /** Every log interval: a plain line (non-TTY mode). */
  log(state: ProgressState): void {
    if (this.bar || this.silent) return;
    this.stream.write(`step ${state.step}/${state.totalSteps} ${formatStats(state)}\n`);
  }

  /** A whole message line (clears the bar first). */
  message(text: string): void {
    if (this.silent) return;
    this.clear();
    this.stream.write(`${text}\n`);
  }

  /** Ends the bar's line. */
  done(): void {
    if (this.bar && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  private width(): number {
    const c = this.stream.columns;
    return c !== undefined && c >= 20 ? c - 1 : 99;
  }

  private clear(): void {
    if (this.bar && this.drawn) {
      this.stream.write(`\r${' '.repeat(this.width())}\r`);
      this.drawn = false;
    }
  }
}

function formatStats(s: ProgressState): string {
  return (
    `loss ${formatNumber(s.loss)} lr ${s.lr.toExponential(2)} ` +
    `${s.samplesPerSec.toFixed(1)} samples/s ETA ${formatDuration(s.etaSec)}`
  );
}

function formatNumber(x: number): string {
  return Number.isFinite(x) ? (Math.abs(x) >= 0.01 ? x.toFixed(4) : x.toExponential(3)) : String(x);
}

/** 3h04m, 5m12s, 42s; '?' when unknown. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '?';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
