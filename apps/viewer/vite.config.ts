import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

/**
 * @lfm/rig's `loadRigPlugin` reads plugin files with node:fs/path/url/module (dynamic imports inside the
 * function). The page never loads rig plugins from disk; these stubs keep Node's modules out of the
 * bundle (and the build quiet) and fail clearly if that code path is ever taken in a browser.
 */
function nodeBuiltinStubs(): Plugin {
  const PREFIX = '\0lfm-node-stub:';
  return {
    name: 'lfm-node-builtin-stubs',
    enforce: 'pre',
    resolveId(id) {
      return id.startsWith('node:') ? PREFIX + id : null;
    },
    load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const name = JSON.stringify(id.slice(PREFIX.length));
      return `throw new Error(${name} + ' is not available in the browser');`;
    },
  };
}

/**
 * The viewer is a static page: `vite build` writes it to dist/ (relative URLs, so it can be served
 * from any path). `@lfm/*` imports resolve to each package's TypeScript source (the `@lfm/source`
 * export condition, as in vitest), so the dev server needs no prior build of the packages.
 *
 * onnxruntime-web: the CPU-only wasm build (`onnxruntime-web/wasm`, one .wasm of ~14 MB instead of the
 * ~28 MB WebGPU one). src/model.ts imports its .wasm with `?url`, so Vite serves it in dev and copies
 * it into dist/assets/ at build time, and sets `ort.env.wasm.wasmPaths` to it: no CDN is ever asked.
 */
export default defineConfig({
  base: './',
  plugins: [nodeBuiltinStubs()],
  resolve: {
    conditions: ['@lfm/source', ...defaultClientConditions],
    alias: [{ find: /^onnxruntime-web$/, replacement: 'onnxruntime-web/wasm' }],
  },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
    // The model and the wasm stay files (fetched), never inlined as base64.
    assetsInlineLimit: 0,
  },
  server: { port: 5173 },
});
