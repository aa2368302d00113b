import { describe, expect, it } from 'vitest';
import { stopReason, stopWords } from './stop.js';

describe('stopReason', () => {
  it('an aborted signal stops first, then a spent time budget; otherwise the loop goes on', () => {
    const aborted = new AbortController();
    aborted.abort();
    const live = new AbortController().signal;
    const past = Date.now() - 1;
    const future = Date.now() + 60_000;
    expect(stopReason(aborted.signal, past)).toBe('signal');
    expect(stopReason(aborted.signal, future)).toBe('signal');
    expect(stopReason(live, past)).toBe('time');
    expect(stopReason(undefined, past)).toBe('time');
    expect(stopReason(live, future)).toBeUndefined();
    expect(stopReason(undefined, Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('stopWords names the reason of the last line', () => {
    expect(stopWords('steps', 5)).toBe('done');
    expect(stopWords('time', 0.5)).toBe('time budget (0.5 min)');
    expect(stopWords('signal', 5)).toBe('stopped');
  });
});
