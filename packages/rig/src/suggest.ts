/** Levenshtein edit distance (insert, delete, substitute; each costs 1). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidates closest to `name`, best first: those containing it (or contained in it, ignoring case
 * and `-_ ` separators) and those within an edit distance of about a third of its length.
 */
export function closestNames(name: string, candidates: Iterable<string>, max = 3): string[] {
  const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const n = norm(name);
  const limit = Math.max(2, Math.floor(n.length / 3));
  const scored: { name: string; score: number }[] = [];
  for (const c of candidates) {
    const m = norm(c);
    const d = editDistance(n, m);
    const contains = n.length > 0 && m.length > 0 && (m.includes(n) || n.includes(m));
    if (d <= limit || contains) scored.push({ name: c, score: contains ? Math.min(d, 1) : d });
  }
  scored.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  return scored.slice(0, max).map((s) => s.name);
}

/** ` (did you mean 'a', 'b'?)` or the empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const close = closestNames(name, candidates);
  return close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(', ')}?)` : '';
}
