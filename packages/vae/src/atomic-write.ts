// Crash-safe writes (Node only). A save is a sequence of file operations; the last one — the rename of the JSON
// document over its target — is the single commit point. Everything the document refers to is written under a new
// name and made durable before it, and the files of the previous save are removed only after it. A kill at any instant
// therefore leaves either the previous document (and the files it names) or the new one (and the files it names).
import { nodeFs } from './node-fs.js';

/** One file of a save: its name in the target directory and its bytes. */
export interface FileToWrite {
  /** File name (no directory part). */
  name: string;
  /** Contents. */
  bytes: Uint8Array | string;
}

/**
 * Test hook: called after each file-system operation of a write with a label such as `fsync weights-….bin`.
 * The fault-injection tests kill the process from here to simulate a crash between any two operations.
 */
export type WriteStepHook = (label: string) => void;

let stepHook: WriteStepHook | undefined;

/**
 * Installs (or, with `undefined`, removes) the {@link WriteStepHook}. Not part of the package's API: the
 * fault-injection child (test/save-child.mjs) imports it from dist/.
 * @public
 */
export function setWriteStepHook(hook: WriteStepHook | undefined): void {
  stepHook = hook;
}

function step(label: string): void {
  stepHook?.(label);
}

/** Temporary files of this module: `.<name>.tmp-<pid>-<random>`, so an orphan names the process that wrote it. */
const TEMP_FILE = /^\..+\.tmp-(\d+)-[0-9a-z]+$/;
const inFlight = new Set<string>();

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** fsync of a directory, so that the renames and creations in it survive a power cut (a no-op where unsupported). */
export async function syncDirectory(dir: string): Promise<void> {
  const { fs } = await nodeFs();
  let handle: Awaited<ReturnType<typeof fs.open>> | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (e) {
    // Windows cannot open or fsync a directory; elsewhere this is a real failure.
    if (process.platform !== 'win32') throw e;
  } finally {
    await handle?.close();
  }
  step(`fsync-dir ${dir}`);
}

/**
 * Writes one file durably: a temporary file in the same directory (created exclusively), written, fsync'd, closed,
 * renamed over `name`, then the directory fsync'd. Readers see the old file or the new one, never a mix.
 */
export async function writeFileDurable(dir: string, file: FileToWrite): Promise<void> {
  const { fs, path } = await nodeFs();
  const tmp = path.join(dir, `.${file.name}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  inFlight.add(tmp);
  let handle: Awaited<ReturnType<typeof fs.open>> | undefined;
  try {
    handle = await fs.open(tmp, 'wx');
    step(`open ${file.name}`);
    await handle.writeFile(file.bytes);
    step(`write ${file.name}`);
    await handle.sync();
    step(`fsync ${file.name}`);
    await handle.close();
    handle = undefined;
    step(`close ${file.name}`);
    await fs.rename(tmp, path.join(dir, file.name));
    step(`rename ${file.name}`);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  } finally {
    inFlight.delete(tmp);
  }
  await syncDirectory(dir);
}

/** What {@link commitFiles} may delete after the commit: files of earlier saves that the new document does not name. */
export interface Cleanup {
  /** Whether `name` is a file of this format (e.g. `weights-<hash>.bin`) that may be removed when unreferenced. */
  removable(name: string): boolean;
}

/**
 * Saves a document and the files it refers to into `dir` (created if needed): first `files`, each durably under its
 * own (new) name, then `document` renamed over its target — the commit — then the cleanup of files no longer
 * referenced and of temporary files left by crashed writers. Concurrent saves into one directory are not supported.
 */
export async function commitFiles(
  dir: string,
  files: FileToWrite[],
  document: FileToWrite,
  cleanup: Cleanup,
): Promise<void> {
  const { path } = await nodeFs();
  const created = await makeDirectories(dir);
  if (created !== undefined) await syncDirectory(path.dirname(created));
  for (const file of files) await writeFileDurable(dir, file);
  await writeFileDurable(dir, document);
  await removeOrphans(dir, new Set([document.name, ...files.map((f) => f.name)]), cleanup);
}

/**
 * `mkdir -p` one level at a time (Node's recursive mkdir loops forever on some file systems, e.g. under /proc).
 * Returns the first directory created, or undefined when `dir` existed.
 */
async function makeDirectories(dir: string): Promise<string | undefined> {
  const { fs, path } = await nodeFs();
  const missing: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      await fs.stat(current);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(current) === current) throw e;
      missing.unshift(current);
    }
  }
  for (const d of missing) {
    try {
      await fs.mkdir(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    step(`mkdir ${d}`);
  }
  return missing[0];
}

/**
 * Removes, best effort, the files in `dir` that `cleanup` declares removable and `keep` does not hold, and temporary
 * files whose writer process no longer runs.
 */
export async function removeOrphans(dir: string, keep: Set<string>, cleanup: Cleanup): Promise<void> {
  const { fs, path } = await nodeFs();
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    const temp = TEMP_FILE.exec(name);
    const writer = Number(temp?.[1]);
    const orphanTemp = temp !== null && !inFlight.has(full) && (writer === process.pid || !processIsAlive(writer));
    if (orphanTemp || (!keep.has(name) && cleanup.removable(name))) {
      await fs.rm(full, { force: true }).catch(() => undefined);
      step(`unlink ${name}`);
    }
  }
}
