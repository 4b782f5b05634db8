#!/usr/bin/env node
/**
 * The varia playground CLI. `train` (the default command) trains a VAE on a built-in dataset; see `--help`.
 * Exit codes: 0 success, 1 failure, 2 bad command line or data that does not fit the likelihood.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseServeArgs, parseTrainArgs, SERVE_USAGE, USAGE, UsageError } from './args.js';

/** `serve`: serves the built page until interrupted. */
async function serve(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseServeArgs>;
  try {
    args = parseServeArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n\n${SERVE_USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args === 'help') {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  const { serveStatic, WEB_ROOT } = await import('./serve.js');
  const root = args.dir === undefined ? WEB_ROOT : resolve(process.env.INIT_CWD ?? process.cwd(), args.dir);
  if (!existsSync(join(root, 'index.html'))) {
    process.stderr.write(
      `error: ${root} has no index.html; build the page first: pnpm --filter @varia/playground build\n`,
    );
    return 1;
  }
  const server = await serveStatic(root, args.port, { isolated: args.isolated });
  process.stdout.write(
    `varia playground: ${server.url}\n(serving ${root}${args.isolated ? ', cross-origin isolated for wasm threads' : ''}; Ctrl-C to stop)\n`,
  );
  await new Promise<void>((done) => {
    const stop = (): void => {
      void server.close().then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === 'serve') return serve(rest);
  if (command !== 'train') {
    process.stderr.write(`error: unknown command "${command}"\n\n${USAGE}\n`);
    return 2;
  }
  let args: ReturnType<typeof parseTrainArgs>;
  try {
    args = parseTrainArgs(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // loaded after the flags are checked: tfjs takes a second or two to load
  const { isUsageProblem, runTrain } = await import('./train.js');
  const { stopWasmThreads } = await import('./backend.js');
  try {
    await runTrain(args, {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (text) => process.stderr.write(text),
      progress: !args.json && process.stderr.isTTY === true,
    });
    return 0;
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return isUsageProblem(e) ? 2 : 1;
  } finally {
    // --backend wasm-threaded: its running pthread workers would keep the process alive
    await stopWasmThreads();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
