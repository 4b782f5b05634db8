#!/usr/bin/env node
// Release dry run, safe for CI: nothing is published and the working tree is not touched.
//
// 1. `changeset status` in the repository (are the pending changesets valid?);
// 2. copies the working tree (tracked and untracked, not ignored files) to a throwaway directory and runs
//    `changeset version` there: every library package must get the same new version (the `fixed` group) and a
//    CHANGELOG.md, and internal dependency ranges must follow;
// 3. `pnpm publish -r --dry-run --no-git-checks` in that copy: packs what would be published, with the new versions.
//
// Usage: pnpm release:dry [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const changeset = join(root, 'node_modules', '.bin', 'changeset');
const config = JSON.parse(readFileSync(join(root, '.changeset', 'config.json'), 'utf8'));
const fixed = config.fixed.flat();

function run(cmd, args, cwd, { quiet = false } = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: quiet ? 'pipe' : 'inherit',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  if (r.status !== 0) {
    if (quiet) process.stderr.write(`${r.stdout}${r.stderr}`);
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
  }
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

const pkgDir = (name) => join('packages', name.replace('@varia/', ''));
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

const work = mkdtempSync(join(tmpdir(), 'varia-release-'));
let ok = false;
try {
  console.log('▶ changeset status');
  run(changeset, ['status', '--verbose'], root);

  console.log(`\n▶ copy the working tree to ${work}`);
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f && existsSync(join(root, f)));
  for (const f of files) {
    mkdirSync(dirname(join(work, f)), { recursive: true });
    cpSync(join(root, f), join(work, f));
  }
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
  // pnpm publish resolves workspace: ranges through each package's node_modules and packs its (ignored) dist/:
  // borrow both from the real checkout, read-only. Build first (`pnpm build`) for a meaningful tarball listing.
  for (const name of fixed) {
    const modules = join(root, pkgDir(name), 'node_modules');
    if (existsSync(modules)) symlinkSync(modules, join(work, pkgDir(name), 'node_modules'));
    const dist = join(root, pkgDir(name), 'dist');
    if (existsSync(dist)) cpSync(dist, join(work, pkgDir(name), 'dist'), { recursive: true, dereference: true });
  }
  // changesets reads the base branch from git: give the copy its own repository (the real one is not touched).
  const git = (...args) =>
    run('git', ['-c', 'user.name=release-dry', '-c', 'user.email=release-dry@localhost', ...args], work, {
      quiet: true,
    });
  git('init', '-q', '-b', config.baseBranch);
  git('add', '-A');
  git('commit', '-q', '-m', 'snapshot for release:dry');

  const before = Object.fromEntries(fixed.map((n) => [n, readJson(join(work, pkgDir(n), 'package.json')).version]));
  console.log('\n▶ changeset version (in the copy)');
  run(changeset, ['version'], work);

  const after = Object.fromEntries(fixed.map((n) => [n, readJson(join(work, pkgDir(n), 'package.json'))]));
  const versions = new Set(Object.values(after).map((m) => m.version));
  const problems = [];
  if (versions.size !== 1)
    problems.push(
      `the fixed group got different versions: ${JSON.stringify(Object.fromEntries(Object.entries(after).map(([n, m]) => [n, m.version])))}`,
    );
  for (const [name, manifest] of Object.entries(after)) {
    const log = join(work, pkgDir(name), 'CHANGELOG.md');
    if (!existsSync(log)) problems.push(`${name}: no CHANGELOG.md`);
    else if (!readFileSync(log, 'utf8').includes(`## ${manifest.version}`))
      problems.push(`${name}: CHANGELOG.md has no "## ${manifest.version}" section`);
    console.log(`  ${name}: ${before[name]} → ${manifest.version}${existsSync(log) ? ', CHANGELOG.md written' : ''}`);
  }
  const leftover = readdirSync(join(work, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  if (leftover.length) problems.push(`changesets not consumed: ${leftover.join(', ')}`);
  if (problems.length) throw new Error(problems.join('\n'));

  console.log('\n▶ pnpm publish -r --dry-run --no-git-checks (in the copy; nothing is uploaded)');
  const out = run('pnpm', ['publish', '-r', '--dry-run', '--no-git-checks', '--access', 'public'], work, {
    quiet: true,
  });
  const published = [...out.matchAll(/^\+ (@varia\/[\w-]+@[\w.-]+)/gm)].map((m) => m[1]);
  console.log(
    out
      .split('\n')
      .filter((l) => /^\+ @varia|Tarball Details|package size|total files/i.test(l))
      .map((l) => `  ${l}`)
      .join('\n'),
  );
  const missing = fixed.filter((n) => !published.some((p) => p.startsWith(`${n}@`)));
  if (missing.length) throw new Error(`publish --dry-run did not include ${missing.join(', ')}`);
  ok = true;
  console.log(`\n✔ release dry run: ${published.join(', ')} would be published; the repository is unchanged`);
} catch (e) {
  console.error(`\n✘ release dry run failed: ${e instanceof Error ? e.message : e}`);
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
