import { basename, dirname, extname, join } from 'node:path';
import { type FlagSpecs, parseFlags, required } from '../args.js';
import { CliError, UsageError } from '../errors.js';
import { type CliIo, resolvePath, writeFileAtomic } from '../io.js';
import { decodeLifterCheckpoint, readModelFile, trainedKnnK } from '../model.js';
import { cliVersion } from '../version.js';

export const EXPORT_FLAGS = {
  model: { type: 'string', short: 'm' },
  out: { type: 'string', short: 'o' },
} as const satisfies FlagSpecs;

export const EXPORT_HELP = `Usage: lfm export --model CKPT [--out FILE.onnx]

Exports a lifter checkpoint as a self-contained ONNX model (opset 17, dynamic B and N, the model's
contract in its metadata) for @lfm/runtime in Node or the browser. The file is written atomically
(a temporary name, then renamed).

Options:
  -m, --model CKPT   a lifter checkpoint (.ckpt, e.g. runs/NAME/best.ckpt) (required)
  -o, --out FILE     the .onnx file to write (default: next to the checkpoint, with its name and
                     .onnx: runs/NAME/best.ckpt -> runs/NAME/best.onnx)
`;

/** Where `lfm export` writes without `--out`: next to the checkpoint, its extension replaced by `.onnx`. */
export function defaultExportPath(checkpoint: string): string {
  return join(dirname(checkpoint), `${basename(checkpoint, extname(checkpoint))}.onnx`);
}

export async function exportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags } = parseFlags('export', argv, EXPORT_FLAGS);
  const modelFlag = required('export', 'model', flags.model, 'CKPT');
  const model = resolvePath(io, modelFlag);
  const outFlag = flags.out ?? defaultExportPath(modelFlag);
  const out = resolvePath(io, outFlag);
  const file = await readModelFile(model);
  if (file.kind !== 'ckpt') {
    throw new CliError(
      `${model}: not an LFM checkpoint (no LFMCKPT1 header); export takes a .ckpt`,
      'E_MODEL_KIND',
    );
  }
  if (out === model) {
    throw new UsageError(
      `lfm export: the output ${outFlag} is the checkpoint itself; pass another --out FILE.onnx`,
    );
  }
  const ckpt = await decodeLifterCheckpoint(file);
  const { exportLifter } = await import('@lfm/onnx');
  const knnK = trainedKnnK(ckpt); // the recipe's kNN graph for rigs without bones
  const bytes = exportLifter(ckpt, {
    producer: { name: '@lfm/cli', version: cliVersion() },
    ...(knnK !== undefined && { knnK }),
  });
  await writeFileAtomic(out, bytes);
  const c = ckpt.config;
  io.stdout.write(
    `wrote ${outFlag} (${(bytes.length / 1024).toFixed(1)} KiB; D=${c.dModel}, L=${c.layers}, ` +
      `${c.attention} attention, max points ${c.maxPoints ?? 'unlimited'})\n`,
  );
  return 0;
}
