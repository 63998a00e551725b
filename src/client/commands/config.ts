/** `toa config schema|check`: the sweep file's JSON Schema, and validation without starting anything. */
import type { Command } from 'commander';
import { sweepJsonSchema } from '../../config/jsonSchema';
import { allJobKeyParts } from '../../workflows/sweepState';
import { listProblems, preflightSweep, PreflightError } from '../preflight';
import { print } from './options';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('sweep file tools');
  config
    .command('schema')
    .description('print the JSON Schema of sweep files')
    .action(() => void print(JSON.stringify(sweepJsonSchema(), null, 2)));
  config
    .command('check <files...>')
    .description('validate sweep files: fields, templates, Temporal limits, every dataset line (API keys are checked by `sweep start`)')
    .option('--id <id>', 'the sweep id the sweep will be started with (workflow ID lengths depend on it)')
    .action(async (files: string[], o: { id?: string }) => {
      for (const f of files) {
        try {
          const pre = await preflightSweep(f, process.env, { sweepId: o.id, checkKeys: false });
          const jobs = pre.dataset.entries.length * allJobKeyParts(pre.loaded.config).length;
          print(`${f}: ok (sweep id ${pre.sweepId}: ${pre.dataset.entries.length} prompts, ${jobs} prompt workflows)`);
        } catch (err) {
          if (err instanceof PreflightError) throw new Error(`${f}: ${err.problems.length} problem(s):\n${listProblems(err.problems)}`);
          throw err;
        }
      }
    });
}
