import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getMatVariable, matToRowMajor, matToString, parseMat, readMat } from './mat.js';
import { type TestMatVar, writeTestMat } from './test-support/mat-writer.js';
import { numbers } from './test-support/numbers.js';
import { expectBadFile, useTmpDir } from './test-support/tmp.js';

const tmp = useTmpDir('mat');

// value(i, j, k) = 100 i + 10 j + k, listed column-major (i fastest) as MATLAB stores it.
const cube: number[] = [];
for (let k = 0; k < 4; k++)
  for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) cube.push(100 * i + 10 * j + k);

const VARS: TestMatVar[] = [
  { name: 'A', className: 'double', dims: [2, 3], data: [1, 4, 2, 5, 3, 6] }, // [[1,2,3],[4,5,6]]
  { name: 'cube', className: 'single', dims: [2, 3, 4], data: cube },
  { name: 'small', className: 'double', dims: [1, 3], data: [7, 8, 255], storage: 2 }, // double stored as miUINT8
  { name: 'i8', className: 'int8', dims: [1, 2], data: [-128, 127] },
  { name: 'u16', className: 'uint16', dims: [2, 1], data: [65535, 3] },
  { name: 'i32', className: 'int32', dims: [1, 1], data: [-123456] },
  { name: 'mask', className: 'logical', dims: [1, 4], data: [1, 0, 0, 1] },
  { name: 'label', className: 'char', text: 'hello mat' },
  { name: 'z', className: 'double', dims: [1, 2], data: [1, 2], imag: [-1, 0.5] },
  { name: 'empty', className: 'double', dims: [0, 0], data: [] },
];

function checkVars(mat: ReturnType<typeof parseMat>): void {
  expect(mat.names).toEqual(VARS.map((v) => v.name));
  const A = getMatVariable(mat, 'A');
  expect([A.className, A.dims, A.storageType]).toEqual(['double', [2, 3], 'miDOUBLE']);
  expect(A.data).toBeInstanceOf(Float64Array);
  expect(numbers(A.data)).toEqual([1, 4, 2, 5, 3, 6]);
  expect(matToRowMajor(A)).toEqual({ data: new Float64Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] });

  const c = getMatVariable(mat, 'cube');
  expect([c.className, c.dims]).toEqual(['single', [2, 3, 4]]);
  expect(c.data).toBeInstanceOf(Float32Array);
  const rm = matToRowMajor(c).data;
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 3; j++)
      for (let k = 0; k < 4; k++) {
        expect(rm[(i * 3 + j) * 4 + k]).toBe(100 * i + 10 * j + k);
      }

  const s = getMatVariable(mat, 'small');
  expect([s.className, s.storageType, numbers(s.data)]).toEqual(['double', 'miUINT8', [7, 8, 255]]);
  expect(s.data).toBeInstanceOf(Float64Array);
  expect(getMatVariable(mat, 'i8').data).toEqual(new Int8Array([-128, 127]));
  expect(getMatVariable(mat, 'u16').data).toEqual(new Uint16Array([65535, 3]));
  expect(getMatVariable(mat, 'i32').data).toEqual(new Int32Array([-123456]));
  const m = getMatVariable(mat, 'mask');
  expect([m.className, numbers(m.data)]).toEqual(['logical', [1, 0, 0, 1]]);
  expect(matToString(getMatVariable(mat, 'label'))).toBe('hello mat');
  const z = getMatVariable(mat, 'z');
  expect([numbers(z.data), numbers(z.imag!)]).toEqual([
    [1, 2],
    [-1, 0.5],
  ]);
  const e = getMatVariable(mat, 'empty');
  expect([e.dims, e.data.length]).toEqual([[0, 0], 0]);
}

describe('MAT v5 round trip (test writer → readMat)', () => {
  for (const compress of [false, true]) {
    for (const bigEndian of [false, true]) {
      it(`${compress ? 'compressed (miCOMPRESSED)' : 'uncompressed (miMATRIX)'}, ${bigEndian ? 'big' : 'little'}-endian`, async () => {
        const file = join(tmp, `v-${compress}-${bigEndian}.mat`);
        writeFileSync(file, writeTestMat(VARS, { compress, bigEndian }));
        const mat = await readMat(file);
        expect(mat.littleEndian).toBe(!bigEndian);
        expect(mat.header).toMatch(/^MATLAB 5\.0 MAT-file/);
        checkVars(mat);
      });
    }
  }

  it('multi-row char arrays read row by row', () => {
    // ['ab'; 'cd'] column-major: a c b d.
    const bytes = writeTestMat([
      { name: 'rows', className: 'uint16', dims: [2, 2], data: [97, 99, 98, 100] },
    ]);
    const v = getMatVariable(parseMat(bytes), 'rows');
    expect(() => matToString(v)).toThrow(/is uint16, not char/);
    expect(matToString({ ...v, className: 'char' })).toBe('ab\ncd');
  });

  it('getMatVariable lists what the file has', () => {
    const mat = parseMat(writeTestMat(VARS.slice(0, 2)));
    expect(() => getMatVariable(mat, 'B', 'x.mat')).toThrow(/x\.mat: no variable "B" \(variables: A, cube\)/);
  });
});

describe('bad MAT files → DataFormatError naming the file, variable and problem', () => {
  const bad = (bytes: Uint8Array, message: RegExp) =>
    expectBadFile(tmp, '.mat', (f) => readMat(f), bytes, message);

  for (const compress of [false, true]) {
    it(`unsupported classes (struct, cell, sparse)${compress ? ', compressed' : ''}`, async () => {
      const A = VARS[0]!;
      await bad(
        writeTestMat([A, { name: 'cfg', className: 'struct' }], { compress }),
        /variable "cfg" has unsupported class struct/,
      );
      await bad(
        writeTestMat([{ name: 'parts', className: 'cell' }], { compress }),
        /variable "parts" has unsupported class cell/,
      );
      await bad(
        writeTestMat([{ name: 'sp', className: 'sparse' }], { compress }),
        /variable "sp" has unsupported class sparse/,
      );
      // …or skip them on request.
      const mat = parseMat(writeTestMat([{ name: 'cfg', className: 'struct' }, A], { compress }), 'f.mat', {
        skipUnsupported: true,
      });
      expect(mat.names).toEqual(['A']);
      expect(mat.skipped).toEqual([{ name: 'cfg', className: 'struct' }]);
    });
  }

  it('a v7.3 (HDF5) file gets a clear message', async () => {
    const bytes = new Uint8Array(1024).fill(0x20);
    bytes.set(
      new TextEncoder().encode(
        'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan 1 2024 HDF5 schema 1.00 .',
      ),
    );
    bytes.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], 512);
    await bad(bytes, /MATLAB v7\.3 MAT-file \(HDF5\) is not supported; re-save it with .*-v7/);
  });

  it('not a MAT v5 file (v4 / other bytes / too short)', async () => {
    await bad(new Uint8Array(200), /not a MAT v5 file/);
    await bad(new Uint8Array(20), /not a MAT v5 file \(20 bytes/);
  });

  it('truncated files and corrupt compressed data', async () => {
    const plain = writeTestMat(VARS);
    await bad(
      plain.subarray(0, plain.length - 20),
      /truncated: top-level element \d+ at byte \d+ \(miMATRIX\) announces \d+ bytes but only \d+ remain/,
    );
    const z = writeTestMat(VARS, { compress: true });
    await bad(z.subarray(0, z.length - 10), /truncated: .*miCOMPRESSED/);
    const corrupt = z.slice();
    corrupt[136] = 0xff - corrupt[136]!; // the first zlib stream's 2-byte header
    corrupt[137] = 0xff - corrupt[137]!;
    await bad(corrupt, /cannot inflate compressed element 0 at byte 128/);
  });

  it('data that disagrees with the dims', async () => {
    const bytes = writeTestMat([{ name: 'W', className: 'double', dims: [2, 2], data: [1, 2, 3] }]);
    await bad(bytes, /variable "W": real part has 3 miDOUBLE values but dims \[2, 2\] need 4/);
  });

  it('a missing file', async () => {
    await expect(readMat(join(tmp, 'none.mat'))).rejects.toThrow(/none\.mat: file not found/);
  });
});
