import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bvhForwardKinematics, readBvh } from './bvh.js';
import { loadDataset } from './dataset.js';
import { getMatVariable, matToRowMajor, matToString, readMat } from './mat.js';
import { readNpy } from './npy.js';
import { numbers } from './test-support/numbers.js';
import { HAVE_NATIVE, NATIVE_DIR, SHARED_DATA_DIR, warnIfMissing } from './test-support/shared-data.js';

// Expected values: shared/data/native/README.md ("Expected parse results").
warnIfMissing(HAVE_NATIVE, 'native loader tests');

const native = (f: string): string => join(NATIVE_DIR, f);
const dataset = (d: string): string => join(SHARED_DATA_DIR, d);

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tol);
}

function point(positions: Float32Array, K: number, f: number, k: number): number[] {
  const o = (f * K + k) * 3;
  return [positions[o]!, positions[o + 1]!, positions[o + 2]!];
}

describe.skipIf(!HAVE_NATIVE)('native files (shared/data/native)', () => {
  it('are the files the README describes (sha256 prefixes)', () => {
    const want: Record<string, string> = {
      'dataset-1_dash_normal_001.bvh': '8d83d59613515503',
      'dataset-2_wave-left-hand_active_011.bvh': '9bce1fce786b19d2',
      'D1_010_KAN01_002.bvh': 'b7f7c3016f775177',
      'drink.mat': '4cb68c475902e927',
      'AFLW2000-3D.pts68.npy': '4547d9368572548b',
      'pose_gt.mat': '1655f44805b52f41',
    };
    for (const [f, sha] of Object.entries(want)) {
      expect(
        createHash('sha256')
          .update(readFileSync(native(f)))
          .digest('hex')
          .slice(0, 16),
        f,
      ).toBe(sha);
    }
  });

  describe('Bandai BVH', () => {
    const cases = [
      {
        file: 'dataset-1_dash_normal_001.bvh',
        frames: 20,
        // native/README.md says every End Site OFFSET is 0 0 0; in this file they are not.
        endOffsets: [
          [10, 0, 0],
          [5, 0, 0],
          [-5, 0, 0],
          [5, 0, 0],
          [-5, 0, 0],
        ],
        fk: {
          Hips: [0.1589, 82.5403, -5.3496],
          Head: [1.6509, 120.3428, 21.7482],
          Hand_L: [14.3064, 79.9442, 29.8785],
        },
        seq: 'dataset-1_dash_normal_001',
      },
      {
        file: 'dataset-2_wave-left-hand_active_011.bvh',
        frames: 19,
        endOffsets: [
          [0, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
        ],
        fk: {
          Hips: [-0.3881, 82.2663, -0.2452],
          Head: [0.8715, 129.0378, -0.0522],
          Hand_L: [13.6393, 73.3538, -13.5496],
        },
        seq: 'dataset-2_wave-left-hand_active_011',
      },
    ];
    for (const c of cases) {
      it(`${c.file}: hierarchy, channels, frames`, async () => {
        const bvh = await readBvh(native(c.file));
        expect(bvh.nodes).toHaveLength(27);
        expect(bvh.nodes.filter((n) => !n.endSite)).toHaveLength(22);
        expect(bvh.nodes.filter((n) => n.endSite)).toHaveLength(5);
        expect(
          bvh.nodes.every(
            (n) =>
              n.endSite ||
              n.channels.join(' ') === 'Xposition Yposition Zposition Zrotation Xrotation Yrotation',
          ),
        ).toBe(true);
        expect(bvh.nodes.filter((n) => n.endSite).map((n) => [...n.offset])).toEqual(c.endOffsets);
        expect(bvh.nodes.slice(0, 6).map((n) => n.name)).toEqual([
          'joint_Root',
          'Hips',
          'Spine',
          'Chest',
          'Neck',
          'Head',
        ]);
        expect(bvh.channelCount).toBe(132);
        expect(bvh.frames).toBe(c.frames);
        expect(bvh.frameTime).toBeCloseTo(0.0333333, 7);
        expect(Array.from(bvh.motion.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, -0]);
      });

      it(`${c.file}: forward kinematics at frame 0 (1e-3 cm)`, async () => {
        const fk = bvhForwardKinematics(await readBvh(native(c.file)));
        expect(fk.names).toHaveLength(27);
        expect(fk.frames).toBe(c.frames);
        for (const [name, want] of Object.entries(c.fk)) {
          expectClose(point(fk.positions, 27, 0, fk.names.indexOf(name)), want, 1e-3);
        }
      });

      it(`${c.file}: matches bandai-body (frames 0, 8, 16; joint_Root and End Sites dropped)`, async () => {
        const fk = bvhForwardKinematics(await readBvh(native(c.file)), {
          frames: [0, 8, 16],
          dropEndSites: true,
          drop: ['joint_Root'],
        });
        const ds = await loadDataset(dataset('bandai-body'), { views: false });
        expect(fk.names).toEqual(ds.joints);
        const seq = ds.sequences.find((s) => s.id === c.seq)!;
        expect(seq.count).toBe(3);
        const J = ds.numJoints;
        const stored = ds.points.subarray(seq.start * J * 3, (seq.start + 3) * J * 3);
        expectClose(fk.positions, Array.from(stored), 1e-3);
        expect(fk.edges).toContainEqual([0, 1]); // Hips → Spine
        expect(fk.parents[0]).toBe(-1); // Hips is a root once joint_Root is dropped
      });
    }
  });

  describe('MANN dog BVH', () => {
    it('hierarchy, channels, frames, first values', async () => {
      const bvh = await readBvh(native('D1_010_KAN01_002.bvh'));
      expect(bvh.nodes).toHaveLength(27);
      expect(bvh.nodes.filter((n) => n.endSite)).toHaveLength(6);
      expect(bvh.nodes[0]!.channels).toHaveLength(6);
      expect(
        bvh.nodes
          .slice(1)
          .every((n) => n.endSite || n.channels.join(' ') === 'Zrotation Xrotation Yrotation'),
      ).toBe(true);
      expect(bvh.channelCount).toBe(66);
      expect(bvh.frames).toBe(155);
      expect(bvh.frameTime).toBeCloseTo(0.0166667, 7);
      expect(Array.from(bvh.motion.subarray(0, 6))).toEqual([
        -17.969, 52.075, -519.751, -4.80122, 8.28961, 96.7006,
      ]);
    });

    it('forward kinematics at frame 0 (1e-3 cm), End Sites named <parent>_End', async () => {
      const fk = bvhForwardKinematics(await readBvh(native('D1_010_KAN01_002.bvh')));
      const at = (name: string): number[] => point(fk.positions, fk.names.length, 0, fk.names.indexOf(name));
      expectClose(at('Hips'), [-17.969, 52.075, -519.751], 1e-3);
      expectClose(at('Head'), [-10.5713, 40.5647, -467.1604], 1e-3);
      expectClose(at('LeftHand'), [-12.41, 9.4358, -507.9019], 1e-3);
      expectClose(at('Tail1_End'), [2.3164, 46.1926, -535.4841], 1e-3);
      expectClose(at('Spine'), at('Hips'), 1e-4);
    });

    it('matches dog-body (every 4th frame, Spine dropped, End Sites kept)', async () => {
      const frames = Array.from({ length: 39 }, (_, i) => 4 * i);
      const fk = bvhForwardKinematics(await readBvh(native('D1_010_KAN01_002.bvh')), {
        frames,
        drop: ['Spine'],
      });
      const ds = await loadDataset(dataset('dog-body'));
      expect(fk.names).toEqual(ds.joints);
      const seq = ds.sequences.find((s) => s.id === 'D1_010_KAN01_002')!;
      expect([seq.start, seq.count]).toEqual([2756, 39]);
      const J = ds.numJoints;
      expectClose(
        fk.positions,
        Array.from(ds.points.subarray(seq.start * J * 3, (seq.start + 39) * J * 3)),
        1e-3,
      );
      expect(fk.edges).toContainEqual([0, 1]); // Spine1 re-attached to Hips
    });
  });

  describe('drink.mat (MAT v5, compressed)', () => {
    it('variables, classes, dims and first values', async () => {
      const mat = await readMat(native('drink.mat'));
      expect([...mat.names].sort()).toEqual([
        'K',
        'Rs',
        'S',
        'Shat',
        'W',
        'filename',
        'list',
        'scale',
        'theta',
      ]);
      const v = (n: string) => getMatVariable(mat, n);
      // native/README.md lists K, list and theta as uint8: that is their storage type (what scipy's
      // loadmat reports); their MATLAB class is double.
      const k = v('K');
      expect([k.className, k.storageType, k.dims, numbers(k.data)]).toEqual([
        'double',
        'miUINT8',
        [1, 1],
        [13],
      ]);
      expect([v('Rs').className, v('Rs').dims]).toEqual(['double', [2204, 3]]);
      expectClose(v('Rs').data.subarray(0, 3) as Float64Array, [0.08715574, 0, 0.17364818], 1e-8);
      expect([v('S').className, v('S').dims]).toEqual(['double', [3306, 41]]);
      expectClose(v('S').data.subarray(0, 3) as Float64Array, [-0.12358813, 0.06230925, 0.11752148], 1e-8);
      expect(v('Shat').dims).toEqual([3306, 41]);
      expect(v('Shat').data[0]).toBeCloseTo(-0.44715325, 8);
      expect(v('W').dims).toEqual([2204, 41]);
      expect(v('W').data[0]).toBeCloseTo(0.05130073, 8);
      expect(v('filename').className).toBe('char');
      expect(matToString(v('filename'))).toBe('drink');
      expect([v('list').className, v('list').storageType, v('list').dims]).toEqual([
        'double',
        'miUINT8',
        [53, 2],
      ]);
      const list = matToRowMajor(v('list'));
      expect(Array.from(list.data.subarray(0, 2))).toEqual([18, 22]);
      expect(v('scale').data[0]).toBe(3.2626103181133796);
      expect([v('theta').className, v('theta').storageType, numbers(v('theta').data)]).toEqual([
        'double',
        'miUINT8',
        [5],
      ]);
      expect(v('filename').storageType).toBe('miUTF8');
      expect(v('S').data).toBeInstanceOf(Float64Array);
    });

    it('S·scale is akhter-markers drink, frame 0 marker 0', async () => {
      const mat = await readMat(native('drink.mat'));
      const S = matToRowMajor(getMatVariable(mat, 'S')); // [3F, P], row 3f + c
      const scale = getMatVariable(mat, 'scale').data[0] as number;
      const P = 41;
      expectClose([S.data[0]!, S.data[P]!, S.data[2 * P]!], [-0.12358813, 0.06230925, 0.11752148], 1e-8);
      const ds = await loadDataset(dataset('akhter-markers'));
      const drink = ds.sequences.find((s) => s.id === 'drink')!;
      expect(drink.count).toBe(1102);
      // Compare every frame: points[f, p, c] = S[3f + c, p] · scale.
      let maxErr = 0;
      for (let f = 0; f < 1102; f++) {
        for (let p = 0; p < P; p++) {
          for (let c = 0; c < 3; c++) {
            const want = S.data[(3 * f + c) * P + p]! * scale;
            maxErr = Math.max(maxErr, Math.abs(ds.points[((drink.start + f) * P + p) * 3 + c]! - want));
          }
        }
      }
      expect(maxErr).toBeLessThan(1e-5);
      expectClose(ds.points.subarray(0, 3), [-0.4032199, 0.20329079, 0.3834268], 1e-6);
    });
  });

  describe('pose_gt.mat (MAT v5, uncompressed)', () => {
    it('one single-precision 583×21×3 variable; row-major helper and realworld-hand agree', async () => {
      const mat = await readMat(native('pose_gt.mat'));
      expect(mat.names).toEqual(['pose_gt']);
      const v = getMatVariable(mat, 'pose_gt');
      expect(v.className).toBe('single');
      expect(v.data).toBeInstanceOf(Float32Array);
      expect(v.dims).toEqual([583, 21, 3]);
      const rm = matToRowMajor(v);
      expect(rm.shape).toEqual([583, 21, 3]);
      expectClose(rm.data.subarray(0, 3), [0.41856557, 11.017581, 42.429573], 1e-5);
      expectClose(rm.data.subarray(4 * 3, 5 * 3), [-7.7553697, 0.82535803, 42.42034], 1e-5);
      const ds = await loadDataset(dataset('realworld-hand'));
      expect(Array.from(ds.points)).toEqual(Array.from(new Float32Array(rm.data)));
    });
  });

  describe('AFLW2000-3D.pts68.npy', () => {
    it('header, shape and landmarks; aflw-face is the transpose with z negated', async () => {
      const a = await readNpy(native('AFLW2000-3D.pts68.npy'));
      expect([a.descr, a.dtype, a.fortranOrder, a.shape]).toEqual(['<f4', 'f4', false, [2000, 3, 68]]);
      expect(a.data).toBeInstanceOf(Float32Array);
      const f32 = a.data as Float32Array;
      const at = (i: number, l: number) => [0, 1, 2].map((c) => f32[(i * 3 + c) * 68 + l]!);
      expectClose(at(0, 0), [121.868034, 167.16422, -65.10889], 1e-4);
      expectClose(at(0, 30), [225.08842, 281.8034, 83.22617], 1e-4);
      const ds = await loadDataset(dataset('aflw-face'));
      expectClose(ds.points.subarray(0, 3), [121.868034, 167.16422, 65.10889], 1e-4);
      for (let i = 0; i < 2000; i += 97) {
        for (let l = 0; l < 68; l += 7) {
          const [x, y, z] = at(i, l);
          expect(Array.from(ds.points.subarray((i * 68 + l) * 3, (i * 68 + l) * 3 + 3))).toEqual([x, y, -z!]);
        }
      }
    });
  });
});
