import { defineRig, isRig, type Rig, type RigSpecInput } from './define-rig.js';
import { RigPluginError, RigSpecError } from './errors.js';
import { registerRig } from './registry.js';

/** One rig as a plugin may export it: a Rig, a plain RigSpecV1 object, or a function given `defineRig`. */
export type RigPluginValue =
  | Rig
  | RigSpecInput
  | readonly (Rig | RigSpecInput)[]
  | ((define: typeof defineRig) => RigPluginValue | Promise<RigPluginValue>);

export interface LoadRigPluginOptions {
  /** Directory that relative paths and package names resolve from. Default: process.cwd(). */
  readonly cwd?: string;
}

const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const isPathLike = (s: string): boolean =>
  /^(\.{1,2}[\\/]|\/|[A-Za-z]:[\\/]|\\\\)/.test(s) || s === '.' || s === '..';
const isUrl = (s: string): boolean => /^(file|https?|data|blob):/i.test(s);

/**
 * Load a rig plugin and register its rigs; resolves to the registered Rigs. `pathOrSpecifier` is a file
 * path (relative to `cwd`), a file/http URL, or a package name. The module's default export and its
 * `rig` and `rigs` exports are read; each may be a Rig, a plain RigSpecV1 object (validated by
 * defineRig), an array of those, or a function `(defineRig) => …` returning any of them — so a plugin
 * file needs no import of @lfm/rig. Throws RigPluginError for a missing file or package, a module that
 * fails to import or exports no rig; RigSpecError (naming the plugin) for an invalid spec;
 * RigConflictError when a different rig already holds one of its ids.
 */
export async function loadRigPlugin(
  pathOrSpecifier: string,
  options: LoadRigPluginOptions = {},
): Promise<Rig[]> {
  const spec = pathOrSpecifier;
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new RigPluginError(String(spec), 'rig plugin: expected a file path, URL or package name');
  }
  const mod = await importPlugin(spec, options);
  const found: Rig[] = [];
  const exportNames = Object.keys(mod);
  let sawExport = false;
  for (const key of ['default', 'rig', 'rigs'] as const) {
    let value = mod[key];
    if (value === undefined) continue;
    // A CommonJS plugin (`module.exports = { rigs }`) arrives as the default export.
    if (key === 'default' && isModuleLike(value)) {
      const inner = value as Record<string, unknown>;
      value = inner.rigs ?? inner.rig ?? inner.default;
      if (value === undefined) continue;
    }
    // A default export that is some unrelated object (e.g. a library namespace) is not a rig attempt.
    if (key === 'default' && !looksLikeRigValue(value)) continue;
    sawExport = true;
    await collect(spec, key, value, found);
  }
  if (!sawExport || found.length === 0) {
    throw new RigPluginError(
      spec,
      `rig plugin '${spec}' exports no rig: expected a default export, or an export named 'rig' or 'rigs', ` +
        'holding a rig (defineRig(...)), a plain RigSpecV1 object, an array of them, or a function ' +
        `(defineRig) => rig; the module exports: ${listNames(exportNames)}`,
    );
  }
  const registered: Rig[] = [];
  for (const rig of found) {
    const r = registerRig(rig);
    if (!registered.includes(r)) registered.push(r);
  }
  return registered;
}

function listNames(names: readonly string[]): string {
  if (names.length === 0) return 'nothing';
  return names.length > 8 ? `${names.slice(0, 8).join(', ')}, … (${names.length} names)` : names.join(', ');
}

function looksLikeRigValue(v: unknown): boolean {
  if (typeof v === 'function' || Array.isArray(v) || isRig(v)) return true;
  if (typeof v !== 'object' || v === null) return true; // reported as "not a rig" by collect
  return 'id' in v || 'joints' in v || 'specVersion' in v;
}

function isModuleLike(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || isRig(v)) return false;
  const o = v as Record<string, unknown>;
  return !('joints' in o) && ('rigs' in o || 'rig' in o || 'default' in o);
}

async function collect(spec: string, key: string, value: unknown, out: Rig[], depth = 0): Promise<void> {
  if (typeof value === 'function') {
    if (depth > 0) {
      throw new RigPluginError(spec, `rig plugin '${spec}': export '${key}' returned a function`);
    }
    let result: unknown;
    try {
      result = await (value as (d: typeof defineRig) => unknown)(defineRig);
    } catch (err) {
      throw withPlugin(spec, err);
    }
    return collect(spec, key, result, out, depth + 1);
  }
  if (Array.isArray(value)) {
    for (const item of value) await collect(spec, key, item, out, depth + 1);
    return;
  }
  if (typeof value !== 'object' || value === null) {
    throw new RigPluginError(
      spec,
      `rig plugin '${spec}': export '${key}' is ${value === null ? 'null' : typeof value}, not a rig, rig spec or array of them`,
    );
  }
  try {
    out.push(defineRig(value as RigSpecInput));
  } catch (err) {
    throw withPlugin(spec, err);
  }
}

function withPlugin(spec: string, err: unknown): Error {
  if (err instanceof RigSpecError) {
    return new RigSpecError(`rig plugin '${spec}': ${err.message}`, err.problems);
  }
  // Our other typed errors (from any copy of @lfm/rig) pass through unchanged.
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error && typeof code === 'string' && code.startsWith('E_')) return err;
  return new RigPluginError(
    spec,
    `rig plugin '${spec}' failed: ${err instanceof Error ? err.message : String(err)}`,
  );
}

async function importPlugin(spec: string, options: LoadRigPluginOptions): Promise<Record<string, unknown>> {
  if (!isNode() || isUrl(spec)) return importOrFail(spec, spec);
  const { isAbsolute, join, resolve } = await import('node:path');
  const { existsSync, statSync } = await import('node:fs');
  const { pathToFileURL } = await import('node:url');
  const cwd = options.cwd ?? process.cwd();
  const asPath = resolve(cwd, spec);
  if (isPathLike(spec) || existsSync(asPath)) {
    if (!existsSync(asPath)) {
      throw new RigPluginError(spec, `rig plugin not found: ${asPath} ('${spec}' resolved against ${cwd})`);
    }
    if (statSync(asPath).isDirectory()) {
      throw new RigPluginError(spec, `rig plugin '${spec}' is a directory (${asPath}); pass the .js file`);
    }
    return importOrFail(spec, pathToFileURL(asPath).href);
  }
  // A package name: resolve it from `cwd` (the user's project), not from where @lfm/rig is installed.
  const { createRequire } = await import('node:module');
  let url: string | undefined;
  try {
    const resolved = createRequire(join(cwd, 'noop.js')).resolve(spec);
    url = isAbsolute(resolved) ? pathToFileURL(resolved).href : resolved; // 'node:path' stays as is
  } catch {
    url = undefined; // e.g. an ESM-only package without a "require"/"default" export: try import() below
  }
  try {
    return await importModule(url ?? spec);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (url === undefined && (code === 'ERR_MODULE_NOT_FOUND' || /cannot find/i.test(String(err)))) {
      throw new RigPluginError(
        spec,
        `rig plugin '${spec}' not found: no such file in ${cwd} and no package of that name ` +
          `(install it, or pass a path such as ./${spec}.js)`,
      );
    }
    throw importFailure(spec, err);
  }
}

async function importModule(url: string): Promise<Record<string, unknown>> {
  return (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
}

async function importOrFail(spec: string, url: string): Promise<Record<string, unknown>> {
  try {
    return await importModule(url);
  } catch (err) {
    throw importFailure(spec, err);
  }
}

function importFailure(spec: string, err: unknown): RigPluginError {
  const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new RigPluginError(spec, `rig plugin '${spec}' failed to import: ${msg}`);
}
