/**
 * `exportSweep`: a sweep's records → training files (SFT, DPO, responses, trees) as JSONL and/or
 * Parquet, plus a Hugging Face dataset card (README.md) in the output folder.
 *
 * Files: one per (format, method, budget, seed) by default, named
 * `<format>.<method>.b<budget>.s<seed>.<jsonl|parquet>` (e.g. `sft.toa.b160.s0.jsonl`); with
 * `split: false`, one per format (`sft.jsonl`), rows told apart by their method/budget/seed
 * columns. `method` / `budget` / `seed` restrict the export to matching records. Empty tables
 * (e.g. trees of a method without a tree) are not written.
 *
 * JSONL is streamed row by row; Parquet tables are built in memory one file at a time.
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeDatasetCard } from './card';
import { withEsm, type EsmBridge } from './esm';
import {
  combinationsOf,
  comboKey,
  compareCombinations,
  loadSweepData,
  TextCache,
  type Combination,
  type LoadedRecord,
  type RecordFilter,
  type SweepSource,
} from './load';
import {
  COLUMNS,
  DEFAULT_REJECTED_RANK,
  EXPORT_FORMATS,
  dpoRow,
  pickPreference,
  responseRows,
  sftRow,
  treeRow,
  type DpoSkip,
  type ExportFormat,
  type Row,
} from './rows';
import { normalizeRow, parquetSchema, toColumns } from './schema';

export type FileType = 'jsonl' | 'parquet';

export interface ExportOptions extends SweepSource, RecordFilter {
  outDir: string;
  formats: ExportFormat[];
  /** Default ['jsonl']. */
  fileTypes?: FileType[];
  /** 1-based rank of the DPO rejected response (default 30, as the paper). */
  rejectedRank?: number;
  /** One file per (format, method, budget, seed) (default true) or one per format. */
  split?: boolean;
}

export interface ExportedFile {
  format: ExportFormat;
  fileType: FileType;
  /** Absolute path. */
  path: string;
  /** File name inside outDir. */
  name: string;
  rows: number;
  /** The run it holds (split mode); absent when one file holds several runs. */
  combination?: Combination;
}

export interface ExportSummary {
  outDir: string;
  files: ExportedFile[];
  /** Path of the dataset card (README.md). */
  card: string;
  /** Records read (after filtering). */
  records: number;
  combinations: Combination[];
  rejectedRank: number;
  sft: { rows: number; missingBest: number };
  dpo: {
    rows: number;
    skipped: Record<DpoSkip, number>;
    /** Rows whose prompt had fewer than rejectedRank responses: rejected = the last-ranked one. */
    fallbackToLast: number;
  };
  responses: { rows: number };
  trees: { rows: number; withoutTree: number };
}

interface Table {
  format: ExportFormat;
  name: string;
  combination?: Combination;
  rows: number;
  jsonl?: { tmp: string; stream: NodeJS.WritableStream & { close(cb?: () => void): void } };
  parquetRows?: Row[];
}

export async function exportSweep(opts: ExportOptions): Promise<ExportSummary> {
  const formats = unique(opts.formats);
  const fileTypes = unique(opts.fileTypes?.length ? opts.fileTypes : (['jsonl'] as FileType[]));
  for (const f of formats)
    if (!EXPORT_FORMATS.includes(f)) throw new Error(`unknown export format "${f}" (expected ${EXPORT_FORMATS.join(', ')})`);
  for (const t of fileTypes)
    if (t !== 'jsonl' && t !== 'parquet') throw new Error(`unknown file type "${t}" (expected jsonl or parquet)`);
  if (formats.length === 0) throw new Error('nothing to export: give at least one format (sft, dpo, responses, trees)');
  const rejectedRank = opts.rejectedRank ?? DEFAULT_REJECTED_RANK;
  if (!Number.isInteger(rejectedRank) || rejectedRank < 2)
    throw new Error(`rejectedRank must be an integer ≥ 2, got ${rejectedRank}`);
  const split = opts.split ?? true;

  const data = await loadSweepData(opts, { method: opts.method, budget: opts.budget, seed: opts.seed });
  if (data.records.length === 0) {
    const f = [
      opts.method && `method ${opts.method}`,
      opts.budget !== undefined && `budget ${opts.budget}`,
      opts.seed !== undefined && `seed ${opts.seed}`,
    ].filter(Boolean);
    throw new Error(`no prompt records in ${opts.recordsDir}${f.length ? ` matching ${f.join(', ')}` : ''}`);
  }
  const outDir = path.resolve(opts.outDir);
  await fsp.mkdir(outDir, { recursive: true });
  const texts = new TextCache(data.store);

  const summary: ExportSummary = {
    outDir,
    files: [],
    card: path.join(outDir, 'README.md'),
    records: data.records.length,
    combinations: combinationsOf(data.records),
    rejectedRank,
    sft: { rows: 0, missingBest: 0 },
    dpo: { rows: 0, skipped: { 'single-response': 0, tie: 0 }, fallbackToLast: 0 },
    responses: { rows: 0 },
    trees: { rows: 0, withoutTree: 0 },
  };

  // Records are sorted by combination, so in split mode each group is written and closed in turn.
  const groups = new Map<string, LoadedRecord[]>();
  for (const r of data.records) {
    const key = split ? comboKey(r) : '*';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }

  await withEsm(async (esm) => {
    for (const group of groups.values()) {
      const combination = split ? { method: group[0]!.method, budget: group[0]!.budget, seed: group[0]!.seed } : undefined;
      const tables = new Map<ExportFormat, Table>();
      const table = (format: ExportFormat): Table => {
        let t = tables.get(format);
        if (!t) {
          const name = combination ? `${format}.${combination.method}.b${combination.budget}.s${combination.seed}` : format;
          t = { format, name, combination, rows: 0 };
          if (fileTypes.includes('jsonl')) {
            const tmp = path.join(outDir, `.${name}.jsonl.${process.pid}.tmp`);
            t.jsonl = { tmp, stream: createWriteStream(tmp, { encoding: 'utf8' }) };
          }
          if (fileTypes.includes('parquet')) t.parquetRows = [];
          tables.set(format, t);
        }
        return t;
      };
      const add = async (format: ExportFormat, row: Row): Promise<void> => {
        const t = table(format);
        const norm = normalizeRow(COLUMNS[format], row);
        t.rows++;
        if (t.jsonl && !t.jsonl.stream.write(`${JSON.stringify(norm)}\n`)) {
          await new Promise<void>((resolve) => t.jsonl!.stream.once('drain', () => resolve()));
        }
        t.parquetRows?.push(norm);
      };
      try {
        for (const r of group) {
          if (formats.includes('sft')) {
            const row = await sftRow(r, texts);
            if (row) {
              await add('sft', row);
              summary.sft.rows++;
            } else summary.sft.missingBest++;
          }
          if (formats.includes('dpo')) {
            const pick = pickPreference(r.result.responses, rejectedRank);
            if (pick.ok) {
              await add('dpo', await dpoRow(r, pick, texts));
              summary.dpo.rows++;
              if (pick.fallback) summary.dpo.fallbackToLast++;
            } else summary.dpo.skipped[pick.reason]++;
          }
          if (formats.includes('responses')) {
            for (const row of await responseRows(r, texts)) await add('responses', row);
            summary.responses.rows += r.result.responses.length;
          }
          if (formats.includes('trees')) {
            const row = await treeRow(r, texts);
            if (row) {
              await add('trees', row);
              summary.trees.rows++;
            } else summary.trees.withoutTree++;
          }
        }
        for (const format of formats) {
          const t = tables.get(format);
          if (t) summary.files.push(...(await finishTable(t, outDir, esm)));
        }
      } finally {
        for (const t of tables.values()) {
          if (t.jsonl) {
            await closeStream(t.jsonl.stream);
            await fsp.rm(t.jsonl.tmp, { force: true });
          }
        }
      }
    }
  });

  summary.files.sort(
    (a, b) =>
      EXPORT_FORMATS.indexOf(a.format) - EXPORT_FORMATS.indexOf(b.format) ||
      (a.combination && b.combination ? compareCombinations(a.combination, b.combination) : 0) ||
      a.fileType.localeCompare(b.fileType),
  );
  await writeDatasetCard(summary, data, opts);
  return summary;
}

async function finishTable(t: Table, outDir: string, esm: EsmBridge): Promise<ExportedFile[]> {
  const out: ExportedFile[] = [];
  const base = { format: t.format, rows: t.rows, ...(t.combination ? { combination: t.combination } : {}) };
  if (t.jsonl) {
    await closeStream(t.jsonl.stream);
    const file = path.join(outDir, `${t.name}.jsonl`);
    await fsp.rename(t.jsonl.tmp, file);
    out.push({ ...base, fileType: 'jsonl', path: file, name: path.basename(file) });
  }
  if (t.parquetRows) {
    const columns = COLUMNS[t.format];
    const bytes = await esm.writeParquet(toColumns(columns, t.parquetRows), parquetSchema(columns), [
      { key: 'toa-temporal.format', value: t.format },
    ]);
    const file = path.join(outDir, `${t.name}.parquet`);
    const tmp = `${file}.${process.pid}.tmp`;
    await fsp.writeFile(tmp, bytes);
    await fsp.rename(tmp, file);
    t.parquetRows = [];
    out.push({ ...base, fileType: 'parquet', path: file, name: path.basename(file) });
  }
  return out;
}

function closeStream(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = stream as NodeJS.WritableStream & { closed?: boolean; writableFinished?: boolean };
    if (s.closed || s.writableFinished) return resolve();
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
