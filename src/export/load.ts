/**
 * Reading a sweep's results for export and report: the prompt records (one per finished prompt
 * workflow), the texts they reference, and, when known, the sweep file.
 */
import * as path from 'node:path';
import { loadSweepFile, type LoadedSweep } from '../config/load';
import { openStore, readRecords, type TextStore } from '../store';
import type { PromptRecord } from '../common/records';

export interface SweepSource {
  /** Folder of record files (`<encoded workflowId>.json`). */
  recordsDir: string;
  /** Root of the fs response store holding prompt and response texts. */
  storeRoot: string;
  /** The sweep file, for the dataset card / report header (optional). */
  sweepFile?: string;
}

/** Selects a subset of records; unset fields match everything. */
export interface RecordFilter {
  method?: string;
  budget?: number;
  seed?: number;
}

export interface LoadedRecord extends PromptRecord {
  /** The record file it came from. */
  recordFile: string;
}

export interface SweepData {
  records: LoadedRecord[];
  sweep?: LoadedSweep;
  store: TextStore;
}

/** One (method, budget, seed) run of a sweep. */
export interface Combination {
  method: string;
  budget: number;
  seed: number;
}

function isPromptRecord(r: unknown): r is PromptRecord {
  const p = r as PromptRecord | undefined;
  return (
    !!p &&
    typeof p.promptId === 'string' &&
    typeof p.method === 'string' &&
    typeof p.budget === 'number' &&
    typeof p.seed === 'number' &&
    !!p.result &&
    Array.isArray(p.result.responses)
  );
}

/** Natural order of prompt ids ("2" before "10"). */
export function comparePromptIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export function compareCombinations(a: Combination, b: Combination): number {
  return a.method.localeCompare(b.method) || a.budget - b.budget || a.seed - b.seed;
}

export function matches(r: Combination, f: RecordFilter): boolean {
  return (
    (f.method === undefined || r.method === f.method) &&
    (f.budget === undefined || r.budget === f.budget) &&
    (f.seed === undefined || r.seed === f.seed)
  );
}

/**
 * Every prompt record of the sweep, sorted by (method, budget, seed, prompt id). A file that is
 * not a prompt record is an error naming the file (the records folder holds nothing else).
 */
export async function loadSweepData(src: SweepSource, filter: RecordFilter = {}): Promise<SweepData> {
  const entries = await readRecords<PromptRecord>(src.recordsDir);
  const records: LoadedRecord[] = [];
  for (const e of entries) {
    if (!isPromptRecord(e.record)) {
      throw new Error(`${e.path} is not a prompt record (expected promptId, method, budget, seed and result.responses)`);
    }
    if (matches(e.record, filter))
      records.push({ ...e.record, workflowId: e.record.workflowId ?? e.workflowId, recordFile: e.path });
  }
  records.sort(
    (a, b) => compareCombinations(a, b) || comparePromptIds(a.promptId, b.promptId) || a.workflowId.localeCompare(b.workflowId),
  );
  const sweep = src.sweepFile ? await loadSweepFile(src.sweepFile) : undefined;
  const store = openStore({ kind: 'fs', root: path.resolve(src.storeRoot) });
  return { records, sweep, store };
}

/** The distinct combinations present, in sorted order. */
export function combinationsOf(records: Combination[]): Combination[] {
  const seen = new Map<string, Combination>();
  for (const r of records) {
    const key = comboKey(r);
    if (!seen.has(key)) seen.set(key, { method: r.method, budget: r.budget, seed: r.seed });
  }
  return [...seen.values()].sort(compareCombinations);
}

export function comboKey(c: Combination): string {
  return `${c.method}\u0000${c.budget}\u0000${c.seed}`;
}

/** Reads texts through a small cache (a prompt is shared by every method, budget and seed). */
export class TextCache {
  private readonly cache = new Map<string, Promise<string>>();
  constructor(private readonly store: TextStore) {}

  get(key: string, what: string): Promise<string> {
    let p = this.cache.get(key);
    if (!p) {
      p = this.store.get(key).catch((err: unknown) => {
        throw new Error(`cannot read ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      });
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, p);
    }
    return p;
  }
}
