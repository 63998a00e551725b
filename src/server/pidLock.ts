/**
 * A cross-process lock: an O_EXCL file holding the holder's pid. A lock whose holder is dead is
 * taken over, so a SIGKILLed `toa` never leaves a lock nobody can take. Used by the embedded
 * server's start (two `toa` processes must not both start one) and by the local cluster's
 * `up`/`down` (one at a time per cluster folder).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PidLockOptions {
  /** How long to wait for a live holder before giving up. */
  timeoutMs: number;
  /** Whether a pid is a live process (the cluster also checks for zombies). */
  isAlive: (pid: number) => boolean;
}

export async function withPidLock<T>(lockFile: string, opts: PidLockOptions, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = NaN;
      try {
        holder = Number(fs.readFileSync(lockFile, 'utf8'));
      } catch {
        /* released between our write and read: try again */
      }
      if (!Number.isInteger(holder) || !opts.isAlive(holder)) {
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockFile} (held by pid ${holder})`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    // The folder may be gone (`cluster down --delete-data`): force tolerates that.
    fs.rmSync(lockFile, { force: true });
  }
}
