/** The 2D input on a canvas: points and bones, fitted to the canvas with the image's y axis down. */

export interface Fit2D {
  readonly scale: number;
  readonly ox: number;
  readonly oy: number;
}

/** Uniform scale + offset putting the points' bounding box in a w × h canvas with a margin. */
export function fit2d(
  points: readonly ([number, number] | null)[],
  w: number,
  h: number,
  margin = 0.1,
): Fit2D {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    if (!p) continue;
    x0 = Math.min(x0, p[0]);
    x1 = Math.max(x1, p[0]);
    y0 = Math.min(y0, p[1]);
    y1 = Math.max(y1, p[1]);
  }
  if (!Number.isFinite(x0)) return { scale: 1, ox: 0, oy: 0 };
  const bw = Math.max(x1 - x0, 1e-9);
  const bh = Math.max(y1 - y0, 1e-9);
  const scale = Math.min((w * (1 - 2 * margin)) / bw, (h * (1 - 2 * margin)) / bh);
  return { scale, ox: w / 2 - scale * (x0 + bw / 2), oy: h / 2 - scale * (y0 + bh / 2) };
}

export function draw2d(
  ctx: CanvasRenderingContext2D,
  w: number,
  h: number,
  points: readonly ([number, number] | null)[],
  bones: readonly (readonly [number, number])[],
  dpr: number,
): void {
  ctx.fillStyle = '#10141c';
  ctx.fillRect(0, 0, w, h);
  const { scale, ox, oy } = fit2d(points, w, h);
  const at = (p: [number, number]) => [ox + scale * p[0], oy + scale * p[1]] as const;
  ctx.strokeStyle = 'rgba(79, 163, 255, 0.9)';
  ctx.lineWidth = 2.5 * dpr;
  ctx.beginPath();
  traceBones(ctx, points, bones, at);
  ctx.stroke();
  const labels = points.length <= 40;
  ctx.font = `${10 * dpr}px system-ui, sans-serif`;
  points.forEach((p, i) => {
    if (!p) return;
    const [x, y] = at(p);
    ctx.fillStyle = '#ffcc4d';
    ctx.beginPath();
    ctx.arc(x, y, 3.5 * dpr, 0, 2 * Math.PI);
    ctx.fill();
    if (labels) {
      ctx.fillStyle = 'rgba(220, 225, 235, 0.75)';
      ctx.fillText(String(i), x + 5 * dpr, y - 4 * dpr);
    }
  });
}

/** One track of a sequence frame, for `draw2dTracks`. */
export interface Track2D {
  readonly points: readonly ([number, number] | null)[];
  readonly bones: readonly (readonly [number, number])[];
  /** r, g, b. */
  readonly color: readonly [number, number, number];
}

/**
 * Several tracks in one image, each in its colour, with a fit fixed by the caller (a player fits the
 * whole sequence once, so the picture does not jump from frame to frame).
 */
export function draw2dTracks(
  ctx: CanvasRenderingContext2D,
  w: number,
  h: number,
  tracks: readonly Track2D[],
  fit: Fit2D,
  dpr: number,
): void {
  ctx.fillStyle = '#10141c';
  ctx.fillRect(0, 0, w, h);
  const { scale, ox, oy } = fit;
  const at = (p: [number, number]) => [ox + scale * p[0], oy + scale * p[1]] as const;
  for (const t of tracks) {
    const rgb = t.color.join(', ');
    ctx.strokeStyle = `rgba(${rgb}, 0.75)`;
    ctx.lineWidth = 2.5 * dpr;
    ctx.beginPath();
    traceBones(ctx, t.points, t.bones, at);
    ctx.stroke();
    ctx.fillStyle = `rgb(${rgb})`;
    for (const p of t.points) {
      if (!p) continue;
      const [x, y] = at(p);
      ctx.beginPath();
      ctx.arc(x, y, 3.5 * dpr, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}

/** Adds to ctx's path a segment per bone whose two points are present (`at`: image position). */
function traceBones(
  ctx: CanvasRenderingContext2D,
  points: readonly ([number, number] | null)[],
  bones: readonly (readonly [number, number])[],
  at: (p: [number, number]) => readonly [number, number],
): void {
  for (const [i, j] of bones) {
    const a = points[i];
    const b = points[j];
    if (!a || !b) continue;
    const [ax, ay] = at(a);
    const [bx, by] = at(b);
    ctx.moveTo(ax, ay);
    ctx.lineTo(bx, by);
  }
}
