#!/usr/bin/env node
/**
 * `node dist/sparse-1m.js [--rows N] [--slice N] [--storage generated|csr] [--backend B] [--parallel N] [--out FILE]
 * [--progress N] [--pairs N]`:
 * the sparse-1m workload on its own (its own process, so the peak RSS is this workload's), printing its result as
 * JSON. `--parallel N` (default 1): threads sharing products on wasm-native. `--pairs N` (default 3; 0: none): interleaved pairs of one epoch of the source path and one of the in-memory
 * slice, over the slice's rows, after the full run (their median ratio beside the full run's). `pnpm bench --only sparse-1m` runs it in a child process at a size that suits the run (`--sparse-rows`).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { type BackendRequest, selectBackend } from '@varia/playground/backend';
import { hostCpu } from './cpu-identity.js';
import { parallelFlag } from './script-flags.js';
import { runSparseWorkload, type SparseWorkloadOptions } from './sparse-workload.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o: SparseWorkloadOptions = { rows: 1_000_000, sliceRows: 50_000, storage: 'generated', progressEvery: 0 };
  let backend: BackendRequest = 'auto';
  let parallel = 1;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const count = (): number => {
      const v = Number(value());
      if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${flag} must be a positive integer`);
      return v;
    };
    if (flag === '--rows') o.rows = count();
    else if (flag === '--slice') o.sliceRows = count();
    else if (flag === '--progress') o.progressEvery = count();
    else if (flag === '--pairs') {
      const v = Number(value());
      if (!Number.isSafeInteger(v) || v < 0) throw new Error('--pairs must be a non-negative integer');
      o.pairs = v;
    } else if (flag === '--storage') {
      const s = value();
      if (s !== 'generated' && s !== 'csr') throw new Error('--storage must be generated or csr');
      o.storage = s;
    } else if (flag === '--backend') backend = value() as BackendRequest;
    else if (flag === '--parallel') parallel = parallelFlag(value());
    else if (flag === '--out') out = value();
    else throw new Error(`unknown flag ${flag}`);
  }
  // one thread unless --parallel says otherwise (the library's own default is both cores), as the bench's other rows
  const selection = await selectBackend(backend, { nativeParallel: parallel });
  const started = new Date().toISOString();
  const load = os.loadavg();
  const result = await runSparseWorkload(o);
  const doc = {
    date: started,
    machine: {
      ...hostCpu(),
      load_average_start: load,
      load_average_end: os.loadavg(),
    },
    backend_candidate: selection.candidate,
    ...result,
  };
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  if (out) writeFileSync(out, text);
  process.stdout.write(text);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`sparse-1m failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
