/**
 * `toa report <sweepId> [--out dir] [--tree <promptId>]`: locates the sweep's folders with
 * findSweep (the local sweep index) and builds the report. Default output folder:
 * `<output>/<sweepId>/report`, next to the sweep's records.
 */
import * as path from 'node:path';
import { findSweep } from '../client/sweepIndex';
import { buildReport, type ReportSummary } from './buildReport';

export interface ReportCommandOptions {
  out?: string;
  /** Prompt id whose TOA tree is shown. */
  tree?: string;
  /** false: SVG only (no PNG). */
  png?: boolean;
}

export async function runReportCommand(
  sweepId: string,
  opts: ReportCommandOptions = {},
  log: (line: string) => void = (l) => console.log(l),
): Promise<ReportSummary> {
  const entry = await findSweep(sweepId);
  const summary = await buildReport({
    recordsDir: entry.recordsDir,
    storeRoot: entry.storeRoot,
    sweepFile: entry.file,
    outDir: opts.out ?? path.join(path.dirname(entry.recordsDir), 'report'),
    treePromptId: opts.tree,
    png: opts.png,
  });
  for (const line of formatReportSummary(summary)) log(line);
  return summary;
}

export function formatReportSummary(s: ReportSummary): string[] {
  const lines = [`report of ${s.records} prompt records (${s.methods.join(', ')}) in ${s.outDir}`, `  ${s.html}`];
  for (const f of s.figures) lines.push(`  ${f.name}.svg${f.png ? ` / ${f.name}.png` : ''}`);
  lines.push(`  ${s.summaryJson}`);
  if (s.tree)
    lines.push(`  tree view: prompt ${s.tree.promptId} (${s.tree.method}, budget ${s.tree.budget}, seed ${s.tree.seed})`);
  return lines;
}
