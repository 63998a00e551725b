/**
 * The activities of the main task queue (`toa`), served by workers that also run the workflows:
 * bookkeeping that is cheap and touches only the store, the records folder, the sweep's failures
 * file and (to describe a sweep's children) Temporal itself. `putPlayContext` runs as a local
 * activity of promptSearch (so it must be registered where workflows run).
 */
import { loadDatasetPage } from './datasetPage';
import { describePromptWorkflows } from './describePrompts';
import { appendFailures, readFailures } from './failuresFile';
import { putPlayContext } from './play';
import { writePromptRecord } from './writePromptRecord';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a factory like the agent queue's, ready for dependencies
export type MainQueueDeps = {};

export function createMainQueueActivities(_deps: MainQueueDeps = {}) {
  return { putPlayContext, writePromptRecord, loadDatasetPage, appendFailures, readFailures, describePromptWorkflows };
}

export type MainQueueActivities = ReturnType<typeof createMainQueueActivities>;
