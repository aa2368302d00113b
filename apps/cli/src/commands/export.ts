import { type FlagSpecs, parseFlags, required } from '../args.js';
import { CliError } from '../errors.js';
import { type CliIo, resolvePath, writeFileAtomic } from '../io.js';
import { decodeLifterCheckpoint, readModelFile } from '../model.js';
import { cliVersion } from '../version.js';

export const EXPORT_FLAGS = {
  model: { type: 'string', short: 'm' },
  out: { type: 'string', short: 'o' },
} as const satisfies FlagSpecs;

export const EXPORT_HELP = `Usage: lfm export --model CKPT --out FILE.onnx

Exports a lifter checkpoint as a self-contained ONNX model (opset 17, dynamic B and N, the model's
contract in its metadata) for @lfm/runtime in Node or the browser. The file is written atomically
(a temporary name, then renamed).

Options:
  -m, --model CKPT   a lifter checkpoint (.ckpt, e.g. runs/NAME/best.ckpt) (required)
  -o, --out FILE     the .onnx file to write (required)
`;

export async function exportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags } = parseFlags('export', argv, EXPORT_FLAGS);
  const model = resolvePath(io, required('export', 'model', flags.model, 'CKPT'));
  const out = resolvePath(io, required('export', 'out', flags.out, 'FILE.onnx'));
  const file = await readModelFile(model);
  if (file.kind !== 'ckpt') {
    throw new CliError(
      `${model}: not an LFM checkpoint (no LFMCKPT1 header); export takes a .ckpt`,
      'E_MODEL_KIND',
    );
  }
  const ckpt = await decodeLifterCheckpoint(file);
  const { exportLifter } = await import('@lfm/onnx');
  const bytes = exportLifter(ckpt, { producer: { name: '@lfm/cli', version: cliVersion() } });
  await writeFileAtomic(out, bytes);
  const c = ckpt.config;
  io.stdout.write(
    `wrote ${flags.out} (${(bytes.length / 1024).toFixed(1)} KiB; D=${c.dModel}, L=${c.layers}, ` +
      `${c.attention} attention, max points ${c.maxPoints ?? 'unlimited'})\n`,
  );
  return 0;
}
