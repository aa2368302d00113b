import type { JsonValue } from '@lfm/model';
import { ADAPT_TERMS, type AdaptLosses, type AdaptTerm } from './adapt-types.js';

/** The running means and log lines of `adapt`'s losses. */

interface Window {
  n: number;
  sums: Record<string, number>;
  counts: Record<string, number>;
}
export const emptyWindow = (): Window => ({ n: 0, sums: {}, counts: {} });
export function accumulate(w: Window, l: AdaptLosses): void {
  w.n++;
  for (const [key, v] of Object.entries(l)) {
    if (v === null) continue;
    w.sums[key] = (w.sums[key] ?? 0) + v;
    w.counts[key] = (w.counts[key] ?? 0) + 1;
  }
}
export function meanWindow(w: Window): AdaptLosses {
  const mean = (key: string) => (w.counts[key] ? w.sums[key]! / w.counts[key]! : null);
  return {
    total: mean('total') ?? Number.NaN,
    ...(Object.fromEntries(ADAPT_TERMS.map((t) => [t, mean(t)])) as Record<AdaptTerm, number | null>),
  };
}
export function emptyLosses(): AdaptLosses {
  return {
    total: Number.NaN,
    ...(Object.fromEntries(ADAPT_TERMS.map((t) => [t, null])) as Record<AdaptTerm, null>),
  };
}
export function losses2json(l: AdaptLosses): JsonValue {
  return Object.fromEntries(
    Object.entries(l).map(([key, v]) => [key, v === null || !Number.isFinite(v) ? null : v]),
  );
}
export function termsLine(l: AdaptLosses): string {
  return ADAPT_TERMS.filter((t) => l[t] !== null)
    .map((t) => `${t} ${fmt(l[t]!)}`)
    .join(', ');
}
export function fmt(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(4) : String(x);
}
