import './style.css';
import type { Keypoints2D } from '@lfm/datasets/preprocess';
import type { Lifter } from '@lfm/runtime/web';
import { loadShippedLifter, MODEL_URL } from './model.js';
import {
  buildRequest,
  describeGraph,
  detectRig,
  errorLine,
  type LiftRequest,
  type LiftResultJson,
  liftOptions,
  type RigChoice,
  readKeypointFile,
  resultJson,
  rigsWithJoints,
} from './pipeline.js';
import { draw2d } from './view2d.js';
import { draw3d, fromRows, IDENTITY, type Mat3, type Orbit, orbitDrag, orbitZoom } from './view3d.js';

/** The shipped examples (the repository's examples/*.json), bundled as text at build time. */
const EXAMPLES: Record<string, string> = Object.fromEntries(
  Object.entries(
    import.meta.glob<string>('../../../examples/*.json', { query: '?raw', import: 'default', eager: true }),
  )
    .map(([path, text]) => [path.slice(path.lastIndexOf('/') + 1), text] as const)
    .sort(([a], [b]) => a.localeCompare(b)),
);

/** Largest file the page reads (a keypoint file is small; this guards against dropping a video). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

type Status = 'loading' | 'ready' | 'lifting' | 'done' | 'error';

/** What the page exposes for tests and the console as `window.__lfm`. */
interface PageState {
  status: Status;
  /** File name of the current input (an example's or a dropped file's). */
  source: string | null;
  item: number;
  rig: RigChoice;
  /** What was lifted: points and the rig/bones passed to `lift`. */
  request: { points: LiftRequest['points']; rig: string | null; bones: LiftRequest['bones'] | null } | null;
  result: LiftResultJson | null;
  error: string | null;
  modelUrl: string;
  runtime: string | null;
  liftMs: number | null;
  /** Increments on every finished lift or error (tests wait for it to change). */
  runs: number;
}

declare global {
  interface Window {
    __lfm: PageState;
  }
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
};

const ui = {
  example: $<HTMLSelectElement>('example'),
  file: $<HTMLInputElement>('file'),
  item: $<HTMLSelectElement>('item'),
  itemLabel: $<HTMLLabelElement>('item-label'),
  rig: $<HTMLSelectElement>('rig'),
  imageSize: $<HTMLInputElement>('image-size'),
  imageSizeLabel: $<HTMLLabelElement>('image-size-label'),
  error: $<HTMLDivElement>('error'),
  status: $<HTMLSpanElement>('status'),
  view2d: $<HTMLCanvasElement>('view2d'),
  view3d: $<HTMLCanvasElement>('view3d'),
  info2d: $<HTMLParagraphElement>('info2d'),
  camera: $<HTMLDivElement>('camera'),
  rigInfo: $<HTMLParagraphElement>('rig-info'),
  showCamera: $<HTMLInputElement>('show-camera'),
  fromCamera: $<HTMLButtonElement>('from-camera'),
  save: $<HTMLButtonElement>('save'),
  modelInfo: $<HTMLSpanElement>('model-info'),
};

const state: PageState = {
  status: 'loading',
  source: null,
  item: 0,
  rig: 'auto',
  request: null,
  result: null,
  error: null,
  modelUrl: MODEL_URL,
  runtime: null,
  liftMs: null,
  runs: 0,
};
window.__lfm = state;

let text: string | null = null;
let keypoints: Keypoints2D | null = null;
let request: LiftRequest | null = null;
let orbit: Orbit = { rotation: IDENTITY, zoom: 1 };
let cameraR: Mat3 | undefined;
let generation = 0;

function setStatus(s: Status, note?: string): void {
  state.status = s;
  document.body.dataset.status = s;
  const words: Record<Status, string> = {
    loading: 'loading the model…',
    ready: 'ready',
    lifting: 'lifting…',
    done: 'done',
    error: 'error',
  };
  ui.status.textContent = note ?? words[s];
}

function showError(message: string | null): void {
  state.error = message;
  ui.error.textContent = message ?? '';
  ui.error.hidden = message === null;
}

/** An error of the page itself, with a code, so `errorLine` shows its message as is. */
function pageError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function fail(err: unknown, context?: string): void {
  const line = errorLine(err);
  showError(context ? `${context}: ${line}` : line);
  state.result = null;
  state.runs++;
  setStatus('error');
  if (!(err instanceof Error && typeof (err as { code?: unknown }).code === 'string')) console.error(err);
}

// --- the model -----------------------------------------------------------------------------------

setStatus('loading');
const lifterReady: Promise<Lifter> = loadShippedLifter().catch((err: unknown) => {
  throw pageError('E_MODEL', `could not load the model (${MODEL_URL}): ${errorLine(err)}`);
});
lifterReady.then(
  (lifter) => {
    state.runtime = lifter.runtime;
    const max = lifter.info.maxPoints;
    ui.modelInfo.textContent = `model: lfm.onnx on ${lifter.runtime}${max ? `, up to ${max} points` : ''}`;
    if (state.status === 'loading') setStatus('ready');
  },
  (err: unknown) => fail(err),
);

// --- canvases ------------------------------------------------------------------------------------

const dpr = () => window.devicePixelRatio || 1;

function sizeCanvas(c: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const r = dpr();
  const w = Math.max(1, Math.round(c.clientWidth * r));
  const h = Math.max(1, Math.round(c.clientHeight * r));
  if (c.width !== w || c.height !== h) {
    c.width = w;
    c.height = h;
  }
  return { ctx: c.getContext('2d')!, w, h };
}

function placeholder(c: HTMLCanvasElement, words: string): void {
  const { ctx, w, h } = sizeCanvas(c);
  ctx.fillStyle = '#10141c';
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = 'rgba(200, 205, 215, 0.55)';
  ctx.font = `${13 * dpr()}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.fillText(words, w / 2, h / 2);
  ctx.textAlign = 'start';
}

function render2d(): void {
  if (!request) {
    placeholder(ui.view2d, 'no input');
    return;
  }
  const { ctx, w, h } = sizeCanvas(ui.view2d);
  draw2d(ctx, w, h, request.points, request.drawBones, dpr());
}

function render3d(): void {
  if (!state.result || !request) {
    placeholder(ui.view3d, state.status === 'lifting' ? 'lifting…' : 'no 3D yet');
    return;
  }
  const { ctx, w, h } = sizeCanvas(ui.view3d);
  draw3d(ctx, w, h, { points: state.result.points3d, bones: request.drawBones, camera: cameraR }, orbit, {
    showCamera: ui.showCamera.checked,
    dpr: dpr(),
  });
}

function renderAll(): void {
  ui.save.disabled = state.result === null;
  render2d();
  render3d();
}

new ResizeObserver(() => renderAll()).observe(ui.view2d);
new ResizeObserver(() => render3d()).observe(ui.view3d);

// Orbit (drag) and zoom (wheel) on the 3D canvas; double-click goes back to the camera's view.
let drag: { x: number; y: number; id: number } | null = null;
ui.view3d.addEventListener('pointerdown', (e) => {
  drag = { x: e.clientX, y: e.clientY, id: e.pointerId };
  ui.view3d.setPointerCapture(e.pointerId);
});
ui.view3d.addEventListener('pointermove', (e) => {
  if (!drag || drag.id !== e.pointerId) return;
  orbit = orbitDrag(orbit, e.clientX - drag.x, e.clientY - drag.y);
  drag = { x: e.clientX, y: e.clientY, id: e.pointerId };
  render3d();
});
const endDrag = () => {
  drag = null;
};
ui.view3d.addEventListener('pointerup', endDrag);
ui.view3d.addEventListener('pointercancel', endDrag);
ui.view3d.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    orbit = orbitZoom(orbit, e.deltaY * (e.deltaMode === 1 ? 30 : 1));
    render3d();
  },
  { passive: false },
);
const viewFromCamera = () => {
  orbit = { rotation: cameraR ?? IDENTITY, zoom: 1 };
  render3d();
};
ui.view3d.addEventListener('dblclick', viewFromCamera);
ui.fromCamera.addEventListener('click', viewFromCamera);
ui.showCamera.addEventListener('change', render3d);

// --- input → lift ----------------------------------------------------------------------------------

function parseImageSize(): { width: number; height: number } | undefined {
  const v = ui.imageSize.value.trim();
  if (v === '') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*[xX×,]\s*(\d+(?:\.\d+)?)$/.exec(v);
  const width = m ? Number(m[1]) : 0;
  const height = m ? Number(m[2]) : 0;
  if (!(width > 0 && height > 0))
    throw pageError('E_IMAGE_SIZE', `image size must be W×H in pixels, e.g. 1280x720; got '${v}'`);
  return { width, height };
}

function fillItems(kp: Keypoints2D): void {
  ui.item.replaceChildren(
    ...kp.items.map((it, b) => {
      const o = document.createElement('option');
      o.value = String(b);
      const extra = it.score !== undefined ? `, score ${it.score.toFixed(2)}` : '';
      o.textContent = `${b + 1} of ${kp.batch} (${it.count} points${extra})`;
      return o;
    }),
  );
  ui.item.value = String(state.item);
  ui.item.disabled = kp.batch < 2;
  ui.itemLabel.classList.toggle('muted', kp.batch < 2);
}

function fillRigs(kp: Keypoints2D, b: number): void {
  const count = kp.items[b]!.count;
  const detected = detectRig(kp, b);
  const auto = document.createElement('option');
  auto.value = 'auto';
  auto.textContent = `auto (${detected ?? (kp.items[b]!.bones ? 'bones from the file' : 'no rig: kNN graph')})`;
  const none = document.createElement('option');
  none.value = 'none';
  none.textContent = 'none (kNN graph)';
  const rigs = rigsWithJoints(count).map((r) => {
    const o = document.createElement('option');
    o.value = r.id;
    o.textContent = `${r.id} — ${r.category}`;
    return o;
  });
  ui.rig.replaceChildren(auto, none, ...rigs);
  ui.rig.disabled = false;
  const values = new Set(['auto', 'none', ...rigs.map((o) => o.value)]);
  if (!values.has(state.rig)) state.rig = 'auto';
  ui.rig.value = state.rig;
}

function rigSummary(req: LiftRequest, kp: Keypoints2D, b: number): string {
  const item = kp.items[b]!;
  const visible = req.points.filter((p) => p !== null).length;
  const units = kp.normalized ? 'normalised image coordinates (give the image size for pixels)' : 'pixels';
  return (
    `${kp.format === 'lfm' ? 'lift JSON' : kp.format === 'coco' ? 'COCO keypoints' : 'MediaPipe landmarks'}, ` +
    `${item.count} points (${visible} visible), ${units}. Graph: ${describeGraph(req.graph)}.`
  );
}

function renderCamera(): void {
  const c = state.result?.camera;
  if (!c) {
    ui.camera.replaceChildren();
    return;
  }
  const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(1) : v.toPrecision(4));
  const table = document.createElement('table');
  table.className = 'matrix';
  for (const row of c.R) {
    const tr = table.insertRow();
    for (const v of row) tr.insertCell().textContent = v.toFixed(4);
  }
  const lines: [string, string][] =
    c.kind === 'ortho'
      ? [
          ['model', 'orthographic (OnP): y ≈ s·(R X)ₓᵧ + t'],
          ['scale s', `${fmt(c.s)} px / canonical unit`],
          ['translation t', `(${c.t.map(fmt).join(', ')}) px`],
          ['reprojection RMSE', `${fmt(c.rmse)} px`],
        ]
      : [
          ['model', 'perspective (PnP)'],
          ['translation t', `(${c.t.map(fmt).join(', ')})`],
          ['reprojection RMSE', `${fmt(c.rmse)} px`],
        ];
  const dl = document.createElement('dl');
  for (const [k, v] of lines) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
  const caption = document.createElement('p');
  caption.className = 'caption';
  caption.textContent = 'rotation R (camera from canonical, rows)';
  ui.camera.replaceChildren(caption, table, dl);
}

/** Parses the current text, builds the request for the chosen item and rig, and lifts it. */
async function refresh(): Promise<void> {
  const gen = ++generation;
  showError(null);
  state.result = null;
  state.liftMs = null;
  cameraR = undefined;
  renderCamera();
  try {
    request = null;
    state.request = null;
    keypoints = null;
    if (text === null) return;
    const name = state.source ?? 'input';
    keypoints = readKeypointFile(text, name);
    const isMp = keypoints.format === 'mediapipe';
    ui.imageSize.disabled = !isMp;
    ui.imageSizeLabel.classList.toggle('muted', !isMp);
    // The image size applies to MediaPipe's normalised landmarks only (a stale value is ignored otherwise).
    const imageSize = isMp ? parseImageSize() : undefined;
    if (imageSize) keypoints = readKeypointFile(text, name, { imageSize });
    if (state.item >= keypoints.batch) state.item = 0;
    fillItems(keypoints);
    fillRigs(keypoints, state.item);
    request = buildRequest(keypoints, state.item, state.rig);
    state.request = { points: request.points, rig: request.rig ?? null, bones: request.bones ?? null };
    ui.rigInfo.textContent = rigSummary(request, keypoints, state.item);
    ui.info2d.textContent = state.source ?? '';
    setStatus('lifting');
    renderAll();
    const lifter = await lifterReady;
    const t0 = performance.now();
    const r = await lifter.lift(request.points, liftOptions(request));
    if (gen !== generation) return;
    state.liftMs = performance.now() - t0;
    state.result = resultJson(r);
    cameraR = r.camera ? fromRows(r.camera.R) : undefined;
    orbit = { rotation: cameraR ?? IDENTITY, zoom: 1 };
    renderCamera();
    state.runs++;
    setStatus('done', `lifted in ${state.liftMs.toFixed(0)} ms`);
    renderAll();
  } catch (err) {
    if (gen !== generation) return;
    if (!request) {
      ui.rigInfo.textContent = '';
      ui.info2d.textContent = state.source ?? '';
      if (!keypoints) {
        ui.item.replaceChildren();
        ui.rig.replaceChildren();
        ui.item.disabled = true;
        ui.rig.disabled = true;
      }
    }
    // Name the file, as `lfm lift` does (parse errors name it already; model errors are not the file's).
    const line = errorLine(err);
    const code = (err as { code?: unknown } | null)?.code;
    const named = code === 'E_MODEL' || code === 'E_IMAGE_SIZE' || line.startsWith(`${state.source}:`);
    fail(err, named ? undefined : (state.source ?? undefined));
    renderAll();
  }
}

function load(name: string, body: string): void {
  state.source = name;
  state.item = 0;
  state.rig = 'auto';
  text = body;
  void refresh();
}

ui.example.replaceChildren(
  ...[
    Object.assign(document.createElement('option'), { value: '', textContent: 'choose an example…' }),
    ...Object.keys(EXAMPLES).map((name) =>
      Object.assign(document.createElement('option'), { value: name, textContent: name }),
    ),
  ],
);
ui.example.addEventListener('change', () => {
  const name = ui.example.value;
  const body = EXAMPLES[name];
  if (body !== undefined) load(name, body);
});

async function readFile(file: File): Promise<void> {
  ui.example.value = '';
  if (file.size > MAX_FILE_BYTES) {
    state.source = file.name;
    text = null;
    request = null;
    state.request = null;
    const mb = (file.size / 1e6).toFixed(0);
    fail(pageError('E_TOO_LARGE', `${file.name}: ${mb} MB is too large for a keypoint JSON file`));
    renderAll();
    return;
  }
  try {
    load(file.name, await file.text());
  } catch (err) {
    fail(err, `${file.name}: could not read the file`);
  }
}

ui.file.addEventListener('change', () => {
  const f = ui.file.files?.[0];
  if (f) void readFile(f);
  ui.file.value = '';
});
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', (e) => {
  if (e.relatedTarget === null) document.body.classList.remove('dragging');
});
document.addEventListener('drop', (e) => {
  e.preventDefault();
  document.body.classList.remove('dragging');
  const f = e.dataTransfer?.files?.[0];
  if (f) void readFile(f);
});

ui.item.addEventListener('change', () => {
  state.item = Number(ui.item.value) || 0;
  state.rig = 'auto';
  void refresh();
});
ui.rig.addEventListener('change', () => {
  state.rig = ui.rig.value;
  void refresh();
});
ui.imageSize.addEventListener('change', () => void refresh());

ui.save.addEventListener('click', () => {
  const r = state.result;
  if (!r) return;
  const body = JSON.stringify({ points3d: r.points3d, camera: r.camera, rig: request?.rig }, null, 2);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([body], { type: 'application/json' }));
  a.download = `${(state.source ?? 'lift').replace(/\.json$/i, '')}.lifted.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});

// Anything unexpected still ends up on the page, never as a blank one.
window.addEventListener('error', (e) => fail(e.error ?? e.message));
window.addEventListener('unhandledrejection', (e) => fail(e.reason));

renderAll();
// Start with the first example, so the page is never empty.
const first = Object.keys(EXAMPLES)[0];
if (first !== undefined) {
  ui.example.value = first;
  load(first, EXAMPLES[first]!);
}
