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
 * Records written before the capital escape (release 0.1) are still found under their old name,
 * and moved to `.superseded/` when the job's record is written again under the new one.
 *
 * Writes are atomic (temp file in `.tmp/` beside the records, fsync, rename, fsync of the
 * folder; temp files a killed writer left are removed by the next write) and idempotent: the
 * same content again is a no-op; different content replaces the file (the last completion of
 * a workflow wins, e.g. after a reset).
 */
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

function fileFor(dir: string, workflowId: string, encoded: string): string {
  let name = encoded;
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    const hash = createHash('sha256').update(workflowId, 'utf8').digest('hex').slice(0, 24);
    // cut at a whole escape so the prefix stays readable
    name = `${name.slice(0, 150).replace(/(%[0-9A-Fa-f]?|\^)$/, '')}~${hash}`;
  }
  return path.join(path.resolve(dir), `${name}.json`);
}

/** The file a workflow's record is written to. */
export function recordPath(dir: string, workflowId: string): string {
  return fileFor(dir, workflowId, encodeRecordName(workflowId));
}

/** Where release 0.1 wrote it (the same file unless the ID has capitals). */
export function legacyRecordPath(dir: string, workflowId: string): string {
  return fileFor(dir, workflowId, legacyRecordName(workflowId));
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
 * Keeps a copy of a record file in `.superseded/` beside it before it is replaced, named after
 * the file and its content's hash (a retried write keeps one copy). Returns the copy's path.
 */
export async function keepRecordAside(file: string): Promise<string> {
  const body = await fsp.readFile(file);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const folder = path.join(path.dirname(file), SUPERSEDED_FOLDER);
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
  const folder = path.dirname(file);
  const tempFolder = tempFolderOf(folder);
  try {
    await fsp.mkdir(tempFolder, { recursive: true });
  } catch (err) {
    throw new Error(`cannot create records folder ${folder}: ${errMessage(err)}`, { cause: err });
  }
  // The write a SIGKILL interrupted is retried, so orphans never outlive the next write.
  await removeOrphanTemps(tempFolder);
  try {
    if ((await fsp.readFile(file, 'utf8')) === body) return { path: file, written: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`cannot read existing record ${file}: ${errMessage(err)}`, { cause: err });
    }
  }
  try {
    await writeViaTemp(tempFolder, path.basename(file), body, (tmp) => fsp.rename(tmp, file));
  } catch (err) {
    throw new Error(`cannot write record ${file}: ${errMessage(err)}`, { cause: err });
  }
  await retireLegacyFile(dir, workflowId, file);
  await fsyncDir(folder);
  return { path: file, written: true };
}

/** A record of this ID under its release-0.1 name would be a second record: move it to `.superseded/`. */
async function retireLegacyFile(dir: string, workflowId: string, written: string): Promise<void> {
  const legacy = legacyRecordPath(dir, workflowId);
  if (legacy === written) return;
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
  await keepRecordAside(legacy);
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
  const current = recordPath(dir, workflowId);
  const legacy = legacyRecordPath(dir, workflowId);
  for (const file of legacy === current ? [current] : [current, legacy]) {
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

/** Every record in `dir` (in file-name order); a missing folder has no records. */
export async function* iterateRecords<T = unknown>(dir: string): AsyncGenerator<RecordEntry<T>> {
  const folder = path.resolve(dir);
  let names: string[];
  try {
    names = await fsp.readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new Error(`cannot list records folder ${folder}: ${errMessage(err)}`, { cause: err });
  }
  names.sort();
  for (const name of names) {
    if (name.startsWith('.') || !name.endsWith('.json')) continue;
    yield await readRecordFile<T>(path.join(folder, name));
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
