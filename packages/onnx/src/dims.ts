import { type Dim, ShapeError } from '@lfm/core';

/**
 * Symbolic-dim rules, run beside core's concrete shape rules while tracing. A string dim depends on a
 * graph-boundary symbol (`'B'`, `'N'`, or a derived label like `'B*N'`); a number is fixed. The one
 * thing these rules must catch is a symbolic dim meeting a fixed size other than 1 — a broadcast, an
 * inner product, a concat or a reshape that would only work for the traced size — since such a graph
 * runs at the example size and fails (or silently misbehaves) at any other.
 */

const show = (dims: readonly Dim[]) => `[${dims.join(', ')}]`;

function baked(what: string, sym: string, size: number): never {
  throw new ShapeError(
    `${what}: symbolic dim '${sym}' (traced as ${size}) meets a fixed size ${size}, so the graph would only work ` +
      `for ${sym} = ${size}; derive sizes from '${sym}' by broadcasting or reshape 0/-1, never from shape()`,
  );
}

/** The dim two equal-sized dims agree on (inner product, concat side, layerNorm width). */
export function sameDim(what: string, a: Dim, b: Dim, size: number): Dim {
  if (a === b) return a;
  if (typeof a === 'string' && typeof b === 'string') return a; // equal at trace time; keep the first label
  if (typeof a === 'string') return baked(what, a, size);
  if (typeof b === 'string') return baked(what, b, size);
  return a;
}

/** Numpy broadcast of symbolic dims; `shape` is the concrete broadcast result (already checked). */
export function broadcastDims(
  what: string,
  a: readonly Dim[],
  b: readonly Dim[],
  shape: readonly number[],
): Dim[] {
  const rank = shape.length;
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else out.push(sameDim(`${what} ${show(a)} with ${show(b)}`, da, db, shape[i]!));
  }
  return out;
}

/** A product label `'B*N'` (symbols sorted, constant factor last), or a number when no symbol is left. */
function productLabel(symbols: string[], factor: number): Dim {
  if (symbols.length === 0) return factor;
  const s = [...symbols].sort().join('*');
  if (factor === 1) return s;
  return Number.isInteger(factor) ? `${s}*${factor}` : `${s}/${1 / factor}`;
}

/**
 * Dims of `reshape(x, target)`: `0` copies a dim (symbolic or not), `-1` takes what is left (a product
 * label when symbols are left over), positive sizes are fixed — and may not absorb a symbolic dim.
 */
export function reshapeDims(
  inDims: readonly Dim[],
  inShape: readonly number[],
  target: readonly number[],
  outShape: readonly number[],
): Dim[] {
  const left: string[] = [];
  let inFixed = 1;
  inDims.forEach((d, i) => {
    if (typeof d === 'string') left.push(d);
    else inFixed *= inShape[i]!;
  });
  let outFixed = 1;
  let infer = -1;
  const out: Dim[] = target.map((t, i) => {
    if (t === -1) {
      infer = i;
      return -1;
    }
    const d = t === 0 ? inDims[i]! : t;
    if (typeof d === 'string') {
      const k = left.indexOf(d);
      if (k >= 0) left.splice(k, 1);
    } else outFixed *= outShape[i]!;
    return d;
  });
  if (infer >= 0) out[infer] = productLabel(left, inFixed / outFixed);
  else if (left.length > 0) {
    const sizes = left.map((s) => `${s}`).join(', ');
    throw new ShapeError(
      `reshape ${show(inDims)} → [${target.join(', ')}] fixes the size of symbolic dim(s) ${sizes}: use 0 (copy) or ` +
        `-1 (infer) for the dims that depend on them`,
    );
  }
  return out;
}

/** Dim of a concatenation axis. */
export function concatDim(parts: readonly Dim[]): Dim {
  if (parts.every((p) => typeof p === 'number')) return (parts as number[]).reduce((a, b) => a + b, 0);
  return parts.join('+');
}

/**
 * Dim of `slice(x, axis, start, end)` on an axis of dim `d` (traced size `size`, result `[s, e)`).
 * On a symbolic axis the result is fixed when both ends are fixed offsets from the same side, else a
 * label such as `'N-1'`. Ends clamped at trace time (an end past the axis, a start before it) mean
 * "to the end" / "from the start" at every size.
 */
export function sliceDim(
  d: Dim,
  size: number,
  start: number,
  end: number | undefined,
  s: number,
  e: number,
): Dim {
  if (typeof d === 'number') return e - s;
  if (end !== undefined && end > size) end = undefined;
  if (start < -size) start = 0;
  const fromEnd = (i: number) => i < 0;
  if (end !== undefined && fromEnd(start) === fromEnd(end)) return e - s;
  if (end === undefined && fromEnd(start)) return e - s;
  if (start < 0) return `${(end ?? 0) - start}-${d}`; // from the end to a fixed index: shrinks as d grows
  // From a fixed index to (an offset from) the end.
  const cut = start - (end ?? 0);
  return cut === 0 ? d : `${d}-${cut}`;
}
