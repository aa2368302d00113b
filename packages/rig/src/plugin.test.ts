import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRig } from './define-rig.js';
import { RigConflictError, RigPluginError, RigSpecError } from './errors.js';
import { loadRigPlugin } from './plugin.js';
import { getRig, hasRig, registerRig } from './registry.js';

const specSource = (id: string, bones = "[['a', 'b'], ['b', 'c']]") =>
  `{ specVersion: 1, id: '${id}', category: 'toy', joints: ['a', 'b', 'c'], bones: ${bones}, ` +
  "mirror: [['a', 'c']], citation: 'test fixture' }";

let dir = '';
const file = (name: string, source: string): string => {
  writeFileSync(join(dir, name), source);
  return join(dir, name);
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lfm-rig-plugin-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('loadRigPlugin', () => {
  it('loads the example plugin (a plain spec object) by relative path and registers it', async () => {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const rigs = await loadRigPlugin('./examples/my-rig.js', { cwd });
    expect(rigs).toHaveLength(1);
    const [lamp] = rigs;
    expect(isRig(lamp)).toBe(true);
    expect(lamp?.id).toBe('example-lamp');
    expect(getRig('example-lamp')).toBe(lamp);
    expect(lamp?.boneIndices).toHaveLength(5);
    // loading it again is harmless
    expect(await loadRigPlugin('./examples/my-rig.js', { cwd })).toEqual([lamp]);
  });

  it('loads a default-exported spec from an absolute path and from a file URL', async () => {
    const path = file('plain.js', `export default ${specSource('plug-plain')};\n`);
    const [rig] = await loadRigPlugin(path);
    expect(rig?.mirrorIndex).toEqual([2, 1, 0]);
    expect(hasRig('plug-plain')).toBe(true);
    const url = pathToFileURL(file('plain-url.mjs', `export default ${specSource('plug-url')};\n`)).href;
    expect((await loadRigPlugin(url)).map((r) => r.id)).toEqual(['plug-url']);
  });

  it('calls a default-exported function with defineRig', async () => {
    const path = file(
      'fn.js',
      `export default (defineRig) => { const r = defineRig(${specSource('plug-fn')}); return r; };\n`,
    );
    const [rig] = await loadRigPlugin(path);
    expect(rig?.id).toBe('plug-fn');
    expect(getRig('plug-fn')).toBe(rig);
  });

  it('reads the `rig` and `rigs` exports and a CommonJS module.exports', async () => {
    file('named.js', `export const rig = ${specSource('plug-named')};\n`);
    file('many.js', `export const rigs = [${specSource('plug-many-1')}, ${specSource('plug-many-2')}];\n`);
    file('cjs.cjs', `module.exports = { rigs: [${specSource('plug-cjs')}] };\n`);
    expect((await loadRigPlugin('./named.js', { cwd: dir })).map((r) => r.id)).toEqual(['plug-named']);
    expect((await loadRigPlugin('./many.js', { cwd: dir })).map((r) => r.id)).toEqual([
      'plug-many-1',
      'plug-many-2',
    ]);
    expect((await loadRigPlugin('cjs.cjs', { cwd: dir })).map((r) => r.id)).toEqual(['plug-cjs']);
    expect(hasRig('plug-many-2') && hasRig('plug-cjs')).toBe(true);
  });

  it('reports a missing file with its resolved path', async () => {
    const err = await loadRigPlugin('./nope.js', { cwd: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigPluginError);
    expect((err as RigPluginError).code).toBe('E_RIG_PLUGIN');
    expect((err as Error).message).toMatch(
      /rig plugin not found: .*nope\.js \('\.\/nope\.js' resolved against/,
    );
    await expect(loadRigPlugin('no-such-lfm-rig-package-xyz', { cwd: dir })).rejects.toThrow(
      /'no-such-lfm-rig-package-xyz' not found: no such file .* no package of that name/,
    );
  });

  it('reports a module that exports no rig, listing what it exports', async () => {
    const path = file('empty.js', 'export const foo = 1;\nexport function bar() {}\n');
    await expect(loadRigPlugin(path)).rejects.toThrow(RigPluginError);
    await expect(loadRigPlugin(path)).rejects.toThrow(
      /exports no rig: .*the module exports: foo, bar|bar, foo/,
    );
    await expect(loadRigPlugin('node:path')).rejects.toThrow(/'node:path' exports no rig/);
    file('empty-list.js', 'export const rigs = [];\n');
    await expect(loadRigPlugin('./empty-list.js', { cwd: dir })).rejects.toThrow(/exports no rig/);
    file('number.js', 'export default 42;\n');
    await expect(loadRigPlugin('./number.js', { cwd: dir })).rejects.toThrow(/export 'default' is number/);
  });

  it('reports an invalid spec with the plugin named, and a module that fails to import', async () => {
    const path = file('invalid.js', `export default ${specSource('plug-invalid', "[['a', 'z']]")};\n`);
    const err = await loadRigPlugin(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RigSpecError);
    expect((err as Error).message).toMatch(/^rig plugin '.*invalid\.js': invalid rig 'plug-invalid': .*'z'/);
    expect(hasRig('plug-invalid')).toBe(false);
    file('broken.js', 'export default {;\n');
    await expect(loadRigPlugin('./broken.js', { cwd: dir })).rejects.toThrow(
      /'\.\/broken\.js' failed to import/,
    );
    file('throws.js', "export default () => { throw new Error('boom'); };\n");
    await expect(loadRigPlugin('./throws.js', { cwd: dir })).rejects.toThrow(/'\.\/throws\.js' failed: boom/);
  });

  it('refuses to replace a different rig registered under the same id', async () => {
    registerRig({ id: 'plug-taken', category: 'toy', joints: ['x', 'y'], citation: 'first' });
    const path = file('taken.js', `export default ${specSource('plug-taken')};\n`);
    await expect(loadRigPlugin(path)).rejects.toThrow(RigConflictError);
    expect(getRig('plug-taken').joints).toEqual(['x', 'y']);
  });
});
