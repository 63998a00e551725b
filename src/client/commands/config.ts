/** `toa config schema|check`: the sweep file's JSON Schema, and validation without starting anything. */
import type { Command } from 'commander';
import { sweepJsonSchema } from '../../config/jsonSchema';
import { loadSweepFile } from '../../config/load';
import { print } from './options';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('sweep file tools');
  config
    .command('schema')
    .description('print the JSON Schema of sweep files')
    .action(() => void print(JSON.stringify(sweepJsonSchema(), null, 2)));
  config
    .command('check <files...>')
    .description('validate sweep files')
    .action(async (files: string[]) => {
      for (const f of files) {
        await loadSweepFile(f);
        print(`${f}: ok`);
      }
    });
}
