/**
 * The activities of the main task queue (`toa`), served by workers that also run the workflows:
 * bookkeeping that is cheap and touches only the store, the records folder, the dataset, the
 * sweep's failures file and (to describe a sweep's children) Temporal itself. `putPlayContext`
 * runs as a local activity of promptSearch (so it must be registered where workflows run).
 * Every path an input names is checked against the worker's allow-list before it is opened
 * (./allowList.ts): workflow inputs come from whoever can reach the Temporal frontend.
 */
import { checkPath, type AllowList } from './allowList';
import { createLoadDatasetPage, type DatasetPageDeps } from './datasetPage';
import { describePromptWorkflows } from './describePrompts';
import { appendFailures, failuresFileOf, readFailures } from './failuresFile';
import { putPlayContext } from './play';
import type {
  AppendFailuresInput,
  DatasetPageInput,
  DescribePromptWorkflowsInput,
  PutPlayContextInput,
  ReadFailuresInput,
  WritePromptRecordInput,
} from './types';
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
    async appendFailures(input: AppendFailuresInput): ReturnType<typeof appendFailures> {
      await checkPath(allow, 'the failures file', failuresFileOf(input), 'write');
      return appendFailures(input);
    },
    async readFailures(input: ReadFailuresInput): ReturnType<typeof readFailures> {
      await checkPath(allow, 'the failures file', failuresFileOf(input), 'read');
      return readFailures(input);
    },
    async describePromptWorkflows(input: DescribePromptWorkflowsInput): ReturnType<typeof describePromptWorkflows> {
      await checkPath(allow, 'the records folder', input.recordsDir, 'read');
      return describePromptWorkflows(input);
    },
  };
}

export type MainQueueActivities = ReturnType<typeof createMainQueueActivities>;
