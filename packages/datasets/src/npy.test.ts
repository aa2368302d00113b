import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy, type NpyData, parseNpy, readNpy, writeNpy } from './npy.js';
import { numbers } from './test-support/numbers.js';
import { expectBadFile, useTmpDir } from './test-support/tmp.js';

const tmp = useTmpDir('npy');

/** Hand-built .npy bytes: any version, header dict and raw data bytes. */
function rawNpy(version: 1 | 2 | 3, dict: string, data: Uint8Array): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 16) * 16;
  const header = new TextEncoder().encode(`${dict}${' '.repeat(total - pre - dict.length - 1)}\n`);
  const out = new Uint8Array(pre + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, header.length, true);
  else v.setUint32(8, header.length, true);
  out.set(header, pre);
  out.set(data, pre + header.length);
  return out;
}

const le = (values: number[], set: (v: DataView, o: number, x: number) => void, size: number) => {
  const b = new Uint8Array(values.length * size);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => {
    set(v, i * size, x);
  });
  return b;
};

describe('NPY round trip (encodeNpy → parseNpy, writeNpy → readNpy)', () => {
  const cases: [string, NpyData, number[]][] = [
    ['<f4', new Float32Array([1.5, -2.25, Number.NaN, 3e-30, 0, 7, 8, 9, 10, 11, 12, 13]), [2, 3, 2]],
    ['<f8', new Float64Array([Math.PI, -Math.E, 1e300, 5e-324, 0, -0]), [3, 2]],
    ['|i1', new Int8Array([-128, 127, 0, 1]), [4]],
    ['|u1', new Uint8Array([0, 255, 7, 8, 9, 10]), [1, 6]],
    ['<i2', new Int16Array([-32768, 32767]), [2, 1]],
    ['<u2', new Uint16Array([65535, 1]), [2]],
    ['<i4', new Int32Array([-(2 ** 31), 2 ** 31 - 1, 5, 6]), [2, 2]],
    ['<u4', new Uint32Array([2 ** 32 - 1, 3]), [2]],
    ['<i8', new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]), [2]],
    ['<u8', new BigUint64Array([2n ** 64n - 1n]), [1]],
    ['<f8', new Float64Array([42]), []],
    ['<f4', new Float32Array(0), [0, 3]],
  ];
  for (const [descr, data, shape] of cases) {
    it(`${descr} shape [${shape.join(', ')}]`, () => {
      const bytes = encodeNpy({ data, shape });
      expect((bytes.length - data.byteLength) % 64).toBe(0); // data 64-byte aligned
      const a = parseNpy(bytes);
      expect([a.descr, a.shape, a.fortranOrder]).toEqual([descr, shape, false]);
      expect(a.data.constructor).toBe(data.constructor);
      expect(a.data).toEqual(data);
    });
  }

  it('bool', () => {
    const a = parseNpy(encodeNpy({ data: new Uint8Array([1, 0, 1]), shape: [3] }, { bool: true }));
    expect([a.descr, a.dtype, numbers(a.data)]).toEqual(['|b1', 'b1', [1, 0, 1]]);
  });

  it('Fortran order: stored column-major, returned in C order', () => {
    const data = new Float32Array([0, 1, 2, 3, 4, 5]); // [[0,1,2],[3,4,5]]
    const bytes = encodeNpy({ data, shape: [2, 3] }, { fortranOrder: true });
    const stored = new Float32Array(bytes.slice(bytes.length - 24).buffer);
    expect(Array.from(stored)).toEqual([0, 3, 1, 4, 2, 5]);
    const a = parseNpy(bytes);
    expect(a.fortranOrder).toBe(true);
    expect(numbers(a.data)).toEqual([0, 1, 2, 3, 4, 5]);
    // 3-D: value (i, j, k) = 100 i + 10 j + k.
    const shape = [2, 3, 4];
    const c = new Int32Array(24).map(
      (_, n) => 100 * Math.floor(n / 12) + 10 * (Math.floor(n / 4) % 3) + (n % 4),
    );
    expect(parseNpy(encodeNpy({ data: c, shape }, { fortranOrder: true })).data).toEqual(c);
  });

  it('a file on disk, atomically written', async () => {
    const file = join(tmp, 'a.npy');
    const data = new Float64Array([1, 2, 3, 4, 5, 6]);
    await writeNpy(file, { data, shape: [3, 2] });
    const a = await readNpy(file);
    expect([a.shape, numbers(a.data)]).toEqual([
      [3, 2],
      [1, 2, 3, 4, 5, 6],
    ]);
  });
});

describe('NPY header versions and byte orders', () => {
  const data = le([1, -2, 3.5], (v, o, x) => v.setFloat32(o, x, true), 4);
  for (const version of [1, 2, 3] as const) {
    it(`version ${version}.0`, () => {
      const a = parseNpy(rawNpy(version, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data));
      expect(numbers(a.data)).toEqual([1, -2, 3.5]);
    });
  }

  it('big-endian >f8 and >i4, native =i2, Python 2 long dims', () => {
    const f8 = le([1.25, -7], (v, o, x) => v.setFloat64(o, x, false), 8);
    expect(
      numbers(parseNpy(rawNpy(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2L,), }", f8)).data),
    ).toEqual([1.25, -7]);
    const i4 = le([-5, 70000], (v, o, x) => v.setInt32(o, x, false), 4);
    expect(
      numbers(parseNpy(rawNpy(1, "{'descr': '>i4', 'fortran_order': False, 'shape': (1, 2), }", i4)).data),
    ).toEqual([-5, 70000]);
    const i2 = le([-3], (v, o, x) => v.setInt16(o, x, true), 2);
    expect(
      numbers(parseNpy(rawNpy(1, "{'descr': '=i2', 'fortran_order': False, 'shape': (1,), }", i2)).data),
    ).toEqual([-3]);
  });

  it('float16 widens to Float32Array', () => {
    const half = le(
      [0x3c00, 0xc000, 0x3800, 0x0001, 0x7c00, 0x7e00],
      (v, o, x) => v.setUint16(o, x, true),
      2,
    );
    const a = parseNpy(rawNpy(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (6,), }", half));
    expect(a.data).toBeInstanceOf(Float32Array);
    expect(numbers(a.data)).toEqual([1, -2, 0.5, 2 ** -24, Number.POSITIVE_INFINITY, Number.NaN]);
  });
});

describe('bad NPY files → DataFormatError naming the file and the problem', () => {
  const bad = (bytes: Uint8Array, message: RegExp) =>
    expectBadFile(tmp, '.npy', (f) => readNpy(f), bytes, message);
  const header = (descr: string) => `{'descr': '${descr}', 'fortran_order': False, 'shape': (1,), }`;

  it('unsupported dtypes are named', async () => {
    await bad(rawNpy(1, header('<c16'), new Uint8Array(16)), /unsupported dtype '<c16' \(complex\)/);
    await bad(rawNpy(1, header('|O'), new Uint8Array(8)), /unsupported dtype '\|O' \(Python object\)/);
    await bad(rawNpy(1, header('<U5'), new Uint8Array(20)), /unsupported dtype '<U5' \(unicode string\)/);
    await bad(rawNpy(1, header('<M8[ns]'), new Uint8Array(8)), /unsupported dtype '<M8\[ns\]' \(datetime\)/);
    await bad(
      rawNpy(
        1,
        "{'descr': [('x', '<f4'), ('y', '<f4')], 'fortran_order': False, 'shape': (1,), }",
        new Uint8Array(8),
      ),
      /unsupported dtype: structured/,
    );
  });

  it('truncated data names both sizes; bad magic; unknown version; malformed header', async () => {
    const good = encodeNpy({ data: new Float32Array(10), shape: [2, 5] });
    await bad(
      good.subarray(0, good.length - 4),
      /truncated data: header says shape \(2, 5\) of '<f4' = 40 bytes, file has 36/,
    );
    await bad(new TextEncoder().encode('PK\u0003\u0004 not numpy'), /not an NPY file/);
    const v9 = good.slice();
    v9[6] = 9;
    await bad(v9, /unsupported NPY format version 9\.0/);
    await bad(rawNpy(1, "{'descr': '<f4', 'shape': (1,), }", new Uint8Array(4)), /malformed NPY header/);
  });

  it('a missing file', async () => {
    await expect(readNpy(join(tmp, 'none.npy'))).rejects.toThrow(/none\.npy: file not found/);
  });

  it('encodeNpy checks the shape', () => {
    expect(() => encodeNpy({ data: new Float32Array(5), shape: [2, 3] })).toThrow(
      /has 6 elements but the data has 5/,
    );
  });
});
