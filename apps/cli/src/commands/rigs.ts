import { basename } from 'node:path';
import { readTextFileOr } from '@lfm/core/node';
import type { Rig } from '@lfm/rig';
import { type FlagSpecs, parseFlags } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { type CliIo, formatJson, note, resolvePath, table, writeFileAtomic } from '../io.js';
import { loadRigs } from '../rigs.js';

export const RIGS_FLAGS = {
  json: { type: 'boolean' },
  'rig-plugin': { type: 'string', multiple: true },
  out: { type: 'string', short: 'o' },
  id: { type: 'string' },
  category: { type: 'string' },
  rig: { type: 'string' },
  input: { type: 'string', short: 'i' },
  data: { type: 'string', short: 'd' },
} as const satisfies FlagSpecs;

export const RIGS_HELP = `Usage: lfm rigs list [--json] [--rig-plugin PATH]...
       lfm rigs show ID [--json] [--rig-plugin PATH]...
       lfm rigs from-dlc CONFIG.yaml [--out my-rig.js] [--id ID] [--category NAME]
       lfm rigs symmetry (--rig ID --input FILE | --data DIR) [--out my-rig.js] [--id ID] [--json]

Lists the registered rigs (the built-in ones and those of --rig-plugin modules), or shows one:
its joints (with index and mirror partner), bones and citation.

from-dlc writes a rig plugin (for --rig-plugin) from a DeepLabCut project's config.yaml: its
bodyparts become the joints (multi-animal: multianimalbodyparts, plus a second rig ID-unique for
uniquebodyparts), its skeleton the bones, and left/right body part names the mirror pairs.
Then: lfm lift --rig-plugin my-rig.js --input <video>DLC_<scorer>.csv --out lifted.json

symmetry finds the left/right mirror pairs of a rig that declares none (numbered markers), as the
bilateral symmetry of its shape: from the 2D keypoints of --input (a file lfm lift reads, in the
joint order of --rig; NRSfM of its frames, then the symmetry of their mean shape) or from the 3D
of a dataset folder's train split (--data). It prints the pairs; --out writes a rig plugin of the
rig with them (id --id, default <rig>-pairs), which a model with the mirror-partner input lifts
better with: lfm lift --rig-plugin my-rig.js --rig <rig>-pairs --input FILE. A shape whose best
plane explains less than half its joints has no symmetry (exit 1 with --out, nothing written).

Options:
      --json               machine-readable output (list: one summary per rig; show: the RigSpecV1)
      --rig-plugin PATH    load rigs from a plugin module (repeatable)
  -o, --out FILE           from-dlc: write the plugin here (default: stdout)
      --id ID              from-dlc: the rig id (default dlc-<Task>)
      --category NAME      from-dlc: the rig category (default animal)
      --rig ID             symmetry: the rig the --input keypoints follow
  -i, --input FILE         symmetry: 2D keypoints (lfm lift's formats)
  -d, --data DIR           symmetry: a dataset folder (meta.json + points.f32): its train 3D
`;

export async function rigsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseFlags('rigs', argv, RIGS_FLAGS, 2);
  const [action, id] = positionals;
  if (action === 'from-dlc') {
    for (const k of ['rig', 'input', 'data'] as const) {
      if (flags[k] !== undefined) throw new UsageError(`--${k} is a flag of lfm rigs symmetry`);
    }
    return fromDlc(io, id, flags);
  }
  if (action === 'symmetry') {
    if (id !== undefined) throw new UsageError(`lfm rigs symmetry: unexpected argument '${id}'`);
    if (flags.category !== undefined) throw new UsageError('--category is a flag of lfm rigs from-dlc');
    return symmetry(io, flags);
  }
  for (const k of ['out', 'id', 'category', 'rig', 'input', 'data'] as const) {
    if (flags[k] !== undefined) throw new UsageError(`--${k} is a flag of lfm rigs from-dlc or symmetry`);
  }
  if (action !== 'list' && action !== 'show') {
    throw new UsageError(
      action === undefined
        ? 'lfm rigs: missing action: list, show ID, from-dlc CONFIG or symmetry (see lfm rigs --help)'
        : `lfm rigs: unknown action '${action}': list, show ID, from-dlc CONFIG or symmetry (see lfm rigs --help)`,
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

/**
 * `lfm rigs symmetry`: the mirror pairs of a rig found from its data (`@lfm/procrustes`
 * detectSymmetry / symmetryFrom2d, accepted as `@lfm/trainer` acceptedPairs), printed, and with
 * --out a rig plugin of the rig with them.
 */
async function symmetry(
  io: CliIo,
  flags: {
    out?: string;
    id?: string;
    json?: boolean;
    'rig-plugin'?: string[];
    rig?: string;
    input?: string;
    data?: string;
  },
): Promise<number> {
  if ((flags.input === undefined) === (flags.data === undefined)) {
    throw new UsageError('lfm rigs symmetry: give --input FILE (with --rig) or --data DIR');
  }
  if (flags.input !== undefined && flags.rig === undefined) {
    throw new UsageError('lfm rigs symmetry: --input needs --rig ID (the rig its keypoints follow)');
  }
  await loadRigs(io, flags['rig-plugin'] ?? []);
  const [trainer, { resolveRig }, { defineRig }] = await Promise.all([
    import('@lfm/trainer'),
    import('@lfm/runtime'),
    import('@lfm/rig'),
  ]);
  let spec: { id: string; joints: readonly string[]; [key: string]: unknown };
  let found: import('@lfm/trainer').SymmetryResult;
  let source: string;
  if (flags.data !== undefined) {
    const [ds] = await trainer.loadDatasets([resolvePath(io, flags.data)]);
    if (!ds) throw new CliError(`${flags.data}: no dataset`, 'E_NO_DATA');
    if (ds.perSequenceEdges) {
      throw new CliError(
        `${ds.name}: its joint order differs between sequences, so one set of mirror pairs cannot hold`,
        'E_INPUT',
      );
    }
    const rig = flags.rig !== undefined ? resolveRig(flags.rig) : undefined;
    if (rig && rig.numJoints !== ds.numJoints) {
      throw new CliError(
        `${ds.name}: the data has ${ds.numJoints} joints, rig ${rig.id} has ${rig.numJoints}; the rig must match the data`,
        'E_INPUT',
      );
    }
    const s3 = trainer.symmetryOf3d(ds);
    found = s3.symmetry;
    source = `the 3D mean shape of ${s3.frames} train frames of ${ds.name}`;
    const joints = ds.joints ?? Array.from({ length: ds.numJoints }, (_, j) => `p${j}`);
    spec = rig
      ? { ...rig.spec }
      : {
          specVersion: 1,
          id: ds.name,
          category: ds.category,
          joints,
          bones: ds.edges.map(([a, b]) => [joints[a]!, joints[b]!]),
          mirror: [],
          citation: `dataset ${ds.name}`,
        };
  } else {
    const rig = resolveRig(flags.rig!); // an unknown id fails here, naming close ones
    const { readKeypointSequence } = await import('@lfm/datasets');
    const seq = await readKeypointSequence(resolvePath(io, flags.input!));
    const samples = trainer.adaptSamplesFromSequence(
      seq,
      { id: rig.id, joints: rig.joints, bones: rig.boneIndices },
      flags.input!,
    );
    if (samples.count < 2) {
      throw new CliError(
        `${flags.input}: needs at least 2 frames with 3 visible points, got ${samples.count}`,
        'E_INPUT',
      );
    }
    found = trainer.symmetryOf2d(samples.points2d, samples.mask, samples.count, rig.numJoints);
    source = `the 2D of ${Math.min(samples.count, 400)} frames of ${flags.input}`;
    spec = { ...rig.spec };
  }
  const pairs = trainer.acceptedPairs(found);
  const names = spec.joints;
  const named = pairs.map(([a, b]) => [names[a]!, names[b]!] as const);
  const newId = flags.id ?? `${spec.id}-pairs`;
  if (flags.json) {
    io.stdout.write(
      formatJson({
        rig: spec.id,
        source,
        accepted: pairs.length > 0,
        pairs: named,
        centre: pairs.length > 0 ? found.centre.map((j) => names[j]) : [],
        coverage: found.coverage,
        residual: found.residual,
      }),
    );
  } else if (pairs.length === 0) {
    io.stdout.write(
      `${spec.id}: no bilateral symmetry found in ${source} (the best plane explains ${Math.round(100 * found.coverage)} % of the joints; it must explain ${Math.round(100 * trainer.MIN_SYMMETRY_COVERAGE)} %)\n`,
    );
  } else {
    io.stdout.write(
      `${spec.id}: ${pairs.length} mirror pairs and ${found.centre.length} joints on the plane, from ${source} (coverage ${found.coverage.toFixed(2)}, residual ${found.residual.toFixed(3)} of the RMS radius)\n` +
        table(
          ['left', 'right'],
          named.map(([a, b]) => [a, b]),
        ),
    );
  }
  if (flags.out === undefined) return 0;
  if (pairs.length === 0) throw new CliError(`no mirror pairs found: ${flags.out} not written`, 'E_INPUT');
  const out = { ...spec, id: newId, mirror: named };
  defineRig(out as unknown as Parameters<typeof defineRig>[0]); // a bad --id fails here, before anything is written
  const text = `// A rig plugin for LFM, written by \`lfm rigs symmetry\`: the rig ${spec.id} with the left/right mirror
// pairs found as the bilateral symmetry of ${source}. Edit it freely (the rig spec:
// packages/rig/README.md). Use it with:
//   lfm lift --rig-plugin ./${basename(flags.out)} --rig ${newId} --input FILE --out lifted.json
export const rigs = ${JSON.stringify([out], null, 2)};
`;
  await writeFileAtomic(resolvePath(io, flags.out), text);
  note(io, `wrote ${flags.out} (${newId}: ${named.length} mirror pairs)`);
  return 0;
}
