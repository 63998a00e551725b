/**
 * Real `temporal server start-dev` processes: search attribute registration, durability of a
 * SQLite file across a SIGKILL, and clear startup errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { connectTo } from '../../src/server/connection';
import { spawn } from 'node:child_process';
import { startDevServer, isProcessAlive, readServerState, serverStateFile, stopEmbeddedServer, type DevServerHandle } from '../../src/server/embedded';
import { registerSearchAttributes } from '../../src/server/registerSearchAttributes';
import { TOA_SEARCH_ATTRIBUTE_LIST } from '../../src/common/searchAttributes';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { freePorts, tempDir } from './helpers';

const dir = tempDir();
process.env.TOA_HOME = dir;
let bundle: WorkflowBundleWithSourceMap;
const servers: DevServerHandle[] = [];

beforeAll(async () => {
  bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./fixtures/workflows'),
    logger: new DefaultLogger('WARN'),
  });
});

afterAll(async () => {
  for (const s of servers) await s.stop({ graceMs: 2000 }).catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(dbFile: string | null, ports?: { port: number; uiPort: number }) {
  const p = ports ?? (await freePorts());
  const s = await startDevServer({
    dbFile,
    port: p.port,
    uiPort: null,
    logFile: path.join(dir, 'server.log'),
    recordState: false,
  });
  servers.push(s);
  return s;
}

async function withWorker<T>(address: string, fn: () => Promise<T>): Promise<T> {
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({ connection, taskQueue: 'server-test', workflowBundle: bundle });
  try {
    return await worker.runUntil(fn());
  } finally {
    await connection.close();
  }
}

test('registers every custom search attribute, idempotently', async () => {
  const server = await start(path.join(dir, 'sa.sqlite'));
  const connection = await connectTo(server);
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const d of TOA_SEARCH_ATTRIBUTE_LIST) {
      expect(customAttributes?.[d.name]).toBe(encodeSearchAttributeIndexedValueType(d.type));
    }
    // Already there: nothing added, nothing thrown.
    const again = await registerSearchAttributes(connection, 'default');
    expect(again.added).toEqual([]);
    expect(again.existing.sort()).toEqual(TOA_SEARCH_ATTRIBUTE_LIST.map((d) => d.name).sort());
  } finally {
    await connection.close();
  }
  await server.stop();
  expect(isProcessAlive(server.pid)).toBe(false);
});

test('a completed workflow survives SIGKILL of the server and a restart on the same SQLite file', async () => {
  const db = path.join(dir, 'durable.sqlite');
  const ports = await freePorts();
  const first = await start(db, ports);
  let connection = await connectTo(first);
  let client = new Client({ connection });
  const result = await withWorker(first.address, () =>
    client.workflow.execute('tagged', { taskQueue: 'server-test', workflowId: 'durable-1', args: ['sweep-42', 0.75] }),
  );
  expect(result).toBe('durable-1');
  await connection.close();

  process.kill(first.pid, 'SIGKILL');
  expect(await first.exited).toBe('SIGKILL');

  const second = await start(db, ports);
  expect(second.pid).not.toBe(first.pid);
  connection = await connectTo(second);
  client = new Client({ connection });
  try {
    const handle = client.workflow.getHandle('durable-1');
    const desc = await handle.describe();
    expect(desc.status.name).toBe('COMPLETED');
    expect(await handle.result()).toBe('durable-1');
    expect(desc.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual(
      expect.arrayContaining([
        ['ToaSweepId', 'sweep-42'],
        ['ToaBestReward', 0.75],
        ['ToaStatus', 'done'],
      ]),
    );
    // Visibility query by our attribute (what the Temporal UI filter does).
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query: `ToaSweepId = 'sweep-42'` })) ids.push(wf.workflowId);
    expect(ids).toEqual(['durable-1']);
  } finally {
    await connection.close();
  }
});

test('a server that dies during startup gives an error with the tail of its log', async () => {
  const fake = path.join(dir, 'fake-temporal.sh');
  fs.writeFileSync(fake, '#!/bin/sh\necho "boom: simulated startup failure" >&2\nexit 3\n', { mode: 0o755 });
  const { port } = await freePorts();
  await expect(
    startDevServer({ cliPath: fake, dbFile: null, port, uiPort: null, logFile: path.join(dir, 'fake.log'), recordState: false }),
  ).rejects.toThrow(/exited during startup \(3\)[\s\S]*boom: simulated startup failure/);
});

test('a port already in use is reported before spawning', async () => {
  const server = await start(null);
  const port = Number(server.address.split(':')[1]);
  await expect(startDevServer({ dbFile: null, port, uiPort: null, recordState: false })).rejects.toThrow(
    new RegExp(`port ${port} .* already in use[\\s\\S]*TEMPORAL_ADDRESS=127.0.0.1:${port}`),
  );
  await server.stop();
});

test('server stop signals only the server it started: a reused pid is left alone and the stale state removed', async () => {
  // Another program now holds the recorded pid (here: a `sleep` we own).
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      serverStateFile(),
      JSON.stringify({ pid: other.pid, address: '127.0.0.1:1', namespace: 'default', dbFile: null, logFile: '/dev/null', port: 1, startedAt: new Date().toISOString(), cliPath: '/opt/temporal/bin/temporal' }),
    );
    expect(readServerState()).toBeNull();
    expect(await stopEmbeddedServer(500)).toBe(false);
    expect(isProcessAlive(other.pid!)).toBe(true);
    expect(fs.existsSync(serverStateFile())).toBe(false);
  } finally {
    other.kill('SIGKILL');
  }
});

test('server stop stops the server it started (recorded by a detached start)', async () => {
  const { port } = await freePorts();
  const server = await startDevServer({ dbFile: null, port, uiPort: null, recordState: true });
  servers.push(server);
  expect(readServerState()?.pid).toBe(server.pid);
  expect(await stopEmbeddedServer(5000)).toBe(true);
  expect(await server.exited).not.toBeUndefined();
  expect(isProcessAlive(server.pid)).toBe(false);
});
