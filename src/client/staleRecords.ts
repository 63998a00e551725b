/**
 * Before a sweep (re)starts: which of its jobs already have a record, and which of those were
 * produced with other inputs than the sweep would use now (an edited reward, agent, method
 * option, template, prompt or reference). Those are never reused silently: `toa sweep start` /
 * `retry` refuse with this report, or re-run them under `--rerun-changed`.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { MethodDigests, DigestName } from '../common/reuse';
import { jobKey, promptWorkflowId } from '../common/workflowIds';
import { methodLabelOf } from '../search/methods';
import { openStore } from '../store';
import { methodDigestTexts, jobDigests } from '../activities/digests';
import { judgeRecord } from '../activities/reuse';
import { allJobKeyParts, type SweepPlan } from '../workflows/sweepState';
import type { DatasetEntry } from './preflight';

export interface RecordCheck {
  /** Records that match: reused. */
  reusable: number;
  /** Records produced with other inputs, or without digests: one line per kind of change. */
  changes: string[];
  /** How many records the changes concern (each counted once). */
  changedRecords: number;
  /** Records without digests (written by release 0.1). */
  unverified: number;
  /** Damaged record files: their jobs run again (not a reason to refuse). */
  damaged: string[];
}

interface Group {
  count: number;
  /** For spec digests: the old digest → how many records. */
  old: Map<string, number>;
  /** For prompt / reference: dataset lines and ids. */
  lines: Array<{ line: number; id: string }>;
}

const WHAT: Record<DigestName, string> = {
  method: 'other method options',
  agents: 'other agents',
  reward: 'another reward',
  templates: 'other templates',
  prompt: 'another prompt text',
  reference: 'another reference text',
};

export async function checkRecords(plan: SweepPlan, sweepId: string, entries: DatasetEntry[], datasetFile: string): Promise<RecordCheck> {
  const out: RecordCheck = { reusable: 0, changes: [], changedRecords: 0, unverified: 0, damaged: [] };
  if (!existsSync(plan.recordsDir) || !plan.reuse) return out;
  const groups = new Map<string, Group>(); // `${method label}|${digest name}`
  const group = (k: string) => groups.get(k) ?? (groups.set(k, { count: 0, old: new Map(), lines: [] }), groups.get(k)!);
  const parts = allJobKeyParts(plan);
  for (const entry of entries) {
    for (const p of parts) {
      const key = jobKey(plan, p);
      const label = methodLabelOf(plan.methods[p.methodIndex]!);
      const expected = jobDigests(plan.reuse.digests[label]!, entry.prompt, entry.reference);
      const v = await judgeRecord(plan.recordsDir, promptWorkflowId(sweepId, key, entry.id), expected);
      if (v.kind === 'reuse') out.reusable += 1;
      else if (v.kind === 'damaged') out.damaged.push(v.path);
      else if (v.kind === 'unverified') out.unverified += 1;
      else if (v.kind === 'changed') {
        out.changedRecords += 1;
        for (const name of v.changed) {
          // Prompt texts by dataset line; reward and templates are the same for every method.
          const per = name === 'prompt' || name === 'reference' ? '' : name === 'reward' || name === 'templates' ? '*' : label;
          const g = group(`${per}|${name}`);
          g.count += 1;
          if (per) {
            const old = v.record.digests![name] as string;
            g.old.set(old, (g.old.get(old) ?? 0) + 1);
          } else if (!g.lines.some((l) => l.line === entry.line)) g.lines.push({ line: entry.line, id: entry.id });
        }
      }
    }
  }
  const store = openStore(plan.store);
  for (const [k, g] of groups) {
    const [label, name] = k.split('|') as [string, DigestName];
    const records = (of = '') => `${g.count} record${g.count === 1 ? '' : 's'}${of} ${g.count === 1 ? 'was' : 'were'}`;
    if (!label) {
      const shown = g.lines.slice(0, 8);
      out.changes.push(
        `${records()} produced from ${WHAT[name]} (${path.basename(datasetFile)} line${shown.length > 1 ? 's' : ''} ` +
          `${shown.map((l) => `${l.line} (id ${l.id})`).join(', ')}${g.lines.length > shown.length ? `, ... ${g.lines.length} lines` : ''})`,
      );
      continue;
    }
    const index = label === '*' ? 0 : plan.methods.findIndex((m) => methodLabelOf(m) === label);
    const details = await Promise.all([...g.old.keys()].slice(0, 2).map((old) => describeChange(store, plan, index, name, old)));
    const of = label === '*' ? '' : ` of ${label}`;
    out.changes.push(`${records(of)} produced with ${WHAT[name]} (${details.join('; ')}${g.old.size > 2 ? '; and earlier versions' : ''})`);
  }
  return out;
}

/** "reward.url: "a" → "b"", read from the old spec the record writer stored under its digest. */
async function describeChange(store: ReturnType<typeof openStore>, plan: SweepPlan, index: number, name: DigestName, oldDigest: string): Promise<string> {
  let oldText: string;
  try {
    oldText = await store.get(oldDigest);
  } catch {
    return `${name} changed (the earlier version is not in the store)`;
  }
  const now = methodDigestTexts({ method: plan.methods[index]!, agents: plan.agents, reward: plan.reward, templates: plan.templates })[name as keyof MethodDigests];
  const prefix = name === 'method' ? `methods[${index}]` : name;
  const keyed = (v: unknown) => (name === 'agents' && Array.isArray(v) ? Object.fromEntries(v.map((a: { name: string }) => [a.name, a])) : v);
  const diffs = diffValues(keyed(JSON.parse(oldText)), keyed(JSON.parse(now)), prefix, name === 'templates');
  return diffs.length === 0 ? `${prefix} changed` : diffs.slice(0, 4).join(', ') + (diffs.length > 4 ? ', ...' : '');
}

function show(v: unknown): string {
  if (v === undefined) return '(not set)';
  const s = JSON.stringify(v);
  return s.length > 48 ? `${s.slice(0, 45)}...` : s;
}

/** Paths where two JSON values differ, as `path: old → new` (or `path changed` for hashes). */
export function diffValues(a: unknown, b: unknown, at: string, opaque = false): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffValues(a[k], b[k], Array.isArray(a) ? `${at}[${k}]` : `${at}.${k}`, opaque));
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (opaque) return [`${at} ${a === undefined ? 'set' : b === undefined ? 'removed' : 'changed'}`];
  return [`${at}: ${show(a)} → ${show(b)}`];
}
