import { describe, expect, it } from 'vitest';
import { LfmError, ShapeError } from './errors.js';
import {
  broadcastShapes,
  matMulShape,
  normalizeAxis,
  paramsFromRecord,
  resolveAxes,
  resolveReshape,
  resolveSlice,
  scopeParams,
} from './ops.js';

describe('shape rules', () => {
  it('broadcastShapes follows numpy', () => {
    expect(broadcastShapes([2, 1, 4], [3, 1])).toEqual([2, 3, 4]);
    expect(broadcastShapes([], [5, 6])).toEqual([5, 6]);
    expect(broadcastShapes([7, 1, 1, 5], [1, 1])).toEqual([7, 1, 1, 5]);
    expect(broadcastShapes([0, 3], [1, 3])).toEqual([0, 3]);
    expect(() => broadcastShapes([2, 3], [4, 3])).toThrow(ShapeError);
    expect(() => broadcastShapes([2, 3], [4, 3])).toThrow(/\[2, 3\] and \[4, 3\]/);
  });

  it('resolveReshape: 0 copies the same-index input dim, one -1 infers', () => {
    expect(resolveReshape([4, 5, 24], [0, 0, 3, 8])).toEqual([4, 5, 3, 8]);
    expect(resolveReshape([4, 5, 3, 8], [0, 0, -1])).toEqual([4, 5, 24]);
    expect(resolveReshape([4, 5, 24], [-1, 24])).toEqual([20, 24]);
    expect(resolveReshape([2, 3], [6])).toEqual([6]);
    expect(resolveReshape([1, 1], [])).toEqual([]);
    expect(() => resolveReshape([6], [])).toThrow(ShapeError);
    expect(() => resolveReshape([2, 3], [-1, -1])).toThrow(/at most one -1/);
    expect(() => resolveReshape([2, 3], [4, -1])).toThrow(ShapeError);
    expect(() => resolveReshape([2, 3], [0, 0, 0])).toThrow(/rank 2/);
    expect(() => resolveReshape([2, 3], [5])).toThrow(ShapeError);
    expect(() => resolveReshape([2, 3], [-2, 3])).toThrow(/invalid size/);
  });

  it('matMulShape: transposes of the last two axes, broadcast batch dims', () => {
    expect(matMulShape([2, 3], [3, 4])).toEqual([2, 4]);
    expect(matMulShape([3, 2], [3, 4], { transposeA: true })).toEqual([2, 4]);
    expect(matMulShape([5, 1, 7, 3], [4, 8, 3], { transposeB: true })).toEqual([5, 4, 7, 8]);
    expect(matMulShape([6, 7, 2], [2, 9])).toEqual([6, 7, 9]);
    expect(() => matMulShape([2, 3], [4, 5])).toThrow(/inner dims differ/);
    expect(() => matMulShape([3], [3, 4])).toThrow(/rank ≥ 2/);
    expect(() => matMulShape([2, 2, 3], [3, 3, 4])).toThrow(ShapeError);
  });

  it('axes: normalizeAxis, resolveAxes, resolveSlice', () => {
    expect(normalizeAxis(-1, 3)).toBe(2);
    expect(normalizeAxis(0, 1)).toBe(0);
    expect(() => normalizeAxis(3, 3)).toThrow(ShapeError);
    expect(() => normalizeAxis(-4, 3)).toThrow(ShapeError);
    expect(resolveAxes(undefined, 3)).toEqual([0, 1, 2]);
    expect(resolveAxes([-1, 0, 2], 3)).toEqual([0, 2]);
    expect(resolveAxes(-2, 3)).toEqual([1]);
    expect(resolveSlice(10, 2)).toEqual([2, 10]);
    expect(resolveSlice(10, -3, -1)).toEqual([7, 9]);
    expect(resolveSlice(10, 4, 100)).toEqual([4, 10]);
    expect(resolveSlice(10, 6, 2)).toEqual([6, 6]);
    expect(resolveSlice(10, -100, 3)).toEqual([0, 3]);
  });
});

describe('params', () => {
  type Fake = { shape: number[]; id: string };
  const record: Record<string, Fake> = {
    'layers.0.wq': { shape: [4, 4], id: 'wq0' },
    'layers.1.wq': { shape: [4, 4], id: 'wq1' },
  };
  const params = paramsFromRecord(record, (t) => t.shape);

  it('looks parameters up by name, checking shape; scopes prefix names', () => {
    expect(params.get('layers.0.wq', [4, 4]).id).toBe('wq0');
    expect(scopeParams(scopeParams(params, 'layers'), '1').get('wq', [4, 4]).id).toBe('wq1');
  });

  it('missing → LfmError E_PARAM naming it; wrong shape → ShapeError; no prototype keys', () => {
    expect(() => params.get('layers.2.wq', [4, 4])).toThrow(/'layers.2.wq'/);
    try {
      params.get('toString', []);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(LfmError);
      expect((e as LfmError).code).toBe('E_PARAM');
    }
    expect(() => params.get('layers.0.wq', [4, 5])).toThrow(ShapeError);
  });
});
