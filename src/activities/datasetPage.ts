/**
 * The `loadDatasetPage` activity: reads one page of the dataset into the response store (the
 * dataset never travels in workflow input) and reports which of its jobs already have a record
 * that may be reused: as page totals (the sweep only adds them up), so the result stays small
 * however many jobs finished. Idempotent, so Temporal may retry it freely.
 *
 * Failures, by whether a retry can help:
 *  - the dataset changed since the sweep started, a missing file, a bad spec: DatasetError
 *    (non-retryable; the message names the file);
 *  - a transient read error (EMFILE, EIO, ...): DatasetIO (retried with backoff);
 *  - a record file that cannot be read (I/O): StoreIO (retried);
 *  - a damaged record file: not a failure: the job runs again (its generations come back from
 *    the store's memos) and the page reports a warning naming the file, which the record
 *    writer keeps in `.superseded/` when it replaces it;
 *  - records produced with other inputs, without `--rerun-changed`: ConfigError naming them
 *    (`toa sweep start`/`retry` refuse before starting, so this is only a safety net).
 *
 * A reused record whose prompt still has a scope in the store (a record writer killed between
 * writing the record and removing the scope) gets its scope packed and removed here, best effort.
 */
import { emptyCompute, mergeCompute } from '../common/compute';
import { failure } from '../common/failures';
import { summaryOf, type PromptSummary } from '../common/records';
import { promptWorkflowId } from '../common/workflowIds';
import { datasetChange, isTransientDatasetError, nodeDatasetFs, readDatasetPage, type DatasetFs } from '../dataset/jsonl';
import { openStore, type TextStore } from '../store';
import { RecordFileError } from '../store/records';
import { jobDigests } from './digests';
import { finishPrompt } from './playMemos';
import { judgeRecord } from './reuse';
import type { DatasetPageInput, DatasetPageItem, DatasetPageOutput, ReusedTotals } from './types';

export interface DatasetPageDeps {
  /** File operations for reading the dataset (tests inject I/O faults here). */
  datasetFs?: DatasetFs;
}

/** Records with other inputs named in the safety-net failure, at most. */
const SHOWN_STALE = 5;

export function createLoadDatasetPage(deps: DatasetPageDeps = {}) {
  const fs = deps.datasetFs ?? nodeDatasetFs;
  return async function loadDatasetPage(input: DatasetPageInput): Promise<DatasetPageOutput> {
    const file = input.dataset.path;
    if (input.datasetFingerprint) {
      let change: string | undefined;
      try {
        change = await datasetChange(file, input.datasetFingerprint);
      } catch (err) {
        throw datasetFailure(err, file);
      }
      if (change) {
        throw failure(
          'DatasetError',
          `dataset ${change}: a running sweep reads its dataset page by page, so it stopped rather than mix two versions. ` +
            'Restore the file to go on, or run `toa sweep retry <id>` to start over on the new file (records produced from other prompt texts are then listed)',
        );
      }
    }
    let page: Awaited<ReturnType<typeof readDatasetPage>>;
    try {
      page = await readDatasetPage(input.dataset, { cursor: input.cursor, pageSize: input.pageSize }, fs);
    } catch (err) {
      throw datasetFailure(err, file);
    }
    const store = openStore(input.store);
    const totals = input.report === 'totals';
    const reused: ReusedTotals = { count: 0, compute: emptyCompute(), cells: [] };
    const items: DatasetPageItem[] = [];
    const problems = [...page.problems];
    const stale: string[] = [];
    for (const item of page.items) {
      const promptRef = await store.put(item.prompt);
      const referenceRef = item.reference === undefined ? undefined : await store.put(item.reference);
      const finished: Record<string, PromptSummary> = {};
      const rerun: string[] = [];
      const pending: number[] = [];
      const reuse = (key: string, summary: PromptSummary) => (totals ? addReused(reused, summary) : (finished[key] = summary));
      for (const [index, key] of input.jobKeys.entries()) {
        const workflowId = promptWorkflowId(input.jobPrefix, key, item.id);
        const method = input.reuse?.digests[key.slice(0, key.indexOf('/'))];
        let verdict;
        try {
          verdict = await judgeRecord(input.recordsDir, workflowId, method && jobDigests(method, promptRef, referenceRef));
        } catch (err) {
          if (err instanceof RecordFileError) throw failure('StoreIO', err.message, { cause: err });
          throw err;
        }
        switch (verdict.kind) {
          case 'none':
            pending.push(index);
            break;
          case 'reuse':
            reuse(key, summaryOf(verdict.record, verdict.path));
            await cleanUpAfterRecord(store, workflowId, verdict.path);
            break;
          case 'damaged':
            rerun.push(key);
            problems.push({ line: item.line, message: `${verdict.message}: ${workflowId} runs again (the damaged file is kept in .superseded/)` });
            break;
          case 'unverified':
            if (input.reuse?.reuseUnverified) {
              reuse(key, summaryOf(verdict.record, verdict.path));
              await cleanUpAfterRecord(store, workflowId, verdict.path);
            }
            else if (input.reuse?.rerunChanged) rerun.push(key);
            else stale.push(`${verdict.path} (no digests: written by an earlier release)`);
            break;
          case 'changed':
            if (input.reuse?.rerunChanged) rerun.push(key);
            else stale.push(`${verdict.path} (${verdict.changed.join(', ')} changed)`);
            break;
        }
        if (rerun[rerun.length - 1] === key) pending.push(index);
      }
      items.push({
        promptId: item.id,
        line: item.line,
        promptRef,
        referenceRef,
        ...(totals ? { pending } : { finished }),
        ...(rerun.length > 0 ? { rerun } : {}),
      });
    }
    if (stale.length > 0) {
      throw failure(
        'ConfigError',
        `${stale.length} record(s) of this page were produced with other inputs and are not reused silently: ` +
          `${stale.slice(0, SHOWN_STALE).join('; ')}${stale.length > SHOWN_STALE ? '; ...' : ''}. ` +
          'Run `toa sweep retry <id> --rerun-changed` to re-run them (old records are kept in .superseded/), or restore what changed',
      );
    }
    return { items, problems, nextCursor: page.nextCursor, ...(totals ? { reused } : {}) };
  };
}

/** What a killed record writer left of a finished prompt's plays (best effort: a failure here only leaves files). */
async function cleanUpAfterRecord(store: TextStore, workflowId: string, recordFile: string): Promise<void> {
  try {
    if (await store.scope(workflowId).exists()) await finishPrompt(store, workflowId, recordFile);
  } catch {
    // the next sweep start tries again
  }
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

/** A dataset read error: retryable when it may pass (EMFILE, EIO, ...), else the dataset cannot be used. */
function datasetFailure(err: unknown, file: string) {
  const msg = (err as Error).message;
  const text = msg.includes(file) ? `dataset: ${msg}` : `dataset ${file}: ${msg}`;
  return isTransientDatasetError(err) ? failure('DatasetIO', text, { cause: err as Error }) : failure('DatasetError', text, { cause: err as Error });
}

/** The activity as workers register it (node's file system). */
export const loadDatasetPage = createLoadDatasetPage();
