/**
 * The `toa` command: registers one module per command (./commands); each is a thin layer over a
 * module that does the work, so the same code serves the CLI, the demo and the tests.
 */
import { Command, Option } from 'commander';
import { registerConfigCommands } from './commands/config';
import { registerDemoCommand } from './commands/demo';
import { registerExportCommand } from './commands/export';
import { registerModelCommands } from './commands/model';
import { registerReportCommand } from './commands/report';
import { registerRunCommand } from './commands/run';
import { registerServerCommands } from './commands/server';
import { registerSweepCommands } from './commands/sweep';
import { registerWorkerCommand } from './commands/worker';

/** The `toa` program with every command registered (the documented-commands test walks it). */
export function buildProgram(): Command {
  const program = new Command('toa')
    .description('Multi-agent sampling with tree search (TOA) for data synthesis, as durable Temporal workflows')
    .showHelpAfterError();
  registerServerCommands(program);
  registerWorkerCommand(program);
  registerRunCommand(program);
  registerSweepCommands(program);
  registerConfigCommands(program);
  registerModelCommands(program);
  registerExportCommand(program);
  registerReportCommand(program);
  registerDemoCommand(program);
  program.addOption(new Option('--debug', 'print stack traces').hideHelp());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
