import { basename } from 'node:path';
import { readTextFileOr } from '@lfm/core/node';
import type { Rig } from '@lfm/rig';
import { type FlagSpecs, parseFlags } from '../args.js';
import { UsageError } from '../errors.js';
import { type CliIo, formatJson, note, resolvePath, table, writeFileAtomic } from '../io.js';
import { loadRigs } from '../rigs.js';

export const RIGS_FLAGS = {
  json: { type: 'boolean' },
  'rig-plugin': { type: 'string', multiple: true },
  out: { type: 'string', short: 'o' },
  id: { type: 'string' },
  category: { type: 'string' },
} as const satisfies FlagSpecs;

export const RIGS_HELP = `Usage: lfm rigs list [--json] [--rig-plugin PATH]...
       lfm rigs show ID [--json] [--rig-plugin PATH]...
       lfm rigs from-dlc CONFIG.yaml [--out my-rig.js] [--id ID] [--category NAME]

Lists the registered rigs (the built-in ones and those of --rig-plugin modules), or shows one:
its joints (with index and mirror partner), bones and citation.

from-dlc writes a rig plugin (for --rig-plugin) from a DeepLabCut project's config.yaml: its
bodyparts become the joints (multi-animal: multianimalbodyparts, plus a second rig ID-unique for
uniquebodyparts), its skeleton the bones, and left/right body part names the mirror pairs.
Then: lfm lift --rig-plugin my-rig.js --input <video>DLC_<scorer>.csv --out lifted.json

Options:
      --json               machine-readable output (list: one summary per rig; show: the RigSpecV1)
      --rig-plugin PATH    load rigs from a plugin module (repeatable)
  -o, --out FILE           from-dlc: write the plugin here (default: stdout)
      --id ID              from-dlc: the rig id (default dlc-<Task>)
      --category NAME      from-dlc: the rig category (default animal)
`;

export async function rigsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseFlags('rigs', argv, RIGS_FLAGS, 2);
  const [action, id] = positionals;
  if (action === 'from-dlc') return fromDlc(io, id, flags);
  for (const k of ['out', 'id', 'category'] as const) {
    if (flags[k] !== undefined) throw new UsageError(`--${k} is a flag of lfm rigs from-dlc`);
  }
  if (action !== 'list' && action !== 'show') {
    throw new UsageError(
      action === undefined
        ? 'lfm rigs: missing action: list, show ID or from-dlc CONFIG (see lfm rigs --help)'
        : `lfm rigs: unknown action '${action}': list, show ID or from-dlc CONFIG (see lfm rigs --help)`,
    );
  }
  if (action === 'list' && id !== undefined)
    throw new UsageError(`lfm rigs list: unexpected argument '${id}'`);
  if (action === 'show' && id === undefined) throw new UsageError('lfm rigs show: missing rig ID');
  const plugins = await loadRigs(io, flags['rig-plugin'] ?? []);
  const { getRig, listRigs } = await import('@lfm/rig');
  if (action === 'list') {
    const rigs = listRigs();
    const fromPlugin = new Set(plugins.map((r) => r.id));
    if (flags.json) {
      io.stdout.write(
        formatJson(
          rigs.map((r) => ({
            id: r.id,
            category: r.category,
            joints: r.numJoints,
            bones: r.bones.length,
            source: fromPlugin.has(r.id) ? 'plugin' : 'builtin',
            citation: r.citation,
          })),
        ),
      );
      return 0;
    }
    io.stdout.write(
      table(
        ['id', 'category', 'joints', 'bones', ''],
        rigs.map((r) => [
          r.id,
          r.category,
          String(r.numJoints),
          String(r.bones.length),
          fromPlugin.has(r.id) ? '(plugin)' : '',
        ]),
      ),
    );
    return 0;
  }
  const rig = getRig(id!);
  io.stdout.write(flags.json ? formatJson(rig.spec) : showRig(rig));
  return 0;
}

function showRig(rig: Rig): string {
  const lines = [
    `${rig.id} — ${rig.category}, ${rig.numJoints} joints, ${rig.bones.length} bones`,
    ...(rig.description ? [rig.description] : []),
    `citation: ${rig.citation}`,
    ...(rig.units ? [`units: ${rig.units}`] : []),
    '',
    table(
      ['#', 'joint', 'mirror', 'neighbours'],
      rig.joints.map((name, j) => [
        String(j),
        name,
        rig.mirrorIndex[j] === j ? '' : rig.joints[rig.mirrorIndex[j]!]!,
        rig.neighbours[j]!.map((k) => rig.joints[k]).join(', '),
      ]),
    ).trimEnd(),
  ];
  if (rig.bones.length === 0) lines.push('', 'no bones: local attention uses the k-nearest-neighbour graph');
  return `${lines.join('\n')}\n`;
}

/** `lfm rigs from-dlc CONFIG`: a rig plugin module from a DeepLabCut config.yaml. */
async function fromDlc(
  io: CliIo,
  config: string | undefined,
  flags: { out?: string; id?: string; category?: string; json?: boolean; 'rig-plugin'?: string[] },
): Promise<number> {
  if (config === undefined)
    throw new UsageError("lfm rigs from-dlc: missing CONFIG (the project's config.yaml)");
  if (flags.json || flags['rig-plugin'])
    throw new UsageError('lfm rigs from-dlc takes --out, --id and --category');
  const path = resolvePath(io, config);
  const text = await readTextFileOr(path, { directory: "is a directory; pass the project's config.yaml" });
  const [{ dlcRigSpecs, parseDlcConfig }, { defineRig }] = await Promise.all([
    import('@lfm/datasets'),
    import('@lfm/rig'),
  ]);
  const project = parseDlcConfig(text, config);
  const specs = dlcRigSpecs(project, {
    ...(flags.id !== undefined && { id: flags.id }),
    ...(flags.category !== undefined && { category: flags.category }),
  });
  for (const spec of specs) defineRig(spec); // a bad --id fails here, before anything is written
  const out = flags.out;
  const plugin = pluginModule(specs, {
    config: basename(config),
    task: project.task,
    pcutoff: project.pcutoff,
    file: out === undefined ? 'my-rig.js' : basename(out),
  });
  if (out === undefined) {
    io.stdout.write(plugin);
    return 0;
  }
  await writeFileAtomic(resolvePath(io, out), plugin);
  const summary = specs.map(
    (s) => `${s.id}: ${s.joints.length} joints, ${s.bones.length} bones, ${s.mirror.length} mirror pairs`,
  );
  note(io, `wrote ${out} (${summary.join('; ')})`);
  return 0;
}

/** The text of a rig plugin module exporting `specs` (plain RigSpecV1 objects: no import needed). */
export function pluginModule(
  specs: readonly object[],
  info: { config: string; task: string; pcutoff: number | undefined; file: string },
): string {
  const cutoff = info.pcutoff !== undefined ? ` --min-likelihood ${info.pcutoff}` : '';
  return `// A rig plugin for LFM, written by \`lfm rigs from-dlc ${info.config}\` from the DeepLabCut project
// '${info.task}': joints = its body parts (config.yaml order), bones = its skeleton, mirror = left/right
// body part names. Edit it freely (the rig spec: packages/rig/README.md). Use it with:
//   lfm lift --rig-plugin ./${info.file} --input <video>DLC_<scorer>.csv${cutoff} --out lifted.json
export const rigs = ${JSON.stringify(specs, null, 2)};
`;
}
