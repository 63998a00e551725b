/** A small cross-process lock, so two `toa` processes do not both start a server. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stateDir } from '../cli-path';
import { isProcessAlive, sleep } from './process';

/** Small cross-process lock (O_EXCL file) so two `toa` processes do not both start a server. */
export async function withStartLock<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(stateDir(), 'server.lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = NaN;
      try {
        holder = Number(fs.readFileSync(lock, 'utf8'));
      } catch {
        /* vanished */
      }
      if (!Number.isFinite(holder) || !isProcessAlive(holder)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (held by pid ${holder})`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

