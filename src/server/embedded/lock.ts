/** A cross-process lock, so two `toa` processes do not both start a server. */
import * as path from 'node:path';
import { stateDir } from '../cli-path';
import { withPidLock } from '../pidLock';
import { isProcessAlive } from './process';

export function withStartLock<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  return withPidLock(path.join(stateDir(), 'server.lock'), { timeoutMs, isAlive: isProcessAlive }, fn);
}
