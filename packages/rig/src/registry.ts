import { defineRig, firstSpecDifference, type Rig, type RigSpecInput } from './define-rig.js';
import { RigConflictError, UnknownRigError } from './errors.js';
import { closestNames } from './suggest.js';

/** The global key of the registry: every copy of @lfm/rig loaded in one JS realm shares it. */
const RIG_REGISTRY_KEY = Symbol.for('@lfm/rig.registry');

interface RegistryState {
  readonly version: 1;
  readonly rigs: Map<string, Rig>;
}

function registry(): RegistryState {
  const g = globalThis as unknown as Record<symbol, RegistryState | undefined>;
  const existing = g[RIG_REGISTRY_KEY];
  if (existing) return existing;
  const state: RegistryState = Object.freeze({ version: 1, rigs: new Map<string, Rig>() });
  Object.defineProperty(globalThis, RIG_REGISTRY_KEY, { value: state, enumerable: false, writable: false });
  return state;
}

/**
 * Register a rig (or a plain spec, passed through `defineRig`) under its id and return the registered
 * Rig. Registering an equal rig again (deep-equal spec) is harmless and returns the first one; a
 * different rig under a taken id throws RigConflictError.
 */
export function registerRig(rig: Rig | RigSpecInput): Rig {
  const defined = defineRig(rig);
  const { rigs } = registry();
  const existing = rigs.get(defined.id);
  if (existing === undefined) {
    rigs.set(defined.id, defined);
    return defined;
  }
  if (existing === defined) return existing;
  const diff = firstSpecDifference(existing.spec, defined.spec);
  if (diff === undefined) return existing;
  throw new RigConflictError(
    defined.id,
    `rig id '${defined.id}' is already registered with a different definition (${diff}); ` +
      `give your rig its own id (e.g. 'acme-${defined.id}') or stop registering one of the two`,
  );
}

/** The rig registered under `id`; throws UnknownRigError naming the closest registered ids. */
export function getRig(id: string): Rig {
  const { rigs } = registry();
  const rig = rigs.get(id);
  if (rig) return rig;
  const suggestions = closestNames(String(id), rigs.keys());
  const hint = suggestions.length ? ` (did you mean ${suggestions.map((s) => `'${s}'`).join(', ')}?)` : '';
  const known =
    rigs.size === 0
      ? 'no rigs are registered'
      : `${rigs.size} rigs are registered (listRigs(), \`lfm rigs list\`)`;
  throw new UnknownRigError(
    String(id),
    `unknown rig '${id}'${hint}; ${known}. Built-in rigs: registerBuiltinRigs() or import '@lfm/rigs/register'; ` +
      'your own: registerRig(defineRig({...})) or --rig-plugin ./my-rig.js',
    suggestions,
  );
}

/** True when a rig is registered under `id`. */
export function hasRig(id: string): boolean {
  return registry().rigs.has(id);
}

/** Every registered rig, sorted by id. */
export function listRigs(): Rig[] {
  return [...registry().rigs.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The rig for named joints (e.g. DeepLabCut body parts): of `candidates`, the one sharing most of
 * `names` (the first of a tie; at least one name shared), with `candidate: true`; else the registered
 * rig with exactly those names (`candidate: false`); else undefined.
 */
export function matchRigByJoints(
  names: readonly string[],
  candidates: Iterable<Rig>,
): { readonly rig: Rig; readonly candidate: boolean } | undefined {
  const overlap = (r: Rig) => names.filter((n) => r.jointIndex.has(n)).length;
  const best = [...candidates].sort((a, b) => overlap(b) - overlap(a))[0];
  if (best && overlap(best) > 0) return { rig: best, candidate: true };
  const set = new Set(names);
  const rig = listRigs().find((r) => r.numJoints === set.size && names.every((n) => r.jointIndex.has(n)));
  return rig && { rig, candidate: false };
}
