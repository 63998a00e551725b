/** Checks that must pass before anything is spent: the file, the environment, every dataset line. */
import { checkSweepEnvironment, loadSweepFile, type LoadedSweep } from '../config/load';
import { validateDataset } from '../dataset/jsonl';

function fail(problems: string[]): never {
  const shown = problems.slice(0, 20);
  const more = problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : '';
  throw new Error(`cannot start:\n${shown.map((p) => `  ${p}`).join('\n')}${more}`);
}

/** The file and the environment (API keys, template files), not the dataset: enough for `toa run`. */
export async function preflightConfig(file: string, env: NodeJS.ProcessEnv): Promise<LoadedSweep> {
  const loaded = await loadSweepFile(file);
  const problems = checkSweepEnvironment(loaded, env).map(String);
  if (problems.length > 0) fail(problems);
  return loaded;
}

/** Everything, including every dataset line, so a sweep never starts on a broken dataset. */
export async function preflightSweep(file: string, env: NodeJS.ProcessEnv): Promise<LoadedSweep> {
  const loaded = await preflightConfig(file, env);
  const problems = await validateDataset({ ...loaded.config.dataset, path: loaded.datasetPath });
  if (problems.length > 0) fail(problems.map((p) => p.message));
  return loaded;
}
