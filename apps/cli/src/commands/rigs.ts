import type { Rig } from '@lfm/rig';
import { type FlagSpecs, parseFlags } from '../args.js';
import { UsageError } from '../errors.js';
import { type CliIo, formatJson, table } from '../io.js';
import { loadRigs } from '../rigs.js';

export const RIGS_FLAGS = {
  json: { type: 'boolean' },
  'rig-plugin': { type: 'string', multiple: true },
} as const satisfies FlagSpecs;

export const RIGS_HELP = `Usage: lfm rigs list [--json] [--rig-plugin PATH]...
       lfm rigs show ID [--json] [--rig-plugin PATH]...

Lists the registered rigs (the built-in ones and those of --rig-plugin modules), or shows one:
its joints (with index and mirror partner), bones and citation.

Options:
      --json               machine-readable output (list: one summary per rig; show: the RigSpecV1)
      --rig-plugin PATH    load rigs from a plugin module (repeatable)
`;

export async function rigsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseFlags('rigs', argv, RIGS_FLAGS, 2);
  const [action, id] = positionals;
  if (action !== 'list' && action !== 'show') {
    throw new UsageError(
      action === undefined
        ? 'lfm rigs: missing action: list or show ID (see lfm rigs --help)'
        : `lfm rigs: unknown action '${action}': list or show ID (see lfm rigs --help)`,
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
