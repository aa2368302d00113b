import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, run, type WorkspacePackage, workspaceMembers, workspacePackages } from './helpers.js';

// "Users install single packages" made real: every publishable package is packed with pnpm (which
// rewrites `workspace:` ranges), installed from its tarball by plain npm into a scratch project,
// and imported there through its public `exports`.

const pkgs = workspacePackages();
const work = mkdtempSync(join(tmpdir(), 'lfm-pack-'));
const tarballs = new Map<string, string>();

beforeAll(() => {
  for (const p of pkgs) {
    if (!existsSync(join(p.dir, 'dist'))) throw new Error(`${p.name} has no dist/: run \`pnpm build\` first`);
    const out = run('pnpm', ['pack', '--pack-destination', work], p.dir).trim().split('\n');
    const tgz = out.map((l) => l.trim()).find((l) => l.endsWith('.tgz'));
    if (!tgz) throw new Error(`pnpm pack printed no tarball for ${p.name}: ${out.join(' ')}`);
    tarballs.set(p.name, tgz.startsWith('/') ? tgz : join(work, basename(tgz)));
  }
  const deps = Object.fromEntries([...tarballs].map(([n, t]) => [n, `file:${t}`]));
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      { name: 'scratch', private: true, type: 'module', dependencies: deps, overrides: deps },
      null,
      2,
    ),
  );
  writeFileSync(join(app, '.npmrc'), 'onnxruntime-node-install=skip\n');
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app);
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('packed packages', () => {
  it('finds the publishable packages', () => {
    expect(pkgs.map((p) => p.name)).toEqual(expect.arrayContaining(['@lfm/core', '@lfm/procrustes']));
  });

  for (const p of pkgs) {
    it(`${p.name}: tarball holds dist, no tests, and no workspace: ranges`, () => {
      const tgz = tarballs.get(p.name)!;
      const list = run('tar', ['-tzf', tgz], work).split('\n').filter(Boolean);
      expect(list).toContain('package/package.json');
      expect(list).toContain('package/dist/index.js');
      expect(list.filter((f) => /\.(test|bench)\.ts$/.test(f))).toEqual([]);
      const manifest = JSON.parse(run('tar', ['-xzOf', tgz, 'package/package.json'], work));
      expect(JSON.stringify(manifest.dependencies ?? {})).not.toContain('workspace:');
    });

    it(`${p.name}: every export resolves and imports from the installed tarball`, () => {
      const app = join(work, 'app');
      const exportsMap = (p.json.exports ?? { '.': {} }) as Record<string, unknown>;
      const specifiers = Object.keys(exportsMap)
        .filter((k) => !k.includes('*') && k !== './package.json')
        .map((k) => (k === '.' ? p.name : `${p.name}/${k.slice(2)}`));
      const script = `
        const names = ${JSON.stringify(specifiers)};
        const out = {};
        for (const n of names) { const m = await import(n); out[n] = Object.keys(m).length; }
        const url = import.meta.resolve(names[0]);
        console.log(JSON.stringify({ out, url }));`;
      const file = join(app, `check-${p.name.replace(/[@/]/g, '_')}.mjs`);
      writeFileSync(file, script);
      const res = JSON.parse(run('node', [file], app).trim().split('\n').pop()!);
      // Resolved inside the scratch project's node_modules, not the workspace.
      expect(relative(app, new URL(res.url).pathname).startsWith('node_modules')).toBe(true);
      // Side-effect-only entry points (listed in `sideEffects`, e.g. `/register`) may export nothing.
      const sideEffects = Array.isArray(p.json.sideEffects) ? (p.json.sideEffects as string[]) : [];
      for (const n of specifiers) {
        const sub = n === p.name ? '.' : `./${n.slice(p.name.length + 1)}`;
        const target = JSON.stringify((exportsMap as Record<string, unknown>)[sub] ?? '');
        const sideEffectOnly = sideEffects.some((f) => target.includes(f.replace(/^\.\//, '')));
        if (!sideEffectOnly) expect(res.out[n], n).toBeGreaterThan(0);
      }
    });
  }
});

describe('release dry run (changesets, offline)', () => {
  it('bumps only the packages a changeset names (plus dependents whose range breaks) and packs them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lfm-release-'));
    try {
      // The scratch workspace must match the lockfile exactly (every member's manifest, private ones
      // and test/ included), so the install below is a frozen, offline one: it needs nothing beyond
      // what `pnpm install --frozen-lockfile` put in the store — no registry metadata.
      for (const f of [
        'package.json',
        'pnpm-workspace.yaml',
        'pnpm-lock.yaml',
        '.npmrc',
        '.changeset/config.json',
      ]) {
        if (existsSync(join(repoRoot, f))) cpSync(join(repoRoot, f), join(dir, f), { recursive: true });
      }
      const members = workspaceMembers();
      expect(members).toEqual(expect.arrayContaining(pkgs.map((p) => relative(repoRoot, p.dir))));
      for (const rel of members) {
        mkdirSync(join(dir, rel), { recursive: true });
        cpSync(join(repoRoot, rel, 'package.json'), join(dir, rel, 'package.json'));
      }
      for (const p of pkgs) {
        const rel = relative(repoRoot, p.dir);
        cpSync(join(p.dir, 'dist'), join(dir, rel, 'dist'), { recursive: true });
      }
      const top = pkgs.find((p) => p.name === '@lfm/procrustes')!;
      writeFileSync(
        join(dir, '.changeset', 'dry-run.md'),
        '---\n"@lfm/procrustes": minor\n---\n\nA dry run.\n',
      );
      run(join(repoRoot, 'node_modules', '.bin', 'changeset'), ['version'], dir);
      const versionOf = (p: { dir: string }) =>
        JSON.parse(readFileSync(join(dir, relative(repoRoot, p.dir), 'package.json'), 'utf8'))
          .version as string;
      // A minor bump of a 0.x package breaks `^0.x` ranges: its direct dependents get a patch bump
      // (with the new range); every other package keeps its version.
      const dependsOnTop = (p: WorkspacePackage) =>
        Object.keys((p.json.dependencies as Record<string, string> | undefined) ?? {}).includes(top.name);
      for (const p of pkgs) {
        if (p === top) continue;
        const [a, b, c] = p.version.split('.').map(Number);
        if (dependsOnTop(p)) expect(versionOf(p), p.name).toBe(`${a}.${b}.${(c ?? 0) + 1}`);
        else expect(versionOf(p), p.name).toBe(p.version);
      }
      const [maj, min] = top.version.split('.').map(Number);
      expect(versionOf(top)).toBe(`${maj}.${(min ?? 0) + 1}.0`);
      expect(existsSync(join(dir, relative(repoRoot, top.dir), 'CHANGELOG.md'))).toBe(true);
      expect(existsSync(join(dir, '.changeset', 'dry-run.md'))).toBe(false);
      // pnpm resolves `workspace:` ranges from the installed workspace: link the released package's
      // dependencies. The lockfile records workspace dependencies as `link:` paths, not versions, so
      // the bumped manifests still satisfy it: frozen, offline, for the one package (pnpm links the
      // root's devDependencies too, from the store a frozen install filled).
      run(
        'pnpm',
        ['install', '--frozen-lockfile', '--offline', '--ignore-scripts', '--filter', top.name],
        dir,
      );
      const out = run('pnpm', ['pack', '--pack-destination', dir], join(dir, relative(repoRoot, top.dir)));
      const tgz = out
        .trim()
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l.endsWith('.tgz'))!;
      const manifest = JSON.parse(
        run(
          'tar',
          ['-xzOf', tgz.startsWith('/') ? tgz : join(dir, basename(tgz)), 'package/package.json'],
          dir,
        ),
      );
      expect(manifest.version).toBe(`${maj}.${(min ?? 0) + 1}.0`);
      const core = pkgs.find((p) => p.name === '@lfm/core')!;
      expect(manifest.dependencies['@lfm/core']).toBe(`^${core.version}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
