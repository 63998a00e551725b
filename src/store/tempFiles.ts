/**
 * Temp files of atomic writes (write, fsync, then rename or link into place).
 *
 * They live in a `.tmp` folder beside the finished files, on the same filesystem so the final
 * rename/link stays atomic, and never among the finished files: a writer SIGKILLed between
 * open and rename leaves its temp file behind, and users listing a records folder must only
 * ever see whole records.
 *
 * A temp file's name carries a tag of the writer's host and its pid, so the next writer can
 * tell an orphan (same host, process gone) from a write still in progress and remove it.
 * Temp files from other hosts (a shared output folder) are removed once they are old enough
 * that no write can still be using them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const TEMP_FOLDER = '.tmp';
/** A write holds its temp file for milliseconds; an hour-old one has no writer left. */
export const FOREIGN_ORPHAN_AGE_MS = 60 * 60 * 1000;

const HOST_TAG = createHash('sha256').update(os.hostname(), 'utf8').digest('hex').slice(0, 8);
const NAME_RE = /\.([0-9a-f]{8})\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** The temp folder for finished files in `dir`. */
export function tempFolderOf(dir: string): string {
  return path.join(dir, TEMP_FOLDER);
}

/** A fresh temp file path in `tempFolder` for a file named `baseName`. */
export function tempPathIn(tempFolder: string, baseName: string): string {
  return path.join(tempFolder, `${baseName}.${HOST_TAG}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `text` to a new synced temp file in `tempFolder`, then lets `publish(tmp)` put it in
 * place (rename, or link for write-once). The temp file is removed whatever happens, unless
 * the process dies first: then removeOrphanTemps() finds it.
 */
export async function writeViaTemp(
  tempFolder: string,
  baseName: string,
  text: string,
  publish: (tmp: string) => Promise<void>,
): Promise<void> {
  const tmp = tempPathIn(tempFolder, baseName);
  try {
    const fh = await fsp.open(tmp, 'wx');
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await publish(tmp);
  } finally {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
  }
}

/**
 * Removes orphaned temp files from `tempFolder` (missing folder: nothing to do). Returns how
 * many were removed. Never throws: cleaning up is a courtesy, not part of the write.
 */
export async function removeOrphanTemps(tempFolder: string, now = Date.now()): Promise<number> {
  let names: string[];
  try {
    names = await fsp.readdir(tempFolder);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const file = path.join(tempFolder, name);
    if (!(await isOrphan(file, name, now))) continue;
    try {
      await fsp.rm(file, { force: true });
      removed += 1;
    } catch {
      /* another writer cleaned it first, or it is not ours to remove */
    }
  }
  return removed;
}

async function isOrphan(file: string, name: string, now: number): Promise<boolean> {
  const m = NAME_RE.exec(name);
  if (m && m[1] === HOST_TAG) {
    const pid = Number(m[2]);
    return pid !== process.pid && !processAlive(pid);
  }
  try {
    return now - (await fsp.stat(file)).mtimeMs > FOREIGN_ORPHAN_AGE_MS;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
