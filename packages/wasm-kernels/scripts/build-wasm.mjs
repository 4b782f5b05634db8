#!/usr/bin/env node
/**
 * Compiles wasm/matmul.c, adam.c and dense.c into the WebAssembly module the package embeds (src/kernels-wasm.ts, base64), with clang's
 * wasm32 target and SIMD128: `node scripts/build-wasm.mjs` (needs clang and wasm-ld, e.g. `apt-get install -y clang
 * lld`). The package build does not run it: the generated file is committed, so installing or building the package
 * needs no C toolchain. `--check` compiles to memory and exits 1 when the committed module differs (2 when clang is
 * missing, 3 when it is another version than the one recorded in the file: it may emit other bytes). The module must import the backend's memory and nothing else, and its code must not use a stack (wasm-ld's
 * stack pointer, a global, would point into the start of the backend's memory) nor grow the memory, and it has no data:
 * checked on every build (the disassembly, llvm-objdump).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The module's C sources: the products, Adam's step, and the elementwise parts of a dense layer's backward pass. */
const SOURCES = ['matmul.c', 'adam.c', 'dense.c'];
const sources = SOURCES.map((f) => join(root, 'wasm', f));
const EXPORTS =
  'adam:function,add:function,colsum:function,delta:function,gemm:function,skippable:function,transpose:function,unions:function';
const target = join(root, 'src', 'kernels-wasm.ts');
const check = process.argv.includes('--check');

/** The ids of the module's sections, in order (the binary format's section headers). */
function sectionIds(bytes) {
  const ids = [];
  let at = 8; // magic and version
  const leb = () => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++];
      value |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value >>> 0;
      shift += 7;
    }
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    ids.push(id);
    at += size;
  }
  return ids;
}

/** The module for a memory that is shared (`shared`: the threaded build's) or not. */
const VARIANTS = [
  { name: 'KERNELS_WASM', shared: false, doc: "for the backend's memory (tfjs-backend-wasm's single-threaded builds)" },
  {
    name: 'KERNELS_WASM_SHARED',
    shared: true,
    doc: 'for a shared memory (its threaded build): the same code, the memory import declared shared (at most 4 GiB)',
  },
];

/** Compiles one variant; its bytes, after the checks below. */
function build(shared) {
  const dir = mkdtempSync(join(tmpdir(), 'varia-wasm-'));
  try {
    const out = join(dir, 'matmul.wasm');
    const memory = shared ? ['-matomics', '-mbulk-memory', '-Wl,--shared-memory', '-Wl,--max-memory=4294967296'] : [];
    try {
      execFileSync('clang', [
        '--target=wasm32',
        '-msimd128',
        ...memory,
        '-O3',
        '-nostdlib',
        '-fno-builtin',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-Wl,--no-entry',
        '-Wl,--import-memory',
        '-Wl,--strip-all',
        '-o',
        out,
        ...sources,
      ]);
    } catch (e) {
      console.error(`build-wasm: clang failed (${e.message.split('\n')[0]}); install clang and lld`);
      process.exit(2);
    }
    const bytes = readFileSync(out);
    const objdump = execFileSync('clang', ['-print-prog-name=llvm-objdump'], { encoding: 'utf8' }).trim();
    const disassembly = execFileSync(objdump, ['-d', out], { encoding: 'utf8' });
    const module = new WebAssembly.Module(bytes);
    const imports = WebAssembly.Module.imports(module);
    const exports = WebAssembly.Module.exports(module)
      .map((e) => `${e.name}:${e.kind}`)
      .sort();
    const problems = [];
    if (
      imports.length !== 1 ||
      imports[0].module !== 'env' ||
      imports[0].name !== 'memory' ||
      imports[0].kind !== 'memory'
    )
      problems.push(`imports ${JSON.stringify(imports)}, not env.memory alone`);
    if (exports.join(',') !== EXPORTS) problems.push(`exports ${exports.join(',')}`);
    if (/global\.(get|set)|memory\.grow|atomic/.test(disassembly))
      problems.push('code that uses a stack (global.get/set), grows the memory or uses atomics');
    if (!/v128\.load/.test(disassembly))
      problems.push('no SIMD128 loads in the code (the disassembly is not what was expected)');
    if (sectionIds(bytes).includes(11)) problems.push('a data section');
    if (problems.length > 0) {
      console.error(
        `build-wasm: the ${shared ? 'shared-memory ' : ''}module is not one the package can use: ${problems.join('; ')}`,
      );
      process.exit(1);
    }
    return bytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const built = VARIANTS.map((v) => ({ ...v, bytes: build(v.shared) }));
/** The compiler's version (another clang may emit other bytes: --check compares builds of the same version only). */
const clang = execFileSync('clang', ['--version'], { encoding: 'utf8' }).match(/clang version (\S+)/)?.[1] ?? 'unknown';
const text = [
  `// Generated by scripts/build-wasm.mjs from ${SOURCES.map((f) => `wasm/${f}`).join(', ')} with clang ${clang} (${built.map((b) => `${b.bytes.length}`).join(' and ')} bytes); do not edit.`,
  ...built.flatMap((b) => [
    `/** The package's WebAssembly module (${SOURCES.map((f) => `wasm/${f}`).join(', ')}), base64, ${b.doc}. */`,
    `export const ${b.name} =`,
    `  '${Buffer.from(b.bytes).toString('base64')}';`,
  ]),
  '',
].join('\n');
if (check) {
  const committed = readFileSync(target, 'utf8');
  const recorded = committed.match(/with clang (\S+) /)?.[1];
  if (recorded !== clang) {
    console.log(
      `build-wasm --check: src/kernels-wasm.ts was built with clang ${recorded}, this is clang ${clang}: not compared`,
    );
    process.exit(3);
  }
  if (committed !== text) {
    console.error(
      'build-wasm --check: src/kernels-wasm.ts is not the build of wasm/*.c (run node scripts/build-wasm.mjs)',
    );
    process.exit(1);
  }
  console.log('build-wasm --check: src/kernels-wasm.ts is the build of wasm/*.c');
} else {
  writeFileSync(target, text);
  console.log(
    `build-wasm: wrote src/kernels-wasm.ts (${built.map((b) => `${b.name} ${b.bytes.length} bytes`).join(', ')})`,
  );
}
