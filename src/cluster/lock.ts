/** One `up`/`down` at a time per cluster folder. */
import * as path from 'node:path';
import { withPidLock } from '../server/pidLock';
import { isAlive } from './processes';

export function withDirLock<T>(dir: string, fn: () => Promise<T>, timeoutMs = 10 * 60000): Promise<T> {
  return withPidLock(path.join(dir, 'cluster.lock'), { timeoutMs, isAlive: (pid) => isAlive(pid) }, fn);
}
