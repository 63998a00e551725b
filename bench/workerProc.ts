/**
 * A worker process for the benchmarks: main queue (workflows, scoring, records) and every agent
 * queue, like `toa worker`; with `floor`, also the noop workflows of ./floor/workflows.ts (same
 * process, default worker options). Argument: JSON {address, agents, mainActivitySlots?, floor?}. Prints
 * "worker ready" once polling; exits on SIGTERM/SIGINT after a graceful shutdown.
 */
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { AllowList } from '../src/activities';
import type { AgentConfig } from '../src/config/schema';
import { agentTaskSlots, installWorkerLogging, startWorkers, workflowBundle } from '../src/worker/run';
import { FLOOR_ACTIVITY_QUEUE, FLOOR_TASK_QUEUE } from './floor/workflows';

/** The floor's workflow worker and its noop activity worker (slots like one agent of 16). */
async function startFloorWorkers(connection: NativeConnection): Promise<Worker[]> {
  return [
    await Worker.create({ connection, taskQueue: FLOOR_TASK_QUEUE, workflowsPath: require.resolve('./floor/workflows') }),
    await Worker.create({
      connection,
      taskQueue: FLOOR_ACTIVITY_QUEUE,
      activities: { noop: async (input: string) => input.slice(0, 60) },
      maxConcurrentActivityTaskExecutions: agentTaskSlots(16) * 2,
    }),
  ];
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as { address: string; agents: AgentConfig[]; allow: AllowList; mainActivitySlots?: number; floor?: boolean };
  installWorkerLogging();
  const connection = await NativeConnection.connect({ address: cfg.address });
  const workers = await startWorkers({ connection, agents: cfg.agents, allow: cfg.allow, workflowBundle: await workflowBundle(), mainActivitySlots: cfg.mainActivitySlots, env: process.env });
  const floor = cfg.floor ? await startFloorWorkers(connection) : [];
  const floorRun = Promise.all(floor.map((w) => w.run()));
  process.stdout.write(`worker ready pid=${process.pid}\n`);
  if (process.env.BENCH_MEM_LOG) logMemory(process.env.BENCH_MEM_LOG);
  // e.g. BENCH_HEAP_SNAPSHOTS=60,240: heap snapshots (cwd) at those seconds, to diff what grows.
  for (const s of (process.env.BENCH_HEAP_SNAPSHOTS ?? '').split(',').filter(Boolean)) {
    setTimeout(() => process.stderr.write(`heap snapshot ${v8.writeHeapSnapshot()}\n`), Number(s) * 1000).unref();
  }
  const stop = () => {
    for (const w of floor) w.shutdown();
    void Promise.all([workers.shutdown(), floorRun]).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await workers.run;
}

/** Where the worker's memory goes (JS heap vs native), every 2 s, as JSON lines: for profiling RSS. */
function logMemory(file: string): void {
  const t0 = Date.now();
  const mib = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
  let n = 0;
  setInterval(() => {
    // with --expose-gc, every 5th sample is taken after a full GC: the live heap, not garbage
    const gc = (globalThis as { gc?: () => void }).gc;
    const afterGc = gc !== undefined && n++ % 5 === 0;
    if (afterGc) gc();
    const m = process.memoryUsage();
    const h = v8.getHeapStatistics();
    const line = { t: (Date.now() - t0) / 1000, afterGc, rss: mib(m.rss), heapUsed: mib(m.heapUsed), heapTotal: mib(m.heapTotal), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers), heapLimit: mib(h.heap_size_limit), contexts: h.number_of_native_contexts, detached: h.number_of_detached_contexts };
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, 2000).unref();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
