/** `toa model serve`: a GGUF model as an OpenAI-compatible endpoint on the CPU. */
import type { Command } from 'commander';
import { runModelServe } from '../../model/cli';
import { int } from './options';

export function registerModelCommands(program: Command): void {
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
    .action(async (o) => void (await runModelServe(o)));
}
