/** `toa export`: a sweep's records as training data (TRL conventions), JSONL and/or Parquet. */
import type { Command } from 'commander';
import { runExportCommand } from '../../export/command';
import { print } from './options';

export function registerExportCommand(program: Command): void {
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
    .action(async (id: string, o) => void (await runExportCommand(id, o, print)));
}
