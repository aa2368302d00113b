import './style.css';
import type { KeypointSequence, Keypoints2D } from '@lfm/datasets/preprocess';
import { type LiftedSequence, liftedSequenceJson } from '@lfm/runtime';
import type { Lifter } from '@lfm/runtime/web';
import { downloadJson, dpr, placeholder, sizeCanvas, ui } from './dom.js';
import { EXAMPLES, SEQUENCE_EXAMPLES } from './examples.js';
import { loadShippedLifter, MODEL_URL } from './model.js';
import { fail, pageError, setStatus, showError, state } from './page.js';
import {
  fillExamples,
  fillItems,
  fillRigs,
  fillTracks,
  parseImageSize,
  rigSummary,
  showCameraPanel,
  showSequenceSummary,
} from './panels.js';
import {
  buildRequest,
  errorLine,
  type LiftRequest,
  liftOptions,
  readKeypointFile,
  resultJson,
} from './pipeline.js';
import {
  displaySequence,
  filesName,
  framesAt,
  type InputFile,
  liftViewerSequence,
  readInputFiles,
  type SequenceSettings,
  sequenceFits,
  sequenceScene,
  trackBones,
  trackColor,
  type ViewerInput,
} from './sequence.js';
import { draw2d, draw2dTracks, type Fit2D, fit2d } from './view2d.js';
import {
  draw3d,
  fromRows,
  IDENTITY,
  type Mat3,
  type Orbit,
  orbitDrag,
  orbitZoom,
  type Vec3,
} from './view3d.js';

let text: string | null = null;
let keypoints: Keypoints2D | null = null;
let request: LiftRequest | null = null;
let orbit: Orbit = { rotation: IDENTITY, zoom: 1 };
let cameraR: Mat3 | undefined;
let generation = 0;

/** The sequence being played: its input, lift, the 2D shown, and fits fixed for the whole sequence. */
let seq: {
  input: Extract<ViewerInput, { kind: 'sequence' }>;
  lifted: LiftedSequence;
  shown: KeypointSequence;
  bones: (readonly (readonly [number, number])[])[];
  /** The corners of the 2D bounding box of every frame. */
  box2d: [number, number][];
  frame3d: { center: Vec3; radius: number };
} | null = null;
let playTimer: ReturnType<typeof setInterval> | null = null;

/** Largest file the page reads (a keypoint file is small; this guards against dropping a video). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

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

function render2d(): void {
  if (state.mode === 'sequence') {
    renderSequence2d();
    return;
  }
  if (!request) {
    placeholder(ui.view2d, 'no input');
    return;
  }
  const { ctx, w, h } = sizeCanvas(ui.view2d);
  draw2d(ctx, w, h, request.points, request.drawBones, dpr());
}

function render3d(): void {
  if (state.mode === 'sequence') {
    renderSequence3d();
    return;
  }
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

function renderSequence2d(): void {
  const cur = state.sequence?.current;
  if (!seq || !cur) {
    placeholder(ui.view2d, state.status === 'lifting' ? 'lifting…' : 'no input');
    return;
  }
  const { ctx, w, h } = sizeCanvas(ui.view2d);
  const fit: Fit2D = fit2d(seq.box2d, w, h);
  draw2dTracks(
    ctx,
    w,
    h,
    cur.map((t) => ({ points: t.points2d, bones: seq!.bones[t.index]!, color: trackColor(t.index) })),
    fit,
    dpr(),
  );
}

/** All tracks of the frame in the camera frame (orthographic: x, y pixels, z depth), one scene. */
function renderSequence3d(): void {
  const cur = state.sequence?.current;
  if (!seq || !cur) {
    placeholder(ui.view3d, state.status === 'lifting' ? 'lifting…' : 'no 3D yet');
    return;
  }
  const { points, bones, colors } = sequenceScene(cur, seq.bones);
  const { ctx, w, h } = sizeCanvas(ui.view3d);
  // The camera frame: the camera is the identity (a frustum when orbited away from it).
  draw3d(ctx, w, h, { points, bones, colors, camera: IDENTITY, frame: seq.frame3d }, orbit, {
    showCamera: ui.showCamera.checked,
    dpr: dpr(),
  });
}

function renderAll(): void {
  ui.save.disabled = state.mode === 'sequence' ? seq === null : state.result === null;
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

function renderCamera(): void {
  const c = state.result?.camera;
  if (!c) {
    ui.camera.replaceChildren();
    return;
  }
  showCameraPanel(c);
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
    fillItems(keypoints, state.item);
    state.rig = fillRigs(keypoints, state.item, state.rig);
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
  leaveSequence();
  state.source = name;
  state.item = 0;
  state.rig = 'auto';
  text = body;
  void refresh();
}

// --- sequences: lift every frame, play them ----------------------------------------------------------

function settings(): SequenceSettings {
  const fps = Number(ui.fps.value);
  return { smooth: ui.smooth.checked, fps: Number.isFinite(fps) && fps >= 1 ? Math.min(240, fps) : 30 };
}

function stopPlaying(): void {
  if (playTimer !== null) clearInterval(playTimer);
  playTimer = null;
  ui.play.textContent = '▶ play';
  ui.play.setAttribute('aria-label', 'play');
  if (state.sequence) state.sequence.playing = false;
}

function startPlaying(): void {
  if (!seq || !state.sequence) return;
  stopPlaying();
  const F = seq.lifted.frames.length;
  playTimer = setInterval(() => setFrame((state.sequence!.frame + 1) % F), 1000 / settings().fps);
  ui.play.textContent = '❚❚ pause';
  ui.play.setAttribute('aria-label', 'pause');
  state.sequence.playing = true;
}

/** Back to the single-file view (a single file was loaded). */
function leaveSequence(): void {
  stopPlaying();
  seq = null;
  state.sequence = null;
  state.mode = 'single';
  ui.player.hidden = true;
  ui.itemName.textContent = 'Item';
}

/** Shows a sequence: lifts all its frames, then frame 0. */
async function loadSequence(
  input: Extract<ViewerInput, { kind: 'sequence' }>,
  source: string,
): Promise<void> {
  stopPlaying();
  state.mode = 'sequence';
  state.source = source;
  state.item = 0;
  state.request = null;
  state.result = null;
  text = null;
  request = null;
  keypoints = null;
  seq = null;
  state.sequence = null;
  ui.player.hidden = false;
  ui.itemName.textContent = 'Track';
  ui.imageSize.disabled = true;
  ui.imageSizeLabel.classList.add('muted');
  const auto = Object.assign(document.createElement('option'), {
    value: 'auto',
    textContent: 'auto (per track)',
  });
  ui.rig.replaceChildren(auto);
  ui.rig.disabled = true;
  fillTracks(input);
  await relift(input, 0);
}

/** (Re)lifts the sequence with the current settings and shows frame `frame`. */
async function relift(input: Extract<ViewerInput, { kind: 'sequence' }>, frame: number): Promise<void> {
  const gen = ++generation;
  showError(null);
  const playing = state.sequence?.playing === true;
  stopPlaying();
  setStatus('lifting', `lifting ${input.sequence.frames.length} frames…`);
  renderAll();
  try {
    const lifter = await lifterReady;
    const opts = settings();
    const t0 = performance.now();
    const lifted = await liftViewerSequence(lifter, input, opts);
    if (gen !== generation) return;
    state.liftMs = performance.now() - t0;
    const shown = displaySequence(input, opts);
    seq = {
      input,
      lifted,
      shown,
      bones: input.sequence.tracks.map((t) => trackBones(t, input.rigs)),
      ...sequenceFits(shown, lifted),
    };
    state.sequence = {
      frames: lifted.frames.length,
      frame: 0,
      frameId: lifted.frames[0]!.id,
      playing: false,
      smooth: opts.smooth,
      fps: opts.fps,
      tracks: lifted.tracks.map((t, k) => ({
        key: t.key,
        rig: t.rig ?? null,
        color: `rgb(${trackColor(k).join(', ')})`,
        frames: t.frames.length,
        flipped: t.flipped ? t.flipped.reduce((a, f) => a + f, 0) : 0,
      })),
      current: [],
      notes: input.notes,
    };
    ui.frame.max = String(lifted.frames.length - 1);
    orbit = { rotation: IDENTITY, zoom: 1 };
    setFrame(frame);
    state.runs++;
    const n = lifted.tracks.reduce((a, t) => a + t.frames.length, 0);
    setStatus('done', `lifted ${n} track-frame${n === 1 ? '' : 's'} in ${state.liftMs.toFixed(0)} ms`);
    renderAll();
    if (playing) startPlaying();
  } catch (err) {
    if (gen !== generation) return;
    seq = null;
    state.sequence = null;
    const line = errorLine(err);
    fail(err, line.startsWith(`${state.source}:`) ? undefined : (state.source ?? undefined));
    renderAll();
  }
}

/** Shows frame f of the sequence. */
function setFrame(f: number): void {
  if (!seq || !state.sequence) return;
  const F = seq.lifted.frames.length;
  const frame = Math.max(0, Math.min(F - 1, Math.round(f)));
  state.sequence.frame = frame;
  state.sequence.frameId = seq.lifted.frames[frame]!.id;
  state.sequence.current = framesAt(seq.lifted, seq.shown, frame);
  ui.frame.value = String(frame);
  const file = seq.lifted.frames[frame]!.file;
  ui.frameLabel.textContent = `frame ${frame + 1} / ${F} (id ${JSON.stringify(state.sequence.frameId)}${file ? `, ${file}` : ''})`;
  ui.info2d.textContent = `${state.source ?? ''} — frame ${JSON.stringify(state.sequence.frameId)}`;
  renderSequenceInfo();
  render2d();
  render3d();
}

/** The camera panel (the selected track at this frame) and the input summary with the track legend. */
function renderSequenceInfo(): void {
  const s = state.sequence;
  if (!seq || !s) return;
  const t = s.current[state.item] ?? s.current[0];
  if (t?.camera) {
    showCameraPanel(t.camera, [
      ['track', `${t.key} (frame ${JSON.stringify(s.frameId)})`],
      ...(t.flipped
        ? ([['depth', 'flipped by the fixer (was the mirror image)']] as [string, string][])
        : []),
    ]);
  } else {
    const p = document.createElement('p');
    p.className = 'caption';
    p.textContent = t ? `track ${t.key}: not in this frame (or too few points to lift)` : '';
    ui.camera.replaceChildren(p);
  }
  showSequenceSummary(seq.lifted.format, s, seq.input);
}

ui.play.addEventListener('click', () => (state.sequence?.playing ? stopPlaying() : startPlaying()));
ui.prev.addEventListener('click', () => {
  stopPlaying();
  if (state.sequence) setFrame(state.sequence.frame - 1);
});
ui.next.addEventListener('click', () => {
  stopPlaying();
  if (state.sequence) setFrame(state.sequence.frame + 1);
});
ui.frame.addEventListener('input', () => {
  stopPlaying();
  setFrame(Number(ui.frame.value));
});
ui.smooth.addEventListener('change', () => {
  if (seq) void relift(seq.input, state.sequence?.frame ?? 0);
});
ui.fps.addEventListener('change', () => {
  // The filter's clock changes the lift only when smoothing; the playback rate always.
  if (seq && ui.smooth.checked) void relift(seq.input, state.sequence?.frame ?? 0);
  else if (state.sequence) {
    state.sequence.fps = settings().fps;
    if (state.sequence.playing) startPlaying();
  }
});
document.addEventListener('keydown', (e) => {
  if (state.mode !== 'sequence' || !state.sequence) return;
  const target = e.target as HTMLElement | null;
  if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT') && target !== ui.frame) return;
  if (e.key === ' ') {
    e.preventDefault();
    state.sequence.playing ? stopPlaying() : startPlaying();
  } else if (e.key === 'ArrowRight' && target !== ui.frame) {
    stopPlaying();
    setFrame(state.sequence.frame + 1);
  } else if (e.key === 'ArrowLeft' && target !== ui.frame) {
    stopPlaying();
    setFrame(state.sequence.frame - 1);
  }
});

fillExamples();
ui.example.addEventListener('change', () => {
  const name = ui.example.value;
  const body = EXAMPLES[name];
  if (body !== undefined) load(name, body);
  const files = SEQUENCE_EXAMPLES[name];
  if (files !== undefined) loadFiles(files, name);
});

/** Reads the files (a single keypoint file, or a sequence's) and shows them. */
function loadFiles(files: readonly InputFile[], source?: string): void {
  let input: ViewerInput;
  try {
    input = readInputFiles(files);
  } catch (err) {
    leaveSequence();
    state.source = source ?? filesName(files);
    text = null;
    request = null;
    state.request = null;
    const line = errorLine(err);
    const named = files.some((f) => line.startsWith(`${f.name}:`));
    fail(err, named ? undefined : state.source);
    renderAll();
    return;
  }
  if (input.kind === 'single') load(input.name, input.text);
  else void loadSequence(input, source ?? input.name);
}

async function readFiles(list: readonly File[]): Promise<void> {
  ui.example.value = '';
  const big = list.find((f) => f.size > MAX_FILE_BYTES);
  if (big) {
    leaveSequence();
    state.source = big.name;
    text = null;
    request = null;
    state.request = null;
    const mb = (big.size / 1e6).toFixed(0);
    fail(pageError('E_TOO_LARGE', `${big.name}: ${mb} MB is too large for a keypoint file`));
    renderAll();
    return;
  }
  let files: InputFile[];
  try {
    files = await Promise.all(list.map(async (f) => ({ name: f.name, text: await f.text() })));
  } catch (err) {
    fail(err, `${filesName(list)}: could not read the file`);
    return;
  }
  loadFiles(files);
}

ui.file.addEventListener('change', () => {
  const list = Array.from(ui.file.files ?? []);
  if (list.length > 0) void readFiles(list);
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
  const list = Array.from(e.dataTransfer?.files ?? []);
  if (list.length > 0) void readFiles(list);
});

ui.item.addEventListener('change', () => {
  if (state.mode === 'sequence') {
    state.item = Number(ui.item.value) || 0;
    renderSequenceInfo();
    return;
  }
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
  if (state.mode === 'sequence') {
    if (!seq) return;
    const doc = liftedSequenceJson(seq.lifted, { input: state.source ?? 'input' });
    const stem = (state.source ?? 'sequence').replace(/\.(json|csv)$/i, '').replace(/[^\w.-]+/g, '_');
    downloadJson(`${stem}.lifted.json`, JSON.stringify(doc));
    return;
  }
  const r = state.result;
  if (!r) return;
  const body = JSON.stringify({ points3d: r.points3d, camera: r.camera, rig: request?.rig }, null, 2);
  downloadJson(`${(state.source ?? 'lift').replace(/\.json$/i, '')}.lifted.json`, body);
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
