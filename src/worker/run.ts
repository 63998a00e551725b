/**
 * Starts the workers of one process: the main queue (workflows and the main-queue activities:
 * bookkeeping) and one worker per agent queue (plays), whose slots bound in-flight requests to
 * that endpoint from this process and whose task-queue rate limit bounds requests per second
 * across all workers. Which activity runs on which queue is decided by the activity factories
 * (src/activities/mainQueue.ts, agentQueue.ts), not here. A play holds its agent's slot while its
 * response is scored, so give slow reward backends (LLM judges) a little extra concurrency.
 */
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { createAgentQueueActivities, createMainQueueActivities, type AgentQueueDeps, type AllowList } from '../activities';
import type { AgentConfig } from '../config/schema';
import { agentTaskQueue, MAIN_TASK_QUEUE } from '../common/taskQueues';
import { failureLineInterceptors } from './interceptors';
import { FORCE_AFTER_GRACE_SECONDS, MAIN_ONLY_GRACE_SECONDS } from './shutdown';

export { installWorkerLogging } from './logging';

export interface RunWorkersOptions {
  connection: NativeConnection;
  namespace?: string;
  /** Agents whose queues this process polls (from the sweep files it was given). */
  agents: AgentConfig[];
  /**
   * What this worker may do for whoever started a workflow: endpoints, key variables, folders
   * (src/activities/allowList.ts). Built from its sweep files and flags; tests pass theirs.
   */
  allow: AllowList;
  /**
   * On shutdown (SIGTERM, Ctrl-C, shutdown()), how long in-flight work may finish before it is
   * cancelled (./shutdown.ts; the CLI derives it from the agents' timeouts). Default 60 s.
   */
  shutdownGraceSeconds?: number;
  env?: NodeJS.ProcessEnv;
  /** Reward scoring (tests pass their own backends); default: src/rewards with `env`. */
  scoreReward?: AgentQueueDeps['scoreReward'];
  /** Whether this process also runs workflows and the main queue's activities. */
  main?: boolean;
  /** Concurrent bookkeeping activities on the main queue. */
  mainActivitySlots?: number;
  /** A prebuilt bundle (tests and benchmarks build it once). */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** One line per failed activity attempt on stderr (default true; tests turn it off). */
  logFailures?: boolean;
}

export interface RunningWorkers {
  workers: Worker[];
  taskQueues: string[];
  /** Resolves when every worker has stopped. */
  run: Promise<void>;
  shutdown(): Promise<void>;
}

let cachedBundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundles the workflow code once per process (a few seconds; reused by every worker). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  cachedBundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietLogger });
  return cachedBundle;
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} } as never;

/** Distinct agent queues: two sweep files naming the same endpoint share one worker. */
export function agentQueues(agents: AgentConfig[]): Map<string, AgentConfig> {
  const byQueue = new Map<string, AgentConfig>();
  for (const a of agents) if (!byQueue.has(agentTaskQueue(a))) byQueue.set(agentTaskQueue(a), a);
  return byQueue;
}

/**
 * The SDK's default build ID ("@temporalio/worker@<version>+<64-hex bundle hash>") is written
 * into two events of every workflow task, about 150 bytes per play; 12 hex digits of the same
 * hash identify the code as well. (No worker versioning is used: this is only a label.)
 */
export function shortBuildId(bundle: WorkflowBundleWithSourceMap): string {
  return `toa-${createHash('sha256').update(bundle.code).digest('hex').slice(0, 12)}`;
}

/** Agent-queue workers run activities only; their build ID is the SDK version, as by default. */
const ACTIVITY_BUILD_ID = `toa-sdk${(require('@temporalio/worker/package.json') as { version: string }).version}`;

/**
 * Activity slots of an agent's worker: its maxConcurrency plus half as many (at least 2) waiting
 * at the gate. A refill (completion, then the server hands a new task) takes ~50–100 ms; with a
 * quarter extra, a 500 ms endpoint at 16 slots still idled ~5 % (measured in bench/overhead).
 */
export function agentTaskSlots(maxConcurrency: number): number {
  return maxConcurrency + Math.max(2, Math.ceil(maxConcurrency / 2));
}

export async function startWorkers(opts: RunWorkersOptions): Promise<RunningWorkers> {
  const namespace = opts.namespace ?? 'default';
  const interceptors = opts.logFailures === false ? undefined : { activity: [failureLineInterceptors()] };
  // The SDK's default grace is 0: a stop would cancel plays already paid for, to be paid again.
  const graceSeconds = opts.shutdownGraceSeconds ?? MAIN_ONLY_GRACE_SECONDS;
  const shutdown = {
    shutdownGraceTime: graceSeconds * 1000,
    shutdownForceTime: (graceSeconds + FORCE_AFTER_GRACE_SECONDS) * 1000,
  };
  const workers: Worker[] = [];
  if (opts.main !== false) {
    const bundle = opts.workflowBundle ?? (await workflowBundle());
    workers.push(
      await Worker.create({
        connection: opts.connection,
        namespace,
        taskQueue: MAIN_TASK_QUEUE,
        workflowBundle: bundle,
        buildId: shortBuildId(bundle),
        activities: createMainQueueActivities({ allow: opts.allow }),
        maxConcurrentActivityTaskExecutions: opts.mainActivitySlots ?? 64,
        interceptors,
        ...shutdown,
      }),
    );
  }
  const agentActivities = createAgentQueueActivities({
    allow: opts.allow,
    env: opts.env ?? process.env,
    scoreReward: opts.scoreReward,
  });
  for (const [taskQueue, agent] of agentQueues(opts.agents)) {
    workers.push(
      await Worker.create({
        connection: opts.connection,
        namespace,
        taskQueue,
        activities: agentActivities,
        buildId: ACTIVITY_BUILD_ID,
        // More tasks than the endpoint's concurrency: the generation's gate (src/activities/gate.ts)
        // still lets only maxConcurrency requests out, but the next one is ready at once.
        maxConcurrentActivityTaskExecutions: agentTaskSlots(agent.maxConcurrency),
        ...(agent.requestsPerSecond ? { maxTaskQueueActivitiesPerSecond: agent.requestsPerSecond } : {}),
        interceptors,
        ...shutdown,
      }),
    );
  }
  const run = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  return {
    workers,
    taskQueues: workers.map((w) => w.options.taskQueue),
    run,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await run;
    },
  };
}
