/**
 * Why a training loop (`train`, `adapt`) stops before its next step: its signal was aborted, its time
 * budget (`deadlineMs`, a `Date.now()` time) is spent, or undefined: go on. The signal is checked first.
 */
export function stopReason(
  signal: AbortSignal | undefined,
  deadlineMs: number,
): 'signal' | 'time' | undefined {
  if (signal?.aborted) return 'signal';
  if (Date.now() >= deadlineMs) return 'time';
  return undefined;
}

/**
 * How a run's last line names why it ended: 'done', 'time budget (M min)', 'stopped' (a signal) or
 * 'validation plateau' (`valPatience`).
 */
export function stopWords(
  stoppedBy: 'steps' | 'time' | 'signal' | 'plateau',
  maxMinutes: number | undefined,
): string {
  if (stoppedBy === 'steps') return 'done';
  if (stoppedBy === 'plateau') return 'validation plateau';
  return stoppedBy === 'time' ? `time budget (${maxMinutes} min)` : 'stopped';
}
