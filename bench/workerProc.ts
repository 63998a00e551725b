/**
 * A worker process for the benchmarks: main queue (workflows, scoring, records) and every agent
 * queue, like `toa worker`. Argument: JSON {address, agents, mainActivitySlots?}. Prints
 * "worker ready" once polling; exits on SIGTERM/SIGINT after a graceful shutdown.
 */
import { NativeConnection } from '@temporalio/worker';
import type { AgentConfig } from '../src/config/schema';
import { installWorkerLogging, startWorkers, workflowBundle } from '../src/worker/run';

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as { address: string; agents: AgentConfig[]; mainActivitySlots?: number };
  installWorkerLogging();
  const connection = await NativeConnection.connect({ address: cfg.address });
  const workers = await startWorkers({ connection, agents: cfg.agents, workflowBundle: await workflowBundle(), mainActivitySlots: cfg.mainActivitySlots, env: process.env });
  process.stdout.write(`worker ready pid=${process.pid}\n`);
  const stop = () => void workers.shutdown().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await workers.run;
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
