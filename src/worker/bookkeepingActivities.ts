/**
 * Activities that keep the sweep's books: paging the dataset into the response store, and
 * writing each finished prompt's record. Both are idempotent, so Temporal may retry them freely.
 */
import { ApplicationFailure } from '@temporalio/common';
import { openStore } from '../store';
import { readRecord, writeRecordAtomic } from '../store/records';
import { readDatasetPage } from '../dataset/jsonl';
import type { DatasetPageInput, DatasetPageItem, DatasetPageOutput, WritePromptRecordInput } from '../workflows/activityTypes';
import { summaryOf, type PromptRecord, type PromptSummary } from '../common/records';
import { buildPromptRecord } from './promptRecord';
import { promptWorkflowId } from '../workflows/sweepState';

export async function writePromptRecord(input: WritePromptRecordInput): Promise<{ path: string; summary: PromptSummary }> {
  const record = await buildPromptRecord(input, openStore(input.store));
  const { path } = await writeRecordAtomic(input.recordsDir, record.workflowId, record);
  return { path, summary: summaryOf(record, path) };
}

export async function loadDatasetPage(input: DatasetPageInput): Promise<DatasetPageOutput> {
  let page: Awaited<ReturnType<typeof readDatasetPage>>;
  try {
    page = await readDatasetPage(input.dataset, { cursor: input.cursor, pageSize: input.pageSize });
  } catch (err) {
    // A missing or unreadable dataset is not fixed by retrying.
    throw ApplicationFailure.nonRetryable(`dataset ${input.dataset.path}: ${(err as Error).message}`, 'DatasetError');
  }
  const store = openStore(input.store);
  const items: DatasetPageItem[] = [];
  for (const item of page.items) {
    const promptRef = await store.put(item.prompt);
    const referenceRef = item.reference === undefined ? undefined : await store.put(item.reference);
    const finished: DatasetPageItem['finished'] = {};
    for (const key of input.jobKeys) {
      const existing = await readRecord<PromptRecord>(input.recordsDir, promptWorkflowId(input.jobPrefix, key, item.id));
      if (existing) finished[key] = summaryOf(existing.record, existing.path);
    }
    items.push({ promptId: item.id, line: item.line, promptRef, referenceRef, finished });
  }
  return { items, problems: page.problems, nextCursor: page.nextCursor };
}
