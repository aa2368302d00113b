import type { Rng } from '@lfm/core';
import type { Dataset, DatasetSequence } from './dataset.js';
import type { Edge } from './preprocess/graph.js';

/* What the procedural generators (procedural-creatures.ts, procedural-rigid.ts) share: the resolved
 * options, random helpers, and the dataset record. */

/** One generated species: a `Dataset` built in memory, plus what it was generated from. */
export interface ProceduralDataset extends Dataset {
  readonly kind: 'creature' | 'rigid';
  /** [J, 3] the species' rest shape: a creature with every joint rotation zero, a rigid object unjittered. */
  readonly rest: Float32Array;
}

/** Validated options with defaults filled in. */
export type Resolved = {
  readonly seed: number;
  readonly creatures: number;
  readonly rigid: number;
  readonly framesPerSpecies: number;
  readonly minJoints: number;
  readonly maxJoints: number;
  readonly category: { readonly creature: string; readonly rigid: string };
  readonly oneSidedHinges: number;
};

export type Vec3 = [number, number, number];

export function logUniform(rng: Rng, lo: number, hi: number): number {
  return lo * Math.exp(rng.uniform() * Math.log(hi / lo));
}

export function randomUnit(rng: Rng): Vec3 {
  for (;;) {
    const v: Vec3 = [rng.normal(), rng.normal(), rng.normal()];
    const n = Math.hypot(v[0], v[1], v[2]);
    if (n > 1e-6) return [v[0] / n, v[1] / n, v[2] / n];
  }
}

/** Contiguous ~80 / 10 / 10 % train / val / test sequences (val and test at least one frame each). */
function splitSequences(name: string, F: number): DatasetSequence[] {
  const val = Math.max(1, Math.round(0.1 * F));
  const test = Math.max(1, Math.round(0.1 * F));
  const train = F - val - test;
  return [
    { id: `${name}-train`, start: 0, count: train, split: 'train' as const },
    { id: `${name}-val`, start: train, count: val, split: 'val' as const },
    { id: `${name}-test`, start: train + val, count: test, split: 'test' as const },
  ].filter((s) => s.count > 0);
}

/** What a kind's generator makes of one species; `makeDataset` adds what every species has. */
export interface Species {
  readonly description: string;
  readonly joints: string[];
  readonly edges: Edge[];
  readonly symmetry: Edge[];
  /** [framesPerSpecies, J, 3]. */
  readonly points: Float32Array;
  readonly rest: Float32Array;
  /** The kind's own `meta` entries (after `seed` and `species`). */
  readonly meta: Record<string, unknown>;
}

/** Species k of `kind`, named `name`, as a dataset. */
export function makeDataset(
  name: string,
  kind: ProceduralDataset['kind'],
  k: number,
  o: Resolved,
  species: Species,
): ProceduralDataset {
  const { description, joints, points } = species;
  const category = o.category[kind];
  const frames = o.framesPerSpecies;
  const J = joints.length;
  if (new Set(joints).size !== J) throw new Error(`${name}: joint names are not unique`);
  if (points.length !== frames * J * 3) throw new Error(`${name}: points size mismatch`);
  return {
    dir: undefined,
    name,
    category,
    description,
    units: 'procedural',
    fps: null,
    joints,
    edges: species.edges,
    symmetry: species.symmetry,
    perSequenceEdges: false,
    frames,
    numJoints: J,
    points,
    sequences: splitSequences(name, frames),
    meta: {
      name,
      category,
      description,
      source: 'procedurally generated (@lfm/datasets createProceduralDatasets)',
      license: 'generated; no licence attached',
      kind,
      seed: o.seed,
      species: k,
      ...species.meta,
    },
    kind,
    rest: species.rest,
  };
}
