/**
 * A worker process for the benchmarks: main queue (workflows, scoring, records) and every agent
 * queue, like `toa worker`. Argument: JSON {address, agents, mainActivitySlots?}. Prints
 * "worker ready" once polling; exits on SIGTERM/SIGINT after a graceful shutdown.
 */
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import { NativeConnection } from '@temporalio/worker';
import type { AllowList } from '../src/activities';
import type { AgentConfig } from '../src/config/schema';
import { installWorkerLogging, startWorkers, workflowBundle } from '../src/worker/run';

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as { address: string; agents: AgentConfig[]; allow: AllowList; mainActivitySlots?: number };
  installWorkerLogging();
  const connection = await NativeConnection.connect({ address: cfg.address });
  const workers = await startWorkers({ connection, agents: cfg.agents, allow: cfg.allow, workflowBundle: await workflowBundle(), mainActivitySlots: cfg.mainActivitySlots, env: process.env });
  process.stdout.write(`worker ready pid=${process.pid}\n`);
  if (process.env.BENCH_MEM_LOG) logMemory(process.env.BENCH_MEM_LOG);
  // e.g. BENCH_HEAP_SNAPSHOTS=60,240: heap snapshots (cwd) at those seconds, to diff what grows.
  for (const s of (process.env.BENCH_HEAP_SNAPSHOTS ?? '').split(',').filter(Boolean)) {
    setTimeout(() => process.stderr.write(`heap snapshot ${v8.writeHeapSnapshot()}\n`), Number(s) * 1000).unref();
  }
  const stop = () => void workers.shutdown().then(() => process.exit(0));
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
