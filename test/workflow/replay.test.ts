/**
 * Determinism guard: histories recorded from real runs (test/fixtures/histories) must replay
 * against the current workflow code. A change that breaks this needs `patched()` (running
 * executions may exist), and new histories recorded with test/workflow/record-histories.ts.
 */
import * as path from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { workflowBundle } from '../../src/worker/run';

// Built with @temporalio/proto's own classes: the SDK's JSON parser trips over the two protobufjs
// copies npm installs beside each other here ("type must be a Type").
const historyOf = (json: unknown) => temporal.api.history.v1.History.fromObject(json as Record<string, unknown>);

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

test('every workflow type has a recorded history', () => {
  expect(files).toEqual(expect.arrayContaining(['promptSearch-toa.json', 'promptSearch-moa.json', 'sweep.json']));
});

test.each(files)('%s replays deterministically', async (file) => {
  const history = JSON.parse(readFileSync(path.join(DIR, file), 'utf8'));
  // Throws DeterminismViolationError on any divergence.
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, historyOf(history), file);
});

test('a history from different code is detected (the check can fail)', async () => {
  const history = JSON.parse(readFileSync(path.join(DIR, 'promptSearch-toa.json'), 'utf8'));
  // Pretend the recorded run scheduled its first generation on another agent's queue.
  const scheduled = history.events.find((e: { activityTaskScheduledEventAttributes?: unknown }) => e.activityTaskScheduledEventAttributes);
  scheduled.activityTaskScheduledEventAttributes.activityType = { name: 'somethingElse' };
  await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, historyOf(history), 'tampered')).rejects.toThrow(/Nondeterminism|determinism/i);
});
