/**
 * Result records: one JSON file per prompt workflow, keyed by its workflow ID, written as the
 * prompt finishes so no result depends on Temporal's retention.
 *
 * File name: the workflow ID encoded reversibly (encodeURIComponent, plus "*" and a leading
 * "." escaped) + ".json". IDs whose encoding would exceed file-name limits get a shortened
 * name with a hash suffix; the ID is always inside the file too, so nothing is lost:
 *
 *   { "workflowId": "<id>", "record": <the record> }
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

/** Reversible, filesystem-safe encoding of a workflow ID (without the extension). */
export function encodeRecordName(workflowId: string): string {
  if (typeof workflowId !== 'string' || workflowId.length === 0) {
    throw new Error(`record: workflow ID must be a non-empty string, got ${JSON.stringify(workflowId)}`);
  }
  return encodeURIComponent(workflowId).replace(/\*/g, '%2A').replace(/^\./, '%2E');
}

/** Inverse of encodeRecordName (for names that were not shortened). */
export function decodeRecordName(name: string): string {
  return decodeURIComponent(name);
}

/** The file a workflow's record is written to. */
export function recordPath(dir: string, workflowId: string): string {
  let name = encodeRecordName(workflowId);
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    const hash = createHash('sha256').update(workflowId, 'utf8').digest('hex').slice(0, 24);
    // cut at a whole escape so the prefix stays readable
    name = `${name.slice(0, 150).replace(/%[0-9A-Fa-f]?$/, '')}~${hash}`;
  }
  return path.join(path.resolve(dir), `${name}.json`);
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
  await fsyncDir(folder);
  return { path: file, written: true };
}

/** Reads one record file; throws a message naming the path when it is not a record. */
export async function readRecordFile<T = unknown>(file: string): Promise<RecordEntry<T>> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read record ${file}: ${errMessage(err)}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`record ${file} is not valid JSON: ${errMessage(err)}`, { cause: err });
  }
  if (!parsed || typeof parsed !== 'object' || typeof (parsed as RecordFile).workflowId !== 'string' || !('record' in parsed)) {
    throw new Error(`record ${file} is not a record file: expected {"workflowId": string, "record": ...}`);
  }
  const p = parsed as RecordFile<T>;
  return { workflowId: p.workflowId, record: p.record, path: file };
}

/** Reads the record of one workflow, or undefined when it has none yet. */
export async function readRecord<T = unknown>(dir: string, workflowId: string): Promise<RecordEntry<T> | undefined> {
  const file = recordPath(dir, workflowId);
  try {
    await fsp.access(file);
  } catch {
    return undefined;
  }
  return readRecordFile<T>(file);
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
