import type { TfCore } from '@lfm/core/tfjs';
import type { LifterConfig } from '@lfm/model';
import type { FloatTensor, ModelSession, SessionFactory } from '@lfm/runtime';

/**
 * A `@lfm/runtime` SessionFactory that runs the lifter on tfjs (`lfm lift --runtime tfjs`): the model
 * contract (input names) is read from the ONNX bytes the runtime hands over — exported in memory from
 * the same checkpoint — and the forward pass is `forwardLifter` on tfjs with the checkpoint's weights.
 * So both runtimes share the runtime's preprocessing, input checks and camera recovery exactly; only
 * the network call differs.
 */
export async function createTfjsSessionFactory(
  tf: TfCore,
  checkpoint: { readonly config: LifterConfig; readonly params: Readonly<Record<string, Float32Array>> },
): Promise<SessionFactory> {
  const [{ createTfjsOps, createTfjsParams }, { forwardLifter, parameterShapes }, onnx] = await Promise.all([
    import('@lfm/core/tfjs'),
    import('@lfm/model'),
    import('@lfm/onnx'),
  ]);
  const { config, params } = checkpoint;
  return {
    name: `tfjs-${tf.getBackend()}`,
    perSessionThreads: false,
    largeBatchThreads: () => 1,
    readModel: async () => {
      throw new Error('the tfjs session factory takes model bytes, not a path');
    },
    async createSession(bytes): Promise<ModelSession> {
      const info = onnx.parseLifterMetadata(onnx.readModelMetadata(bytes));
      const tensors = Object.fromEntries(
        parameterShapes(config).map((s) => [s.name, tf.tensor(params[s.name]!, [...s.shape], 'float32')]),
      );
      const view = createTfjsParams(tensors);
      const ops = createTfjsOps(tf);
      return {
        inputNames: info.io.inputs.map((s) => s.name),
        outputNames: ['points3d'],
        async run(feeds: Readonly<Record<string, FloatTensor>>) {
          const t = (f: FloatTensor | undefined) =>
            f ? tf.tensor(f.data, [...f.dims], 'float32') : undefined;
          const y = tf.tidy(() => {
            const adj = t(feeds.adj);
            const codes = t(feeds.codes);
            const pairs = t(feeds.pairs);
            return forwardLifter(
              ops,
              view,
              {
                points: t(feeds.points)!,
                mask: t(feeds.mask)!,
                ...(adj && { adj }),
                ...(codes && { codes }),
                ...(pairs && { pairs }),
              },
              config,
            );
          });
          try {
            return { points3d: { data: (y.dataSync() as Float32Array).slice(), dims: y.shape } };
          } finally {
            y.dispose();
          }
        },
        async release() {
          for (const x of Object.values(tensors)) x.dispose();
        },
      };
    },
  };
}
