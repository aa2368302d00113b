import { DataFormatError } from '@lfm/core';
import type { RigSpecV1 } from '@lfm/rig';
import { parse as parseYaml } from 'yaml';

/**
 * A DeepLabCut project's `config.yaml`, as far as rigs need it. Single-animal projects list
 * `bodyparts`; multi-animal ones (`multianimalproject: true`) list `multianimalbodyparts` (every
 * individual's) and `uniquebodyparts` (points of the scene, the pseudo-individual `single`), with
 * `bodyparts: MULTI!`. `skeleton` is a list of [bodypart, bodypart] bones.
 */
export interface DlcConfig {
  readonly task: string;
  readonly scorer: string | undefined;
  readonly date: string | undefined;
  readonly multiAnimal: boolean;
  /** Single-animal: `bodyparts`; multi-animal: `multianimalbodyparts`. */
  readonly bodyparts: readonly string[];
  /** Multi-animal: `uniquebodyparts` (may be empty); single-animal: `uniquebodyparts` if any. */
  readonly uniqueBodyparts: readonly string[];
  readonly individuals: readonly string[];
  readonly skeleton: readonly (readonly [string, string])[];
  /** DeepLabCut's likelihood cutoff for plots (`pcutoff`), when given. */
  readonly pcutoff: number | undefined;
}

/**
 * Parses config.yaml text (with the `yaml` package). DataFormatError, naming the file, for YAML that
 * does not parse, a missing or malformed body part list (not a list of distinct names), and a skeleton
 * bone that is not a pair of listed body parts (`a body part missing from config.yaml`).
 */
export function parseDlcConfig(text: string, file?: string): DlcConfig {
  const fail = (msg: string): never => {
    throw new DataFormatError(msg, file);
  };
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    return fail(`not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return fail('not a DeepLabCut config.yaml: expected a mapping with Task, bodyparts, skeleton, …');
  }
  const o = doc as Record<string, unknown>;
  const multiAnimal = o.multianimalproject === true;
  const names = (key: string, required: boolean): string[] => {
    const v = o[key];
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) {
      if (required) fail(`no ${key}: a DeepLabCut config.yaml lists its body parts under '${key}'`);
      return [];
    }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.trim() !== '')) {
      return fail(`${key} must be a list of body part names, got ${short(v)}`);
    }
    const list = (v as string[]).map((x) => x.trim());
    const dup = list.find((x, i) => list.indexOf(x) !== i);
    if (dup !== undefined) fail(`${key} lists '${dup}' twice`);
    return list;
  };
  const bodyparts = names(multiAnimal ? 'multianimalbodyparts' : 'bodyparts', true);
  const uniqueBodyparts = names('uniquebodyparts', false);
  const clash = uniqueBodyparts.find((u) => bodyparts.includes(u));
  if (clash !== undefined)
    fail(`'${clash}' is in both ${multiAnimal ? 'multianimalbodyparts' : 'bodyparts'} and uniquebodyparts`);
  const individuals = multiAnimal ? names('individuals', false) : [];
  const known = new Set([...bodyparts, ...uniqueBodyparts]);
  const skeletonValue = o.skeleton ?? [];
  if (!Array.isArray(skeletonValue))
    fail(`skeleton must be a list of [bodypart, bodypart] pairs, got ${short(skeletonValue)}`);
  const skeleton = (skeletonValue as unknown[]).map((e, k): [string, string] => {
    if (!Array.isArray(e) || e.length !== 2 || !e.every((x) => typeof x === 'string')) {
      return fail(`skeleton[${k}]: expected a [bodypart, bodypart] pair, got ${short(e)}`);
    }
    const [a, b] = (e as string[]).map((x) => x.trim()) as [string, string];
    for (const x of [a, b]) {
      if (!known.has(x)) {
        fail(
          `skeleton[${k}] [${a}, ${b}]: '${x}' is not a body part of the project (not in ${multiAnimal ? 'multianimalbodyparts / uniquebodyparts' : 'bodyparts'})`,
        );
      }
    }
    return [a, b];
  });
  const str = (v: unknown) =>
    typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined;
  return {
    task: str(o.Task) ?? 'project',
    scorer: str(o.scorer),
    date: str(o.date),
    multiAnimal,
    bodyparts,
    uniqueBodyparts,
    individuals,
    skeleton,
    pcutoff: typeof o.pcutoff === 'number' ? o.pcutoff : undefined,
  };
}

export interface DlcRigOptions {
  /** The rig id (default `dlc-<task>`); a multi-animal project's unique body parts get `<id>-unique`. */
  id?: string;
  /** The category (default 'animal'). */
  category?: string;
}

/**
 * The rigs of a DeepLabCut project: its body parts as joints (in config order, the order of the CSV's
 * columns), its skeleton as bones (duplicates and self-links dropped) and mirror pairs found by name
 * (`left`/`right`, `Left`/`Right`, `l`/`r` or `L`/`R` as a separate token: `left_ear` ↔ `right_ear`,
 * `leftear` ↔ `rightear`, `ear_L` ↔ `ear_R`). A multi-animal project gives one rig for every
 * individual's `multianimalbodyparts` and, when it has `uniquebodyparts`, a second rig `<id>-unique`
 * for them; skeleton bones between the two sets are dropped.
 */
export function dlcRigSpecs(config: DlcConfig, options: DlcRigOptions = {}): RigSpecV1[] {
  const id = options.id ?? `dlc-${slug(config.task)}`;
  const category = options.category ?? 'animal';
  const by = [config.scorer && `scorer ${config.scorer}`, config.date].filter(Boolean).join(', ');
  const citation = `DeepLabCut project '${config.task}'${by ? ` (${by})` : ''}, config.yaml; DeepLabCut: Mathis et al., Nature Neuroscience 2018`;
  const make = (rigId: string, joints: readonly string[], what: string): RigSpecV1 => {
    const set = new Set(joints);
    const seen = new Set<string>();
    const bones: [string, string][] = [];
    for (const [a, b] of config.skeleton) {
      if (a === b || !set.has(a) || !set.has(b)) continue;
      const key = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
      if (seen.has(key)) continue;
      seen.add(key);
      bones.push([a, b]);
    }
    return {
      specVersion: 1,
      id: rigId,
      category,
      joints: [...joints],
      bones,
      mirror: mirrorPairs(joints),
      citation,
      description: `${what} of the DeepLabCut project '${config.task}' (joints: its body parts, in config.yaml order; bones: its skeleton; mirror pairs: left/right by name). Written by lfm rigs from-dlc.`,
    };
  };
  const rigs = [make(id, config.bodyparts, config.multiAnimal ? 'The individuals' : 'The animal')];
  if (config.multiAnimal && config.uniqueBodyparts.length > 0) {
    rigs.push(make(`${id}-unique`, config.uniqueBodyparts, "The unique body parts (individual 'single')"));
  }
  return rigs;
}

/** Left/right pairs among `joints`, by name (see `dlcRigSpecs`). */
export function mirrorPairs(joints: readonly string[]): [string, string][] {
  const set = new Set(joints);
  const out: [string, string][] = [];
  const used = new Set<string>();
  for (const j of joints) {
    if (used.has(j)) continue;
    const twin = otherSide(j);
    if (twin === undefined || twin === j || !set.has(twin) || used.has(twin)) continue;
    const leftFirst = /left|(^|[^a-z])l($|[^a-z])/i.test(j) ? [j, twin] : [twin, j];
    out.push(leftFirst as [string, string]);
    used.add(j);
    used.add(twin);
  }
  return out;
}

function otherSide(name: string): string | undefined {
  const word = name.replace(
    /left|right|Left|Right|LEFT|RIGHT/g,
    (m) => ({ left: 'right', right: 'left', Left: 'Right', Right: 'Left', LEFT: 'RIGHT', RIGHT: 'LEFT' })[m]!,
  );
  if (word !== name) return word;
  const token = name.replace(
    /(^|[_\-\s.])([lrLR])(?=$|[_\-\s.])/g,
    (_, sep: string, s: string) => sep + ({ l: 'r', r: 'l', L: 'R', R: 'L' } as Record<string, string>)[s]!,
  );
  return token !== name ? token : undefined;
}

function slug(s: string): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return out || 'project';
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
