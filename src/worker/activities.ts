/** Every activity a worker registers, built from its dependencies (no global state). */
import { createActivities } from '../activities';
import type { ToaActivities } from '../workflows/activityTypes';
import { loadDatasetPage, writePromptRecord } from './bookkeepingActivities';

export function createWorkerActivities(deps: { env: NodeJS.ProcessEnv }): ToaActivities {
  const model = createActivities({ env: deps.env });
  return { generate: model.generate, score: model.score, play: model.play, putPlayContext: model.putPlayContext, writePromptRecord, loadDatasetPage };
}
