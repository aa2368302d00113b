/**
 * A small orbit/zoom renderer for a 3D skeleton on a 2D canvas: perspective projection of points and
 * bones, painter's order, depth shading, the recovered camera as a frustum and an axis gizmo. The math
 * (no DOM) is exported for tests.
 */

/** 3 × 3 matrix, row-major. */
export type Mat3 = readonly [number, number, number, number, number, number, number, number, number];
export type Vec3 = readonly [number, number, number];

export const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function mul(a: Mat3, b: Mat3): Mat3 {
  const o: number[] = [];
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      o.push(a[3 * i]! * b[j]! + a[3 * i + 1]! * b[3 + j]! + a[3 * i + 2]! * b[6 + j]!);
  return o as unknown as Mat3;
}

export function apply(m: Mat3, v: Vec3): Vec3 {
  return [
    m[0] * v[0] + m[1] * v[1] + m[2] * v[2],
    m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
    m[6] * v[0] + m[7] * v[1] + m[8] * v[2],
  ];
}

/** Rotation about the x axis (rows). */
export function rotX(t: number): Mat3 {
  const c = Math.cos(t);
  const s = Math.sin(t);
  return [1, 0, 0, 0, c, -s, 0, s, c];
}

/** Rotation about the y axis (rows). */
export function rotY(t: number): Mat3 {
  const c = Math.cos(t);
  const s = Math.sin(t);
  return [c, 0, s, 0, 1, 0, -s, 0, c];
}

/** Gram–Schmidt on the rows, so repeated drags never drift off SO(3). */
export function orthonormalize(m: Mat3): Mat3 {
  const norm = (v: Vec3): Vec3 => {
    const l = Math.hypot(v[0], v[1], v[2]) || 1;
    return [v[0] / l, v[1] / l, v[2] / l];
  };
  const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const r0 = norm([m[0], m[1], m[2]]);
  const r1raw: Vec3 = [m[3], m[4], m[5]];
  const d = dot(r0, r1raw);
  const r1 = norm([r1raw[0] - d * r0[0], r1raw[1] - d * r0[1], r1raw[2] - d * r0[2]]);
  const r2: Vec3 = [
    r0[1] * r1[2] - r0[2] * r1[1],
    r0[2] * r1[0] - r0[0] * r1[2],
    r0[0] * r1[1] - r0[1] * r1[0],
  ];
  return [...r0, ...r1, ...r2] as unknown as Mat3;
}

/** Rows of a `[[…], […], […]]` matrix (the runtime's camera R). */
export function fromRows(R: readonly (readonly number[])[]): Mat3 {
  return orthonormalize(R.flat() as unknown as Mat3);
}

/**
 * The view: `rotation` maps canonical coordinates to the view frame (x right, y down, z away from the
 * viewer — the camera-frame convention of the runtime, so the recovered camera's R shows the shape
 * as in the input image); `zoom` scales the viewing distance.
 */
export interface Orbit {
  readonly rotation: Mat3;
  readonly zoom: number;
}

export const ORBIT_SPEED = 0.01; // radians per pixel

/** Dragging right turns the front of the shape to the right, dragging down turns it down. */
export function orbitDrag(o: Orbit, dx: number, dy: number): Orbit {
  const r = mul(rotX(dy * ORBIT_SPEED), mul(rotY(-dx * ORBIT_SPEED), o.rotation));
  return { rotation: orthonormalize(r), zoom: o.zoom };
}

/** Wheel: positive deltaY (scroll down) moves away. */
export function orbitZoom(o: Orbit, deltaY: number): Orbit {
  const zoom = Math.min(8, Math.max(0.35, o.zoom * Math.exp(deltaY * 0.0015)));
  return { rotation: o.rotation, zoom };
}

/** Centre and radius (largest distance from the centroid) of the present points. */
export function frameOf(points: readonly (Vec3 | null)[]): { center: Vec3; radius: number } {
  let n = 0;
  const c = [0, 0, 0];
  for (const p of points) {
    if (!p) continue;
    n++;
    c[0]! += p[0];
    c[1]! += p[1];
    c[2]! += p[2];
  }
  const center: Vec3 = n ? [c[0]! / n, c[1]! / n, c[2]! / n] : [0, 0, 0];
  let radius = 0;
  for (const p of points) {
    if (p) radius = Math.max(radius, Math.hypot(p[0] - center[0], p[1] - center[1], p[2] - center[2]));
  }
  return { center, radius: radius > 1e-9 ? radius : 1 };
}

/** Viewing distance at zoom 1, in radii. */
export const BASE_DISTANCE = 3;

export interface Projected {
  readonly x: number;
  readonly y: number;
  /** Distance along the viewing axis (larger = farther). */
  readonly depth: number;
}

/** A perspective projector for a canvas of w × h pixels. Null for points behind the near plane. */
export function projector(
  o: Orbit,
  frame: { center: Vec3; radius: number },
  w: number,
  h: number,
): (p: Vec3) => Projected | null {
  const f = 1.15 * Math.min(w, h);
  const dist = BASE_DISTANCE * o.zoom;
  const { center, radius } = frame;
  return (p) => {
    const q = apply(o.rotation, [
      (p[0] - center[0]) / radius,
      (p[1] - center[1]) / radius,
      (p[2] - center[2]) / radius,
    ]);
    const depth = q[2] + dist;
    if (depth < 0.05) return null;
    return { x: w / 2 + (f * q[0]) / depth, y: h / 2 + (f * q[1]) / depth, depth };
  };
}

export interface Scene3D {
  readonly points: readonly (Vec3 | null)[];
  readonly bones: readonly (readonly [number, number])[];
  /** The recovered camera's rotation (camFromCanonical, rows), drawn as a frustum. */
  readonly camera?: Mat3 | undefined;
  /** The centre and radius to view (default: the points'); a player fixes it for the whole sequence. */
  readonly frame?: { readonly center: Vec3; readonly radius: number } | undefined;
  /** [N] r, g, b per point (default: yellow); a bone takes its first joint's colour (default: blue). */
  readonly colors?: readonly (readonly [number, number, number])[] | undefined;
}

export interface DrawOptions {
  readonly showCamera: boolean;
  /** CSS pixels per canvas pixel. */
  readonly dpr: number;
}

const BG = '#10141c';

/** Draws the scene; returns the projected points (null where missing or clipped). */
export function draw3d(
  ctx: CanvasRenderingContext2D,
  w: number,
  h: number,
  scene: Scene3D,
  o: Orbit,
  opts: DrawOptions,
): (Projected | null)[] {
  ctx.fillStyle = BG;
  ctx.fillRect(0, 0, w, h);
  const frame = scene.frame ?? frameOf(scene.points);
  const proj = projector(o, frame, w, h);
  const pts = scene.points.map((p) => (p ? proj(p) : null));
  const dist = BASE_DISTANCE * o.zoom;
  // Depth shading: 1 at the nearest possible point, 0.35 at the farthest.
  const shade = (depth: number) => {
    const t = (depth - (dist - 1)) / 2;
    return 1 - 0.65 * Math.min(1, Math.max(0, t));
  };
  const u = opts.dpr;

  type Item = { depth: number; draw: () => void };
  const items: Item[] = [];
  for (const [i, j] of scene.bones) {
    const a = pts[i];
    const b = pts[j];
    if (!a || !b) continue;
    const depth = (a.depth + b.depth) / 2;
    items.push({
      depth: depth + 1e-3, // a bone goes behind its joints
      draw: () => {
        const c = scene.colors?.[i];
        ctx.strokeStyle = `rgba(${c ? c.join(', ') : '79, 163, 255'}, ${((c ? 0.8 : 1) * shade(depth)).toFixed(3)})`;
        ctx.lineWidth = 3 * u;
        ctx.beginPath();
        ctx.moveTo(a.x, a.y);
        ctx.lineTo(b.x, b.y);
        ctx.stroke();
      },
    });
  }
  pts.forEach((p, i) => {
    if (!p) return;
    const c = scene.colors?.[i];
    items.push({
      depth: p.depth,
      draw: () => {
        const s = shade(p.depth);
        ctx.fillStyle = `rgba(${c ? c.join(', ') : '255, 204, 77'}, ${s.toFixed(3)})`;
        ctx.beginPath();
        ctx.arc(p.x, p.y, (2 + 3 * s) * u, 0, 2 * Math.PI);
        ctx.fill();
      },
    });
  });
  items.sort((a, b) => b.depth - a.depth);
  for (const it of items) it.draw();

  if (opts.showCamera && scene.camera && !alongCamera(o.rotation, scene.camera)) {
    drawCamera(ctx, scene.camera, frame, proj, u);
  }
  drawAxes(ctx, o.rotation, h, u);
  return pts;
}

/** True when the view looks (within ~15°) along the camera's axis: the frustum would only be clutter. */
export function alongCamera(view: Mat3, camera: Mat3): boolean {
  return view[6] * camera[6] + view[7] * camera[7] + view[8] * camera[8] > Math.cos((15 * Math.PI) / 180);
}

/**
 * The recovered camera in the canonical frame: its rows r1, r2, r3 are the camera's x (right), y (down)
 * and viewing direction, so it sits at centre − d·r3 and looks along r3.
 */
function drawCamera(
  ctx: CanvasRenderingContext2D,
  R: Mat3,
  frame: { center: Vec3; radius: number },
  proj: (p: Vec3) => Projected | null,
  u: number,
): void {
  const { center: c, radius: r } = frame;
  const r1: Vec3 = [R[0], R[1], R[2]];
  const r2: Vec3 = [R[3], R[4], R[5]];
  const r3: Vec3 = [R[6], R[7], R[8]];
  const at = (a: number, b: number, d: number): Vec3 => [
    c[0] + r * (a * r1[0] + b * r2[0] + d * r3[0]),
    c[1] + r * (a * r1[1] + b * r2[1] + d * r3[1]),
    c[2] + r * (a * r1[2] + b * r2[2] + d * r3[2]),
  ];
  const eye = at(0, 0, -2.2);
  const corners = [at(-0.3, -0.22, -1.7), at(0.3, -0.22, -1.7), at(0.3, 0.22, -1.7), at(-0.3, 0.22, -1.7)];
  const up = at(0, -0.36, -1.7);
  const segs: [Vec3, Vec3][] = [
    ...corners.map((k): [Vec3, Vec3] => [eye, k]),
    ...corners.map((k, i): [Vec3, Vec3] => [k, corners[(i + 1) % 4]!]),
    [corners[0]!, up],
    [up, corners[1]!],
  ];
  ctx.strokeStyle = 'rgba(130, 220, 140, 0.9)';
  ctx.lineWidth = 1.5 * u;
  ctx.beginPath();
  for (const [a, b] of segs) {
    const pa = proj(a);
    const pb = proj(b);
    if (!pa || !pb) continue;
    ctx.moveTo(pa.x, pa.y);
    ctx.lineTo(pb.x, pb.y);
  }
  ctx.stroke();
}

/** The canonical axes (x red, y green, z blue) as seen from the view, in the bottom-left corner. */
function drawAxes(ctx: CanvasRenderingContext2D, R: Mat3, h: number, u: number): void {
  const ox = 34 * u;
  const oy = h - 34 * u;
  const len = 22 * u;
  const axes: [Vec3, string, string][] = [
    [[1, 0, 0], '#ff6b6b', 'x'],
    [[0, 1, 0], '#7ee081', 'y'],
    [[0, 0, 1], '#6aa8ff', 'z'],
  ];
  ctx.font = `${11 * u}px system-ui, sans-serif`;
  ctx.lineWidth = 2 * u;
  for (const [e, color, label] of axes) {
    const v = apply(R, e);
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.moveTo(ox, oy);
    ctx.lineTo(ox + len * v[0], oy + len * v[1]);
    ctx.stroke();
    ctx.fillText(label, ox + (len + 7 * u) * v[0] - 3 * u, oy + (len + 7 * u) * v[1] + 4 * u);
  }
}
