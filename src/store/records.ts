/**
 * Result records: one JSON file per prompt workflow, keyed by its workflow ID, written as the
 * prompt finishes so no result depends on Temporal's retention.
 *
 * File name: the workflow ID encoded reversibly (encodeURIComponent, plus "*" and a leading
 * "." escaped, and every ASCII capital written as "^" + its lower case, so IDs that differ only
 * in case, `q1` and `Q1`, get names that differ on a case-insensitive file system too: macOS,
 * Windows) + ".json". IDs whose encoding would exceed file-name limits get a shortened name with
 * a hash suffix; the ID is always inside the file too, so nothing is lost, and a reader checks
 * it (a file that holds another ID's record is not this ID's record):
 *
 *   { "workflowId": "<id>", "record": <the record> }
 *
 * Folders. Records sit in 256 subfolders named by the first two hex digits of the sha256 of the
 * workflow ID (`records/3f/<name>.json`), so no folder holds a whole sweep's records (a million
 * prompts × several jobs) and listing one is cheap. Earlier releases wrote every record directly
 * into the records folder: those files are still found (readRecord, iterateRecords), and moved to
 * `.superseded/` when the job's record is written again, into its subfolder. Records written
 * before the capital escape (release 0.1) are found under their old name the same way.
 *
 * Writes are atomic (temp file in `.tmp/` of the records folder, fsync, rename, fsync of the
 * subfolder; temp files a killed writer left are removed by the next write) and idempotent: the
 * same content again is a no-op; different content replaces the file (the last completion of
 * a workflow wins, e.g. after a reset).
 *
 * readRecord and iterateRecords are the only readers of the folder: they know both layouts.
 */
import { pathExists } from './pathExists';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { removeOrphanTemps, tempFolderOf, writeViaTemp } from './tempFiles';

export interface RecordFile<T = unknown> {
  workflowId: string;
  record: T;
}

export interface RecordEntry<T = unknown> extends RecordFile<T> {
  /** Absolute path of the file. */
  path: string;
}

const MAX_NAME_BYTES = 200;

/** The encoding of release 0.1 (no capital escape): where older records may still be. */
function legacyRecordName(workflowId: string): string {
  if (typeof workflowId !== 'string' || workflowId.length === 0) {
    throw new Error(`record: workflow ID must be a non-empty string, got ${JSON.stringify(workflowId)}`);
  }
  return encodeURIComponent(workflowId).replace(/\*/g, '%2A').replace(/^\./, '%2E');
}

/**
 * Reversible, filesystem-safe encoding of a workflow ID (without the extension), unique also on a
 * case-insensitive file system: capitals outside %XX escapes become "^" + lower case (the
 * escapes' hex is always upper case and "^" itself is escaped as %5E, so nothing is ambiguous).
 */
export function encodeRecordName(workflowId: string): string {
  return legacyRecordName(workflowId).replace(/%[0-9A-F]{2}|[A-Z]/g, (m) => (m.length === 1 ? `^${m.toLowerCase()}` : m));
}

/** Inverse of encodeRecordName (for names that were not shortened; old names decode too). */
export function decodeRecordName(name: string): string {
  return decodeURIComponent(name.replace(/\^([a-z])/g, (_, c: string) => c.toUpperCase()));
}

/** The file name of a record (the encoding shortened with a hash when it would be too long). */
function fileNameFor(workflowId: string, encoded: string): string {
  let name = encoded;
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    const hash = createHash('sha256').update(workflowId, 'utf8').digest('hex').slice(0, 24);
    // cut at a whole escape so the prefix stays readable
    name = `${name.slice(0, 150).replace(/(%[0-9A-Fa-f]?|\^)$/, '')}~${hash}`;
  }
  return `${name}.json`;
}

/** Subfolders are named by two lowercase hex digits. */
const SUBFOLDER_RE = /^[0-9a-f]{2}$/;

/** The subfolder of a workflow's record: the first two hex digits of the sha256 of its ID. */
export function recordSubfolder(workflowId: string): string {
  return createHash('sha256').update(workflowId, 'utf8').digest('hex').slice(0, 2);
}

/** The file a workflow's record is written to. */
export function recordPath(dir: string, workflowId: string): string {
  return path.join(path.resolve(dir), recordSubfolder(workflowId), fileNameFor(workflowId, encodeRecordName(workflowId)));
}

/** Where releases before the subfolders wrote it: directly in the records folder. */
export function flatRecordPath(dir: string, workflowId: string): string {
  return path.join(path.resolve(dir), fileNameFor(workflowId, encodeRecordName(workflowId)));
}

/** Where release 0.1 wrote it: in the records folder, without the capital escape. */
export function legacyRecordPath(dir: string, workflowId: string): string {
  return path.join(path.resolve(dir), fileNameFor(workflowId, legacyRecordName(workflowId)));
}

/** Every file that may hold a workflow's record, the current one first. */
function candidatePaths(dir: string, workflowId: string): string[] {
  return [...new Set([recordPath(dir, workflowId), flatRecordPath(dir, workflowId), legacyRecordPath(dir, workflowId)])];
}

/** A record file that cannot be read: `damaged` (not a record: bad JSON, wrong shape) or `io` (the read failed). */
export class RecordFileError extends Error {
  override readonly name = 'RecordFileError';
  constructor(
    readonly kind: 'damaged' | 'io',
    message: string,
    readonly path: string,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The folder where replaced and damaged records are kept (never read as records: it starts with a dot). */
export const SUPERSEDED_FOLDER = '.superseded';

/**
 * Keeps a copy of a record file of the records folder `dir` in `dir/.superseded/` before it is
 * replaced, named after the file and its content's hash (a retried write keeps one copy).
 * Returns the copy's path.
 */
export async function keepRecordAside(dir: string, file: string): Promise<string> {
  const body = await fsp.readFile(file);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const folder = path.join(path.resolve(dir), SUPERSEDED_FOLDER);
  await fsp.mkdir(folder, { recursive: true });
  const copy = path.join(folder, `${path.basename(file, '.json')}.${hash}.json`);
  await fsp.copyFile(file, copy);
  return copy;
}

/**
 * Writes `record` for `workflowId` into `dir` atomically. Returns the path and whether the file
 * changed (false: identical content was already there).
 */
export async function writeRecordAtomic<T>(
  dir: string,
  workflowId: string,
  record: T,
): Promise<{ path: string; written: boolean }> {
  const file = recordPath(dir, workflowId);
  const body = `${JSON.stringify({ workflowId, record } satisfies RecordFile<T>)}\n`;
  const root = path.resolve(dir);
  const folder = path.dirname(file);
  const tempFolder = tempFolderOf(root);
  try {
    await fsp.mkdir(tempFolder, { recursive: true });
    await fsp.mkdir(folder, { recursive: true });
  } catch (err) {
    throw new Error(`cannot create records folder ${folder}: ${errMessage(err)}`, { cause: err });
  }
  // The write a SIGKILL interrupted is retried, so orphans never outlive the next write.
  await removeOrphanTemps(tempFolder);
  let same = false;
  try {
    same = (await fsp.readFile(file, 'utf8')) === body;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`cannot read existing record ${file}: ${errMessage(err)}`, { cause: err });
    }
  }
  if (!same) {
    try {
      await writeViaTemp(tempFolder, path.basename(file), body, (tmp) => fsp.rename(tmp, file));
    } catch (err) {
      throw new Error(`cannot write record ${file}: ${errMessage(err)}`, { cause: err });
    }
  }
  // Also after a no-op: a writer killed right after the rename left the old file in place.
  for (const old of candidatePaths(dir, workflowId).slice(1)) await retireOldFile(dir, workflowId, old);
  if (!same) await fsyncDir(folder);
  return { path: file, written: !same };
}

/** A record of this ID under an earlier release's name would be a second record: move it to `.superseded/`. */
async function retireOldFile(dir: string, workflowId: string, legacy: string): Promise<void> {
  let entry: RecordEntry | undefined;
  try {
    entry = await readRecordFile(legacy);
  } catch (err) {
    if (err instanceof RecordFileError && err.code === 'ENOENT') return;
    if (err instanceof RecordFileError && err.kind === 'damaged') entry = undefined;
    else throw err;
  }
  // On a case-insensitive file system the old name may be the new file itself, or another ID's.
  if (entry && entry.workflowId !== workflowId) return;
  await keepRecordAside(dir, legacy);
  await fsp.rm(legacy, { force: true });
}

/** Reads one record file; throws a RecordFileError naming the path when it cannot be read or is not a record. */
export async function readRecordFile<T = unknown>(file: string): Promise<RecordEntry<T>> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw new RecordFileError('io', `cannot read record ${file}: ${errMessage(err)}`, file, (err as NodeJS.ErrnoException).code, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new RecordFileError('damaged', `record ${file} is not valid JSON: ${errMessage(err)}`, file, undefined, { cause: err });
  }
  if (!parsed || typeof parsed !== 'object' || typeof (parsed as RecordFile).workflowId !== 'string' || !('record' in parsed)) {
    throw new RecordFileError('damaged', `record ${file} is not a record file: expected {"workflowId": string, "record": ...}`, file);
  }
  const p = parsed as RecordFile<T>;
  return { workflowId: p.workflowId, record: p.record, path: file };
}

/**
 * Reads the record of one workflow, or undefined when it has none yet. A file whose stored
 * workflow ID is another one (names that collide, e.g. on a case-insensitive file system, for
 * files written before the capital escape) is not this workflow's record. Throws
 * RecordFileError for a file that cannot be read or is damaged.
 */
export async function readRecord<T = unknown>(dir: string, workflowId: string): Promise<RecordEntry<T> | undefined> {
  for (const file of candidatePaths(dir, workflowId)) {
    let entry: RecordEntry<T>;
    try {
      entry = await readRecordFile<T>(file);
    } catch (err) {
      if (err instanceof RecordFileError && err.code === 'ENOENT') continue;
      throw err;
    }
    if (entry.workflowId === workflowId) return entry;
  }
  return undefined;
}

/**
 * Every record in `dir`, one at a time (subfolders in name order, files in name order in each;
 * files of the flat layout of earlier releases where they sort among them); a missing folder
 * has no records. Memory holds one subfolder's file names and one record, whatever the number
 * of records. A flat file whose ID also has a record in its subfolder is left out: it is an
 * older copy a killed writer did not get to move aside.
 */
export async function* iterateRecords<T = unknown>(dir: string): AsyncGenerator<RecordEntry<T>> {
  const root = path.resolve(dir);
  const names = await listFolder(root, true);
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const full = path.join(root, name);
    if (SUBFOLDER_RE.test(name)) {
      for (const file of await listFolder(full, false)) {
        if (!file.startsWith('.') && file.endsWith('.json')) yield await readRecordFile<T>(path.join(full, file));
      }
    } else if (name.endsWith('.json')) {
      const entry = await readRecordFile<T>(full);
      if (!(await pathExists(recordPath(root, entry.workflowId)))) yield entry;
    }
  }
}

/** File names in a folder, sorted; a missing folder (or a file where a subfolder was expected) is empty. */
async function listFolder(folder: string, isRoot: boolean): Promise<string[]> {
  try {
    return (await fsp.readdir(folder)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || (!isRoot && code === 'ENOTDIR')) return [];
    throw new Error(`cannot list records folder ${folder}: ${errMessage(err)}`, { cause: err });
  }
}

/** Every record in `dir`, as an array. */
export async function readRecords<T = unknown>(dir: string): Promise<Array<RecordEntry<T>>> {
  const out: Array<RecordEntry<T>> = [];
  for await (const r of iterateRecords<T>(dir)) out.push(r);
  return out;
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes the rename durable across power loss; not supported everywhere (e.g. Windows): best effort.
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    /* best effort */
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
