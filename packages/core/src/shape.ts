import { ShapeError } from './errors.js';

/**
 * A dimension in a shape spec: a number must match exactly, a string is a symbolic dimension
 * (`'B'`, `'N'`, `'J'`, `'D'`) bound on first use and checked on every later use.
 */
export type Dim = number | string;

/** Symbolic dimension values bound while checking (e.g. `{ B: 64, N: 17 }`). */
export type DimBindings = Record<string, number>;

/**
 * Checks named arrays' shapes against specs with symbolic dims that must agree across arguments.
 *
 * ```ts
 * const { B, N } = checkShapes({ x: [x.shape, ['B', 'N', 3]], mask: [mask.shape, ['B', 'N']] });
 * ```
 * Throws ShapeError naming the argument, the axis and both shapes.
 */
export function checkShapes(
  specs: Record<string, readonly [readonly number[], readonly Dim[]] | undefined>,
  bound: DimBindings = {},
): DimBindings {
  const dims: DimBindings = { ...bound };
  const origin: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (!spec) continue;
    const [shape, want] = spec;
    if (shape.length !== want.length) {
      throw new ShapeError(
        `${name} must have rank ${want.length} [${want.join(', ')}], got shape [${shape.join(', ')}]`,
      );
    }
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      const got = shape[i]!;
      if (typeof w === 'number') {
        if (got !== w) {
          throw new ShapeError(
            `${name} axis ${i} must be ${w} in [${want.join(', ')}], got shape [${shape.join(', ')}]`,
          );
        }
      } else if (w in dims) {
        if (dims[w] !== got) {
          const from = origin[w] ? ` (bound to ${dims[w]} by ${origin[w]})` : ` (expected ${dims[w]})`;
          throw new ShapeError(
            `${name} axis ${i} is ${w}=${got} but ${w} is ${dims[w]}${from}; shape [${shape.join(', ')}]`,
          );
        }
      } else {
        dims[w] = got;
        origin[w] = name;
      }
    }
  }
  return dims;
}

/** Throws ShapeError unless `shape` equals `want` (numbers) exactly. */
export function assertShape(name: string, shape: readonly number[], want: readonly Dim[]): DimBindings {
  return checkShapes({ [name]: [shape, want] });
}
