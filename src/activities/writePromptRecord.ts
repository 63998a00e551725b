/**
 * The `writePromptRecord` activity: rebuilds a finished prompt's record from its trace and the
 * plays' memos and writes it atomically, keyed by the workflow ID. Idempotent.
 */
import { summaryOf, type PromptSummary } from '../common/records';
import { writeRecordAtomic } from '../store/records';
import { buildPromptRecord } from './promptRecord';
import { storeFor } from './texts';
import type { WritePromptRecordInput } from './types';

export async function writePromptRecord(input: WritePromptRecordInput): Promise<{ path: string; summary: PromptSummary }> {
  const record = await buildPromptRecord(input, storeFor(input.store));
  const { path } = await writeRecordAtomic(input.recordsDir, record.workflowId, record);
  return { path, summary: summaryOf(record, path) };
}
