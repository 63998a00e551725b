/**
 * Turns a validated sweep file into what the sweep workflow receives: absolute paths, template
 * overrides stored as references, and a sweep ID derived from the file's content.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { openStore, textKey } from '../store';
import type { StoreSpec, TemplateRefs } from '../common/store';
import { canonicalJson } from '../common/canonicalJson';
import { decodeUtf8, type LoadedSweep } from '../config/load';
import type { SweepConfig } from '../config/schema';
import { TemplateError, validateTemplate, type TemplateName, type TemplateOverrides } from '../prompts';
import type { SweepPlan } from '../workflows/sweepState';
import { planDigestsOf } from '../activities/digests';
import type { DatasetFingerprint } from '../dataset/jsonl';

export interface SweepLocations {
  outputDir: string;
  store: StoreSpec;
  recordsDir: string;
  /** Every failed prompt, one JSON line each (`toa sweep retry` re-queues them). */
  failuresFile: string;
}

/**
 * `name-<10 hex>`: the hash covers the canonical file content (src/config/load.ts) and, when the
 * file names template overrides, their texts: editing a template is a new sweep, like editing
 * alpha. The dataset is not in it: a dataset edit re-runs only the lines that changed (records
 * carry the digest of their prompt text; see docs/sweep-file.md, "The sweep id").
 */
export function sweepIdOf(loaded: LoadedSweep, opts: { id?: string; templateRefs?: TemplateRefs } = {}): string {
  if (opts.id) return opts.id;
  const refs = opts.templateRefs ?? {};
  const hash =
    Object.keys(refs).length === 0
      ? loaded.contentHash
      : createHash('sha256').update(`${loaded.contentHash}\ntemplates ${canonicalJson(refs)}`).digest('hex');
  return `${loaded.config.name}-${hash.slice(0, 10)}`;
}

/** One content-addressed store per output folder (shared by its sweeps); records per sweep. */
export function locationsOf(outputDir: string, sweepId: string): SweepLocations {
  return {
    outputDir,
    store: { kind: 'fs', root: path.join(outputDir, 'store') },
    recordsDir: path.join(outputDir, sweepId, 'records'),
    failuresFile: path.join(outputDir, sweepId, 'failures.jsonl'),
  };
}

export interface ResolvedTemplates {
  /** The override texts, by template. */
  texts: TemplateOverrides;
  /** Their store keys (sha256 of the text). */
  refs: TemplateRefs;
  /** One line per template that cannot be used: `sweep.yaml:20:11: templates.refine: <file>: <why>`. */
  problems: string[];
}

/**
 * Reads and checks the template overrides (strict UTF-8, the placeholders each must hold), so a
 * refine template without `{{response}}` is found before the first paid prompt. Missing files
 * are left to checkSweepEnvironment.
 */
export async function readTemplates(loaded: LoadedSweep): Promise<ResolvedTemplates> {
  const out: ResolvedTemplates = { texts: {}, refs: {}, problems: [] };
  for (const kind of ['refine', 'aggregate', 'instruction'] as const satisfies readonly TemplateName[]) {
    const file = loaded.templatePaths[kind];
    if (!file) continue;
    const problem = (msg: string) => out.problems.push(`${loaded.where(['templates', kind])}: templates.${kind}: ${msg}`);
    let bytes: Buffer;
    try {
      bytes = await fsp.readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EISDIR') problem(`cannot read ${file}: ${(err as Error).message}`);
      continue;
    }
    const decoded = decodeUtf8(bytes);
    if (!decoded.ok) {
      problem(`${file}:${decoded.line}:${decoded.col}: not valid UTF-8: save the file as UTF-8`);
      continue;
    }
    try {
      validateTemplate(kind, decoded.text);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      problem(`${file}: ${err.message}`);
      continue;
    }
    out.texts[kind] = decoded.text;
    out.refs[kind] = textKey(decoded.text);
  }
  return out;
}

/** Stores the template texts (read and checked by readTemplates) and returns their refs. */
export async function storeTemplates(templates: ResolvedTemplates, store: StoreSpec): Promise<TemplateRefs> {
  if (templates.problems.length > 0) throw new Error(templates.problems.join('\n'));
  const s = openStore(store);
  const refs: TemplateRefs = {};
  for (const [kind, text] of Object.entries(templates.texts) as Array<[TemplateName, string]>) refs[kind] = await s.put(text);
  return refs;
}

export interface PlanOptions {
  /** Jobs whose record was produced with other inputs are re-run (`--rerun-changed`). */
  rerunChanged?: boolean;
  /** Records without digests (written before they were recorded) are reused as they are (`--reuse-unverified`). */
  reuseUnverified?: boolean;
}

export async function buildPlan(
  pre: { loaded: LoadedSweep; templates: ResolvedTemplates; dataset?: { fingerprint: DatasetFingerprint } },
  sweepId: string,
  opts: PlanOptions = {},
): Promise<{ plan: SweepPlan; locations: SweepLocations }> {
  const { loaded } = pre;
  const config: SweepConfig = loaded.config;
  const locations = locationsOf(loaded.outputDir, sweepId);
  const templates = await storeTemplates(pre.templates, locations.store);
  const plan: SweepPlan = {
    name: config.name,
    dataset: { ...config.dataset, path: loaded.datasetPath },
    agents: config.agents,
    reward: config.reward,
    methods: config.methods,
    budgets: config.budgets,
    seeds: config.seeds,
    store: locations.store,
    recordsDir: locations.recordsDir,
    templates,
    maxRunningPrompts: config.maxRunningPrompts,
    maxPlaysInFlightPerPrompt: config.maxPlaysInFlightPerPrompt,
    pauseAfterFailuresInARow: config.pauseAfterFailuresInARow,
    onPlayFailure: config.onPlayFailure,
    failuresFile: locations.failuresFile,
    retry: config.retry,
    ...(pre.dataset ? { datasetFingerprint: pre.dataset.fingerprint } : {}),
    reuse: {
      digests: planDigestsOf({ methods: config.methods, agents: config.agents, reward: config.reward, templates }),
      rerunChanged: opts.rerunChanged === true,
      reuseUnverified: opts.reuseUnverified === true,
    },
  };
  return { plan, locations };
}
