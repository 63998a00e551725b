/** The cross-process lock of the embedded server's start and the local cluster's up/down. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withPidLock } from '../../src/server/pidLock';
import { isProcessAlive } from '../../src/server/embedded/process';

const opts = { timeoutMs: 5000, isAlive: isProcessAlive };

function tempLock(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'toa-pidlock-')), 'sub', 'x.lock');
}

test('holders run one at a time; the lock is released after each', async () => {
  const lock = tempLock();
  const order: string[] = [];
  const hold = (name: string) =>
    withPidLock(lock, opts, async () => {
      order.push(`${name} in`);
      expect(fs.readFileSync(lock, 'utf8')).toBe(String(process.pid));
      await new Promise((r) => setTimeout(r, 300));
      order.push(`${name} out`);
    });
  // Same process: the second caller sees a live holder (this pid) and waits for the release.
  await Promise.all([hold('a'), hold('b')]);
  expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);
  expect(fs.existsSync(lock)).toBe(false);
});

test('a lock left by a dead process (SIGKILLed holder) is taken over at once', async () => {
  const lock = tempLock();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  fs.writeFileSync(lock, dead.stdout);
  const t0 = Date.now();
  expect(await withPidLock(lock, opts, async () => 'ran')).toBe('ran');
  expect(Date.now() - t0).toBeLessThan(opts.timeoutMs);
});

test('a live holder past the timeout: a clear error naming the lock and its holder', async () => {
  const lock = tempLock();
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  fs.writeFileSync(lock, String(process.pid));
  await expect(withPidLock(lock, { ...opts, timeoutMs: 300 }, async () => 'ran')).rejects.toThrow(
    `timed out waiting for ${lock} (held by pid ${process.pid})`,
  );
  expect(fs.readFileSync(lock, 'utf8')).toBe(String(process.pid));
});

test('the lock is released when the holder throws', async () => {
  const lock = tempLock();
  await expect(withPidLock(lock, opts, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(fs.existsSync(lock)).toBe(false);
});
