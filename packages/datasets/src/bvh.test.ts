import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError, InputError, Rng } from '@lfm/core';
import { describe, expect, it } from 'vitest';
import { type Bvh, bvhForwardKinematics, parseBvh, readBvh } from './bvh.js';
import { formatTestBvh } from './test-support/bvh-writer.js';
import { useTmpDir } from './test-support/tmp.js';

const tmp = useTmpDir('bvh');

// Root rotated 90° about Y; joint `a` rotated Z then X (listed order); `b` with interleaved channels
// including a position channel; two End Sites under `a`.
const TEXT = `HIERARCHY
ROOT root
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Yrotation Xrotation Zrotation
  JOINT a
  {
    OFFSET 1 0 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 2 0
    }
    End Site
    {
      OFFSET 0 0 3
    }
  }
  JOINT b
  {
    OFFSET 0 5 0
    CHANNELS 3 Xrotation Yposition Zrotation
    JOINT c
    {
      OFFSET 0 1 0
      CHANNELS 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.04
10 20 30 90 0 0   90 0 0   90 7 90
0 0 0 0 0 0   0 90 0   0 5 0
`;

const pos = (
  fk: { positions: Float32Array; names: readonly string[] },
  f: number,
  name: string,
): number[] => {
  const K = fk.names.length;
  const k = fk.names.indexOf(name);
  expect(k, name).toBeGreaterThanOrEqual(0);
  return Array.from(fk.positions.subarray((f * K + k) * 3, (f * K + k) * 3 + 3));
};

function expectClose(a: readonly number[], b: readonly number[], tol = 1e-5): void {
  expect(a).toHaveLength(b.length);
  a.forEach((x, i) => {
    expect(Math.abs(x - b[i]!), `component ${i}: ${a} vs ${b}`).toBeLessThanOrEqual(tol);
  });
}

describe('parseBvh', () => {
  it('reads nodes, channels, offsets, End Site names and motion', () => {
    const bvh = parseBvh(TEXT);
    expect(bvh.nodes.map((n) => n.name)).toEqual(['root', 'a', 'a_End', 'a_End2', 'b', 'c']);
    expect(bvh.nodes.map((n) => n.parent)).toEqual([-1, 0, 1, 1, 0, 4]);
    expect(bvh.nodes.map((n) => n.endSite)).toEqual([false, false, true, true, false, false]);
    expect(bvh.nodes.map((n) => n.channelStart)).toEqual([0, 6, 9, 9, 9, 12]);
    expect(bvh.nodes[4]!.channels).toEqual(['Xrotation', 'Yposition', 'Zrotation']);
    expect(bvh.nodes[2]!.offset).toEqual([0, 2, 0]);
    expect([bvh.frames, bvh.frameTime, bvh.channelCount]).toEqual([2, 0.04, 12]);
    expect(Array.from(bvh.motion.subarray(12, 24))).toEqual([0, 0, 0, 0, 0, 0, 0, 90, 0, 0, 5, 0]);
  });

  it('accepts CRLF line endings, tabs, braces on the name line and names with spaces', () => {
    const text = TEXT.replace('ROOT root\n{', 'ROOT my root {').replace(/\n/g, '\r\n').replace(/ {2}/g, '\t');
    const bvh = parseBvh(text);
    expect(bvh.nodes[0]!.name).toBe('my root');
    expect(bvh.motion).toEqual(parseBvh(TEXT).motion);
  });
});

describe('bvhForwardKinematics', () => {
  it('known answers: p = p_parent + R_parent·t, R = R_parent·(rotations in listed order), position channels replace OFFSET', () => {
    const fk = bvhForwardKinematics(parseBvh(TEXT));
    // Frame 0. Root at (10,20,30), Ry(90): x → −z.
    expectClose(pos(fk, 0, 'root'), [10, 20, 30]);
    expectClose(pos(fk, 0, 'a'), [10, 20, 29]);
    // R_a = Ry(90)·Rz(90)·Rx(0)·Ry(0): (0,2,0) → Rz → (−2,0,0) → Ry → (0,0,2).
    expectClose(pos(fk, 0, 'a_End'), [10, 20, 31]);
    // (0,0,3) → Rz(90) leaves it → Ry(90) → (3,0,0).
    expectClose(pos(fk, 0, 'a_End2'), [13, 20, 29]);
    // b: Yposition 7 replaces OFFSET y (5): t = (0,7,0), unchanged by Ry → (10,27,30).
    expectClose(pos(fk, 0, 'b'), [10, 27, 30]);
    // R_b = Ry(90)·Rx(90)·Rz(90); c's (0,1,0) → Rz → (−1,0,0) → Rx → (−1,0,0) → Ry → (0,0,1).
    expectClose(pos(fk, 0, 'c'), [10, 27, 31]);
    // Frame 1: a has Xrotation 90 (listed second): (0,2,0) → (0,0,2).
    expectClose(pos(fk, 1, 'a_End'), [1, 0, 2]);
    expectClose(pos(fk, 1, 'b'), [0, 5, 0]);
  });

  it('the listed order matters: "Zrotation Xrotation" ≠ "Xrotation Zrotation"', () => {
    const make = (order: string) =>
      parseBvh(
        `HIERARCHY\nROOT r\n{\nOFFSET 0 0 0\nCHANNELS 2 ${order}\nEnd Site\n{\nOFFSET 0 1 0\n}\n}\nMOTION\nFrames: 1\nFrame Time: 1\n90 90\n`,
      );
    const zx = bvhForwardKinematics(make('Zrotation Xrotation'));
    const xz = bvhForwardKinematics(make('Xrotation Zrotation'));
    expectClose(pos(zx, 0, 'r_End'), [0, 0, 1]); // Rz(90)·Rx(90)·(0,1,0) = Rz·(0,0,1)
    expectClose(pos(xz, 0, 'r_End'), [-1, 0, 0]); // Rx(90)·Rz(90)·(0,1,0) = Rx·(−1,0,0)
  });

  it('agrees with an independent matrix-product FK on random motion', () => {
    const bvh = parseBvh(TEXT);
    const rng = new Rng(7);
    const motion = new Float64Array(5 * 12).map(() => rng.range(-180, 180));
    const random: Bvh = { ...bvh, frames: 5, motion };
    const fk = bvhForwardKinematics(random);
    const axis = (ax: string, deg: number): number[][] => {
      const a = (deg * Math.PI) / 180;
      const c = Math.cos(a);
      const s = Math.sin(a);
      if (ax === 'X')
        return [
          [1, 0, 0],
          [0, c, -s],
          [0, s, c],
        ];
      if (ax === 'Y')
        return [
          [c, 0, s],
          [0, 1, 0],
          [-s, 0, c],
        ];
      return [
        [c, -s, 0],
        [s, c, 0],
        [0, 0, 1],
      ];
    };
    const mul = (A: number[][], B: number[][]) =>
      A.map((r) => [0, 1, 2].map((j) => r[0]! * B[0]![j]! + r[1]! * B[1]![j]! + r[2]! * B[2]![j]!));
    const apply = (A: number[][], v: number[]) => A.map((r) => r[0]! * v[0]! + r[1]! * v[1]! + r[2]! * v[2]!);
    for (let f = 0; f < 5; f++) {
      const Rw: number[][][] = [];
      const Pw: number[][] = [];
      random.nodes.forEach((n, i) => {
        const t = [...n.offset];
        let R = axis('X', 0);
        n.channels.forEach((ch, c) => {
          const v = motion[f * 12 + n.channelStart + c]!;
          if (ch.endsWith('position')) t['XYZ'.indexOf(ch[0]!)] = v;
          else R = mul(R, axis(ch[0]!, v));
        });
        if (n.parent < 0) {
          Rw[i] = R;
          Pw[i] = t;
        } else {
          Rw[i] = mul(Rw[n.parent]!, R);
          Pw[i] = apply(Rw[n.parent]!, t).map((x, k) => x + Pw[n.parent]![k]!);
        }
        expectClose(pos(fk, f, n.name), Pw[i]!, 1e-4);
      });
    }
  });

  it('drops End Sites or named joints; children attach to the nearest kept ancestor', () => {
    const bvh = parseBvh(TEXT);
    const all = bvhForwardKinematics(bvh);
    expect(all.edges).toEqual([
      [0, 1],
      [1, 2],
      [1, 3],
      [0, 4],
      [4, 5],
    ]);
    const some = bvhForwardKinematics(bvh, { dropEndSites: true, drop: ['b'], frames: [1] });
    expect(some.names).toEqual(['root', 'a', 'c']);
    expect(Array.from(some.parents)).toEqual([-1, 0, 0]);
    expect(some.edges).toEqual([
      [0, 1],
      [0, 2],
    ]);
    expect(Array.from(some.nodeIndex)).toEqual([0, 1, 5]);
    expect(some.frames).toBe(1);
    expectClose(pos(some, 0, 'c'), pos(all, 1, 'c'));
    const byPredicate = bvhForwardKinematics(bvh, { drop: (n) => n.name.startsWith('a') });
    expect(byPredicate.names).toEqual(['root', 'b', 'c']);
    expect(() => bvhForwardKinematics(bvh, { drop: ['nope'] })).toThrow(InputError);
    expect(() => bvhForwardKinematics(bvh, { frames: [2] })).toThrow(/frame 2 is outside \[0, 2\)/);
  });
});

describe('BVH round trip through a file', () => {
  it('write (test writer) → readBvh gives the same hierarchy and motion', async () => {
    const bvh = parseBvh(TEXT);
    const rng = new Rng(3);
    const random: Bvh = {
      ...bvh,
      frames: 4,
      motion: new Float64Array(48).map(() => Math.round(rng.range(-900, 900)) / 8),
    };
    const file = join(tmp, 'round.bvh');
    writeFileSync(file, formatTestBvh(random, { eol: '\r\n' }));
    const back = await readBvh(file);
    expect(back.nodes).toEqual(random.nodes);
    expect(back.motion).toEqual(random.motion);
    expect(back.frameTime).toBe(0.04);
  });
});

describe('bad BVH files → DataFormatError naming the file and the problem', () => {
  const bad = (text: string, message: RegExp) => {
    const file = join(tmp, `bad-${Math.random().toString(36).slice(2)}.bvh`);
    writeFileSync(file, text);
    return expect(readBvh(file)).rejects.toThrow(
      expect.objectContaining({ name: 'DataFormatError', file, message: expect.stringMatching(message) }),
    );
  };

  it('truncated in MOTION (names the expected and found value counts)', async () => {
    await bad(
      TEXT.slice(0, TEXT.lastIndexOf('0 0 0 0 0 0') + 6),
      /truncated MOTION: Frames: 2 × 12 channels = 24 values expected, found 15 \(frame 1/,
    );
  });

  it('truncated in HIERARCHY', async () => {
    await bad(TEXT.slice(0, TEXT.indexOf('JOINT b')), /no MOTION section \(truncated file\?\)/);
    await bad(
      `${TEXT.slice(0, TEXT.indexOf('JOINT b'))}\nMOTION\nFrames: 0\nFrame Time: 1\n`,
      /unexpected end of HIERARCHY/,
    );
  });

  it('more values than Frames × channels, a non-number, an unknown channel, a duplicate name', async () => {
    await bad(`${TEXT}1 2 3\n`, /more motion values than Frames: 2 × 12 channels = 24/);
    await bad(TEXT.replace('90 7 90', '90 x 90'), /line 33: motion value "x" is not a finite number/);
    await bad(
      TEXT.replace('Yposition Zrotation', 'Wposition Zrotation'),
      /line 22: unknown channel "Wposition" of "b"/,
    );
    await bad(TEXT.replace('JOINT c', 'JOINT a'), /joint name "a" appears twice/);
    await bad('not a bvh', /not a BVH file/);
  });

  it('a missing file', async () => {
    await expect(readBvh(join(tmp, 'nope.bvh'))).rejects.toBeInstanceOf(DataFormatError);
  });
});
