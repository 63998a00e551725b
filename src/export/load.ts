/**
 * Reading a sweep's results for export and report: the prompt records (one per finished prompt
 * workflow), streamed one at a time so memory does not grow with the sweep; the texts records
 * of earlier releases only reference, and the prompts; and, when known, the sweep file.
 */
import * as path from 'node:path';
import { loadSweepFile, type LoadedSweep } from '../config/load';
import { iterateRecords, openStore, type TextStore } from '../store';
import type { MethodSpec } from '../search/methods';
import type { PromptRecord } from '../common/records';

export interface SweepSource {
  /** Folder of record files (`<2 hex>/<encoded workflowId>.json`). */
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

/** What a sweep's records are read with: its store (prompt texts) and sweep file. */
export interface SweepContext {
  sweep?: LoadedSweep;
  store: TextStore;
}

/** What the dataset card needs: the sweep file and a tally of the records exported. */
export interface SweepData {
  sweep?: LoadedSweep;
  tally: RecordTally;
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

/** The store and sweep file of a sweep's results. */
export async function openSweepContext(src: SweepSource): Promise<SweepContext> {
  const sweep = src.sweepFile ? await loadSweepFile(src.sweepFile) : undefined;
  return { sweep, store: openStore({ kind: 'fs', root: path.resolve(src.storeRoot) }) };
}

/**
 * Every prompt record of the sweep that matches `filter`, one at a time, in the records folder's
 * order (subfolder, then file name: deterministic, not sorted by prompt). A file that is not a
 * prompt record is an error naming the file (the records folder holds nothing else).
 */
export async function* sweepRecords(src: Pick<SweepSource, 'recordsDir'>, filter: RecordFilter = {}): AsyncGenerator<LoadedRecord> {
  for await (const e of iterateRecords<PromptRecord>(src.recordsDir)) {
    if (!isPromptRecord(e.record)) {
      throw new Error(`${e.path} is not a prompt record (expected promptId, method, budget, seed and result.responses)`);
    }
    if (matches(e.record, filter)) yield { ...e.record, workflowId: e.record.workflowId ?? e.workflowId, recordFile: e.path };
  }
}

/**
 * What export and report say about a set of records, counted as they stream by (no record is
 * kept): runs, methods, budgets, seeds, agents. `prompts` is the largest number of prompts one
 * run (method, budget, seed) has: the dataset's size once a sweep is complete; counting
 * distinct prompt ids over all runs would need memory growing with the dataset.
 */
export class RecordTally {
  records = 0;
  /** Method label → its spec (the first record's). */
  readonly methods = new Map<string, MethodSpec>();
  readonly budgets = new Set<number>();
  readonly seeds = new Set<number>();
  readonly agents = new Set<string>();
  /** Method labels of TOA runs. */
  readonly toaMethods = new Set<string>();
  private readonly runs = new Map<string, { combination: Combination; prompts: number }>();

  add(r: PromptRecord): void {
    this.records += 1;
    if (!this.methods.has(r.method)) this.methods.set(r.method, r.methodSpec);
    if (r.methodSpec?.type === 'toa') this.toaMethods.add(r.method);
    this.budgets.add(r.budget);
    this.seeds.add(r.seed);
    for (const x of r.result.responses) this.agents.add(x.agent);
    const key = comboKey(r);
    const run = this.runs.get(key);
    if (run) run.prompts += 1;
    else this.runs.set(key, { combination: { method: r.method, budget: r.budget, seed: r.seed }, prompts: 1 });
  }

  /** The distinct (method, budget, seed) runs, sorted. */
  combinations(): Combination[] {
    return [...this.runs.values()].map((r) => r.combination).sort(compareCombinations);
  }

  /** Prompts of the largest run. */
  get prompts(): number {
    let n = 0;
    for (const r of this.runs.values()) n = Math.max(n, r.prompts);
    return n;
  }
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

/**
 * Reads texts through a small cache (a prompt is shared by every method, budget and seed), the
 * least recently used dropped first once the cached texts exceed `maxChars` in total.
 */
export class TextCache {
  private readonly cache = new Map<string, { text: Promise<string>; chars: number }>();
  private chars = 0;
  constructor(
    private readonly store: TextStore,
    private readonly maxChars = 4 * 1024 * 1024,
  ) {}

  get(key: string, what: string): Promise<string> {
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key); // most recently used last
      this.cache.set(key, hit);
      return hit.text;
    }
    const entry = {
      chars: 0,
      text: this.store.get(key).catch((err: unknown) => {
        this.forget(key);
        throw new Error(`cannot read ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }),
    };
    this.cache.set(key, entry);
    void entry.text.then(
      (t) => {
        if (this.cache.get(key) !== entry) return;
        // an entry's own overhead counts too, so many tiny texts are bounded as well
        entry.chars = t.length + 256;
        this.chars += entry.chars;
        for (const [k] of this.cache) {
          if (this.chars <= this.maxChars || k === key) break;
          this.forget(k);
        }
      },
      () => undefined,
    );
    return entry.text;
  }

  private forget(key: string): void {
    const e = this.cache.get(key);
    if (!e) return;
    this.cache.delete(key);
    this.chars -= e.chars;
  }
}

/** A response's text: in the record since this release, else in the store (records of earlier releases). */
export function responseText(r: LoadedRecord, x: { id: string; ref: string; text?: string }, texts: TextCache): Promise<string> {
  return typeof x.text === 'string' ? Promise.resolve(x.text) : texts.get(x.ref, `response ${x.id} of ${r.workflowId}`);
}
