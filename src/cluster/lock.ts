/** One `up`/`down` at a time per cluster folder: an O_EXCL lock file holding the pid; a dead holder's lock is taken over. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive, sleep } from './processes';

export async function withDirLock<T>(dir: string, fn: () => Promise<T>, timeoutMs = 10 * 60000): Promise<T> {
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, 'cluster.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(lock, 'utf8'));
      if (!Number.isInteger(holder) || !isAlive(holder)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lock} is held by pid ${holder}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    // `down --delete-data` may have removed the folder: force tolerates that.
    fs.rmSync(lock, { force: true });
  }
}
