import type { InputFile } from './sequence.js';

/** The shipped examples (the repository's examples/*.json), bundled as text at build time. */
export const EXAMPLES: Record<string, string> = Object.fromEntries(
  Object.entries(
    import.meta.glob<string>('../../../examples/*.json', { query: '?raw', import: 'default', eager: true }),
  )
    .map(([path, text]) => [path.slice(path.lastIndexOf('/') + 1), text] as const)
    .sort(([a], [b]) => a.localeCompare(b)),
);

/**
 * The shipped tracker fixtures (examples/trackers/<name>/: a DeepLabCut CSV + config.yaml, an OpenPose
 * folder), bundled as text: each folder is one sequence example, loaded as if its files were dropped.
 */
export const SEQUENCE_EXAMPLES: Record<string, InputFile[]> = (() => {
  const files = import.meta.glob<string>('../../../examples/trackers/*/*.{csv,yaml,json}', {
    query: '?raw',
    import: 'default',
    eager: true,
  });
  const out: Record<string, InputFile[]> = {};
  for (const [path, text] of Object.entries(files)) {
    const parts = path.split('/');
    const key = `trackers/${parts[parts.length - 2]}`;
    (out[key] ??= []).push({ name: parts[parts.length - 1]!, text });
  }
  for (const list of Object.values(out)) list.sort((a, b) => a.name.localeCompare(b.name));
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
})();
