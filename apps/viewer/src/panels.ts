import type { Keypoints2D } from '@lfm/datasets/preprocess';
import type { CameraResult } from '@lfm/runtime';
import { ui } from './dom.js';
import { EXAMPLES, SEQUENCE_EXAMPLES } from './examples.js';
import { pageError } from './page.js';
import type { SequenceState } from './page-state.js';
import { describeGraph, detectRig, type LiftRequest, type RigChoice, rigsWithJoints } from './pipeline.js';
import type { ViewerInput } from './sequence.js';

/** The page's panels: the item and rig selectors, the input summary, the camera panel. */

/** The image size field: W×H in pixels, or undefined when empty. */
export function parseImageSize(): { width: number; height: number } | undefined {
  const v = ui.imageSize.value.trim();
  if (v === '') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*[xX×,]\s*(\d+(?:\.\d+)?)$/.exec(v);
  const width = m ? Number(m[1]) : 0;
  const height = m ? Number(m[2]) : 0;
  if (!(width > 0 && height > 0))
    throw pageError('E_IMAGE_SIZE', `image size must be W×H in pixels, e.g. 1280x720; got '${v}'`);
  return { width, height };
}

/** The item selector for the items of a keypoint file, `selected` chosen. */
export function fillItems(kp: Keypoints2D, selected: number): void {
  ui.item.replaceChildren(
    ...kp.items.map((it, b) => {
      const o = document.createElement('option');
      o.value = String(b);
      const extra = it.score !== undefined ? `, score ${it.score.toFixed(2)}` : '';
      o.textContent = `${b + 1} of ${kp.batch} (${it.count} points${extra})`;
      return o;
    }),
  );
  ui.item.value = String(selected);
  ui.item.disabled = kp.batch < 2;
  ui.itemLabel.classList.toggle('muted', kp.batch < 2);
}

/** The rig selector for item b (auto, none, the rigs with its point count); returns the choice kept: `rig`, or 'auto' when it is not offered. */
export function fillRigs(kp: Keypoints2D, b: number, rig: RigChoice): RigChoice {
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
  const kept = values.has(rig) ? rig : 'auto';
  ui.rig.value = kept;
  return kept;
}

/** The input summary line of a keypoint file's item. */
export function rigSummary(req: LiftRequest, kp: Keypoints2D, b: number): string {
  const item = kp.items[b]!;
  const visible = req.points.filter((p) => p !== null).length;
  const units = kp.normalized ? 'normalised image coordinates (give the image size for pixels)' : 'pixels';
  return (
    `${kp.format === 'lfm' ? 'lift JSON' : kp.format === 'coco' ? 'COCO keypoints' : 'MediaPipe landmarks'}, ` +
    `${item.count} points (${visible} visible), ${units}. Graph: ${describeGraph(req.graph)}.`
  );
}

/** The camera panel: R, then s, t and the RMSE; `extra` rows for a sequence's track. */
export function showCameraPanel(c: CameraResult, extra: [string, string][] = []): void {
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
  for (const [k, v] of [...extra, ...lines]) {
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

/** The input summary of a sequence: format, frames, tracks, smoothing; the track legend; the notes. */
export function showSequenceSummary(
  format: string,
  s: SequenceState,
  input: Extract<ViewerInput, { kind: 'sequence' }>,
): void {
  const what: Record<string, string> = {
    dlc: 'DeepLabCut CSV',
    openpose: 'OpenPose JSON',
    lfm: 'lift JSON sequence',
    coco: 'COCO results sequence',
    mediapipe: 'MediaPipe sequence',
  };
  const summary = document.createElement('p');
  summary.textContent =
    `${what[format] ?? format}, ${s.frames} frames, ${s.tracks.length} track${s.tracks.length === 1 ? '' : 's'}` +
    `; 3D in the camera frame (orthographic, pixels)` +
    (s.smooth
      ? `; One-Euro smoothed at ${s.fps} fps, ${s.tracks.reduce((a, x) => a + x.flipped, 0)} depth flips fixed`
      : '') +
    '.';
  const legend = document.createElement('div');
  legend.className = 'legend';
  s.tracks.forEach((tr, k) => {
    const item = document.createElement('span');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = tr.color;
    item.append(
      sw,
      `${tr.key}: ${tr.rig ?? 'no rig (kNN graph)'}, ${input.sequence.tracks[k]!.numJoints} points`,
    );
    legend.append(item);
  });
  const notes = s.notes.map((n) =>
    Object.assign(document.createElement('p'), { className: 'caption', textContent: n }),
  );
  ui.rigInfo.replaceChildren(summary, legend, ...notes);
}

/** The example selector: the shipped keypoint files, then the sequence examples. */
export function fillExamples(): void {
  ui.example.replaceChildren(
    ...[
      Object.assign(document.createElement('option'), { value: '', textContent: 'choose an example…' }),
      ...Object.keys(EXAMPLES).map((name) =>
        Object.assign(document.createElement('option'), { value: name, textContent: name }),
      ),
      ...Object.entries(SEQUENCE_EXAMPLES).map(([name, files]) =>
        Object.assign(document.createElement('option'), {
          value: name,
          textContent: `${name} (sequence: ${files.map((f) => f.name).join(', ')})`,
        }),
      ),
    ],
  );
}

/** The track selector of a sequence (in the item selector's place). */
export function fillTracks(input: Extract<ViewerInput, { kind: 'sequence' }>): void {
  ui.item.replaceChildren(
    ...input.sequence.tracks.map((t, k) =>
      Object.assign(document.createElement('option'), {
        value: String(k),
        textContent: `${t.key}${t.rig ? ` (${t.rig})` : ''}, ${t.frames.length} frame${t.frames.length === 1 ? '' : 's'}`,
      }),
    ),
  );
  ui.item.disabled = input.sequence.tracks.length < 2;
  ui.itemLabel.classList.toggle('muted', input.sequence.tracks.length < 2);
}
