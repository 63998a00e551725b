/** `toa run`: one search (or every method of a sweep file) on one prompt, best response printed. */
import type { Command } from 'commander';
import { loadSweepFile } from '../../config/load';
import { methodLabelOf } from '../../search/methods';
import { connectToa, uiWorkflowUrl, withInProcessWorkers } from '../connect';
import { runOne } from '../runOne';
import { computeTable } from '../tables';
import { int } from './options';

interface RunOptions {
  config: string;
  prompt: string;
  reference?: string;
  method?: string;
  allMethods?: boolean;
  budget?: number;
  seed?: number;
  worker: boolean;
}

async function run(o: RunOptions): Promise<void> {
  const loaded = await loadSweepFile(o.config);
  const toa = await connectToa();
  const labels: Array<string | undefined> = o.allMethods ? loaded.config.methods.map(methodLabelOf) : [o.method];
  const go = () =>
    Promise.all(
      labels.map((method) =>
        runOne(toa.client, { ...o, method }, (id) => process.stderr.write(`workflow ${id}\n  UI: ${uiWorkflowUrl(toa, id)}\n`)),
      ),
    );
  const results = o.worker ? await withInProcessWorkers(toa, loaded, go) : await go();
  if (results.length > 1) process.stdout.write(`${computeTable(results.map((r) => r.summary))}\n`);
  for (const r of results) {
    const c = r.summary.compute;
    process.stdout.write(
      `\n[${r.summary.method}] best reward ${r.summary.bestReward} from ${r.summary.bestAgent} after ${r.summary.generations} generations ` +
        (r.summary.failedPlays
          ? `and ${r.summary.failedPlays} failed plays (${Object.entries(r.summary.failedPlaysByType ?? {})
              .map(([t, n]) => `${t}×${n}`)
              .join(', ')}) `
          : '') +
        `(${c.promptTokens} prompt + ${c.completionTokens} completion tokens)\n` +
        `workflow ${r.workflowId}\n  UI: ${uiWorkflowUrl(toa, r.workflowId)}\n\n${r.bestText}\n`,
    );
  }
  await toa.close();
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run one search on one prompt and print the best response')
    .requiredOption('--config <file>', 'sweep file (its agents, reward, methods)')
    .requiredOption('--prompt <text>', 'the prompt')
    .option('--reference <text>', 'reference answer, for reference-based rewards')
    .option('--method <label>', 'method label (default: the first in the file)')
    .option('--all-methods', 'run every method of the file on this prompt at the same budget and compare')
    .option('--budget <n>', 'generations (default: the first budget in the file)', int('--budget'))
    .option('--seed <n>', 'seed', int('--seed'))
    .option('--no-worker', 'do not start a worker in this process (use `toa worker` elsewhere)')
    .action(run);
}
