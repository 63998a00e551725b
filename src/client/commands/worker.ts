/**
 * `toa worker`: polls the main queue and the queues of every agent in the given sweep files.
 * What it will do for whoever starts workflows is limited to what those files use plus the
 * --allow-* flags (src/activities/allowList.ts); a stop lets in-flight plays finish first.
 */
import type { Command } from 'commander';
import { allowListOfSweep, explicitAllowList, mergeAllowLists, type AllowList } from '../../activities';
import { loadSweepFile, type LoadedSweep } from '../../config/load';
import { startWorkers } from '../../worker/run';
import { defaultShutdownGraceSeconds } from '../../worker/shutdown';
import { connectToa } from '../connect';

async function loadSweeps(files: string[]): Promise<LoadedSweep[]> {
  const loaded: LoadedSweep[] = [];
  for (const f of files) loaded.push(await loadSweepFile(f));
  return loaded;
}

interface WorkerOptions {
  config: string[];
  main: boolean;
  allowEndpoint: string[];
  allowKey: string[];
  allowPath: string[];
  shutdownGrace?: number;
}

/** The sweep files' grants plus the flags'. */
export function workerAllowList(
  sweeps: LoadedSweep[],
  o: Pick<WorkerOptions, 'allowEndpoint' | 'allowKey' | 'allowPath'>,
): AllowList {
  return mergeAllowLists(
    ...sweeps.map(allowListOfSweep),
    explicitAllowList({ endpoints: o.allowEndpoint, keys: o.allowKey, paths: o.allowPath }),
  );
}

async function runWorker(opts: WorkerOptions): Promise<void> {
  const sweeps = await loadSweeps(opts.config);
  const agents = sweeps.flatMap((l) => l.config.agents);
  const allow = workerAllowList(sweeps, opts);
  const grace = opts.shutdownGrace ?? defaultShutdownGraceSeconds(sweeps.map((l) => l.config));
  if (agents.length === 0 && opts.main)
    process.stderr.write(
      "toa worker: no sweep file given (-c): serving only the main queue; generations need a worker with the agents' sweep file\n",
    );
  if (opts.main && allow.paths.length === 0)
    process.stderr.write(
      'toa worker: no sweep file (-c) and no --allow-path: every dataset, store and records folder will be refused (NotAllowed); give the sweep files or --allow-path <folder>\n',
    );
  const toa = await connectToa();
  const running = await startWorkers({
    connection: await toa.nativeConnection(),
    namespace: toa.namespace,
    agents,
    allow,
    main: opts.main,
    shutdownGraceSeconds: grace,
  });
  process.stdout.write(
    `worker ready (pid ${process.pid}) on ${toa.address}, queues: ${running.taskQueues.join(', ')}; stop grace ${grace} s\n`,
  );
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      // Like a crash: the plays still in flight are retried elsewhere after their heartbeat timeout.
      process.stderr.write(`toa worker: ${signal} again: stopping at once\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    process.stderr.write(
      `toa worker: ${signal}: stopping: no new work; plays in flight have up to ${grace} s to finish ` +
        `(${signal} again stops at once, and they are paid again elsewhere)\n`,
    );
    void running.shutdown();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await running.run;
  await toa.close();
}

const collect = (value: string, previous: string[]) => [...previous, value];

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`--shutdown-grace: expected a number of seconds ≥ 0, got ${JSON.stringify(value)}`);
  return n;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'run workers: the main queue (workflows, records) and one queue per agent of the given sweep files (plays: generation + reward)',
    )
    .option(
      '-c, --config <files...>',
      'sweep files whose agents this worker serves (their endpoints, key variables, dataset and output folder are allowed)',
      [],
    )
    .option('--no-main', 'serve only the agent queues (e.g. a GPU box next to its model server)')
    .option('--allow-endpoint <url-prefix>', 'also call endpoints under this URL prefix, without a key (repeatable)', collect, [])
    .option(
      '--allow-key <VAR=url-prefix>',
      'also send the key in $VAR to endpoints under this URL prefix (repeatable)',
      collect,
      [],
    )
    .option(
      '--allow-path <folder>',
      'also read datasets and write records and stores under this folder (repeatable)',
      collect,
      [],
    )
    .option(
      '--shutdown-grace <seconds>',
      'on SIGTERM/Ctrl-C, how long plays in flight may take to finish (default: the longest play limit of the agents, at most 300; 60 without agents)',
      seconds,
    )
    .action(runWorker);
}
