import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, randomRotation } from '@lfm/core';
import { loadDataset } from '@lfm/datasets';
import { getRig } from '@lfm/rig';
import { registerBuiltinRigs } from '@lfm/rigs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoData, runCli } from './test-support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lfm-cli-symmetry-'));
const face = join(demoData, 'demo-face');
let input: string;
let declared: Set<string>;
const key = (a: number, b: number) => `${Math.min(a, b)}-${Math.max(a, b)}`;

beforeAll(async () => {
  // 60 frames of the demo face (68 points, the iBUG order), each an orthographic view from a random
  // rotation, as a keypoint list with frame ids that lfm lift reads.
  const ds = await loadDataset(face);
  declared = new Set(ds.symmetry.map(([a, b]) => key(a, b)));
  const rng = new Rng(4);
  const R = new Float64Array(9);
  const J = ds.numJoints;
  const frames = Array.from({ length: 60 }, (_, f) => {
    randomRotation(rng, R);
    const points = Array.from({ length: J }, (_, j) => {
      const p = [0, 1, 2].map((c) => ds.points[3 * (f * J + j) + c]!);
      return [0, 1].map(
        (r) => 500 + 200 * (R[3 * r]! * p[0]! + R[3 * r + 1]! * p[1]! + R[3 * r + 2]! * p[2]!),
      );
    });
    return { frame: f, rig: 'ibug-face-68', points };
  });
  input = join(dir, 'face-2d.json');
  writeFileSync(input, JSON.stringify(frames));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lfm rigs symmetry', () => {
  it('finds the declared mirror pairs of the demo face again, from its 3D and from 2D views alone', async () => {
    const ds = await loadDataset(face);
    const from3d = await runCli(['rigs', 'symmetry', '--data', face, '--json']);
    expect(from3d.code, from3d.stderr).toBe(0);
    const r3 = JSON.parse(from3d.stdout);
    expect(r3.accepted).toBe(true);
    const idx = (name: string) => ds.joints!.indexOf(name);
    expect(new Set(r3.pairs.map(([a, b]: string[]) => key(idx(a!), idx(b!))))).toEqual(declared);

    registerBuiltinRigs();
    const ibug = getRig('ibug-face-68');
    const from2d = await runCli(['rigs', 'symmetry', '--rig', 'ibug-face-68', '--input', input, '--json']);
    expect(from2d.code, from2d.stderr).toBe(0);
    const r2 = JSON.parse(from2d.stdout);
    expect(r2.source).toMatch(/the 2D of 60 frames/);
    const found = r2.pairs.map(([a, b]: string[]) => key(ibug.joints.indexOf(a!), ibug.joints.indexOf(b!)));
    expect(new Set(found)).toEqual(declared);
  });

  it('--out writes a rig plugin with the pairs that lfm rigs loads', async () => {
    const out = join(dir, 'face-rig.js');
    const r = await runCli(['rigs', 'symmetry', '--data', face, '--out', out, '--id', 'my-face']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^demo-face: 29 mirror pairs and \d+ joints on the plane/);
    expect(r.stderr).toMatch(/wrote .*face-rig\.js \(my-face: 29 mirror pairs\)/);
    expect(readFileSync(out, 'utf8')).toMatch(/lfm lift --rig-plugin \.\/face-rig\.js --rig my-face/);
    const show = await runCli(['rigs', 'show', 'my-face', '--json', '--rig-plugin', out]);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout).mirror).toHaveLength(29);
  });

  it('bad input: one-line errors, nothing written', async () => {
    const out = join(dir, 'never.js');
    const neither = await runCli(['rigs', 'symmetry', '--out', out]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/give --input FILE \(with --rig\) or --data DIR/);
    const noRig = await runCli(['rigs', 'symmetry', '--input', input]);
    expect(noRig.code).toBe(2);
    expect(noRig.stderr).toMatch(/--input needs --rig ID/);
    const wrongRig = await runCli(['rigs', 'symmetry', '--data', face, '--rig', 'coco-17', '--out', out]);
    expect(wrongRig.code).toBe(1);
    expect(wrongRig.stderr).toMatch(/the data has 68 joints, rig coco-17 has 17/);
    const stray = await runCli(['rigs', 'list', '--data', face]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--data is a flag of lfm rigs from-dlc or symmetry/);
    expect(existsSync(out)).toBe(false);
  });
});
