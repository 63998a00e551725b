/**
 * One local cluster for the whole cluster-test run (test/cluster): a fresh one in a temp folder,
 * or the one in $TOA_CLUSTER_DIR (brought up if needed and left running, for quick re-runs).
 * Tests find it through $TOA_TEST_CLUSTER_DIR (jest passes the environment on to test files).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalCluster } from '../../src/cluster';
import { isAlive } from '../../src/cluster/processes';

const ROOT = path.resolve(__dirname, '..', '..');
const PREFIX = 'toa-cluster-test-';
/** pid of the jest process that owns a temp cluster; globalTeardown removes it, an interrupted run does not. */
const OWNER_FILE = 'owner.pid';

/** Stop and delete temp clusters of earlier runs that were interrupted (their jest process is gone). */
async function removeAbandonedClusters(log: (l: string) => void): Promise<void> {
  for (const name of fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(PREFIX))) {
    const dir = path.join(os.tmpdir(), name);
    let owner = NaN;
    try {
      owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue; // not ours, or still being created
    }
    if (isAlive(owner)) continue;
    log(`removing the cluster of an interrupted run (pid ${owner}): ${dir}`);
    await new LocalCluster({ dir }).down({ deleteData: true });
  }
}

export default async function globalSetup(): Promise<void> {
  // Tests spawn dist/ (the toa CLI, workers, the fake endpoints): build it when stale.
  const setup = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'setup.js'), '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  if (setup.status !== 0) throw new Error(`scripts/setup.js failed:\n${setup.stdout}\n${setup.stderr}`);
  const log = (l: string) => process.stderr.write(`[cluster] ${l}\n`);
  await removeAbandonedClusters(log);
  const given = process.env.TOA_CLUSTER_DIR;
  const dir = given ? path.resolve(given) : fs.mkdtempSync(path.join(os.tmpdir(), PREFIX));
  if (!given) fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
  const r = await new LocalCluster({ dir, log }).up();
  log(`up in ${r.seconds.toFixed(1)} s (${r.actions.join(', ') || 'already running'}): ${r.address}, ${dir}`);
  process.env.TOA_TEST_CLUSTER_DIR = dir;
  process.env.TOA_TEST_CLUSTER_OWNED = given ? '' : '1';
  fs.mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
  fs.writeFileSync(
    path.join(ROOT, 'test-artifacts', 'cluster-up.json'),
    `${JSON.stringify({ seconds: r.seconds, actions: r.actions, temporalVersion: r.temporalVersion, postgres: r.postgres.version }, null, 2)}\n`,
  );
}
