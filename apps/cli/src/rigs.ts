import type { Rig } from '@lfm/rig';
import type { CliIo } from './io.js';

/**
 * Registers the built-in rigs, then every `--rig-plugin` (paths resolve against the working
 * directory). Returns the plugins' rigs. A plugin rig under a built-in id with a different definition
 * is a RigConflictError.
 */
export async function loadRigs(io: CliIo, plugins: readonly string[]): Promise<Rig[]> {
  const [{ registerBuiltinRigs }, { loadRigPlugin }] = await Promise.all([
    import('@lfm/rigs'),
    import('@lfm/rig'),
  ]);
  registerBuiltinRigs();
  const loaded: Rig[] = [];
  for (const p of plugins) loaded.push(...(await loadRigPlugin(p, { cwd: io.cwd })));
  return loaded;
}
