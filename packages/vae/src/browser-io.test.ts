// The same save/load calls in a real browser (headless Chromium driven by playwright-core): indexeddb://,
// localstorage://, downloads:// and http(s):// with the built packages (dist/) loaded as ES modules, and a plain path
// refused with a typed error (Node-only code never runs there). Skipped where Chromium or playwright-core is missing.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import * as tfCore from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VAEConfig } from './config.js';
import { expectSameWeights, removeTempDirs, tempDir, weightValues } from './test-utils/helpers.js';
import { VAE } from './vae.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REPO = new URL('../../../', import.meta.url).pathname;
const requireFromPlayground = createRequire(join(REPO, 'apps/playground/package.json'));
const requireFromVae = createRequire(join(REPO, 'packages/vae/package.json'));

function resolveOrUndefined(id: string, from: NodeRequire): string | undefined {
  try {
    return from.resolve(id);
  } catch {
    return undefined;
  }
}
const playwrightPath = resolveOrUndefined('playwright-core', requireFromPlayground);
const available = existsSync(CHROMIUM) && playwrightPath !== undefined;

const CONFIG: VAEConfig = { inputDim: 3, latentDim: 2, hiddenUnits: [4], activation: 'tanh', seed: 21 };

/** The part of playwright-core's API used here (its types are not a dependency of this package). */
interface Download {
  suggestedFilename(): string;
  saveAs(path: string): Promise<void>;
}
interface Tab {
  on(event: 'download', listener: (download: Download) => void): void;
  goto(url: string): Promise<unknown>;
  waitForFunction(f: () => boolean, arg: undefined, options: { timeout: number }): Promise<unknown>;
  evaluate<T>(f: () => T): Promise<T>;
}
interface Chromium {
  launch(options: { executablePath: string; args: string[] }): Promise<{
    newContext(options: { acceptDownloads: boolean }): Promise<{ newPage(): Promise<Tab> }>;
    close(): Promise<void>;
  }>;
}
const PACKAGES = ['core', 'distributions', 'layers', 'losses', 'vae'];

/** The page: tfjs from its UMD bundles (global `tf`), varia's dist/ as ES modules through an import map. */
function page(): string {
  const imports: Record<string, string> = {
    '@tensorflow/tfjs-core': '/shim/tfjs-core.js',
    '@tensorflow/tfjs-backend-cpu': '/shim/empty.js',
  };
  for (const p of PACKAGES) imports[`@varia/${p}`] = `/repo/packages/${p}/dist/index.js`;
  return `<!doctype html><html><head>
<script src="/tf/core.js"></script><script src="/tf/backend-cpu.js"></script>
<script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module">
import * as tf from '@tensorflow/tfjs-core';
import { VAE } from '@varia/vae';
try {
  await tf.setBackend('cpu');
  const vae = new VAE(${JSON.stringify(CONFIG)});
  const weights = (m) => JSON.stringify([...m.namedVariables()].map(([k, v]) => [k, Array.from(v.dataSync())]));
  const out = { isNode: typeof process !== 'undefined' };
  for (const url of ['indexeddb://varia-browser-test', 'localstorage://varia-browser-test', location.origin + '/saved/']) {
    if (!url.startsWith('http')) await vae.save(url);
    const loaded = await VAE.load(url);
    out[url.startsWith('http') ? 'http' : url] = weights(loaded) === weights(vae);
    loaded.dispose();
  }
  try { await vae.save('models/here'); out.path = 'saved'; } catch (e) { out.path = e.name + ': ' + e.message; }
  await vae.save('downloads://varia-download');
  window.__result = out;
} catch (e) {
  window.__result = { error: String(e && e.stack || e) };
}
</script></head><body></body></html>`;
}

let server: Server;
let base: string;
let savedDir: string;

beforeAll(async () => {
  if (!available) return;
  savedDir = await tempDir();
  const vae = new VAE(CONFIG);
  await vae.save(savedDir);
  vae.dispose();
  const names = Object.keys(tfCore).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k));
  const shim = `const tf = globalThis.tf;\nexport const { ${names.join(', ')} } = tf;\n`;
  const tfDist = (pkg: string, file: string): string =>
    join(requireFromVae.resolve(`${pkg}/package.json`), '..', 'dist', file);
  const files: Record<string, string> = {
    '/tf/core.js': tfDist('@tensorflow/tfjs-core', 'tf-core.es2017.js'),
    '/tf/backend-cpu.js': tfDist('@tensorflow/tfjs-backend-cpu', 'tf-backend-cpu.es2017.js'),
  };
  server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    const send = (body: string | Buffer, type: string): void =>
      void res.writeHead(200, { 'content-type': type }).end(body);
    try {
      if (path === '/') return send(page(), 'text/html');
      if (path === '/shim/tfjs-core.js') return send(shim, 'text/javascript');
      if (path === '/shim/empty.js') return send('export {};\n', 'text/javascript');
      if (files[path]) return send(await readFile(files[path]), 'text/javascript');
      if (path.startsWith('/saved/'))
        return send(
          await readFile(join(savedDir, normalize(path.slice(7)) || 'model.json')),
          'application/octet-stream',
        );
      const file = normalize(join(REPO, path.slice('/repo/'.length)));
      if (path.startsWith('/repo/packages/') && file.startsWith(join(REPO, 'packages')) && file.includes('/dist/')) {
        return send(await readFile(file), 'text/javascript');
      }
    } catch {
      // fall through to 404
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  if (server) await new Promise((resolve) => server.close(resolve));
  await removeTempDirs();
});

describe.skipIf(!available)('save / load in a real browser (Chromium)', () => {
  it('indexeddb://, localstorage://, http(s):// and downloads:// work with the same calls; a path is a typed error', async () => {
    const { chromium } = (await import(playwrightPath!)) as { chromium: Chromium };
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
    try {
      const context = await browser.newContext({ acceptDownloads: true });
      const tab = await context.newPage();
      const downloads: { name: string; save: (to: string) => Promise<void> }[] = [];
      tab.on('download', (d) => downloads.push({ name: d.suggestedFilename(), save: (to) => d.saveAs(to) }));
      await tab.goto(`${base}/`);
      await tab.waitForFunction(() => (window as { __result?: unknown }).__result !== undefined, undefined, {
        timeout: 60_000,
      });
      const result = (await tab.evaluate(() => (window as { __result?: unknown }).__result)) as Record<string, unknown>;
      expect(result.error).toBeUndefined();
      expect(result).toMatchObject({
        isNode: false,
        'indexeddb://varia-browser-test': true,
        'localstorage://varia-browser-test': true,
        http: true,
      });
      expect(result.path).toMatch(/^SerializationError: .*needs Node\.js/);
      // downloads:// gave two files that VAE.load reads in Node
      await expect.poll(() => downloads.length, { timeout: 20_000 }).toBe(2);
      const dir = join(await tempDir(), 'downloaded');
      await mkdir(dir);
      for (const d of downloads) await d.save(join(dir, d.name));
      expect(downloads.map((d) => d.name).sort()).toEqual(['varia-download.json', 'varia-download.weights.bin']);
      const loaded = await VAE.load(join(dir, 'varia-download.json'));
      const original = new VAE(CONFIG);
      expectSameWeights(weightValues(loaded), weightValues(original));
      loaded.dispose();
      original.dispose();
    } finally {
      await browser.close();
    }
  });
});
