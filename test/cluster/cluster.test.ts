/**
 * The local cluster itself (src/cluster): a Temporal server built from source at the pinned
 * version, on PostgreSQL, with the namespace and the project's search attributes registered,
 * the project's dynamic config applied, listening on loopback only; `up` again is a no-op.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { parse as parseYaml } from 'yaml';
import {
  deriveTemporalConfig,
  ensureTemporalServerTools,
  findPostgres,
  temporalServerVersion,
  type ClusterInfo,
} from '../../src/cluster';
import { TOA_SEARCH_ATTRIBUTE_LIST } from '../../src/server';
import { writeArtifact } from '../e2e/helpers';
import { clusterInfo, connectToCluster, testCluster } from './helpers';

const ROOT = path.resolve(__dirname, '..', '..');
const CLUSTER_CLI = path.join(ROOT, 'scripts', 'cluster.js');

let info: ClusterInfo;
let conn: Connection;

beforeAll(async () => {
  info = await clusterInfo();
  conn = await connectToCluster(info);
});
afterAll(async () => {
  await conn?.close();
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLUSTER_CLI, ...args, '--dir', info.dir], { cwd: ROOT, encoding: 'utf8' });
}

test('the server is the pinned version and stores workflows and visibility in PostgreSQL', async () => {
  const c = await conn.workflowService.getClusterInfo({});
  expect(c.serverVersion).toBe(temporalServerVersion());
  expect(c.persistenceStore).toBe('postgres12');
  expect(c.visibilityStore).toBe('postgres12');
  expect(info.temporal.running && info.postgres.running).toBe(true);
  // The PostgreSQL found (newest /usr/lib/postgresql/<major>/bin, else initdb on PATH) is 12 or newer.
  const pg = findPostgres({ ...process.env, TOA_PG_BIN: '' });
  expect(pg.version).toBe(info.postgres.version);
  expect(Number(pg.version.split('.')[0])).toBeGreaterThanOrEqual(12);
});

test('the namespace exists (7-day retention) with every toa search attribute at its declared type', async () => {
  const ns = await conn.workflowService.describeNamespace({ namespace: info.namespace });
  expect(Number(ns.config?.workflowExecutionRetentionTtl?.seconds)).toBe(7 * 24 * 3600);
  const listed = (await conn.operatorService.listSearchAttributes({ namespace: info.namespace })).customAttributes ?? {};
  const byName = Object.fromEntries(
    Object.entries(listed).map(([n, t]) => [n, temporal.api.enums.v1.IndexedValueType[t as number]]),
  );
  expect(TOA_SEARCH_ATTRIBUTE_LIST.length).toBe(8);
  for (const d of TOA_SEARCH_ATTRIBUTE_LIST) expect([d.name, byName[d.name]]).toEqual([d.name, `INDEXED_VALUE_TYPE_${d.type}`]);
});

test('`toa server register-search-attributes` against the cluster finds every attribute already there (idempotent)', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'toa.js'), 'server', 'register-search-attributes'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TEMPORAL_ADDRESS: info.address, TEMPORAL_NAMESPACE: info.namespace },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout) as { added: string[]; existing: string[] };
  expect(out.added).toEqual([]);
  expect(out.existing.sort()).toEqual(TOA_SEARCH_ATTRIBUTE_LIST.map((d) => d.name).sort());
});

test("the project's dynamic config (deploy/temporal/dynamicconfig/toa.yaml) is in force: workflow ids are capped at 255 characters", async () => {
  const start = (workflowId: string) =>
    conn.workflowService.startWorkflowExecution({
      namespace: info.namespace,
      workflowId,
      workflowType: { name: 'noSuchWorkflow' },
      taskQueue: { name: 'cluster-test-nobody-polls' },
      requestId: `${workflowId.length}-${Date.now()}`,
    });
  // The server's own default is 1000; toa.yaml lowers it to 255.
  await expect(start(`id-${'x'.repeat(297)}`)).rejects.toThrow(/length|too long/i);
  const ok = `id-${'y'.repeat(250)}-${Date.now()}`.slice(0, 255);
  await start(ok);
  await conn.workflowService.terminateWorkflowExecution({
    namespace: info.namespace,
    workflowExecution: { workflowId: ok },
    reason: 'test',
  });
});

test('every listening socket of the Temporal server and of PostgreSQL is on 127.0.0.1, at the recorded ports', () => {
  const ss = spawnSync('ss', ['-Hltnp'], { encoding: 'utf8' });
  expect(ss.status).toBe(0);
  const listening = (pid: number) =>
    ss.stdout
      .split('\n')
      .filter((l) => l.includes(`pid=${pid},`))
      .map((l) => l.trim().split(/\s+/)[3]);
  const temporalSockets = listening(info.temporal.pid!);
  const pgSockets = listening(info.postgres.pid!);
  const { postgres, ...temporalPorts } = info.ports;
  // gRPC, membership, HTTP and metrics: all ten ports, nothing else (pprof is off).
  expect(new Set(temporalSockets)).toEqual(new Set(Object.values(temporalPorts).map((p) => `127.0.0.1:${p}`)));
  expect(pgSockets).toEqual([`127.0.0.1:${postgres}`]);
});

test('the metrics endpoint serves Prometheus metrics', async () => {
  const res = await fetch(info.metricsUrl);
  expect(res.status).toBe(200);
  expect(await res.text()).toMatch(/^# (HELP|TYPE) /m);
});

test('query() runs SQL on the cluster database as its superuser: both Temporal databases have a size; an SQL error is an error', async () => {
  const cluster = testCluster();
  expect(await cluster.query('SELECT current_database()', 'temporal_visibility')).toBe('temporal_visibility');
  for (const db of ['temporal', 'temporal_visibility'])
    expect(Number(await cluster.query(`SELECT pg_database_size('${db}')`))).toBeGreaterThan(1024 * 1024);
  await expect(cluster.query('SELECT toa_no_such_function()')).rejects.toThrow(/toa_no_such_function/);
});

test('`up` again changes nothing and prints where everything is; status and env agree', () => {
  const up = cli(['up']);
  expect(up.stderr).toBe('');
  expect(up.status).toBe(0);
  expect(up.stdout).toMatch(/already running: nothing to do/);
  expect(up.stdout).toContain(`frontend gRPC  ${info.address}`);
  expect(up.stdout).toContain(`running (pid ${info.temporal.pid})`);
  expect(up.stdout).toContain(`running (pid ${info.postgres.pid})`);
  const status = cli(['status', '--json']);
  expect(status.status).toBe(0);
  const s = JSON.parse(status.stdout) as ClusterInfo;
  expect([s.temporal.pid, s.postgres.pid, s.address]).toEqual([info.temporal.pid, info.postgres.pid, info.address]);
  const env = cli(['env']);
  expect(env.stdout).toBe(`export TEMPORAL_ADDRESS=${info.address}\nexport TEMPORAL_NAMESPACE=${info.namespace}\n`);
});

test('the config is development-postgres12.yaml of the pinned module with only machine values replaced', () => {
  const tools = ensureTemporalServerTools({ quiet: true });
  const base = parseYaml(fs.readFileSync(tools.baseConfig, 'utf8'));
  const derived = parseYaml(fs.readFileSync(info.temporal.configFile, 'utf8'));
  expect((fs.statSync(info.temporal.configFile).mode & 0o777).toString(8)).toBe('600');
  expect(derived.services.frontend.rpc).toEqual({
    ...base.services.frontend.rpc,
    grpcPort: info.ports.frontend,
    membershipPort: info.ports.frontendMembership,
    httpPort: info.ports.frontendHttp,
  });
  expect(derived.persistence.datastores['postgres-default'].sql).toMatchObject({
    ...base.persistence.datastores['postgres-default'].sql,
    connectAddr: info.postgres.address,
    password: expect.any(String),
  });
  expect(derived.dynamicConfigClient.filepath).toBe(path.join(ROOT, 'deploy', 'temporal', 'dynamicconfig', 'toa.yaml'));
  // Untouched sections stay as the module ships them.
  expect(derived.persistence.numHistoryShards).toBe(base.persistence.numHistoryShards);
  expect(derived.archival).toEqual(base.archival);
  expect(derived.clusterMetadata.currentClusterName).toBe(base.clusterMetadata.currentClusterName);
  // A base file whose layout moved is an error naming the key, not a silently unapplied port.
  const moved = fs.readFileSync(tools.baseConfig, 'utf8').replace(/^ {2}history:$/m, '  historyService:');
  expect(() =>
    deriveTemporalConfig(
      moved,
      { ports: info.ports, postgresUser: 'u', postgresPassword: 'p', dynamicConfigFile: '/x.yaml' },
      'base.yaml',
    ),
  ).toThrow('base.yaml: no services.history.rpc.grpcPort');
});

test('`up` starts only what is missing: a crashed server alone, then after `down` both, on the same data and ports', async () => {
  const cluster = testCluster();
  await cluster.stopTemporal({ signal: 'SIGKILL' });
  const afterCrash = await cluster.up();
  expect(afterCrash.actions).toEqual(['schema', 'temporal']);
  expect(afterCrash.postgres.pid).toBe(info.postgres.pid);

  const t0 = Date.now();
  const down = cli(['down']);
  expect(down.stdout).toBe('stopped: temporal, postgres\n');
  const downSeconds = (Date.now() - t0) / 1000;
  const warm = await cluster.up();
  // initdb and the namespace are not redone: the data outlived the processes.
  expect(warm.actions).toEqual(['postgres', 'schema', 'temporal']);
  expect(warm.ports).toEqual(info.ports);
  const again = await conn.workflowService.getClusterInfo({});
  expect(again.persistenceStore).toBe('postgres12');
  writeArtifact('cluster-restart.json', { downSeconds, warmUpSeconds: warm.seconds, serverOnlySeconds: afterCrash.seconds });
  console.log(
    `cluster down ${downSeconds.toFixed(1)} s, warm up ${warm.seconds.toFixed(1)} s, server-only up ${afterCrash.seconds.toFixed(1)} s`,
  );
  info = await clusterInfo();
});
