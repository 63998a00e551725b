/** Temporal CLI resolution and its errors; search attribute definitions; env-based connection settings. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findTemporalCli, resolveTemporalCli, TemporalCliNotFoundError } from '../../src/server/cli-path';
import { startDevServer, devServerArgs, DEFAULT_SQLITE_PRAGMAS } from '../../src/server/embedded';
import { describeTarget, targetFromEnv, tlsFromEnv } from '../../src/server/connection';
import {
  TOA_SEARCH_ATTRIBUTE_LIST,
  ToaSearchAttributes,
  cliRegistrationCommands,
  searchAttributesManifest,
} from '../../src/common/searchAttributes';
import { searchAttributeUpdates } from '../../src/common/searchAttributes';
import { tempDir } from './helpers';

const saved = process.env.TEMPORAL_CLI_PATH;
afterEach(() => {
  if (saved === undefined) delete process.env.TEMPORAL_CLI_PATH;
  else process.env.TEMPORAL_CLI_PATH = saved;
});

describe('Temporal CLI resolution', () => {
  test('finds a working CLI (setup has run)', () => {
    const p = resolveTemporalCli();
    expect(fs.existsSync(p)).toBe(true);
  });

  test('a bogus TEMPORAL_CLI_PATH is a clear error, not silently skipped', () => {
    process.env.TEMPORAL_CLI_PATH = '/nonexistent/bin/temporal';
    expect(findTemporalCli().path).toBeNull();
    expect(() => resolveTemporalCli()).toThrow(TemporalCliNotFoundError);
    expect(() => resolveTemporalCli()).toThrow(
      /TEMPORAL_CLI_PATH=\/nonexistent\/bin\/temporal \(no such file\)[\s\S]*npm run setup/,
    );
  });

  test('a TEMPORAL_CLI_PATH that is not the Temporal CLI is rejected', () => {
    const dir = tempDir();
    const notTemporal = path.join(dir, 'temporal');
    fs.writeFileSync(notTemporal, '#!/bin/sh\necho hello\n', { mode: 0o755 });
    process.env.TEMPORAL_CLI_PATH = notTemporal;
    expect(() => resolveTemporalCli()).toThrow(/does not run as the Temporal CLI/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('startDevServer surfaces the same error', async () => {
    process.env.TEMPORAL_CLI_PATH = '/nonexistent/bin/temporal';
    await expect(startDevServer({ dbFile: null, port: 1, recordState: false })).rejects.toThrow(/Temporal CLI not found/);
  });
});

describe('search attribute definitions', () => {
  test('searchAttributeUpdates covers every defined attribute, with its type', () => {
    const pairs = searchAttributeUpdates({
      sweepId: 's',
      method: 'toa',
      budget: 8,
      seed: 0,
      status: 'running',
      bestReward: 0.5,
      generations: 3,
      promptId: 'p1',
    });
    const written = pairs.map((p) => [p.key.name, p.key.type]).sort();
    const ours = TOA_SEARCH_ATTRIBUTE_LIST.map((d) => [d.name, d.type]).sort();
    expect(written).toEqual(ours);
    expect(searchAttributeUpdates({ bestReward: null, generations: undefined })).toEqual([]);
  });

  test('typed keys and CLI commands', () => {
    expect(ToaSearchAttributes.bestReward).toEqual({ name: 'ToaBestReward', type: 'DOUBLE' });
    expect(cliRegistrationCommands('toa', 'temporal:7233')).toContain(
      'temporal operator search-attribute create --address temporal:7233 --namespace toa --name ToaBudget --type Int',
    );
  });

  test('start-dev arguments carry pragmas and attributes', () => {
    const args = devServerArgs({
      dbFile: '/x.db',
      port: 7233,
      uiPort: 8233,
      namespace: 'default',
      ip: '127.0.0.1',
      sqlitePragmas: DEFAULT_SQLITE_PRAGMAS,
    });
    expect(args.join(' ')).toContain('--db-filename /x.db --sqlite-pragma journal_mode=WAL --sqlite-pragma synchronous=NORMAL');
    expect(args.join(' ')).toContain('--search-attribute ToaSweepId=Keyword');
    expect(args.join(' ')).toContain('--search-attribute ToaBestReward=Double');
  });
});

describe('cluster settings from the environment', () => {
  test('unset TEMPORAL_ADDRESS means embedded', () => {
    expect(targetFromEnv({})).toBeNull();
  });

  test('API key implies TLS and is never described', () => {
    const t = targetFromEnv({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: 'sk-very-secret',
    })!;
    expect(t.tls).toBe(true);
    expect(describeTarget(t)).toBe('ns.acct.tmprl.cloud:7233 namespace=ns.acct (TLS, API key)');
    expect(describeTarget(t)).not.toContain('secret');
  });

  test('mTLS from cert/key files; half a pair is an error', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'c.pem'), 'CERT');
    fs.writeFileSync(path.join(dir, 'k.pem'), 'KEY');
    const tls = tlsFromEnv({ TEMPORAL_TLS_CERT: path.join(dir, 'c.pem'), TEMPORAL_TLS_KEY: path.join(dir, 'k.pem') });
    expect(tls).toMatchObject({ clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } });
    expect(() => tlsFromEnv({ TEMPORAL_TLS_CERT: path.join(dir, 'c.pem') })).toThrow(/must be set together/);
    expect(() => tlsFromEnv({ TEMPORAL_TLS_CERT: '/nope.pem', TEMPORAL_TLS_KEY: '/nope.key' })).toThrow(/cannot be read/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('deployment files', () => {
  const root = path.resolve(__dirname, '../..');
  test('deploy/temporal/search-attributes.txt matches the definition list', () => {
    const file = fs.readFileSync(path.join(root, 'deploy/temporal/search-attributes.txt'), 'utf8');
    expect(file).toBe(searchAttributesManifest());
  });

  test('docker-compose wires workers to the cluster and the shared volume', () => {
    const compose = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    expect(compose).toMatch(/TEMPORAL_ADDRESS: temporal:7233/);
    expect(compose).toMatch(/toa-data:\/data/);
    expect(compose).toMatch(/image: postgres:16/);
  });
});

test('the attribute list fits SQL visibility limits (3 Int, 3 Double, 10 Keyword per namespace)', () => {
  const count = (t: string) => TOA_SEARCH_ATTRIBUTE_LIST.filter((d) => d.type === t).length;
  expect(count('INT')).toBeLessThanOrEqual(3);
  expect(count('DOUBLE')).toBeLessThanOrEqual(3);
  expect(count('KEYWORD')).toBeLessThanOrEqual(10);
});
