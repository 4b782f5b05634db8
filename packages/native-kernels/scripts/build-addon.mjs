#!/usr/bin/env node
/**
 * Builds the native addon (native/build/Release/varia_native.node) with node-gyp against this Node's headers.
 *
 * The addon is an optional accelerator: when it cannot be built (no C compiler, no Node headers) this script says why
 * and exits 0, so `pnpm install` / `pnpm build` never fail because of it; `enableNativeKernels()` then reports the
 * addon as missing and callers fall back to the plain wasm kernels. `--strict` makes a failed build an error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const strict = process.argv.includes('--strict') || process.env.VARIA_NATIVE_STRICT === '1';
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const nativeDir = join(root, 'native');
const require = createRequire(import.meta.url);

function fail(message) {
  console.error(`@varia/native-kernels: native addon not built: ${message}`);
  console.error('@varia/native-kernels: the wasm backend will run with its own kernels (see the package README).');
  process.exit(strict ? 1 : 0);
}

if (process.env.VARIA_NATIVE_SKIP_BUILD === '1') fail('VARIA_NATIVE_SKIP_BUILD=1');
if (process.platform === 'win32') fail('Windows is not supported (the addon loads its BLAS with dlopen)');

let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  fail('node-gyp is not installed');
}

// Node's own headers: npm's `nodedir` setting when present, else the headers installed beside this node binary
// (/usr/include/node for a distribution's Node). node-gyp would otherwise try to download them.
const candidates = [process.env.npm_config_nodedir, dirname(dirname(process.execPath))].filter(Boolean);
const nodedir = candidates.find((d) => existsSync(join(d, 'include', 'node', 'node_api.h')));
const args = [gyp, 'rebuild', '--directory', nativeDir, '--loglevel', 'warn'];
if (nodedir) args.push(`--nodedir=${nodedir}`);
const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
if (result.status !== 0) fail(`node-gyp exited with ${result.status ?? result.signal}`);
if (!existsSync(join(nativeDir, 'build', 'Release', 'varia_native.node')))
  fail('node-gyp produced no varia_native.node');
console.error('@varia/native-kernels: built native/build/Release/varia_native.node');
