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
 * Memory does not grow with the sweep: records are read one at a time and each row is appended
 * to its table's JSONL file as it is made. Parquet files are written afterwards, one at a time,
 * from those JSONL files, a row group (at most PARQUET_GROUP_ROWS rows or about
 * PARQUET_GROUP_CHARS characters) at a time. Rows follow the records folder's order.
 */
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { writeDatasetCard } from './card';
import { withEsm, type EsmBridge } from './esm';
import {
  comboKey,
  compareCombinations,
  openSweepContext,
  RecordTally,
  sweepRecords,
  TextCache,
  type Combination,
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

/** Rows per Parquet row group (fewer when the rows are long: see PARQUET_GROUP_CHARS). */
export const PARQUET_GROUP_ROWS = 10_000;
/** A row group is closed once its rows' JSON reaches this many characters. */
export const PARQUET_GROUP_CHARS = 16 * 1024 * 1024;

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
  /** Every row as JSONL, as it is made: the JSONL file itself, and the source of the Parquet one. */
  tmp: string;
  stream: NodeJS.WritableStream & { close(cb?: () => void): void };
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

  const context = await openSweepContext(opts);
  const outDir = path.resolve(opts.outDir);
  const texts = new TextCache(context.store);
  const tally = new RecordTally();
  const summary: ExportSummary = {
    outDir,
    files: [],
    card: path.join(outDir, 'README.md'),
    records: 0,
    combinations: [],
    rejectedRank,
    sft: { rows: 0, missingBest: 0 },
    dpo: { rows: 0, skipped: { 'single-response': 0, tie: 0 }, fallbackToLast: 0 },
    responses: { rows: 0 },
    trees: { rows: 0, withoutTree: 0 },
  };

  // Tables open as their first row comes (records arrive in folder order, runs interleaved).
  const tables = new Map<string, Table>();
  const table = async (format: ExportFormat, c: Combination): Promise<Table> => {
    const key = `${format}\u0000${split ? comboKey(c) : ''}`;
    let t = tables.get(key);
    if (!t) {
      const combination = split ? { method: c.method, budget: c.budget, seed: c.seed } : undefined;
      const name = combination ? `${format}.${combination.method}.b${combination.budget}.s${combination.seed}` : format;
      if (tables.size === 0) await fsp.mkdir(outDir, { recursive: true });
      const tmp = path.join(outDir, `.${name}.jsonl.${process.pid}.tmp`);
      t = { format, name, combination, rows: 0, tmp, stream: createWriteStream(tmp, { encoding: 'utf8' }) };
      tables.set(key, t);
    }
    return t;
  };
  const add = async (format: ExportFormat, c: Combination, row: Row): Promise<void> => {
    const t = await table(format, c);
    t.rows++;
    if (!t.stream.write(`${JSON.stringify(normalizeRow(COLUMNS[format], row))}\n`)) {
      await new Promise<void>((resolve) => t.stream.once('drain', () => resolve()));
    }
  };

  try {
    for await (const r of sweepRecords(opts, { method: opts.method, budget: opts.budget, seed: opts.seed })) {
      tally.add(r);
      if (formats.includes('sft')) {
        const row = await sftRow(r, texts);
        if (row) {
          await add('sft', r, row);
          summary.sft.rows++;
        } else summary.sft.missingBest++;
      }
      if (formats.includes('dpo')) {
        const pick = pickPreference(r.result.responses, rejectedRank);
        if (pick.ok) {
          await add('dpo', r, await dpoRow(r, pick, texts));
          summary.dpo.rows++;
          if (pick.fallback) summary.dpo.fallbackToLast++;
        } else summary.dpo.skipped[pick.reason]++;
      }
      if (formats.includes('responses')) {
        for (const row of await responseRows(r, texts)) await add('responses', r, row);
        summary.responses.rows += r.result.responses.length;
      }
      if (formats.includes('trees')) {
        const row = await treeRow(r, texts);
        if (row) {
          await add('trees', r, row);
          summary.trees.rows++;
        } else summary.trees.withoutTree++;
      }
    }
    if (tally.records === 0) {
      const f = [
        opts.method && `method ${opts.method}`,
        opts.budget !== undefined && `budget ${opts.budget}`,
        opts.seed !== undefined && `seed ${opts.seed}`,
      ].filter(Boolean);
      throw new Error(`no prompt records in ${opts.recordsDir}${f.length ? ` matching ${f.join(', ')}` : ''}`);
    }
    for (const t of tables.values()) await closeStream(t.stream);
    const ordered = [...tables.values()].sort(
      (a, b) =>
        EXPORT_FORMATS.indexOf(a.format) - EXPORT_FORMATS.indexOf(b.format) ||
        (a.combination && b.combination ? compareCombinations(a.combination, b.combination) : 0),
    );
    await withEsm(async (esm) => {
      for (const t of ordered) summary.files.push(...(await finishTable(t, outDir, fileTypes, esm)));
    });
  } finally {
    for (const t of tables.values()) {
      await closeStream(t.stream).catch(() => undefined);
      await fsp.rm(t.tmp, { force: true });
    }
  }

  summary.records = tally.records;
  summary.combinations = tally.combinations();
  summary.files.sort(
    (a, b) =>
      EXPORT_FORMATS.indexOf(a.format) - EXPORT_FORMATS.indexOf(b.format) ||
      (a.combination && b.combination ? compareCombinations(a.combination, b.combination) : 0) ||
      a.fileType.localeCompare(b.fileType),
  );
  await writeDatasetCard(summary, { sweep: context.sweep, tally }, opts);
  return summary;
}

/** A table's files: its JSONL (renamed into place) and/or its Parquet (written from the JSONL, a row group at a time). */
async function finishTable(t: Table, outDir: string, fileTypes: FileType[], esm: EsmBridge): Promise<ExportedFile[]> {
  const out: ExportedFile[] = [];
  const base = { format: t.format, rows: t.rows, ...(t.combination ? { combination: t.combination } : {}) };
  if (fileTypes.includes('parquet')) {
    const file = path.join(outDir, `${t.name}.parquet`);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await writeParquetFromJsonl(t.tmp, tmp, t.format, esm);
      await fsp.rename(tmp, file);
    } finally {
      await fsp.rm(tmp, { force: true });
    }
    out.push({ ...base, fileType: 'parquet', path: file, name: path.basename(file) });
  }
  if (fileTypes.includes('jsonl')) {
    const file = path.join(outDir, `${t.name}.jsonl`);
    await fsp.rename(t.tmp, file);
    out.push({ ...base, fileType: 'jsonl', path: file, name: path.basename(file) });
  }
  return out;
}

async function writeParquetFromJsonl(source: string, target: string, format: ExportFormat, esm: EsmBridge): Promise<void> {
  const columns = COLUMNS[format];
  const id = await esm.openParquet(target, parquetSchema(columns), [{ key: 'toa-temporal.format', value: format }]);
  let closed = false;
  try {
    let group: Row[] = [];
    let chars = 0;
    const lines = createInterface({ input: createReadStream(source, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.length === 0) continue;
      group.push(JSON.parse(line) as Row);
      chars += line.length;
      if (group.length >= PARQUET_GROUP_ROWS || chars >= PARQUET_GROUP_CHARS) {
        await esm.appendParquet(id, toColumns(columns, group));
        group = [];
        chars = 0;
      }
    }
    if (group.length > 0) await esm.appendParquet(id, toColumns(columns, group));
    closed = true;
    await esm.closeParquet(id);
  } finally {
    if (!closed) await esm.closeParquet(id).catch(() => undefined);
  }
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
