import type { Bvh } from '../bvh.js';

/** Serialises a parsed BVH back to text (tests only: the library reads BVH, it does not write it). */
export function formatTestBvh(bvh: Bvh, options: { eol?: string; indent?: string } = {}): string {
  const eol = options.eol ?? '\n';
  const tab = options.indent ?? '\t';
  const lines: string[] = ['HIERARCHY'];
  const children = (p: number) => bvh.nodes.map((n, i) => [n, i] as const).filter(([n]) => n.parent === p);
  const emit = (i: number, depth: number): void => {
    const n = bvh.nodes[i]!;
    const pad = tab.repeat(depth);
    lines.push(`${pad}${n.endSite ? 'End Site' : `${n.parent < 0 ? 'ROOT' : 'JOINT'} ${n.name}`}`, `${pad}{`);
    lines.push(`${pad}${tab}OFFSET ${n.offset.join(' ')}`);
    if (!n.endSite)
      lines.push(`${pad}${tab}CHANNELS ${n.channels.length}${n.channels.map((c) => ` ${c}`).join('')}`);
    for (const [, c] of children(i)) emit(c, depth + 1);
    lines.push(`${pad}}`);
  };
  for (const [, r] of children(-1)) emit(r, 0);
  lines.push('MOTION', `Frames: ${bvh.frames}`, `Frame Time: ${bvh.frameTime}`);
  for (let f = 0; f < bvh.frames; f++) {
    lines.push(Array.from(bvh.motion.subarray(f * bvh.channelCount, (f + 1) * bvh.channelCount)).join(' '));
  }
  return lines.join(eol) + eol;
}
