/**
 * The `loadDatasetPage` activity: reads one page of the dataset into the response store (the
 * dataset never travels in workflow input) and reports which of its jobs already have a record:
 * as page totals (the sweep only adds them up), so the result stays small however many jobs
 * finished. Idempotent, so Temporal may retry it freely.
 */
import { emptyCompute, mergeCompute } from '../common/compute';
import { failure } from '../common/failures';
import { summaryOf, type PromptRecord, type PromptSummary } from '../common/records';
import { promptWorkflowId } from '../common/workflowIds';
import { readDatasetPage } from '../dataset/jsonl';
import { openStore } from '../store';
import { readRecord } from '../store/records';
import type { DatasetPageInput, DatasetPageItem, DatasetPageOutput, ReusedTotals } from './types';

export async function loadDatasetPage(input: DatasetPageInput): Promise<DatasetPageOutput> {
  let page: Awaited<ReturnType<typeof readDatasetPage>>;
  try {
    page = await readDatasetPage(input.dataset, { cursor: input.cursor, pageSize: input.pageSize });
  } catch (err) {
    // A missing or unreadable dataset is not fixed by retrying.
    throw failure('DatasetError', `dataset ${input.dataset.path}: ${(err as Error).message}`);
  }
  const store = openStore(input.store);
  const totals = input.reuse === 'totals';
  const reused: ReusedTotals = { count: 0, compute: emptyCompute(), cells: [] };
  const items: DatasetPageItem[] = [];
  for (const item of page.items) {
    const promptRef = await store.put(item.prompt);
    const referenceRef = item.reference === undefined ? undefined : await store.put(item.reference);
    const finished: Record<string, PromptSummary> = {};
    const pending: number[] = [];
    for (const [index, key] of input.jobKeys.entries()) {
      const existing = await readRecord<PromptRecord>(input.recordsDir, promptWorkflowId(input.jobPrefix, key, item.id));
      if (!existing) pending.push(index);
      else if (totals) addReused(reused, summaryOf(existing.record, existing.path));
      else finished[key] = summaryOf(existing.record, existing.path);
    }
    items.push({ promptId: item.id, line: item.line, promptRef, referenceRef, ...(totals ? { pending } : { finished }) });
  }
  return { items, problems: page.problems, nextCursor: page.nextCursor, ...(totals ? { reused } : {}) };
}

/** Sums one finished job into the page's totals (a summary per job would grow with the page). */
function addReused(totals: ReusedTotals, s: PromptSummary): void {
  totals.count += 1;
  mergeCompute(totals.compute, s.compute);
  let cell = totals.cells.find((c) => c.method === s.method && c.budget === s.budget);
  if (!cell) totals.cells.push((cell = { method: s.method, budget: s.budget, count: 0, sumBest: 0, maxBest: s.bestReward }));
  cell.count += 1;
  cell.sumBest += s.bestReward;
  cell.maxBest = Math.max(cell.maxBest, s.bestReward);
}
