// The package graph's boundaries: `@lfm/format` (the spec every runtime reads) sits at the bottom,
// `@lfm/runtime` runs a model without the recorder / autodiff / model / training packages, the graph
// has no cycle, and every `@lfm/*` import of a package's source is a dependency its package.json
// declares (production files: `dependencies`/`peerDependencies`/`optionalDependencies`; tests,
// benchmarks and unpublished `src/test-support` may also use `devDependencies`). Each check is a
// function that returns its violations, and each is also run on a bad input to show it can fail.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, workspaceMembers } from './helpers.js';

type DepKind = 'dependencies' | 'devDependencies' | 'peerDependencies' | 'optionalDependencies';
const PROD: readonly DepKind[] = ['dependencies', 'peerDependencies', 'optionalDependencies'];
const ALL: readonly DepKind[] = [...PROD, 'devDependencies'];

interface Member {
  /** Path relative to the repo root. */
  readonly dir: string;
  readonly name: string;
  readonly json: Record<string, unknown>;
}

const members: Member[] = workspaceMembers().map((dir) => {
  const json = JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8'));
  return { dir, name: json.name as string, json };
});
const byName = new Map(members.map((m) => [m.name, m]));

/** The `@lfm/*` packages `json` names in the dependency fields `kinds`. */
function lfmDeps(json: Record<string, unknown>, kinds: readonly DepKind[] = PROD): string[] {
  const out = new Set<string>();
  for (const k of kinds) {
    for (const name of Object.keys((json[k] as Record<string, string> | undefined) ?? {})) {
      if (name.startsWith('@lfm/')) out.add(name);
    }
  }
  return [...out].sort();
}

/** The entries of `forbidden` that `json` depends on (fields `kinds`). */
function forbiddenDeps(
  json: Record<string, unknown>,
  forbidden: readonly string[],
  kinds: readonly DepKind[] = PROD,
): string[] {
  return lfmDeps(json, kinds).filter((d) => forbidden.includes(d));
}

/** A dependency cycle of `graph` (name → the names it depends on) as a path a → … → a, or null. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done') return null;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (!graph.has(d)) continue;
      const cycle = visit(d);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of [...graph.keys()].sort()) {
    const cycle = visit(n);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * The module specifiers of `source`'s static imports and re-exports (`export … from`), each a
 * statement starting a line, and of its `import()` calls.
 */
function moduleSpecifiers(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]!);
  return out;
}

/** The package a specifier names: `@lfm/datasets/preprocess` → `@lfm/datasets`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Whether a source file is never published / never run in production: a test, a benchmark, test support. */
function isDevOnly(file: string, json: Record<string, unknown>): boolean {
  if (/\.(test|bench)\.[cm]?[jt]sx?$/.test(file)) return true;
  const files = (json.files as string[] | undefined) ?? [];
  return /(^|\/)src\/test-support\//.test(file) && files.includes('!src/test-support');
}

interface Undeclared {
  readonly file: string;
  readonly specifier: string;
}

/**
 * The `@lfm/*` imports of `sources` (path relative to the package → text) that package `json` does
 * not declare: production files against its production dependencies, dev-only files against all.
 */
function undeclaredImports(
  json: Record<string, unknown>,
  sources: ReadonlyMap<string, string>,
): Undeclared[] {
  const prod = new Set([json.name as string, ...lfmDeps(json, PROD)]);
  const all = new Set([json.name as string, ...lfmDeps(json, ALL)]);
  const out: Undeclared[] = [];
  for (const [file, text] of sources) {
    const declared = isDevOnly(file, json) ? all : prod;
    for (const specifier of moduleSpecifiers(text)) {
      if (specifier.startsWith('@lfm/') && !declared.has(packageOf(specifier))) out.push({ file, specifier });
    }
  }
  return out;
}

/** The TypeScript/JavaScript files under `dir` (relative to `base`) with their text. */
function sourceFiles(base: string, dir: string, out = new Map<string, string>()): Map<string, string> {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sourceFiles(base, path, out);
    else if (/\.[cm]?[jt]sx?$/.test(entry) && !entry.endsWith('.d.ts')) {
      out.set(relative(base, path).split('\\').join('/'), readFileSync(path, 'utf8'));
    }
  }
  return out;
}

function member(name: string): Member {
  const m = byName.get(name);
  if (!m) throw new Error(`${name} is not a workspace member`);
  return m;
}

describe('package graph', () => {
  it('reads the workspace members', () => {
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining(['@lfm/format', '@lfm/core', '@lfm/runtime', '@lfm/onnx', '@lfm/attention']),
    );
  });

  it('@lfm/format depends on no @lfm/* package but @lfm/core', () => {
    expect(lfmDeps(member('@lfm/format').json, ALL).filter((d) => d !== '@lfm/core')).toEqual([]);
  });

  it('@lfm/runtime does not depend on the recorder, model, attention, encoding or trainer packages', () => {
    const forbidden = ['@lfm/onnx', '@lfm/model', '@lfm/attention', '@lfm/encoding', '@lfm/trainer'];
    expect(forbiddenDeps(member('@lfm/runtime').json, forbidden)).toEqual([]);
  });

  it('@lfm/onnx does not depend on @lfm/datasets; @lfm/attention not on @lfm/encoding', () => {
    expect(forbiddenDeps(member('@lfm/onnx').json, ['@lfm/datasets'], ALL)).toEqual([]);
    expect(forbiddenDeps(member('@lfm/attention').json, ['@lfm/encoding'], ALL)).toEqual([]);
  });

  it('has no dependency cycle among workspace packages (dev dependencies included)', () => {
    const graph = new Map(members.map((m) => [m.name, lfmDeps(m.json, ALL)]));
    expect(findCycle(graph)).toBeNull();
  });

  for (const m of members.filter((x) => /^(packages|apps)\//.test(x.dir))) {
    it(`${m.name}: every @lfm/* import under src/ is a declared dependency`, () => {
      const sources = sourceFiles(join(repoRoot, m.dir), join(repoRoot, m.dir, 'src'));
      expect(sources.size).toBeGreaterThan(0);
      expect(undeclaredImports(m.json, sources)).toEqual([]);
    });
  }
});

describe('the checks fail on a bad graph', () => {
  const pkg = (name: string, deps: Record<string, string> = {}, dev: Record<string, string> = {}) => ({
    name,
    dependencies: deps,
    devDependencies: dev,
  });

  it('an @lfm/* dependency of @lfm/format is seen', () => {
    const bad = pkg('@lfm/format', { '@lfm/core': 'workspace:^', '@lfm/model': 'workspace:^' });
    expect(lfmDeps(bad, ALL).filter((d) => d !== '@lfm/core')).toEqual(['@lfm/model']);
    const devBad = pkg('@lfm/format', {}, { '@lfm/onnx': 'workspace:^' });
    expect(lfmDeps(devBad, ALL)).toEqual(['@lfm/onnx']);
  });

  it('a forbidden edge is seen', () => {
    const runtime = pkg('@lfm/runtime', { '@lfm/core': 'workspace:^', '@lfm/onnx': 'workspace:^' });
    expect(forbiddenDeps(runtime, ['@lfm/onnx', '@lfm/model'])).toEqual(['@lfm/onnx']);
    const peer = { name: '@lfm/runtime', peerDependencies: { '@lfm/model': '^0.1.0' } };
    expect(forbiddenDeps(peer, ['@lfm/onnx', '@lfm/model'])).toEqual(['@lfm/model']);
    const onnx = pkg('@lfm/onnx', {}, { '@lfm/datasets': 'workspace:^' });
    expect(forbiddenDeps(onnx, ['@lfm/datasets'], ALL)).toEqual(['@lfm/datasets']);
  });

  it('a cycle is found, and a DAG has none', () => {
    const dag = new Map([
      ['a', ['b', 'c']],
      ['b', ['c']],
      ['c', []],
    ]);
    expect(findCycle(dag)).toBeNull();
    const cyclic = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', []],
    ]);
    expect(findCycle(cyclic)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['a']]]))).toEqual(['a', 'a']);
  });

  it('every import form is scanned, comments are not', () => {
    const text = [
      "import { a } from '@lfm/one';",
      'import type {',
      '  B,',
      "} from '@lfm/two/sub';",
      "export { c } from '@lfm/three';",
      "export * from '@lfm/four';",
      "import '@lfm/five';",
      "const m = await import('@lfm/six');",
      "// import { x } from '@lfm/commented';",
      "/* export { y } from '@lfm/block'; */",
      "const s = '@lfm/datasets/preprocess jointCode';",
      "const hint = `or import '@lfm/rigs/register'`;",
    ].join('\n');
    expect(moduleSpecifiers(text).map(packageOf).sort()).toEqual(
      ['@lfm/five', '@lfm/four', '@lfm/one', '@lfm/six', '@lfm/three', '@lfm/two'].sort(),
    );
  });

  it('an undeclared import is reported; a dev dependency only serves dev-only files', () => {
    const json = {
      name: '@lfm/p',
      dependencies: { '@lfm/core': 'workspace:^' },
      devDependencies: { '@lfm/onnx': 'workspace:^' },
      files: ['dist', 'src', '!src/test-support'],
    };
    const sources = new Map([
      ['src/a.ts', "import { x } from '@lfm/core';\nimport { self } from '@lfm/p/sub';"],
      ['src/b.ts', "import { y } from '@lfm/model';"],
      ['src/c.ts', "export { z } from '@lfm/onnx';"],
      ['src/c.test.ts', "import { z } from '@lfm/onnx';"],
      ['src/test-support/f.ts', "import { z } from '@lfm/onnx';"],
      ['src/d.test.ts', "import { w } from '@lfm/trainer';"],
    ]);
    expect(undeclaredImports(json, sources)).toEqual([
      { file: 'src/b.ts', specifier: '@lfm/model' },
      { file: 'src/c.ts', specifier: '@lfm/onnx' },
      { file: 'src/d.test.ts', specifier: '@lfm/trainer' },
    ]);
    // test-support that is published is production code.
    const published = { ...json, files: ['dist', 'src'] };
    expect(undeclaredImports(published, new Map([['src/test-support/f.ts', "import '@lfm/onnx';"]]))).toEqual(
      [{ file: 'src/test-support/f.ts', specifier: '@lfm/onnx' }],
    );
  });
});
