import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ISOLATION_HEADERS, serveStatic } from './serve.js';

const dir = mkdtempSync(join(tmpdir(), 'varia-serve-'));
writeFileSync(join(dir, 'index.html'), '<p>hi</p>');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A raw GET (fetch would normalise the path). */
function get(url: string, path: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((ok, fail) => {
    const req = request(new URL(url), { path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('serveStatic', () => {
  it('answers a malformed % escape with 400, a missing file with 404, a path outside the root with 403 or 404', async () => {
    const server = await serveStatic(dir, 0);
    try {
      expect((await get(server.url, '/%E0%A4%A')).status).toBe(400);
      expect((await get(server.url, '/%')).status).toBe(400);
      expect((await get(server.url, '/nothing.js')).status).toBe(404);
      expect([403, 404]).toContain((await get(server.url, '/..%2f..%2fetc%2fpasswd')).status);
      const page = await get(server.url, '/');
      expect(page.status).toBe(200);
      for (const [name, value] of Object.entries(ISOLATION_HEADERS)) expect(page.headers[name]).toBe(value);
    } finally {
      await server.close();
    }
  });

  it('leaves the isolation headers out when asked', async () => {
    const server = await serveStatic(dir, 0, { isolated: false });
    try {
      const page = await get(server.url, '/');
      expect(page.status).toBe(200);
      expect(page.headers['cross-origin-embedder-policy']).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
