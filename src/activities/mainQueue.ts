/**
 * The activities of the main task queue (`toa`), served by workers that also run the workflows:
 * bookkeeping that is cheap and touches only the store and the records folder. `putPlayContext`
 * runs as a local activity of promptSearch (so it must be registered where workflows run).
 */
import { createLoadDatasetPage, type DatasetPageDeps } from './datasetPage';
import { putPlayContext } from './play';
import { writePromptRecord } from './writePromptRecord';

export type MainQueueDeps = DatasetPageDeps;

export function createMainQueueActivities(deps: MainQueueDeps = {}) {
  return { putPlayContext, writePromptRecord, loadDatasetPage: createLoadDatasetPage(deps) };
}

export type MainQueueActivities = ReturnType<typeof createMainQueueActivities>;
