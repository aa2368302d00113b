import { describe, expect, it } from 'vitest';
import { defineRig, type RigSpecInput } from './define-rig.js';
import { RigConflictError, UnknownRigError } from './errors.js';
import { getRig, hasRig, listRigs, matchRigByJoints, registerRig } from './registry.js';

const spec = (id: string, extra: Partial<RigSpecInput> = {}): RigSpecInput => ({
  id,
  category: 'toy',
  joints: ['a', 'b', 'c'],
  bones: [
    ['a', 'b'],
    ['b', 'c'],
  ],
  mirror: [['a', 'c']],
  citation: 'test fixture',
  ...extra,
});

describe('rig registry', () => {
  it('registers and looks up a rig', () => {
    const rig = defineRig(spec('reg-basic'));
    expect(hasRig('reg-basic')).toBe(false);
    expect(registerRig(rig)).toBe(rig);
    expect(hasRig('reg-basic')).toBe(true);
    expect(getRig('reg-basic')).toBe(rig);
  });

  it('accepts a plain spec and returns the defined rig', () => {
    const rig = registerRig(spec('reg-plain'));
    expect(rig.boneIndices).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(getRig('reg-plain')).toBe(rig);
  });

  it('treats registering the same rig twice as harmless', () => {
    const first = registerRig(defineRig(spec('reg-twice')));
    expect(registerRig(first)).toBe(first);
    // a separately defined, deep-equal rig (e.g. from a second copy of a rig package) keeps the first
    expect(registerRig(defineRig(spec('reg-twice')))).toBe(first);
    expect(registerRig(spec('reg-twice'))).toBe(first);
  });

  it('throws RigConflictError for a different rig under a taken id', () => {
    registerRig(spec('reg-conflict'));
    const other = spec('reg-conflict', { joints: ['a', 'b', 'd'], mirror: [['a', 'd']], bones: [] });
    expect(() => registerRig(other)).toThrow(RigConflictError);
    try {
      registerRig(other);
    } catch (err) {
      const e = err as RigConflictError;
      expect(e.code).toBe('E_RIG_CONFLICT');
      expect(e.rigId).toBe('reg-conflict');
      expect(e.message).toMatch(
        /'reg-conflict' is already registered with a different definition \(joints\[2\]/,
      );
      expect(e.message).toMatch(/give your rig its own id/);
    }
    expect(() => registerRig(spec('reg-conflict', { citation: 'another paper' }))).toThrow(/citation/);
    expect(getRig('reg-conflict').joints).toEqual(['a', 'b', 'c']);
  });

  it('throws UnknownRigError naming close ids', () => {
    registerRig(spec('reg-h36m-17'));
    let caught: unknown;
    try {
      getRig('reg-h36m-71');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UnknownRigError);
    const e = caught as UnknownRigError;
    expect(e.code).toBe('E_UNKNOWN_RIG');
    expect(e.suggestions).toContain('reg-h36m-17');
    expect(e.message).toMatch(/unknown rig 'reg-h36m-71' \(did you mean 'reg-h36m-17'/);
    expect(e.message).toMatch(/registerBuiltinRigs\(\)/);
  });

  it('lists registered rigs sorted by id', () => {
    registerRig(spec('reg-list-b'));
    registerRig(spec('reg-list-a'));
    const ids = listRigs().map((r) => r.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining(['reg-list-a', 'reg-list-b']));
  });

  it('keeps its state on globalThis[Symbol.for("@lfm/rig.registry")]', () => {
    const rig = registerRig(spec('reg-global'));
    const state = (globalThis as unknown as Record<symbol, { version: number; rigs: Map<string, unknown> }>)[
      Symbol.for('@lfm/rig.registry')
    ];
    expect(state?.version).toBe(1);
    expect(state?.rigs.get('reg-global')).toBe(rig);
  });

  it('is shared by a second, separately loaded copy of the module', async () => {
    const url = './registry.js?copy=2';
    const copy = (await import(/* @vite-ignore */ url)) as typeof import('./registry.js');
    expect(copy.registerRig).not.toBe(registerRig); // really a second module instance
    const rig = registerRig(spec('reg-shared'));
    expect(copy.hasRig('reg-shared')).toBe(true);
    expect(copy.getRig('reg-shared')).toBe(rig);
    const fromCopy = copy.registerRig(spec('reg-from-copy'));
    expect(getRig('reg-from-copy')).toBe(fromCopy);
    expect(() => copy.registerRig(spec('reg-shared', { category: 'other' }))).toThrow(/already registered/);
  });

  it('matchRigByJoints: the candidate sharing most names, else the registered rig with exactly them', () => {
    const small = defineRig(spec('match-small', { joints: ['a', 'x', 'y'], bones: [], mirror: [] }));
    const big = defineRig(spec('match-big'));
    expect(matchRigByJoints(['a', 'b'], [small, big])).toEqual({ rig: big, candidate: true });
    const exact = registerRig(spec('match-exact', { joints: ['p', 'q', 'r'], bones: [], mirror: [] }));
    expect(matchRigByJoints(['r', 'q', 'p'], [small])).toEqual({ rig: exact, candidate: false });
    expect(matchRigByJoints(['p', 'q'], [small])).toBeUndefined();
  });
});
