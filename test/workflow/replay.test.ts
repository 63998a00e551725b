/**
 * Determinism guard: histories recorded from real runs (test/fixtures/histories) must replay
 * against the current workflow code. A change that breaks this needs `patched()` (running
 * executions may exist), and new histories recorded with test/workflow/record-histories.ts
 * (keeping the old ones, which must go on replaying).
 */
import * as path from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { workflowBundle } from '../../src/worker/run';
import { ONE_ACTIVITY_PER_PLAY } from '../../src/workflows/promptSearch';

// Built with @temporalio/proto's own classes: the SDK's JSON parser trips over the two protobufjs
// copies npm installs beside each other here ("type must be a Type").
const historyOf = (json: unknown) => temporal.api.history.v1.History.fromObject(json as Record<string, unknown>);

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

test('every workflow type has a recorded history, from before and after each patch', () => {
  expect(files).toEqual(
    expect.arrayContaining([
      'promptSearch-toa.json',
      'promptSearch-moa.json',
      'promptSearch-toa-two-activities.json',
      'promptSearch-moa-two-activities.json',
      'sweep.json',
    ]),
  );
});

type Ev = { markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: Array<{ data?: string }> }> }; activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } };
const eventsOf = (file: string): Ev[] => JSON.parse(readFileSync(path.join(DIR, file), 'utf8')).events;
const activityTypes = (file: string) => new Set(eventsOf(file).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean));
const patchIds = (file: string) =>
  eventsOf(file)
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .map((e) => (JSON.parse(Buffer.from(e.markerRecordedEventAttributes!.details!['patch-data']!.payloads![0]!.data!, 'base64').toString()) as { id: string }).id);

test.each(['toa', 'moa'])('promptSearch %s: the old history is the two-activity path, the new one the patched path', (m) => {
  expect(activityTypes(`promptSearch-${m}-two-activities.json`)).toEqual(new Set(['generate', 'score', 'writePromptRecord']));
  expect(patchIds(`promptSearch-${m}-two-activities.json`)).toEqual([]);
  expect(activityTypes(`promptSearch-${m}.json`)).toEqual(new Set(['play', 'writePromptRecord']));
  expect(patchIds(`promptSearch-${m}.json`)).toEqual([ONE_ACTIVITY_PER_PLAY]);
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
