// node examples/code/tfjs-backend.mjs (from the repository root; after pnpm build)
import { loadTfjsBackend } from '@lfm/trainer/tfjs-backend';

const { tf, backend } = await loadTfjsBackend(); // tensorflow (tfjs-node[-gpu], if installed) → wasm
console.log(backend, tf.getBackend());
