/**
 * The `writePromptRecord` activity: rebuilds a finished prompt's record from its trace and the
 * plays' memos and writes it atomically, keyed by the workflow ID. Idempotent.
 *
 * A record it replaces that was produced with other inputs (other digests, or none: an older
 * release), or that is damaged, is first copied to `records/.superseded/`: re-running a changed
 * job (`--rerun-changed`) loses nothing.
 */
import { failure } from '../common/failures';
import { summaryOf, type PromptRecord, type PromptSummary } from '../common/records';
import { canonicalJson } from '../common/canonicalJson';
import { keepRecordAside, readRecord, RecordFileError, writeRecordAtomic } from '../store/records';
import { buildPromptRecord } from './promptRecord';
import { storeFor } from './texts';
import type { WritePromptRecordInput } from './types';

export async function writePromptRecord(input: WritePromptRecordInput): Promise<{ path: string; summary: PromptSummary }> {
  const record = await buildPromptRecord(input, storeFor(input.store));
  try {
    await keepReplacedRecord(input.recordsDir, record);
    const { path } = await writeRecordAtomic(input.recordsDir, record.workflowId, record);
    return { path, summary: summaryOf(record, path) };
  } catch (err) {
    // The records folder is a disk: its errors may pass (retry); the message names the file.
    throw failure('StoreIO', (err as Error).message, { cause: err as Error });
  }
}

async function keepReplacedRecord(dir: string, record: PromptRecord): Promise<void> {
  let existing;
  try {
    existing = await readRecord<PromptRecord>(dir, record.workflowId);
  } catch (err) {
    if (err instanceof RecordFileError && err.kind === 'damaged') {
      await keepRecordAside(err.path);
      return;
    }
    throw err;
  }
  if (existing && canonicalJson(existing.record.digests) !== canonicalJson(record.digests)) await keepRecordAside(existing.path);
}
