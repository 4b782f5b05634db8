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
  /**
   * The files a document of this format names (e.g. a `model.json`'s weight files); throws for one it cannot read.
   * When given, only files that a save wrote or replaced are ever removed — those named by the previous document,
   * or by the journal of a save killed before its cleanup — never another file that merely looks like one (a user's
   * stray `weights-<hash>.bin`). Without it, every unreferenced `removable` file is removed.
   */
  referencedBy?(document: string): string[];
}

/** The journal of a save in progress: a temporary file (so it names its writer) listing the files the save touches. */
const journalPrefix = (document: string): string => `.${document}-journal.tmp-`;

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
  const keep = new Set([document.name, ...files.map((f) => f.name)]);
  // With `referencedBy`, before any file gets its final name: a durable journal of the files this save adds and of
  // those named by the document it replaces, so that a save killed at any later instant tells the next one what it
  // may remove (the cleanup removes the journal last).
  const previous = cleanup.referencedBy ? await readReferences(path.join(dir, document.name), cleanup) : [];
  const journal = cleanup.referencedBy
    ? await writeTemporaryDurable(dir, journalPrefix(document.name), JSON.stringify([...keep, ...previous]))
    : undefined;
  try {
    for (const file of files) await writeFileDurable(dir, file);
    await writeFileDurable(dir, document);
  } catch (e) {
    if (journal) await abandonSave(dir, document.name, files, journal, cleanup);
    throw e;
  }
  if (cleanup.referencedBy) await removeJournaled(dir, keep, new Set(previous), journalPrefix(document.name), cleanup);
  else await removeOrphans(dir, keep, cleanup);
}

/**
 * After a save failed before its commit (the document on disk names none of its files): removes, best effort, the
 * files it renamed into place, then its journal. After a commit the journal stays, for the next save's cleanup.
 */
async function abandonSave(
  dir: string,
  documentName: string,
  files: FileToWrite[],
  journal: string,
  cleanup: Cleanup,
): Promise<void> {
  const { path } = await nodeFs();
  const current = new Set(await readReferences(path.join(dir, documentName), cleanup));
  if (files.some((f) => current.has(f.name))) return;
  for (const { name } of files) if (cleanup.removable(name)) await removeFile(path.join(dir, name), name);
  await removeFile(journal, path.basename(journal));
}

/** The files named by the document (or, with `isJournal`, the journal) at `file`; none when it is absent or unreadable. */
async function readReferences(file: string, cleanup: Cleanup, isJournal = false): Promise<string[]> {
  const { fs } = await nodeFs();
  try {
    const text = await fs.readFile(file, 'utf8');
    const names: unknown = isJournal ? JSON.parse(text) : cleanup.referencedBy!(text);
    return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}

/** Writes `text` durably to a new temporary file `<prefix><pid>-<random>` (never renamed: a temporary file's name says
 * which process wrote it); returns its path. */
async function writeTemporaryDurable(dir: string, prefix: string, text: string): Promise<string> {
  const { fs, path } = await nodeFs();
  const file = path.join(dir, `${prefix}${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  inFlight.add(file);
  try {
    const handle = await fs.open(file, 'wx');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    step('write journal');
    await syncDirectory(dir);
    return file;
  } catch (e) {
    await fs.rm(file, { force: true }).catch(() => undefined);
    throw e;
  } finally {
    inFlight.delete(file);
  }
}

async function removeFile(full: string, name: string): Promise<void> {
  const { fs } = await nodeFs();
  await fs.rm(full, { force: true }).catch(() => undefined);
  step(`unlink ${name}`);
}

/**
 * After a commit with `referencedBy`: removes the files that this save replaced (`replaced`) or that the journals of
 * killed saves list, unless the new document names them (`keep`) — only files `cleanup` declares removable — then
 * those journals and the temporary files of dead writers. A file no save of this directory wrote is never touched.
 */
async function removeJournaled(
  dir: string,
  keep: Set<string>,
  replaced: Set<string>,
  prefix: string,
  cleanup: Cleanup,
): Promise<void> {
  const { fs, path } = await nodeFs();
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  const orphans = names.filter((name) => isOrphanTemp(path.join(dir, name), name));
  for (const name of orphans.filter((n) => n.startsWith(prefix)))
    for (const listed of await readReferences(path.join(dir, name), cleanup, true)) replaced.add(listed);
  for (const name of names) {
    if (replaced.has(name) && !keep.has(name) && cleanup.removable(name)) await removeFile(path.join(dir, name), name);
  }
  for (const name of orphans) await removeFile(path.join(dir, name), name);
}

/** Whether `name` is a temporary file of this module whose writer is gone (or is this process, not writing it now). */
function isOrphanTemp(full: string, name: string): boolean {
  const temp = TEMP_FILE.exec(name);
  const writer = Number(temp?.[1]);
  return temp !== null && !inFlight.has(full) && (writer === process.pid || !processIsAlive(writer));
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
    if (isOrphanTemp(full, name) || (!keep.has(name) && cleanup.removable(name))) await removeFile(full, name);
  }
}
