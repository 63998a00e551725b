/** ensureServer(): cluster from env, start detached, reuse, stop. */
import * as fs from 'node:fs';
import { ensureServer, isProcessAlive, readServerState, stopEmbeddedServer } from '../../src/server/embedded';
import { connectClient } from '../../src/server/client';
import { freePorts, tempDir } from './helpers';

const dir = tempDir();
const saved = { ...process.env };

beforeEach(() => {
  process.env.TOA_HOME = dir;
  delete process.env.TEMPORAL_ADDRESS;
});

afterAll(async () => {
  await stopEmbeddedServer(2000).catch(() => undefined);
  process.env = saved;
  fs.rmSync(dir, { recursive: true, force: true });
});

test('TEMPORAL_ADDRESS selects the cluster and spawns nothing', async () => {
  process.env.TEMPORAL_ADDRESS = 'temporal.example:7233';
  process.env.TEMPORAL_NAMESPACE = 'toa';
  process.env.TEMPORAL_API_KEY = 'secret-key';
  try {
    const s = await ensureServer();
    expect(s).toMatchObject({
      mode: 'cluster',
      address: 'temporal.example:7233',
      namespace: 'toa',
      tls: true,
      apiKey: 'secret-key',
    });
    expect(s.pid).toBeUndefined();
    expect(fs.existsSync(`${dir}/server.json`)).toBe(false);
  } finally {
    delete process.env.TEMPORAL_NAMESPACE;
    delete process.env.TEMPORAL_API_KEY;
  }
});

test('starts a detached embedded server once, then reuses it', async () => {
  const { port, uiPort } = await freePorts();
  process.env.TOA_TEMPORAL_PORT = String(port);
  process.env.TOA_TEMPORAL_UI_PORT = String(uiPort);
  const first = await ensureServer();
  expect(first.mode).toBe('started');
  expect(first.address).toBe(`127.0.0.1:${port}`);
  expect(first.uiUrl).toBe(`http://127.0.0.1:${uiPort}`);
  expect(first.dbFile).toBe(`${dir}/temporal.sqlite`);
  expect(readServerState()?.pid).toBe(first.pid);

  const second = await ensureServer();
  expect(second.mode).toBe('reused');
  expect(second.pid).toBe(first.pid);

  // connectClient() without a target goes through ensureServer() and talks to the same server.
  const client = await connectClient();
  try {
    const ns = await client.workflowService.describeNamespace({ namespace: 'default' });
    expect(ns.namespaceInfo?.name).toBe('default');
  } finally {
    await client.connection.close();
  }

  expect(await stopEmbeddedServer()).toBe(true);
  expect(isProcessAlive(first.pid!)).toBe(false);
  expect(readServerState()).toBeNull();
  expect(await stopEmbeddedServer()).toBe(false);
});

test('a stale server.json (dead pid) is ignored', async () => {
  fs.writeFileSync(`${dir}/server.json`, JSON.stringify({ pid: 2 ** 22 + 12345, address: '127.0.0.1:1', namespace: 'default' }));
  expect(readServerState()).toBeNull();
});
