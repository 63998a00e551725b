/**
 * One list of Temporal server settings (src/server/serverTuning.ts) for every server toa starts
 * or ships: the compose / local-cluster file is generated from it, and the embedded server and the
 * test servers get the same values as flags.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { devServerArgs } from '../../src/server/embedded';
import { dynamicConfigYaml, serverDynamicConfig, SERVER_SETTINGS } from '../../src/server/serverTuning';

const FILE = path.join(__dirname, '..', '..', 'deploy', 'temporal', 'dynamicconfig', 'toa.yaml');

test('deploy/temporal/dynamicconfig/toa.yaml is the generated file (npm run generate)', () => {
  const text = readFileSync(FILE, 'utf8');
  expect(text).toBe(dynamicConfigYaml());
  const parsed = parse(text) as Record<string, Array<{ value: unknown; constraints: unknown }>>;
  expect(Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v[0]!.value]))).toEqual(serverDynamicConfig());
});

test('the transfer queue is read often enough that a task is not held ~40 ms', () => {
  expect(serverDynamicConfig()['history.transferProcessorMaxPollRPS']).toBeGreaterThanOrEqual(500);
  expect(SERVER_SETTINGS.every((s) => s.why.length > 20)).toBe(true);
});

test('the dev server argument builder passes every setting as --dynamic-config-value', () => {
  const args = devServerArgs({ dbFile: null, port: 1, uiPort: null, namespace: 'default', ip: '127.0.0.1', sqlitePragmas: {}, dynamicConfig: serverDynamicConfig() });
  for (const [k, v] of Object.entries(serverDynamicConfig())) expect(args).toContain(`${k}=${JSON.stringify(v)}`);
});
