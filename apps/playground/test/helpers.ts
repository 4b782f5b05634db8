import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The package root (apps/playground). */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where tests leave screenshots and other artifacts (gitignored). */
export const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

/** The result of a finished subprocess. */
export interface Completed {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/cli.js ...args` in the package root and collects its output; relative paths resolve against
 * `options.cwd` (the user's directory, as `pnpm playground` passes it in INIT_CWD; default the package root).
 */
export function runCli(args: string[], options: { timeoutMs?: number; cwd?: string } = {}): Promise<Completed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/cli.js', ...args], {
      cwd: PACKAGE_ROOT,
      env: { ...process.env, NO_COLOR: '1', INIT_CWD: options.cwd ?? PACKAGE_ROOT },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cli ${args.join(' ')} timed out; stderr:\n${stderr}`));
    }, options.timeoutMs ?? 100_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
