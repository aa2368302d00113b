import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from './test-support/cli.js';

// The root README's "Your own skeleton" walk-through runs: each `pnpm lfm` line of its block, in
// order, from the repository root — except those reading ../shared/data (the real corpus, not here on
// a fresh machine, and a minute of adaptation: measured in packages/trainer/README.md instead).

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Your own skeleton'));
const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
const lines = block
  .split('\n')
  .map((l) => l.replace(/\s+#.*$/, '').trim())
  .filter((l) => l.startsWith('pnpm lfm '));

afterAll(() => rmSync(join(repoRoot, 'runs', 'own-skeleton'), { recursive: true, force: true }));

describe("README 'Your own skeleton'", () => {
  it('has the walk-through: define the rig, adapt, lift', () => {
    expect(lines.map((l) => l.split(/\s+/)[2])).toEqual(['rigs', 'rigs', 'adapt', 'lift', 'adapt', 'eval']);
  });
  for (const line of lines.filter((l) => !l.includes('../shared/'))) {
    it(line, async () => {
      const r = await runCli(line.split(/\s+/).slice(2), { env: { CI: 'true' } });
      expect(r.code, r.stderr).toBe(0);
    });
  }
  it('lifted every frame of the tracker file with the adapted model', () => {
    const out = JSON.parse(readFileSync(join(repoRoot, 'runs', 'own-skeleton', 'lifted.json'), 'utf8')) as {
      tracks: { points3d: unknown[] }[];
    };
    expect(out.tracks[0]!.points3d).toHaveLength(6);
  });
});
