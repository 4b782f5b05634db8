import { defineConfig } from 'vite';

/**
 * The playground page: `web/` → `dist-web/` (relative asset paths, so any static server or sub-path works). Training
 * runs in an ES-module worker; the wasm binaries and MNIST digit files are emitted as separate assets.
 */
export default defineConfig({
  root: 'web',
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
        if (/Module "node:[a-z/]+" has been externalized/.test(log.message) && /packages\/vae\/dist\//.test(log.message)) return;
        // the same stub, shared with tfjs' own Node-only branches: nothing to split into a chunk
        if (log.code === 'INEFFECTIVE_DYNAMIC_IMPORT' && log.message.includes('__vite-browser-external')) return;
        // build-speed statistics, not problems
        if (log.code === 'PLUGIN_TIMINGS') return;
        handler(level, log);
      },
    },
  },
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
