import { readFileSync } from 'node:fs';
import { getRig, hasRig, listRigs } from '@lfm/rig';
import { describe, expect, it } from 'vitest';
import { builtinRigs, registerBuiltinRigs } from './index.js';

describe('registration', () => {
  it('importing the index registers nothing; @lfm/rigs/register registers every built-in rig', async () => {
    // vitest runs each test file in its own process, so nothing else has touched the registry yet
    expect(builtinRigs.some((rig) => hasRig(rig.id))).toBe(false);
    await import('@lfm/rigs/register');
    for (const rig of builtinRigs) expect(getRig(rig.id)).toBe(rig);
    expect(listRigs().length).toBeGreaterThanOrEqual(builtinRigs.length);
  });

  it('registerBuiltinRigs() is idempotent and returns the registered rigs', () => {
    const first = registerBuiltinRigs();
    expect(registerBuiltinRigs()).toEqual(first);
    expect(first.map((r) => r.id)).toEqual(builtinRigs.map((r) => r.id));
  });

  it('declares the register entry as its only side effect, in the exports map', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.sideEffects).toEqual(['./dist/register.js', './src/register.ts']);
    expect(pkg.exports['./register']).toMatchObject({
      '@lfm/source': './src/register.ts',
      import: './dist/register.js',
    });
    expect(pkg.dependencies).toEqual({ '@lfm/rig': 'workspace:^' });
  });
});
