/**
 * `serve`: a small static file server for the built page (`dist-web/`), bound to 127.0.0.1. Also used by the
 * end-to-end test. Only GET/HEAD of files under the root; no directory listings.
 *
 * By default it sends the cross-origin isolation headers (`Cross-Origin-Opener-Policy: same-origin`,
 * `Cross-Origin-Embedder-Policy: require-corp`), so the page is `crossOriginIsolated`, has `SharedArrayBuffer` and
 * trains on tfjs-wasm's multithreaded SIMD build.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built page, next to `dist/` in the package. */
export const WEB_ROOT = fileURLToPath(new URL('../dist-web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream',
  '.map': 'application/json',
};

/** A running server and how to stop it. */
export interface StaticServer {
  /** `http://127.0.0.1:PORT/`. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** The headers that make a page cross-origin isolated (what wasm threads need). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

/** Options of {@link serveStatic}. */
export interface ServeOptions {
  /** Send {@link ISOLATION_HEADERS} (default `true`). */
  isolated?: boolean;
}

/** Serves `root` on 127.0.0.1:`port` (0: a free port). */
export async function serveStatic(root: string, port = 0, options: ServeOptions = {}): Promise<StaticServer> {
  const base = resolve(root);
  const isolation = options.isolated === false ? {} : ISOLATION_HEADERS;
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      let path: string;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request: malformed URL or % escape\n');
        return;
      }
      if (path.endsWith('/')) path += 'index.html';
      const file = normalize(join(base, path));
      if (file !== base && !file.startsWith(base + sep)) {
        res.writeHead(403).end();
        return;
      }
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
        return;
      }
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-cache',
        ...isolation,
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    server,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
