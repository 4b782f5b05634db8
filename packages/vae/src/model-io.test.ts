import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, SerializationError } from '@varia/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SavedModelJson } from './model-format.js';
import {
  checkTensorLeaksPerTest,
  expectSameWeights,
  leakedBy,
  removeTempDirs,
  tempDir,
  weightValues,
} from './test-utils/helpers.js';
import { VAE } from './vae.js';

let vae: VAE;
let savedDir: string;
/** Files served over HTTP by path, and what POSTs stored. */
const served = new Map<string, { body: Buffer; type: string }>();
let server: Server;
let base: string;

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: [5], activation: 'tanh', seed: 12 });
  savedDir = await tempDir();
  await vae.save(savedDir);
  server = createServer(async (req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    if (req.method === 'POST') {
      // tfjs' http handler: a multipart form with model.json and model.weights.bin
      const form = await new Request('http://x', {
        method: 'POST',
        headers: req.headers as HeadersInit,
        body: new Uint8Array(await body(req)),
      }).formData();
      for (const name of ['model.json', 'model.weights.bin']) {
        const value = form.get(name);
        if (value instanceof Blob)
          served.set(`${path}/${name}`, {
            body: Buffer.from(await value.arrayBuffer()),
            type: 'application/octet-stream',
          });
      }
      res.writeHead(200).end();
      return;
    }
    if (path === '/endless.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1 << 20, 0x20);
      const pump = (): void => {
        while (res.write(chunk)) {
          if (res.destroyed) return;
        }
        res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
      return;
    }
    const file = served.get(path);
    if (!file) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const json = await readFile(join(savedDir, 'model.json'));
  const weightFile = (JSON.parse(json.toString()) as SavedModelJson).weightsManifest[0]!.paths[0]!;
  served.set('/saved/model.json', { body: json, type: 'application/json' });
  served.set(`/saved/${weightFile}`, {
    body: await readFile(join(savedDir, weightFile)),
    type: 'application/octet-stream',
  });
});
afterAll(async () => {
  vae.dispose();
  await new Promise((resolve) => server.close(resolve));
  await removeTempDirs();
});
checkTensorLeaksPerTest();

async function expectLoadsSame(source: Parameters<typeof VAE.load>[0]): Promise<void> {
  const loaded = await VAE.load(source);
  expect(loaded.config).toEqual(vae.config);
  expectSameWeights(weightValues(loaded), weightValues(vae));
  loaded.dispose();
  expect(await leakedBy(async () => (await VAE.load(source)).dispose())).toBe(0);
}

describe('save / load through URLs and tfjs IOHandlers', () => {
  it('file:// URLs are directories', async () => {
    const dir = join(await tempDir(), 'via-url');
    await vae.save(pathToFileURL(dir).href);
    await expectLoadsSame(pathToFileURL(dir).href);
    await expectLoadsSame(join(dir, 'model.json')); // the path of model.json works too
  });

  it('http(s):// loads a served directory (model.json, or the directory URL ending in /)', async () => {
    await expectLoadsSame(`${base}/saved/model.json`);
    await expectLoadsSame(`${base}/saved/`);
  });

  it('http(s):// saves with tfjs POST protocol; that layout loads over HTTP and from disk', async () => {
    await vae.save(`${base}/posted`);
    expect([...served.keys()].filter((k) => k.startsWith('/posted/')).sort()).toEqual([
      '/posted/model.json',
      '/posted/model.weights.bin',
    ]);
    await expectLoadsSame(`${base}/posted/model.json`);
    const dir = await tempDir();
    await writeFile(join(dir, 'model.json'), served.get('/posted/model.json')!.body);
    await writeFile(join(dir, 'model.weights.bin'), served.get('/posted/model.weights.bin')!.body);
    await expectLoadsSame(dir);
  });

  it('HTTP errors, oversized and endless responses are SerializationErrors', async () => {
    await expect(VAE.load(`${base}/missing/model.json`)).rejects.toThrow(/HTTP 404/);
    await expect(VAE.load(`${base}/endless.json`)).rejects.toThrow(/more than the \d+ bytes/);
    served.set('/short/model.json', served.get('/saved/model.json')!);
    const weightFile = (JSON.parse(served.get('/saved/model.json')!.body.toString()) as SavedModelJson)
      .weightsManifest[0]!.paths[0]!;
    served.set(`/short/${weightFile}`, {
      body: served.get(`/saved/${weightFile}`)!.body.subarray(4),
      type: 'application/octet-stream',
    });
    await expect(VAE.load(`${base}/short/model.json`)).rejects.toThrow(SerializationError);
    await expect(VAE.load('http://127.0.0.1:1/model.json')).rejects.toThrow(SerializationError);
  });

  it('any tfjs IOHandler: withSaveHandler / fromMemory', async () => {
    let stored: tf.io.ModelArtifacts | undefined;
    await vae.save(
      tf.io.withSaveHandler(async (artifacts) => {
        stored = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    expect(stored?.format).toBe('varia-vae');
    await expectLoadsSame(tf.io.fromMemory(stored!));
    // tfjs artifacts of something else are refused
    await expect(VAE.load(tf.io.fromMemory({ modelTopology: { class_name: 'Sequential' } }))).rejects.toThrow(
      SerializationError,
    );
  });

  it('localstorage:// (tfjs browser storage) round-trips where the browser storage exists', async () => {
    const store = new Map<string, string>();
    const localStorage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
      key: (i: number) => [...store.keys()][i] ?? null,
      get length() {
        return store.size;
      },
    };
    const g = globalThis as { window?: unknown };
    const hadWindow = 'window' in g;
    const wasBrowser = tf.env().getBool('IS_BROWSER');
    g.window = { localStorage };
    tf.env().set('IS_BROWSER', true);
    try {
      await vae.save('localstorage://varia-test');
      expect([...store.keys()].some((k) => k.includes('varia-test'))).toBe(true);
      await expectLoadsSame('localstorage://varia-test');
    } finally {
      tf.env().set('IS_BROWSER', wasBrowser);
      if (!hadWindow) delete g.window;
    }
  });

  it('browser-only schemes in Node, unknown schemes and bad destinations are typed errors', async () => {
    for (const url of ['indexeddb://m', 'localstorage://m', 'downloads://m']) {
      await expect(vae.save(url)).rejects.toThrow(/browsers only/);
    }
    await expect(VAE.load('indexeddb://m')).rejects.toThrow(ArgumentError);
    await expect(vae.save('gopher://x')).rejects.toThrow(/no tfjs IO handler/);
    await expect(vae.save('' as string)).rejects.toThrow(ArgumentError);
    await expect(VAE.load(42 as unknown as string)).rejects.toThrow(ArgumentError);
    const dir = await tempDir();
    await mkdir(join(dir, 'x.json'));
    await expect(VAE.load(join(dir, 'x.json'))).rejects.toThrow(SerializationError);
  });
});
