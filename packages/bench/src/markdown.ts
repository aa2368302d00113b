/**
 * Number formatting and markdown tables of the benchmark reports (scripts/benchmarks.mjs and the
 * study scripts beside it), one definition for all of them.
 */

/** A finite number to `digits` decimals, else an em dash (a missing or undefined metric). */
export function fx(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

/** A value in dataset units (PA-MPJPE): 4 significant digits, else an em dash. */
export function fu(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : String(Number(v.toPrecision(4)));
}

/** The first words of a dataset's units text ("mm (millimetres; …)" → "mm"). */
export function shortUnits(units: string | undefined): string {
  return (units ?? '').split(/[(;,]| of /)[0]!.trim();
}

/** Column alignment of `table`: 'l' = the default, 'r' = right-aligned (`---:`). */
export type ColumnAlign = 'l' | 'r';

/** A GitHub markdown table; `align` gives each column's alignment (default all 'l'). */
export function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly ColumnAlign[],
): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (align?.[i] === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** The mean of the finite numbers of `xs` (others ignored), or null when there is none. */
export function mean(xs: readonly (number | null | undefined)[]): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
}

/** The upper median (the element at ⌊n/2⌋ of the sorted values); 0 for none. */
export function upperMedian(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The row of `report` for the dataset `name`, if the report has one. */
export function rowOf<Row extends { readonly name: string }>(
  report: { readonly datasets: readonly Row[] } | null | undefined,
  name: string,
): Row | undefined {
  return report?.datasets?.find((d) => d.name === name);
}
