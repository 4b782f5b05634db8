import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vite';

/**
 * tfjs-backend-wasm starts its pthread workers with `factory.toString()` of the Emscripten module factory
 * (`mainScriptUrlOrBlob = new Blob(['var WasmBackendModuleThreadedSimd = ' + factory.toString()])`). Bundled and
 * minified, the factory's text refers to names of the bundle around it, and every pthread worker dies with
 * "ReferenceError: e is not defined" — the page failed exactly when cross-origin isolated (the only time tfjs takes
 * the threaded path). This plugin keeps that one file out of the bundler's hands: the module evaluates the original,
 * self-contained Emscripten source at run time, so `toString()` gives back that source.
 */
function selfContainedWasmThreadsFactory(): Plugin {
  const file = /tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/;
  return {
    name: 'varia:self-contained-wasm-threads-factory',
    enforce: 'pre',
    load(id) {
      if (!file.test(id)) return null;
      const source = readFileSync(id, 'utf8');
      return [
        `const module = { exports: {} };`,
        `new Function('module', 'exports', ${JSON.stringify(source)})(module, module.exports);`,
        `export default module.exports;`,
      ].join('\n');
    },
  };
}

/**
 * The playground page: `web/` → `dist-web/` (relative asset paths, so any static server or sub-path works). Training
 * runs in an ES-module worker; the wasm binaries and MNIST digit files are emitted as separate assets.
 */
export default defineConfig({
  root: 'web',
  plugins: [selfContainedWasmThreadsFactory()],
  base: './',
  publicDir: false,
  build: {
    outDir: '../dist-web',
    emptyOutDir: true,
    target: 'es2022',
    // tfjs (webgl + cpu + wasm glue) and vega are large by nature; the page loads nothing from the internet
    chunkSizeWarningLimit: 3000,
    assetsInlineLimit: 0,
    rolldownOptions: {
      onLog(level, log, handler) {
        // VAE.save/load import node:fs lazily; that code never runs in the page, so Vite's notice that it stubbed those
        // modules is noise here (@varia/datasets has a browser entry without Node loaders). Any other externalized
        // module is still reported.
        if (
          /Module "node:[a-z/]+" has been externalized/.test(log.message) &&
          /packages\/vae\/dist\//.test(log.message)
        )
          return;
        // the same stub, shared with tfjs' own Node-only branches: nothing to split into a chunk
        if (log.code === 'INEFFECTIVE_DYNAMIC_IMPORT' && log.message.includes('__vite-browser-external')) return;
        // @varia/vae loads tfjs-layers lazily (for tf.LayersModel networks); the page's @tensorflow/tfjs already
        // includes it, so there is nothing to split off either
        if (
          log.code === 'INEFFECTIVE_DYNAMIC_IMPORT' &&
          /tfjs-layers/.test(log.message) &&
          /packages\/vae\/dist\//.test(log.message)
        )
          return;
        // build-speed statistics, not problems
        if (log.code === 'PLUGIN_TIMINGS') return;
        handler(level, log);
      },
    },
  },
  worker: { format: 'es', plugins: () => [selfContainedWasmThreadsFactory()] },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
