/** Any typed array (bigint ones included) as a plain number[], for assertions. */
export function numbers(a: ArrayLike<number> | ArrayLike<bigint>): number[] {
  return Array.from(a as ArrayLike<number | bigint>, Number);
}
