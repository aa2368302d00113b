// The README's main job on a fresh machine: a small training run on the project's own demo data,
// then `lfm lift` on every shipped example — with the shipped pretrained model (models/lfm.onnx)
// when the repository has one, else with the checkpoint just trained.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps', 'cli', 'dist', 'bin.js');
if (!existsSync(cli)) {
  console.error('main: apps/cli is not built; run `pnpm build` first');
  process.exit(1);
}

function lfm(args) {
  console.log(`\n$ lfm ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

lfm(['train', '--config', 'configs/tiny.json', '--out', 'runs/tiny', '--progress', 'lines']);
const shipped = join(root, 'models', 'lfm.onnx');
const model = existsSync(shipped) ? shipped : join(root, 'runs', 'tiny', 'best.ckpt');
console.log(`\nlifting the examples with ${model.slice(root.length + 1)}`);
for (const f of readdirSync(join(root, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  lfm(['lift', '--model', model, '--input', join('examples', f), '--out', join('runs', 'lifted', f)]);
}
console.log('\n3D results: runs/lifted/*.json');
