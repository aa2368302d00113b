import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDlcConfig, parseNpy, readDlcTable } from '@lfm/datasets';
import { openposeBody25 } from '@lfm/rigs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { main } from './main.js';
import { examples, runCli } from './test-support/cli.js';
import { expectOneLineError } from './test-support/expect.js';
import { useTinyLifter } from './test-support/lifter.js';

// The tracker formats end to end through `lfm`: OpenPose folders, DeepLabCut CSVs with the rig plugin
// `lfm rigs from-dlc` writes, sequences of our JSON / COCO; the sequence output in json, csv and npy
// read back and compared with the lifter's own results; bad inputs (one line, exit 1, nothing written).

type Vec3 = [number, number, number];
interface Camera {
  R: number[][];
  t: number[];
  s: number;
  kind: string;
  rmse: number;
}
interface SeqTrack {
  key: string;
  track: number | string;
  part?: string;
  rig?: string;
  joints: string[];
  frames: number[];
  frameIds: (number | string)[];
  points3d?: (Vec3 | null)[][];
  cameras: (Camera | null)[];
}
interface SeqDoc {
  format: string;
  version: number;
  source: string;
  input: string;
  space: string;
  points3d?: { file: string; format: string; shape?: number[] };
  frames: { id: number | string; file?: string }[];
  tracks: SeqTrack[];
}

const tiny = useTinyLifter('lfm-cli-trackers-');
const { dir, lift } = tiny;
const trackers = join(examples, 'trackers');

async function liftJson(...args: string[]): Promise<SeqDoc> {
  const r = await lift(...args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as SeqDoc;
}

/** A fresh scratch folder. */
function scratch(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}

/** Max |a − b| over two point lists, with null exactly where the other is null. */
function maxDiff(a: (Vec3 | null)[], b: (readonly number[] | null)[]): number {
  let m = 0;
  expect(a).toHaveLength(b.length);
  a.forEach((p, i) => {
    const q = b[i];
    if (p === null || q === null || q === undefined) {
      expect(p === null, `point ${i}`).toBe(q === null || q === undefined);
      return;
    }
    for (let c = 0; c < 3; c++) m = Math.max(m, Math.abs(p[c]! - q[c]!));
  });
  return m;
}

/** OpenPose pose arrays → [x, y] | null points (confidence 0 = missing). */
function openposePoints(kp: number[]): ([number, number] | null)[] {
  return Array.from({ length: kp.length / 3 }, (_, i) =>
    kp[3 * i + 2]! > 0 ? [kp[3 * i]!, kp[3 * i + 1]!] : null,
  );
}

describe('OpenPose', () => {
  const folder = join(trackers, 'openpose-body25');

  it('a folder → one JSON with a track per person: frames, source frame ids, points3d, a camera per frame', async () => {
    const doc = await liftJson('--input', folder);
    expect([doc.format, doc.version, doc.source, doc.space]).toEqual([
      'lfm-sequence',
      1,
      'openpose',
      'canonical',
    ]);
    expect(doc.frames.map((f) => [f.id, f.file])).toEqual(
      [0, 1, 2].map((f) => [f, `video_00000000000${f}_keypoints.json`]),
    );
    expect(doc.tracks.map((t) => [t.key, t.track, t.part, t.rig, t.frames, t.frameIds])).toEqual([
      ['0', 0, 'body', 'openpose-body-25', [0, 1, 2], [0, 1, 2]],
      ['1', 1, 'body', 'openpose-body-25', [0, 1, 2], [0, 1, 2]],
    ]);
    expect(doc.tracks[0]!.joints).toEqual(openposeBody25.joints);
    // The batched sequence lift equals the lifter on each frame alone.
    for (const [k, track] of doc.tracks.entries()) {
      for (let f = 0; f < 3; f++) {
        const file = join(folder, doc.frames[f]!.file!);
        const person = JSON.parse(readFileSync(file, 'utf8')).people[k];
        const one = await tiny.lifter.lift(openposePoints(person.pose_keypoints_2d), {
          rig: 'openpose-body-25',
        });
        expect(maxDiff(track.points3d![f]!, one.points3d)).toBeLessThan(2e-4);
        expect(track.cameras[f]!.s).toBeCloseTo((one.camera as { s: number }).s, 2);
      }
    }
    expect(doc.tracks[1]!.points3d![1]![openposeBody25.indexOf('left_ear')]).toBeNull();
  });

  it('--format openpose on one file; a face (pupils dropped) and hands become tracks of their own', async () => {
    const d = scratch('op-face');
    const pose = JSON.parse(readFileSync(join(folder, 'video_000000000000_keypoints.json'), 'utf8')).people[0]
      .pose_keypoints_2d as number[];
    const ring = (n: number, cx: number, r: number) =>
      Array.from({ length: n }, (_, i) => [
        cx + r * Math.cos(i * 2.4),
        300 + r * Math.sin(i * 1.7),
        0.9,
      ]).flat();
    const f = join(d, 'frame.json');
    writeFileSync(
      f,
      JSON.stringify({
        version: 1.3,
        people: [
          {
            person_id: [4],
            pose_keypoints_2d: pose,
            face_keypoints_2d: ring(70, 500, 40),
            hand_left_keypoints_2d: ring(21, 400, 20),
            hand_right_keypoints_2d: [],
          },
        ],
      }),
    );
    const doc = await liftJson('--input', f, '--format', 'openpose');
    expect(doc.tracks.map((t) => [t.key, t.part, t.rig, t.points3d![0]!.length])).toEqual([
      ['4', 'body', 'openpose-body-25', 25],
      ['4_face', 'face', 'ibug-face-68', 68],
      ['4_hand_left', 'hand_left', 'hand-21', 21],
    ]);
  });
});

describe('DeepLabCut: config.yaml → rig plugin → lift', () => {
  const config = join(trackers, 'dlc-quadruped', 'config.yaml');
  const csv = join(trackers, 'dlc-quadruped', 'predictions.csv');
  const d = join(dir, 'dlc');
  const plugin = join(d, 'my-rig.js');

  beforeAll(async () => {
    mkdirSync(d, { recursive: true });
    const r = await runCli(['rigs', 'from-dlc', config, '--out', plugin]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote .*my-rig\.js \(dlc-quadruped: 25 joints, 24 bones, 8 mirror pairs\)/);
  });

  it('lfm rigs from-dlc writes a plugin that lfm rigs show loads', async () => {
    const text = readFileSync(plugin, 'utf8');
    expect(text).toMatch(/^\/\/ A rig plugin for LFM, written by `lfm rigs from-dlc config\.yaml`/);
    expect(text).toContain('--min-likelihood 0.6');
    const r = await runCli(['rigs', 'show', 'dlc-quadruped', '--rig-plugin', plugin, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const spec = JSON.parse(r.stdout) as { joints: string[]; bones: string[][] };
    expect(spec.joints).toEqual(parseDlcConfig(readFileSync(config, 'utf8')).bodyparts);
    expect(spec.bones).toHaveLength(24);
  });

  it('lfm lift --rig-plugin my-rig.js --input predictions.csv: the rig by body part names, likelihood < 0.6 missing', async () => {
    const out = join(d, 'lifted.json');
    const r = await lift('--rig-plugin', plugin, '--input', csv, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^lfm: wrote .*lifted\.json \(1 track, 6 frames\)\n$/);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as SeqDoc;
    expect(doc.source).toBe('dlc');
    const t = doc.tracks[0]!;
    expect([t.key, t.rig, t.frames, t.frameIds]).toEqual([
      '0',
      'dlc-quadruped',
      [0, 1, 2, 3, 4, 5],
      [0, 1, 2, 3, 4, 5],
    ]);
    const tail = t.joints.indexOf('tail_tip');
    expect(t.points3d![3]![tail]).toBeNull();
    expect(t.points3d![2]![tail]).not.toBeNull();
    expect(t.cameras.every((c) => c !== null && c.kind === 'ortho')).toBe(true);
    // --min-likelihood 0.3 keeps it.
    const loose = await liftJson('--rig-plugin', plugin, '--input', csv, '--min-likelihood', '0.3');
    expect(loose.tracks[0]!.points3d![3]![tail]).not.toBeNull();
  });

  it('without a rig: the kNN graph and a note naming lfm rigs from-dlc', async () => {
    // Body parts no registered rig has (dlc-quadruped is registered by the tests above).
    const f = join(d, 'renamed.csv');
    const lines = readFileSync(csv, 'utf8').split('\n');
    lines[1] = lines[1]!.replace(/,/g, ',x_');
    writeFileSync(f, lines.join('\n'));
    const r = await lift('--input', f);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /no rig has the body parts of track "0"; lifting with the kNN graph .*lfm rigs from-dlc/,
    );
    const doc = JSON.parse(r.stdout) as SeqDoc;
    expect(doc.tracks[0]!.rig).toBeUndefined();
    expect(doc.tracks[0]!.joints[0]).toBe('x_pelvis');
  });

  it('multi-animal: a track per individual (rig <id>), the unique body parts (rig <id>-unique)', async () => {
    const md = scratch('dlc-multi');
    const mplugin = join(md, 'rigs.js');
    const w = await runCli([
      'rigs',
      'from-dlc',
      join(trackers, 'dlc-multi', 'config.yaml'),
      '--out',
      mplugin,
    ]);
    expect(w.code, w.stderr).toBe(0);
    const doc = await liftJson(
      '--rig-plugin',
      mplugin,
      '--input',
      join(trackers, 'dlc-multi', 'predictions.csv'),
    );
    expect(doc.tracks.map((t) => [t.key, t.rig, t.frames])).toEqual([
      ['animal1', 'dlc-twoquadrupeds', [0, 1, 2, 3]],
      ['animal2', 'dlc-twoquadrupeds', [0, 1, 2]],
      ['single', 'dlc-twoquadrupeds-unique', [0, 1, 2, 3]],
    ]);
  });
});

describe('the sequence output in json, csv and npy reads back as the lift', () => {
  const input = join(trackers, 'openpose-body25');
  const d = join(dir, 'formats');
  let doc: SeqDoc;

  beforeAll(async () => {
    mkdirSync(d, { recursive: true });
    const r = await lift('--input', input, '--out', join(d, 'lifted.json'));
    expect(r.code, r.stderr).toBe(0);
    doc = JSON.parse(readFileSync(join(d, 'lifted.json'), 'utf8')) as SeqDoc;
  });

  /** The JSON document's points at sequence frame f of track k (null where missing or absent). */
  const jsonPoint = (k: number, f: number, j: number) => {
    const t = doc.tracks[k]!;
    const r = t.frames.indexOf(f);
    return r < 0 ? null : t.points3d![r]![j]!;
  };

  it('csv: DeepLabCut layout with x, y, z per body part, individuals = tracks; the sidecar has the cameras', async () => {
    const r = await lift('--input', input, '--out', join(d, 'lifted.csv'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote .*lifted\.csv \(2 tracks, 3 frames\) and lifted\.meta\.json/);
    const text = readFileSync(join(d, 'lifted.csv'), 'utf8');
    expect(
      text
        .split('\n')
        .slice(0, 4)
        .map((l) => l.split(',').slice(0, 4).join(',')),
    ).toEqual(['scorer,LFM,LFM,LFM', 'individuals,0,0,0', 'bodyparts,nose,nose,nose', 'coords,x,y,z']);
    const table = readDlcTable(text);
    expect(table.multiAnimal).toBe(true);
    expect(table.index).toEqual([0, 1, 2]);
    expect(table.groups).toHaveLength(50);
    for (const g of table.groups) {
      const k = Number(g.individual);
      const j = openposeBody25.indexOf(g.bodypart);
      for (let f = 0; f < 3; f++) {
        const p = jsonPoint(k, f, j);
        const v = [0, 1, 2].map((c) => table.values[f * table.columns + g.column + c]!);
        if (p === null) expect(v.every(Number.isNaN)).toBe(true);
        else for (let c = 0; c < 3; c++) expect(v[c]!).toBeCloseTo(p[c]!, 4);
      }
    }
    const meta = JSON.parse(readFileSync(join(d, 'lifted.meta.json'), 'utf8')) as SeqDoc;
    expect(meta.points3d).toMatchObject({ file: 'lifted.csv', format: 'csv' });
    expect(meta.tracks.map((t) => [t.key, t.frameIds, t.points3d])).toEqual([
      ['0', [0, 1, 2], undefined],
      ['1', [0, 1, 2], undefined],
    ]);
    expect(meta.tracks[1]!.cameras).toEqual(doc.tracks[1]!.cameras);
  });

  it('npy: float32 [tracks, frames, joints, 3], NaN where missing; the sidecar has the shape', async () => {
    const r = await lift('--input', input, '--out', join(d, 'lifted.npy'));
    expect(r.code, r.stderr).toBe(0);
    const npy = parseNpy(new Uint8Array(readFileSync(join(d, 'lifted.npy'))));
    expect([npy.dtype, npy.shape]).toEqual(['f4', [2, 3, 25, 3]]);
    for (let k = 0; k < 2; k++) {
      for (let f = 0; f < 3; f++) {
        for (let j = 0; j < 25; j++) {
          const p = jsonPoint(k, f, j);
          const v = Array.from(
            npy.data.subarray(((k * 3 + f) * 25 + j) * 3, ((k * 3 + f) * 25 + j) * 3 + 3) as Float32Array,
          );
          if (p === null) expect(v.every(Number.isNaN), `${k} ${f} ${j}`).toBe(true);
          else for (let c = 0; c < 3; c++) expect(v[c]!).toBeCloseTo(p[c]!, 4);
        }
      }
    }
    const meta = JSON.parse(readFileSync(join(d, 'lifted.meta.json'), 'utf8')) as SeqDoc;
    expect(meta.points3d).toMatchObject({ file: 'lifted.npy', format: 'npy', shape: [2, 3, 25, 3] });
  });

  it('json: --format-out json to stdout is the same document as --out lifted.json', async () => {
    const again = await liftJson('--input', input, '--format-out', 'json');
    expect(again).toEqual({ ...doc, input });
    expect(doc.input).toBe(input);
  });

  it('one track (DLC single animal) → the single-animal CSV layout; --format-out csv to stdout', async () => {
    const r = await lift(
      '--input',
      join(trackers, 'dlc-quadruped', 'predictions.csv'),
      '--format-out',
      'csv',
    );
    expect(r.code, r.stderr).toBe(0);
    const table = readDlcTable(r.stdout);
    expect([table.multiAnimal, table.groups.length, table.groups[0]!.coords]).toEqual([
      false,
      25,
      ['x', 'y', 'z'],
    ]);
  });

  it('--camera ortho: points in the camera frame (space "camera")', async () => {
    const cam = await liftJson('--input', input, '--camera', 'ortho');
    expect(cam.space).toBe('camera');
    const { R, t, s } = cam.tracks[0]!.cameras[0]!;
    const X = doc.tracks[0]!.points3d![0]![0]!;
    const expected = [0, 1, 2].map((r) => s * R[r]!.reduce((a, v, k) => a + v * X[k]!, 0) + (t[r] ?? 0));
    const got = cam.tracks[0]!.points3d![0]![0]!;
    for (let c = 0; c < 3; c++) expect(got[c]!).toBeCloseTo(expected[c]!, 1);
  });
});

describe('sequences of our JSON and COCO', () => {
  it('a COCO results file with track_id: frames by image_id, tracks by track_id', async () => {
    const coco = JSON.parse(readFileSync(join(examples, 'coco-body.json'), 'utf8')) as {
      keypoints: number[];
    }[];
    const dets = [1, 2].flatMap((image_id) =>
      coco.map((d, k) => ({
        ...d,
        image_id,
        track_id: 10 + k,
        keypoints: d.keypoints.map((v, i) => (i % 3 === 2 ? v : v + image_id)),
      })),
    );
    const f = join(scratch('coco-seq'), 'tracked.json');
    writeFileSync(f, JSON.stringify(dets));
    const doc = await liftJson('--input', f);
    expect(doc.source).toBe('coco');
    expect(doc.tracks.map((t) => [t.key, t.rig, t.frameIds])).toEqual([
      ['10', 'coco-17', [1, 2]],
      ['11', 'coco-17', [1, 2]],
    ]);
    expect(doc.tracks[1]!.points3d![0]![3]).toBeNull(); // v = 0 in coco-body.json
  });

  it('a folder of our JSON files, one frame each, in natural order', async () => {
    const d = scratch('lfm-folder');
    const hand = JSON.parse(readFileSync(join(examples, 'hand.json'), 'utf8'));
    for (const n of [10, 9]) writeFileSync(join(d, `hand_${n}.json`), JSON.stringify(hand));
    const doc = await liftJson('--input', d);
    expect(doc.frames.map((f) => f.file)).toEqual(['hand_9.json', 'hand_10.json']);
    expect(doc.tracks.map((t) => [t.rig, t.frameIds])).toEqual([['hand-21', [9, 10]]]);
  });
});

describe('progress on stderr for long sequences', () => {
  /** A DeepLabCut CSV of `frames` rows of a 5-point animal. */
  function longCsv(frames: number): string {
    const parts = ['a', 'b', 'c', 'd', 'e'];
    const lines = [
      `scorer,${parts.flatMap(() => ['s', 's', 's']).join(',')}`,
      `bodyparts,${parts.flatMap((p) => [p, p, p]).join(',')}`,
      `coords,${parts.flatMap(() => ['x', 'y', 'likelihood']).join(',')}`,
    ];
    for (let f = 0; f < frames; f++) {
      lines.push(
        `${f},${parts.flatMap((_, j) => [100 + 30 * j + (f % 7), 200 + 17 * ((j * j) % 5) + (f % 3), 0.9]).join(',')}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }

  it('not a terminal: a line every 5000 frames', async () => {
    const f = join(scratch('long'), 'long.csv');
    writeFileSync(f, longCsv(10_000));
    const r = await lift('--input', f, '--out', join(dir, 'long', 'long.npy'));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('lfm: lifted'));
    expect(lines).toEqual(['lfm: lifted 5120/10000 frames', 'lfm: lifted 10000/10000 frames']);
  });

  it('a terminal: one line redrawn with \\r', async () => {
    const f = join(scratch('tty'), 'tty.csv');
    writeFileSync(f, longCsv(1500));
    let stderr = '';
    const io: CliIo = {
      stdout: { write: () => true, isTTY: false },
      stderr: { write: (s: string) => (stderr += s), isTTY: true },
      cwd: dir,
      env: {},
    };
    const code = await main(
      ['lift', '--model', tiny.model.onnx, '--input', f, '--out', join(dir, 'tty', 'o.json')],
      io,
    );
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(
      '\rlfm: lifted 512/1500 frames\rlfm: lifted 1024/1500 frames\rlfm: lifted 1500/1500 frames\n',
    );
  });
});

describe('bad input: one line, exit 1, nothing written', () => {
  /** Runs lift with --out in a fresh folder and checks the error and that the folder stays empty. */
  async function expectRefused(
    name: string,
    args: string[],
    pattern: RegExp | string,
    code = 1,
  ): Promise<void> {
    const out = scratch(`refused-${name}`);
    const r = await lift(...args, '--out', join(out, 'lifted.csv'));
    expectOneLineError(r, code, pattern);
    expect(readdirSync(out)).toEqual([]);
  }

  it('DeepLabCut: wrong header rows', async () => {
    const f = join(scratch('bad-header'), 'p.csv');
    const text = readFileSync(join(trackers, 'dlc-quadruped', 'predictions.csv'), 'utf8');
    writeFileSync(f, text.replace('\nbodyparts,', '\nbodypart,'));
    await expectRefused(
      'header',
      ['--input', f, '--format', 'dlc'],
      /p\.csv: not a DeepLabCut predictions CSV: its header rows are 'scorer' \/ 'bodypart' \/ 'coords'/,
    );
  });

  it('DeepLabCut: a body part missing from config.yaml (the CSV has one the rig lacks)', async () => {
    const d = scratch('bad-config');
    const config = readFileSync(join(trackers, 'dlc-quadruped', 'config.yaml'), 'utf8')
      .replace(/ *- - tail_mid\n *- tail_tip\n/, '')
      .replace(/ *- tail_tip\n/, '');
    writeFileSync(join(d, 'config.yaml'), config);
    const plugin = join(d, 'short-rig.js');
    const w = await runCli([
      'rigs',
      'from-dlc',
      join(d, 'config.yaml'),
      '--id',
      'dlc-short',
      '--out',
      plugin,
    ]);
    expect(w.code, w.stderr).toBe(0);
    await expectRefused(
      'missing-part',
      ['--rig-plugin', plugin, '--input', join(trackers, 'dlc-quadruped', 'predictions.csv')],
      `body part 'tail_tip' of track "0" is not a joint of rig 'dlc-short' (from ${plugin}): is it missing from the project's config.yaml?`,
    );
  });

  it('DeepLabCut: config.yaml whose skeleton names a body part it does not list (from-dlc writes nothing)', async () => {
    const d = scratch('bad-skeleton');
    writeFileSync(
      join(d, 'config.yaml'),
      'Task: mouse\nbodyparts:\n- snout\n- tail\nskeleton:\n- - snout\n  - ear\n',
    );
    const r = await runCli(['rigs', 'from-dlc', join(d, 'config.yaml'), '--out', join(d, 'rig.js')]);
    expectOneLineError(
      r,
      1,
      /config\.yaml: skeleton\[0\] \[snout, ear\]: 'ear' is not a body part of the project/,
    );
    expect(existsSync(join(d, 'rig.js'))).toBe(false);
  });

  it('DeepLabCut: rows of mixed sizes', async () => {
    const f = join(scratch('bad-rows'), 'p.csv');
    const lines = readFileSync(join(trackers, 'dlc-quadruped', 'predictions.csv'), 'utf8').split('\n');
    lines[5] = lines[5]!.split(',').slice(0, 40).join(',');
    writeFileSync(f, lines.join('\n'));
    await expectRefused(
      'rows',
      ['--input', f],
      /p\.csv: line 6 has 40 cells, the header has 76 columns \(mixed row sizes\)/,
    );
  });

  it('OpenPose: a folder whose frames mix BODY_25 and COCO-18 (inconsistent keypoint counts)', async () => {
    const d = scratch('bad-op-mixed');
    cpSync(join(trackers, 'openpose-body25'), d, { recursive: true });
    const f = join(d, 'video_000000000002_keypoints.json');
    const frame = JSON.parse(readFileSync(f, 'utf8'));
    frame.people[0].pose_keypoints_2d = frame.people[0].pose_keypoints_2d.slice(0, 54);
    writeFileSync(f, JSON.stringify(frame));
    await expectRefused(
      'op-mixed',
      ['--input', d],
      /video_000000000002_keypoints\.json: people\[0\]\.pose_keypoints_2d: track "0" has 18 keypoints, but video_000000000000_keypoints\.json: people\[0\]\.pose_keypoints_2d has 25; the frames of a sequence must keep one keypoint layout per track/,
    );
  });

  it('OpenPose: a keypoint array whose length is not a multiple of 3', async () => {
    const f = join(scratch('bad-op-3'), 'f.json');
    writeFileSync(
      f,
      JSON.stringify({ version: 1.3, people: [{ person_id: [-1], pose_keypoints_2d: [1, 2, 0.9, 4, 5] }] }),
    );
    await expectRefused(
      'op-3',
      ['--input', f],
      /f\.json: people\[0\]\.pose_keypoints_2d has 5 numbers, not a multiple of 3 \(x, y, confidence\)/,
    );
  });

  it('our JSON: a list with frame ids whose frames have different keypoint counts', async () => {
    const f = join(scratch('bad-lfm'), 'seq.json');
    const pts = (n: number) => Array.from({ length: n }, (_, i) => [10 * i, (i * i) % 7]);
    writeFileSync(
      f,
      JSON.stringify([
        { frame: 0, points: pts(6) },
        { frame: 1, points: pts(5) },
      ]),
    );
    await expectRefused(
      'lfm',
      ['--input', f],
      /seq\.json: frame 1, item 0: track "0" has 5 keypoints, but frame 0, item 0 has 6/,
    );
  });

  it('an empty folder', async () => {
    const empty = scratch('empty-folder');
    await expectRefused(
      'empty',
      ['--input', empty],
      /empty-folder: no keypoint files \(\*\.json\) in the folder/,
    );
  });

  it('an OpenPose folder where nobody is detected', async () => {
    const d = scratch('nobody');
    writeFileSync(join(d, 'f_1.json'), JSON.stringify({ version: 1.3, people: [] }));
    await expectRefused(
      'nobody',
      ['--input', d],
      /no keypoints to lift: none of its 1 frame has a visible point/,
    );
  });

  it.each([
    [
      '--format-out npy without --out',
      ['--format-out', 'npy'],
      /--format-out npy writes a file: pass --out FILE\.npy/,
    ],
    [
      '--min-likelihood with OpenPose input',
      ['--min-likelihood', '0.5'],
      /--min-likelihood applies to DeepLabCut CSV input/,
    ],
    ['--min-likelihood out of range', ['--min-likelihood', '2'], /--min-likelihood must be a number ≥ 0/],
    ['--format-out bogus', ['--format-out', 'xml'], /--format-out must be one of json, csv, npy/],
  ])('usage: %s (exit 2)', async (_what, extra, pattern) => {
    expectOneLineError(await lift('--input', join(trackers, 'openpose-body25'), ...extra), 2, pattern);
  });

  it('usage: --format-out csv for a single-frame file (exit 2)', async () => {
    expectOneLineError(
      await lift('--input', join(examples, 'hand.json'), '--format-out', 'csv'),
      2,
      /--format-out csv is for sequences/,
    );
  });
});
