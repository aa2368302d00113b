import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Rig } from '@lfm/rig';
import { describe, expect, it } from 'vitest';
import { akhterMarkersSequenceRigs, datasetRigs } from './index.js';

// The corpus lives beside the repository (<repo>/../shared/data) and is never copied into it.
const dataDir = fileURLToPath(new URL('../../../../shared/data', import.meta.url));
const exists = existsSync(dataDir);
if (!exists) console.warn('skipping: ../shared/data not found');

interface Meta {
  name: string;
  category: string;
  units: string;
  joints: string[];
  edges: [number, number][];
  symmetry: [number, number][];
  source: { citation: string };
  per_sequence_edges?: boolean;
  sequences: { id: string; edges?: [number, number][] }[];
}

const datasets = exists
  ? readdirSync(dataDir)
      .filter((name) => existsSync(`${dataDir}/${name}/meta.json`))
      .sort()
  : [];
const readMeta = (name: string): Meta => JSON.parse(readFileSync(`${dataDir}/${name}/meta.json`, 'utf8'));
const byId = new Map(datasetRigs.map((r) => [r.id, r]));
const mirrorPairs = (rig: Rig) => rig.mirror.map(([a, b]) => [rig.indexOf(a), rig.indexOf(b)]);

describe.skipIf(!exists)('dataset rigs match their meta.json', () => {
  it('cover every dataset, and every dataset rig has a dataset', () => {
    expect(datasets.length).toBeGreaterThanOrEqual(20);
    for (const name of datasets) expect(byId.has(name), name).toBe(true);
    for (const rig of datasetRigs) {
      const dataset = rig.id.startsWith('akhter-markers-') ? 'akhter-markers' : rig.id;
      expect(datasets, rig.id).toContain(dataset);
    }
  });

  describe.each(datasets)('%s', (name) => {
    it('has the joints, bones, mirror pairs, category, units and citation of meta.json', () => {
      const meta = readMeta(name);
      const rig = byId.get(name)!;
      expect(rig.id).toBe(meta.name);
      expect(rig.category).toBe(meta.category);
      expect(rig.units).toBe(meta.units);
      expect(rig.citation).toBe(meta.source.citation);
      expect(rig.joints).toEqual(meta.joints);
      expect(rig.boneIndices).toEqual(meta.edges);
      expect(mirrorPairs(rig)).toEqual(meta.symmetry);
    });
  });

  it('akhter-markers: each sequence maps to a rig with that sequence’s edges', () => {
    const meta = readMeta('akhter-markers');
    expect(meta.per_sequence_edges).toBe(true);
    expect(byId.get('akhter-markers')!.bones).toEqual([]);
    expect(Object.keys(akhterMarkersSequenceRigs).sort()).toEqual(meta.sequences.map((s) => s.id).sort());
    for (const seq of meta.sequences) {
      const rig = akhterMarkersSequenceRigs[seq.id]!;
      expect(rig.joints, seq.id).toEqual(meta.joints);
      expect(rig.boneIndices, seq.id).toEqual(seq.edges);
    }
  });
});
