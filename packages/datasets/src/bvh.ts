import { DataFormatError, eulerToMatrix, InputError } from '@lfm/core';
import { readTextFileOr } from '@lfm/core/node';
import type { Edge } from './preprocess/graph.js';

/** A BVH channel name (as written in the file, case normalised). */
export type BvhChannel = 'Xposition' | 'Yposition' | 'Zposition' | 'Xrotation' | 'Yrotation' | 'Zrotation';

/** One node of a BVH hierarchy: a ROOT, a JOINT or an End Site. */
export interface BvhNode {
  /** Joint name; End Sites are named `<parent>_End` (`<parent>_End2`, … if a joint has several). */
  readonly name: string;
  /** Index of the parent in `Bvh.nodes`; -1 for a ROOT. */
  readonly parent: number;
  readonly offset: readonly [number, number, number];
  /** This node's channels in file order (empty for End Sites). */
  readonly channels: readonly BvhChannel[];
  /** Index of this node's first channel within a frame's values. */
  readonly channelStart: number;
  readonly endSite: boolean;
}

/** A parsed BVH file. */
export interface Bvh {
  /** Depth-first, in file order: a parent always precedes its children. */
  readonly nodes: readonly BvhNode[];
  /** F. */
  readonly frames: number;
  /** Seconds per frame. */
  readonly frameTime: number;
  /** C: channels per frame, summed over the nodes. */
  readonly channelCount: number;
  /** [F, C] channel values as written (positions in file units, rotations in degrees). */
  readonly motion: Float64Array;
}

const CHANNELS: Record<string, BvhChannel> = {
  xposition: 'Xposition',
  yposition: 'Yposition',
  zposition: 'Zposition',
  xrotation: 'Xrotation',
  yrotation: 'Yrotation',
  zrotation: 'Zrotation',
};

interface Token {
  readonly text: string;
  readonly line: number;
}

/** Parses BVH text (HIERARCHY + MOTION). Throws DataFormatError naming `file`, the line and the problem. */
export function parseBvh(text: string, file?: string): Bvh {
  const fail = (msg: string): never => {
    throw new DataFormatError(msg, file);
  };
  const motionAt = text.search(/^[ \t]*MOTION\b/m);
  if (motionAt < 0) {
    fail(
      text.includes('HIERARCHY')
        ? 'no MOTION section (truncated file?)'
        : 'not a BVH file (no HIERARCHY/MOTION sections)',
    );
  }
  const head = text.slice(0, motionAt);
  const tokens = tokenize(head);
  let k = 0;
  const peek = (): Token | undefined => tokens[k];
  const next = (what: string): Token => {
    const t = tokens[k++];
    if (!t) fail(`unexpected end of HIERARCHY, expected ${what} (truncated file?)`);
    return t as Token;
  };
  const expect = (word: string): Token => {
    const t = next(`"${word}"`);
    if (t.text !== word) fail(`line ${t.line}: expected "${word}", got "${t.text}"`);
    return t;
  };
  const number = (t: Token, what: string): number => {
    const x = Number(t.text);
    if (!Number.isFinite(x)) fail(`line ${t.line}: ${what} must be a number, got "${t.text}"`);
    return x;
  };

  expect('HIERARCHY');
  const nodes: BvhNode[] = [];
  let channelCount = 0;
  const endCount = new Map<string, number>();

  const parseNode = (kind: 'ROOT' | 'JOINT' | 'End', parent: number, line: number): void => {
    let name: string;
    if (kind === 'End') {
      const site = next('"Site"');
      if (site.text !== 'Site') fail(`line ${site.line}: expected "End Site", got "End ${site.text}"`);
      const parentName = nodes[parent]?.name ?? 'root';
      const n = (endCount.get(parentName) ?? 0) + 1;
      endCount.set(parentName, n);
      name = n === 1 ? `${parentName}_End` : `${parentName}_End${n}`;
    } else {
      // A name runs to the end of its line (names with spaces exist in the wild).
      const parts: string[] = [];
      while (peek() && peek()!.line === line && peek()!.text !== '{') parts.push(next('a name').text);
      if (parts.length === 0) fail(`line ${line}: ${kind} without a name`);
      name = parts.join(' ');
    }
    expect('{');
    const offTok = expect('OFFSET');
    const offset: [number, number, number] = [0, 0, 0];
    for (let c = 0; c < 3; c++)
      offset[c] = number(next('an OFFSET value'), `OFFSET of "${name}" (line ${offTok.line})`);
    const channels: BvhChannel[] = [];
    const channelStart = channelCount;
    const index = nodes.length;
    if (kind !== 'End') {
      const chTok = expect('CHANNELS');
      const n = number(next('the channel count'), `CHANNELS count of "${name}"`);
      if (!Number.isInteger(n) || n < 0 || n > 6)
        fail(`line ${chTok.line}: CHANNELS count of "${name}" must be 0..6, got ${n}`);
      for (let c = 0; c < n; c++) {
        const t = next('a channel name');
        const ch = CHANNELS[t.text.toLowerCase()];
        if (!ch) fail(`line ${t.line}: unknown channel "${t.text}" of "${name}"`);
        if (channels.includes(ch as BvhChannel)) fail(`line ${t.line}: channel ${ch} repeated in "${name}"`);
        channels.push(ch as BvhChannel);
      }
      channelCount += n;
    }
    nodes.push({ name, parent, offset, channels, channelStart, endSite: kind === 'End' });
    for (;;) {
      const t = next(`"}" closing "${name}"`);
      if (t.text === '}') return;
      if (kind === 'End')
        fail(`line ${t.line}: expected "}" closing End Site of "${nodes[parent]?.name}", got "${t.text}"`);
      if (t.text === 'JOINT' || t.text === 'End') parseNode(t.text, index, t.line);
      else fail(`line ${t.line}: expected JOINT, End Site or "}" in "${name}", got "${t.text}"`);
    }
  };

  while (k < tokens.length) {
    const t = next('ROOT');
    if (t.text !== 'ROOT') fail(`line ${t.line}: expected ROOT, got "${t.text}"`);
    parseNode('ROOT', -1, t.line);
  }
  if (nodes.length === 0) fail('HIERARCHY has no ROOT');
  const seen = new Set<string>();
  for (const n of nodes) {
    if (seen.has(n.name)) fail(`joint name "${n.name}" appears twice in the HIERARCHY`);
    seen.add(n.name);
  }

  // MOTION: "Frames: N", "Frame Time: t", then F lines of C numbers.
  const lineOffset = head.split('\n').length - 1;
  const lines = text.slice(motionAt).split('\n');
  let li = 1;
  const header = (re: RegExp, what: string): number => {
    while (li < lines.length && lines[li]!.trim() === '') li++;
    const line = lines[li];
    const m = line === undefined ? null : re.exec(line.trim());
    if (!m) fail(`line ${lineOffset + li + 1}: expected "${what}" (truncated file?)`);
    li++;
    return Number((m as RegExpExecArray)[1]);
  };
  const frames = header(/^Frames:\s*(\d+)$/i, 'Frames: <count>');
  const frameTime = header(/^Frame\s+Time:\s*([-+0-9.eE]+)$/i, 'Frame Time: <seconds>');
  if (!(frameTime > 0)) fail(`Frame Time must be > 0, got ${frameTime}`);
  const total = frames * channelCount;
  const motion = new Float64Array(total);
  let v = 0;
  for (; li < lines.length; li++) {
    const line = lines[li]!;
    const parts = line.trim().split(/\s+/);
    if (parts.length === 1 && parts[0] === '') continue;
    if (v + parts.length > total) {
      fail(
        `line ${lineOffset + li + 1}: more motion values than Frames: ${frames} × ${channelCount} channels = ${total}`,
      );
    }
    for (const p of parts) {
      const x = Number(p);
      if (!Number.isFinite(x))
        fail(`line ${lineOffset + li + 1}: motion value "${p}" is not a finite number`);
      motion[v++] = x;
    }
  }
  if (v < total) {
    fail(
      `truncated MOTION: Frames: ${frames} × ${channelCount} channels = ${total} values expected, found ${v} ` +
        `(frame ${Math.floor(v / Math.max(channelCount, 1))} incomplete or missing)`,
    );
  }
  return { nodes, frames, frameTime, channelCount, motion };
}

/** Reads and parses a BVH file (errors name the path). */
export async function readBvh(path: string): Promise<Bvh> {
  return parseBvh(await readTextFileOr(path), path);
}

export interface BvhFkOptions {
  /** Frame indices to evaluate (default: all), e.g. every 8th: `Array.from({length: ⌈F/8⌉}, (_, i) => 8 * i)`. */
  frames?: ArrayLike<number>;
  /** Leave out every End Site (default false). */
  dropEndSites?: boolean;
  /** Nodes to leave out, by name or predicate. Their children attach to the nearest kept ancestor. */
  drop?: readonly string[] | ((node: BvhNode, index: number) => boolean);
}

/** World-space joint positions from `bvhForwardKinematics`. */
export interface BvhPositions {
  /** Names of the K kept nodes, in hierarchy order. */
  readonly names: readonly string[];
  /** Index of each kept node in `Bvh.nodes`. */
  readonly nodeIndex: Int32Array;
  /** [K]: index of the nearest kept ancestor, -1 for none. */
  readonly parents: Int32Array;
  /** Bones (parent, child) between kept nodes. */
  readonly edges: readonly Edge[];
  /** F' evaluated frames. */
  readonly frames: number;
  /** [F', K, 3] in the file's units. */
  readonly positions: Float32Array;
}

/**
 * Forward kinematics, column vectors, angles in degrees:
 *   tⱼ = OFFSETⱼ with any position channels replacing their components,
 *   Rⱼ,local = ∏ (rotation channels of j in their listed order), e.g. Rz·Rx·Ry for "Zrotation Xrotation Yrotation",
 *   Rⱼ = R_parent · Rⱼ,local,   pⱼ = p_parent + R_parent · tⱼ   (a ROOT has p_parent = 0, R_parent = I).
 * Output [F', K, 3] float32 (accumulated in float64).
 */
export function bvhForwardKinematics(bvh: Bvh, options: BvhFkOptions = {}): BvhPositions {
  const { nodes, channelCount, motion } = bvh;
  const Nn = nodes.length;
  const keep = selectNodes(nodes, options);
  const K = keep.length;
  const slot = new Int32Array(Nn).fill(-1);
  keep.forEach((n, i) => {
    slot[n] = i;
  });
  const parents = new Int32Array(K);
  const edges: Edge[] = [];
  keep.forEach((n, i) => {
    let p = nodes[n]!.parent;
    while (p >= 0 && slot[p]! < 0) p = nodes[p]!.parent;
    parents[i] = p >= 0 ? slot[p]! : -1;
    if (p >= 0) edges.push([slot[p]!, i]);
  });

  // Per node: where its position and rotation channels sit within a frame, and the rotation order.
  const plans = nodes.map((node) => {
    const posAxis: number[] = [];
    const posAt: number[] = [];
    const rotAt: number[] = [];
    let order = '';
    node.channels.forEach((ch, c) => {
      if (ch.endsWith('position')) {
        posAxis.push(ch.charCodeAt(0) - 88); // 'X' = 88
        posAt.push(node.channelStart + c);
      } else {
        order += ch[0];
        rotAt.push(node.channelStart + c);
      }
    });
    return { posAxis, posAt, rotAt, order, angles: new Float64Array(rotAt.length) };
  });

  const frameList = options.frames ?? { length: bvh.frames };
  const Fo = frameList.length;
  const positions = new Float32Array(Fo * K * 3);
  const R = new Float64Array(Nn * 9);
  const P = new Float64Array(Nn * 3);
  const local = new Float64Array(9);
  const t = new Float64Array(3);
  for (let fi = 0; fi < Fo; fi++) {
    const f = options.frames ? options.frames[fi]! : fi;
    if (!Number.isInteger(f) || f < 0 || f >= bvh.frames) {
      throw new InputError(`BVH frame ${f} is outside [0, ${bvh.frames})`);
    }
    const base = f * channelCount;
    for (let n = 0; n < Nn; n++) {
      const node = nodes[n]!;
      const plan = plans[n]!;
      t[0] = node.offset[0];
      t[1] = node.offset[1];
      t[2] = node.offset[2];
      for (let i = 0; i < plan.posAt.length; i++) t[plan.posAxis[i]!] = motion[base + plan.posAt[i]!]!;
      if (plan.order === '') {
        local.fill(0);
        local[0] = local[4] = local[8] = 1;
      } else {
        for (let i = 0; i < plan.rotAt.length; i++) plan.angles[i] = motion[base + plan.rotAt[i]!]!;
        eulerToMatrix(plan.angles, plan.order, { degrees: true, out: local });
      }
      const p = node.parent;
      const o = n * 9;
      if (p < 0) {
        R.set(local, o);
        P[n * 3] = t[0]!;
        P[n * 3 + 1] = t[1]!;
        P[n * 3 + 2] = t[2]!;
      } else {
        const q = p * 9;
        for (let r = 0; r < 3; r++) {
          const a0 = R[q + r * 3]!;
          const a1 = R[q + r * 3 + 1]!;
          const a2 = R[q + r * 3 + 2]!;
          P[n * 3 + r] = P[p * 3 + r]! + a0 * t[0]! + a1 * t[1]! + a2 * t[2]!;
          for (let c = 0; c < 3; c++)
            R[o + r * 3 + c] = a0 * local[c]! + a1 * local[3 + c]! + a2 * local[6 + c]!;
        }
      }
    }
    const out = fi * K * 3;
    for (let i = 0; i < K; i++) {
      const n = keep[i]!;
      positions[out + i * 3] = P[n * 3]!;
      positions[out + i * 3 + 1] = P[n * 3 + 1]!;
      positions[out + i * 3 + 2] = P[n * 3 + 2]!;
    }
  }
  return {
    names: keep.map((n) => nodes[n]!.name),
    nodeIndex: Int32Array.from(keep),
    parents,
    edges,
    frames: Fo,
    positions,
  };
}

function selectNodes(nodes: readonly BvhNode[], options: BvhFkOptions): number[] {
  const { drop } = options;
  let dropFn: (node: BvhNode, index: number) => boolean = () => false;
  if (typeof drop === 'function') dropFn = drop;
  else if (drop) {
    const names = new Set(nodes.map((n) => n.name));
    const unknown = drop.filter((d) => !names.has(d));
    if (unknown.length > 0) {
      throw new InputError(`cannot drop unknown BVH node(s) ${unknown.map((u) => `"${u}"`).join(', ')}`);
    }
    const set = new Set(drop);
    dropFn = (n) => set.has(n.name);
  }
  const keep: number[] = [];
  nodes.forEach((n, i) => {
    if (!(options.dropEndSites && n.endSite) && !dropFn(n, i)) keep.push(i);
  });
  return keep;
}

/** Splits into tokens with 1-based line numbers; braces are tokens even when glued to a word. */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const parts = lines[i]!.replace(/[{}]/g, ' $& ').trim().split(/\s+/);
    for (const p of parts) if (p !== '') out.push({ text: p, line: i + 1 });
  }
  return out;
}
