/**
 * Temporal's floor for the overhead benchmark: a workflow that runs `n` activities that do
 * nothing, at most `inFlight` at once, with payloads the size of a play's. What one play costs
 * beyond this is ours (the search, the store, the endpoints); this much is Temporal's.
 */
import { proxyActivities } from '@temporalio/workflow';

export const FLOOR_TASK_QUEUE = 'bench-floor';
export const FLOOR_ACTIVITY_QUEUE = 'bench-floor-activities';

export interface FloorActivities {
  /** Returns a payload as big as a play's result; takes one as big as a play's input. */
  noop(input: string): Promise<string>;
}

const { noop } = proxyActivities<FloorActivities>({ taskQueue: FLOOR_ACTIVITY_QUEUE, startToCloseTimeout: '1 minute' });

/** A play's input (store spec, context ref, action, input refs) is about 300 bytes as JSON. */
const PLAY_SIZED_INPUT = 'x'.repeat(300);

export async function floorPrompt(n: number, inFlight: number): Promise<number> {
  let issued = 0;
  let done = 0;
  async function lane(): Promise<void> {
    while (issued < n) {
      issued++;
      await noop(PLAY_SIZED_INPUT);
      done++;
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(inFlight, n)) }, lane));
  return done;
}
