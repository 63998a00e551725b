import { promises as fsp } from 'node:fs';

/** Whether a path exists (any error reading it counts as no: callers then write or report it). */
export async function pathExists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}
