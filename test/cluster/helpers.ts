/**
 * Cluster-test helpers: the cluster globalSetup brought up, and the e2e machinery
 * (test/e2e/helpers.ts: processes, fake endpoints, sweep files) pointed at it instead of a dev server.
 */
import * as fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { LocalCluster, serverLogSummary, type ClusterInfo } from '../../src/cluster';
import { E2E, ensureBuilt, killAll, startFake, type FakeProc } from '../e2e/helpers';

/** The cluster of this test run (test/cluster/globalSetup.ts). */
export function testCluster(): LocalCluster {
  const dir = process.env.TOA_TEST_CLUSTER_DIR;
  if (!dir)
    throw new Error(
      'TOA_TEST_CLUSTER_DIR is not set: run cluster tests with `npm run test:cluster` (jest -c jest.cluster.config.js)',
    );
  return new LocalCluster({ dir });
}

export async function clusterInfo(): Promise<ClusterInfo> {
  const info = await testCluster().status();
  if (!info) throw new Error(`no cluster in ${process.env.TOA_TEST_CLUSTER_DIR}`);
  return info;
}

/** A client connection to the cluster; when it fails, the error says what runs and what the server logged last. */
export async function connectToCluster(info: ClusterInfo): Promise<Connection> {
  try {
    return await Connection.connect({ address: info.address });
  } catch (err) {
    const now = await testCluster()
      .status()
      .catch(() => null);
    const log = fs.existsSync(info.temporal.logFile)
      ? serverLogSummary(fs.readFileSync(info.temporal.logFile, 'utf8').slice(-200000))
      : '';
    throw new Error(
      `cannot connect to the test cluster at ${info.address}: ${(err as Error).message}\n` +
        `Temporal server: ${now?.temporal.running ? `running (pid ${now.temporal.pid})` : 'NOT running'}, ` +
        `PostgreSQL: ${now?.postgres.running ? `running (pid ${now.postgres.pid})` : 'NOT running'}\n` +
        `last warnings/errors of ${info.temporal.logFile}:\n${log}`,
    );
  }
}

/** An e2e environment (temp folder, logs, child processes) whose TEMPORAL_ADDRESS is the cluster. */
export class ClusterE2E extends E2E {
  private connection?: Connection;

  async connect(info: ClusterInfo): Promise<void> {
    this.port = info.ports.frontend;
    this.extraEnv = { TEMPORAL_NAMESPACE: info.namespace };
    this.connection = await connectToCluster(info);
    this.client = new Client({ connection: this.connection, namespace: info.namespace });
  }

  override async startServer(): Promise<never> {
    throw new Error('cluster tests use the cluster, not a dev server');
  }

  override async close(): Promise<void> {
    await this.connection?.close().catch(() => undefined);
    await super.close();
  }
}

export interface ClusterSetup {
  e: ClusterE2E;
  info: ClusterInfo;
  openai: FakeProc;
  reward: FakeProc;
}

/** beforeAll/afterAll for a cluster test file: environment, both fake endpoints (test doubles) in their own processes. */
export function useCluster(name: string, openaiOptions: Record<string, unknown>): ClusterSetup {
  const s = {} as ClusterSetup;
  beforeAll(async () => {
    ensureBuilt();
    s.info = await clusterInfo();
    s.e = new ClusterE2E(name);
    await s.e.connect(s.info);
    s.openai = await startFake(s.e, 'openai', 'fake-openai', openaiOptions);
    s.reward = await startFake(s.e, 'reward', 'fake-reward', {});
  });
  afterAll(async () => {
    await s.e?.close();
    await killAll();
  });
  return s;
}
