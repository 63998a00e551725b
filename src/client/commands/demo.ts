/** `toa demo`: the demo sweep on a local SmolLM2 model, embedded server and worker included. */
import * as path from 'node:path';
import type { Command } from 'commander';
import { runDemo } from '../demo';
import { int } from './options';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the demo sweep on a local SmolLM2 model: no API key, no internet')
    .option('--file <file>', 'demo sweep file', path.join(__dirname, '..', '..', '..', 'examples', 'demo.yaml'))
    .option('--prompts <n>', "number of prompts (default: the file's limit)", int('--prompts'))
    .option('--budgets <list>', "comma-separated budgets (default: the file's)", (v: string) => v.split(',').map(int('--budgets')))
    .option('--output <dir>', "output folder (default: the file's)")
    .option('--threads <n>', 'CPU threads for the model', int('--threads'))
    .option('--parallel <n>', 'sequences the model serves at once', int('--parallel'))
    .action(runDemo);
}
