// Writes the tracker-format fixtures of examples/trackers/ from the project's demo data
// (data/demo-shapes, CC0, made by scripts/make-demo-data.mjs): a few frames projected to 2D with a
// pinhole camera (f = 1000 px, 1280 × 720), in the files real trackers write:
//
//   openpose-body25/video_00000000000{0,1,2}_keypoints.json   OpenPose --write_json, BODY_25, 2 people
//   dlc-quadruped/config.yaml, predictions.csv                DeepLabCut single-animal project + CSV
//   dlc-multi/config.yaml, predictions.csv                    DeepLabCut multi-animal (2 animals + arena)
//
// Deterministic (no random numbers): rerun to reproduce the files byte for byte.
// Run from the repository root: node examples/trackers/make-fixtures.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** A demo dataset: its meta.json and frame f's joints [J][3] (metres, y up). */
function dataset(name) {
  const dir = join(root, 'data', 'demo-shapes', name);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  const buf = readFileSync(join(dir, 'points.f32'));
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const J = meta.joints.length;
  const frame = (f) =>
    Array.from({ length: J }, (_, j) => Array.from(data.subarray((f * J + j) * 3, (f * J + j) * 3 + 3)));
  const start = (split) => meta.sequences.find((s) => s.split === split).start;
  return { meta, frame, start };
}

const DEG = Math.PI / 180;
/** Rotation about y (yaw), then about x (pitch), then translation t; pinhole projection, image y down. */
function project(points, { yaw, pitch = 10, t }) {
  const [cy, sy, cp, sp] = [
    Math.cos(yaw * DEG),
    Math.sin(yaw * DEG),
    Math.cos(pitch * DEG),
    Math.sin(pitch * DEG),
  ];
  return points.map(([x, y, z]) => {
    const [x1, z1] = [cy * x + sy * z, -sy * x + cy * z];
    const [y2, z2] = [cp * y - sp * z1, sp * y + cp * z1];
    const depth = z2 + t[2];
    return [round(640 + (1000 * (x1 + t[0])) / depth), round(360 - (1000 * (y2 + t[1])) / depth)];
  });
}
const round = (v, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
/** A detector-like score in [lo, 1): fixed per (frame, joint, salt). */
const score = (f, j, salt = 0, lo = 0.8) =>
  round(lo + (1 - lo) * (0.5 + 0.5 * Math.sin(12.9898 * (f + 1) + 78.233 * (j + 1) + salt)) * 0.99, 3);
const json = (v) => `${JSON.stringify(v)}\n`;

// --- OpenPose BODY_25: 3 frames, 2 people -------------------------------------------------------

const human = dataset('demo-human');
const H = Object.fromEntries(human.meta.joints.map((n, j) => [n, j]));
const mid = (a, b) => a.map((v, i) => (v + b[i]) / 2);
const add = (a, b, s = 1) => a.map((v, i) => v + s * b[i]);
const unit = (a) => {
  const n = Math.hypot(...a);
  return a.map((v) => v / n);
};
const cross = ([a, b, c], [d, e, f]) => [b * f - c * e, c * d - a * f, a * e - b * d];

/** BODY_25 from a COCO-17 person: neck and mid_hip as midpoints, toes and heels set off each ankle. */
function body25(p) {
  const j = (n) => p[H[n]];
  const right = unit(add(j('right_hip'), j('left_hip'), -1));
  let forward = unit(cross(right, [0, 1, 0]));
  const neck = mid(j('left_shoulder'), j('right_shoulder'));
  const dot = (a, b) => a.reduce((s, v, i) => s + v * b[i], 0);
  if (dot(add(j('nose'), neck, -1), forward) < 0) forward = forward.map((v) => -v);
  const foot = (ankle, side) => ({
    big: add(add(ankle, forward, 0.16), add([0, -0.06, 0], right, -0.02 * side)),
    small: add(add(ankle, forward, 0.13), add([0, -0.06, 0], right, 0.05 * side)),
    heel: add(
      ankle,
      add(
        forward.map((v) => -0.06 * v),
        [0, -0.05, 0],
      ),
    ),
  });
  const lf = foot(j('left_ankle'), -1);
  const rf = foot(j('right_ankle'), 1);
  return [
    j('nose'),
    neck,
    j('right_shoulder'),
    j('right_elbow'),
    j('right_wrist'),
    j('left_shoulder'),
    j('left_elbow'),
    j('left_wrist'),
    mid(j('left_hip'), j('right_hip')),
    j('right_hip'),
    j('right_knee'),
    j('right_ankle'),
    j('left_hip'),
    j('left_knee'),
    j('left_ankle'),
    j('right_eye'),
    j('left_eye'),
    j('right_ear'),
    j('left_ear'),
    lf.big,
    lf.small,
    lf.heel,
    rf.big,
    rf.small,
    rf.heel,
  ];
}

const people = [
  { start: human.start('test'), camera: { yaw: 160, t: [-0.6, 0, 4.5] }, hidden: [] },
  { start: human.start('val'), camera: { yaw: 200, t: [0.7, 0, 5] }, hidden: [18] }, // left ear hidden
];
const openposeDir = join(here, 'openpose-body25');
rmSync(openposeDir, { recursive: true, force: true });
mkdirSync(openposeDir, { recursive: true });
for (let f = 0; f < 3; f++) {
  const frame = {
    version: 1.3,
    people: people.map((p, i) => {
      const px = project(body25(human.frame(p.start + f)), p.camera);
      return {
        person_id: [-1],
        pose_keypoints_2d: px.flatMap(([x, y], j) =>
          p.hidden.includes(j) && f === 1 ? [0, 0, 0] : [x, y, score(f, j, i, 0.55)],
        ),
        face_keypoints_2d: [],
        hand_left_keypoints_2d: [],
        hand_right_keypoints_2d: [],
        pose_keypoints_3d: [],
        face_keypoints_3d: [],
        hand_left_keypoints_3d: [],
        hand_right_keypoints_3d: [],
      };
    }),
  };
  writeFileSync(join(openposeDir, `video_${String(f).padStart(12, '0')}_keypoints.json`), json(frame));
}

// --- DeepLabCut -----------------------------------------------------------------------------------

const quad = dataset('demo-quadruped');
const Q = quad.meta.joints;
const skeleton = quad.meta.edges.map(([a, b]) => [Q[a], Q[b]]);
const list = (items, indent = '') => items.map((x) => `${indent}- ${x}`).join('\n');

function config({ task, scorer, multi, bodyparts, unique = [], individuals = [], bones }) {
  const path = `/home/user/${task}-${scorer}-2024-01-01`;
  return `    # Project definitions (do not edit)
Task: ${task}
scorer: ${scorer}
date: Jan1
multianimalproject: ${multi}
identity:${multi ? ' false' : ''}

    # Project path (change when moving around)
project_path: ${path}

    # Annotation data set configuration (and individual video cropping parameters)
video_sets:
  ${path}/videos/video1.mp4:
    crop: 0, 1280, 0, 720
${
  multi
    ? `individuals:\n${list(individuals)}\nuniquebodyparts:\n${list(unique)}\nmultianimalbodyparts:\n${list(bodyparts)}\nbodyparts: MULTI!`
    : `bodyparts:\n${list(bodyparts)}`
}

    # Fraction of video to start/stop when extracting frames for labeling/refinement
start: 0
stop: 1
numframes2pick: 20

    # Plotting configuration
skeleton:
${bones.map(([a, b]) => `- - ${a}\n  - ${b}`).join('\n')}
skeleton_color: black
pcutoff: 0.6
dotsize: 12
alphavalue: 0.7
colormap: rainbow

    # Training,Evaluation and Analysis configuration
TrainingFraction:
- 0.95
iteration: 0
default_net_type: ${multi ? 'dlcrnet_ms5' : 'resnet_50'}
snapshotindex: -1
batch_size: 8
`;
}

/** CSV rows: header rows, then per frame the index and x, y, likelihood per (individual, body part). */
function csv(header, rows) {
  return `${[...header, ...rows].map((r) => r.join(',')).join('\n')}\n`;
}
const cell = (v) => (v === null ? '' : String(round(v, 3)));

// Single animal: 6 frames of the test sequence seen from the side; tail_tip is unsure in frame 3.
{
  const dir = join(here, 'dlc-quadruped');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.yaml'),
    config({ task: 'quadruped', scorer: 'lfm', multi: false, bodyparts: Q, bones: skeleton }),
  );
  const scorer = 'DLC_resnet50_quadrupedJan1shuffle1_1000';
  const header = [
    ['scorer', ...Q.flatMap(() => [scorer, scorer, scorer])],
    ['bodyparts', ...Q.flatMap((n) => [n, n, n])],
    ['coords', ...Q.flatMap(() => ['x', 'y', 'likelihood'])],
  ];
  const rows = [];
  for (let f = 0; f < 6; f++) {
    const px = project(quad.frame(quad.start('test') + 2 * f), { yaw: 80, t: [0.1 * f - 0.25, 0.1, 3] });
    const l = (j) => (f === 3 && Q[j] === 'tail_tip' ? 0.31 : score(f, j, 7, 0.85));
    rows.push([f, ...px.flatMap(([x, y], j) => [cell(x), cell(y), cell(l(j))])]);
  }
  writeFileSync(join(dir, 'predictions.csv'), csv(header, rows));
}

// Multi-animal: two animals and the four corners of the arena (unique body parts); animal2 leaves
// the view in frame 3 (its cells are empty there).
{
  const dir = join(here, 'dlc-multi');
  mkdirSync(dir, { recursive: true });
  const individuals = ['animal1', 'animal2'];
  const unique = ['arena_top_left', 'arena_top_right', 'arena_bottom_right', 'arena_bottom_left'];
  writeFileSync(
    join(dir, 'config.yaml'),
    config({
      task: 'twoquadrupeds',
      scorer: 'lfm',
      multi: true,
      bodyparts: Q,
      unique,
      individuals,
      bones: [
        ...skeleton,
        ['arena_top_left', 'arena_top_right'],
        ['arena_top_right', 'arena_bottom_right'],
        ['arena_bottom_right', 'arena_bottom_left'],
        ['arena_bottom_left', 'arena_top_left'],
      ],
    }),
  );
  const scorer = 'DLC_dlcrnetms5_twoquadrupedsJan1shuffle1_1000';
  const columns = [
    ...individuals.flatMap((ind) => Q.map((n) => [ind, n])),
    ...unique.map((n) => ['single', n]),
  ];
  const header = [
    ['scorer', ...columns.flatMap(() => [scorer, scorer, scorer])],
    ['individuals', ...columns.flatMap(([ind]) => [ind, ind, ind])],
    ['bodyparts', ...columns.flatMap(([, n]) => [n, n, n])],
    ['coords', ...columns.flatMap(() => ['x', 'y', 'likelihood'])],
  ];
  const arena = [
    [-1, -0.4, 0.75],
    [1, -0.4, 0.75],
    [1, -0.4, -0.75],
    [-1, -0.4, -0.75],
  ];
  const view = { yaw: 0, pitch: 35, t: [0, 0, 3.5] };
  const rows = [];
  for (let f = 0; f < 4; f++) {
    const a1 = project(
      quad.frame(quad.start('val') + 2 * f).map(([x, y, z]) => [x - 0.5 + 0.05 * f, y, z]),
      view,
    );
    const a2 = project(
      quad.frame(quad.start('test') + 2 * f).map(([x, y, z]) => [-z + 0.5, y, x + 0.1 * f]),
      view,
    );
    const corners = project(arena, view);
    const cells = (px, salt, gone = false) =>
      px.flatMap(([x, y], j) => (gone ? ['', '', ''] : [cell(x), cell(y), cell(score(f, j, salt, 0.8))]));
    rows.push([f, ...cells(a1, 1), ...cells(a2, 2, f === 3), ...cells(corners, 3)]);
  }
  writeFileSync(join(dir, 'predictions.csv'), csv(header, rows));
}

// The JSON and YAML in the repository's formatting (biome), when biome is installed.
const biome = join(root, 'node_modules', '.bin', 'biome');
if (existsSync(biome)) execFileSync(biome, ['format', '--write', here], { stdio: 'ignore' });
console.log(`wrote the tracker fixtures in ${here}`);
