import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KERNELS_WASM } from './kernels-wasm.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const has = (tool: string) => spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;
const toolchain = has('clang') && has('wasm-ld');

describe('the embedded module', () => {
  it('imports the backend’s memory and nothing else, exports gemm and transpose, and has no data', () => {
    const bytes = Uint8Array.from(atob(KERNELS_WASM), (c) => c.charCodeAt(0));
    const module = new WebAssembly.Module(bytes);
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(WebAssembly.Module.exports(module).map((e) => `${e.name}:${e.kind}`)).toEqual([
      'gemm:function',
      'transpose:function',
    ]);
    expect(WebAssembly.Module.customSections(module, 'name')).toEqual([]); // stripped
  });

  it.skipIf(!toolchain)('is the build of wasm/matmul.c (scripts/build-wasm.mjs --check; needs clang and lld)', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-wasm.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
