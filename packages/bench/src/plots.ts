import { eigSym3, InputError, nd } from '@lfm/core';
import { alignSimilarity, applySimilarity } from '@lfm/procrustes';

/**
 * Dependency-free SVG figures for evaluation reports (docs/BENCHMARKS.md): grouped bar charts, line
 * charts and 3D skeleton renders (prediction vs ground truth). The output is a complete SVG document,
 * deterministic for the same input (no dates, no random ids), so regenerated files diff cleanly.
 */

/** A categorical palette (Tableau 10): series i gets PALETTE[i % 10]. */
export const PALETTE: readonly string[] = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/** One bar per category; null = not measured (no bar, a small "–" mark). */
export interface BarSeries {
  readonly name: string;
  readonly values: readonly (number | null)[];
  readonly color?: string;
}

export interface BarChartOptions {
  readonly title: string;
  /** The groups along x (e.g. datasets). */
  readonly categories: readonly string[];
  readonly series: readonly BarSeries[];
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
  /** Clip bars above this value (marked with an arrow and their value); default: the data's maximum. */
  readonly yMax?: number;
}

/** A grouped bar chart (one group per category, one bar per series). */
export function barChartSvg(o: BarChartOptions): string {
  for (const s of o.series) {
    if (s.values.length !== o.categories.length) {
      throw new InputError(
        `series '${s.name}' has ${s.values.length} values for ${o.categories.length} categories`,
      );
    }
  }
  const W = o.width ?? Math.max(640, 60 + o.categories.length * (12 * o.series.length + 18));
  const H = o.height ?? 420;
  const longest = Math.max(0, ...o.categories.map((c) => c.length));
  const rows = legendLayout(o.series, 64, 0, W - 16).reduce((n, at) => Math.max(n, at.y / LEGEND_ROW + 1), 1);
  const m = { left: 64, right: 16, top: 44 + LEGEND_ROW * rows, bottom: Math.min(200, 24 + longest * 5.6) };
  const values = o.series
    .flatMap((s) => s.values)
    .filter((v): v is number => v !== null && Number.isFinite(v));
  const dataMax = Math.max(0, ...values);
  const ticks = niceTicks(0, o.yMax ?? (dataMax > 0 ? dataMax : 1), 6);
  const top = ticks[ticks.length - 1]!;
  const plotW = W - m.left - m.right;
  const plotH = H - m.top - m.bottom;
  const y = (v: number) => m.top + plotH * (1 - Math.min(v, top) / top);
  const groupW = plotW / Math.max(1, o.categories.length);
  const barW = Math.max(2, (groupW * 0.8) / Math.max(1, o.series.length));
  const out = svgOpen(W, H, o.title);
  out.push(...yAxis(ticks, y, m.left, W - m.right, o.yLabel, m.top + plotH / 2));
  o.categories.forEach((cat, i) => {
    const x0 = m.left + i * groupW + groupW * 0.1;
    o.series.forEach((s, k) => {
      const v = s.values[i];
      const x = x0 + k * barW;
      const color = s.color ?? PALETTE[k % PALETTE.length]!;
      if (v === null || v === undefined || !Number.isFinite(v)) {
        out.push(line(x + barW * 0.2, y(0) - 2, x + barW * 0.8, y(0) - 2, '#999', 1));
        return;
      }
      const h = y(0) - y(v);
      out.push(
        `<rect x="${f(x)}" y="${f(y(v))}" width="${f(barW * 0.92)}" height="${f(h)}" fill="${color}"><title>${esc(`${s.name} · ${cat}: ${fmtNum(v)}`)}</title></rect>`,
      );
      if (v > top) out.push(text(x + barW / 2, m.top - 3, `↑${fmtNum(v)}`, { size: 9, anchor: 'middle' }));
    });
    const cx = m.left + (i + 0.5) * groupW;
    out.push(
      `<text x="${f(cx)}" y="${f(y(0) + 10)}" font-size="11" text-anchor="end" transform="rotate(-40 ${f(cx)} ${f(y(0) + 10)})">${esc(cat)}</text>`,
    );
  });
  out.push(line(m.left, y(0), W - m.right, y(0), '#333', 1));
  out.push(
    ...legend(
      o.series.map((s, k) => ({ name: s.name, color: s.color ?? PALETTE[k % PALETTE.length]! })),
      m.left,
      36,
      W - m.right,
    ),
  );
  out.push('</svg>\n');
  return out.join('\n');
}

/** A line: (x, y) points, y null = a gap. */
export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number | null])[];
  readonly color?: string;
  readonly dashed?: boolean;
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  readonly width?: number;
  readonly height?: number;
}

/** A line chart with markers (linear axes, y from 0). */
export function lineChartSvg(o: LineChartOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 400;
  const m = { left: 64, right: 170, top: 40, bottom: 48 };
  const pts = o.series.flatMap((s) => s.points).filter((p) => p[1] !== null && Number.isFinite(p[1]));
  const xs = pts.map((p) => p[0]);
  const xTicks = niceTicks(Math.min(0, ...xs), xs.length > 0 ? Math.max(...xs) : 1, 6);
  const yTicks = niceTicks(0, Math.max(1e-12, ...pts.map((p) => p[1] as number)), 6);
  const x0 = xTicks[0]!;
  const x1 = xTicks[xTicks.length - 1]!;
  const yTop = yTicks[yTicks.length - 1]!;
  const plotW = W - m.left - m.right;
  const plotH = H - m.top - m.bottom;
  const x = (v: number) => m.left + (plotW * (v - x0)) / (x1 - x0 || 1);
  const y = (v: number) => m.top + plotH * (1 - v / yTop);
  const out = svgOpen(W, H, o.title);
  out.push(...yAxis(yTicks, y, m.left, W - m.right, o.yLabel, m.top + plotH / 2));
  for (const t of xTicks) {
    out.push(line(x(t), y(0), x(t), y(0) + 4, '#333', 1));
    out.push(text(x(t), y(0) + 16, fmtNum(t), { size: 11, anchor: 'middle' }));
  }
  out.push(text(m.left + plotW / 2, H - 8, o.xLabel, { size: 12, anchor: 'middle' }));
  out.push(line(m.left, y(0), W - m.right, y(0), '#333', 1));
  o.series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length]!;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    let d = '';
    let pen = false;
    for (const [px, py] of s.points) {
      if (py === null || !Number.isFinite(py)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${f(x(px))} ${f(y(py))} `;
      pen = true;
    }
    if (d) out.push(`<path d="${d.trim()}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    for (const [px, py] of s.points) {
      if (py === null || !Number.isFinite(py)) continue;
      out.push(
        `<circle cx="${f(x(px))}" cy="${f(y(py))}" r="3" fill="${color}"><title>${esc(`${s.name}: ${fmtNum(px)} → ${fmtNum(py)}`)}</title></circle>`,
      );
    }
  });
  const items = o.series.map((s, k) => ({
    name: s.name,
    color: s.color ?? PALETTE[k % PALETTE.length]!,
    dashed: s.dashed ?? false,
  }));
  items.forEach((it, i) => {
    const ly = m.top + 6 + i * 16;
    const lx = W - m.right + 12;
    out.push(
      `<line x1="${f(lx)}" y1="${f(ly)}" x2="${f(lx + 22)}" y2="${f(ly)}" stroke="${it.color}" stroke-width="2"${it.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    out.push(text(lx + 28, ly + 4, it.name, { size: 11 }));
  });
  out.push('</svg>\n');
  return out.join('\n');
}

export interface SkeletonSvgOptions {
  readonly title: string;
  /** [J, 3] ground truth (any units). */
  readonly groundTruth: ArrayLike<number>;
  /** [J, 3] prediction (any similarity frame: it is aligned to the ground truth first). */
  readonly prediction: ArrayLike<number>;
  /** [J] 1 = drawn and used for the alignment (default all). */
  readonly mask?: ArrayLike<number>;
  /** Bones [i, j]; none = each joint joined to its 2 nearest neighbours in the ground truth (thin). */
  readonly edges?: readonly (readonly [number, number])[];
  /** The ground truth's up direction (drawn vertical), when known; otherwise its principal axes are used. */
  readonly up?: readonly [number, number, number];
  /** Panel size in px (two panels side by side). Default 300. */
  readonly size?: number;
  /** Extra line under the title (e.g. the sample's error). */
  readonly subtitle?: string;
}

/**
 * The prediction against the ground truth, both orthographic, in two views 90° apart: the prediction
 * is aligned to the ground truth by similarity Procrustes (rotation det +1, scale, translation) over
 * the visible joints — what PA-MPJPE measures. Vertical = `up` when given, else the ground truth's
 * first principal axis; the horizontal axes of the two views are the remaining principal directions.
 */
export function skeletonSvg(o: SkeletonSvgOptions): string {
  const J = o.groundTruth.length / 3;
  if (!Number.isInteger(J) || o.prediction.length !== 3 * J) {
    throw new InputError(
      `groundTruth and prediction must both be [J, 3]; got ${o.groundTruth.length} and ${o.prediction.length} values`,
    );
  }
  const mask = Float64Array.from({ length: J }, (_, j) => (o.mask ? (o.mask[j] === 1 ? 1 : 0) : 1));
  const gt = Float64Array.from(o.groundTruth);
  const pred = Float64Array.from(o.prediction);
  const aligned = alignPrediction(pred, gt, mask, J);
  const [vertical, h1, h2] = viewAxes(gt, mask, J, o.up);
  const edges = o.edges && o.edges.length > 0 ? o.edges : nearestNeighbourEdges(gt, mask, J, 2);
  const thin = !(o.edges && o.edges.length > 0);
  const S = o.size ?? 300;
  const W = 2 * S + 30;
  const head = o.subtitle ? 52 : 36;
  const H = S + head + 28;
  const out = svgOpen(W, H, o.title);
  if (o.subtitle) out.push(text(12, 40, o.subtitle, { size: 11, fill: '#555' }));
  // One scale for both views and both shapes.
  let extent = 1e-12;
  const project = (p: Float64Array, j: number, h: Float64Array): [number, number] => [
    dot(p, 3 * j, h),
    dot(p, 3 * j, vertical),
  ];
  const centre = maskedCentroid(gt, mask, J);
  const cg = Float64Array.from(gt, (v, i) => v - centre[i % 3]!);
  const cp = Float64Array.from(aligned, (v, i) => v - centre[i % 3]!);
  for (const h of [h1, h2]) {
    for (const p of [cg, cp]) {
      for (let j = 0; j < J; j++) {
        if (mask[j] !== 1) continue;
        const [a, b] = project(p, j, h);
        extent = Math.max(extent, Math.abs(a), Math.abs(b));
      }
    }
  }
  const scale = (S / 2 - 16) / extent;
  [h1, h2].forEach((h, v) => {
    const ox = 10 + v * (S + 10) + S / 2;
    const oy = head + S / 2;
    out.push(
      `<rect x="${f(10 + v * (S + 10))}" y="${head}" width="${S}" height="${S}" fill="#fafafa" stroke="#ddd"/>`,
    );
    out.push(
      text(14 + v * (S + 10), head + 14, v === 0 ? 'view 1' : 'view 2 (90° about vertical)', {
        size: 10,
        fill: '#777',
      }),
    );
    const P = (p: Float64Array, j: number) => {
      const [a, b] = project(p, j, h);
      return [ox + a * scale, oy - b * scale] as const;
    };
    for (const [p, color, width] of [
      [cg, '#333333', thin ? 1 : 2.5],
      [cp, '#e15759', thin ? 1 : 2],
    ] as const) {
      for (const [i, j] of edges) {
        if (mask[i] !== 1 || mask[j] !== 1) continue;
        const [xa, ya] = P(p, i);
        const [xb, yb] = P(p, j);
        out.push(line(xa, ya, xb, yb, color, width, p === cp ? 0.85 : 0.7));
      }
      for (let j = 0; j < J; j++) {
        if (mask[j] !== 1) continue;
        const [xa, ya] = P(p, j);
        out.push(`<circle cx="${f(xa)}" cy="${f(ya)}" r="${p === cp ? 2.2 : 2.6}" fill="${color}"/>`);
      }
    }
  });
  out.push(
    ...legend(
      [
        { name: 'ground truth', color: '#333333' },
        { name: 'prediction (Procrustes-aligned)', color: '#e15759' },
      ],
      12,
      H - 12,
    ),
  );
  out.push('</svg>\n');
  return out.join('\n');
}

/** The prediction mapped onto the ground truth by similarity Procrustes over the masked joints. */
function alignPrediction(pred: Float64Array, gt: Float64Array, mask: Float64Array, J: number): Float64Array {
  try {
    const a = alignSimilarity(nd(pred, [1, J, 3]), nd(gt, [1, J, 3]), { weights: nd(mask, [1, J]) });
    return applySimilarity(a, nd(pred, [1, J, 3])).data;
  } catch {
    return pred; // degenerate prediction: drawn as is
  }
}

/** The mean of the [J, 3] points whose mask is 1 (the origin when none is). */
function maskedCentroid(points: Float64Array, mask: Float64Array, J: number): [number, number, number] {
  const c: [number, number, number] = [0, 0, 0];
  let n = 0;
  for (let j = 0; j < J; j++) {
    if (mask[j] !== 1) continue;
    for (let k = 0; k < 3; k++) c[k]! += points[3 * j + k]!;
    n++;
  }
  for (let k = 0; k < 3; k++) c[k]! /= Math.max(1, n);
  return c;
}

/** [vertical, horizontal of view 1, horizontal of view 2], orthonormal. */
function viewAxes(
  gt: Float64Array,
  mask: Float64Array,
  J: number,
  up: readonly [number, number, number] | undefined,
): [Float64Array, Float64Array, Float64Array] {
  const c = maskedCentroid(gt, mask, J);
  const cov = new Float64Array(9);
  for (let j = 0; j < J; j++) {
    if (mask[j] !== 1) continue;
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) cov[3 * a + b]! += (gt[3 * j + a]! - c[a]!) * (gt[3 * j + b]! - c[b]!);
  }
  const values = new Float64Array(3);
  const vectors = new Float64Array(9);
  eigSym3(cov, values, vectors);
  const axis = (k: number) => Float64Array.of(vectors[k]!, vectors[3 + k]!, vectors[6 + k]!);
  if (up === undefined) {
    const v = axis(0);
    const a = axis(1);
    return [v, a, cross(v, a)];
  }
  const u = normalize(Float64Array.from(up));
  // The principal direction of largest spread orthogonal to `up`.
  let best: Float64Array | undefined;
  for (let k = 0; k < 3; k++) {
    const e = axis(k);
    const d = dot(e, 0, u);
    const p = Float64Array.of(e[0]! - d * u[0]!, e[1]! - d * u[1]!, e[2]! - d * u[2]!);
    if (Math.hypot(p[0]!, p[1]!, p[2]!) > 0.3) {
      best = normalize(p);
      break;
    }
  }
  best ??= normalize(cross(u, Math.abs(u[0]!) < 0.9 ? Float64Array.of(1, 0, 0) : Float64Array.of(0, 1, 0)));
  return [u, best, cross(u, best)];
}

function nearestNeighbourEdges(
  gt: Float64Array,
  mask: Float64Array,
  J: number,
  k: number,
): [number, number][] {
  const seen = new Set<string>();
  const edges: [number, number][] = [];
  for (let i = 0; i < J; i++) {
    if (mask[i] !== 1) continue;
    const d: [number, number][] = [];
    for (let j = 0; j < J; j++) {
      if (j === i || mask[j] !== 1) continue;
      let s = 0;
      for (let c = 0; c < 3; c++) s += (gt[3 * i + c]! - gt[3 * j + c]!) ** 2;
      d.push([s, j]);
    }
    d.sort((a, b) => a[0] - b[0]);
    for (const [, j] of d.slice(0, k)) {
      const key = i < j ? `${i},${j}` : `${j},${i}`;
      if (seen.has(key)) continue;
      seen.add(key);
      edges.push([i, j]);
    }
  }
  return edges;
}

function dot(p: ArrayLike<number>, o: number, v: ArrayLike<number>): number {
  return p[o]! * v[0]! + p[o + 1]! * v[1]! + p[o + 2]! * v[2]!;
}

function cross(a: Float64Array, b: Float64Array): Float64Array {
  return Float64Array.of(
    a[1]! * b[2]! - a[2]! * b[1]!,
    a[2]! * b[0]! - a[0]! * b[2]!,
    a[0]! * b[1]! - a[1]! * b[0]!,
  );
}

function normalize(v: Float64Array): Float64Array {
  const n = Math.hypot(v[0]!, v[1]!, v[2]!);
  if (!(n > 0)) throw new InputError('the up direction must be a non-zero vector');
  return v.map((x) => x / n);
}

/**
 * About `count` round tick values covering [lo, hi] (steps of 1, 2, 2.5 or 5 × 10^k): the first tick
 * ≤ lo, the last ≥ hi.
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi)))
    throw new InputError(`ticks need finite bounds, got ${lo}, ${hi}`);
  if (hi <= lo) hi = lo + (Math.abs(lo) || 1);
  const raw = (hi - lo) / Math.max(1, count - 1);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * p).find((s) => s >= raw)!;
  const first = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let t = first; t < hi + step - step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1]! < hi) ticks.push(Number((first + ticks.length * step).toPrecision(12)));
  return ticks;
}

/** Text-safe for SVG/XML. */
export function escapeXml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

const esc = escapeXml;

function f(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0';
}

function fmtNum(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return String(Number(v.toPrecision(3)));
  return String(Number(v.toPrecision(2)));
}

function svgOpen(W: number, H: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    text(12, 22, title, { size: 15, weight: 'bold' }),
  ];
}

function yAxis(
  ticks: readonly number[],
  y: (v: number) => number,
  x0: number,
  x1: number,
  label: string,
  mid: number,
): string[] {
  const out: string[] = [];
  for (const t of ticks) {
    out.push(line(x0, y(t), x1, y(t), '#e5e5e5', 1));
    out.push(text(x0 - 6, y(t) + 4, fmtNum(t), { size: 11, anchor: 'end' }));
  }
  out.push(
    `<text x="16" y="${f(mid)}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${f(mid)})">${esc(label)}</text>`,
  );
  return out;
}

const LEGEND_ROW = 15;

/** Legend items laid out left to right from (x, y), wrapping before `maxX`: the position of each. */
function legendLayout(
  items: readonly { name: string }[],
  x: number,
  y: number,
  maxX: number,
): { x: number; y: number }[] {
  let cx = x;
  let cy = y;
  return items.map((it) => {
    const w = 24 + it.name.length * 6.8;
    if (cx > x && cx + w > maxX) {
      cx = x;
      cy += LEGEND_ROW;
    }
    const at = { x: cx, y: cy };
    cx += w;
    return at;
  });
}

function legend(
  items: readonly { name: string; color: string }[],
  x: number,
  y: number,
  maxX = Infinity,
): string[] {
  const out: string[] = [];
  legendLayout(items, x, y, maxX).forEach((at, i) => {
    const it = items[i]!;
    out.push(`<rect x="${f(at.x)}" y="${f(at.y - 9)}" width="10" height="10" fill="${it.color}"/>`);
    out.push(text(at.x + 14, at.y, it.name, { size: 11 }));
  });
  return out;
}

function line(
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  color: string,
  width: number,
  opacity = 1,
): string {
  const op = opacity < 1 ? ` stroke-opacity="${opacity}"` : '';
  return `<line x1="${f(x1)}" y1="${f(y1)}" x2="${f(x2)}" y2="${f(y2)}" stroke="${color}" stroke-width="${width}"${op}/>`;
}

function text(
  x: number,
  y: number,
  s: string,
  o: { size: number; anchor?: 'start' | 'middle' | 'end'; weight?: string; fill?: string },
): string {
  const a = o.anchor && o.anchor !== 'start' ? ` text-anchor="${o.anchor}"` : '';
  const w = o.weight ? ` font-weight="${o.weight}"` : '';
  const fill = o.fill ? ` fill="${o.fill}"` : '';
  return `<text x="${f(x)}" y="${f(y)}" font-size="${o.size}"${a}${w}${fill}>${esc(s)}</text>`;
}
