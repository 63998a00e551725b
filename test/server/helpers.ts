import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A TCP port that was free a moment ago (tests must not collide with a developer's 7233). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Two ports: frontend and UI. */
export async function freePorts(): Promise<{ port: number; uiPort: number }> {
  const port = await freePort();
  let uiPort = await freePort();
  while (uiPort === port) uiPort = await freePort();
  return { port, uiPort };
}

export function tempDir(prefix = 'toa-server-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
