// Type-checks every TypeScript block of the docs a user pastes from (README.md, docs/*.md, each package's and app's
// README.md) as a user's strict app would: `tsc --strict` with Node's ESM resolution, against the built packages
// (`pnpm test` depends on `build`, so their dist/ types are current). A block is a module of its own. Many blocks are
// fragments that use names from the prose around them (`vae`, `x`, `inputs`); a name that is not declared is not an
// error here (TS2304 and its kin), so such a block is checked for everything else: wrong argument types, missing
// options, return types that do not fit. Every other diagnostic fails the test, naming the file and line of the doc.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** Inside examples/, so that the blocks' imports resolve through its node_modules, as in a user's app. */
const work = fileURLToPath(new URL('../.doc-snippets/', import.meta.url));

/** "Cannot find name" and its kin: a fragment's names from the surrounding prose. */
const UNDECLARED = new Set([2304, 2552, 2503, 18004, 2582]);
/** Modules a block may import that this workspace does not install (tfjs-node-gpu needs CUDA). */
const NOT_INSTALLED = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/** A user's strict app: what `tsc --strict --module nodenext --target es2022 --skipLibCheck` checks. */
const OPTIONS: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  types: ['node'],
  skipLibCheck: true,
  noEmit: true,
  esModuleInterop: true,
};

interface Block {
  /** The doc, relative to the repository root. */
  doc: string;
  /** The 1-based line of the block's first code line in the doc. */
  line: number;
  code: string;
}

function docs(): string[] {
  const inDir = (dir: string) =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `${dir}/${d.name}/README.md`);
  const files = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
    ...inDir('packages'),
    ...inDir('apps'),
  ];
  return files.filter((f) => {
    try {
      readFileSync(join(root, f));
      return true;
    } catch {
      return false;
    }
  });
}

function blocks(): Block[] {
  const out: Block[] = [];
  for (const doc of docs()) {
    const text = readFileSync(join(root, doc), 'utf8');
    for (const m of text.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```/gm)) {
      const line = text.slice(0, m.index).split('\n').length + 1;
      out.push({ doc, line, code: m[1]! });
    }
  }
  return out;
}

function check(all: Block[]): string[] {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const files = new Map<string, Block>();
  all.forEach((b, i) => {
    const file = join(work, `${b.doc.replace(/[/.]/g, '_')}_${i}.ts`);
    // `export {}` makes the block a module (top-level await, its own scope) even when it imports nothing
    writeFileSync(file, `${b.code}\nexport {};\n`);
    files.set(file, b);
  });
  const program = ts.createProgram([...files.keys()], OPTIONS);
  const problems: string[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    if (UNDECLARED.has(d.code)) continue;
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.code === 2307 && NOT_INSTALLED.some((m) => message.includes(`'${m}'`))) continue;
    const block = d.file && files.get(d.file.fileName);
    if (!block || d.start === undefined) {
      problems.push(`(no file) TS${d.code}: ${message}`);
      continue;
    }
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start);
    problems.push(`${block.doc}:${block.line + line}: TS${d.code}: ${message}`);
  }
  return problems;
}

describe("the docs' TypeScript blocks", () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('type-check as a strict app would (undeclared names of fragments aside)', () => {
    const all = blocks();
    // the README, the guides and every package document code: far more than a handful of blocks
    expect(all.length).toBeGreaterThan(30);
    expect(check(all)).toEqual([]);
  }, 120_000);

  it('finds a type error in a block (the check can fail)', () => {
    const bad: Block = {
      doc: 'test',
      line: 1,
      code: "import { VAE } from '@varia/vae';\nconst vae = new VAE({ inputDim: 'four', latentDim: 2 });\n",
    };
    const problems = check([bad]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^test:2: TS2322: Type 'string' is not assignable to type 'number'/);
  }, 120_000);
});
