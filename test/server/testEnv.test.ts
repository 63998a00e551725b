/** createTestEnv(): the project's CLI + search attributes in TestWorkflowEnvironment. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createTestEnv, testServerExecutable } from '../../src/testing/testEnv';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await env?.teardown();
});

test('uses the resolved CLI, not a download', () => {
  expect(testServerExecutable()).toMatchObject({ type: 'existing-path' });
});

test('workflows can set the typed search attributes', async () => {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'test-env',
    workflowsPath: require.resolve('./fixtures/workflows'),
  });
  const handle = await worker.runUntil(async () => {
    const h = await env.client.workflow.start('tagged', { taskQueue: 'test-env', workflowId: 'te-1', args: ['sw-te', 1.5] });
    await h.result();
    return h;
  });
  const desc = await handle.describe();
  expect(desc.typedSearchAttributes.getAll().find((p) => p.key.name === 'ToaSweepId')?.value).toBe('sw-te');
});
