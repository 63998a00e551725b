/**
 * `toa export <sweepId> --format sft|dpo|responses|trees [--parquet] [--out dir]`: locates the
 * sweep's folders with findSweep (the local sweep index) and exports. Default output folder:
 * `<output>/<sweepId>/export`, next to the sweep's records.
 */
import * as path from 'node:path';
import { findSweep } from '../client/sweepIndex';
import { exportSweep, type ExportSummary, type FileType } from './exportSweep';
import { EXPORT_FORMATS, type ExportFormat } from './rows';

export interface ExportCommandOptions {
  /** One or several formats; a comma-separated string is accepted ("sft,dpo"). Default: sft. */
  format?: string | string[];
  /** Write Parquet files (in addition to JSONL unless `jsonl` is false). */
  parquet?: boolean;
  /** Write JSONL files (default true). */
  jsonl?: boolean;
  /** Output folder (default `<output>/<sweepId>/export`). */
  out?: string;
  method?: string;
  budget?: number | string;
  seed?: number | string;
  /** DPO rejected rank (default 30). */
  rejectedRank?: number | string;
  /** false: one file per format instead of one per (format, method, budget, seed). */
  split?: boolean;
}

export function parseFormats(format: string | string[] | undefined): ExportFormat[] {
  const list = (Array.isArray(format) ? format : [format ?? 'sft'])
    .flatMap((f) => f.split(','))
    .map((f) => f.trim())
    .filter(Boolean);
  for (const f of list) {
    if (!EXPORT_FORMATS.includes(f as ExportFormat))
      throw new Error(`unknown format "${f}": expected one of ${EXPORT_FORMATS.join(', ')}`);
  }
  return list as ExportFormat[];
}

function intOption(name: string, v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, got "${v}"`);
  return n;
}

export async function runExportCommand(
  sweepId: string,
  opts: ExportCommandOptions = {},
  log: (line: string) => void = (l) => console.log(l),
): Promise<ExportSummary> {
  const entry = await findSweep(sweepId);
  const fileTypes: FileType[] = [];
  if (opts.jsonl !== false) fileTypes.push('jsonl');
  if (opts.parquet) fileTypes.push('parquet');
  if (fileTypes.length === 0) throw new Error('nothing to write: --no-jsonl needs --parquet');
  const summary = await exportSweep({
    recordsDir: entry.recordsDir,
    storeRoot: entry.storeRoot,
    sweepFile: entry.file,
    outDir: opts.out ?? path.join(path.dirname(entry.recordsDir), 'export'),
    formats: parseFormats(opts.format),
    fileTypes,
    method: opts.method,
    budget: intOption('budget', opts.budget),
    seed: intOption('seed', opts.seed),
    rejectedRank: intOption('rejected-rank', opts.rejectedRank),
    split: opts.split,
  });
  for (const line of formatExportSummary(summary)) log(line);
  return summary;
}

/** Human lines: where files went, rows, DPO skips. */
export function formatExportSummary(s: ExportSummary): string[] {
  const lines = [`exported ${s.records} prompt records (${s.combinations.length} runs) to ${s.outDir}`];
  for (const f of s.files) lines.push(`  ${f.name}  ${f.rows} rows`);
  if (s.files.some((f) => f.format === 'dpo') || s.dpo.rows + s.dpo.skipped.tie + s.dpo.skipped['single-response'] > 0) {
    lines.push(
      `  dpo: ${s.dpo.rows} rows, rejected = rank ${s.rejectedRank}` +
        (s.dpo.fallbackToLast ? `; ${s.dpo.fallbackToLast} prompts had fewer responses, rejected = their last-ranked one` : '') +
        `; skipped ${s.dpo.skipped['single-response']} with a single response, ${s.dpo.skipped.tie} where chosen and rejected tie`,
    );
  }
  if (s.trees.withoutTree && s.trees.rows + s.trees.withoutTree > 0 && s.files.some((f) => f.format === 'trees')) {
    lines.push(`  trees: ${s.trees.rows} rows; ${s.trees.withoutTree} records without a tree (non-TOA methods) left out`);
  }
  if (s.sft.missingBest) lines.push(`  sft: ${s.sft.missingBest} records without a best response left out`);
  lines.push(`  dataset card: ${s.card}`);
  return lines;
}
