/** `toa sweep start|status|watch|pause|resume|cancel|retry|open`: sweeps and their control. */
import type { Command } from 'commander';
import { loadSweepFile } from '../../config/load';
import { connectToa, UNKNOWN_UI, uiSweepUrl, withInProcessWorkers } from '../connect';
import { retrySweep, signalSweep, startSweep, sweepProgress } from '../sweepCommands';
import { printSweepTable } from '../tables';
import { runningPrompts } from '../runningPrompts';
import { describeProgress, watchSweep } from '../watch';
import { print } from './options';

const OUTCOME = {
  started: 'started',
  attached: 'is already running: attached',
  finished: 'already finished (see `toa sweep retry` to re-run failures)',
  restarted: 'started again',
} as const;

interface ReuseFlags {
  rerunChanged?: boolean;
  reuseUnverified?: boolean;
}

async function start(file: string, o: { id?: string; watch?: boolean; withWorker?: boolean } & ReuseFlags): Promise<void> {
  const toa = await connectToa();
  const r = await startSweep(toa.client, file, { id: o.id, rerunChanged: o.rerunChanged, reuseUnverified: o.reuseUnverified });
  print(`sweep ${r.sweepId} ${OUTCOME[r.outcome]}\n  UI: ${uiSweepUrl(toa, r.sweepId)}`);
  for (const note of r.notes) print(`  note: ${note}`);
  if (o.watch || o.withWorker) {
    const loaded = await loadSweepFile(file);
    const watch = () => watchSweep(() => sweepProgress(toa.client, r.sweepId), { running: () => runningPrompts(toa.client, r.sweepId) });
    const p = o.withWorker ? await withInProcessWorkers(toa, loaded, watch) : await watch();
    printSweepTable(p);
  }
  await toa.close();
}

async function status(id: string, o: { json?: boolean }): Promise<void> {
  const toa = await connectToa();
  const p = await sweepProgress(toa.client, id);
  if (o.json) print(JSON.stringify(p, null, 2));
  else {
    const running = p.status === 'running' || p.status === 'paused' ? await runningPrompts(toa.client, id) : undefined;
    print(describeProgress(p, undefined, running));
    printSweepTable(p);
  }
  await toa.close();
}

async function watch(id: string): Promise<void> {
  const toa = await connectToa();
  printSweepTable(await watchSweep(() => sweepProgress(toa.client, id), { running: () => runningPrompts(toa.client, id) }));
  await toa.close();
}

async function retry(id: string, o: { file?: string } & ReuseFlags): Promise<void> {
  const toa = await connectToa();
  const r = await retrySweep(toa.client, id, o.file, { rerunChanged: o.rerunChanged, reuseUnverified: o.reuseUnverified });
  print(`sweep ${id}: ${r.message}`);
  for (const note of r.notes) print(`  note: ${note}`);
  await toa.close();
}

async function open(id: string): Promise<void> {
  const toa = await connectToa({ startEmbedded: false });
  await toa.close();
  if (!toa.uiUrl) throw new Error(`no Temporal UI known for ${toa.address}: ${UNKNOWN_UI}`);
  print(uiSweepUrl(toa, id));
}

export function registerSweepCommands(program: Command): void {
  const sweep = program.command('sweep').description('start and control sweeps');
  sweep
    .command('start <file>')
    .description('start a sweep (idempotent: the same file attaches to the same sweep)')
    .option('--id <id>', 'sweep id (default: name + hash of the file content)')
    .option('--watch', 'watch progress after starting')
    .option('--with-worker', 'also run a worker in this process while watching')
    .option('--rerun-changed', 're-run jobs whose record was produced with other inputs (reward, agents, method, templates, prompt); old records are kept in records/.superseded/')
    .option('--reuse-unverified', 'reuse records written before records carried digests, as they are')
    .action(start);
  sweep.command('status <id>').description('progress, failures and results so far').option('--json', 'machine-readable output').action(status);
  sweep.command('watch <id>').description('live progress (re-attachable)').action(watch);
  for (const what of ['pause', 'resume', 'cancel'] as const) {
    sweep
      .command(`${what} <id>`)
      .description(`${what} the sweep and its running prompts`)
      .action(async (id: string) => {
        const toa = await connectToa();
        await signalSweep(toa.client, id, what);
        print(`sweep ${id}: ${what} requested`);
        await toa.close();
      });
  }
  sweep
    .command('retry <id>')
    .description('re-run only the failed prompts, reusing every finished one')
    .option('--file <file>', 'sweep file (default: the one the sweep was started from)')
    .option('--rerun-changed', 'also re-run jobs whose record was produced with other inputs; old records are kept in records/.superseded/')
    .option('--reuse-unverified', 'reuse records written before records carried digests, as they are')
    .action(retry);
  sweep.command('open <id>').description('print the Temporal UI URL filtered to this sweep').action(open);
}
