import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { freePort } from '../../src/testing/common';
export { freePort };

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
