/** `toa worker`: polls the main queue and the queues of every agent in the given sweep files. */
import type { Command } from 'commander';
import { loadSweepFile } from '../../config/load';
import type { AgentConfig } from '../../config/schema';
import { startWorkers } from '../../worker/run';
import { connectToa } from '../connect';

export async function agentsOf(files: string[]): Promise<AgentConfig[]> {
  const agents: AgentConfig[] = [];
  for (const f of files) agents.push(...(await loadSweepFile(f)).config.agents);
  return agents;
}

async function runWorker(opts: { config: string[]; main: boolean }): Promise<void> {
  const agents = await agentsOf(opts.config);
  if (agents.length === 0 && opts.main)
    process.stderr.write('toa worker: no sweep file given (-c): serving only the main queue; generations need a worker with the agents\' sweep file\n');
  const toa = await connectToa();
  const running = await startWorkers({ connection: await toa.nativeConnection(), namespace: toa.namespace, agents, main: opts.main });
  process.stdout.write(`worker ready (pid ${process.pid}) on ${toa.address}, queues: ${running.taskQueues.join(', ')}\n`);
  const stop = () => void running.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await running.run;
  await toa.close();
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run workers: the main queue (workflows, records) and one queue per agent of the given sweep files (plays: generation + reward)')
    .option('-c, --config <files...>', 'sweep files whose agents this worker serves', [])
    .option('--no-main', 'serve only the agent queues (e.g. a GPU box next to its model server)')
    .action(runWorker);
}
