// The root README's "From trackers" commands run as written, with the BUILT `lfm` and the shipped model
// (test/readme.test.ts runs the "Use it" block only): the DeepLabCut path (rigs from-dlc, then lift to
// JSON and CSV) and the OpenPose folder, each output read back. `pnpm build` first (`pnpm test` does).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'apps', 'cli', 'dist', 'bin.js');

function trackerBlock(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('## From trackers');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim());
}

function trackerLines(): string[] {
  return trackerBlock().filter((l) => l.startsWith('pnpm lfm '));
}

describe('the README "From trackers" commands run', () => {
  afterAll(() => rmSync(join(root, 'runs', 'trackers'), { recursive: true, force: true }));
  const lines = trackerLines();

  it('the section shows the DeepLabCut path and an OpenPose folder', () => {
    expect(lines[0]).toMatch(/^pnpm lfm rigs from-dlc \S+config\.yaml --out \S+\.js$/);
    expect(lines.filter((l) => /lift --rig-plugin \S+\.js --input \S+\.csv --out/.test(l))).toHaveLength(2);
    expect(lines.some((l) => /lift --input examples\/trackers\/openpose-body25 --out/.test(l))).toBe(true);
  });

  it('the DeepLabCut path is three commands: the rig, a smoothed 3D sequence, the viewer', () => {
    const block = trackerBlock().filter((l) => l.startsWith('pnpm '));
    expect(block[0]).toMatch(/^pnpm lfm rigs from-dlc /);
    expect(block[1]).toMatch(
      /^pnpm lfm lift --rig-plugin \S+\.js --input \S+\.csv --out \S+\.json --smooth one-euro/,
    );
    expect(block[2]).toBe('pnpm --filter @lfm/viewer dev');
  });

  // In order: the lifts load the plugin the first line writes.
  for (const line of lines) {
    it(line, () => {
      expect(existsSync(bin), 'the packages are not built: run `pnpm build` first').toBe(true);
      const args = line.split(/\s+/).slice(2);
      const r = spawnSync(process.execPath, [bin, ...args], {
        cwd: root,
        env: { ...process.env, LFM_DEBUG: '' },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const out = args[args.indexOf('--out') + 1]!;
      const path = join(root, out);
      expect(existsSync(path), out).toBe(true);
      if (out.endsWith('.json')) {
        const doc = JSON.parse(readFileSync(path, 'utf8')) as {
          format: string;
          temporal?: { smooth: { filter: string } | null; flips: string };
          tracks: { rig?: string; points3d: unknown[][]; cameras: unknown[] }[];
        };
        expect(doc.format).toBe('lfm-sequence');
        if (args.includes('--smooth')) {
          expect(doc.temporal).toMatchObject({ smooth: { filter: 'one-euro' }, flips: 'fix' });
        }
        expect(doc.tracks.length).toBeGreaterThan(0);
        for (const t of doc.tracks) {
          expect(t.points3d.length).toBe(t.cameras.length);
          expect(t.rig).toMatch(/^(dlc-quadruped|openpose-body-25)$/);
        }
      }
      if (out.endsWith('.csv') || out.endsWith('.npy')) {
        expect(existsSync(path.replace(/\.(csv|npy)$/, '.meta.json'))).toBe(true);
      }
    });
  }
});
