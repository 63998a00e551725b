/**
 * A local index of the sweeps started from this folder (.toa/sweeps/<id>.json): where their
 * records and store live, so export and report work even after Temporal's retention expired.
 */
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';

export interface SweepIndexEntry {
  sweepId: string;
  file: string;
  outputDir: string;
  recordsDir: string;
  storeRoot: string;
}

export function toaHome(): string {
  return process.env.TOA_HOME ?? path.join(process.cwd(), '.toa');
}

function entryPath(sweepId: string): string {
  return path.join(toaHome(), 'sweeps', `${encodeURIComponent(sweepId)}.json`);
}

export async function rememberSweep(entry: SweepIndexEntry): Promise<void> {
  const file = entryPath(entry.sweepId);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, `${JSON.stringify(entry, null, 2)}\n`);
}

export async function findSweep(sweepId: string): Promise<SweepIndexEntry> {
  try {
    return JSON.parse(await fsp.readFile(entryPath(sweepId), 'utf8')) as SweepIndexEntry;
  } catch {
    throw new Error(`unknown sweep "${sweepId}": no ${entryPath(sweepId)} (run the command from the folder where the sweep was started, or set TOA_HOME)`);
  }
}
