/**
 * The `writePromptRecord` activity: rebuilds a finished prompt's record (every response text
 * inline) from its trace and the plays' memos and writes it atomically, keyed by the workflow
 * ID; then the prompt's scope of the store is packed into the record and removed
 * (./playMemos.ts finishPrompt), so a finished prompt leaves its record, not files per play. The
 * best response also stays in the global texts (the summary's `bestRef` names it). Idempotent:
 * a retry after any crash rebuilds the same record (from the scope, or the pack once the scope
 * is gone) and finishes the clean-up.
 *
 * A record it replaces that was produced with other inputs (other digests, or none: an older
 * release), or that is damaged, is first copied to `records/.superseded/`: re-running a changed
 * job (`--rerun-changed`) loses nothing.
 */
import { failure } from '../common/failures';
import { summaryOf, type PromptRecord, type PromptSummary } from '../common/records';
import { canonicalJson } from '../common/canonicalJson';
import { keepRecordAside, readRecord, RecordFileError, writeRecordAtomic } from '../store/records';
import { finishPrompt } from './playMemos';
import { buildPromptRecord } from './promptRecord';
import { putText, storeFor } from './texts';
import type { WritePromptRecordInput } from './types';

export async function writePromptRecord(input: WritePromptRecordInput): Promise<{ path: string; summary: PromptSummary }> {
  const store = storeFor(input.store);
  const record = await buildPromptRecord(input, store);
  await putText(store, record.bestText, `the best response of ${record.workflowId}`);
  let path: string;
  try {
    await keepReplacedRecord(input.recordsDir, record);
    ({ path } = await writeRecordAtomic(input.recordsDir, record.workflowId, record));
  } catch (err) {
    // The records folder is a disk: its errors may pass (retry); the message names the file.
    throw failure('StoreIO', (err as Error).message, { cause: err as Error });
  }
  // Only once the record is durable: the scope is what it was built from.
  await finishPrompt(store, record.workflowId, path);
  return { path, summary: summaryOf(record, path) };
}

async function keepReplacedRecord(dir: string, record: PromptRecord): Promise<void> {
  let existing;
  try {
    existing = await readRecord<PromptRecord>(dir, record.workflowId);
  } catch (err) {
    if (err instanceof RecordFileError && err.kind === 'damaged') {
      await keepRecordAside(dir, err.path);
      return;
    }
    throw err;
  }
  if (existing && canonicalJson(existing.record.digests) !== canonicalJson(record.digests)) await keepRecordAside(dir, existing.path);
}
