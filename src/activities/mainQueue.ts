/**
 * The activities of the main task queue (`toa`), served by workers that also run the workflows:
 * bookkeeping that is cheap and touches only the store, the records folder and the dataset.
 * `putPlayContext` runs as a local activity of promptSearch (so it must be registered where
 * workflows run). Every path an input names is checked against the worker's allow-list before it
 * is opened (./allowList.ts): workflow inputs come from whoever can reach the Temporal frontend.
 */
import { checkPath, type AllowList } from './allowList';
import { createLoadDatasetPage, type DatasetPageDeps } from './datasetPage';
import { putPlayContext } from './play';
import type { DatasetPageInput, PutPlayContextInput, WritePromptRecordInput } from './types';
import { writePromptRecord } from './writePromptRecord';

export interface MainQueueDeps extends DatasetPageDeps {
  /** The folders this worker's configuration allows reading (datasets) and writing (records, stores). */
  allow: AllowList;
}

export function createMainQueueActivities(deps: MainQueueDeps) {
  const { allow } = deps;
  const loadDatasetPage = createLoadDatasetPage(deps);
  return {
    async putPlayContext(input: PutPlayContextInput): ReturnType<typeof putPlayContext> {
      await checkPath(allow, 'the response store', input.store?.root, 'write');
      return putPlayContext(input);
    },
    async writePromptRecord(input: WritePromptRecordInput): ReturnType<typeof writePromptRecord> {
      // It also writes there: the best text, and the prompt's scope is packed and removed.
      await checkPath(allow, 'the response store', input.store?.root, 'write');
      await checkPath(allow, 'the records folder', input.recordsDir, 'write');
      return writePromptRecord(input);
    },
    async loadDatasetPage(input: DatasetPageInput): ReturnType<typeof loadDatasetPage> {
      await checkPath(allow, 'the dataset', input.dataset?.path, 'read');
      await checkPath(allow, 'the response store', input.store?.root, 'write');
      await checkPath(allow, 'the records folder', input.recordsDir, 'read');
      return loadDatasetPage(input);
    },
  };
}

export type MainQueueActivities = ReturnType<typeof createMainQueueActivities>;
