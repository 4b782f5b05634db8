#!/usr/bin/env node
// `pnpm pack:all`: every library package as a tarball in one folder, for installing varia before it is on the
// registry (the install lines are in README.md, "Install", and docs/getting-started.md; `pnpm smoke` runs them).
//
// 1. builds the library packages (turbo) unless --skip-build;
// 2. empties the folder of old tarballs and runs `pnpm pack` in each library package (packages/*, not private):
//    `workspace:^` dependencies become concrete ranges (`^0.1.0`), as on the registry;
// 3. writes `pnpm-workspace.yaml` beside the tarballs: pnpm `overrides` that point every `@varia/*` range at its
//    tarball (pnpm resolves a tarball's dependencies on the registry otherwise; npm finds them among the tarballs
//    given on the same command line).
//
// Usage: pnpm pack:all [--out=<dir>] [--skip-build]      (default folder: varia-tarballs/ at the repository root)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The library packages: `{ dir, name, manifest }` for each non-private package under packages/, sorted by name. */
export function libraryPackages() {
  return readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const dir = join(root, 'packages', d.name);
      return { dir, name: d.name, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) };
    })
    .filter((p) => !p.manifest.private)
    .sort((a, b) => a.name.localeCompare(b.name));
}

function run(cmd, argv, cwd) {
  const r = spawnSync(cmd, argv, { cwd, encoding: 'utf8', stdio: 'pipe' });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    throw new Error(`${cmd} ${argv.join(' ')} failed (exit ${r.status}) in ${cwd}`);
  }
  return r.stdout;
}

/**
 * Packs every library package into `out` (created; old `.tgz` files removed) and writes the pnpm overrides file.
 * @returns `{ tarballs: { [packageName]: absolutePath }, overrides: absolutePath }`
 */
export function packAll({ out = join(root, 'varia-tarballs'), build = true } = {}) {
  if (build) run('pnpm', ['turbo', 'run', 'build', '--filter=./packages/*', '--output-logs=errors-only'], root);
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (f.endsWith('.tgz')) rmSync(join(out, f));
  const tarballs = {};
  for (const { dir, manifest } of libraryPackages()) {
    const before = new Set(readdirSync(out));
    run('pnpm', ['pack', '--pack-destination', out], dir);
    const made = readdirSync(out).find((f) => !before.has(f) && f.endsWith('.tgz'));
    if (!made) throw new Error(`pnpm pack made no tarball for ${manifest.name}`);
    tarballs[manifest.name] = join(out, made);
  }
  // Paths relative to the app's root, where the folder is copied under the same name (see the install lines).
  const folder = basename(out);
  const lines = Object.entries(tarballs).map(([name, file]) => `  '${name}': file:./${folder}/${basename(file)}`);
  const overrides = join(out, 'pnpm-workspace.yaml');
  writeFileSync(
    overrides,
    `# pnpm: copy this file into your app's root (or merge its overrides into yours), then \`pnpm add @varia/vae …\`.\n` +
      `# Until varia is on the registry, every @varia/* dependency resolves to the tarball beside this file.\n` +
      `overrides:\n${lines.join('\n')}\n`,
  );
  return { tarballs, overrides };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outArg = args.find((a) => a.startsWith('--out='))?.slice(6);
  const out = outArg ? resolve(process.env.INIT_CWD ?? process.cwd(), outArg) : undefined;
  const { tarballs, overrides } = packAll({ out, build: !args.includes('--skip-build') });
  const dir = dirname(overrides);
  console.log(`${Object.keys(tarballs).length} tarballs in ${dir}:`);
  for (const file of Object.values(tarballs)) console.log(`  ${basename(file)}`);
  console.log(`  ${basename(overrides)} (pnpm overrides)`);
  console.log(`\nIn your app (an ES module: "type": "module"), with the folder copied into it as ${basename(dir)}/:`);
  console.log(`  npm install ./${basename(dir)}/*.tgz @tensorflow/tfjs`);
  console.log(`  cp ${basename(dir)}/pnpm-workspace.yaml . && pnpm add @varia/vae @varia/datasets @tensorflow/tfjs`);
}
