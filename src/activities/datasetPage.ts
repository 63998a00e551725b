/**
 * The `loadDatasetPage` activity: reads one page of the dataset into the response store (the
 * dataset never travels in workflow input) and reports which of its jobs already have a record.
 * Idempotent, so Temporal may retry it freely.
 */
import { failure } from '../common/failures';
import { summaryOf, type PromptRecord } from '../common/records';
import { promptWorkflowId } from '../common/workflowIds';
import { readDatasetPage } from '../dataset/jsonl';
import { openStore } from '../store';
import { readRecord } from '../store/records';
import type { DatasetPageInput, DatasetPageItem, DatasetPageOutput } from './types';

export async function loadDatasetPage(input: DatasetPageInput): Promise<DatasetPageOutput> {
  let page: Awaited<ReturnType<typeof readDatasetPage>>;
  try {
    page = await readDatasetPage(input.dataset, { cursor: input.cursor, pageSize: input.pageSize });
  } catch (err) {
    // A missing or unreadable dataset is not fixed by retrying.
    throw failure('DatasetError', `dataset ${input.dataset.path}: ${(err as Error).message}`);
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
