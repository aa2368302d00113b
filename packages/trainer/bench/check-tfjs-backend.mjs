// Plain-Node check of `@lfm/trainer/tfjs-backend` (built dist, no vitest/bundler): the backend is
// really active and tfjs's gradients are registered. Prints one JSON line.
//   node packages/trainer/bench/check-tfjs-backend.mjs [wasm|cpu|tensorflow]
import { loadTfjsBackend } from '@lfm/trainer/tfjs-backend';

const { tf, backend } = await loadTfjsBackend(process.argv[2] ?? 'wasm');
const x = tf.variable(tf.tensor([1, 2, 3]));
const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(x)), [x]);
console.log(
  JSON.stringify({
    backend,
    active: tf.getBackend(),
    version: tf.version_core,
    loss: value.dataSync()[0],
    grad: Array.from(grads[x.name].dataSync()),
  }),
);
