import { Rng, randomRotation } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { barChartSvg, escapeXml, lineChartSvg, niceTicks, skeletonSvg } from './plots.js';

/** Every tag closed or self-closed, in order (enough to catch a broken writer; no XML parser needed). */
function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (close) {
      if (stack.pop() !== name) return false;
    } else stack.push(name!);
  }
  return stack.length === 0 && svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>');
}

const attr = (el: string, name: string) => Number(new RegExp(`${name}="([-0-9.]+)"`).exec(el)![1]);

describe('niceTicks', () => {
  it('covers the range with round steps', () => {
    expect(niceTicks(0, 1, 6)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 0.37, 5)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
    expect(niceTicks(0, 60, 7)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    const t = niceTicks(0, 123.4, 6);
    expect(t[0]).toBe(0);
    expect(t[t.length - 1]!).toBeGreaterThanOrEqual(123.4);
    expect(niceTicks(2, 2)).toEqual([2, 2.5, 3, 3.5, 4]);
  });
});

describe('barChartSvg', () => {
  it('draws one bar per value, heights proportional to the values, escapes text', () => {
    const svg = barChartSvg({
      title: 'nPA <per> dataset & "model"',
      categories: ['a', 'b', 'c'],
      series: [
        { name: 'LFM', values: [0.1, 0.2, null] },
        { name: 'mean', values: [0.3, 0.05, 0.4] },
      ],
      yLabel: 'nPA-MPJPE',
    });
    expect(wellFormed(svg)).toBe(true);
    expect(svg).toContain('nPA &lt;per&gt; dataset &amp; &quot;model&quot;');
    const bars = [
      ...svg.matchAll(/<rect x="[^"]+" y="[^"]+" width="[^"]+" height="[^"]+" fill="#[0-9a-f]+"><title>/g),
    ].map((m) => m[0]);
    expect(bars).toHaveLength(5); // one null
    const h = bars.map((b) => attr(b, 'height'));
    // LFM a (0.1) : mean a (0.3) : LFM b (0.2) = 1 : 3 : 2
    expect(h[1]! / h[0]!).toBeCloseTo(3, 1);
    expect(h[2]! / h[0]!).toBeCloseTo(2, 1);
    expect(svg).toContain('LFM · a: 0.1');
  });

  it('rejects a series of the wrong length', () => {
    expect(() =>
      barChartSvg({ title: 't', categories: ['a'], series: [{ name: 's', values: [1, 2] }], yLabel: '' }),
    ).toThrow(/2 values for 1 categories/);
  });
});

describe('lineChartSvg', () => {
  it('draws a path per series with a marker per point; null is a gap', () => {
    const svg = lineChartSvg({
      title: 'error vs occlusion',
      xLabel: 'fraction',
      yLabel: 'nPA',
      series: [
        {
          name: 'LFM',
          points: [
            [0, 0.1],
            [0.2, 0.15],
            [0.4, null],
            [0.6, 0.3],
          ],
        },
        {
          name: 'mean shape',
          points: [
            [0, 0.3],
            [0.6, 0.3],
          ],
          dashed: true,
        },
      ],
    });
    expect(wellFormed(svg)).toBe(true);
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]!);
    expect(paths).toHaveLength(2);
    expect(paths[0]!.match(/M/g)).toHaveLength(2); // the gap restarts the line
    expect(svg.match(/<circle /g)).toHaveLength(5);
    expect(svg).toContain('stroke-dasharray');
  });
});

describe('skeletonSvg', () => {
  const J = 6;
  const gt = Float64Array.of(0, 0, 0, 0, 1, 0, 0, 2, 0, 0.5, 1.5, 0.2, -0.5, 1.5, -0.1, 0.1, -1, 0.3);
  const edges: [number, number][] = [
    [0, 1],
    [1, 2],
    [1, 3],
    [1, 4],
    [0, 5],
  ];
  const circles = (svg: string) =>
    [...svg.matchAll(/<circle cx="([-0-9.]+)" cy="([-0-9.]+)" r="[0-9.]+" fill="(#[0-9a-f]+)"/g)].map(
      (m) => ({
        x: Number(m[1]),
        y: Number(m[2]),
        color: m[3]!,
      }),
    );

  it('aligns a rotated, scaled, moved prediction onto the ground truth (the two drawings coincide)', () => {
    const R = randomRotation(new Rng(4));
    const pred = new Float64Array(3 * J);
    for (let j = 0; j < J; j++) {
      for (let c = 0; c < 3; c++) {
        pred[3 * j + c] =
          7 * (R[3 * c]! * gt[3 * j]! + R[3 * c + 1]! * gt[3 * j + 1]! + R[3 * c + 2]! * gt[3 * j + 2]!) + 5;
      }
    }
    const svg = skeletonSvg({ title: 'toy', groundTruth: gt, prediction: pred, edges, up: [0, 1, 0] });
    expect(wellFormed(svg)).toBe(true);
    const pts = circles(svg);
    const g = pts.filter((p) => p.color === '#333333');
    const p = pts.filter((p) => p.color === '#e15759');
    expect(g).toHaveLength(2 * J);
    expect(p).toHaveLength(2 * J);
    for (let i = 0; i < g.length; i++) {
      expect(Math.abs(g[i]!.x - p[i]!.x)).toBeLessThan(0.05);
      expect(Math.abs(g[i]!.y - p[i]!.y)).toBeLessThan(0.05);
    }
    // up = +y: joint 2 (y = 2) is drawn above joint 0 (y = 0), and SVG y grows downwards.
    expect(g[2]!.y).toBeLessThan(g[0]!.y);
    expect(svg.match(/<line /g)!.length).toBeGreaterThanOrEqual(4 * edges.length);
  });

  it('skips masked joints and their bones; draws a kNN graph without bones', () => {
    const mask = [1, 1, 1, 1, 1, 0];
    const svg = skeletonSvg({ title: 't', groundTruth: gt, prediction: gt, mask, edges });
    expect(circles(svg)).toHaveLength(2 * 2 * 5);
    const noBones = skeletonSvg({ title: 't', groundTruth: gt, prediction: gt });
    expect(wellFormed(noBones)).toBe(true);
    expect(noBones.match(/<line /g)!.length).toBeGreaterThan(0);
    expect(() => skeletonSvg({ title: 't', groundTruth: gt, prediction: gt.subarray(3) })).toThrow(
      /\[J, 3\]/,
    );
  });
});

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a & 'b' "c">`)).toBe('&lt;a &amp; &apos;b&apos; &quot;c&quot;&gt;');
  });
});

describe('legends', () => {
  it('wrap inside the chart and push the plot down', () => {
    const series = Array.from({ length: 6 }, (_, k) => ({
      name: `a rather long series name ${k}`,
      values: [0.1 * (k + 1)],
    }));
    const svg = barChartSvg({ title: 't', categories: ['x'], series, yLabel: 'y', width: 640 });
    const keys = [...svg.matchAll(/<rect x="([-0-9.]+)" y="([-0-9.]+)" width="10" height="10"/g)].map(
      (m) => ({
        x: Number(m[1]),
        y: Number(m[2]),
      }),
    );
    expect(keys).toHaveLength(6);
    expect(new Set(keys.map((k) => k.y)).size).toBeGreaterThan(1); // more than one row
    for (const k of keys)
      expect(k.x + 24 + 'a rather long series name 0'.length * 6.8).toBeLessThanOrEqual(640);
    const lowestKey = Math.max(...keys.map((k) => k.y));
    const bars = [
      ...svg.matchAll(
        /<rect x="[^"]+" y="([-0-9.]+)" width="[^"]+" height="[^"]+" fill="#[0-9a-f]+"><title>/g,
      ),
    ];
    for (const b of bars) expect(Number(b[1])).toBeGreaterThan(lowestKey + 10);
  });
});
