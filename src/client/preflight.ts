/**
 * Checks that must pass before anything is spent: the file, the environment, the templates, and
 * every dataset line (including that each prompt's workflow ID fits the server's ID limit).
 */
import { checkSweepEnvironment, loadSweepFile, type LoadedSweep } from '../config/load';
import { LIMIT_SETTINGS, shortenId, temporalLimitsFrom, type TemporalLimits } from '../config/limits';
import { datasetFingerprint, validateDataset, type DatasetFingerprint } from '../dataset/jsonl';
import { textKey } from '../store';
import { allJobKeyParts, jobKey } from '../workflows/sweepState';
import { readTemplates, sweepIdOf, type ResolvedTemplates } from './plan';

/** Problems found before anything was started: one line each, naming file, line and field. */
export class PreflightError extends Error {
  override readonly name = 'PreflightError';
  constructor(readonly problems: string[]) {
    super(`cannot start:\n${listProblems(problems)}`);
  }
}

export function listProblems(problems: string[]): string {
  const shown = problems.slice(0, 20);
  const more = problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : '';
  return `${shown.map((p) => `  ${p}`).join('\n')}${more}`;
}

function fail(problems: string[]): never {
  throw new PreflightError(problems);
}

export interface PreflightOptions {
  /** The sweep id given with --id (default: derived from the file's content). */
  sweepId?: string;
  /** Check that API key variables are set (default true; `toa config check` runs where workers may hold the keys). */
  checkKeys?: boolean;
}

export interface PreflightConfig {
  loaded: LoadedSweep;
  templates: ResolvedTemplates;
  limits: TemporalLimits;
}

/** One dataset item as the stale-record check needs it: no texts, their digests. */
export interface DatasetEntry {
  id: string;
  line: number;
  /** sha256 of the prompt text (its store key). */
  prompt: string;
  reference?: string;
}

export interface Preflight extends PreflightConfig {
  sweepId: string;
  dataset: { fingerprint: DatasetFingerprint; entries: DatasetEntry[] };
}

/**
 * The file (a ConfigError stops here: nothing else can be checked), then the environment (API
 * keys, dataset and template files) and the templates, every problem collected.
 */
async function checkConfig(file: string, env: NodeJS.ProcessEnv, opts: PreflightOptions): Promise<{ pre: PreflightConfig; problems: SweepProblemLine[] }> {
  let limits: TemporalLimits;
  try {
    limits = temporalLimitsFrom(env);
  } catch (err) {
    fail([(err as Error).message]);
  }
  const loaded = await loadSweepFile(file, { limits });
  const environment = checkSweepEnvironment(loaded, env).filter((p) => opts.checkKeys !== false || p.kind !== 'missing-env');
  const templates = await readTemplates(loaded);
  return {
    pre: { loaded, templates, limits },
    problems: [
      ...environment.map((p) => ({ text: String(p), datasetMissing: p.field === 'dataset.path' })),
      ...templates.problems.map((text) => ({ text, datasetMissing: false })),
    ],
  };
}

interface SweepProblemLine {
  text: string;
  /** The dataset file itself is missing: its lines cannot be checked. */
  datasetMissing: boolean;
}

/** The file, the environment (API keys, template files) and the templates, not the dataset: enough for `toa run`. */
export async function preflightConfig(file: string, env: NodeJS.ProcessEnv, opts: PreflightOptions = {}): Promise<PreflightConfig> {
  const { pre, problems } = await checkConfig(file, env, opts);
  if (problems.length > 0) fail(problems.map((p) => p.text));
  return pre;
}

/**
 * Everything, including every dataset line, so a sweep never starts on a broken dataset. The
 * problems of the environment, the templates and the dataset are reported together.
 */
export async function preflightSweep(file: string, env: NodeJS.ProcessEnv, opts: PreflightOptions = {}): Promise<Preflight> {
  const checked = await checkConfig(file, env, opts);
  const { pre } = checked;
  if (checked.problems.some((p) => p.datasetMissing)) fail(checked.problems.map((p) => p.text));
  const { loaded, limits } = pre;
  const sweepId = sweepIdOf(loaded, { id: opts.sweepId, templateRefs: pre.templates.refs });
  const problems: string[] = checked.problems.map((p) => p.text);
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  const limitNote = `the Temporal server allows ${limits.maxIdLength} (${LIMIT_SETTINGS.maxIdLength.server}; ${LIMIT_SETTINGS.maxIdLength.env} sets the value checked)`;
  if (bytes(sweepId) > limits.maxIdLength) problems.push(`sweep id "${shortenId(sweepId)}" is ${bytes(sweepId)} bytes; ${limitNote}`);
  // Prompt workflow IDs are `sweepId/jobKey/promptId`: the longest job key decides.
  const longestKey = allJobKeyParts(loaded.config)
    .map((p) => jobKey(loaded.config, p))
    .reduce((a, b) => (bytes(b) > bytes(a) ? b : a));
  const entries: DatasetEntry[] = [];
  const spec = { ...loaded.config.dataset, path: loaded.datasetPath };
  let fingerprint: DatasetFingerprint;
  try {
    fingerprint = await datasetFingerprint(loaded.datasetPath);
  } catch (err) {
    fail([`${loaded.where(['dataset', 'path'])}: dataset.path: ${(err as Error).message}`]);
  }
  const datasetProblems = await validateDataset(spec, {
    onItem(item) {
      entries.push({ id: item.id, line: item.line, prompt: textKey(item.prompt), ...(item.reference === undefined ? {} : { reference: textKey(item.reference) }) });
      const workflowId = `${sweepId}/${longestKey}/${item.id}`;
      if (bytes(workflowId) <= limits.maxIdLength) return undefined;
      return `field "${loaded.config.dataset.idField}": the workflow ID "${shortenId(workflowId)}" would be ${bytes(workflowId)} bytes; ${limitNote}`;
    },
  });
  problems.push(...datasetProblems.map((p) => p.message));
  if (problems.length > 0) fail(problems);
  return { ...pre, sweepId, dataset: { fingerprint, entries } };
}
