/** Test helper: temporary folders and stores, removed by the returned cleanup. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { StoreSpec } from '../../src/activities/types';

export function tmpDir(prefix = 'toa-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function tmpStoreSpec(dir: string): StoreSpec {
  return { kind: 'fs', root: path.join(dir, 'store') };
}
