#!/usr/bin/env node
// The `varia-playground` command. A committed file rather than dist/cli.js itself, so that `pnpm install` on a fresh
// clone can link the command (dist/ is built later) instead of warning "Failed to create bin".
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('varia-playground: not built yet; run `pnpm --filter @varia/playground build` first\n');
  process.exit(1);
}
await import(cli.href);
