/** Stops the cluster globalSetup started and deletes its temp folder (a $TOA_CLUSTER_DIR one is left running). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalCluster } from '../../src/cluster';

export default async function globalTeardown(): Promise<void> {
  const dir = process.env.TOA_TEST_CLUSTER_DIR;
  if (!dir || process.env.TOA_TEST_CLUSTER_OWNED !== '1') return;
  const keep = !!process.env.TOA_E2E_KEEP;
  await new LocalCluster({ dir }).down({ deleteData: !keep });
  if (keep) {
    // Without an owner the next run's setup does not take it for an interrupted run's and delete it.
    fs.rmSync(path.join(dir, 'owner.pid'), { force: true });
    process.stderr.write(`kept the cluster's data in ${dir}\n`);
  }
}
