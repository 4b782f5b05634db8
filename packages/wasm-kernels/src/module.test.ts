import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KERNELS_WASM, KERNELS_WASM_SHARED } from './kernels-wasm.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const has = (tool: string) => spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;
const toolchain = has('clang') && has('wasm-ld');

const compiled = (base64: string) => new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));

describe('the embedded modules', () => {
  it.each([
    ['single-threaded builds’', KERNELS_WASM],
    ['threaded build’s (shared)', KERNELS_WASM_SHARED],
  ])('for the %s memory: import it and nothing else, export its functions', (_, base64) => {
    const module = compiled(base64);
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(
      WebAssembly.Module.exports(module)
        .map((e) => `${e.name}:${e.kind}`)
        .sort(),
    ).toEqual([
      'adam:function',
      'add:function',
      'colsum:function',
      'delta:function',
      'gemm:function',
      'skippable:function',
      'transpose:function',
      'unions:function',
    ]);
    expect(WebAssembly.Module.customSections(module, 'name')).toEqual([]); // stripped
  });

  it('each takes only its kind of memory (so enableWasmKernels must pick by the backend’s)', () => {
    const plain = new WebAssembly.Memory({ initial: 2 });
    const shared = new WebAssembly.Memory({ initial: 2, maximum: 16, shared: true });
    expect(() => new WebAssembly.Instance(compiled(KERNELS_WASM), { env: { memory: plain } })).not.toThrow();
    expect(() => new WebAssembly.Instance(compiled(KERNELS_WASM_SHARED), { env: { memory: shared } })).not.toThrow();
    expect(() => new WebAssembly.Instance(compiled(KERNELS_WASM), { env: { memory: shared } })).toThrow(
      WebAssembly.LinkError,
    );
    expect(() => new WebAssembly.Instance(compiled(KERNELS_WASM_SHARED), { env: { memory: plain } })).toThrow(
      WebAssembly.LinkError,
    );
  });

  it.skipIf(!toolchain)('is the build of wasm/*.c (scripts/build-wasm.mjs --check; needs clang and lld)', (ctx) => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-wasm.mjs'), '--check'], { encoding: 'utf8' });
    if (r.status === 3) ctx.skip(r.stdout.trim()); // another clang version than the one that built it
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
