/** `toa report`: scaling curves and an HTML report of a sweep. */
import type { Command } from 'commander';
import { runReportCommand } from '../../report/command';
import { print } from './options';

export function registerReportCommand(program: Command): void {
  program
    .command('report <id>')
    .description('scaling curves (SVG, PNG) and a self-contained HTML report')
    .option('--out <dir>', 'output folder (default: <output>/<id>/report)')
    .option('--tree <promptId>', 'prompt whose TOA tree is shown')
    .option('--no-png', 'SVG only')
    .action(async (id: string, o) => void (await runReportCommand(id, o, print)));
}
