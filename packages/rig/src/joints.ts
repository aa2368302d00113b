/** Joint names `p0 … p{count-1}`: the names of datasets whose points carry no semantic labels. */
export function indexedJoints(count: number, prefix = 'p'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}
