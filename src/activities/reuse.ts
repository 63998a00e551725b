/**
 * Whether a job's existing record may be reused: its stored workflow ID must be the job's, and
 * its digests must match what the job would run with now. Shared by the sweep's paging activity
 * (per page) and `toa sweep start`/`retry` (the whole dataset, before starting).
 */
import type { PromptRecord } from '../common/records';
import type { DigestName, RecordDigests } from '../common/reuse';
import { readRecord, RecordFileError } from '../store/records';
import { changedDigests } from './digests';

export type RecordVerdict =
  | { kind: 'none' }
  /** The record was produced with exactly these inputs (or the sweep has no digests to compare: release 0.1 plans). */
  | { kind: 'reuse'; record: PromptRecord; path: string }
  /** Produced with other inputs: `changed` names them. */
  | { kind: 'changed'; record: PromptRecord; path: string; changed: DigestName[] }
  /** Written before records carried digests: what produced it is unknown. */
  | { kind: 'unverified'; record: PromptRecord; path: string }
  /** Not a record (bad JSON, wrong shape): the job runs again; its generations are reused from the store's memos. */
  | { kind: 'damaged'; path: string; message: string };

/** Reads and judges one job's record. Throws RecordFileError (kind 'io') when the read itself fails. */
export async function judgeRecord(recordsDir: string, workflowId: string, expected: RecordDigests | undefined): Promise<RecordVerdict> {
  let entry;
  try {
    entry = await readRecord<PromptRecord>(recordsDir, workflowId);
  } catch (err) {
    if (err instanceof RecordFileError && err.kind === 'damaged') return { kind: 'damaged', path: err.path, message: err.message };
    throw err;
  }
  if (!entry) return { kind: 'none' };
  const { record, path } = entry;
  if (!expected) return { kind: 'reuse', record, path };
  if (!record.digests) return { kind: 'unverified', record, path };
  const changed = changedDigests(expected, record.digests);
  return changed.length === 0 ? { kind: 'reuse', record, path } : { kind: 'changed', record, path, changed };
}
