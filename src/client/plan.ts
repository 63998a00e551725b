/**
 * Turns a validated sweep file into what the sweep workflow receives: absolute paths, template
 * overrides stored as references, and a sweep ID derived from the file's content.
 */
import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { openStore } from '../store';
import type { StoreSpec, TemplateRefs } from '../common/store';
import type { SweepConfig } from '../config/schema';
import type { SweepPlan } from '../workflows/sweepState';
import type { LoadedSweep } from '../config/load';

export interface SweepLocations {
  outputDir: string;
  store: StoreSpec;
  recordsDir: string;
  /** Every failed prompt, one JSON line each (`toa sweep retry` re-queues them). */
  failuresFile: string;
}

export function sweepIdOf(loaded: LoadedSweep, explicitId?: string): string {
  return explicitId ?? `${loaded.config.name}-${loaded.contentHash.slice(0, 10)}`;
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

export async function storeTemplates(loaded: LoadedSweep, store: StoreSpec): Promise<TemplateRefs> {
  const refs: TemplateRefs = {};
  const s = openStore(store);
  for (const kind of ['refine', 'aggregate', 'instruction'] as const) {
    const file = loaded.templatePaths[kind];
    if (!file) continue;
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      throw new Error(`${loaded.file}: templates.${kind}: cannot read ${file}: ${(err as Error).message}`);
    }
    refs[kind] = await s.put(text);
  }
  return refs;
}

export async function buildPlan(loaded: LoadedSweep, sweepId: string): Promise<{ plan: SweepPlan; locations: SweepLocations }> {
  const config: SweepConfig = loaded.config;
  const locations = locationsOf(loaded.outputDir, sweepId);
  const templates = await storeTemplates(loaded, locations.store);
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
    failuresFile: locations.failuresFile,
    retry: config.retry,
  };
  return { plan, locations };
}
