/**
 * Determinism guard: histories recorded from real runs (test/fixtures/histories) must replay
 * against the current workflow code. A change that breaks this needs `patched()` (running
 * executions may exist), and new histories recorded with test/workflow/record-histories.ts,
 * keeping the old ones (`*-v0.1.json`: recorded by the previous release), which must go on replaying.
 */
import * as path from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { workflowBundle } from '../../src/worker/run';
import { ONE_ACTIVITY_PER_PLAY, PROMPT_SEARCH_0_2, REPORT_ON_EVERY_END } from '../../src/workflows/promptSearch';
import { SWEEP_CANCEL_CHILDREN, SWEEP_FAILURES_FILE, SWEEP_RECONCILE_CHILDREN } from '../../src/workflows/sweep';
import { sequentialRounds } from '../../src/search/baselines/sequential';
import { promptSearchSeed } from '../../src/search/prng';

// Built with @temporalio/proto's own classes: the SDK's JSON parser trips over the two protobufjs
// copies npm installs beside each other here ("type must be a Type").
const historyOf = (json: unknown) => temporal.api.history.v1.History.fromObject(json as Record<string, unknown>);

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

test('every workflow type has a recorded history, from this release and from the previous one', () => {
  expect(files.sort()).toEqual(
    [
      'promptSearch-cancelled.json',
      'promptSearch-failed-play.json',
      'promptSearch-moa-v0.1.json',
      'promptSearch-moa.json',
      'promptSearch-sequential-v0.1.json',
      'promptSearch-sequential.json',
      'promptSearch-toa-v0.1.json',
      'promptSearch-toa.json',
      'sweep-cancelled-v0.1.json',
      'sweep-cancelled.json',
      'sweep-lifecycle-v0.1.json',
      'sweep-lifecycle.json',
      'sweep-v0.1.json',
      'sweep.json',
    ].sort(),
  );
});

type Ev = {
  markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: Array<{ data?: string }> }> };
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
};
const eventsOf = (file: string): Ev[] => JSON.parse(readFileSync(path.join(DIR, file), 'utf8')).events;
const activityTypes = (file: string) => new Set(eventsOf(file).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean));
const patches = (file: string) =>
  eventsOf(file)
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .map((e) => JSON.parse(Buffer.from(e.markerRecordedEventAttributes!.details!['patch-data']!.payloads![0]!.data!, 'base64').toString()) as { id: string; deprecated: boolean });

test.each(['toa', 'moa', 'sequential'])('promptSearch %s: the previous release wrote the one-play patch; this one deprecates it and seeds per prompt', (m) => {
  expect(activityTypes(`promptSearch-${m}-v0.1.json`)).toEqual(new Set(['play', 'writePromptRecord']));
  expect(patches(`promptSearch-${m}-v0.1.json`)).toEqual([{ id: ONE_ACTIVITY_PER_PLAY, deprecated: false }]);
  expect(activityTypes(`promptSearch-${m}.json`)).toEqual(new Set(['play', 'writePromptRecord']));
  expect(patches(`promptSearch-${m}.json`)).toEqual([
    { id: ONE_ACTIVITY_PER_PLAY, deprecated: true },
    { id: PROMPT_SEARCH_0_2, deprecated: false },
  ]);
});

test('the sweep histories exercise each lifecycle patch; the previous release wrote none', () => {
  // Recorded with the previous release on the same scenarios: 22 failures kept in memory and a
  // job left "running" forever after "already started" (the history ends there, stuck), and a
  // cancel that left the children running. They replay down the unpatched branches.
  for (const old of ['sweep-v0.1.json', 'sweep-lifecycle-v0.1.json', 'sweep-cancelled-v0.1.json']) expect(patches(old)).toEqual([]);
  expect(activityTypes('sweep-lifecycle-v0.1.json')).toEqual(new Set(['loadDatasetPage']));
  // A plain sweep (no failures to write, no child to ask about, not cancelled) needs none.
  expect(patches('sweep.json')).toEqual([]);
  // 22 failures go to the file; a job whose workflow had already completed is asked about.
  expect(patches('sweep-lifecycle.json')).toEqual([
    { id: SWEEP_FAILURES_FILE, deprecated: false },
    { id: SWEEP_RECONCILE_CHILDREN, deprecated: false },
  ]);
  expect(activityTypes('sweep-lifecycle.json')).toEqual(new Set(['loadDatasetPage', 'appendFailures', 'describePromptWorkflows']));
  expect(patches('sweep-cancelled.json')).toEqual([{ id: SWEEP_CANCEL_CHILDREN, deprecated: false }]);
  // A cancelled child reports its end (the signal its sweep, already closed, refuses).
  expect(patches('promptSearch-cancelled.json')).toEqual([
    { id: ONE_ACTIVITY_PER_PLAY, deprecated: true },
    { id: PROMPT_SEARCH_0_2, deprecated: false },
    { id: REPORT_ON_EVERY_END, deprecated: false },
  ]);
});

test('the failed-play history: a play failed with a 400, the prompt went on and handed the failure to its record', () => {
  type Ev = {
    eventType?: string;
    activityTaskFailedEventAttributes?: { failure?: { applicationFailureInfo?: { type?: string } } };
    activityTaskScheduledEventAttributes?: { activityType?: { name?: string }; input?: { payloads?: Array<{ data?: string }> } };
  };
  const events = JSON.parse(readFileSync(path.join(DIR, 'promptSearch-failed-play.json'), 'utf8')).events as Ev[];
  expect(events.filter((e) => e.activityTaskFailedEventAttributes).map((e) => e.activityTaskFailedEventAttributes!.failure!.applicationFailureInfo!.type)).toEqual(['BadRequest']);
  const writer = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'writePromptRecord')!;
  const input = JSON.parse(Buffer.from(writer.activityTaskScheduledEventAttributes!.input!.payloads![0]!.data!, 'base64').toString()) as {
    rewards: Array<number | null>;
    failures: Record<string, { type: string }>;
  };
  expect(input.rewards.filter((r) => r === null)).toHaveLength(1);
  expect(Object.values(input.failures).map((f) => f.type)).toEqual(['BadRequest']);
  expect(events[events.length - 1]!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  // No new patch: the previous release's inputs carry no onPlayFailure, and take the old path.
  expect(patches('promptSearch-failed-play.json')).toEqual([
    { id: ONE_ACTIVITY_PER_PLAY, deprecated: true },
    { id: PROMPT_SEARCH_0_2, deprecated: false },
  ]);
});

test('dataset pages: the previous release read one summary per finished job, this one page totals; both replay', () => {
  type Ev = { activityTaskScheduledEventAttributes?: { input?: { payloads?: Array<{ data?: string }> } } };
  const pageInputs = (file: string) =>
    (JSON.parse(readFileSync(path.join(DIR, file), 'utf8')).events as Ev[])
      .map((e) => e.activityTaskScheduledEventAttributes?.input?.payloads?.[0]?.data)
      .filter((d): d is string => Boolean(d))
      .map((d) => JSON.parse(Buffer.from(d, 'base64').toString()) as { report?: string; jobKeys?: string[] })
      .filter((i) => i.jobKeys);
  expect(pageInputs('sweep-v0.1.json').map((i) => i.report)).toEqual([undefined]);
  expect(pageInputs('sweep.json').map((i) => i.report)).toEqual(['totals']);
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

test('the sequential histories exercise both branches of the per-prompt seed patch', () => {
  type Sched = { activityTaskScheduledEventAttributes?: { activityType?: { name?: string }; input?: { payloads?: Array<{ data?: string }> } } };
  type Played = { id: string; agent: string; kind: string; inputs: string[] };
  /** The rounds a sequential run played: each fresh answer opens a round, each refinement extends its input's round. */
  const roundsOf = (file: string): string[][] => {
    const actions = (JSON.parse(readFileSync(path.join(DIR, file), 'utf8')).events as Sched[])
      .map((e) => e.activityTaskScheduledEventAttributes)
      .filter((a) => a?.activityType?.name === 'play')
      .map((a) => (JSON.parse(Buffer.from(a!.input!.payloads![0]!.data!, 'base64').toString()) as { action: Played }).action)
      .sort((x, y) => Number(x.id.slice(1)) - Number(y.id.slice(1)));
    const roundOf = new Map<string, string[]>();
    const rounds: string[][] = [];
    for (const a of actions) {
      const round = a.kind === 'fresh' ? (rounds.push([]), rounds[rounds.length - 1]!) : roundOf.get(a.inputs[0]!)!;
      round.push(a.agent);
      roundOf.set(a.id, round);
    }
    return rounds;
  };
  // Both were recorded with run seed 3 on prompt "p1" and agents agent1..agent3 (record-histories.ts).
  const agents = ['agent1', 'agent2', 'agent3'];
  const old = roundsOf('promptSearch-sequential-v0.1.json');
  const now = roundsOf('promptSearch-sequential.json');
  expect(old).toEqual(sequentialRounds(agents, 6, 3));
  expect(now).toEqual(sequentialRounds(agents, 8, promptSearchSeed(3, 'p1')));
  // The two seeds give different orders, so replaying either history down the wrong branch would diverge.
  expect(sequentialRounds(agents, 6, 3)).not.toEqual(sequentialRounds(agents, 6, promptSearchSeed(3, 'p1')));
});
