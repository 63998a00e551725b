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

const ROOT = path.resolve(__dirname, '..', '..');

export default async function globalSetup(): Promise<void> {
  // Tests spawn dist/ (the toa CLI, workers, the fake endpoints): build it when stale.
  const setup = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'setup.js'), '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  if (setup.status !== 0) throw new Error(`scripts/setup.js failed:\n${setup.stdout}\n${setup.stderr}`);
  const given = process.env.TOA_CLUSTER_DIR;
  const dir = given ? path.resolve(given) : fs.mkdtempSync(path.join(os.tmpdir(), 'toa-cluster-test-'));
  const log = (l: string) => process.stderr.write(`[cluster] ${l}\n`);
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
