/**
 * Temporal's per-workflow limits a sweep must stay under, checked when the sweep file is loaded,
 * before anything is spent, instead of being found by a prompt workflow failing mid-search
 * (a history over the event limit is terminated by the server; a workflow task that schedules
 * more pending activities than allowed fails over and over).
 *
 * The values are the server's (its dynamic config); a cluster with other values sets them here
 * through the environment (TOA_LIMIT_*), so the check matches the cluster.
 */
import { createStrategy, methodLabelOf, type MethodSpec } from '../search/methods';
import type { Action } from '../search/types';

export interface TemporalLimits {
  /**
   * `limit.maxIDLength`: bytes in a workflow ID. The server's own default is 1000; the default
   * here is 255, the value deploy/temporal/dynamicconfig/toa.yaml sets for the compose cluster
   * (PostgreSQL visibility), so a sweep checked here also runs there.
   */
  maxIdLength: number;
  /** `limit.historyCount.error`: events in one workflow run's history. */
  historyEvents: number;
  /** `limit.historySize.error`: bytes in one workflow run's history. */
  historyBytes: number;
  /** `limit.numPendingActivities.error`: activities scheduled and not finished, per workflow. */
  pendingActivities: number;
  /** `limit.numPendingChildExecutions.error`: child workflows started and not finished, per workflow. */
  pendingChildren: number;
}

export const DEFAULT_TEMPORAL_LIMITS: Readonly<TemporalLimits> = Object.freeze({
  maxIdLength: 255,
  historyEvents: 51_200,
  historyBytes: 50 * 1024 * 1024,
  pendingActivities: 2_000,
  pendingChildren: 2_000,
});

/** The environment variable that overrides each limit, and the server setting it mirrors. */
export const LIMIT_SETTINGS: Record<keyof TemporalLimits, { env: string; server: string }> = {
  maxIdLength: { env: 'TOA_LIMIT_MAX_ID_LENGTH', server: 'limit.maxIDLength' },
  historyEvents: { env: 'TOA_LIMIT_HISTORY_EVENTS', server: 'limit.historyCount.error' },
  historyBytes: { env: 'TOA_LIMIT_HISTORY_BYTES', server: 'limit.historySize.error' },
  pendingActivities: { env: 'TOA_LIMIT_PENDING_ACTIVITIES', server: 'limit.numPendingActivities.error' },
  pendingChildren: { env: 'TOA_LIMIT_PENDING_CHILDREN', server: 'limit.numPendingChildExecutions.error' },
};

/** The limits to check against: the defaults, each overridable by its TOA_LIMIT_* variable. */
export function temporalLimitsFrom(env: NodeJS.ProcessEnv): TemporalLimits {
  const limits: TemporalLimits = { ...DEFAULT_TEMPORAL_LIMITS };
  for (const [key, { env: name }] of Object.entries(LIMIT_SETTINGS) as Array<[keyof TemporalLimits, { env: string }]>) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name}: expected a whole number > 0, got ${JSON.stringify(raw)}`);
    limits[key] = n;
  }
  return limits;
}

/**
 * A sweep keeps each prompt's history under this fraction of the server's limits: the estimate
 * below is an upper bound for a normal run, and the margin absorbs what it does not count
 * (pause/resume signals, workflow tasks retried after a worker crash, long error messages).
 */
export const HISTORY_SAFE_FRACTION = 0.5;

/**
 * Events in one promptSearch history for budget N (src/workflows/promptSearch.ts), at most:
 *   per play 7: ActivityTaskScheduled, Started, Completed (3); the workflow task that observes
 *     it, Scheduled, Started, Completed (3; plays that complete together share one); at most one
 *     UpsertWorkflowSearchAttributes per wake-up (1). Activity retries add no events (only the
 *     last attempt is recorded);
 *   fixed, 40: started, the first workflow task (3), the patch and local-activity markers (3),
 *     the status upserts (3), writePromptRecord (3) and its workflow task (3), the signal to the
 *     sweep (2) and its workflow task (3), completed (1) = 22, rounded up for pause/resume.
 * The recorded histories of test/fixtures/histories (budget 8) have 58-74 events: 7·8 + 40 = 96
 * (test/config/checks.test.ts checks the bound against them).
 */
export const EVENTS_PER_PLAY = 7;
export const FIXED_EVENTS = 40;

export function historyEventsOf(budget: number): number {
  return EVENTS_PER_PLAY * budget + FIXED_EVENTS;
}

/**
 * Bytes of one promptSearch history, at most: a play's events take about 3.7 KB in the recorded
 * histories (JSON, payloads base64: more than the server stores), an aggregation's input names
 * up to one ref (~70 bytes) per agent, and the input (agents, reward) is under 64 KB.
 */
export function historyBytesOf(budget: number, agents: number): number {
  return budget * (4096 + 96 * agents) + 64 * 1024;
}

/** The largest budget whose history stays under the safe fraction of both limits. */
export function largestBudget(limits: TemporalLimits, agents: number): number {
  const byEvents = Math.floor((limits.historyEvents * HISTORY_SAFE_FRACTION - FIXED_EVENTS) / EVENTS_PER_PLAY);
  const byBytes = Math.floor((limits.historyBytes * HISTORY_SAFE_FRACTION - 64 * 1024) / (4096 + 96 * agents));
  return Math.max(0, Math.min(byEvents, byBytes));
}

/**
 * The most plays a method keeps in flight for one prompt at this budget, measured by running its
 * strategy against instant outcomes (plays complete in issue order): random sampling and the
 * ensemble issue all N at once, PRS N/2, TOA `parallelPlays`. Stops early once `stopAt` is reached.
 */
export function maxPlaysInFlight(spec: MethodSpec, agents: string[], budget: number, stopAt = Infinity): number {
  const strategy = createStrategy(spec, { agents, budget, seed: 0 });
  const inFlight: Action[] = [];
  let most = 0;
  const launch = () => {
    inFlight.push(...strategy.next());
    most = Math.max(most, inFlight.length);
  };
  launch();
  for (let i = 0; !strategy.done() && inFlight.length > 0 && most < stopAt; i++) {
    const action = inFlight.shift()!;
    // Varied rewards, so tree methods branch as they would in a real run.
    strategy.observe({ actionId: action.id, reward: (i % 7) / 7, promptTokens: 1, completionTokens: 1 });
    launch();
  }
  return most;
}

/** A problem with a budget or a setting, located at the field it concerns. */
export interface LimitProblem {
  field: Array<string | number>;
  message: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Budgets, methods and the running-prompt window against the limits; [] when the sweep fits. */
export function limitProblems(
  config: { agents: Array<{ name: string }>; methods: MethodSpec[]; budgets: number[]; maxRunningPrompts: number },
  limits: TemporalLimits,
): LimitProblem[] {
  const problems: LimitProblem[] = [];
  const agents = config.agents.map((a) => a.name);
  const largest = largestBudget(limits, agents.length);
  config.budgets.forEach((budget, i) => {
    if (budget > largest) {
      const byEvents = historyEventsOf(budget) > limits.historyEvents * HISTORY_SAFE_FRACTION;
      const what = byEvents
        ? `up to ${fmt(historyEventsOf(budget))} events to each prompt's workflow history; the limit is ${fmt(limits.historyEvents)} (${LIMIT_SETTINGS.historyEvents.server})`
        : `up to ${fmt(Math.ceil(historyBytesOf(budget, agents.length) / 2 ** 20))} MB to each prompt's workflow history; the limit is ${fmt(limits.historyBytes / 2 ** 20)} MB (${LIMIT_SETTINGS.historyBytes.server})`;
      problems.push({
        field: ['budgets', i],
        message: `budget ${budget} would write ${what} and a sweep keeps under half of it: budgets up to ${fmt(largest)} fit`,
      });
      return;
    }
    // A strategy never has more plays in flight than its budget: only large budgets need measuring.
    if (budget < limits.pendingActivities) return;
    config.methods.forEach((m, j) => {
      const most = maxPlaysInFlight(m, agents, budget, limits.pendingActivities);
      if (most >= limits.pendingActivities) {
        problems.push({
          field: ['budgets', i],
          message:
            `methods[${j}] (${methodLabelOf(m)}) at budget ${budget} keeps up to ${most} plays in flight per prompt; ` +
            `Temporal allows ${fmt(limits.pendingActivities)} pending activities per workflow ` +
            `(${LIMIT_SETTINGS.pendingActivities.server}, ${LIMIT_SETTINGS.pendingActivities.env})`,
        });
      }
    });
  });
  if (config.maxRunningPrompts >= limits.pendingChildren) {
    problems.push({
      field: ['maxRunningPrompts'],
      message:
        `${config.maxRunningPrompts} running prompt workflows per sweep; Temporal allows ${fmt(limits.pendingChildren)} pending ` +
        `child workflows per workflow (${LIMIT_SETTINGS.pendingChildren.server}, ${LIMIT_SETTINGS.pendingChildren.env})`,
    });
  }
  return problems;
}

/** `abc...` for long IDs in messages. */
export function shortenId(id: string, keep = 60): string {
  return id.length <= keep ? id : `${id.slice(0, keep)}...`;
}
